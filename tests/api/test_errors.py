"""Every refusal in GeoReport's error format, with a Chinese description, and nothing written.

Plain httpx: the point is the exact HTTP status and body, not a client's interpretation.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import httpx
import pytest
from sqlalchemy import text

pytestmark = pytest.mark.db

CJK = re.compile(r"[\u4e00-\u9fff]")


def _counts(db_url: str) -> tuple[int, int, int]:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        row = s.execute(
            text(
                "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_attachments), "
                "(SELECT count(*) FROM open311_requests)"
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


def _refused(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    assert set(body[0]) == {"code", "description"} and body[0]["code"] == status
    assert CJK.search(body[0]["description"]), body
    assert "Traceback" not in response.text
    return str(body[0]["description"])


def _cases(place: dict) -> list[tuple[str, dict, dict | None, int, str]]:
    ok = {"service_code": "health", "lat": place["lat"], "long": place["lon"], "description": "x"}
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * 1024 * 1024 + 1)  # over the 20 MB limit
    return [
        ("missing key", {**ok, "api_key": ""}, None, 400, "缺少 api_key"),
        ("unknown key", {**ok, "api_key": "lx_forged"}, None, 403, "api_key 无效"),
        ("unknown service", {**ok, "service_code": "potholes"}, None, 404, "服务代码"),
        ("no service", {**ok, "service_code": ""}, None, 400, "缺少 service_code"),
        ("outside", {**ok, "lat": 39.9, "long": 116.4}, None, 400, "不在本街道范围内"),
        ("lat only", {**ok, "long": ""}, None, 400, "须同时提供"),
        ("not a number", {**ok, "lat": "32.6abc"}, None, 400, "不是数字"),
        (
            "address nowhere",
            {
                **{k: v for k, v in ok.items() if k not in ("lat", "long")},
                "address_string": "火星大道9999号",
            },
            None,
            400,
            "无法定位",
        ),
        (
            "no location",
            {k: v for k, v in ok.items() if k not in ("lat", "long")},
            None,
            400,
            "缺少位置",
        ),
        ("no description", {**ok, "description": " "}, None, 400, "description"),
        ("bad kind", {**ok, "attribute[kind]": "urgent"}, None, 400, "attribute[kind]"),
        ("unknown attribute", {**ok, "attribute[colour]": "red"}, None, 400, "不是服务"),
        ("bad phone", {**ok, "phone": "12345"}, None, 400, "phone"),
        ("bad email", {**ok, "email": "not-an-email"}, None, 400, "email"),
        ("media_url not image", {**ok, "media_url": "http://x.cn/a.exe"}, None, 400, "不是图片"),
        ("media_url scheme", {**ok, "media_url": "file:///etc/passwd"}, None, 400, "media_url"),
        ("oversized media", ok, {"media": ("big.png", big, "image/png")}, 400, "超过上限"),
        (
            "non-image media",
            ok,
            {"media": ("photo.jpg", b"%PDF-1.7 not a photo", "image/jpeg")},
            400,
            "不是图片",
        ),
    ]


def test_every_bad_post_is_refused_and_writes_nothing(api, clerk_key, place, demo_db):
    before = _counts(demo_db)
    with httpx.Client(timeout=60) as client:
        for name, fields, files, status, words in _cases(place):
            data = {"api_key": clerk_key, **{k: str(v) for k, v in fields.items()}}
            r = client.post(f"{api.base}/requests.json", data=data, files=files)
            description = _refused(r, status)
            assert words in description, (name, description)
    assert _counts(demo_db) == before


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"start_date": "2026-13-45"}, "start_date"),
        ({"end_date": "yesterday"}, "end_date"),
        ({"start_date": "2026-12-02T00:00:00+08:00", "end_date": "2026-12-01"}, "晚于"),
        ({"status": "pending"}, "status"),
        ({"service_code": "health,potholes"}, "不是本系统的服务代码"),
        ({"bbox": "109,32"}, "bbox"),
        ({"bbox": "110,33,109,32"}, "bbox"),
        ({"max_requests": "many"}, "max_requests"),
    ],
)
def test_bad_get_parameters_are_refused(api, params, words):
    r = httpx.get(f"{api.base}/requests.json", params=params, timeout=30)
    assert words in _refused(r, 400)


def test_errors_in_xml_use_the_spec_elements(api):
    r = httpx.get(f"{api.base}/requests.xml", params={"start_date": "nope"}, timeout=30)
    assert r.status_code == 400
    root = ET.fromstring(r.content)
    assert root.tag == "errors"
    error = root.find("error")
    assert error is not None and error.findtext("code") == "400"
    assert "start_date" in (error.findtext("description") or "")


def test_unknown_request_token_route_and_format(api):
    _refused(httpx.get(f"{api.base}/requests/LC19990101-0001.json", timeout=30), 404)
    _refused(httpx.get(f"{api.base}/tokens/not-a-token.json", timeout=30), 404)
    _refused(httpx.get(f"{api.base}/services/potholes.json", timeout=30), 404)
    _refused(httpx.get(f"{api.base}/nothing-here.json", timeout=30), 404)
    _refused(httpx.get(f"{api.base}/services.csv", timeout=30), 400)


def test_interactive_docs_are_off_offline_rule(api):
    root = api.base.rsplit("/open311", 1)[0]
    for path in ("/docs", "/redoc"):
        r = httpx.get(root + path, timeout=30)
        assert r.status_code == 404
        assert "cdn" not in r.text.lower()


def test_control_characters_and_markup_in_a_description_keep_the_xml_valid(api, clerk_key, place):
    text = "路灯\x01不亮 <b>&amp;</b> ]]>"
    r = httpx.post(
        f"{api.base}/requests.json",
        data={
            "api_key": clerk_key,
            "service_code": "health",
            "lat": str(place["lat"]),
            "long": str(place["lon"]),
            "description": text,
        },
        timeout=60,
    )
    assert r.status_code == 200, r.text
    case_no = r.json()[0]["service_request_id"]
    xml = httpx.get(f"{api.base}/requests/{case_no}.xml", timeout=30)
    root = ET.fromstring(xml.content)  # raises on an invalid document
    assert root.find("request").findtext("description") == "路灯不亮 <b>&amp;</b> ]]>"


def test_an_oversized_body_is_refused_before_it_is_parsed(api, clerk_key):
    before = _counts(api.db_url)
    body = b"api_key=" + clerk_key.encode() + b"&description=" + b"x" * (24 * 1024 * 1024)
    r = httpx.post(
        f"{api.base}/requests.json",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=120,
    )
    assert "超过上限" in _refused(r, 413)
    assert _counts(api.db_url) == before
