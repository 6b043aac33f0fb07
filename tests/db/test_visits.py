"""Visit day and callback day on the demo town (PostGIS)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from core.errors import ConflictError, InvalidInputError
from services import cases
from services.calendar import WorkCalendar
from services.households import visits

pytestmark = pytest.mark.db

TUESDAY = dt.date(2026, 12, 1)
FRIDAY = dt.date(2026, 12, 4)
CAL = WorkCalendar(overrides=[])


def _grid_leader(session):
    return session.execute(
        text(
            "SELECT s.id, s.name, s.cell_code FROM staff s WHERE s.role = 'grid_leader' "
            "AND EXISTS (SELECT 1 FROM households h WHERE h.cell_code = s.cell_code "
            "AND cardinality(h.special_groups) > 0) ORDER BY s.id LIMIT 1"
        )
    ).one()


def test_visit_list_puts_special_groups_then_open_cases_then_longest_unvisited(demo_session):
    leader = _grid_leader(demo_session)
    df = visits.visit_list(session=demo_session, staff_id=leader.id, day=TUESDAY, limit=500)
    assert len(df) > 0
    assert (df["cell_code"] == leader.cell_code).all()
    special = df["special_groups"].map(lambda g: len(g or []) > 0).to_numpy()
    # special-group households form one block at the top
    first_plain = special.argmin() if not special.all() else len(special)
    assert special[:first_plain].all() and not special[first_plain:].any()
    rest = df.iloc[first_plain:]
    with_cases = (rest["open_cases"] > 0).to_numpy()
    first_without = with_cases.argmin() if not with_cases.all() else len(with_cases)
    assert with_cases[:first_without].all() and not with_cases[first_without:].any()
    tail = rest.iloc[first_without:]["last_visit"]
    never = tail.isna().to_numpy()
    # never visited first, then oldest visit first
    assert never[: never.sum()].all()
    dates = tail.dropna().tolist()
    assert dates == sorted(dates)
    assert df.iloc[0]["reason"].startswith("重点人群")


def test_liaison_cadre_gets_the_households_of_their_streets(demo_session):
    cadre = demo_session.execute(
        text("SELECT id, streets FROM staff WHERE role = 'liaison_cadre' ORDER BY id LIMIT 1")
    ).one()
    df = visits.visit_list(session=demo_session, staff_id=cadre.id, day=TUESDAY, limit=50)
    assert len(df) > 0
    assert all(any(s in a for s in cadre.streets) for a in df["address"])


def test_a_visit_resolved_on_the_spot_and_one_brought_back_as_a_case(demo_session):
    leader = _grid_leader(demo_session)
    before = visits.visit_list(session=demo_session, staff_id=leader.id, day=TUESDAY, limit=500)
    first = int(before.iloc[0]["household_id"])
    second = int(before.iloc[1]["household_id"])
    done = visits.record_visit(
        session=demo_session,
        staff_id=leader.id,
        household_id=first,
        outcome="resolved",
        note="解答了低保年审政策",
        visit_date=TUESDAY,
    )
    assert done.case_no is None
    back = visits.record_visit(
        session=demo_session,
        staff_id=leader.id,
        household_id=second,
        outcome="brought_back",
        note="楼道灯坏了三个月",
        visit_date=TUESDAY,
        category="public_facilities",
        calendar=CAL,
    )
    rec = cases.get_case(back.case_no, session=demo_session)
    assert rec.channel == "visit" and rec.household_id == second
    assert rec.cell_code == leader.cell_code and rec.received_by == leader.name
    after = visits.visit_list(session=demo_session, staff_id=leader.id, day=TUESDAY, limit=500)
    # visited households drop to the end of this week's list
    assert after.iloc[-1]["visited_this_week"] and after.iloc[-1]["reason"] == "本周已走访"
    assert first not in set(after[~after["visited_this_week"]]["household_id"])


def test_visit_needs_a_note_and_a_known_outcome(demo_session):
    leader = _grid_leader(demo_session)
    with pytest.raises(InvalidInputError, match="走访情况"):
        visits.record_visit(
            session=demo_session,
            staff_id=leader.id,
            household_id=1,
            outcome="resolved",
            note=" ",
            visit_date=TUESDAY,
        )
    with pytest.raises(InvalidInputError, match="走访结果"):
        visits.record_visit(
            session=demo_session,
            staff_id=leader.id,
            household_id=1,
            outcome="maybe",
            note="x",
            visit_date=TUESDAY,
        )


def _closed_case(session, description="井盖松动"):
    rec = cases.intake(
        session=session,
        category="public_facilities",
        kind="reply",
        channel="window",
        description=description,
        received_by="王敏",
        citizen_phone="13800000000",
        received_at=dt.datetime(2026, 12, 1, 9, 0, tzinfo=cases.TZ),
        calendar=CAL,
    )
    rec = cases.act(
        session=session,
        case_no=rec.case_no,
        action="handle",
        expected_version=rec.version,
        actor="王敏",
        at=dt.datetime(2026, 12, 2, 9, 0, tzinfo=cases.TZ),
    )
    return cases.act(
        session=session,
        case_no=rec.case_no,
        action="close",
        expected_version=rec.version,
        actor="王敏",
        note="现场核查已修复",
        at=dt.datetime(2026, 12, 2, 10, 0, tzinfo=cases.TZ),
    )


def test_callback_day_lists_cases_closed_this_week_and_rates_them(demo_session):
    rec = _closed_case(demo_session)
    todo = visits.callback_list(session=demo_session, day=FRIDAY)
    assert rec.case_no in set(todo["case_no"])
    # not reached: kept on the list, attempt counted
    visits.record_callback(
        session=demo_session,
        case_no=rec.case_no,
        expected_version=rec.version,
        actor="王敏",
        reached=False,
        comment="无人接听",
        at=dt.datetime(2026, 12, 4, 9, 0, tzinfo=cases.TZ),
    )
    todo = visits.callback_list(session=demo_session, day=FRIDAY)
    row = todo[todo["case_no"] == rec.case_no].iloc[0]
    assert row["attempts"] == 1
    result = visits.record_callback(
        session=demo_session,
        case_no=rec.case_no,
        expected_version=rec.version,
        actor="王敏",
        reached=True,
        satisfaction="基本满意",
        comment="修好了",
        at=dt.datetime(2026, 12, 4, 10, 0, tzinfo=cases.TZ),
    )
    assert result.state == "rated"
    after = cases.get_case(rec.case_no, session=demo_session)
    assert after.snapshot.satisfaction == "basically_satisfied" and after.called_back
    assert rec.case_no not in set(visits.callback_list(session=demo_session, day=FRIDAY)["case_no"])
    n = demo_session.execute(
        text("SELECT count(*) FROM callbacks WHERE case_id = :id"), {"id": rec.id}
    ).scalar()
    assert n == 2


def test_unsatisfied_callback_reopens_the_case(demo_session):
    rec = _closed_case(demo_session, "垃圾清运不及时")
    result = visits.record_callback(
        session=demo_session,
        case_no=rec.case_no,
        expected_version=rec.version,
        actor="王敏",
        reached=True,
        satisfaction="不满意",
        comment="垃圾又堆起来了",
        reopen=True,
        at=dt.datetime(2026, 12, 4, 10, 0, tzinfo=cases.TZ),
    )
    assert result.reopened and result.state == "reopened"
    after = cases.get_case(rec.case_no, session=demo_session)
    assert after.snapshot.rework_count == 1 and not after.called_back
    events = cases.timeline(rec.case_no, session=demo_session)
    assert list(events["action"][-2:]) == ["rate", "reopen"]
    assert "垃圾又堆起来了" in events.iloc[-1]["note"]


def test_callback_on_a_stale_screen_is_a_conflict(demo_session):
    rec = _closed_case(demo_session, "噪音扰民")
    with pytest.raises(ConflictError):
        visits.record_callback(
            session=demo_session,
            case_no=rec.case_no,
            expected_version=rec.version - 1,
            actor="王敏",
            reached=True,
            satisfaction="满意",
        )
    with pytest.raises(InvalidInputError, match="满意度"):
        visits.record_callback(
            session=demo_session,
            case_no=rec.case_no,
            expected_version=rec.version,
            actor="王敏",
            reached=True,
        )
