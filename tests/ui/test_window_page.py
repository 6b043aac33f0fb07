"""The window (窗口受理) and queue (我的待办) pages under AppTest, against the demo database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from core import clock
from tests.conftest import ROOT

pytestmark = pytest.mark.ui

WINDOW = str(ROOT / "app_pages" / "window.py")
QUEUE = str(ROOT / "app_pages" / "case_queue.py")
STATS = str(ROOT / "app_pages" / "case_stats.py")
VISIT = str(ROOT / "app_pages" / "visit_day.py")
CALLBACK = str(ROOT / "app_pages" / "callback_day.py")


def _delete_case(db_url: str, case_no: str) -> None:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        s.execute(text("DELETE FROM cases WHERE case_no = :n"), {"n": case_no})


@pytest.fixture
def clerk(demo_db):
    """A logged-in centre clerk (pages run as the user, under row-level security)."""
    from tests.logins import login

    with login(demo_db, role="clerk") as actor:
        yield actor


def _page(path: str, actor) -> AppTest:  # noqa: ANN001
    from tests.logins import as_actor

    return as_actor(AppTest.from_file(path, default_timeout=60), actor)


def _text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [h.value for h in at.subheader])


def test_choosing_a_service_item_tells_the_materials_at_once(demo_db, clerk):
    at = _page(WINDOW, clerk).run()
    assert not at.exception, at.exception
    at.selectbox(key="window_item").set_value("civil_affairs").run()
    body = _text(at)
    assert "一次性告知" in body and "家庭收入及财产情况说明" in body
    assert at.selectbox(key="window_category_civil_affairs").value == "minimum_allowance"


def test_intake_shows_a_receipt_with_number_and_deadline(demo_db, clerk):
    at = _page(WINDOW, clerk).run()
    at.text_input(key="window_citizen").input("赵大爷")
    at.text_input(key="window_phone").input("13912345678")
    at.text_area(key="window_desc").input("咨询高龄补贴怎么申请（AppTest）")
    at.radio(key="window_kind").set_value("reply")
    submit = [b for b in at.button if b.label == "受理并出具回执"][0]
    submit.click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    body = _text(at)
    assert "受理回执" in "\n".join(h.value for h in at.subheader)
    case_no = at.session_state["window_receipt"]["case_no"]
    try:
        assert case_no in body and "办理时限" in body and "答复件" in body
        # the queue finds it; the timeline shows the intake
        q = _page(QUEUE, clerk)
        q.session_state["queue_open"] = case_no
        q.run()
        assert not q.exception, q.exception
        assert case_no in _text(q)
        timeline = q.dataframe[-1].value
        assert list(timeline["action_label"]) == ["受理"]
    finally:
        _delete_case(demo_db, case_no)


def test_receipt_names_number_time_kind_deadline_missing_materials_and_phone(demo_db, clerk):
    """The receipt (on screen and printable) carries everything the citizen needs: the case
    number, when it was received (2026年…日 HH:MM), the kind, the promised deadline, the
    materials still missing, and the service point's phone marked 示例 in the demo."""
    from services import cases

    at = _page(WINDOW, clerk).run()
    at.selectbox(key="window_item").set_value("civil_affairs").run()
    materials = cases.materials_for("minimum_allowance", service_item="civil_affairs")
    brought_key = "window_brought_civil_affairs_minimum_allowance"
    at.multiselect(key=brought_key).set_value(materials[:1])
    at.text_input(key="window_citizen").input("孙阿姨")
    at.text_area(key="window_desc").input("申请低保（AppTest 回执）")
    at.radio(key="window_kind").set_value("immediate")
    [b for b in at.button if b.label == "受理并出具回执"][0].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    receipt = at.session_state["window_receipt"]
    case_no = receipt["case_no"]
    try:
        # what the clerk reads: the Markdown source without its escapes (``\-``, ``\:``)
        body = (_text(at) + "\n".join(c.value for c in at.caption)).replace("\\", "")
        received = clock.now()
        today = f"{received.year}年{received.month}月{received.day}日"
        rows = dict(receipt["rows"])
        assert rows["案件编号"] == case_no and f"**案件编号**：{case_no}" in body
        assert re.fullmatch(rf"{today} \d{{2}}:\d{{2}}", rows["受理时间"]), rows["受理时间"]
        assert rows["办件类型"] == "即办件" and "即办件" in body
        assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}前", rows["办理时限"])
        assert rows["咨询电话"].endswith("（示例）") and "（示例）" in body
        assert f"尚缺材料 {len(materials) - 1} 项" in body
        for m in materials[1:]:
            assert m in body
        assert materials[0] not in body.split("尚缺材料")[1]
        assert f"凭案件编号 {case_no} 拨打" in body
        # the printable page (the download) carries the same in its body, not only in <title>
        from app_pages.receipts import receipt_html

        printable = receipt_html(receipt)
        page_body = printable.split("<body>", 1)[1]
        for text_ in (case_no, rows["受理时间"], "即办件", rows["办理时限"], "（示例）"):
            assert text_ in page_body, text_
        assert "@media print" in printable and "window.print()" in printable
    finally:
        _delete_case(demo_db, case_no)


