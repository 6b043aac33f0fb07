"""我的网格: one cell's map and households, the household file (一户一档) and the category
rolls (一类一卷). No Streamlit here; the page and the tests call the same functions.

Which households exist for the user is decided by row-level security (the session is the
actor's); which *fields* are shown in full by :mod:`services.masking`. Opening a household
file and exporting a roll each leave an audit row.

A household is on a service category's roll when the category is recorded on it
(``households.categories``), when one of its cases is filed under it, or when one of its
special groups belongs to it (:data:`GROUP_CATEGORIES`: a 低保户 is on the 城市低保 roll …).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from core import clock
from core.errors import InvalidInputError, NotFoundError
from core.vocab import CASE_KINDS, CASE_STATES, SERVICE_CATEGORIES, SPECIAL_GROUPS
from db.household_queries import cells as cell_queries
from db.household_queries import household_file as file_queries
from services import exports

UNIT = "汉滨区老城街道办事处"
# special group → the service categories whose roll it puts a household on
GROUP_CATEGORIES: dict[str, tuple[str, ...]] = {
    "low_income": ("minimum_allowance", "social_security"),
    "disabled": ("disability_aid",),
    "elderly_alone": ("elderly_care",),
    "empty_nest_elderly": ("elderly_care",),
    "left_behind_child": ("culture_education",),
    "community_correction": ("community_correction", "public_safety"),
    "low_rent_housing": ("low_rent_housing",),
    "laid_off_worker": ("social_security",),
}
ROLL_COLUMNS = {
    "head_name": "户主姓名",
    "sex": "性别",
    "id_number": "身份证号",
    "phone": "联系电话",
    "size": "家庭人口",
    "address": "地址",
    "groups_label": "重点人群",
    "categories_label": "服务类别",
}


@dataclass
class CellView:
    """A cell as its grid leader sees it."""

    info: dict[str, Any]  # cell_code, name, community_name, leader_name, leader_phone, …
    cell: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    households: pd.DataFrame  # one row per household, with roll_keys (list) and lon/lat


CATEGORY = "category:"
GROUP = "group:"


def roll_name(key: str) -> str:
    """城市低保 for ``category:minimum_allowance``, 低保户 for ``group:low_income``.

    Roll keys carry their kind because some words are both (社区矫正 is a service category,
    社区矫正对象 a special group; both are ``community_correction``).
    """
    if key.startswith(CATEGORY):
        return SERVICE_CATEGORIES.get(key[len(CATEGORY) :], key)
    if key.startswith(GROUP):
        return SPECIAL_GROUPS.get(key[len(GROUP) :], key)
    return key


def all_roll_keys() -> list[str]:
    """The 14 service categories, then the special groups, as roll keys."""
    return [CATEGORY + k for k in SERVICE_CATEGORIES] + [GROUP + k for k in SPECIAL_GROUPS]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, float) and pd.isna(value):
        return []
    return [str(v) for v in value]


def roll_keys(categories: Any, special_groups: Any, case_categories: Any) -> list[str]:
    """Every roll a household is on: its categories (recorded, from cases, from its special
    groups) and its special groups, in vocabulary order.

    >>> roll_keys([], ["low_income"], ["dispute"])
    ['category:social_security', 'category:minimum_allowance', 'category:dispute', 'group:low_income']
    """
    groups = _as_list(special_groups)
    cats = set(_as_list(categories)) | set(_as_list(case_categories))
    for g in groups:
        cats |= set(GROUP_CATEGORIES.get(g, ()))
    ordered = [CATEGORY + k for k in SERVICE_CATEGORIES if k in cats]
    ordered += [GROUP + k for k in SPECIAL_GROUPS if k in groups]
    return ordered


def _with_rolls(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["roll_keys"] = [
        roll_keys(c, g, k)
        for c, g, k in zip(
            out["categories"], out["special_groups"], out["case_categories"], strict=True
        )
    ]
    out["groups_label"] = [
        "、".join(SPECIAL_GROUPS.get(g, g) for g in _as_list(v)) for v in out["special_groups"]
    ]
    out["categories_label"] = [
        "、".join(roll_name(k) for k in keys if k.startswith(CATEGORY)) for keys in out["roll_keys"]
    ]
    return out


def cells_for(*, session: Session, cells: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The published cells (all, or those in ``cells``) for a picker."""
    frame = cell_queries.published_cells(session)
    if cells is not None:
        frame = frame[frame["cell_code"].isin(cells)]
    return frame.reset_index(drop=True)


def load_cell(cell_code: str, *, session: Session, role: str | None = None) -> CellView:
    """The cell, the streets around it and its households (as RLS lets the session see).

    With ``role``, a role that may not see special groups (services.masking) gets no group
    rolls and no categories derived from groups, so a filter cannot reveal them either.
    """
    cell = cell_queries.cell(session, cell_code=cell_code)
    if cell.empty:
        raise NotFoundError(f"已发布方案中没有网格 {cell_code}")
    raw = cell_queries.cell_households(session, cell_code=cell_code)
    if role is not None:
        from services.masking import masked_kinds

        if "special_groups" in masked_kinds(role):
            raw["special_groups"] = [[] for _ in range(len(raw))]
    households = _with_rolls(raw)
    info = cell.drop(columns="geometry").iloc[0].to_dict()
    info["households"] = int((households["status"] == "active").sum())
    info["residents"] = int(households.loc[households["status"] == "active", "size"].sum())
    return CellView(
        info=info,
        cell=cell,
        streets=cell_queries.streets_around_cell(session, cell_code=cell_code),
        households=households,
    )


