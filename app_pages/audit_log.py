"""审计日志 (admin): search who saw, exported, revealed or changed what, when, from where."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages import display, labels
from app_pages.common import acting, run_service
from app_pages.labels import access as access_labels
from core import clock
from services import audit
from services.uploads import clean_search_text

st.title(access_labels.PAGE_AUDIT_LOG)
st.caption(access_labels.AUDIT_CAPTION)

today = clock.today()  # the office's date (Beijing), not the server's
cols = st.columns([2, 3, 2, 3])
username = cols[0].text_input("用户", max_chars=50)
actions = cols[1].multiselect(
    "操作",
    list(audit.ACTION_NAMES),
    format_func=lambda a: audit.ACTION_NAMES[a],
    placeholder="全部操作",
)
target = cols[2].text_input("对象（如 household:123）", max_chars=50)
period = cols[3].date_input("日期", value=(today - dt.timedelta(days=7), today), max_value=today)


def _search(*, session, actor):
    name = clean_search_text(username, field="用户")
    what = clean_search_text(target, field="对象")
    since, until = (period[0], period[-1]) if isinstance(period, tuple) and period else (None, None)
    return audit.search(
        session=session,
        username=name or None,
        actions=actions,
        target=what or None,
        since=since,
        until=until,
        limit=2000,
    )


rows = run_service(acting(_search))
if rows is not None:
    st.caption(f"共 {labels.fmt_int(len(rows))} 条（最多显示 2,000 条，最新在前）")
    if not rows.empty:
        table = rows.assign(
            # a login has no object: a dash, never "None"
            target=[t if isinstance(t, str) and t.strip() else "—" for t in rows["target"]],
        )
        st.dataframe(
            display.frame(table[list(access_labels.AUDIT_FIELDS)]),
            hide_index=True,
            column_config={
                k: st.column_config.Column(v) for k, v in access_labels.AUDIT_FIELDS.items()
            },
        )
