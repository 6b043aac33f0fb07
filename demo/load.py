"""Load the committed demo town (data/boundaries, data/demo) into the database.

Households go through the real roster import (services.households.roster_import.import_roster): the demo
roster is geocoded by the offline gazetteer exactly as an office's roster would be, so what
the map shows is what the import path produces, not the generator's truth.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely import force_2d
from sqlalchemy.orm import Session

from core import clock
from core.errors import InvalidInputError
from core.settings import DISTRICT_CODE, ROOT
from db import demo_rows, repositories
from db.engine import session_scope


def _read(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise InvalidInputError(f"缺少示例数据文件 {path}：请运行 lianxin demo generate")
    gdf = gpd.read_file(path)
    if gdf.crs is None:
        gdf = gdf.set_crs(4490)
    return gdf.to_crs(4490)


def _csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InvalidInputError(f"缺少示例数据文件 {path}：请运行 lianxin demo generate")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _ewkt(geom: Any, *, multi: bool = False) -> str:
    geom = force_2d(geom)
    wkt = geom.wkt
    if multi and geom.geom_type in ("Polygon", "LineString"):
        wkt = f"MULTI{geom.geom_type.upper()}({wkt[wkt.index('(') :]})"
    return f"SRID=4490;{wkt}"


def _rows(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of a :func:`_csv` frame by column name (every value is text)."""
    return frame.itertuples()


def _none(value: str) -> str | None:
    return value if value not in ("", "nan", "None") else None


def _ts(value: str) -> dt.datetime | None:
    if not _none(value):
        return None
    stamp = dt.datetime.fromisoformat(value)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=clock.UTC8)  # Beijing time
    return stamp


def _truthy(value: str) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "是")


def is_loaded(session: Session) -> bool:
    return bool(session.execute(demo_rows.ANY_HOUSEHOLD).scalar())


def clear(session: Session) -> None:
    demo_rows.clear(session)


def load_demo(
    *, url: str | None = None, root: Path = ROOT, replace: bool = False, progress: Any = print
) -> dict[str, int]:
    """Load the demo in one transaction; return the table counts afterwards."""
    with session_scope(url) as session:
        if is_loaded(session):
            if not replace:
                progress("示例数据已在数据库中（用 --replace 重新载入）")
                return repositories.table_counts(session)
            clear(session)
        load_into(session, root=root, progress=progress)
        return repositories.table_counts(session)


def load_into(session: Session, *, root: Path = ROOT, progress: Any = print) -> None:
    b = root / "data" / "boundaries"
    d = root / "data" / "demo"
    exec_many = session.execute

    district = _read(b / "hanbin_district.geojson")
    exec_many(
        demo_rows.INSERT_DISTRICTS,
        [{"code": DISTRICT_CODE, "name": "汉滨区", "g": _ewkt(district.union_all(), multi=True)}],
    )
    sub = _read(b / "laocheng_subdistrict.geojson").iloc[0]
    exec_many(
        demo_rows.INSERT_SUBDISTRICTS,
        [
            {
                "code": sub["code"],
                "d": DISTRICT_CODE,
                "name": sub["name"],
                "g": _ewkt(sub.geometry, multi=True),
            }
        ],
    )
    comms = _read(b / "laocheng_communities.geojson")
    exec_many(
        demo_rows.INSERT_COMMUNITIES,
        [
            {
                "code": r.code,
                "d": DISTRICT_CODE,
                "sd": r.subdistrict_code,
                "name": r.name,
                "st": bool(r.has_station),
                "g": _ewkt(r.geometry, multi=True),
            }
            for r in _rows(comms)
        ],
    )
    progress(f"社区 {len(comms)} 个")

    streets = _read(d / "streets.geojson")
    exec_many(
        demo_rows.INSERT_STREETS,
        [
            {
                "d": DISTRICT_CODE,
                "sd": sub["code"],
                "name": r.name,
                "kind": r.kind,
                "aliases": [a for a in str(r.aliases or "").split("|") if a],
                "g": _ewkt(r.geometry, multi=True),
            }
            for r in _rows(streets)
        ],
    )
    plates = _read(d / "door_plates.geojson")
    exec_many(
        demo_rows.INSERT_ADDRESS_POINTS,
        [
            {
                "d": DISTRICT_CODE,
                "s": r.street_name,
                "n": str(r.house_number),
                "c": r.community_code,
                "g": _ewkt(r.geometry),
            }
            for r in _rows(plates)
        ],
    )
    compounds_path = d / "compounds.geojson"
    if compounds_path.exists():
        comp = _read(compounds_path)
        exec_many(
            demo_rows.INSERT_COMPOUNDS,
            [
                {
                    "d": DISTRICT_CODE,
                    "name": r.name,
                    "s": r.street_name,
                    "n": str(r.house_number),
                    "c": r.community_code,
                    "g": _ewkt(r.geometry),
                }
                for r in _rows(comp)
            ],
        )
    progress(f"街巷 {len(streets)} 条，门牌 {len(plates):,} 个")

    staff = _csv(d / "staff.csv")
    exec_many(
        demo_rows.INSERT_STAFF,
        [
            {
                "d": DISTRICT_CODE,
                "no": r.staff_id,
                "name": r.name,
                "phone": _none(r.phone),
                "role": r.role,
                "c": _none(r.community_code),
                "cell": _none(r.cell_code),
                "streets": [s for s in r.streets.split("|") if s],
            }
            for r in _rows(staff)
        ],
    )
    staff_ids: dict[str, int] = dict(session.execute(demo_rows.STAFF_IDS).all())

    plan_id = session.execute(
        demo_rows.INSERT_GRID_PLANS,
        {
            "d": DISTRICT_CODE,
            "sd": sub["code"],
            "name": "老城街道网格方案（示例）第1版",
            "vf": dt.datetime(2026, 1, 1, tzinfo=clock.UTC8),
            "note": "示例数据：按街巷定界，300–500户一格",
        },
    ).scalar_one()
    cells = _read(d / "grid_cells.geojson")
    exec_many(
        demo_rows.INSERT_GRID_CELLS,
        [
            {
                "d": DISTRICT_CODE,
                "p": plan_id,
                "c": r.community_code,
                "code": r.cell_code,
                "name": r.name,
                "leader": staff_ids.get(str(r.leader_staff_id)),
                "g": _ewkt(r.geometry, multi=True),
            }
            for r in _rows(cells)
        ],
    )
    blocks = _read(d / "blocks.geojson")
    exec_many(
        demo_rows.INSERT_BLOCKS,
        [
            {
                "d": DISTRICT_CODE,
                "p": plan_id,
                "k": str(r.block_id),
                "c": r.community_code,
                "cell": r.cell_code,
                "g": _ewkt(r.geometry),
            }
            for r in _rows(blocks)
        ],
    )
    progress(
        f"网格 {len(cells)} 个（已发布第1版方案），街区 {len(blocks)} 个，工作人员 {len(staff)} 人"
    )

    session.flush()
    from services.households.roster_import import import_roster

    report = import_roster(d / "roster_laocheng.xlsx", session=session, imported_by="demo")
    progress("花名册：" + report.summary())

    _load_cases(session, d, staff_ids, plan_id)
    progress("事件、走访、回访已载入")


