"""The router's error boundary and the Chinese shim (app_pages/shim.py)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.ui


def _failing_page() -> None:
    import streamlit as st

    from app_pages.shim import run_page

    class Page:
        title = "坏页面"

        def run(self) -> None:
            st.write("页面开头")
            raise KeyError("身份证号 610902199001011234")  # a detail that must not be shown

    run_page(Page())


def _rerunning_page() -> None:
    import streamlit as st

    from app_pages.shim import run_page

    class Page:
        title = "重跑"

        def run(self) -> None:
            st.session_state["runs"] = st.session_state.get("runs", 0) + 1
            if st.session_state["runs"] == 1:
                st.rerun()
            st.write(f"第 {st.session_state['runs']} 次")

    run_page(Page())


def test_an_exception_in_a_page_becomes_a_chinese_message_without_its_details(caplog):
    at = AppTest.from_function(_failing_page).run(timeout=30)
    assert not at.exception, "Streamlit's own exception box was shown"
    assert len(at.error) == 1
    message = at.error[0].value
    assert "意外错误" in message and "事件号" in message
    assert "610902199001011234" not in message and "KeyError" not in message
    assert any("610902199001011234" in r.getMessage() or r.exc_info for r in caplog.records)


def test_streamlit_control_flow_passes_through_the_boundary():
    at = AppTest.from_function(_rerunning_page).run(timeout=30)
    assert not at.error and not at.exception
    assert at.markdown[0].value == "第 2 次"


def test_the_shim_is_local_and_translates_streamlit_s_own_texts():
    from app_pages import shim

    js = shim._JS
    assert "http://" not in js and "https://" not in js  # nothing fetched from elsewhere
    for english in ("Drag and drop file here", "Browse files", "Select all", "Page not found"):
        assert english in js
    assert "per file" in js
