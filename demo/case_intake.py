"""Who receives a demo case, and the case record itself: the town's staff by role and place,
office hours with a little noise, a category and a place for a case, the new case."""

from __future__ import annotations

import datetime as dt

import numpy as np

from core.vocab import DEFAULT_DUE_WORKING_DAYS

from .case_vocab import DESCRIPTIONS, GROUP_CATEGORY, KIND_WEIGHTS, KINDS
from .workdays import due_at, to_office


class CaseIntake:
    def __init__(self, town, households, staff, rng: np.random.Generator) -> None:
        self.town = town
        self.rng = rng
        self.households = [h for h in households if "row_no" in h]
        self.staff = staff
        self.by_role: dict[str, list[dict]] = {}
        for s in staff:
            self.by_role.setdefault(s["role"], []).append(s)
        self.leader_of = {s["cell_code"]: s for s in staff if s["role"] == "grid_leader"}
        self.workers_of: dict[str, list[dict]] = {}
        for s in staff:
            if s["role"] == "grid_worker":
                self.workers_of.setdefault(s["community_code"], []).append(s)
        self.station_clerk = {
            s["community_code"]: s for s in staff if s["role"] == "clerk" and s["community_code"]
        }
        self.centre_clerks = [s for s in staff if s["role"] == "clerk" and not s["community_code"]]
        self.has_station = {c["code"]: c["has_station"] for c in town.communities}
        self.cadre_of_street = {}
        for s in self.by_role["liaison_cadre"]:
            for name in s["streets"].split("|"):
                self.cadre_of_street[name] = s
        self.hh_by_cell: dict[str, list[dict]] = {}
        for h in self.households:
            self.hh_by_cell.setdefault(h["cell_code"], []).append(h)
        self.cases: list[dict] = []
        self.visits: list[dict] = []
        self.callbacks: list[dict] = []

    # ----------------------------------------------------------------------------------
    def _office(self, t: dt.datetime) -> dt.datetime:
        """to_office, plus a few random minutes when the time had to be moved."""
        moved = to_office(t)
        if moved != t:
            moved = to_office(moved + dt.timedelta(minutes=int(self.rng.integers(0, 75))))
        return moved

    def _office_minute(self, day: dt.date) -> dt.datetime:
        m = int(self.rng.integers(0, 420))  # 08:30–12:00 and 14:30–18:00
        start = dt.time(8, 30) if m < 210 else dt.time(14, 30)
        return self._office(dt.datetime.combine(day, start) + dt.timedelta(minutes=m % 210))

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def _category_for(self, h: dict | None) -> str:
        rng = self.rng
        if h and h.get("groups") and rng.random() < 0.6:
            return GROUP_CATEGORY[self.pick(h["groups"])]
        cats = list(DESCRIPTIONS)
        w = np.array([1.0, 0.6, 1.6, 1.2, 1.5, 0.7, 1.0, 1.2, 0.7, 0.6, 1.0, 1.3, 0.3, 1.6])
        return cats[int(rng.choice(len(cats), p=w / w.sum()))]

    def _location(self, h: dict | None) -> tuple[float, float, str, str, str]:
        """lon, lat, community, cell, street name of a case."""
        if h is not None:
            return h["geom"].x, h["geom"].y, h["community_code"], h["cell_code"], h["street_name"]
        p = self.pick(self.town.plates)
        return p["geom"].x, p["geom"].y, p["community_code"], p["cell_code"], p["street_name"]

    def new_case(
        self,
        received: dt.datetime,
        channel: str,
        h: dict | None,
        *,
        receiver: dict | None = None,
        category: str | None = None,
        kind: str | None = None,
        description: str | None = None,
        location: tuple | None = None,
    ) -> dict:
        rng = self.rng
        lon, lat, comm, cell, street = location or self._location(h)
        if channel == "station" and not self.has_station[comm]:
            channel = "agent"
        elif channel == "agent" and self.has_station[comm]:
            channel = "station"
        category = category or self._category_for(h)
        if kind is None:
            w = KIND_WEIGHTS.get(category, KIND_WEIGHTS["default"])
            kind = KINDS[int(rng.choice(4, p=w))]
        desc = description or self.pick(DESCRIPTIONS[category]).format(s=street)
        if receiver is None:
            if channel == "station":
                receiver = self.station_clerk[comm]
            elif channel == "agent":
                receiver = self.pick(self.workers_of.get(comm, []) or [self.leader_of[cell]])
            elif channel == "visit":
                receiver = self.leader_of[cell]
            else:
                receiver = self.pick(self.centre_clerks)
        case = {
            "received_at": received,
            "kind": kind,
            "category": category,
            "channel": channel,
            "description": desc,
            "household_row_no": h["row_no"] if h is not None else "",
            "lon": lon,
            "lat": lat,
            "community_code": comm,
            "cell_code": cell,
            "street_name": street,
            "due_at": due_at(received, DEFAULT_DUE_WORKING_DAYS[kind]),
            "receiver": receiver,
        }
        self.cases.append(case)
        return case
