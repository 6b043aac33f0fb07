"""Logins that reveal nothing and cannot be used to lock people out (issue 10), on real PostGIS.

Each test runs ``services.auth.authenticate`` the way the 登录 page does: on the owner's
connection, with the client address the page takes from the request.
"""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from services import accounts, audit, auth

PASSWORD = "correct horse battery"
_HASH = auth.hash_password(PASSWORD)  # once: Argon2 is slow on purpose
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
ATTACKER = "10.9.8.7"
OWNER = "10.0.0.21"


def _account(session: Session, role: str = "admin") -> str:
    name = f"t_bo_{secrets.token_hex(3)}"
    session.execute(
        text(
            "INSERT INTO users (username, display_name, role, password_hash) "
            "VALUES (:u, '测试', :r, :h)"
        ),
        {"u": name, "r": role, "h": _HASH},
    )
    return name


def _try(session: Session, name: str, password: str, addr: str, now: dt.datetime = NOW):
    return auth.authenticate(name, password, session=session, client=f"{addr} · pytest", now=now)


def test_an_unknown_user_and_a_wrong_password_get_the_same_messages(session):
    real = _account(session)
    unknown = f"nobody_{secrets.token_hex(3)}"
    said_real = [_try(session, real, "wrong guess", ATTACKER).message for _ in range(6)]
    said_unknown = [_try(session, unknown, "wrong guess", ATTACKER).message for _ in range(6)]
    assert said_real == said_unknown
    assert said_real[0] == auth.WRONG_CREDENTIALS
    assert not any("再错" in m or "锁定" in m for m in said_real)


def _medians_ms(attempts: dict[str, object], rounds: int = 7) -> dict[str, float]:
    """Median time of each attempt, measured in turns (a, b, c, a, b, c …) so that a busy
    machine slows every kind alike."""
    times: dict[str, list[float]] = {k: [] for k in attempts}
    for _ in range(rounds):
        for kind, fn in attempts.items():
            start = time.perf_counter()
            fn()  # type: ignore[operator]
            times[kind].append((time.perf_counter() - start) * 1000)
    return {k: statistics.median(v) for k, v in times.items()}


def test_unknown_wrong_and_backed_off_logins_take_about_the_same_time(session):
    """Compared with each other in one process, not against a fixed time: a name that is
    backed off (or locked, before) must not answer in 1–2 ms while a real check takes ~150."""
    real = _account(session)
    slowed = _account(session)
    for _ in range(6):  # past any free tries: every further try is refused at once
        _try(session, slowed, "wrong guess", ATTACKER)
    assert not _try(session, slowed, PASSWORD, ATTACKER).ok
    unknown = f"nobody_{secrets.token_hex(3)}"
    ms = _medians_ms(
        {
            "wrong": lambda: _try(session, real, "wrong", f"10.1.{secrets.randbelow(250)}.1"),
            "unknown": lambda: _try(session, unknown, "wrong", f"10.2.{secrets.randbelow(250)}.1"),
            "backed_off": lambda: _try(session, slowed, "wrong guess", ATTACKER),
        }
    )
    assert max(ms.values()) / min(ms.values()) < 2.0, ms


def test_an_attackers_guesses_do_not_stop_the_owner_logging_in_elsewhere(session):
    admin = _account(session, "admin")
    for _ in range(8):
        assert not _try(session, admin, "guess", ATTACKER).ok
    # the attacker is slowed down: even the right password is not tried during the wait
    assert not _try(session, admin, PASSWORD, ATTACKER).ok
    owner = _try(session, admin, PASSWORD, OWNER)
    assert owner.ok and owner.actor is not None


