"""Open311 GET services: one service per category of grid work, and the attributes each
asks for (kind, item, ticket, materials). The package docstring has the rules."""

from __future__ import annotations

from typing import Any

from core.errors import InvalidInputError, NotFoundError
from core.vocab import (
    CASE_KINDS,
    SERVICE_CATEGORIES,
    SERVICE_ITEMS,
)
from services import cases

DEFAULT_KIND = "promised"

# attribute code → (name, description)
ATTR_KIND = "kind"
ATTR_ITEM = "service_item"
ATTR_TICKET = "ticket_no"
ATTR_MATERIALS = "materials"


# --------------------------------------------------------------------------------- services
def _items_of(category: str) -> dict[str, str]:
    return {k: name for k, (name, cat) in SERVICE_ITEMS.items() if cat == category}


def service_list() -> list[dict[str, Any]]:
    """GET services: one service per category of grid work."""
    return [
        {
            "service_code": code,
            "service_name": name,
            "description": f"{name}类诉求（网格事项）",
            "metadata": True,
            "type": "realtime",
            "keywords": ",".join([name, *_items_of(code).values()]),
            "group": "网格服务事项",
        }
        for code, name in SERVICE_CATEGORIES.items()
    ]


def service_definition(service_code: str) -> dict[str, Any]:
    """GET services/{code}: the attributes a category asks for (kind, item, ticket, materials)."""
    code = _check_service(service_code)
    kinds = [{"key": k, "name": v} for k, v in CASE_KINDS.items()]
    items = [{"key": k, "name": v} for k, v in _items_of(code).items()]
    attributes: list[dict[str, Any]] = [
        {
            "variable": True,
            "code": ATTR_KIND,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": f"办件类型，缺省为{CASE_KINDS[DEFAULT_KIND]}",
            "order": 1,
            "description": "办件类型（决定按工作日计算的办结时限）",
            "values": kinds,
        },
        {
            "variable": True,
            "code": ATTR_TICKET,
            "datatype": "string",
            "required": False,
            "datatype_description": "来源系统的工单编号（如 12345 热线工单号），重复提交同一编号会被拒绝",
            "order": 3,
            "description": "来源工单编号",
            "values": [],
        },
        {
            "variable": False,
            "code": ATTR_MATERIALS,
            "datatype": "text",
            "required": False,
            "datatype_description": "一次性告知：承诺件需携带的材料",
            "order": 4,
            "description": "；".join(cases.materials_for(code)),
            "values": [],
        },
    ]
    if items:
        attributes.insert(
            1,
            {
                "variable": True,
                "code": ATTR_ITEM,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "便民服务中心的服务事项",
                "order": 2,
                "description": "服务事项",
                "values": items,
            },
        )
    return {"service_code": code, "attributes": attributes}


def _check_service(service_code: str | None) -> str:
    code = (service_code or "").strip()
    if not code:
        raise InvalidInputError("缺少 service_code：请先调用 GET services 取得服务代码")
    if code not in SERVICE_CATEGORIES:
        choices = "、".join(SERVICE_CATEGORIES)
        raise NotFoundError(f"服务代码 {code!r} 不存在；可选：{choices}")
    return code
