"""GeoReport v2 bodies in JSON or XML (the spec's element names for lists)."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from starlette.responses import Response

# list element → the name of each item in it
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


# characters XML 1.0 cannot carry at all (ElementTree would write them and break the document)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(element, key, item)
    elif isinstance(value, list):
        child = ITEM_NAMES.get(name, "item")
        for item in value:
            _fill(element, child, item)
    else:
        element.text = _text(value)


def to_xml(root: str, body: Any) -> bytes:
    element = ET.Element(root)
    if isinstance(body, list):
        child = ITEM_NAMES.get(root, "item")
        for item in body:
            _fill(element, child, item)
    else:
        for key, item in body.items():
            _fill(element, key, item)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def respond(fmt: str, root: str, body: Any, *, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(
            to_xml(root, body), status_code=status, media_type="text/xml; charset=utf-8"
        )
    return Response(
        json.dumps(body, ensure_ascii=False, default=str).encode("utf-8"),
        status_code=status,
        media_type="application/json; charset=utf-8",
    )


def errors(fmt: str, status: int, description: str) -> Response:
    """GeoReport's error format: a list of {code, description}."""
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status)
