"""services.sessions: the units of work pages and the command line open (issue 12).

A statement the database refuses comes out as core.errors.DatabaseError naming only its kind:
the driver's message quotes the statement's values (a name, an ID number), which must reach the
server log, never a page.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.errors import DatabaseError
from services import sessions

pytestmark = pytest.mark.db

NAME = "张三丰"


def _refuse(session) -> None:  # noqa: ANN001
    # integer input syntax: PostgreSQL's message quotes the value
    session.execute(text("SELECT CAST(:v AS integer)"), {"v": NAME})


def test_a_refused_statement_names_its_kind_and_never_its_values(db_url):
    with pytest.raises(DatabaseError) as caught, sessions.owner(db_url) as s:
        _refuse(s)
    assert caught.value.kind == "InvalidTextRepresentation"
    assert NAME not in str(caught.value)
    assert NAME in str(caught.value.__cause__)  # the detail stays for the server log


def test_the_owner_session_rolls_back_what_came_before_a_refusal(db_url):
    with sessions.owner(db_url) as s:
        s.execute(text("CREATE TABLE IF NOT EXISTS t_sessions_probe (n int)"))
        s.execute(text("TRUNCATE t_sessions_probe"))
    try:
        with pytest.raises(DatabaseError), sessions.owner(db_url) as s:
            s.execute(text("INSERT INTO t_sessions_probe VALUES (1)"))
            _refuse(s)
        with sessions.owner(db_url) as s:
            assert s.execute(text("SELECT count(*) FROM t_sessions_probe")).scalar() == 0
    finally:
        with sessions.owner(db_url) as s:
            s.execute(text("DROP TABLE t_sessions_probe"))


def test_an_acting_session_runs_on_the_app_role_and_translates_too(db_url):
    with sessions.acting(None, url=db_url) as s:
        assert s.execute(text("SELECT current_user")).scalar() == "lianxin_app"
        assert s.execute(text("SELECT count(*) FROM households")).scalar() == 0  # no login
    with pytest.raises(DatabaseError), sessions.acting(None, url=db_url) as s:
        _refuse(s)


def test_the_command_line_still_calls_a_refusal_an_internal_error(db_url, monkeypatch, capsys):
    from cli.main import main
    from services import accounts

    def refused_list(*, session):  # noqa: ANN001, ANN202
        _refuse(session)

    monkeypatch.setattr(accounts, "list_users", refused_list)
    monkeypatch.delenv("LIANXIN_DEBUG", raising=False)
    assert main(["users", "list"]) == 3
    err = capsys.readouterr().err
    assert "内部错误 DataError" in err  # the driver's error, as before services.sessions
    assert "LIANXIN_DEBUG" in err
