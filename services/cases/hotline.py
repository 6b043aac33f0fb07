"""Bulk import of 12345 hotline exports (.xlsx/.xls/.csv) into cases, one transaction.

Hotline systems export with varying headers; :data:`HEADER_SYNONYMS` recognises the usual ones
(工单编号 / 来电时间 / 诉求内容 / 地址 / 联系电话 / 诉求类别 …), and a title row above the
header is skipped. Every input row ends in exactly one of: imported (a new case through the
``hotline`` channel), already imported (the hotline's ticket number is stored in
``cases.external_ref``, so importing the same export twice changes nothing), or rejected with
its row number and reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy.orm import Session

from core import clock
from core.errors import InvalidInputError
from core.text_files import decode_office_text
from core.vocab import CASE_KINDS, SERVICE_CATEGORIES, SERVICE_ITEMS, label_to_key
from db import cases as queries
from services import exports
from services.calendar import WorkCalendar
from services.cases.intakes import PLACED_MATCH_TYPES, intake
from services.cases.records import Located, aware
from services.uploads import table_bytes

__all__ = ["HEADER_SYNONYMS", "HotlineReport", "category_for", "import_hotline", "read_hotline"]

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "ticket_no": ("工单编号", "工单号", "编号", "热线编号", "工单ID", "受理编号"),
    "called_at": ("来电时间", "受理时间", "创建时间", "登记时间", "派单时间", "时间"),
    "description": ("诉求内容", "问题描述", "来电内容", "诉求描述", "内容", "事项内容"),
    "address": ("地址", "事发地址", "诉求地址", "事发地点", "问题地址", "详细地址"),
    "phone": ("联系电话", "来电号码", "电话", "联系方式", "手机号码"),
    "category": ("诉求类别", "问题分类", "类别", "诉求分类", "业务类别", "事项分类"),
    "citizen_name": ("来电人", "姓名", "市民姓名", "联系人", "诉求人"),
    "kind": ("办件类型", "工单类型", "件类型"),
}
REQUIRED = ("ticket_no", "called_at", "description")
FIELD_LABELS = {
    "ticket_no": "工单编号",
    "called_at": "来电时间",
    "description": "诉求内容",
    "address": "地址",
    "phone": "联系电话",
    "category": "诉求类别",
    "citizen_name": "来电人",
    "kind": "办件类型",
}

# Hotline classifications → the 14 service categories (first keyword found wins).
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("社区矫正", "community_correction"),
    ("矫正", "community_correction"),
    ("廉租", "low_rent_housing"),
    ("公租房", "low_rent_housing"),
    ("保障房", "low_rent_housing"),
    ("住房", "low_rent_housing"),
    ("低保", "minimum_allowance"),
    ("救助", "minimum_allowance"),
    ("残疾", "disability_aid"),
    ("计生", "family_planning"),
    ("计划生育", "family_planning"),
    ("生育", "family_planning"),
    ("纠纷", "dispute"),
    ("信访", "dispute"),
    ("噪音", "dispute"),
    ("邻里", "dispute"),
    ("治安", "public_safety"),
    ("安全", "public_safety"),
    ("消防", "public_safety"),
    ("综治", "public_safety"),
    ("社保", "social_security"),
    ("社会保障", "social_security"),
    ("养老保险", "social_security"),
    ("就业", "social_security"),
    ("劳动", "social_security"),
    ("工资", "social_security"),
    ("医保", "health"),
    ("医疗", "health"),
    ("卫生院", "health"),
    ("疫苗", "health"),
    ("老人", "elderly_care"),
    ("养老", "elderly_care"),
    ("高龄", "elderly_care"),
    ("教育", "culture_education"),
    ("学校", "culture_education"),
    ("文化", "culture_education"),
    ("法律", "legal_publicity"),
    ("政策咨询", "legal_publicity"),
    ("环境", "city_campaign"),
    ("垃圾", "city_campaign"),
    ("卫生", "city_campaign"),
    ("占道", "city_campaign"),
    ("市容", "city_campaign"),
    ("市政", "public_facilities"),
    ("路灯", "public_facilities"),
    ("道路", "public_facilities"),
    ("井盖", "public_facilities"),
    ("下水", "public_facilities"),
    ("供水", "public_facilities"),
    ("设施", "public_facilities"),
)


def category_for(value: object) -> str | None:
    """A hotline classification → a key of ``SERVICE_CATEGORIES`` (None when unknown).

    Examples
    --------
    >>> category_for("城乡建设/市政设施/路灯"), category_for("城市低保"), category_for("其他")
    ('public_facilities', 'minimum_allowance', None)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    label = str(value).strip()
    if not label:
        return None
    if label in SERVICE_CATEGORIES:
        return label
    key = label_to_key(SERVICE_CATEGORIES, label)
    if key:
        return key
    for item_key, (item_label, category) in SERVICE_ITEMS.items():
        if label in (item_key, item_label):
            return category
    for word, category in _KEYWORDS:
        if word in label:
            return category
    return None


