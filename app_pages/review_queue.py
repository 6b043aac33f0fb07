"""待核实: households the geocoder could not place. Pick a suggestion or click the map, then
confirm: the household goes to its cell, and the decision is remembered (a street alias, a
new door plate) so the next import places the same address by itself."""

from __future__ import annotations

import math

import folium
import geopandas as gpd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from app_pages import display, labels
from app_pages.common import acting, logged_in_actor, or_stop, rows, run_service
from app_pages.labels import households as household_labels
from core.plaintext import html_text, plain
from gis.crs import STORAGE_CRS
from layers.base import LANE_COLOUR, STREET_COLOUR, add_legend, base_map, streets_layer
from services import masking
from services.households import review

CLICK_KEY = "review_clicked"
FLASH = "review_flash"


@st.cache_data(ttl=600, show_spinner=False)
def _map_data(token: str):
    return acting(lambda *, session, actor: review.review_map(session=session))()


def _queue():
    return acting(lambda *, session, actor: review.review_queue(session=session))()


def _suggestions(address: str):
    return acting(lambda *, session, actor: review.suggestions(address, session=session))()


actor = logged_in_actor()

st.title(household_labels.PAGE_REVIEW_QUEUE)
st.caption(household_labels.REVIEW_INTRO)
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))

# Households another cell's leader handed over to this user's cells: said first, by name.
handed = run_service(acting(lambda *, session, actor: review.handovers(session=session)))
if handed is not None and not handed.empty:
    mine = handed[handed["to_cell"].isin(list(getattr(actor, "cells", ()) or ()))]
    for r in rows(mine):
        st.info(
            household_labels.REVIEW_HANDED_OVER.format(
                who=r.by_username, from_cell=r.from_cell or "—", name=r.head_name, addr=r.address
            ),
            icon="📨",
        )

queue = run_service(_queue)
if queue is None:
    st.stop()
if queue.empty:
    st.info(household_labels.REVIEW_EMPTY)
    st.stop()
shown = masking.mask_frame(queue, actor.role)
st.caption(household_labels.REVIEW_COUNT.format(n=len(queue)))

options = {int(r.id): f"{r.head_name} · {r.address}" for r in rows(shown)}
picked = or_stop(
    st.selectbox(
        household_labels.REVIEW_PICK,
        list(options),
        format_func=options.__getitem__,
        key="review_household",
    )
)
row = queue.set_index("id").loc[picked]
if st.session_state.get("review_for") != picked:  # a new household: forget the last click
    st.session_state["review_for"] = picked
    st.session_state.pop(CLICK_KEY, None)

reason = row["review_reason"] if isinstance(row["review_reason"], str) else None
score = row["geocode_score"]
st.markdown(
    f"**{household_labels.REVIEW_FIELDS['address']}** {plain(row['address'])}　"
    f"**{household_labels.REVIEW_REASON}** {plain(reason) or '匹配分数低'}　"
    f"**{household_labels.REVIEW_FIELDS['match_type']}** "
    f"{household_labels.MATCH_TYPES.get(row['match_type'], row['match_type'] or '—')}"
    + (f"（{score:.2f}）" if isinstance(score, float) and not math.isnan(score) else "")
)

suggestions = run_service(lambda: _suggestions(str(row["address"]))) or []
left, right = st.columns([3, 2])

with right:
    st.subheader(household_labels.REVIEW_SUGGESTIONS)
    clicked = st.session_state.get(CLICK_KEY)
    choices: list[int] = list(range(len(suggestions)))
    names = {i: f"{i + 1}. {s.label}" for i, s in enumerate(suggestions)}
    if clicked:
        choices.append(-1)
        names[-1] = household_labels.REVIEW_CLICKED.format(lon=clicked[0], lat=clicked[1])
    if not suggestions:
        st.caption(household_labels.REVIEW_NO_SUGGESTION)
    radio_key = f"review_choice_{picked}"
    if st.session_state.pop("review_click_new", False):
        st.session_state[radio_key] = -1  # a fresh click on the map is the choice
    choice = None
    if choices:
        choice = st.radio(
            household_labels.REVIEW_SUGGESTIONS,
            choices,
            index=len(choices) - 1 if clicked else 0,
            format_func=names.get,
            label_visibility="collapsed",
            key=radio_key,
        )
    st.caption(household_labels.REVIEW_CLICK_HINT)
    target = None
    if choice == -1 and clicked:
        target = (clicked[0], clicked[1], None, None)
    elif choice is not None and choice >= 0:
        s = suggestions[choice]
        target = (s.lon, s.lat, s.street_name, s.house_number)
    if target is not None:
        st.caption(
            "确认后：住户将按所选位置归入所在网格；街巷名写法不同时记为别名，"
            "门牌号未登记时登记为新门牌。"
        )
    if st.button(
        household_labels.REVIEW_ACCEPT,
        type="primary",
        disabled=target is None,
        icon="✅",
        key="accept",
    ):
        lon, lat, street, number = target  # type: ignore[misc]
        allowed = tuple(actor.cells) if actor.role in ("grid_leader", "grid_worker") else None
        result = run_service(
            acting(
                lambda *, session, actor: review.accept(
                    int(picked),
                    lon=float(lon),
                    lat=float(lat),
                    session=session,
                    actor=actor.username,
                    street_name=street,
                    house_number=number,
                    allowed_cells=allowed,
                )
            )
        )
        if result is not None:
            st.session_state[FLASH] = f"{options[int(picked)]}：{result.message()}"
            st.session_state.pop(CLICK_KEY, None)
            st.cache_data.clear()
            st.rerun()

