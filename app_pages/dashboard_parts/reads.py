"""领导驾驶舱's reads: cached per filter, and the aggregates shared within one row-security scope.

Each runs its service in a session of its own (app_pages.common.with_session).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages.common import with_session
from services import shared_cache
from services.stats import dashboard, hotspots, workload


# ------------------------------------------------------------------------------ cached reads
@st.cache_data(ttl=600, show_spinner=False)
def options():
    return with_session(dashboard.filter_options)()


@st.cache_data(ttl=600, show_spinner="正在读取网格…")
def _shapes(community_codes: tuple[str, ...]):
    def read(*, session):
        shapes = dashboard.cell_shapes(session=session, community_codes=community_codes)
        # the map takes the left three fifths of a wide page
        simple, zoom = dashboard.display_shapes(shapes, width_px=640, height_px=600)
        return simple, zoom

    return with_session(read)()


@st.cache_data(ttl=600, show_spinner=False)
def community_outlines(community_codes: tuple[str, ...]):
    return with_session(
        lambda *, session: dashboard.community_outlines(
            session=session, community_codes=community_codes
        )
    )()


@st.cache_resource(ttl=600, show_spinner=False)
def weights(community_codes: tuple[str, ...]):
    shapes, _ = _shapes(community_codes)
    return hotspots.queen_weights(shapes)


# Aggregates by filter: shared by every viewer of the same row-security scope (leaders share
# one entry), never across scopes — services.shared_cache says why each is safe.
def _scoped(what: str, key: tuple, compute):
    return shared_cache.dashboard_aggregate(
        what, key, actor=st.session_state.get("actor"), compute=compute
    )


def view(f: dashboard.CaseFilter, as_of: dt.datetime):
    def compute():
        shapes, zoom = _shapes(f.community_codes)
        return with_session(
            lambda *, session: dashboard.dashboard_view(
                f, session=session, as_of=as_of, shapes=shapes, zoom=zoom
            )
        )()

    return _scoped("dashboard_view", (f, as_of), compute)


@st.cache_data(ttl=60, show_spinner="正在准备动画…")
def frames(f: dashboard.CaseFilter, zoom: int, lat: float, step: str):
    return with_session(
        lambda *, session: dashboard.heat_animation(
            f, session=session, zoom=zoom, lat=lat, step=step
        )
    )()


def trend(f: dashboard.CaseFilter, as_of: dt.date):
    return _scoped(
        "trend",
        (f, as_of),
        with_session(lambda *, session: dashboard.trend(f, session=session, as_of=as_of)),
    )


def leader_workload(f: dashboard.CaseFilter, as_of: dt.datetime, week_of: dt.date):
    return _scoped(
        "workload",
        (f, as_of, week_of),
        with_session(
            lambda *, session: workload.leader_workload(
                session=session,
                start=f.start,
                end=f.end,
                as_of=as_of,
                week_of=week_of,
                community_codes=f.community_codes,
            )
        ),
    )


def open_cases(cell_code: str, as_of: dt.datetime):
    return _scoped(
        "cell_open_cases",
        (cell_code, as_of),
        with_session(
            lambda *, session: dashboard.cell_open_cases(
                session=session, cell_code=cell_code, as_of=as_of
            )
        ),
    )


def street_parts() -> dict[str, str]:
    """Not personal: the street layer's GeoJSON, shared across users (services.shared_cache)."""
    return with_session(lambda *, session: shared_cache.district_streets_geojson(session=session))()
