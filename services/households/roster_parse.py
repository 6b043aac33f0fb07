"""Reading household rosters (花名册) as offices keep them: Excel or CSV with Chinese headers.

Pure (no database): ``read_roster`` finds the header row (offices put a title above it),
recognises the usual Chinese column names and their synonyms, and ``validate_roster`` checks each
row (required fields, GB 11643 ID numbers, phones, duplicates within the file). Every input row
keeps its spreadsheet row number so an error can name it.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import InvalidInputError
from core.personal import (
    id_number_problem,
    normalize_id_number,
    normalize_phone,
    phone_problem,
)
from core.vocab import SPECIAL_GROUPS, label_to_key
from services import exports
from services.uploads import table_bytes

MEMBER_SYNONYMS_RELATION = ("与户主关系", "家庭关系", "关系", "与户主的关系")
MEMBER_SYNONYMS_HOUSEHOLD_NO = ("户编号", "户号", "户籍编号")
# field → recognised header names (first is the canonical one shown to users)
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "head_name": ("户主姓名", "户主", "姓名", "户主名", "户主名称"),
    "id_number": ("身份证号", "公民身份号码", "身份证号码", "身份证", "证件号码"),
    "phone": ("联系电话", "手机", "电话", "手机号", "手机号码", "联系方式"),
    "address": ("地址", "住址", "现住址", "家庭住址", "居住地址", "详细地址"),
    "size": ("家庭人口", "人数", "户人口", "家庭人数", "人口数"),
    "tags": ("人员类别", "类别", "标签", "特殊群体", "重点人群"),
    "sex": ("性别",),
    "community": ("社区", "所属社区", "社区名称"),
    "note": ("备注",),
    "row_no": ("序号", "编号"),
    # member rows under their head (one person a row): see split_member_rows
    "relation": MEMBER_SYNONYMS_RELATION,
    "household_no": MEMBER_SYNONYMS_HOUSEHOLD_NO,
}
REQUIRED_FIELDS = ("head_name", "address")
FIELD_LABELS = {field: names[0] for field, names in HEADER_SYNONYMS.items()}
MAX_ROWS = 200_000
# The households columns' widths (db/models.py): a longer value is that row's rejection, not a
# database error that ends the whole import. The address column is text; 200 characters is
# more than any door plate needs and keeps a pasted paragraph out.
MAX_LENGTHS = {
    "head_name": 50,
    "sex": 2,
    "id_number": 30,
    "phone": 30,
    "address": 200,
    "community": 50,
    "tags": 200,
    "note": 500,
}
MAX_TAG_LENGTH = 30  # one special-group label (households.special_groups is varchar(30)[])


@dataclass
class Roster:
    """A roster read from a file: normalised columns plus the spreadsheet row of each record."""

    file_name: str
    frame: pd.DataFrame  # columns: fields present + "excel_row"
    mapping: dict[str, str]  # field → original header
    unknown_columns: list[str] = field(default_factory=list)
    formulas: dict[int, list[str]] = field(default_factory=dict)  # excel_row → fields


def _clean_header(value: object) -> str:
    return "".join(str(value).split()).replace("*", "").replace("：", "").strip()


def _match_field(header: str) -> str | None:
    for key, names in HEADER_SYNONYMS.items():
        if header in names:
            return key
    return None


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formula_tags(data: bytes) -> bool:
    """Whether any worksheet of the .xlsx holds a formula element (``<f>``), read from the
    inflated XML in 1 MB chunks: far cheaper than a second openpyxl parse, which is then only
    needed for the rosters that do have formulas."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            tail = b""
            with archive.open(name) as member:
                while chunk := member.read(1 << 20):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _formula_cells(data: bytes) -> set[tuple[int, int]]:
    """(row, column), 0-based like the table pandas reads, of every cell of the first sheet
    that holds a formula. pandas reads a formula's cached value (or nothing, for a file no
    spreadsheet program has recalculated): a silent guess, so the import refuses those rows.
    openpyxl with ``data_only=False`` keeps the formulas; read-only mode streams the sheet."""
    from openpyxl import load_workbook

    if not _has_formula_tags(data):
        return set()  # the usual roster: no formula anywhere, skip the second parse
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        ws = wb.worksheets[0]
        return {
            (int(cell.row) - 1, int(cell.column) - 1)
            for row in ws.iter_rows()
            for cell in row
            if getattr(cell, "data_type", None) == "f" and cell.row and cell.column
        }
    finally:
        wb.close()


