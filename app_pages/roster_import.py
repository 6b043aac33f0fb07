"""住户导入: upload a household roster, say what unknown columns mean, import it in one
transaction, and see what happened — imported, waiting for review, rejected with reasons."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import display, labels
from app_pages.common import acting, deferred, logged_in_actor, or_stop, run_service
from app_pages.labels import households as household_labels
from core.errors import InvalidInputError, LianxinError
from core.plaintext import plain
from services import masking
from services.households import roster_upload
from services.households.roster_parse import HEADER_SYNONYMS, roster_from
from services.uploads import check_upload

REPORT_KEY = "roster_report"

actor = logged_in_actor()

st.title(household_labels.PAGE_ROSTER_IMPORT)
st.caption(household_labels.IMPORT_INTRO)

uploaded = st.file_uploader(
    household_labels.IMPORT_FILE, type=["xlsx", "xls", "csv"], key="roster_file", max_upload_size=20
)
if uploaded is None:
    st.session_state.pop(REPORT_KEY, None)
    st.stop()
upload = uploaded  # not None from here on, also inside the callbacks below

data = or_stop(
    run_service(lambda: check_upload(upload.name, upload, allowed=(".xlsx", ".xls", ".csv")))
)

# Read once per upload (issue 12): the mapping step, the preview and the import share it, and a
# rerun of the page (every widget change) does not parse the file again.
parsed_key = f"roster_parsed_{upload.file_id}"
if parsed_key not in st.session_state:
    for key in [k for k in st.session_state if str(k).startswith("roster_parsed_")]:
        del st.session_state[key]  # one upload's tables at a time
    parsed = or_stop(run_service(lambda: roster_upload.read_upload(upload.name, data)))
    st.session_state[parsed_key] = parsed
parsed = st.session_state[parsed_key]

# --- the mapping step: only when the headers are not all known ---------------------------------
mapping: dict[str, str] = {}
needs_mapping = False
try:
    roster = roster_from(parsed)
    unknown = roster.unknown_columns
    st.success(
        "已识别的列："
        + "、".join(
            plain(h)
            if h == household_labels.IMPORT_FIELDS[f]
            else f"{plain(h)}（{household_labels.IMPORT_FIELDS[f]}）"
            for f, h in roster.mapping.items()
        )
        + f"（共 {labels.fmt_int(len(roster.frame))} 行）"
    )
except InvalidInputError as exc:
    needs_mapping = True
    if "表头" in str(exc):  # the headers are not known: the mapping step below says what to do
        st.warning(household_labels.IMPORT_HEADERS_UNKNOWN)
    else:
        st.warning(plain(exc))
    unknown = []

if needs_mapping or unknown:
    columns = run_service(lambda: roster_upload.roster_columns(parsed))
    if columns is None:
        st.stop()
    _row, headers, preview = columns
    st.subheader(household_labels.IMPORT_MAPPING)
    st.caption(household_labels.IMPORT_MAPPING_HELP)
    known = {} if needs_mapping else {h: f for f, h in roster.mapping.items()}
    fields = [None, *household_labels.IMPORT_FIELDS]
    grid = st.columns(min(4, max(1, len(headers))))
    for i, header in enumerate(headers):
        if header in known:
            continue
        with grid[i % len(grid)]:
            guess = next((f for f, names in HEADER_SYNONYMS.items() if header in names), None)
            picked = st.selectbox(
                plain(header),
                fields,
                index=fields.index(guess) if guess in fields else 0,
                format_func=lambda f: (
                    household_labels.IMPORT_MAPPING_NONE
                    if f is None
                    else household_labels.IMPORT_FIELDS[f]
                ),
                key=f"map_{i}_{header}",
            )
            if picked:
                mapping[header] = picked
    st.caption(household_labels.IMPORT_PREVIEW)
    # Masked like every other table; the first showing of a file is audited (not each rerun).
    seen_key = f"roster_preview_seen_{upload.file_id}"
    shown: pd.DataFrame | None  # None: the preview's service failed (shown as an error)
    if seen_key in st.session_state:
        shown = masking.mask_unlabelled(
            preview,
            actor.role,
            kinds={str(c): f for f, names in HEADER_SYNONYMS.items() for c in names},
        )
    else:
        shown = run_service(
            acting(
                lambda *, session, actor: roster_upload.preview_for(
                    upload.name, preview, session=session, actor=actor
                )
            )
        )
        if shown is None:
            st.stop()
        st.session_state[seen_key] = True
    st.dataframe(display.frame(shown), hide_index=True)
    chosen = list(mapping.values()) + list(known.values())
    duplicated = sorted({f for f in chosen if chosen.count(f) > 1})
    if duplicated:
        st.error(
            "同一含义选了多列："
            + "、".join(household_labels.IMPORT_FIELDS[f] for f in duplicated)
            + "。每个含义只能对应一列"
        )
        st.stop()
    missing = [f for f in ("head_name", "address") if f not in chosen]
    if missing:
        st.info("还需指定：" + "、".join(household_labels.IMPORT_FIELDS[f] for f in missing))
        st.stop()

# --- import -----------------------------------------------------------------------------------
if st.button(household_labels.IMPORT_BUTTON, type="primary", icon="📤", key="import"):
    st.session_state.pop(REPORT_KEY, None)
    with st.status(household_labels.IMPORT_RUNNING, expanded=True) as status:
        st.write(f"读取 {plain(upload.name)}，检查每一行，按地址定位并归入网格…")
        try:
            report = acting(
                lambda *, session, actor: roster_upload.run_import(
                    parsed,
                    session=session,
                    mapping=mapping or None,
                    imported_by=actor.username,
                )
            )()
        except LianxinError as exc:
            status.update(label=household_labels.IMPORT_FAILED, state="error")
            st.error(plain(exc))
            report = None
        if report is not None:
            st.write(
                f"共 {labels.fmt_int(report.total)} 行：新增 {labels.fmt_int(report.inserted)}，"
                f"更新 {labels.fmt_int(report.updated)}"
            )
            status.update(label=household_labels.IMPORT_STEP_DONE, state="complete", expanded=False)
            st.session_state[REPORT_KEY] = report
            st.cache_data.clear()

report = st.session_state.get(REPORT_KEY)
if report is not None:
    message = household_labels.IMPORT_SUCCESS.format(
        imported=report.imported, review=report.review, rejected=report.rejected
    )
    if report.rejected:
        message += household_labels.IMPORT_SUCCESS_REJECTED
    st.success(message)
    if report.rejected:
        st.download_button(
            household_labels.IMPORT_REJECTED_DOWNLOAD,
            # built when clicked: masked for the role, with an audit row (issue 10)
            data=deferred(
                lambda *, session, actor: roster_upload.export_rejections(
                    report, session=session, actor=actor
                )
            ),
            on_click="ignore",
            file_name=f"{report.file_name.rsplit('.', 1)[0]}_退回行.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon="📥",
            key="rejected_download",
        )
        st.dataframe(
            display.frame(
                roster_upload.rejected_rows_for(
                    report.rejected_rows[["excel_row", "head_name", "address", "problem"]],
                    actor.role,
                )
            ),
            hide_index=True,
            column_config={
                "excel_row": st.column_config.NumberColumn("原表行号", format="%d"),
                "head_name": st.column_config.TextColumn("户主姓名"),
                "address": st.column_config.TextColumn("地址"),
                "problem": st.column_config.TextColumn("退回原因", width="large"),
            },
        )
    if getattr(report, "members_sheet", None) is not None:  # 家庭成员 (helper caseshh)
        st.info(
            household_labels.IMPORT_MEMBERS.format(
                n=labels.fmt_int(report.members_imported),
                rejected=labels.fmt_int(report.members_rejected),
            )
        )
        if report.members_rejected:
            st.dataframe(
                report.member_rejected_rows[["where", "name", "relation", "problem"]],
                hide_index=True,
                column_config={
                    "where": st.column_config.TextColumn("位置"),
                    "name": st.column_config.TextColumn("姓名"),
                    "relation": st.column_config.TextColumn("与户主关系"),
                    "problem": st.column_config.TextColumn("退回原因", width="large"),
                },
            )
    if report.review:
        st.subheader(household_labels.IMPORT_REVIEW_LIST)
        rows = masking.mask_frame(
            report.review_rows[["excel_row", "head_name", "address", "review_reason"]],
            actor.role,
        )
        st.dataframe(
            rows,
            hide_index=True,
            column_config={
                "excel_row": st.column_config.NumberColumn("原表行号", format="%d"),
                "head_name": st.column_config.TextColumn("户主姓名"),
                "address": st.column_config.TextColumn("地址"),
                "review_reason": st.column_config.TextColumn("原因", width="large"),
            },
        )
        st.page_link("app_pages/review_queue.py", label="去「待核实」定位", icon="📍")
