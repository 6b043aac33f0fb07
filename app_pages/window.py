"""窗口受理: one window takes the case, tells the citizen everything needed at once, and hands
over a receipt with the case number and the deadline. Community-station mode: the same page
limited to the station's community."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from app_pages import display
from app_pages.common import acting_person, run_service, with_session
from app_pages.labels import cases as case_labels
from app_pages.receipts import fmt_prose, missing_title, receipt_html
from core.plaintext import plain
from core.vocab import CASE_KINDS, CASE_STATES, CHANNELS, SERVICE_CATEGORIES, SERVICE_ITEMS
from services import cases
from services.uploads import ATTACHMENT_TYPES, TABLES, check_upload

RECEIPT = "window_receipt"
PENDING = "window_pending"
PIN = "window_pin"


@st.cache_data(ttl=600, show_spinner=False)
def _communities():
    return with_session(lambda *, session: cases.community_options(session=session))()


@st.cache_resource(show_spinner="正在载入地址库…")
def _gazetteer():
    from services.geocoding import gazetteer_from_session

    return with_session(gazetteer_from_session)()


@st.cache_data(ttl=600, show_spinner=False)
def _base_layers():
    return with_session(cases.window_base_layers)()


def _show_receipt(r: dict[str, Any]) -> None:
    with st.container(border=True, key="case_receipt"):
        st.subheader(f"🧾 {case_labels.CASE_RECEIPT_TITLE}")
        st.markdown(f"### {case_labels.CASE_NO}：`{r['case_no']}`")
        for key, value in r["rows"]:
            st.markdown(f"**{key}**：{plain(value)}")
        if r.get("warning"):
            st.warning(r["warning"])
        if r.get("duplicates"):
            st.info(f"{case_labels.CASE_DUP_TITLE}：{'、'.join(r['duplicates'])}")
        missing = r.get("missing") or []
        st.markdown(f"**{missing_title(missing)}**")
        st.markdown(
            "\n".join(f"{i}. {m}" for i, m in enumerate(missing, 1))
            if missing
            else case_labels.CASE_MATERIALS_COMPLETE
        )
        st.caption(case_labels.CASE_RECEIPT_QUERY.format(case_no=r["case_no"], phone=r["phone"]))
        left, right = st.columns(2)
        left.download_button(
            case_labels.CASE_RECEIPT_DOWNLOAD,
            receipt_html(r).encode("utf-8"),
            file_name=f"回执_{r['case_no']}.html",
            mime="text/html",
            width="stretch",
        )
        if right.button(case_labels.CASE_RECEIPT_NEW, width="stretch", type="primary"):
            st.session_state.pop(RECEIPT, None)
            st.rerun()


# ----------------------------------------------------------------------------------- page
me = acting_person()
st.title(case_labels.PAGE_WINDOW)
communities = run_service(_communities)
if communities is None:
    st.stop()
names = dict(zip(communities["code"], communities["name"], strict=True))

# Where the case is taken: the centre, or a community station (locked for a station clerk).
station_code = me["community_code"]
if station_code:
    point_label = case_labels.CASE_STATION.format(name=names.get(str(station_code), station_code))
    st.caption(f"{case_labels.CASE_INTAKE_POINT}：{point_label}")
else:
    options = [
        None,
        *[c for c, s in zip(communities["code"], communities["has_station"], strict=True) if s],
    ]
    station_code = st.sidebar.selectbox(
        case_labels.CASE_INTAKE_POINT,
        options,
        format_func=lambda c: (
            case_labels.CASE_CENTRE if c is None else case_labels.CASE_STATION.format(name=names[c])
        ),
        key="window_point",
    )
clerk = me["name"] or st.sidebar.text_input(
    case_labels.CASE_CLERK, value=case_labels.CASE_CLERK_DEFAULT, key="window_clerk"
)
unit = (
    case_labels.CASE_STATION.format(name=names.get(str(station_code), ""))
    if station_code
    else f"老城街道{case_labels.CASE_CENTRE}"
)

if RECEIPT in st.session_state:
    _show_receipt(st.session_state[RECEIPT])
    st.stop()

# 一次性告知: choosing the service item / category shows its materials at once (outside the
# form, so the list updates before anything is submitted).
top = st.columns(2)
item = top[0].selectbox(
    case_labels.CASE_SERVICE_ITEM,
    [None, *SERVICE_ITEMS],
    format_func=lambda k: case_labels.CASE_SERVICE_ITEM_NONE if k is None else SERVICE_ITEMS[k][0],
    key="window_item",
)
category_keys = list(SERVICE_CATEGORIES)
category = top[1].selectbox(
    case_labels.CASE_CATEGORY,
    category_keys,
    index=category_keys.index(SERVICE_ITEMS[item][1]) if item else 0,
    format_func=SERVICE_CATEGORIES.__getitem__,
    key=f"window_category_{item}",
)
materials = run_service(lambda: cases.materials_for(category, service_item=item)) or []
with st.container(border=True):
    st.markdown(f"**📋 {case_labels.CASE_MATERIALS_TITLE}**")
    st.markdown("\n".join(f"{i}. {m}" for i, m in enumerate(materials, 1)))

if st.toggle(case_labels.CASE_PIN, key="window_pin_on"):
    from streamlit_folium import st_folium

    from layers.base import base_map, communities_layer, streets_layer

    layers = run_service(_base_layers)
    if layers is not None:
        m = base_map(layers[0])
        streets_layer(layers[1]).add_to(m)
        communities_layer(layers[0]).add_to(m)
        out = st_folium(
            m,
            height=380,
            use_container_width=True,
            returned_objects=["last_clicked"],
            key="window_map",
        )
        clicked = (out or {}).get("last_clicked")
        if clicked:
            st.session_state[PIN] = (float(clicked["lng"]), float(clicked["lat"]))
    if st.session_state.get(PIN):
        lon, lat = st.session_state[PIN]
        st.caption(case_labels.CASE_PIN_SET.format(lon=lon, lat=lat))
else:
    st.session_state.pop(PIN, None)

channels = ["station", "agent"] if station_code else ["window", "hotline"]
with st.form("intake", clear_on_submit=False):
    a, b = st.columns(2)
    citizen = a.text_input(case_labels.CASE_CITIZEN, key="window_citizen")
    phone = b.text_input(case_labels.CASE_PHONE, key="window_phone")
    address = st.text_input(
        case_labels.CASE_ADDRESS, help=case_labels.CASE_ADDRESS_HELP, key="window_addr"
    )
    description = st.text_area(case_labels.CASE_DESCRIPTION, height=100, key="window_desc")
    c, d = st.columns(2)
    kind = c.radio(
        case_labels.CASE_KIND,
        list(CASE_KINDS),
        format_func=CASE_KINDS.__getitem__,
        horizontal=True,
        index=1,
        key="window_kind",
    )
    channel = d.radio(
        case_labels.CASE_CHANNEL,
        channels,
        format_func=CHANNELS.__getitem__,
        horizontal=True,
        key="window_channel",
    )
    # What the citizen brought of the 一次性告知 list: the receipt names what is still missing.
    brought = st.multiselect(
        case_labels.CASE_MATERIALS_BROUGHT,
        materials,
        placeholder=case_labels.CASE_MATERIALS_BROUGHT_NONE,
        key=f"window_brought_{item}_{category}",
    )
    on_the_spot = st.checkbox(case_labels.CASE_ON_THE_SPOT, key="window_spot")
    spot_note = st.text_input(case_labels.CASE_ON_THE_SPOT_NOTE, key="window_spot_note")
    files = st.file_uploader(
        case_labels.CASE_ATTACHMENTS,
        type=[t.lstrip(".") for t in ATTACHMENT_TYPES],
        accept_multiple_files=True,
        help=case_labels.CASE_ATTACHMENTS_HELP,
        max_upload_size=20,
        key="window_files",
    )
    submitted = st.form_submit_button(case_labels.CASE_SUBMIT, type="primary", width="stretch")

pending = st.session_state.get(PENDING)
confirmed = False
if pending is not None:
    st.warning(f"{case_labels.CASE_DUP_TITLE}：{'、'.join(pending['duplicates'])}")
    confirmed = st.button(case_labels.CASE_DUP_CONFIRM, key="window_dup_ok")

if submitted or confirmed:
    pin = st.session_state.get(PIN)
    # Built (or taken from the cache) before any transaction opens: building it opens its own
    # session, and two sessions of one login at once would wait on each other.
    gazetteer = run_service(_gazetteer)

    received_by = str(clerk or case_labels.CASE_CLERK_DEFAULT)
    request = (address, pin, category, kind, on_the_spot)  # what the check was made for

    def _check(*, session):
        return cases.window_check(
            session=session,
            category=category,
            kind=kind,
            channel=channel,
            description=description,
            received_by=received_by,
            service_item=item,
            on_the_spot=on_the_spot,
            address=address,
            lon=pin[0] if pin else None,
            lat=pin[1] if pin else None,
            gazetteer=gazetteer,
        )

    def _intake(check, *, session):
        return cases.intake(
            session=session,
            category=category,
            kind=kind,
            channel=channel,
            description=description,
            received_by=received_by,
            citizen_name=citizen,
            citizen_phone=phone,
            address=address,
            lon=pin[0] if pin else None,
            lat=pin[1] if pin else None,
            community_code=station_code,
            service_item=item,
            attachments=[cases.Attachment(f.name, f.getvalue(), f.type) for f in (files or [])],
            close_on_the_spot_note=(spot_note or "") if on_the_spot else None,
            gazetteer=gazetteer,
            # what the page has shown (located and duplicates), so neither runs twice
            located=check.located if check is not None else None,
            duplicates_found=check.duplicates if check is not None else None,
            missing_materials=[m for m in materials if m not in brought],
        )

    checked = None
    if submitted:
        checked = run_service(with_session(_check))
        if checked is not None and checked.duplicates:
            st.session_state[PENDING] = {
                "duplicates": checked.duplicates,
                "check": checked,
                "request": request,
            }
            st.rerun()
    if confirmed or (checked is not None and not checked.duplicates):
        if (
            confirmed and pending is not None
        ):  # the check shown with the warning, unless the request changed since
            checked = pending["check"] if pending.get("request") == request else None
        record = run_service(with_session(partial(_intake, checked)))
        if record is not None:
            st.session_state.pop(PENDING, None)
            st.cache_data.clear()
            where = (
                f"{record.community_name or ''} · {record.cell_name or record.cell_code}"
                if record.cell_code
                else (record.community_name or case_labels.CASE_NOT_LOCATED)
            )
            point = cases.service_point(str(station_code) if station_code else None)
            st.session_state[RECEIPT] = {
                "case_no": record.case_no,
                "unit": unit,
                "phone": point.phone_label,
                "clerk": record.received_by or "",
                "rows": [
                    (case_labels.CASE_NO, record.case_no),
                    (case_labels.CASE_RECEIVED_AT, fmt_prose(record.snapshot.received_at)),
                    (case_labels.CASE_KIND, CASE_KINDS[record.snapshot.kind]),
                    (case_labels.CASE_CATEGORY, SERVICE_CATEGORIES[record.snapshot.category]),
                    (
                        case_labels.CASE_DUE_AT,
                        "—" if record.due_at is None else f"{fmt_prose(record.due_at)}前",
                    ),
                    (case_labels.CASE_STATE, CASE_STATES[record.state]),
                    (case_labels.CASE_LOCATION, where),
                    (case_labels.CASE_CLERK, record.received_by or ""),
                    (case_labels.CASE_SERVICE_PHONE, point.phone_label),
                ],
                "materials": materials,
                "missing": [m for m in materials if m not in brought],
                "warning": record.calendar_warning,
                "duplicates": record.duplicates,
            }
            st.rerun()

# --- 12345 hotline exports, many cases at once (one transaction) -----------------------------
with st.expander(case_labels.HOTLINE_IMPORT):
    st.caption(case_labels.HOTLINE_HINT)
    upload = st.file_uploader(
        case_labels.HOTLINE_FILE,
        type=["xlsx", "xls", "csv"],
        max_upload_size=20,
        key="hotline_file",
    )
    hotline_data = None
    if upload is not None:  # size, type by content, zip bomb: before a byte is parsed
        hotline_data = run_service(partial(check_upload, upload.name, upload, allowed=TABLES))
    if hotline_data is not None and st.button(case_labels.HOTLINE_BUTTON, key="hotline_go"):
        from services.cases import hotline

        gazetteer = run_service(_gazetteer)  # before the import's transaction, as above
        assert upload is not None  # hotline_data comes from an upload
        with st.status(case_labels.HOTLINE_WORKING) as status:
            report = run_service(
                with_session(
                    partial(
                        hotline.import_hotline,
                        upload.name,
                        data=hotline_data,
                        imported_by=str(clerk or case_labels.CASE_CLERK_DEFAULT),
                        gazetteer=gazetteer,
                    )
                )
            )
            status.update(state="complete" if report is not None else "error")
        if report is not None:
            st.cache_data.clear()
            st.success(f"{plain(report.file_name)}：共 {report.total:,} 行。{report.summary()}")
            if report.rejected:
                st.markdown(f"**{case_labels.HOTLINE_REJECTED}**")
                st.dataframe(display.frame(report.rejected_rows), hide_index=True, width="stretch")
                st.download_button(
                    case_labels.HOTLINE_DOWNLOAD,
                    hotline.rejections_xlsx(report),
                    file_name=f"{upload.name}_退回行.xlsx",
                )
