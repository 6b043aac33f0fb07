"""Reading household rosters (花名册) as offices keep them: Excel or CSV with Chinese headers.

Pure (no database): ``read_roster`` finds the header row (offices put a title above it),
recognises the usual Chinese column names and their synonyms, and ``validate_roster`` checks each
row (required fields, GB 11643 ID numbers, phones, duplicates within the file). Every input row
keeps its spreadsheet row number so an error can name it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

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
from services.households.roster_file import RosterFile, read_file

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


def clean_header(value: object) -> str:
    return "".join(str(value).split()).replace("*", "").replace("：", "").strip()


def _match_field(header: str) -> str | None:
    for key, names in HEADER_SYNONYMS.items():
        if header in names:
            return key
    return None


def read_roster(
    path: str | Path, *, data: bytes | None = None, mapping: dict[str, str] | None = None
) -> Roster:
    """Read a roster file; ``mapping`` (header → field) overrides header recognition."""
    return roster_from(read_file(path, data), mapping=mapping)


def roster_from(file: RosterFile, *, mapping: dict[str, str] | None = None) -> Roster:
    """The roster of a file already read (:func:`services.households.roster_file.read_file`).

    The header row is the first of the first 10 rows that names at least two known columns, so
    a title row above the headers (as most offices have) is skipped.
    """
    path = Path(file.file_name)
    table, formulas = file.table, file.formulas
    if table.empty:
        raise InvalidInputError(f"{path.name}：文件是空的")
    if len(table) > MAX_ROWS:
        raise InvalidInputError(
            f"{path.name}：{len(table):,} 行，超过一次导入的上限 {MAX_ROWS:,} 行"
        )
    overrides = {clean_header(k): v for k, v in (mapping or {}).items()}
    for target in overrides.values():
        if target not in HEADER_SYNONYMS:
            allowed = "、".join(HEADER_SYNONYMS)
            raise InvalidInputError(f"列映射中的字段 {target} 不存在；可用字段：{allowed}")

    header_row = None
    for i in range(min(10, len(table))):
        headers = [clean_header(v) for v in table.iloc[i].tolist()]
        known = sum(1 for h in headers if h in overrides or _match_field(h))
        if known >= 2:
            header_row = i
            break
    if header_row is None:
        raise InvalidInputError(
            f"{path.name}：前10行中找不到表头。需要至少包含「户主姓名」和「地址」等列，"
            "或用 --map 列名=字段 指定列的含义"
        )
    headers = [clean_header(v) for v in table.iloc[header_row].tolist()]
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
