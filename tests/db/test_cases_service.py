"""Cases in PostGIS: intake, the loop with its audit trail, conflicts between two clerks,
duplicates at intake, queues — and a property test that drives the DB-backed service."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from core import clock
from core.errors import ConflictError, InvalidInputError, NotFoundError
from services import cases
from services.calendar import WorkCalendar
from services.cases.flow import ACTIONS

pytestmark = pytest.mark.db

TZ = clock.BEIJING
MONDAY = dt.datetime(2026, 11, 30, 9, 30, tzinfo=TZ)
CAL = WorkCalendar(overrides=[])


def _a_cell_point(session):
    """A point well inside a cell of the published plan, with its cell and community."""
    row = session.execute(
        text(
            """
            SELECT c.cell_code, c.community_code,
                   ST_X(ST_PointOnSurface(c.geom)) AS lon, ST_Y(ST_PointOnSurface(c.geom)) AS lat
            FROM grid_cells c JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published'
            ORDER BY c.cell_code LIMIT 1
            """
        )
    ).one()
    return row


def _intake(session, **kw):
    args = dict(
        session=session,
        category="public_facilities",
        kind="promised",
        channel="window",
        description="路灯不亮",
        received_by="王敏",
        received_at=MONDAY,
        calendar=CAL,
    )
    args.update(kw)
    return cases.intake(**args)


def test_intake_numbers_the_case_sets_its_deadline_and_finds_its_cell(demo_session):
    p = _a_cell_point(demo_session)
    rec = _intake(demo_session, lon=p.lon, lat=p.lat, citizen_name="张三")
    assert rec.case_no.startswith("LC20261130-")
    assert rec.state == "received" and rec.version == 1
    # 承诺件: 5 working days from Monday 30 Nov → Monday 7 Dec, same time of day
    assert rec.due_at == dt.datetime(2026, 12, 7, 9, 30, tzinfo=TZ)
    assert rec.cell_code == p.cell_code and rec.community_code == p.community_code
    events = cases.timeline(rec.case_no, session=demo_session)
    assert list(events["action"]) == ["receive"]
    assert events.iloc[0]["actor"] == "王敏" and events.iloc[0]["to_state"] == "received"


def test_two_intakes_on_one_day_get_consecutive_numbers(demo_session):
    a = _intake(demo_session)
    b = _intake(demo_session)
    assert int(b.case_no.split("-")[1]) == int(a.case_no.split("-")[1]) + 1


def test_intake_by_address_is_geocoded_into_a_cell(demo_session):
    row = demo_session.execute(
        text(
            "SELECT address, cell_code FROM households WHERE match_type = 'door_plate' "
            "AND cell_code IS NOT NULL ORDER BY id LIMIT 1"
        )
    ).one()
    rec = _intake(demo_session, address=row.address)
    assert rec.cell_code == row.cell_code


def test_immediate_case_closes_on_the_spot_with_its_note(demo_session):
    rec = _intake(demo_session, kind="immediate", close_on_the_spot_note="现场开具居住证明")
    assert rec.state == "closed" and rec.version == 2
    assert rec.snapshot.check_note == "现场开具居住证明"
    assert rec.due_at == dt.datetime(2026, 11, 30, 17, 30, tzinfo=TZ)


def test_the_whole_loop_with_escalation_and_an_audit_trail(demo_session):
    rec = _intake(demo_session)
    no = rec.case_no
    steps = [
        ("escalate", "", {"level": "community"}),
        ("escalate", "", {"level": "department", "department": "民政局"}),
        ("dispatch", "", {"to": "民政局"}),
        ("start", "", {}),
        ("handle", "已修复", {}),
        ("close", "现场核查：路灯已亮", {}),
        ("rate", "", {"satisfaction": "满意"}),
    ]
    version = rec.version
    for action, note, details in steps:
        rec = cases.act(
            session=demo_session,
            case_no=no,
            action=action,
            expected_version=version,
            actor="王敏",
            note=note,
            at=MONDAY + dt.timedelta(hours=1),
            **details,
        )
        version = rec.version
    assert rec.state == "rated" and rec.snapshot.escalation_level == "department"
    assert rec.snapshot.department == "民政局" and rec.called_back
    events = cases.timeline(no, session=demo_session)
    assert list(events["seq"]) == list(range(1, 9))
    assert list(events["action"]) == ["receive"] + [s[0] for s in steps]
    close = events[events["action"] == "close"].iloc[0]
    assert close["note"] == "现场核查：路灯已亮"
    esc = events[events["action"] == "escalate"].iloc[1]
    assert esc["details"]["to_level"] == "department" and esc["details"]["department"] == "民政局"


def test_illegal_transition_is_refused_with_a_clear_message_and_nothing_written(demo_session):
    rec = _intake(demo_session)
    with pytest.raises(InvalidInputError, match="不能核查结案.*当前可执行"):
        cases.act(
            session=demo_session,
            case_no=rec.case_no,
            action="close",
            expected_version=1,
            actor="王敏",
            note="x",
        )
    with pytest.raises(InvalidInputError, match="只有即办件"):
        cases.act(
            session=demo_session,
            case_no=rec.case_no,
            action="close_on_the_spot",
            expected_version=1,
            actor="王敏",
            note="x",
        )
    after = cases.get_case(rec.case_no, session=demo_session)
    assert after.state == "received" and after.version == 1
    assert len(cases.timeline(rec.case_no, session=demo_session)) == 1


def test_closing_without_a_check_note_is_refused(demo_session):
    rec = _intake(demo_session, kind="reply")
    rec = cases.act(
        session=demo_session,
        case_no=rec.case_no,
        action="handle",
        expected_version=1,
        actor="王敏",
    )
    with pytest.raises(InvalidInputError, match="核查情况"):
        cases.act(
            session=demo_session,
            case_no=rec.case_no,
            action="close",
            expected_version=rec.version,
            actor="王敏",
            note="  ",
        )
    assert cases.get_case(rec.case_no, session=demo_session).state == "handled"


def test_closing_with_the_previous_steps_note_is_refused_and_nothing_written(demo_session):
    """核查结案 needs its own note: the 处置反馈 note carried over (as the page's box used to
    do), or the same words with other spacing and punctuation, is refused by the service."""
    rec = _intake(demo_session, kind="reply")
    handled = "已联系供电所更换灯泡，当晚恢复照明。"
    rec = cases.act(
        session=demo_session,
        case_no=rec.case_no,
        action="handle",
        expected_version=1,
        actor="王敏",
        note=handled,
    )
    for copied in (handled, " 已联系供电所更换灯泡,当晚恢复照明 "):
        with pytest.raises(InvalidInputError, match="与上一步（处置反馈）的说明相同"):
            cases.act(
                session=demo_session,
                case_no=rec.case_no,
                action="close",
                expected_version=rec.version,
                actor="李核查",
                note=copied,
            )
    after = cases.get_case(rec.case_no, session=demo_session)
    assert after.state == "handled" and after.version == rec.version
    assert list(cases.timeline(rec.case_no, session=demo_session)["action"]) == [
        "receive",
        "handle",
    ]
    # its own note closes it, and the note is kept as the check note
    closed = cases.act(
        session=demo_session,
        case_no=rec.case_no,
        action="close",
        expected_version=rec.version,
        actor="李核查",
        note="现场核查：路灯已亮，居民确认",
    )
    assert closed.state == "closed"
    assert closed.snapshot.check_note == "现场核查：路灯已亮，居民确认"


def test_stale_version_gets_a_conflict_naming_who_and_when(demo_session):
    rec = _intake(demo_session)
    cases.act(
        session=demo_session,
        case_no=rec.case_no,
        action="dispatch",
        expected_version=1,
        actor="李娜",
        to="城管中队",
        at=dt.datetime(2026, 11, 30, 10, 5, tzinfo=TZ),
    )
    with pytest.raises(ConflictError) as err:
        cases.act(
            session=demo_session,
            case_no=rec.case_no,
            action="escalate",
            expected_version=1,
            actor="王敏",
        )
    message = str(err.value)
    assert "李娜" in message and "2026-11-30 10:05" in message and "第1版" in message
    assert cases.get_case(rec.case_no, session=demo_session).state == "dispatched"


def test_unknown_case_is_not_found(demo_session):
    with pytest.raises(NotFoundError):
        cases.act(
            session=demo_session,
            case_no="LC19990101-0001",
            action="dispatch",
            expected_version=1,
            actor="x",
            to="y",
        )


def test_possible_duplicates_within_50_m_same_category_open_recent(demo_session):
    p = _a_cell_point(demo_session)
    first = _intake(demo_session, lon=p.lon, lat=p.lat)
    # ~20 m east: a duplicate; another category: not; ~200 m: not
    near = cases.duplicates_at_intake(
        session=demo_session, lon=p.lon + 0.0002, lat=p.lat, category="public_facilities", at=MONDAY
    )
    assert first.case_no in near
    other = cases.duplicates_at_intake(
        session=demo_session, lon=p.lon + 0.0002, lat=p.lat, category="health", at=MONDAY
    )
    assert first.case_no not in other
    far = cases.duplicates_at_intake(
        session=demo_session, lon=p.lon + 0.002, lat=p.lat, category="public_facilities", at=MONDAY
    )
    assert first.case_no not in far
    second = _intake(demo_session, lon=p.lon + 0.0001, lat=p.lat)
    assert first.case_no in second.duplicates


def test_queue_puts_overdue_first_and_filters_by_community(demo_session):
    p = _a_cell_point(demo_session)
    old = _intake(
        demo_session,
        lon=p.lon,
        lat=p.lat,
        received_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ),
        received_by="测试员甲",
    )
    new = _intake(demo_session, lon=p.lon, lat=p.lat, received_by="测试员甲")
    q = cases.queue(session=demo_session, actor="测试员甲", at=MONDAY + dt.timedelta(hours=1))
    assert list(q["case_no"][:2]) == [old.case_no, new.case_no]
    assert bool(q.iloc[0]["overdue"]) and not bool(q.iloc[1]["overdue"])
    mine = cases.queue(session=demo_session, community_code=p.community_code, at=MONDAY)
    assert set(mine["case_no"]) >= {old.case_no, new.case_no}
    other = demo_session.execute(
        text("SELECT code FROM communities WHERE code <> :c LIMIT 1"), {"c": p.community_code}
    ).scalar()
    assert old.case_no not in set(
        cases.queue(session=demo_session, community_code=other)["case_no"]
    )


def test_convert_immediate_to_promised_recomputes_the_deadline(demo_session):
    rec = _intake(demo_session, kind="immediate")
    rec = cases.act(
        session=demo_session,
        case_no=rec.case_no,
        action="convert_to_promised",
        expected_version=1,
        actor="王敏",
        calendar=CAL,
    )
    assert rec.snapshot.kind == "promised"
    assert rec.due_at == dt.datetime(2026, 12, 7, 9, 30, tzinfo=TZ)


def test_attachments_are_kept_with_the_case(demo_session):
    import io

    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (8, 6), (0, 90, 0)).save(photo, "JPEG")  # a real JPEG: content is checked
    rec = _intake(
        demo_session,
        attachments=[cases.Attachment("现场.jpg", photo.getvalue(), "image/jpeg")],
    )
    files = cases.attachments_of(rec.case_no, session=demo_session)
    stored = demo_session.execute(
        text("SELECT length(content) FROM case_attachments WHERE id = :i"),
        {"i": int(files.iloc[0]["id"])},
    ).scalar_one()
    assert list(files["file_name"]) == ["现场.jpg"] and files.iloc[0]["size_bytes"] == stored


# ------------------------------------------------------------------------ two real sessions
def test_two_clerks_on_one_case_the_second_gets_a_conflict_and_the_first_is_kept(demo_db):
    """Two sessions (two connections) act on the same case at once: the first commits, the
    second — blocked on the row, then finding a new version — gets ConflictError and writes
    nothing."""
    from db.engine import session_scope

    with session_scope(demo_db) as s:
        no = _intake(s, description="并发测试：井盖缺失").case_no
    try:
        first_has_updated = threading.Event()
        release_first = threading.Event()
        errors: list[BaseException] = []

        def first() -> None:
            try:
                with session_scope(demo_db) as s1:
                    cases.act(
                        session=s1,
                        case_no=no,
                        action="dispatch",
                        expected_version=1,
                        actor="甲",
                        to="城管中队",
                    )
                    first_has_updated.set()
                    release_first.wait(10)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                first_has_updated.set()

        t = threading.Thread(target=first)
        t.start()
        assert first_has_updated.wait(10)
        # the second clerk read version 1 before the first committed
        with session_scope(demo_db) as s2:
            seen = cases.get_case(no, session=s2).version
        assert seen == 1
        threading.Timer(0.5, release_first.set).start()
        with pytest.raises(ConflictError, match="甲"):
            with session_scope(demo_db) as s2:
                cases.act(
                    session=s2,
                    case_no=no,
                    action="escalate",
                    expected_version=seen,
                    actor="乙",
                )
        t.join(10)
        assert not errors, errors
        with session_scope(demo_db) as s3:
            rec = cases.get_case(no, session=s3)
            events = cases.timeline(no, session=s3)
        assert rec.state == "dispatched" and rec.version == 2
        assert list(events["actor"]) == ["王敏", "甲"]
    finally:
        with session_scope(demo_db) as s:
            s.execute(text("DELETE FROM cases WHERE case_no = :n"), {"n": no})


def test_the_guarded_update_itself_refuses_a_version_changed_underneath(demo_db):
    """Even when the read saw the right version, the UPDATE … AND version = :expected is what
    stops a lost update: simulate a change committed between read and write."""
    from db.engine import session_scope
    from services.cases import steps

    with session_scope(demo_db) as s:
        no = _intake(s, description="并发测试：路面塌陷").case_no
    try:
        real_get = steps.get_case
        calls = {"n": 0}

        def get_then_someone_writes(case_no, *, session):  # noqa: ANN001
            rec = real_get(case_no, session=session)
            calls["n"] += 1
            if calls["n"] == 1:
                with session_scope(demo_db) as other:
                    cases.act(
                        session=other,
                        case_no=case_no,
                        action="dispatch",
                        expected_version=1,
                        actor="丙",
                        to="城管中队",
                    )
            return rec

        steps.get_case = get_then_someone_writes  # type: ignore[assignment]
        try:
            with pytest.raises(ConflictError, match="丙"):
                with session_scope(demo_db) as s2:
                    cases.act(
                        session=s2,
                        case_no=no,
                        action="escalate",
                        expected_version=1,
                        actor="丁",
                    )
        finally:
            steps.get_case = real_get  # type: ignore[assignment]
        with session_scope(demo_db) as s3:
            assert cases.get_case(no, session=s3).state == "dispatched"
            assert list(cases.timeline(no, session=s3)["actor"]) == ["王敏", "丙"]
    finally:
        with session_scope(demo_db) as s:
            s.execute(text("DELETE FROM cases WHERE case_no = :n"), {"n": no})


# ------------------------------------------------------------------------ property test
_DETAILS = {
    "dispatch": {"to": "城管中队"},
    "rate": {"satisfaction": "满意"},
}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["immediate", "promised", "joint", "reply"]),
    picks=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=12),
    stale=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_random_action_sequences_keep_the_database_consistent(demo_session, kind, picks, stale):
    """Drive the DB-backed service with random actions (legal or not, fresh or stale): every
    accepted action adds exactly one event, every refused one adds none; the row and its
    events agree; every closed case has its check note."""
    nested = demo_session.begin_nested()
    try:
        rec = _intake(demo_session, kind=kind)
        no, version, n_events = rec.case_no, rec.version, 1
        for i, pick in enumerate(picks):
            action = list(ACTIONS)[pick % len(ACTIONS)]
            expected = version - 1 if stale[i] and version > 1 else version
            try:
                rec = cases.act(
                    session=demo_session,
                    case_no=no,
                    action=action,
                    expected_version=expected,
                    actor="测试",
                    note="核查：已处理" if pick % 3 else "",
                    at=MONDAY + dt.timedelta(minutes=i + 1),
                    calendar=CAL,
                    **_DETAILS.get(action, {}),
                )
            except ConflictError:
                assert expected != version
                continue
            except InvalidInputError:
                continue
            assert expected == version
            version, n_events = rec.version, n_events + 1
        events = cases.timeline(no, session=demo_session)
        assert len(events) == n_events == version
        assert list(events["seq"]) == list(range(1, n_events + 1))
        final = cases.get_case(no, session=demo_session)
        assert final.state == events.iloc[-1]["to_state"]
        for a, b in zip(events["to_state"][:-1], events["from_state"][1:], strict=True):
            assert a == b
        if final.state in ("closed", "rated"):
            assert final.snapshot.check_note and final.snapshot.closed_at is not None
            closes = events[events["action"].isin(["close", "close_on_the_spot"])]
            assert closes.iloc[-1]["note"]
        assert final.snapshot.rework_count == int((events["action"] == "reopen").sum())
    finally:
        nested.rollback()
