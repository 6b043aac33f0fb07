"""The one-time code that hands a login over to the HttpOnly cookie (issue 11), on real PostGIS:
it works once, only while its login is open, and the table alone never yields a token."""

from __future__ import annotations

import secrets

from sqlalchemy import text
from sqlalchemy.orm import Session

from db import access
from services import auth

PASSWORD = "correct horse battery"
_HASH = auth.hash_password(PASSWORD)


def _login(session: Session) -> auth.LoginResult:
    name = f"t_ck_{secrets.token_hex(3)}"
    session.execute(
        text(
            "INSERT INTO users (username, display_name, role, password_hash) "
            "VALUES (:u, '测试', 'admin', :h)"
        ),
        {"u": name, "h": _HASH},
    )
    result = auth.authenticate(name, PASSWORD, session=session, client="10.0.0.5 · pytest")
    assert result.ok and result.actor is not None and result.handoff
    return result


def test_a_hand_off_code_gives_the_token_once(session):
    result = _login(session)
    assert result.actor is not None
    assert auth.redeem_handoff(result.handoff or "", session=session) == result.actor.token
    assert auth.redeem_handoff(result.handoff or "", session=session) is None  # used up
    assert auth.redeem_handoff("guessed-" + "x" * 35, session=session) is None
    assert auth.redeem_handoff("", session=session) is None


def test_the_hand_off_table_holds_neither_the_code_nor_the_token(session):
    result = _login(session)
    assert result.actor is not None
    rows = session.execute(text("SELECT code_hash, sealed_token FROM login_handoffs")).all()
    token = result.actor.token.encode()
    for code_hash, sealed in rows:
        assert code_hash != result.handoff and bytes(sealed) != token
        assert result.actor.token not in bytes(sealed).decode("latin-1")
    assert access.token_hash(result.handoff or "") in {r[0] for r in rows}


def test_a_code_of_an_ended_or_expired_login_gives_nothing(session):
    ended = _login(session)
    assert ended.actor is not None
    session.execute(
        text("UPDATE user_sessions SET ended_at = now() WHERE token_hash = :h"),
        {"h": access.token_hash(ended.actor.token)},
    )
    assert auth.redeem_handoff(ended.handoff or "", session=session) is None
    stale = _login(session)
    session.execute(
        text("UPDATE login_handoffs SET expires_at = now() - interval '1 second' "),
    )
    assert auth.redeem_handoff(stale.handoff or "", session=session) is None


def test_the_app_role_cannot_read_back_offs_or_hand_offs(session):
    _login(session)
    session.execute(text("SET LOCAL ROLE lianxin_app"))
    for table in ("login_backoff", "login_handoffs"):
        privileges = session.execute(
            text(
                "SELECT has_table_privilege('lianxin_app', :t, 'SELECT'), "
                "has_table_privilege('lianxin_app', :t, 'INSERT'), "
                "has_table_privilege('lianxin_app', :t, 'UPDATE'), "
                "has_table_privilege('lianxin_app', :t, 'DELETE')"
            ),
            {"t": table},
        ).one()
        assert not any(privileges), table