def _clean_header(value: object) -> str:
    return "".join(str(value).split()).replace("（", "(").split("(")[0].strip("*：:")


def _field_of(header: str) -> str | None:
    for name, synonyms in HEADER_SYNONYMS.items():
        if header == name or header in synonyms:
            return name
    return None


def _read_raw(path: Path, data: bytes | None) -> pd.DataFrame:
    raw = table_bytes(path, data)  # size, type by content, zip bomb: before any parsing
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            return pd.read_excel(io.BytesIO(raw), header=None, dtype=object)
        if suffix == ".csv":
            decoded = decode_office_text(raw, where=path.name)
            # csv module, not pandas: exports often have ragged rows (a stray comma)
            rows = list(csv.reader(io.StringIO(decoded)))
            width = max((len(r) for r in rows), default=0)
            return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    except InvalidInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader error becomes one clear line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"{path.name}：无法读取（{first}）") from None
    raise InvalidInputError(f"{path.name}：不支持的文件类型 {suffix}，请使用 .xlsx、.xls 或 .csv")


def read_hotline(path: str | Path, *, data: bytes | None = None) -> pd.DataFrame:
    """Read an export into the standard columns plus ``row`` (the spreadsheet row number).

    Raises
    ------
    InvalidInputError
        No header row with the required columns among the first 10 rows.
    """
    path = Path(path)
    raw = _read_raw(path, data)
    for i in range(min(10, len(raw))):
        headers = [_clean_header(v) for v in raw.iloc[i].tolist()]
        fields = [_field_of(h) for h in headers]
        if all(f in fields for f in REQUIRED):
            break
    else:
        need = "、".join(FIELD_LABELS[f] for f in REQUIRED)
        raise InvalidInputError(
            f"{path.name}：前10行中找不到表头（需要列：{need}）；可识别的列名："
            + "；".join(f"{FIELD_LABELS[k]}={'/'.join(v)}" for k, v in HEADER_SYNONYMS.items())
        )
    out = pd.DataFrame({"row": range(i + 2, len(raw) + 1)})
    body = raw.iloc[i + 1 :].reset_index(drop=True)
    taken: set[str] = set()
    for col, name in enumerate(fields):
        if name is None or name in taken:
            continue
        taken.add(name)
        out[name] = body.iloc[:, col].to_numpy()
    for name in HEADER_SYNONYMS:
        if name not in out.columns:
            out[name] = None
    blank = out.drop(columns="row").map(_blank).all(axis=1)
    return out[~blank].reset_index(drop=True)


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()
    )


def _text(value: object) -> str:
    return "" if _blank(value) else str(value).strip()


def _time(value: object) -> dt.datetime | None:
    if _blank(value):
        return None
    try:
        stamp = (
            pd.Timestamp(cast(Any, value))
            if not isinstance(value, str)
            else pd.to_datetime(
                value.strip().replace("年", "-").replace("月", "-").replace("日", " ").strip()
            )
        )
    except (ValueError, TypeError):
        return None
    if pd.isna(stamp):
        return None
    moment = stamp.to_pydatetime()
    return moment.replace(tzinfo=clock.BEIJING) if moment.tzinfo is None else moment


@dataclass
class HotlineReport:
    file_name: str
    total: int
    imported: int = 0
    already: int = 0
    rejected: int = 0
    batch_id: int | None = None
    case_nos: list[str] = field(default_factory=list)
    rejected_rows: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "ticket_no", "reason"])
    )

    def summary(self) -> str:
        return (
            f"导入 {self.imported:,} 件；已导入过（按工单编号跳过）{self.already:,} 件；"
            f"退回 {self.rejected:,} 行"
        )


