"""The 待核实 review queue: households the geocoder could not place, placed by a person.

A person either picks a suggestion (a known door plate, or a street the written name is close
to) or clicks the map. Accepting puts the household in its cell by PostGIS point-in-polygon on
the published plan, and **remembers the decision** so the next import matches on its own:

- the street as written (纱帽石 for 纱帽石巷, 兴安中路 for 兴安路) becomes an alias of the street
  when it differs from the registered name;
- the house number as written becomes a new door plate at the accepted point when the street
  had no such plate.

The import page's steps live in :mod:`services.households.roster_upload`. No Streamlit in
this module.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.errors import GeometryError, InvalidInputError, NotFoundError, PermissionDeniedError
from db.household_queries import cells as cell_queries
from db.household_queries import household_file as file_queries
from db.household_queries import review as review_queries
from gis.addresses import house_number_parts, normalize_address, normalize_value, parse_address

# A household placed with a score below this is listed too, though it is on the map.
LOW_SCORE = 0.6
# A clicked point this close to a street is taken to be on it (for remembering the decision).
STREET_SNAP_M = 60.0
MAX_SUGGESTIONS = 6
PLAUSIBLE = 75.0
_KIND_SUFFIX = re.compile(r"(?:大街|大道|正街|街|路|巷|道|弄|里)$")


@dataclass(frozen=True)
class Suggestion:
    """A place the household may be: a known door plate or a street's known plates."""

    label: str
    street_name: str
    house_number: str | None
    lon: float
    lat: float
    kind: str  # door_plate / near_plate / street
    score: float  # 0–100, how close the written street name is


@dataclass
class AcceptResult:
    household_id: int
    cell_code: str
    community_code: str
    remembered: list[str] = field(default_factory=list)  # human-readable, Chinese
    handed_over_to: str | None = None  # the other cell's name when the spot was not ours

    def message(self) -> str:
        if self.handed_over_to is not None:
            return (
                f"所选位置在网格 {self.cell_code}（{self.handed_over_to}），已移交该网格，"
                "由其网格长核实确认"
            )
        text = f"已定位到网格 {self.cell_code}"
        if self.remembered:
            text += "；已记住：" + "、".join(self.remembered) + "（下次导入自动匹配）"
        return text


def handovers(*, session: Session) -> pd.DataFrame:
    """Households handed over to (or from) the acting user's cells and not yet resolved."""
    return review_queries.open_handovers(session)


def review_queue(*, session: Session, low_score: float = LOW_SCORE) -> pd.DataFrame:
    """Households waiting for review (status 'review' or score below ``low_score``)."""
    return review_queries.review_households(session, min_score=low_score)


def written_street_and_number(address: str) -> tuple[str | None, str | None]:
    """The street and house number as the address writes them (normalised), or None.

    >>> written_street_and_number("大北街社区纱帽石53号")
    ('纱帽石', '53')
    """
    comps = parse_address(address)
    street = comps.get("street") or None
    number = comps.get("house_number") or None
    if number:
        number = normalize_value("house_number", normalize_address(number))
    return street, number


def _core(name: str) -> str:
    core = _KIND_SUFFIX.sub("", name)
    return core if len(core) >= 2 else name


def _plausible(written: str, street: str) -> bool:
    """Is ``written`` plausibly a spelling of ``street``? (WRatio ≥ PLAUSIBLE on the names
    without their 街/路/巷 suffix: 东关正衔 ≈ 东关正街, but not 五星街)."""
    a, b = _core(normalize_address(written)), _core(normalize_address(street))
    return bool(a and b) and fuzz.WRatio(a, b) >= PLAUSIBLE


