"""Case exchange with the 12345 hotline and the city management platform: JSON packets.

The packet (schema ``docs/exchange-packet.schema.json``, described in ``docs/exchange.md``)
carries the case-handling data elements of GB/T 30428 / CJ/T 315: case number, source,
category and subcategory, location with the cell code, the time of every step, deadline,
handling unit, result and satisfaction.

- :func:`export_packet` reads every case received — or moved a step — since a moment.
  Citizens' names and phones travel only with ``with_personal=True``, and that export leaves
  an audit row (``export``), as every other export of personal data does.
- :func:`import_packet` checks the packet's envelope (a bad one changes nothing), then each
  case on its own: a bad case is reported by its position and number and the others go on.
  Re-importing is idempotent: a case whose number is already there with the same receipt
  time and category is skipped, so the same packet twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core import clock
from core.errors import InvalidInputError, NotFoundError
from core.settings import DISTRICT_CODE
from core.vocab import (
    CASE_KINDS,
    CASE_STATES,
    CHANNELS,
    SATISFACTION,
    SERVICE_CATEGORIES,
    SERVICE_ITEMS,
)
from db import exchange as queries
from services import audit
from services.cases.flow import ACTIONS

FORMAT = "lianxin-case-exchange"
VERSION = "1.0"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "exchange-packet.schema.json"
STEP_NAMES = {**ACTIONS, "receive": "受理", "callback": "回访"}


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # one Chinese line per bad case


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    moment = value if value.tzinfo else value.replace(tzinfo=clock.BEIJING)
    return str(moment.astimezone(clock.BEIJING).isoformat(timespec="seconds"))


def _code_name(code: str | None, names: dict[str, Any]) -> dict[str, Any] | None:
    if not code:
        return None
    name = names.get(code)
    return {"code": code, "name": name[0] if isinstance(name, tuple) else name}


# --------------------------------------------------------------------------------- export
def _case_element(row: Any, *, with_personal: bool) -> dict[str, Any]:
    steps = row.steps if isinstance(row.steps, list) else json.loads(row.steps or "[]")
    element: dict[str, Any] = {
        "case_no": row.case_no,
        "district_code": row.district_code,
        "source": {
            "channel": row.channel,
            "channel_name": CHANNELS.get(row.channel),
            "external_ref": row.external_ref,
        },
        "category": _code_name(row.category, SERVICE_CATEGORIES),
        "subcategory": _code_name(row.service_item, SERVICE_ITEMS),
        "kind": _code_name(row.kind, CASE_KINDS),
        "description": row.description,
        "location": {
            "address": row.address,
            "community_code": row.community_code,
            "community_name": row.community_name,
            "cell_code": row.cell_code,
            "cell_name": row.cell_name,
            "lon": None if row.lon is None else round(float(row.lon), 7),
            "lat": None if row.lat is None else round(float(row.lat), 7),
            "crs": "EPSG:4490",
        },
        "received_at": _iso(row.received_at),
        "deadline": _iso(row.due_at),
        "state": _code_name(row.state, CASE_STATES),
        "escalation_level": row.escalation_level,
        "handling_unit": row.handling_unit or None,
        "result": (
            {"closed_at": _iso(row.closed_at), "check_note": row.check_note}
            if row.closed_at is not None or row.check_note
            else None
        ),
        "satisfaction": _code_name(row.satisfaction, SATISFACTION),
        "steps": [
            {
                "seq": int(s["seq"]),
                "at": _iso(s["at"]),
                "action": s["action"],
                "action_name": STEP_NAMES.get(s["action"], s["action"]),
                "from_state": s.get("from_state"),
                "to_state": s["to_state"],
                "actor": s.get("actor"),
                "note": s.get("note"),
            }
            for s in steps
        ],
    }
    if with_personal:
        element["requester"] = {"name": row.citizen_name, "phone": row.citizen_phone}
    return element


def export_packet(
    *,
    session: Session,
    since: dt.datetime | None,
    until: dt.datetime | None = None,
    with_personal: bool = False,
    by: str = "cli",
    system: str = "连心网",
) -> dict[str, Any]:
    """The packet of every case received, or moved a step, since ``since``."""
    rows = queries.cases_for_export(session, since=since, until=until)
    packet = {
        "format": FORMAT,
        "version": VERSION,
        "standards": ["GB/T 30428", "CJ/T 315"],
        "generated_at": _iso(clock.now()),
        "since": _iso(since),
        "sender": {"system": system, "district_code": DISTRICT_CODE},
        "with_personal_data": with_personal,
        "cases": [_case_element(r, with_personal=with_personal) for r in rows],
    }
    if with_personal:
        audit.record(
            session=session,
            username=by,
            action=audit.EXPORT,
            target="exchange_packet",
            detail={"cases": len(rows), "since": _iso(since), "personal": True},
            district_code=DISTRICT_CODE,
        )
    return packet


def write_packet(packet: dict[str, Any], path: str | Path) -> Path:
    target = Path(path)
    target.write_text(json.dumps(packet, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


# --------------------------------------------------------------------------------- import
def read_packet(path: str | Path) -> dict[str, Any]:
    """Read and check a packet's envelope; a bad file raises one Chinese line."""
    import jsonschema

    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"找不到交换包文件 {file}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"交换包 {file.name} 不是 UTF-8 编码的 JSON 文件") from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"交换包 {file.name} 不是有效的 JSON：第{exc.lineno}行第{exc.colno}列 {exc.msg}"
        ) from None
    envelope = {**schema(), "properties": {**schema()["properties"], "cases": {"type": "array"}}}
    problems = sorted(
        jsonschema.Draft202012Validator(envelope).iter_errors(data), key=lambda e: e.path
    )
    if problems:
        first = problems[0]
        where = "/".join(str(p) for p in first.absolute_path) or "（根）"
        raise InvalidInputError(
            f"交换包 {file.name} 的格式不对（{where}：{first.message}）；"
            "格式见 docs/exchange-packet.schema.json"
        )
    return dict(data)