def test_locating_and_the_duplicate_check_run_once_per_case_even_after_a_warning(
    demo_db, clerk, monkeypatch
):
    """The page shows where the case is and its possible duplicates; intake reuses both (the
    geocoder and the 50 m search run once per case, also when the clerk confirms a warning)."""
    from db.engine import session_scope
    from services.cases import intakes

    with session_scope(demo_db) as s:
        address = s.execute(
            text(
                "SELECT address FROM households WHERE match_type = 'door_plate' "
                "AND cell_code IS NOT NULL ORDER BY id LIMIT 1"
            )
        ).scalar_one()
    calls = {"locate": 0, "duplicates": 0}
    real_locate, real_duplicates = intakes.locate, intakes.duplicates_at_intake

    def counted_locate(**kw):  # noqa: ANN003, ANN202
        calls["locate"] += 1
        return real_locate(**kw)

    def counted_duplicates(**kw):  # noqa: ANN003, ANN202
        calls["duplicates"] += 1
        return real_duplicates(**kw)

    monkeypatch.setattr(intakes, "locate", counted_locate)
    monkeypatch.setattr(intakes, "duplicates_at_intake", counted_duplicates)
    made: list[str] = []
    try:
        for turn in (1, 2):
            at = _page(WINDOW, clerk).run()
            at.text_input(key="window_addr").input(address)
            at.text_area(key="window_desc").input(f"路灯不亮（AppTest 第{turn}件）")
            [b for b in at.button if b.label == "受理并出具回执"][0].click().run()
            assert not at.exception, at.exception
            if turn == 2:  # the same place and category: the first case is a possible duplicate
                assert "window_pending" in at.session_state
                assert made[0] in at.session_state["window_pending"]["duplicates"]
                at.button(key="window_dup_ok").click().run()
                assert not at.exception, at.exception
            made.append(at.session_state["window_receipt"]["case_no"])
            assert calls == {"locate": turn, "duplicates": turn}
        with session_scope(demo_db) as s:
            from services import cases

            second = cases.get_case(made[1], session=s)
        assert second.cell_code is not None
        assert at.session_state["window_receipt"]["duplicates"] == [made[0]]
    finally:
        for case_no in made:
            _delete_case(demo_db, case_no)


def test_empty_description_is_refused_with_a_message(demo_db, clerk):
    at = _page(WINDOW, clerk).run()
    [b for b in at.button if b.label == "受理并出具回执"][0].click().run()
    assert not at.exception
    assert any("诉求内容" in e.value for e in at.error)
    assert "window_receipt" not in at.session_state