def import_hotline(
    path: str | Path,
    *,
    session: Session,
    data: bytes | None = None,
    imported_by: str = "12345热线导入",
    default_kind: str = "promised",
    calendar: WorkCalendar | None = None,
    gazetteer: Any = None,
    now: dt.datetime | None = None,
) -> HotlineReport:
    """Import a hotline export inside the caller's transaction (see the module docstring).

    Rows are refused for: a missing ticket number, time or content; a time that is not a date
    or lies in the future; a ticket number repeated in the file; a classification that maps to
    none of the 14 categories; an unknown 办件类型.
    """
    frame = read_hotline(path, data=data)
    name = Path(path).name
    report = HotlineReport(file_name=name, total=len(frame))
    moment = aware(now)
    refs = [_text(v) for v in frame["ticket_no"]]
    existing = queries.hotline_refs_present(session, refs=[r for r in refs if r])
    rejected: list[dict[str, Any]] = []
    good: list[dict[str, Any]] = []
    seen: set[str] = set()
    for rec, ref in zip(frame.to_dict("records"), refs, strict=True):
        row = int(rec["row"])

        def refuse(reason: str, row: int = row, ref: str = ref) -> None:
            rejected.append({"row": row, "ticket_no": ref, "reason": reason})

        if not ref:
            refuse("工单编号为空")
            continue
        if ref in seen:
            refuse(f"工单编号 {ref} 在文件中重复")
            continue
        seen.add(ref)
        if ref in existing:
            report.already += 1
            continue
        description = _text(rec["description"])
        if not description:
            refuse("诉求内容为空")
            continue
        called_at = _time(rec["called_at"])
        if called_at is None:
            refuse(f"来电时间 {_text(rec['called_at'])!r} 不是日期时间，应写成 2026-11-30 09:15")
            continue
        if called_at > moment + dt.timedelta(minutes=5):
            refuse(f"来电时间 {called_at:%Y-%m-%d %H:%M} 晚于当前时间")
            continue
        category = category_for(rec["category"])
        if category is None:
            refuse(
                f"诉求类别 {_text(rec['category']) or '（空）'!r} 无法对应到14类服务类别，"
                "请改为其中之一（如 公共设施管理、城市双创、矛盾纠纷排查）"
            )
            continue
        kind = default_kind
        if _text(rec["kind"]):
            label = _text(rec["kind"])
            kind = label if label in CASE_KINDS else (label_to_key(CASE_KINDS, label) or "")
            if not kind:
                refuse(f"办件类型 {label!r} 无效，可选：{'、'.join(CASE_KINDS.values())}")
                continue
        good.append(
            {
                "row": row,
                "ref": ref,
                "description": description,
                "called_at": called_at,
                "category": category,
                "kind": kind,
                "address": _text(rec["address"]) or None,
                "phone": _text(rec["phone"]) or None,
                "name": _text(rec["citizen_name"]) or None,
            }
        )

    if good:
        if gazetteer is None:
            from services.geocoding import gazetteer_from_session

            gazetteer = gazetteer_from_session(session=session)
        addresses = [g["address"] or "" for g in good]
        geo = gazetteer.geocode_many(addresses)
        report.batch_id = queries.insert_hotline_batch(
            session, file_name=name, imported_by=imported_by
        )
        for g, hit in zip(good, geo.itertuples(), strict=True):
            located = _located(session, hit) if g["address"] else None
            record = intake(
                session=session,
                category=g["category"],
                kind=g["kind"],
                channel="hotline",
                description=g["description"],
                received_by=imported_by,
                citizen_name=g["name"],
                citizen_phone=g["phone"],
                address=g["address"],
                external_ref=g["ref"],
                received_at=g["called_at"],
                calendar=calendar,
                located=located,
            )
            report.case_nos.append(record.case_no)
        report.imported = len(good)
    report.rejected = len(rejected)
    if rejected:
        report.rejected_rows = pd.DataFrame(rejected, columns=["row", "ticket_no", "reason"])
    if report.batch_id is not None:
        queries.set_batch_counts(
            session,
            batch_id=report.batch_id,
            counts={
                "total": report.total,
                "imported": report.imported,
                "already": report.already,
                "rejected": report.rejected,
            },
        )
    return report


def _located(session: Session, hit: Any) -> Located:
    if pd.isna(hit.lon) or pd.isna(hit.lat):
        return Located(None, None, None, None, "unmatched", 0.0, None)
    cell, community = queries.cell_at(session, lon=float(hit.lon), lat=float(hit.lat))
    if hit.match_type not in PLACED_MATCH_TYPES:
        cell = None
    return Located(
        float(hit.lon), float(hit.lat), cell, community, hit.match_type, hit.score, hit.matched
    )


def rejections_xlsx(report: HotlineReport) -> bytes:
    """The rejected rows with their reasons as an .xlsx (title row, then 行号/工单编号/原因)."""
    table = pd.DataFrame(
        {
            "行号": [int(r) for r in report.rejected_rows["row"]],
            "工单编号": list(report.rejected_rows["ticket_no"]),
            "退回原因": list(report.rejected_rows["reason"]),
        }
    )
    return exports.table_xlsx(
        table,
        title=f"{report.file_name} 退回行（{clock.today():%Y-%m-%d}）",
        sheet="退回行",
        widths=(8, 20, 70),
    )
