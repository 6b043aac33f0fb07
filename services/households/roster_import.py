"""Households: roster import (nothing lost, nothing invented), cell assignment, look-ups.

``import_roster`` is one transaction: rows are read and checked (services.households.roster_parse), geocoded with
the database's gazetteer, upserted by a stable key, and put in their cell by PostGIS
point-in-polygon. Every input row ends in exactly one of: imported (new or updated), waiting for
review (geocoded too roughly to place in a cell), or rejected with a reason.

On the app's connection the importer is a logged-in user under row-level security (migration
0002): a grid leader/worker writes households of their cells, a clerk of their community. Rows
they may not write are rejected with a reason *before* anything is written, so one such row
never makes the database refuse, and roll back, the whole import:

- a row that geocodes into a cell outside the importer's scope (the cell is found by the same
  point-in-polygon on the published plan that places it afterwards);
- a row whose key already belongs to a household the importer cannot see (asked of the
  database through ``lianxin_household_keys_elsewhere``, migrations 0007 and 0008: only for the
  batch being imported, once, and audited).

The owner's connection (CLI, demo loader) has no login: it is unrestricted, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy.orm import Session

from core.errors import PermissionDeniedError
from core.settings import DISTRICT_CODE
from db import repositories, roster_queries
from services import audit
from services.households.roster_file import RosterFile, read_file
from services.households.roster_members import members_from, split_member_rows, validate_members
from services.households.roster_parse import roster_from, validate_roster

# A geocode at least this precise puts a household straight on the map; anything rougher waits
# for a person (street- or community-level points could fall in the wrong cell).
PLACED_MATCH_TYPES = ("door_plate", "interpolated")
MIN_PLACED_SCORE = 0.6

# Roles that may import a roster on the app's connection (the 住户导入 page's roles, plus the
# grid worker, whom the households policies also let write).
IMPORT_ROLES = ("grid_leader", "grid_worker", "clerk", "admin")
GRID_ROLES = ("grid_leader", "grid_worker")
KEY_ELSEWHERE_REASON = "该户已登记在其他网格（或社区），请联系管理员迁移"

OUTSIDE_CELLS_REASON = "定位点不在任何网格内"
CONFLICT_REASON = "地址中的社区与门牌所在社区矛盾"
REVIEW_REASONS = {
    "street": "地址只匹配到街巷，未找到门牌",
    "community": "地址只匹配到社区",
    "unmatched": "地址无法匹配",
}


@dataclass(frozen=True)
class ImportScope:
    """Whose households the acting session may write; ``role`` None = the owner, unrestricted."""

    role: str | None = None
    cells: tuple[str, ...] = ()
    community: str | None = None
    username: str | None = None

    @property
    def restricted(self) -> bool:
        return self.role is not None and self.role != "admin"

    def refusal(self, cell_code: str, community_code: str, place: str) -> str | None:
        """Why a household placed in ``cell_code`` may not be imported here (None = it may)."""
        if not self.restricted:
            return None
        if self.role in GRID_ROLES:
            if cell_code in self.cells:
                return None
            return f"地址位于 {place}，不在您负责的网格内：请由该网格网格长导入"
        if self.community is None:
            return f"地址位于 {place}，您的账号未关联社区：请由该社区工作人员或管理员导入"
        if community_code == self.community:
            return None
        return f"地址位于 {place}，不在您所在的社区内：请由该社区工作人员导入"


def import_scope(*, session: Session) -> ImportScope:
    """The acting session's scope, from the same functions the row-level policies use.

    On the owner's connection no login token is set: every function returns NULL.
    """
    row = roster_queries.acting_scope(session)
    return ImportScope(
        role=row.role,
        cells=tuple(row.cells or ()),
        community=row.community,
        username=row.username,
    )


@dataclass
class ImportReport:
    file_name: str
    total: int
    inserted: int = 0
    updated: int = 0
    review: int = 0
    rejected: int = 0
    batch_id: int | None = None
    rejected_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    review_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    # family members (家庭成员): None when the file carries no members at all
    members_sheet: str | None = None
    members_total: int = 0
    members_imported: int = 0
    member_rejected_rows: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated

    @property
    def members_rejected(self) -> int:
        return len(self.member_rejected_rows)

    def summary(self) -> str:
        text = (
            f"导入 {self.imported:,} 户（新增 {self.inserted:,}，更新 {self.updated:,}）；"
            f"待核实 {self.review:,} 户；退回 {self.rejected:,} 行"
        )
        if self.members_sheet is not None:
            text += f"；家庭成员 {self.members_imported:,} 人（退回 {self.members_rejected:,} 行）"
        return text


def import_roster(
    path: str | Path | RosterFile,
    *,
    session: Session,
    data: bytes | None = None,
    mapping: dict[str, str] | None = None,
    gazetteer: Any = None,
    imported_by: str | None = None,
) -> ImportReport:
    """Import a roster into ``households`` inside the caller's transaction.

    ``path`` is a file name (read here, with ``data`` as its bytes) or a :class:`RosterFile`
    the caller has already read (the page reads an upload once, for its mapping step too).
    Checks come first (the importer's role, then every row), then the one geocoding pass, then
    the writes.
    """
    scope = import_scope(session=session)
    if scope.role is not None and scope.role not in IMPORT_ROLES:
        raise PermissionDeniedError("您的角色不能导入住户名单")  # before reading or geocoding
    file = path if isinstance(path, RosterFile) else read_file(path, data)
    roster, members = split_member_rows(roster_from(file, mapping=mapping))
    if members is None:
        members = members_from(file)
    checked = validate_roster(roster)
    report = ImportReport(file_name=roster.file_name, total=len(checked))
    rejected = checked[checked["problem"].notna()].copy()
    good = _geocoded(session, checked[checked["problem"].isna()].copy(), gazetteer)

    plan = repositories.published_plan(session)
    if imported_by is None:
        imported_by = scope.username  # an unplaced row stays visible to whoever imported it
    # The batch comes first: the database answers "key elsewhere?" only for a batch the caller
    # is importing now, and for at most its declared rows (migration 0008).
    batch_id = roster_queries.create_batch(
        session,
        district_code=DISTRICT_CODE,
        file_name=roster.file_name,
        imported_by=imported_by,
        total=report.total,
    )
    good = _place(session, good, plan)
    if scope.restricted:
        good.loc[good["placed"], "problem"] = [
            scope.refusal(c, m, p) if isinstance(c, str) else None
            for c, m, p in good.loc[
                good["placed"], ["cell_code", "community_code", "place"]
            ].itertuples(index=False)
        ]
        elsewhere = roster_queries.keys_elsewhere(
            session,
            batch_id=batch_id,
            keys=[str(k) for k in good.loc[good["problem"].isna(), "household_key"]],
        )
        good.loc[good["problem"].isna() & good["household_key"].isin(elsewhere), "problem"] = (
            KEY_ELSEWHERE_REASON
        )
        refused = good["problem"].notna()
        if refused.any():
            rejected = pd.concat([rejected, good.loc[refused, list(checked.columns)]])
            rejected = rejected.sort_values("excel_row", kind="stable")
            good = good[~refused].copy()

    inserted = roster_queries.upsert_households(
        session, [_row_params(r, batch_id) for r in good.itertuples(index=False)]
    )
    placed = good["placed"]
    is_new = good["household_key"].map(inserted).fillna(False).astype(bool)
    report.inserted = int((placed & is_new).sum())
    report.updated = int((placed & ~is_new).sum())
    report.review = int((~placed).sum())
    report.rejected = len(rejected)
    roster_queries.set_batch_counts(
        session,
        batch_id=batch_id,
        counts={
            "total": report.total,
            "inserted": report.inserted,
            "updated": report.updated,
            "review": report.review,
            "rejected": report.rejected,
        },
    )
    report.batch_id = int(batch_id)
    report.rejected_rows = rejected
    report.review_rows = good[~placed].drop(
        columns=["placed", "cell_code", "community_code", "place"]
    )
    if members is not None:
        _write_members(session, report, members, checked, written=set(good["household_key"]))
    if report.inserted + report.updated + report.review + report.rejected != report.total:
        raise AssertionError("导入计数不守恒")  # nothing may be lost
    # The import itself is audited, in its own transaction: the rows and the record commit
    # together, or neither does (issue 10). Counts only: the names stay in the batch.
    audit.record(
        session=session,
        username=imported_by or scope.username,
        action=audit.IMPORT_ROSTER,
        target=f"import_batch:{int(batch_id)}",
        detail={
            "file": roster.file_name,
            "total": report.total,
            "inserted": report.inserted,
            "updated": report.updated,
            "review": report.review,
            "rejected": report.rejected,
        },
    )
    return report


def _geocoded(session: Session, good: pd.DataFrame, gazetteer: Any) -> pd.DataFrame:
    """The rows that passed the checks, with their geocode (one pass for the whole file) and
    whether it is precise enough to place (``precise``), told why not (``review_reason``).

    An address that contradicts itself (its 社区 is not where its door plate is) is not put in
    either community's cell: a person decides, told why, unless a person already confirmed
    this household at this very address (待核实): their decision stands over the written
    community, as the remembered plate does.
    """
    from services.geocoding import gazetteer_from_session

    gazetteer = gazetteer or gazetteer_from_session(session=session)
    geo = gazetteer.geocode_many(good["address"].tolist(), conflicts=True)
    geo.index = good.index
    good = good.join(geo[["lon", "lat", "match_type", "score", "matched", "conflict"]])
    conflicted = good["conflict"].notna()
    if conflicted.any():
        confirmed = roster_queries.confirmed_at_address(
            session,
            district_code=DISTRICT_CODE,
            pairs=[
                (str(k), str(a))
                for k, a in good.loc[conflicted, ["household_key", "address"]].itertuples(
                    index=False
                )
            ],
        )
        conflicted &= ~good["household_key"].isin(confirmed)
    good["precise"] = (
        good["match_type"].isin(PLACED_MATCH_TYPES)
        & (good["score"] >= MIN_PLACED_SCORE)
        & ~conflicted
    )
    good["review_reason"] = [
        None
        if ok
        else (
            f"{CONFLICT_REASON}：{conflict}"
            if isinstance(conflict, str) and is_conflict
            else REVIEW_REASONS.get(mt, f"匹配分数低（{score:.2f}）")
        )
        for ok, mt, score, conflict, is_conflict in zip(
            good["precise"],
            good["match_type"],
            good["score"],
            good["conflict"],
            conflicted,
            strict=True,
        )
    ]
    return good


def _place(session: Session, good: pd.DataFrame, plan: Any) -> pd.DataFrame:
    """Each precise row's cell on the published plan (point-in-polygon, one query), and its
    status, decided here once: ``active`` when placed in a cell (or precise with no plan yet),
    ``review`` otherwise. A precise point in no cell of the plan is not "on the map in its
    cell": a person decides (an address beyond the known door plates is extrapolated past the
    street end)."""
    good = good.assign(cell_code=None, community_code=None, place=None)
    precise = good["precise"]
    if plan is not None and precise.any():
        rows = good[precise]
        labels = list(rows.index)
        for hit in roster_queries.cells_at_points(
            session,
            plan_id=int(plan["id"]),
            lons=[float(x) for x in rows["lon"]],
            lats=[float(y) for y in rows["lat"]],
        ):
            label = labels[int(hit.i) - 1]
            good.loc[label, ["cell_code", "community_code", "place"]] = [
                hit.cell_code,
                hit.community_code,
                hit.place,
            ]
        outside = precise & good["cell_code"].isna()
        good.loc[outside, "review_reason"] = OUTSIDE_CELLS_REASON
        good["placed"] = precise & ~outside
    else:
        good["placed"] = precise
    good["status"] = good["placed"].map({True: "active", False: "review"})
    return good


def _write_members(
    session: Session,
    report: ImportReport,
    members: Any,
    checked: pd.DataFrame,
    *,
    written: set[str],
) -> None:
    """Check the member rows and make them the members of the households written.

    The file is the household's current roll: each written household's residents are
    replaced by its member rows in the file. A member whose household was not written (its
    head row rejected, or refused for scope) is rejected with that reason.
    """
    rows = validate_members(members, checked)
    report.members_sheet = members.sheet
    report.members_total = len(rows)
    ok = rows["problem"].isna()
    unwritten = ok & ~rows["household_key"].isin(written)
    head_problem = dict(zip(checked["excel_row"], checked["problem"], strict=True))
    for i in rows.index[unwritten]:
        head_row = int(cast(Any, rows.at[i, "head_row"]))
        reason = head_problem.get(head_row) or "所属户主未导入"
        rows.at[i, "problem"] = f"所属户主行（第{head_row}行）未导入：{reason}"
    ok = rows["problem"].isna()
    ids = roster_queries.household_ids_by_key(
        session, district_code=DISTRICT_CODE, keys=sorted(written)
    )
    good = rows[ok]
    written_rows: Any = good.itertuples(index=False)
    roster_queries.replace_residents(
        session,
        district_code=DISTRICT_CODE,
        household_ids=sorted(ids.values()),
        residents=[
            {
                "household_id": ids[r.household_key],
                "name": r.name,
                "relation": _text_or_none(r.relation),
                "id_number": _text_or_none(r.id_number),
                "phone": _text_or_none(r.phone),
            }
            for r in written_rows
            if r.household_key in ids
        ],
    )
    report.members_imported = int(good["household_key"].isin(set(ids)).sum())
    report.member_rejected_rows = rows[~ok].reset_index(drop=True)


def _text_or_none(value: Any) -> str | None:
    """A cell's text, or None for an empty or missing (NaN) one — never the text 'nan'."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text_ = str(value).strip()
    return text_ or None


def _row_params(r: Any, batch_id: int) -> dict[str, Any]:
    lon = None if pd.isna(r.lon) else float(r.lon)
    lat = None if pd.isna(r.lat) else float(r.lat)
    return {
        "cell_code": r.cell_code if isinstance(r.cell_code, str) else None,
        "community_code": r.community_code if isinstance(r.community_code, str) else None,
        "district_code": DISTRICT_CODE,
        "household_key": r.household_key,
        "head_name": r.head_name,
        "sex": r.sex or None,
        "id_number": r.id_number or None,
        "phone": r.phone or None,
        "size": int(r.size),
        "address": r.address,
        "lon": lon,
        "lat": lat,
        "match_type": r.match_type,
        "score": None if pd.isna(r.score) else float(r.score),
        "matched": _text_or_none(r.matched),
        "special_groups": list(r.tags),
        "status": r.status,
        "review_reason": _text_or_none(r.review_reason),
        "note": r.note or None,
        "batch_id": batch_id,
        "source_row": int(r.excel_row),
    }