def _case_problem(element: Any) -> str | None:
    import jsonschema

    case_schema = {"$defs": schema()["$defs"], "$ref": "#/$defs/case"}
    errors = sorted(
        jsonschema.Draft202012Validator(case_schema).iter_errors(element), key=lambda e: e.path
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "（案件）"
        return f"{where}：{first.message}"
    code = element["category"]["code"]
    if code not in SERVICE_CATEGORIES:
        return f"category/code：{code!r} 不是本系统的问题大类"
    item = (element.get("subcategory") or {}).get("code")
    if item and item not in SERVICE_ITEMS:
        return f"subcategory/code：{item!r} 不是本系统的服务事项"
    if element["kind"]["code"] not in CASE_KINDS:
        return f"kind/code：{element['kind']['code']!r} 不是办件类型"
    if element["state"]["code"] not in CASE_STATES:
        return f"state/code：{element['state']['code']!r} 不是案件状态"
    sat = (element.get("satisfaction") or {}).get("code")
    if sat and sat not in SATISFACTION:
        return f"satisfaction/code：{sat!r} 不是满意度"
    try:
        for key in ("received_at", "deadline"):
            if element.get(key):
                _parse(element[key])
        for step in element["steps"]:
            _parse(step["at"])
        if (element.get("result") or {}).get("closed_at"):
            _parse(element["result"]["closed_at"])
    except ValueError as exc:
        return f"时间格式错误：{exc}"
    return None


def _parse(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} 不是 ISO 8601 日期时间") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.BEIJING)


def import_packet(
    *, session: Session, packet: dict[str, Any], by: str = "cli", source: str = ""
) -> ImportResult:
    """Write the packet's cases that are not there yet, in the caller's transaction."""
    result = ImportResult()
    sender = packet.get("sender", {}).get("system", "")
    for index, element in enumerate(packet.get("cases", [])):
        label = f"第{index + 1}件（cases[{index}]"
        label += f"，{element.get('case_no')}）" if isinstance(element, dict) else "）"
        problem = _case_problem(element)
        if problem:
            result.rejected.append(f"{label}：{problem}")
            continue
        case_no = element["case_no"]
        received = _parse(element["received_at"])
        have = queries.existing_case(session, case_no)
        if have is not None:
            same_time = have.received_at.replace(microsecond=0) == received.replace(microsecond=0)
            if same_time and have.category == element["category"]["code"]:
                result.skipped.append(case_no)
            else:
                result.rejected.append(
                    f"{label}：本系统已有编号相同但内容不同的案件（受理于 "
                    f"{have.received_at:%Y-%m-%d %H:%M}），未导入"
                )
            continue
        loc = element["location"]
        res = element.get("result") or {}
        steps = sorted(element["steps"], key=lambda s: s["seq"])
        requester = element.get("requester") or {}
        row = {
            "district_code": element.get("district_code") or DISTRICT_CODE,
            "case_no": case_no,
            "kind": element["kind"]["code"],
            "category": element["category"]["code"],
            "channel": element["source"]["channel"],
            "state": element["state"]["code"],
            "description": element["description"],
            "citizen_name": requester.get("name"),
            "citizen_phone": requester.get("phone"),
            "address": loc.get("address"),
            "community_code": loc.get("community_code"),
            "cell_code": loc.get("cell_code"),
            "lon": loc.get("lon") if loc.get("lat") is not None else None,
            "lat": loc.get("lat") if loc.get("lon") is not None else None,
            "received_at": received,
            "due_at": _parse(element["deadline"]) if element.get("deadline") else None,
            "closed_at": _parse(res["closed_at"]) if res.get("closed_at") else None,
            "escalation_level": element.get("escalation_level"),
            "department": (element.get("handling_unit") or None),
            "rework_count": sum(1 for s in steps if s["action"] == "reopen"),
            "satisfaction": (element.get("satisfaction") or {}).get("code"),
            "called_back": bool(element.get("satisfaction")),
            "check_note": res.get("check_note"),
            "received_by": (steps[0].get("actor") or sender or "exchange")[:50],
            "service_item": (element.get("subcategory") or {}).get("code"),
            "external_ref": element["source"].get("external_ref"),
        }
        try:
            with session.begin_nested():  # a savepoint: a refused case leaves no trace
                case_id = queries.insert_case(session, row)
                queries.insert_steps(
                    session,
                    case_id=case_id,
                    district_code=row["district_code"],
                    steps=[{**s, "at": _parse(s["at"])} for s in steps],
                )
        except Exception as exc:  # noqa: BLE001 - one bad case never aborts the others
            first = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
            result.rejected.append(f"{label}：数据库拒绝写入（{first}）")
            continue
        result.added.append(case_no)
    audit.record(
        session=session,
        username=by,
        action=audit.EXCHANGE_IMPORT,
        target=(source or "exchange_packet")[:100],
        detail={
            "added": len(result.added),
            "skipped": len(result.skipped),
            "rejected": len(result.rejected),
            "sender": sender,
        },
        district_code=DISTRICT_CODE,
    )
    return result