def suggestions(
    address: str, *, session: Session, limit: int = MAX_SUGGESTIONS
) -> list[Suggestion]:
    """Where the household may be, best first.

    The written street is compared with every street name and alias (rapidfuzz ``WRatio`` on
    the names without their 街/路/巷 suffix); for the closest streets the door plate with the
    written number is offered when it exists, else the known plates with the nearest numbers.
    """
    written_street, number = written_street_and_number(address)
    streets = review_queries.streets_table(session)
    if streets.empty:
        return []
    choices: list[str] = []
    owners: list[str] = []
    for name, aliases in zip(streets["name"], streets["aliases"], strict=True):
        for written in [name, *(aliases or [])]:
            choices.append(_core(normalize_address(written)))
            owners.append(name)
    query = _core(normalize_address(written_street)) if written_street else ""
    if not query:
        # No street in the text: look for any street name inside the address itself.
        text = normalize_address(address)
        hits = [(owners[i], 100.0) for i, c in enumerate(choices) if len(c) >= 2 and c in text]
    else:
        found = process.extract(query, choices, scorer=fuzz.WRatio, limit=12, score_cutoff=50)
        hits = [(owners[i], float(score)) for _c, score, i in found]
    best: dict[str, float] = {}
    for street, score in hits:
        best[street] = max(score, best.get(street, 0.0))
    out: list[Suggestion] = []
    parts = house_number_parts(number) if number else None
    main = parts[0] if parts else None
    top = max(best.values(), default=0.0)
    ranked = [kv for kv in sorted(best.items(), key=lambda kv: -kv[1]) if kv[1] >= top - 15]
    for street, score in ranked[:3]:
        plates = review_queries.door_plates_on(session, street_name=street)
        if plates.empty:
            continue
        exact_found = False
        if number is not None:
            exact = plates[plates["house_number"] == number]
            exact_found = not exact.empty
            for n, lon, lat in zip(exact["house_number"], exact["lon"], exact["lat"], strict=True):
                out.append(
                    Suggestion(
                        f"{street}{n}号（已有门牌）",
                        street,
                        str(n),
                        float(lon),
                        float(lat),
                        "door_plate",
                        score,
                    )
                )
        if main is not None and not exact_found:
            nums = [house_number_parts(str(n)) for n in plates["house_number"]]
            plates = plates.assign(_n=[p[0] if p and p[1] == 0 else math.nan for p in nums]).dropna(
                subset=["_n"]
            )
            plates = plates[plates["_n"] != main]
            near = plates.assign(_d=(plates["_n"] - main).abs()).nsmallest(2, "_d")
            for n, lon, lat in zip(near["house_number"], near["lon"], near["lat"], strict=True):
                out.append(
                    Suggestion(
                        f"{street}{n}号附近（{number}号未登记）",
                        street,
                        number,
                        float(lon),
                        float(lat),
                        "near_plate",
                        score,
                    )
                )
        elif not out or out[-1].street_name != street:
            mid = plates.iloc[len(plates) // 2]
            out.append(
                Suggestion(
                    f"{street}（中段，{mid['house_number']}号附近）",
                    street,
                    None,
                    float(mid["lon"]),
                    float(mid["lat"]),
                    "street",
                    score,
                )
            )
    return out[:limit]


def accept(
    household_id: int,
    *,
    lon: float,
    lat: float,
    session: Session,
    actor: str | None,
    street_name: str | None = None,
    house_number: str | None = None,
    allowed_cells: tuple[str, ...] | None = None,
) -> AcceptResult:
    """Place a household at (lon, lat) and remember the decision.

    Parameters
    ----------
    household_id
        The household in review.
    lon, lat
        The accepted point, EPSG:4490.
    street_name
        The registered street the household is on (from a suggestion); when None, the street
        nearest the point within ``STREET_SNAP_M`` metres is taken.
    house_number
        The door plate number; default: the number written in the address.
    allowed_cells
        When given (a grid leader's or worker's cells), a point outside them hands the
        household over to the cell it falls in (still in review, its leader told: see
        :func:`handovers`) instead of placing it.
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInputError("请先在地图上点选位置或选择一个建议地址")
    household = review_queries.household_for_review(session, household_id=household_id)
    if household is None:
        raise NotFoundError(f"住户 {household_id} 不存在或不在您的权限范围内")
    hit = cell_queries.cell_at(session, lon=lon, lat=lat)
    if hit is None:
        raise GeometryError(
            f"所选位置（{lon:.6f}, {lat:.6f}）不在已发布方案的任何网格内，请在网格范围内点选"
        )
    written_street, written_number = written_street_and_number(str(household["address"]))
    if allowed_cells is not None and hit["cell_code"] not in allowed_cells:
        # Not ours: hand the household over to that cell's queue (its leader confirms it and
        # the decision is remembered then), instead of refusing. The database function checks
        # who acts; row-level security would refuse writing another cell's household directly.
        number = house_number or written_number
        matched = f"{street_name}{number}号" if street_name and number else (street_name or "")
        try:
            with session.begin_nested():  # a refusal leaves the caller's transaction usable
                to_cell = review_queries.hand_over_household(
                    session, household_id=household_id, lon=lon, lat=lat, matched=matched or None
                )
        except DBAPIError as exc:
            diag = getattr(exc.orig, "diag", None)
            reason = str(getattr(diag, "message_primary", "") or "")
            raise PermissionDeniedError(
                f"所选位置在网格 {hit['cell_code']}（{hit['name']}），不在您负责的网格内，"
                f"也无法移交该网格：{reason or '数据库拒绝'}"
            ) from exc
        return AcceptResult(
            household_id=household_id,
            cell_code=to_cell,
            community_code=str(hit["community_code"]),
            handed_over_to=str(hit["name"]),
        )
    if street_name is None:
        # A click on the map: the nearest street is remembered only when it is plausibly the
        # street the address names — a wrong alias would misplace every later import.
        near = review_queries.nearest_street(session, lon=lon, lat=lat, within_m=STREET_SNAP_M)
        if near is not None and written_street and _plausible(written_street, near["name"]):
            street_name = near["name"]
    number = house_number or written_number
    remembered: list[str] = []
    if street_name and written_street and normalize_address(written_street) != street_name:
        alias = normalize_address(written_street)[:50]
        if review_queries.add_street_alias(session, street_name=street_name, alias=alias):
            remembered.append(f"「{alias}」是{street_name}的别名")
    if street_name and number:
        if review_queries.insert_door_plate(
            session,
            district_code=str(household["district_code"]),
            street_name=street_name,
            house_number=number[:20],
            lon=lon,
            lat=lat,
            community_code=hit["community_code"],
        ):
            remembered.append(f"新门牌 {street_name}{number}号")
    matched = f"{street_name}{number}号" if street_name and number else (street_name or "")
    review_queries.place_household(
        session,
        household_id=household_id,
        lon=lon,
        lat=lat,
        cell_code=hit["cell_code"],
        community_code=hit["community_code"],
        matched_text=matched or "人工定位",
    )
    review_queries.resolve_handovers(session, household_id=household_id)
    file_queries.insert_household_change(
        session,
        household_id=household_id,
        actor=actor,
        change="核实定位",
        detail=json.dumps(
            {
                "from": {
                    "status": household["status"],
                    "cell_code": household["cell_code"],
                    "match_type": household["match_type"],
                },
                "to": {"cell_code": hit["cell_code"], "lon": lon, "lat": lat},
                "remembered": remembered,
            },
            ensure_ascii=False,
        ),
    )
    return AcceptResult(
        household_id=household_id,
        cell_code=str(hit["cell_code"]),
        community_code=str(hit["community_code"]),
        remembered=remembered,
    )


@dataclass
class ReviewMap:
    cells: Any  # GeoDataFrame: cell_code, name, community_name
    streets: Any  # GeoDataFrame: name, kind


def review_map(*, session: Session) -> ReviewMap:
    """What the review map draws under the points: published cells and every street."""
    return ReviewMap(
        cells=cell_queries.published_cell_outlines(session),
        streets=cell_queries.all_streets(session),
    )