def test_queue_marks_overdue_with_a_text_label_and_acts_with_conflict_message(demo_db, clerk):
    from db.engine import session_scope
    from services import cases

    with session_scope(demo_db) as s:
        rec = cases.intake(
            session=s,
            category="public_facilities",
            kind="promised",
            channel="window",
            description="AppTest：超期的井盖",
            received_by="AppTest",
            received_at=clock.now().replace(year=2026, month=10, day=8, hour=9),
        )
    try:
        import streamlit as st

        st.cache_data.clear()  # the queue is cached for 30 s; this case was added behind it
        at = _page(QUEUE, clerk)
        at.session_state["queue_open"] = rec.case_no
        at.run()
        assert not at.exception, at.exception
        table = at.dataframe[0].value
        row = table[table["case_no"] == rec.case_no]
        assert len(row) == 1 and "超期" in str(row.iloc[0]["overdue_label"])
        assert "已超期" in _text(at)
        at.selectbox(key=f"queue_action_{rec.case_no}").set_value("escalate")
        at.run()
        # someone else dispatches it between this screen and the click
        with session_scope(demo_db) as s:
            cases.act(
                session=s,
                case_no=rec.case_no,
                action="dispatch",
                expected_version=1,
                actor="另一位窗口人员",
                to="城管中队",
            )
        [b for b in at.button if b.label == "提交"][0].click().run()
        assert not at.exception, at.exception
        errors = [e.value for e in at.error]
        assert any("另一位窗口人员" in e and "请刷新" in e for e in errors), errors
        with session_scope(demo_db) as s:
            assert cases.get_case(rec.case_no, session=s).state == "dispatched"
    finally:
        _delete_case(demo_db, rec.case_no)


def test_the_note_box_is_empty_at_each_new_step(demo_db, clerk):
    """处置反馈 with a note, then 核查结案: the 说明 box is empty, not the feedback's text;
    submitting it empty is refused with the message (nothing written)."""
    from db.engine import session_scope
    from services import cases

    with session_scope(demo_db) as s:
        rec = cases.intake(
            session=s,
            category="public_facilities",
            kind="reply",
            channel="window",
            description="AppTest：说明框",
            received_by="AppTest",
        )
    try:
        import streamlit as st

        st.cache_data.clear()
        at = _page(QUEUE, clerk)
        at.session_state["queue_open"] = rec.case_no
        at.run()
        assert not at.exception, at.exception
        at.selectbox(key=f"queue_action_{rec.case_no}").set_value("handle").run()
        note_boxes = [t for t in at.text_area if t.key and t.key.startswith("queue_note_")]
        assert len(note_boxes) == 1
        note_boxes[0].input("已联系供电所更换灯泡")
        [b for b in at.button if b.label == "提交"][0].click().run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
        at.selectbox(key=f"queue_action_{rec.case_no}").set_value("close").run()
        boxes = [t for t in at.text_area if t.key and t.key.startswith("queue_note_")]
        assert [b.value for b in boxes] == [""], [b.value for b in boxes]
        [b for b in at.button if b.label == "提交"][0].click().run()
        assert any("核查情况" in e.value for e in at.error), [e.value for e in at.error]
        with session_scope(demo_db) as s:
            assert cases.get_case(rec.case_no, session=s).state == "handled"
    finally:
        _delete_case(demo_db, rec.case_no)


def test_stats_page_shows_each_rate_with_numerator_and_denominator(demo_db):
    from tests.logins import login

    with login(demo_db, role="leader") as leader:
        at = _page(STATS, leader).run()
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["办结率", "按期办结率", "满意率", "返工率"]
    captions = "\n".join(c.value for c in at.caption)
    assert "应办结" in captions and "已评价" in captions and "本期办结" in captions


def test_visit_and_callback_pages_render_for_a_grid_leader(demo_db):
    from tests.logins import login

    with session_scope_(demo_db) as s:
        staff_no = s.execute(
            text("SELECT staff_no FROM staff WHERE role = 'grid_leader' ORDER BY id LIMIT 1")
        ).scalar()
    with login(demo_db, role="grid_leader", staff_no=staff_no) as leader:
        visit = _page(VISIT, leader).run()
        callback = _page(CALLBACK, leader).run()
    for at in (visit, callback):
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
    # the grid leader's own list, special-group households first, name and address first
    assert "重点人群" in "\n".join(c.value for c in visit.caption)
    assert any("1. " in m.value for m in visit.markdown)


def session_scope_(url: str):  # noqa: ANN201
    from db.engine import session_scope

    return session_scope(url)
