"""Keys act as roles under row-level security; revoked keys, rate limits, audit, privacy."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import text

pytestmark = pytest.mark.db

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _ok(api, key, place, **extra):
    data = {
        "api_key": key,
        "service_code": "dispute",
        "lat": str(place["lat"]),
        "long": str(place["lon"]),
        "description": "邻里噪音纠纷",
        **extra,
    }
    return httpx.post(f"{api.base}/requests.json", data=data, timeout=60)


def test_a_revoked_key_is_refused_at_once(api, place):
    key = api.key()
    assert _ok(api, key, place).status_code == 200
    api.revoke(key)
    r = _ok(api, key, place)
    assert r.status_code == 403
    assert "已吊销" in r.json()[0]["description"]
    # reads with it are refused too (not silently served as the public reader)
    r = httpx.get(f"{api.base}/requests.json", params={"api_key": key}, timeout=30)
    assert r.status_code == 403


def test_a_read_only_key_cannot_file_cases(api, place, demo_db):
    key = api.key(role="leader")
    r = _ok(api, key, place)
    assert r.status_code == 400 and "只能查询" in r.json()[0]["description"]
    r = httpx.get(f"{api.base}/requests.json", params={"api_key": key}, timeout=30)
    assert r.status_code == 200 and len(r.json()) > 0


def test_rate_limit_answers_429_in_georeport_format(api, place):
    key = api.key(rate=3)
    statuses = [
        httpx.get(f"{api.base}/services.json", params={"api_key": key}, timeout=30).status_code
        for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    r = httpx.get(f"{api.base}/services.xml", params={"api_key": key}, timeout=30)
    assert r.status_code == 429 and b"<errors><error><code>429</code>" in r.content
    assert "请求过于频繁" in r.text and r.headers["Retry-After"]


def test_every_call_leaves_an_audit_row_under_the_keys_account(api, place, demo_db):
    from db.engine import session_scope

    key = api.key()
    posted = _ok(api, key, place).json()[0]["service_request_id"]
    httpx.get(f"{api.base}/requests/{posted}.json", params={"api_key": key}, timeout=30)
    _ok(api, key, {**place, "lat": 1.0, "lon": 2.0})  # refused: outside
    with session_scope(demo_db) as s:
        username = s.execute(
            text(
                "SELECT u.username FROM api_keys k JOIN users u ON u.id = k.user_id "
                "WHERE k.key_hash = encode(sha256(convert_to(:k, 'UTF8')), 'hex')"
            ),
            {"k": key},
        ).scalar_one()
        rows = s.execute(
            text(
                "SELECT target, detail->>'status' AS status FROM audit_log "
                "WHERE username = :u AND action = 'api_call' ORDER BY id"
            ),
            {"u": username},
        ).all()
    assert [(r.target, r.status) for r in rows] == [
        ("POST /open311/v2/requests.json", "200"),
        (f"GET /open311/v2/requests/{posted}.json", "200"),
        ("POST /open311/v2/requests.json", "400"),
    ]


def test_no_public_response_contains_a_name_phone_id_number_or_door_plate(
    api, clerk_key, place, demo_db
):
    from db.engine import session_scope

    secret_id = "610902199001011234"
    r = _ok(
        api,
        clerk_key,
        place,
        first_name="秀英",
        last_name="欧阳",
        phone="13800138000",
        email="ouyang@example.cn",
        address_string=place["address"],
        description=f"欧阳秀英（身份证{secret_id}，电话13800138000）反映{place['address']}楼道灯坏",
    )
    assert r.status_code == 200, r.text
    case_no = r.json()[0]["service_request_id"]

    bodies = []
    with httpx.Client(timeout=60) as client:
        for fmt in ("json", "xml"):
            bodies.append(client.get(f"{api.base}/requests.{fmt}").text)
            bodies.append(client.get(f"{api.base}/requests/{case_no}.{fmt}").text)
            bodies.append(
                client.get(f"{api.base}/requests.{fmt}", params={"api_key": clerk_key}).text
            )
            bodies.append(
                client.get(
                    f"{api.base}/requests.{fmt}",
                    params={"start_date": "2020-01-01T00:00:00+08:00", "max_requests": 1000},
                ).text
            )
    public = "\n".join(bodies)
    assert case_no in public
    with session_scope(demo_db) as s:
        people = s.execute(
            text(
                "SELECT citizen_name, citizen_phone, citizen_email, address FROM cases "
                "WHERE citizen_name IS NOT NULL OR citizen_phone IS NOT NULL"
            )
        ).all()
    assert people
    for name, phone, email, address in people:
        if name and len(name) >= 2:
            assert name not in public, name
        for value in (phone, email, address):
            if value:
                assert value not in public, value
    assert secret_id not in public and not ID_NUMBER.search(public)
    assert not PHONE.search(public)
    assert place["address"] not in public


def test_cli_adds_lists_and_revokes_a_key(api, capsys, demo_db):
    from cli.main import main

    name = "t-o311-cli"
    assert main(["api-keys", "add", name, "--role", "leader", "--channel", "platform"]) == 0
    out = capsys.readouterr().out
    key = re.search(r"密钥：(lx_\S+)", out).group(1)
    assert main(["api-keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert name in listed and key[:8] in listed and key not in listed
    from db.access import token_hash
    from db.engine import session_scope

    with session_scope(demo_db) as s:
        stored = s.execute(
            text("SELECT key_hash FROM api_keys WHERE name = :n"), {"n": name}
        ).scalar_one()
    assert stored == token_hash(key)  # only the hash is kept
    assert httpx.get(f"{api.base}/services.json", params={"api_key": key}).status_code == 200
    assert main(["api-keys", "revoke", name]) == 0
    assert httpx.get(f"{api.base}/services.json", params={"api_key": key}).status_code == 403
    assert main(["api-keys", "revoke", name]) == 2  # a second revoke: one clear line
    assert "已于" in capsys.readouterr().err
