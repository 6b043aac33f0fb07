"""The case state machine: every action, its refusals, deadlines, numbering, duplicates, and a
property test that drives random action sequences through it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as st

from core.errors import ConflictError, InvalidInputError
from core.vocab import (
    CASE_KINDS,
    CASE_STATES,
    CASE_TRANSITIONS,
    DONE_STATES,
    ESCALATION_LEVELS,
    SATISFACTION,
    SERVICE_CATEGORIES,
)
from services.calendar import WorkCalendar
from services.cases import flow
from services.cases.deadlines import case_number, due_at_for
from services.cases.duplicates import possible_duplicates
from services.cases.flow import (
    ACTIONS,
    CaseEvent,
    CaseSnapshot,
    allowed_actions,
    check_version,
    is_overdue,
    new_case,
    transition,
)

T = dt.datetime
RECEIVED = T(2026, 11, 30, 9, 0)


@pytest.fixture(scope="module")
def cal(tmp_path_factory: pytest.TempPathFactory) -> WorkCalendar:
    path: Path = tmp_path_factory.mktemp("cal") / "o.csv"
    path.write_text("date,kind,name\n", encoding="utf-8")
    return WorkCalendar(path)


def make(kind: str = "promised", state: str = "received", **kw: object) -> CaseSnapshot:
    base: dict[str, Any] = {
        "case_no": "LC20261130-0007",
        "kind": kind,
        "category": "minimum_allowance",
        "received_at": RECEIVED,
        "due_at": T(2026, 12, 7, 9, 0),
        "state": state,
    }
    base.update(kw)
    return CaseSnapshot(**base)  # type: ignore[arg-type]


def step(case: CaseSnapshot, action: str, note: str = "", **details: Any) -> CaseSnapshot:
    new, _ = transition(case, action, actor="王敏", at=RECEIVED + dt.timedelta(hours=1),
                        note=note, **details)  # fmt: skip
    return new


# ------------------------------------------------------------------------- the loop
def test_full_loop_records_who_when_what(cal: WorkCalendar) -> None:
    case = new_case("LC20261130-0007", "promised", "minimum_allowance", RECEIVED, calendar=cal)
    assert (case.state, case.version, case.due_at) == ("received", 1, T(2026, 12, 7, 9, 0))
    events: list[CaseEvent] = []
    plan: list[tuple[str, str, dict[str, Any]]] = [
        ("dispatch", "", {"to": "大北社区网格长梁龙芳"}),
        ("start", "", {}),
        ("handle", "已协调民政办理", {}),
        ("close", "现场核查：已落实低保", {}),
        ("rate", "", {"satisfaction": "satisfied"}),
    ]
    for hour, (action, note, details) in enumerate(plan, start=1):
        case, event = transition(
            case, action, actor="王敏", at=RECEIVED + dt.timedelta(hours=hour), note=note, **details
        )
        events.append(event)
    assert case.state == "rated"
    assert case.version == 6
    assert case.assignee == "大北社区网格长梁龙芳"
    assert case.closed_at == RECEIVED + dt.timedelta(hours=4)
    assert case.check_note == "现场核查：已落实低保"
    assert case.satisfaction == "satisfied"
    assert [(e.from_state, e.to_state) for e in events] == [
        ("received", "dispatched"),
        ("dispatched", "in_progress"),
        ("in_progress", "handled"),
        ("handled", "closed"),
        ("closed", "rated"),
    ]
    assert events[0].details == {"to": "大北社区网格长梁龙芳"}
    assert events[4].details == {"satisfaction": "satisfied"}
    assert all(e.actor == "王敏" and e.case_no == case.case_no for e in events)


def test_close_requires_the_check_note() -> None:
    case = make(state="handled")
    with pytest.raises(InvalidInputError, match="结案必须填写核查情况"):
        step(case, "close")
    with pytest.raises(InvalidInputError, match="结案必须填写核查情况"):
        step(case, "close", note="   ")


def test_a_required_note_is_the_steps_own_not_the_previous_steps() -> None:
    handled = step(make(state="in_progress"), "handle", note="已更换灯泡")
    assert handled.last_action == "handle" and handled.last_note == "已更换灯泡"
    for copied in ("已更换灯泡", "已更换灯泡。", " 已更换灯泡 "):
        with pytest.raises(InvalidInputError, match="与上一步（处置反馈）的说明相同"):
            step(handled, "close", note=copied)
    closed = step(handled, "close", note="核查：灯已亮")
    assert closed.check_note == closed.last_note == "核查：灯已亮"
    # a reason for 重办 may not repeat the check note either
    with pytest.raises(InvalidInputError, match="上一步（核查结案）"):
        step(closed, "reopen", note="核查：灯已亮")


def test_illegal_transition_names_case_state_and_allowed_actions() -> None:
    case = make(state="received")
    with pytest.raises(InvalidInputError) as info:
        step(case, "close", note="核查完毕")
    message = str(info.value)
    assert "LC20261130-0007" in message
    assert "已受理" in message
    assert "派遣" in message and "上报" in message and "处置反馈" in message
    assert "核查结案" in message  # the refused action is named


def test_rating_twice_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="已评价"):
        step(make(state="rated", satisfaction="satisfied"), "rate", satisfaction="satisfied")


def test_unknown_action_and_detail_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="未知操作"):
        step(make(), "archive")
    with pytest.raises(InvalidInputError, match="satisfation"):
        step(make(state="closed"), "rate", satisfation="satisfied")


def test_actor_and_time_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="操作人"):
        transition(make(), "dispatch", actor=" ", at=RECEIVED, to="x")
    with pytest.raises(InvalidInputError, match="早于受理时间"):
        transition(make(), "dispatch", actor="王敏", at=RECEIVED - dt.timedelta(1), to="x")
    aware = RECEIVED.replace(tzinfo=dt.UTC)
    with pytest.raises(InvalidInputError, match="时区"):
        transition(make(), "dispatch", actor="王敏", at=aware, to="x")


def test_dispatch_needs_a_target() -> None:
    with pytest.raises(InvalidInputError, match="派遣必须指定"):
        step(make(), "dispatch")


def test_return_needs_a_reason_and_can_be_redispatched() -> None:
    case = step(make(), "dispatch", to="城管执法中队")
    with pytest.raises(InvalidInputError, match="退回必须说明理由"):
        step(case, "return_case")
    case = step(case, "return_case", note="不属于本部门职责")
    assert case.state == "returned"
    assert step(case, "dispatch", to="住建局").state == "dispatched"


def test_rate_accepts_keys_and_labels_only() -> None:
    closed = make(state="closed", closed_at=RECEIVED)
    assert step(closed, "rate", satisfaction="基本满意").satisfaction == "basically_satisfied"
    with pytest.raises(InvalidInputError, match="满意度"):
        step(closed, "rate", satisfaction="great")
    with pytest.raises(InvalidInputError, match="满意度"):
        step(closed, "rate")


def test_unsatisfied_rating_then_reopen_counts_a_rework() -> None:
    case = make(state="closed", closed_at=RECEIVED, check_note="核查")
    case = step(case, "rate", satisfaction="unsatisfied")
    with pytest.raises(InvalidInputError, match="重办必须说明原因"):
        step(case, "reopen")
    case = step(case, "reopen", note="群众反映问题未解决")
    assert (case.state, case.rework_count, case.closed_at, case.satisfaction) == (
        "reopened",
        1,
        None,
        None,
    )
    case = step(step(step(case, "start"), "handle"), "close", note="二次核查已解决")
    assert case.state == "closed" and case.rework_count == 1


def test_escalation_chain_of_the_article() -> None:
    """§19: grid leader → community → sub-district → civil-affairs department."""
    case = make(category="minimum_allowance")
    case = step(case, "escalate", note="困难户无力安葬")
    assert (case.state, case.escalation_level) == ("escalated", "community")
    case = step(case, "escalate", level="subdistrict", note="报办事处党委")
    assert case.escalation_level == "subdistrict"
    with pytest.raises(InvalidInputError, match="必须写明部门名称"):
        step(case, "escalate", level="department")
    case, event = transition(
        case,
        "escalate",
        actor="办事处主任",
        at=RECEIVED + dt.timedelta(hours=3),
        level="department",
        department="区民政局",
    )
    assert (case.escalation_level, case.department) == ("department", "区民政局")
    assert event.details == {
        "from_level": "subdistrict",
        "to_level": "department",
        "department": "区民政局",
    }
    assert "escalate" not in allowed_actions(case)
    with pytest.raises(InvalidInputError, match="不能再上报"):
        step(case, "escalate")
    assert step(case, "dispatch", to="区民政局").state == "dispatched"


def test_escalation_only_goes_up() -> None:
    case = make(escalation_level="subdistrict")
    with pytest.raises(InvalidInputError, match="只能向上报送"):
        step(case, "escalate", level="community")
    with pytest.raises(InvalidInputError, match="上报层级"):
        step(case, "escalate", level="province")
    assert step(case, "escalate", level="职能部门", department="区民政局").escalation_level == (
        "department"
    )


def test_close_on_the_spot_is_for_immediate_cases_only() -> None:
    with pytest.raises(InvalidInputError, match="只有即办件"):
        step(make(kind="promised"), "close_on_the_spot", note="已答复")
    with pytest.raises(InvalidInputError, match="当场办结必须填写"):
        step(make(kind="immediate"), "close_on_the_spot")
    case = step(make(kind="immediate"), "close_on_the_spot", note="当场开具证明")
    assert (case.state, case.check_note) == ("closed", "当场开具证明")


def test_convert_to_promised_recomputes_the_deadline(cal: WorkCalendar) -> None:
    received = T(2026, 9, 30, 10, 0)
    case = new_case("LC20260930-0001", "immediate", "social_security", received, calendar=cal)
    assert case.due_at == T(2026, 9, 30, 17, 30)  # 即办件: same working day
    with pytest.raises(InvalidInputError, match="工作日历"):
        transition(case, "convert_to_promised", actor="王敏", at=received)
    new, event = transition(case, "convert_to_promised", actor="王敏", at=received, calendar=cal)
    assert (new.kind, new.state, new.due_at) == ("promised", "received", T(2026, 10, 13, 10, 0))
    assert event.from_state == event.to_state == "received"
    assert event.details["from_kind"] == "immediate"
    assert event.details["due_at"] == "2026-10-13T10:00:00"
    new, _ = transition(
        case, "convert_to_promised", actor="王敏", at=received, calendar=cal, working_days=2
    )
    assert new.due_at == T(2026, 10, 9, 10, 0)
    with pytest.raises(InvalidInputError, match="只有即办件"):
        transition(new, "convert_to_promised", actor="王敏", at=received, calendar=cal)


def test_snapshot_refuses_unknown_values() -> None:
    with pytest.raises(InvalidInputError, match="类型"):
        make(kind="urgent")
    with pytest.raises(InvalidInputError, match="类别"):
        make(category="roads")
    with pytest.raises(InvalidInputError, match="状态"):
        make(state="done")


# ------------------------------------------------------------------------- concurrency
def test_transition_bumps_the_version_and_check_version_refuses_stale_writes() -> None:
    case = make(version=3)
    assert step(case, "dispatch", to="x").version == 4
    check_version(3, 3, case.case_no)
    with pytest.raises(ConflictError, match="案件 LC20261130-0007 已被他人修改.*请刷新后重试"):
        check_version(3, 4, case.case_no)


# ------------------------------------------------------------------------- deadlines
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("immediate", T(2026, 9, 30, 17, 30)),
        ("reply", T(2026, 10, 10, 10, 0)),  # Oct 8, 9, Sat 10 (make-up)
        ("promised", T(2026, 10, 13, 10, 0)),
        ("joint", T(2026, 10, 20, 10, 0)),
    ],
)
def test_default_deadlines_by_kind(cal: WorkCalendar, kind: str, expected: dt.datetime) -> None:
    assert due_at_for(kind, "health", T(2026, 9, 30, 10, 0), calendar=cal) == expected


def test_immediate_received_after_hours_is_due_next_working_day(cal: WorkCalendar) -> None:
    due = due_at_for("immediate", "health", T(2026, 9, 30, 18, 0), calendar=cal)
    assert due == T(2026, 10, 8, 17, 30)


def test_local_rules_override_the_defaults(cal: WorkCalendar) -> None:
    rules = {"dispute": 10, ("promised", "public_facilities"): "5h", "reply": "1d"}
    at = T(2026, 11, 30, 9, 0)
    assert due_at_for("promised", "dispute", at, calendar=cal, rules=rules) == T(2026, 12, 14, 9, 0)
    assert due_at_for("promised", "public_facilities", at, calendar=cal, rules=rules) == T(
        2026, 11, 30, 16, 30
    )
    assert due_at_for("joint", "public_facilities", at, calendar=cal, rules=rules) == T(
        2026, 12, 14, 9, 0
    )
    assert due_at_for("reply", "health", at, calendar=cal, rules=rules) == T(2026, 12, 1, 9, 0)
    for bad in ("soon", "-2", "1.5d", True):
        with pytest.raises(InvalidInputError, match="时限"):
            due_at_for("promised", "health", at, calendar=cal, rules={"health": bad})
    with pytest.raises(InvalidInputError, match="案件类型"):
        due_at_for("urgent", "health", at, calendar=cal)


def test_deadline_into_2027_can_be_warned_about(cal: WorkCalendar) -> None:
    due = due_at_for("joint", "health", T(2026, 12, 24, 9, 0), calendar=cal)
    assert due.year == 2027
    assert cal.coverage_warning(due) is not None


def test_is_overdue() -> None:
    case = make(due_at=T(2026, 12, 7, 9, 0))
    assert not is_overdue(case, T(2026, 12, 7, 9, 0))
    assert is_overdue(case, T(2026, 12, 7, 9, 1))
    assert not is_overdue(make(state="closed", closed_at=T(2026, 12, 9)), T(2026, 12, 10))
    assert not is_overdue(make(due_at=None), T(2030, 1, 1))


# ------------------------------------------------------------------------- numbering
def test_case_number_format() -> None:
    assert case_number(T(2026, 11, 30, 9), 7) == "LC20261130-0007"
    assert case_number(dt.date(2027, 1, 4), 12345) == "LC20270104-12345"
    for bad in (0, -1, 1.0, True):
        with pytest.raises(InvalidInputError, match="序号"):
            case_number(T(2026, 11, 30), bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- duplicates
def test_possible_duplicates() -> None:
    now = T(2026, 11, 30, 12)
    df = pd.DataFrame(
        {
            "case_no": ["near", "nearer", "far", "other_cat", "old", "closed", "nowhere"],
            "category": ["public_facilities"] * 3 + ["health"] + ["public_facilities"] * 3,
            "x_m": [40.0, 3.0, 60.0, 1.0, 1.0, 1.0, None],
            "y_m": [0.0, 4.0, 0.0, 0.0, 0.0, 0.0, None],
            "received_at": [now - dt.timedelta(days=d) for d in (1, 2, 1, 1, 45, 1, 1)],
            "state": ["received", "dispatched", "received", "received", "received", "closed",
                      "received"],
        }
    )  # fmt: skip
    assert possible_duplicates((0, 0), "public_facilities", df, now=now) == ["nearer", "near"]
    assert possible_duplicates((0, 0), "public_facilities", df, now=now, radius_m=100) == [
        "nearer",
        "near",
        "far",
    ]
    assert possible_duplicates((0, 0), "public_facilities", df, now=now, days=60) == [
        "old",
        "nearer",
        "near",
    ]
    assert possible_duplicates((0, 0), "public_facilities", df.iloc[:0], now=now) == []
    with pytest.raises(InvalidInputError, match="x_m"):
        possible_duplicates((0, 0), "health", df.drop(columns="x_m"), now=now)


# ------------------------------------------------------------------------- the table itself
def test_every_action_edge_is_a_legal_transition_and_every_edge_is_reachable() -> None:
    used: set[tuple[str, str]] = set()
    for action, (sources, target) in flow._RULES.items():
        assert action in ACTIONS
        for source in sources:
            if target is not None:
                assert target in CASE_TRANSITIONS[source], (action, source, target)
                used.add((source, target))
    every_edge = {(s, t) for s, targets in CASE_TRANSITIONS.items() for t in targets}
    assert every_edge == used
    assert set(CASE_TRANSITIONS) == set(CASE_STATES)


# ------------------------------------------------------------------------- property test
def _details_for(action: str, draw: st.DrawFn) -> dict[str, Any]:
    if action == "dispatch":
        return {"to": draw(st.sampled_from(["网格长梁龙芳", "区民政局", ""]))}
    if action == "rate":
        return {"satisfaction": draw(st.sampled_from([*SATISFACTION, "bad"]))}
    if action == "escalate":
        return {
            "level": draw(st.sampled_from([None, *ESCALATION_LEVELS])),
            "department": draw(st.sampled_from([None, "区民政局"])),
        }
    return {}


@st.composite
def histories(draw: st.DrawFn) -> tuple[CaseSnapshot, list[tuple[str, str, dict[str, Any]]]]:
    case = CaseSnapshot(
        case_no="LC20261130-0001",
        kind=draw(st.sampled_from(list(CASE_KINDS))),
        category=draw(st.sampled_from(list(SERVICE_CATEGORIES))),
        received_at=RECEIVED,
        due_at=RECEIVED + dt.timedelta(days=draw(st.integers(0, 20))),
    )
    steps = []
    for _ in range(draw(st.integers(0, 40))):
        action = draw(st.sampled_from(list(ACTIONS)))
        note = draw(st.sampled_from(["", "核查：已处理", "理由"]))
        steps.append((action, note, _details_for(action, draw)))
    return case, steps


def run(
    case: CaseSnapshot, steps: list[tuple[str, str, dict[str, Any]]], cal: WorkCalendar
) -> tuple[CaseSnapshot, list[CaseEvent]]:
    events: list[CaseEvent] = []
    for i, (action, note, details) in enumerate(steps):
        at = RECEIVED + dt.timedelta(hours=i)
        try:
            new, event = transition(
                case, action, actor="测试员", at=at, note=note, calendar=cal, **details
            )
        except InvalidInputError:
            continue
        assert new.version == case.version + 1
        assert event.from_state == case.state and event.to_state == new.state
        case = new
        events.append(event)
    return case, events


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_random_action_sequences_keep_the_invariants(
    history: tuple[CaseSnapshot, list[tuple[str, str, dict[str, Any]]]], cal: WorkCalendar
) -> None:
    start, steps = history
    case, events = run(start, steps, cal)
    note_event(f"final state: {case.state}")  # shown by --hypothesis-show-statistics
    note_event(f"reworked: {case.rework_count > 0}")
    assert case.state in CASE_STATES
    assert case.version == 1 + len(events)
    levels = list(ESCALATION_LEVELS)
    level = levels.index(start.escalation_level)
    for event in events:
        assert event.from_state in CASE_STATES and event.to_state in CASE_STATES
        if event.action == "convert_to_promised":  # changes the kind, not the state
            assert event.from_state == event.to_state
        else:
            assert event.to_state in CASE_TRANSITIONS[event.from_state]
        if event.action == "escalate":
            new_level = levels.index(event.details["to_level"])
            assert new_level > level
            level = new_level
            if event.details["to_level"] == "department":
                assert event.details["department"]
        if event.action in ("close", "close_on_the_spot"):
            assert event.note.strip()
    assert levels.index(case.escalation_level) == level
    assert case.rework_count == sum(e.action == "reopen" for e in events)
    if case.state in DONE_STATES:
        last_close = [e for e in events if e.to_state == "closed"][-1]
        assert last_close.note.strip()
        assert case.check_note == last_close.note
        assert case.closed_at == last_close.at
        assert not any(e.action == "reopen" for e in events[events.index(last_close) :])
    else:
        assert case.closed_at is None
    if case.kind == "immediate":
        assert not any(e.action == "convert_to_promised" for e in events)
    assert set(allowed_actions(case)) <= set(ACTIONS)