def test_the_back_off_grows_with_each_failure_and_ends(session):
    name = _account(session)
    waits: list[float] = []
    now = NOW
    for _ in range(8):
        _try(session, name, "guess", ATTACKER, now=now)
        until = session.execute(
            text(
                "SELECT blocked_until FROM login_backoff WHERE username = :u AND client_addr = :a"
            ),
            {"u": name, "a": ATTACKER},
        ).scalar()
        wait = (until - now).total_seconds() if until else 0.0
        waits.append(wait)
        now += dt.timedelta(seconds=wait + 1)  # wait it out, then guess again
    assert waits[: auth.FREE_FAILURES] == [0.0] * auth.FREE_FAILURES  # a few typos are free
    grown = waits[auth.FREE_FAILURES :]
    assert all(b > a for a, b in zip(grown, grown[1:], strict=False)), waits
    assert grown[-1] >= 4 * grown[0]
    # during the wait the right password is refused; once it is over, it works
    _try(session, name, "guess", ATTACKER, now=now)
    assert not _try(session, name, PASSWORD, ATTACKER, now=now + dt.timedelta(seconds=1)).ok
    assert _try(session, name, PASSWORD, ATTACKER, now=now + auth.BACKOFF_MAX).ok


def test_every_failure_and_back_off_is_in_the_audit_log(session):
    name = _account(session)
    for _ in range(auth.FREE_FAILURES + 2):
        _try(session, name, "guess", ATTACKER)
    failures = audit.search(session=session, username=name, actions=[audit.LOGIN_FAILURE])
    assert len(failures) == auth.FREE_FAILURES + 2
    assert {d["client_addr"] for d in failures["detail"]} == {ATTACKER}
    backoffs = audit.search(session=session, username=name, actions=[audit.LOGIN_BACKOFF])
    assert len(backoffs) >= 1 and backoffs["detail"].iloc[0]["wait_seconds"] >= 2


def test_an_admin_lifts_the_back_off(session, capsys, monkeypatch):
    name = _account(session)
    for _ in range(6):
        _try(session, name, "guess", ATTACKER)
    assert not _try(session, name, PASSWORD, ATTACKER).ok
    by = f"pytest-{secrets.token_hex(3)}"
    assert accounts.unlock(name, session=session, by=by) == 1
    assert _try(session, name, PASSWORD, ATTACKER).ok
    rows = audit.search(session=session, username=by, actions=[audit.LOGIN_UNLOCK])
    assert rows["target"].tolist() == [f"user:{name}"]


@pytest.mark.parametrize("addr_only", [True, False])
def test_unlock_can_be_limited_to_one_address(session, addr_only):
    name = _account(session)
    for addr in (ATTACKER, OWNER):
        for _ in range(auth.FREE_FAILURES + 1):
            _try(session, name, "guess", addr)
    lifted = accounts.unlock(name, session=session, client_addr=OWNER if addr_only else None)
    assert lifted == (1 if addr_only else 2)
    assert _try(session, name, PASSWORD, OWNER).ok
    assert _try(session, name, PASSWORD, ATTACKER).ok is (not addr_only)


def test_lianxin_users_unlock_lifts_the_back_off(db_url, capsys):
    from cli.main import main
    from db.engine import session_scope

    with session_scope(db_url) as s:
        name = _account(s)
    try:
        with session_scope(db_url) as s:
            for _ in range(auth.FREE_FAILURES + 2):
                _try(s, name, "guess", ATTACKER)
            assert not _try(s, name, PASSWORD, ATTACKER).ok
        assert main(["users", "unlock", name]) == 0
        out = capsys.readouterr().out
        assert ATTACKER in out and "已解除" in out
        with session_scope(db_url) as s:
            assert _try(s, name, PASSWORD, ATTACKER).ok
            lifted = audit.search(session=s, target=f"user:{name}", actions=[audit.LOGIN_UNLOCK])
            assert len(lifted) == 1 and lifted["username"].iloc[0].startswith("cli")
    finally:
        with session_scope(db_url) as s:
            s.execute(text("DELETE FROM login_backoff WHERE username = :u"), {"u": name})
            s.execute(text("DELETE FROM users WHERE username = :u"), {"u": name})