def _read_table(path: Path, data: bytes | None) -> tuple[pd.DataFrame, set[tuple[int, int]]]:
    suffix = path.suffix.lower()
    data = table_bytes(path, data)  # size, type by content, zip bomb: before any parsing
    source: object = io.BytesIO(data)
    try:
        if suffix in (".xlsx", ".xlsm"):
            table = pd.read_excel(source, header=None, dtype=str, engine="openpyxl")
            return table, _formula_cells(data)
        if suffix == ".xls":
            return pd.read_excel(source, header=None, dtype=str, engine="xlrd"), set()
        if suffix == ".csv":
            raw = data
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    text = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise InvalidInputError(f"{path.name}：无法识别文件编码（支持 UTF-8 与 GBK）")
            frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False)
            return frame, set()
    except InvalidInputError:
        raise
    except Exception as exc:  # openpyxl/xlrd raise many kinds for a damaged file
        raise InvalidInputError(
            f"{path.name}：无法读取表格（{type(exc).__name__}）。请确认是有效的 .xlsx/.xls/.csv 文件"
        ) from exc
    raise InvalidInputError(
        f"{path.name}：不支持的文件类型 {suffix or '(无扩展名)'}；支持 .xlsx、.xls、.csv"
    )


def read_roster(
    path: str | Path, *, data: bytes | None = None, mapping: dict[str, str] | None = None
) -> Roster:
    """Read a roster file; ``mapping`` (header → field) overrides header recognition.

    The header row is the first of the first 10 rows that names at least two known columns, so
    a title row above the headers (as most offices have) is skipped.
    """
    path = Path(path)
    table, formulas = _read_table(path, data)
    if table.empty:
        raise InvalidInputError(f"{path.name}：文件是空的")
    if len(table) > MAX_ROWS:
        raise InvalidInputError(
            f"{path.name}：{len(table):,} 行，超过一次导入的上限 {MAX_ROWS:,} 行"
        )
    overrides = {_clean_header(k): v for k, v in (mapping or {}).items()}
    for target in overrides.values():
        if target not in HEADER_SYNONYMS:
            allowed = "、".join(HEADER_SYNONYMS)
            raise InvalidInputError(f"列映射中的字段 {target} 不存在；可用字段：{allowed}")

    header_row = None
    for i in range(min(10, len(table))):
        headers = [_clean_header(v) for v in table.iloc[i].tolist()]
        known = sum(1 for h in headers if h in overrides or _match_field(h))
        if known >= 2:
            header_row = i
            break
    if header_row is None:
        raise InvalidInputError(
            f"{path.name}：前10行中找不到表头。需要至少包含「户主姓名」和「地址」等列，"
            "或用 --map 列名=字段 指定列的含义"
        )
    headers = [_clean_header(v) for v in table.iloc[header_row].tolist()]
    column_for: dict[str, int] = {}
    used: dict[str, str] = {}
    unknown: list[str] = []
    for idx, header in enumerate(headers):
        if not header or header == "nan":
            continue
        field_name = overrides.get(header) or _match_field(header)
        if field_name and field_name not in column_for:
            column_for[field_name] = idx
            used[field_name] = header
        elif not field_name:
            unknown.append(header)
    missing = [FIELD_LABELS[f] for f in REQUIRED_FIELDS if f not in column_for]
    if missing:
        raise InvalidInputError(
            f"{path.name}：第{header_row + 1}行表头缺少必需的列：{'、'.join(missing)}。"
            f"现有列：{'、'.join(h for h in headers if h and h != 'nan')}"
        )
    body = table.iloc[header_row + 1 :]
    frame = pd.DataFrame(
        {f: body.iloc[:, idx].fillna("").astype(str).str.strip() for f, idx in column_for.items()}
    )
    frame["excel_row"] = [int(i) + 1 for i in body.index]  # 1-based spreadsheet row
    field_at = {idx: f for f, idx in column_for.items()}
    formula_fields: dict[int, list[str]] = {}
    for r, c in sorted(formulas):
        if r > header_row and c in field_at:
            formula_fields.setdefault(r + 1, []).append(field_at[c])
    blank = (frame.drop(columns="excel_row") == "").all(axis=1)
    blank &= ~frame["excel_row"].isin(formula_fields)  # a formula row is not blank
    frame = frame.loc[~blank].reset_index(drop=True)
    return Roster(
        file_name=path.name,
        frame=frame,
        mapping=used,
        unknown_columns=unknown,
        formulas=formula_fields,
    )


def parse_tags(text: str) -> list[str]:
    """'低保户、残疾人' → ['low_income', 'disabled']; unknown labels are kept as written."""
    out: list[str] = []
    for part in [p.strip() for p in _split_tags(text) if p.strip()]:
        key = label_to_key(SPECIAL_GROUPS, part) or part
        if key not in out:
            out.append(key)
    return out


def _split_tags(text: str) -> list[str]:
    for sep in ("，", ",", "；", ";", "/", " "):
        text = text.replace(sep, "、")
    return text.split("、") if text else []


def household_key(id_number: str, head_name: str, address: str) -> str:
    """Stable upsert key: the ID number when valid, else a hash of name + address."""
    if id_number:
        return "id:" + hashlib.sha256(id_number.encode()).hexdigest()[:40]
    digest = hashlib.sha256(f"{head_name}|{address}".encode()).hexdigest()[:40]
    return "na:" + digest