def search_households(
    households: pd.DataFrame, text: str = "", *, roll: str | None = None
) -> pd.DataFrame:
    """Filter by free text and/or a roll (``category:…`` or ``group:…`` key).

    The text matches the head's name, the address, a roll's Chinese name (低保户, 城市低保),
    or — when it is 4 digits — the last 4 digits of the phone (电话尾号). Same index as input.
    """
    out = households
    if roll:
        if roll not in all_roll_keys():
            raise InvalidInputError(f"类别 {roll} 不存在")
        out = out[[roll in keys for keys in out["roll_keys"]]]
    text = (text or "").strip()
    if not text:
        return out
    phone = out["phone"].fillna("").astype(str)
    hit = phone.str.endswith(text) if (text.isdigit() and len(text) == 4) else False
    hit = (
        hit
        | out["head_name"].fillna("").astype(str).str.contains(text, regex=False)
        | out["address"].fillna("").astype(str).str.contains(text, regex=False)
    )
    tag_keys = {k for k in all_roll_keys() if text in roll_name(k)}
    if tag_keys:
        hit = hit | pd.Series(
            [bool(tag_keys & set(keys)) for keys in out["roll_keys"]], index=out.index
        )
    return out[hit]


def roll_counts(households: pd.DataFrame) -> pd.DataFrame:
    """key, name, kind (category / group), households — every roll, empty ones included."""
    counts: dict[str, int] = {}
    for keys in households["roll_keys"]:
        for k in keys:
            counts[k] = counts.get(k, 0) + 1
    rows = [
        {
            "key": k,
            "name": roll_name(k),
            "kind": "category" if k.startswith(CATEGORY) else "group",
            "households": counts.get(k, 0),
        }
        for k in all_roll_keys()
    ]
    return pd.DataFrame(rows)


def roll_title(*, key: str, unit: str, scope: str, day: dt.date) -> str:
    """汉滨区老城街道办事处 · 培新街社区 第003网格 · 一类一卷：城市低保 · 2026年11月30日"""
    date = f"{day.year}年{day.month}月{day.day}日"
    return f"{unit} · {scope} · 一类一卷：{roll_name(key)} · {date}"


def roll_xlsx(
    households: pd.DataFrame, *, key: str, scope: str, day: dt.date, unit: str = UNIT
) -> bytes:
    """The roll of one category or special group as .xlsx: a title row (unit, scope, roll,
    date), then the column headers, then one row per household on that roll only.

    Pass the frame already masked for the reader (:func:`services.masking.export_frame`).
    """
    members = search_households(households, roll=key)
    table = members.reindex(columns=list(ROLL_COLUMNS)).rename(columns=ROLL_COLUMNS)
    table.insert(0, "序号", range(1, len(table) + 1))
    return exports.table_xlsx(
        table,
        title=roll_title(key=key, unit=unit, scope=scope, day=day),
        sheet=roll_name(key),
        footer=f"合计 {len(table):,} 户",
        widths=(6, 10, 6, 22, 16, 9, 36, 20, 30),
    )


def export_roll(
    view: CellView, *, key: str, actor: Any, session: Session, day: dt.date | None = None
) -> bytes:
    """The roll as .xlsx for the actor: masked for their role, with an audit row."""
    from services import masking

    members = search_households(view.households, roll=key)
    cols = [*ROLL_COLUMNS, "roll_keys"]
    masked = masking.export_frame(
        members[cols],
        actor=actor,
        session=session,
        what=f"category_roll:{view.info['cell_code']}:{key}",
        detail={"roll": roll_name(key)},
    )
    scope = f"{view.info['community_name']} {view.info['name']}"
    return roll_xlsx(masked, key=key, scope=scope, day=day or clock.today())


# --- the household file (一户一档) --------------------------------------------------------------


def _labelled_cases(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame.assign(
        kind=frame["kind"].map(CASE_KINDS).fillna(frame["kind"]),
        category=frame["category"].map(SERVICE_CATEGORIES).fillna(frame["category"]),
        state=frame["state"].map(CASE_STATES).fillna(frame["state"]),
    )


def household_file(household_id: int, *, session: Session, actor: Any) -> dict[str, Any]:
    """One household's file as the actor may see it: the household and its members (masked),
    its rolls, visits, cases, callbacks and history. Logs the view (audit ``view_household``).
    """
    from services import masking

    record = masking.read_household_file(household_id, actor=actor, session=session)
    cases = file_queries.household_cases(session, household_id=household_id)
    keys = roll_keys(
        record.get("categories"),
        record.get("special_groups"),
        list(cases["category"]) if not cases.empty else [],
    )
    record["rolls"] = [roll_name(k) for k in keys]
    record["visits"] = file_queries.household_visits(session, household_id=household_id)
    record["cases"] = _labelled_cases(cases)
    record["callbacks"] = file_queries.household_callbacks(session, household_id=household_id)
    record["history"] = file_queries.household_history(session, household_id=household_id)
    return record