with left:
    data = run_service(lambda: _map_data(actor.token))
    if data is not None:
        pts = [(s.lon, s.lat) for s in suggestions]
        if isinstance(row["lon"], float) and not math.isnan(row["lon"]):
            pts.append((float(row["lon"]), float(row["lat"])))
        if pts:
            # about 250 m around the candidates (degrees at 32.7°N)
            focus = gpd.GeoDataFrame(
                geometry=[shapely.MultiPoint(pts).envelope.buffer(0.0025)], crs=STORAGE_CRS
            )
        else:
            focus = data.cells
        m = base_map(focus)
        folium.GeoJson(
            data.cells.to_crs("EPSG:4326"),
            style_function=lambda _f: {"color": "#555", "weight": 1, "fillOpacity": 0.04},
            tooltip=folium.GeoJsonTooltip(
                fields=["cell_code", "community_name", "name"], aliases=["网格编码", "社区", "网格"]
            ),
        ).add_to(m)
        streets_layer(data.streets).add_to(m)
        if isinstance(row["lon"], float) and not math.isnan(row["lon"]):
            folium.CircleMarker(
                [float(row["lat"]), float(row["lon"])],
                radius=7,
                color="#b22222",
                fill=True,
                fill_opacity=0.3,
                tooltip="系统粗略定位",
            ).add_to(m)
        for i, s in enumerate(suggestions):
            folium.Marker(
                [s.lat, s.lon],
                tooltip=f"{i + 1}. {html_text(s.label)}",  # an imported street's name
                icon=folium.DivIcon(
                    html=(
                        '<div style="background:#1f4e9c;color:#fff;border-radius:50%;width:22px;'
                        "height:22px;line-height:22px;text-align:center;font-weight:bold;"
                        f'transform:translate(-11px,-11px)">{i + 1}</div>'
                    )
                ),
            ).add_to(m)
        if st.session_state.get(CLICK_KEY):
            cl = st.session_state[CLICK_KEY]
            folium.CircleMarker(
                [cl[1], cl[0]],
                radius=9,
                color="#000",
                weight=3,
                fill=True,
                fill_color="#ffff33",
                fill_opacity=1,
                tooltip="点选位置",
            ).add_to(m)
        add_legend(
            m,
            "图例",
            [("#1f4e9c", "建议位置（编号）"), ("#ffff33", "地图点选"), ("#b22222", "系统粗略定位")],
            lines=[
                (STREET_COLOUR, "solid", labels.LEGEND_STREET),
                (LANE_COLOUR, "solid", labels.LEGEND_LANE),
            ],
        )
        # Only the click comes back: panning or zooming does not rerun the page.
        out = st_folium(
            m,
            height=520,
            use_container_width=True,
            returned_objects=["last_clicked"],
            key=f"review_map_{picked}",
        )
        last = (out or {}).get("last_clicked")
        if last:
            point = (round(float(last["lng"]), 7), round(float(last["lat"]), 7))
            if st.session_state.get(CLICK_KEY) != point:
                st.session_state[CLICK_KEY] = point
                st.session_state["review_click_new"] = True
                st.rerun()

with st.expander(f"全部待核实住户（{labels.fmt_int(len(queue))}）"):
    table = shown.assign(
        match_type=shown["match_type"].map(household_labels.MATCH_TYPES).fillna(shown["match_type"])
    )
    st.dataframe(
        display.frame(table[list(household_labels.REVIEW_FIELDS)]),
        hide_index=True,
        column_config={
            **{
                k: st.column_config.TextColumn(v) for k, v in household_labels.REVIEW_FIELDS.items()
            },
            "geocode_score": st.column_config.NumberColumn("匹配分数", format="%.2f"),
        },
    )