def validate_roster(roster: Roster) -> pd.DataFrame:
    """Normalise and check each row; return the frame with a ``problem`` column (None = ok).

    Columns out: excel_row, head_name, sex, id_number, phone, size, address, community, tags,
    note, household_key, problem.
    """
    df = roster.frame.copy()
    for f in HEADER_SYNONYMS:
        if f not in df.columns:
            df[f] = ""
    problems: list[str | None] = []
    ids: list[str] = []
    phones: list[str] = []
    sizes: list[int] = []
    for row in df.itertuples(index=False):
        reasons: list[str] = [
            f"「{_label(roster, f)}」是公式，请粘贴为数值"
            for f in roster.formulas.get(int(str(row.excel_row)), [])
        ]
        for f, width in MAX_LENGTHS.items():
            value = str(getattr(row, f) or "")
            if len(value) > width:
                reasons.append(
                    f"「{_label(roster, f)}」过长（{len(value):,} 个字，最多 {width} 个）"
                )
        long_tags = [t for t in parse_tags(str(row.tags or "")) if len(t) > MAX_TAG_LENGTH]
        if long_tags:
            reasons.append(
                f"「{_label(roster, 'tags')}」中的「{long_tags[0][:20]}…」过长"
                f"（最多 {MAX_TAG_LENGTH} 个字，多个类别用顿号分开）"
            )
        if not row.head_name:
            reasons.append(f"「{_label(roster, 'head_name')}」为空")
        if not row.address:
            reasons.append(f"「{_label(roster, 'address')}」为空")
        id_number = normalize_id_number(row.id_number) if row.id_number else ""
        if id_number:
            problem = id_number_problem(id_number)
            if problem:
                reasons.append(f"「{_label(roster, 'id_number')}」{row.id_number}：{problem}")
        phone = normalize_phone(row.phone) if row.phone else ""
        if phone:
            problem = phone_problem(phone)
            if problem:
                reasons.append(f"「{_label(roster, 'phone')}」{problem}")
        size = 1
        size_text = str(row.size)
        if size_text:
            try:
                size = int(float(size_text))
                if not 1 <= size <= 30:
                    raise ValueError
            except (ValueError, OverflowError):  # "abc", "nan" / "inf", "1e999"
                size = 1
                reasons.append(f"「{_label(roster, 'size')}」{size_text} 不是 1–30 的整数")
        problems.append("；".join(reasons) or None)
        ids.append(id_number)
        phones.append(phone)
        sizes.append(size)
    df["id_number"] = ids
    df["phone"] = phones
    df["size"] = sizes
    df["tags"] = [parse_tags(t) for t in df["tags"]]
    df["problem"] = problems
    df["household_key"] = [
        household_key(i, n, a)
        for i, n, a in zip(df["id_number"], df["head_name"], df["address"], strict=True)
    ]
    first_row: dict[str, int] = {}
    for i, (key, excel_row, problem) in enumerate(
        zip(df["household_key"], df["excel_row"], df["problem"], strict=True)
    ):
        if isinstance(problem, str) and problem:
            continue
        if key in first_row:
            df.at[i, "problem"] = f"与第{first_row[key]}行重复（同一身份证号或同名同址）"
        else:
            first_row[key] = excel_row
    df["problem"] = df["problem"].astype(object).where(df["problem"].notna(), None)
    return df


def _label(roster: Roster, field_name: str) -> str:
    return roster.mapping.get(field_name, FIELD_LABELS[field_name])


def rejections_xlsx(rejected: pd.DataFrame, *, title: str) -> bytes:
    """The rejected rows as an .xlsx a clerk can fix and re-import, with a 退回原因 column."""
    cols = ["excel_row", "head_name", "id_number", "phone", "address", "size", "problem"]
    out = rejected.reindex(columns=cols).rename(
        columns={
            "excel_row": "原表行号",
            "head_name": "户主姓名",
            "id_number": "身份证号",
            "phone": "联系电话",
            "address": "地址",
            "size": "家庭人口",
            "problem": "退回原因",
        }
    )
    return exports.table_xlsx(out, title=title, sheet="退回行", widths=(9, 12, 22, 16, 40, 9, 60))


# --------------------------------------------------------------------------- family members
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
    """The 家庭成员 sheet of an .xlsx roster (any sheet after the first whose header names a
    member's name and its household's key: 户主身份证号 or 户编号), or None.

    Sheets whose name hints at members (成员 / 人口 / 家庭) are tried first.
    """
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    import openpyxl

    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data) if data is not None else path, read_only=True, data_only=True
        )
        names = list(book.sheetnames)[1:]
        book.close()
    except Exception:  # noqa: BLE001 - the main sheet's reader already reported a bad file
        return None
    names.sort(key=lambda n: not any(h in n for h in MEMBER_SHEET_HINTS))
    for name in names:
        table = pd.read_excel(
            io.BytesIO(data) if data is not None else path,
            sheet_name=name,
            header=None,
            dtype=str,
            engine="openpyxl",
        )
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
        headers = [_clean_header(v) for v in table.iloc[i].tolist()]
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
