"""Caches shared across users, keyed so that row-level security and masking still hold.

One Streamlit process serves every user in threads; ``st.cache_data`` keyed by a login token
recomputes the same non-personal things once per user. This module holds the caches that may
be shared, each with an explicit key: *what it is*, *its version stamp*, and — whenever the
scope decides which rows are visible — *the viewer's scope*.

What is cached, and why each is safe to share:

- ``cell_streets_geojson`` — the streets around a cell of the published plan, serialised to
  GeoJSON per kind (lane / street / road) for the map. Key: (cell code, published plan id +
  lock version, streets stamp). Streets are granted to every logged-in role without row
  security, and grid cells are readable by everyone (policy ``grid_cells_read`` = true): no
  personal field, no scope. The plan stamp makes a new publication or an edit of the
  published plan a new key; the streets stamp does the same for an import or an alias edit.
- ``district_streets_geojson`` — every street, for the dashboard's map: the same grant, no
  scope; keyed by the streets stamp.
- ``dashboard_aggregate`` — the leader dashboard's counts, rates and workload by filter. Key:
  (what it is, the filter, the as-of minute, the viewer's :class:`Scope`). Case, visit and
  callback rows are visible per role (and, for community roles, per community, cells and
  staff id), so the scope is part of the key: an aggregate computed under one scope is never
  served to another. Roles whose visibility is district-wide by policy (leader, admin: see
  ``DISTRICT_WIDE``) share one entry, which is the point of the cache.
- Personal data — households, residents, ID numbers, phones, case citizen fields — is not
  cached here. Pages that cache it (我的网格's ``_cell``) key it by the login token and the
  role (masking), filled from that user's own row-security session only.

Entries also expire (TTL), so data not covered by a stamp (case counts) is at most that old.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from core.plaintext import html_text
from db import cache_queries
from gis.crs import DISPLAY_CRS

T = TypeVar("T")

# Roles whose row-security predicates depend on the role alone (cases_read: leader reads every
# case, admin all; visits/callbacks: 'admin','leader' read all). Everyone else's rows depend on
# their community, cells and staff id too.
DISTRICT_WIDE = frozenset({"leader", "admin"})


@dataclass(frozen=True)
class Scope:
    """What decides which rows a user's session can see (db/migrations 0002, 0008)."""

    role: str
    community_code: str | None = None
    cells: tuple[str, ...] = ()
    staff_id: int | None = None

    @classmethod
    def of(cls, actor: Any) -> Scope:
        role = str(actor.role)
        if role in DISTRICT_WIDE:
            return cls(role=role)
        return cls(
            role=role,
            community_code=getattr(actor, "community_code", None),
            cells=tuple(sorted(getattr(actor, "cells", ()) or ())),
            staff_id=getattr(actor, "staff_id", None),
        )


class TTLCache:
    """A thread-safe LRU cache whose entries expire after ``ttl`` seconds.

    Keys are explicit tuples built by the functions below (never argument hashing). Two threads
    missing the same key at once may both compute it; the later result wins (harmless: same
    key, same data).
    """

    def __init__(self, name: str, *, maxsize: int, ttl: float) -> None:
        self.name, self.maxsize, self.ttl = name, maxsize, ttl
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            held = self._data.get(key)
            if held is not None and held[0] > now:
                self._data.move_to_end(key)
                self.hits += 1
                return held[1]
            self.misses += 1
        value = compute()
        with self._lock:
            self._data[key] = (time.monotonic() + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


LAYERS = TTLCache("layers", maxsize=512, ttl=3600)
AGGREGATES = TTLCache("aggregates", maxsize=256, ttl=120)
ALL = (LAYERS, AGGREGATES)


def clear_all() -> None:
    for cache in ALL:
        cache.clear()


# --- shared, not personal --------------------------------------------------------------------
STREET_KINDS = ("lane", "street", "road")


def cell_streets_geojson(cell_code: str, *, session: Session) -> dict[str, str]:
    """The streets around a published cell as GeoJSON text per kind (display CRS, names
    HTML-escaped), for ``layers.base.streets_layer_geojson``. Shared by every user."""
    from db.household_queries import cells

    key = (
        "cell_streets_geojson",
        cell_code,
        cache_queries.published_plan_stamp(session),
        cache_queries.streets_stamp(session),
    )

    return LAYERS.get_or_compute(
        key,
        lambda: _street_parts(cells.streets_around_cell(session, cell_code=cell_code)),
    )


def district_streets_geojson(*, session: Session) -> dict[str, str]:
    """Every street of the district as GeoJSON text per kind, for the dashboard's map. Shared
    by every user (streets carry no row security and nothing personal); keyed by the streets
    stamp."""
    from db import repositories

    key = ("district_streets_geojson", cache_queries.streets_stamp(session))
    return LAYERS.get_or_compute(key, lambda: _street_parts(repositories.streets(session)))


def _street_parts(streets: Any) -> dict[str, str]:
    data = streets.to_crs(DISPLAY_CRS)[["name", "kind", "geometry"]]
    data = data.assign(name=data["name"].map(html_text))  # names come from imported files
    return {
        kind: data[data["kind"] == kind][["name", "geometry"]].to_json()
        for kind in STREET_KINDS
        if (data["kind"] == kind).any()
    }


# --- shared within one scope -----------------------------------------------------------------
def dashboard_aggregate(
    what: str, key: tuple[Hashable, ...], *, actor: Any, compute: Callable[[], T]
) -> T:
    """A dashboard aggregate (``what`` by ``key``: filter, as-of …) for the viewer's scope."""
    if actor is None:  # no login: nothing to share; compute() says so in Chinese
        return compute()
    return AGGREGATES.get_or_compute((what, Scope.of(actor), *key), compute)