def _load_cases(session: Session, d: Path, staff_ids: dict[str, int], plan_id: int) -> None:
    row_to_household: dict[int, int] = dict(
        session.execute(demo_rows.HOUSEHOLD_BY_SHEET_ROW).all()
    )  # excel row 3 holds 序号 1 (title row, header row)
    cases = _csv(d / "cases.csv")
    session.execute(
        demo_rows.INSERT_CASES,
        [
            {
                "d": DISTRICT_CODE,
                "no": r.case_no,
                "kind": r.kind,
                "cat": r.category,
                "ch": r.channel,
                "state": r.state,
                "desc": r.description,
                "hh": row_to_household.get(int(r.household_row_no))
                if _none(r.household_row_no)
                else None,
                "c": _none(r.community_code),
                "lon": float(r.lon) if _none(r.lon) else None,
                "lat": float(r.lat) if _none(r.lat) else None,
                "rec": _ts(r.received_at),
                "due": _ts(r.due_at),
                "closed": _ts(r.closed_at),
                "handler": staff_ids.get(r.handler_staff_id),
                "dept": _none(r.department),
                "esc": _none(r.escalation_level),
                "rework": int(r.rework_count or 0),
                "sat": _none(r.satisfaction),
                "cb": _truthy(r.called_back),
            }
            for r in _rows(cases)
        ],
    )
    repositories.assign_cells(session, plan_id=plan_id, table="cases")
    case_ids: dict[str, int] = dict(session.execute(demo_rows.CASE_IDS).all())
    events = _csv(d / "case_events.csv")
    session.execute(
        demo_rows.INSERT_CASE_EVENTS,
        [
            {
                "d": DISTRICT_CODE,
                "case": case_ids[r.case_no],
                "seq": int(r.seq),
                "at": _ts(r.at),
                "actor": _none(r.actor_staff_id),
                "action": r.action,
                "f": _none(r.from_state),
                "t": r.to_state,
                "note": _none(r.note),
            }
            for r in _rows(events)
        ],
    )
    visits = _csv(d / "visits.csv")
    session.execute(
        demo_rows.INSERT_VISITS,
        [
            {
                "d": DISTRICT_CODE,
                "date": dt.date.fromisoformat(r.visit_date),
                "staff": staff_ids[r.staff_id],
                "hh": row_to_household.get(int(r.household_row_no))
                if _none(r.household_row_no)
                else None,
                "outcome": r.outcome,
                "note": _none(r.note),
                "case": case_ids.get(r.case_no) if _none(r.case_no) else None,
            }
            for r in _rows(visits)
        ],
    )
    callbacks = _csv(d / "callbacks.csv")
    session.execute(
        demo_rows.INSERT_CALLBACKS,
        [
            {
                "d": DISTRICT_CODE,
                "case": case_ids[r.case_no],
                "at": _ts(r.called_at),
                "staff": staff_ids.get(r.staff_id),
                "reached": _truthy(r.reached),
                "sat": _none(r.satisfaction),
                "comment": _none(r.comment),
            }
            for r in _rows(callbacks)
        ],
    )


def manifest(root: Path = ROOT) -> dict[str, Any]:
    return json.loads((root / "data" / "demo" / "manifest.json").read_text(encoding="utf-8"))
