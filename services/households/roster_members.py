"""Family members (家庭成员) of a roster: read, linked to their head row, and checked.

Pure (no database), like :mod:`services.households.roster_parse`, whose head rows they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core.personal import id_number_problem, normalize_id_number, normalize_phone, phone_problem
from services.households.roster_file import RosterFile, read_file
from services.households.roster_parse import (
    MEMBER_SYNONYMS_HOUSEHOLD_NO,
    MEMBER_SYNONYMS_RELATION,
    Roster,
    clean_header,
)

# Real 花名册 carry the household's members in one of two layouts, both read here:
#   1. a second sheet (家庭成员) with one row per member, keyed to its household by the head's
#      ID number (户主身份证号) or by a household number (户编号) that the main sheet has too;
#   2. member rows in the main sheet itself, under their head, marked by 与户主关系 (户主 for
#      the head; 配偶 / 子 / 女 … for the members), optionally with the same 户编号.
# Each member row is checked like a head row (name, ID check digit, phone) and keeps its own
# sheet and row number, so a rejection names the cell to fix.
MEMBER_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "head_id_number": ("户主身份证号", "户主身份证号码", "户主公民身份号码", "户主证件号码"),
    "household_no": MEMBER_SYNONYMS_HOUSEHOLD_NO,
    "name": ("姓名", "成员姓名", "家庭成员姓名", "成员"),
    "relation": MEMBER_SYNONYMS_RELATION,
    "sex": ("性别",),
    "id_number": ("身份证号", "公民身份号码", "身份证号码", "身份证", "证件号码"),
    "phone": ("联系电话", "手机", "电话", "手机号", "手机号码", "联系方式"),
    "note": ("备注",),
    "row_no": ("序号",),
}
MEMBER_FIELD_LABELS = {f: names[0] for f, names in MEMBER_HEADER_SYNONYMS.items()}
HEAD_RELATIONS = ("户主", "本人")
MEMBER_SHEET_HINTS = ("成员", "人口", "家庭")


@dataclass
class Members:
    """Member rows read from a roster: one person a row, linked to a head row.

    ``frame`` columns: the fields present (of ``MEMBER_HEADER_SYNONYMS``) plus ``excel_row``;
    in the member-row layout also ``head_row`` (the spreadsheet row of the head above it).
    """

    sheet: str  # the member sheet's name; "" for member rows in the main sheet
    frame: pd.DataFrame
    mapping: dict[str, str]

    def where(self, excel_row: int) -> str:
        return f"「{self.sheet}」表第{excel_row}行" if self.sheet else f"第{excel_row}行"


def split_member_rows(roster: Roster) -> tuple[Roster, Members | None]:
    """Separate member rows (与户主关系 other than 户主/本人) from head rows of one sheet.

    A member row belongs to the head row with the same 户编号 when both have one, else to the
    nearest head row above it. Returns the roster of head rows and the members (None when the
    sheet has no 与户主关系 column or no member row).
    """
    df = roster.frame
    if "relation" not in df.columns:
        return roster, None
    relation = df["relation"].fillna("").astype(str).str.strip()
    is_member = ~relation.isin(("", *HEAD_RELATIONS))
    if not is_member.any():
        return roster, None
    head_row: list[int | None] = []
    current: int | None = None
    for member, row in zip(is_member, df["excel_row"], strict=True):
        if not member:
            current = int(row)
        head_row.append(current)
    rows = df.loc[is_member].rename(columns={"head_name": "name"})
    keep = [c for c in (*MEMBER_HEADER_SYNONYMS, "excel_row") if c in rows.columns]
    members = rows[keep].copy()
    members["head_row"] = [h for h, m in zip(head_row, is_member, strict=True) if m]
    mapping = {("name" if k == "head_name" else k): v for k, v in roster.mapping.items()}
    heads = Roster(
        file_name=roster.file_name,
        frame=df.loc[~is_member].reset_index(drop=True),
        mapping=roster.mapping,
        unknown_columns=roster.unknown_columns,
    )
    return heads, Members(sheet="", frame=members.reset_index(drop=True), mapping=mapping)


def read_member_sheet(path: str | Path, *, data: bytes | None = None) -> Members | None:
    """:func:`members_from` of a file not read yet."""
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    return members_from(read_file(path, data))


def members_from(file: RosterFile) -> Members | None:
    """The 家庭成员 sheet of an .xlsx roster (any sheet after the first whose header names a
    member's name and its household's key: 户主身份证号 or 户编号), or None.

    Sheets whose name hints at members (成员 / 人口 / 家庭) are tried first.
    """
    names = list(file.other_sheets)
    names.sort(key=lambda n: not any(h in n for h in MEMBER_SHEET_HINTS))
    for name in names:
        table = file.other_sheets[name]
        found = _member_header(table)
        if found is None:
            continue
        header_row, column_for, used = found
        body = table.iloc[header_row + 1 :]
        frame = pd.DataFrame(
            {f: body.iloc[:, i].fillna("").astype(str).str.strip() for f, i in column_for.items()}
        )
        frame["excel_row"] = [int(i) + 1 for i in body.index]
        blank = (frame.drop(columns="excel_row") == "").all(axis=1)
        return Members(sheet=name, frame=frame.loc[~blank].reset_index(drop=True), mapping=used)
    return None


def _member_header(table: pd.DataFrame) -> tuple[int, dict[str, int], dict[str, str]] | None:
    for i in range(min(10, len(table))):
        headers = [clean_header(v) for v in table.iloc[i].tolist()]
        column_for: dict[str, int] = {}
        used: dict[str, str] = {}
        for idx, header in enumerate(headers):
            for key, names in MEMBER_HEADER_SYNONYMS.items():
                if header in names and key not in column_for:
                    column_for[key] = idx
                    used[key] = header
                    break
        if "name" in column_for and (
            "head_id_number" in column_for or "household_no" in column_for
        ):
            return i, column_for, used
    return None


def validate_members(members: Members, heads: pd.DataFrame) -> pd.DataFrame:
    """Check each member row and link it to its head row; ``problem`` None = ok.

    ``heads`` is :func:`validate_roster`'s result for the head rows (with ``problem``). A
    member whose head row is rejected is rejected too (its household is not written), with
    the head's row named. Columns out: excel_row, where, name, relation, sex, id_number, phone,
    head_row, household_key, problem.
    """
    df = members.frame.copy()
    for f in (*MEMBER_HEADER_SYNONYMS, "head_row"):
        if f not in df.columns:
            df[f] = None if f == "head_row" else ""

    def label(f: str) -> str:
        return members.mapping.get(f, MEMBER_FIELD_LABELS[f])

    # head rows by their key: the first row of a duplicated head is the one that is imported
    by_id: dict[str, int] = {}
    by_no: dict[str, int] = {}
    raw_id = heads["raw_id_number"] if "raw_id_number" in heads.columns else heads["id_number"]
    for i, (idn, raw, no) in enumerate(
        zip(heads["id_number"], raw_id, heads.get("household_no", [""] * len(heads)), strict=True)
    ):
        for k in {
            normalize_id_number(idn) if idn else "",
            normalize_id_number(raw) if raw else "",
        }:
            if k and k not in by_id:
                by_id[k] = i
        if no and str(no).strip() and str(no).strip() not in by_no:
            by_no[str(no).strip()] = i
    by_row = {int(r): i for i, r in enumerate(heads["excel_row"])}

    out_rows: list[dict[str, object]] = []
    seen: dict[tuple[str, str], int] = {}
    records: Any = df.itertuples(index=False)  # cells are text, head_row an int or None
    for row in records:
        reasons: list[str] = []
        name = str(row.name or "").strip()
        relation = str(row.relation or "").strip()
        if not name:
            reasons.append(f"「{label('name')}」为空")
        # the residents table's column widths: a longer value is this row's rejection, not
        # a varchar overflow that ends the whole import
        for key_, value, width in (("name", name, 50), ("relation", relation, 20)):
            if len(value) > width:
                reasons.append(f"「{label(key_)}」过长（{len(value)} 个字符，最多 {width} 个）")
        if not relation and members.sheet:
            reasons.append(f"「{label('relation')}」为空（填 配偶、子、女、父亲、母亲 等）")
        id_number = normalize_id_number(row.id_number) if row.id_number else ""
        if id_number:
            problem = id_number_problem(id_number)
            if problem:
                reasons.append(f"「{label('id_number')}」{row.id_number}：{problem}")
        phone = normalize_phone(row.phone) if row.phone else ""
        if phone:
            problem = phone_problem(phone)
            if problem:
                reasons.append(f"「{label('phone')}」{problem}")
        head: int | None = None
        no = str(row.household_no or "").strip()
        head_id = normalize_id_number(row.head_id_number) if row.head_id_number else ""
        if no and by_no:
            head = by_no.get(no)
            if head is None:
                reasons.append(f"「{label('household_no')}」{no} 在户主名单中不存在")
        elif head_id:
            head = by_id.get(head_id)
            if head is None:
                reasons.append(
                    f"「{label('head_id_number')}」{row.head_id_number} 在户主名单中不存在"
                )
        elif row.head_row is not None and not pd.isna(row.head_row):
            head = by_row.get(int(row.head_row))
        else:
            reasons.append(
                "找不到所属户主：请填写「户主身份证号」或「户编号」"
                if members.sheet
                else "本行是家庭成员，但上方没有户主行（与户主关系为「户主」的行）"
            )
        key: str | None = None
        head_row: int | None = None
        if head is not None:
            head_row = int(heads["excel_row"].iloc[head])
            key = str(heads["household_key"].iloc[head])
            head_problem = heads["problem"].iloc[head]
            if isinstance(head_problem, str) and head_problem:
                reasons.append(f"所属户主行（第{head_row}行）被退回：{head_problem}")
            elif id_number and id_number == normalize_id_number(heads["id_number"].iloc[head]):
                reasons.append(f"身份证号与户主（第{head_row}行）相同")
        if not reasons and key is not None and id_number:
            first = seen.get((key, id_number))
            if first is not None:
                reasons.append(f"与{members.where(first)}重复（同一户同一身份证号）")
            else:
                seen[(key, id_number)] = int(row.excel_row)
        out_rows.append(
            {
                "excel_row": int(row.excel_row),
                "where": members.where(int(row.excel_row)),
                "name": name,
                "relation": relation or None,
                "sex": str(row.sex or "").strip() or None,
                "id_number": id_number or None,
                "phone": phone or None,
                "head_row": head_row,
                "household_key": key,
                "problem": "；".join(reasons) or None,
            }
        )
    columns = ["excel_row", "where", "name", "relation", "sex", "id_number", "phone", "head_row",
               "household_key", "problem"]  # fmt: skip
    result = pd.DataFrame(out_rows, columns=columns)
    result["problem"] = result["problem"].astype(object).where(result["problem"].notna(), None)
    return result
