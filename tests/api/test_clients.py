"""The Open311 API driven by a real Open311 client library from PyPI.

``georeport`` (0.3, 2025) installs and works on Python 3.11 and is used for every read:
services, a service definition, requests, a request — in JSON and in XML (it parses XML with
xmltodict). It has no POST; ``open311`` (1.1) and ``three`` (0.8), which do, install but are
Python 2 code (``from api import API``, ``itertools.ifilter``) and fail to import on 3.11. So
requests are posted the way ``three.Three.post`` does it — a form body with ``api_key``,
``service_code``, ``attribute[…]`` and an optional multipart ``media`` file — through
``requests``, the HTTP library georeport itself uses.
"""

from __future__ import annotations

import struct
import zlib

import pytest
import requests
from georeport import GeoReport

from core.vocab import SERVICE_CATEGORIES

pytestmark = pytest.mark.db


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _post(api, key: str, **fields: object) -> requests.Response:
    files = fields.pop("files", None)
    data = {"api_key": key, **{k: str(v) for k, v in fields.items()}}
    return requests.post(f"{api.base}/requests.json", data=data, files=files, timeout=60)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_list_is_every_category_in_chinese(api, fmt):
    services = GeoReport(api.base, output_format=fmt).get_service_list()
    assert [s["service_code"] for s in services] == list(SERVICE_CATEGORIES)
    first = services[0]
    assert first["service_name"] == SERVICE_CATEGORIES[first["service_code"]]
    assert first["group"] == "网格服务事项" and first["type"] == "realtime"
    assert str(first["metadata"]).lower() == "true"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_lists_kinds_and_the_materials(api, fmt):
    from services.cases import materials_for

    definition = GeoReport(api.base, output_format=fmt).get_service_definition("minimum_allowance")
    attrs = definition["attributes"]
    if fmt == "xml":
        attrs = attrs["attribute"]
    by_code = {a["code"]: a for a in attrs}
    assert set(by_code) == {"kind", "service_item", "ticket_no", "materials"}
    values = by_code["kind"]["values"]
    values = values["value"] if fmt == "xml" else values
    assert {v["key"]: v["name"] for v in values}["promised"] == "承诺件"
    assert by_code["materials"]["description"] == "；".join(materials_for("minimum_allowance"))


def test_post_read_back_and_follow_to_closure(api, clerk_key, place, demo_db):
    from db.access import acting_session
    from services import cases
    from tests.logins import login

    r = _post(
        api,
        clerk_key,
        service_code="public_facilities",
        lat=place["lat"],
        long=place["lon"],
        description="小区门口路灯不亮已三天",
        **{"attribute[kind]": "promised", "attribute[ticket_no]": "12345-T-0001"},
        first_name="建国",
        last_name="李",
        phone="13912345678",
        email="li@example.cn",
    )
    assert r.status_code == 200, r.text
    posted = r.json()[0]
    case_no = posted["service_request_id"]

    client = GeoReport(api.base)
    got = client.get_service_request(case_no)
    assert got["status"] == "open" and got["lianxin_state"] == "received"
    assert got["address_id"] == place["cell_code"]
    assert got["service_code"] == "public_facilities"
    from db.engine import session_scope

    with session_scope(demo_db) as s:
        record = cases.get_case(case_no, session=s)
    assert record.channel == "hotline" and record.external_ref == "12345-T-0001"
    assert record.citizen_name == "李建国" and record.citizen_phone == "13912345678"
    assert got["expected_datetime"] == record.due_at.isoformat(timespec="seconds")
    assert record.snapshot.kind == "promised"

    # a clerk takes it to the end with the same services as the queue page
    steps = [
        ("dispatch", "", {"to": "市政公用局"}),
        ("start", "", {}),
        ("handle", "已更换灯泡", {}),
        ("close", "现场核查：路灯已亮", {}),
    ]
    with login(demo_db, role="clerk") as actor:
        for action, note, details in steps:
            with acting_session(actor.token, url=demo_db) as s:
                rec = cases.get_case(case_no, session=s)
                cases.act(
                    session=s,
                    case_no=case_no,
                    action=action,
                    expected_version=rec.version,
                    actor=actor.username,
                    note=note,
                    **details,
                )
            if action == "dispatch":
                mid = client.get_service_request(case_no)
                assert mid["status"] == "open" and mid["extended_status"] == "ACTION_SCHEDULED"
                assert mid["agency_responsible"] == "市政公用局"

        closed = client.get_service_request(case_no)
        assert closed["status"] == "closed" and closed["extended_status"] == "FIXED"
        assert closed["status_notes"].startswith("已结案")
        xml = GeoReport(api.base, output_format="xml").get_service_request(case_no)
        assert xml["status"] == "closed" and xml["lianxin_state"] == "closed"

        with acting_session(actor.token, url=demo_db) as s:
            rec = cases.get_case(case_no, session=s)
            cases.act(
                session=s,
                case_no=case_no,
                action="rate",
                expected_version=rec.version,
                actor=actor.username,
                satisfaction="满意",
            )
    rated = client.get_service_request(case_no)
    assert rated["status"] == "closed" and rated["extended_status"] == "CLOSED"
    assert "回访评价：满意" in rated["status_notes"]
    listed = client.get_service_requests(service_code="public_facilities", status="closed")
    assert case_no in [x["service_request_id"] for x in listed]
    open_ones = client.get_service_requests(service_code="public_facilities", status="open")
    assert case_no not in [x["service_request_id"] for x in open_ones]

    token = requests.get(f"{api.base}/tokens/{posted['token']}.json", timeout=30).json()
    assert token == [{"token": posted["token"], "service_request_id": case_no}]


def test_address_string_is_geocoded_into_its_cell(api, clerk_key, place):
    r = _post(
        api,
        clerk_key,
        service_code="city_campaign",
        address_string=place["address"],
        description="楼道堆放杂物",
    )
    assert r.status_code == 200, r.text
    case_no = r.json()[0]["service_request_id"]
    got = GeoReport(api.base).get_service_request(case_no)
    assert got["address_id"] == place["cell_code"]


def test_media_photo_is_kept_as_the_case_attachment(api, clerk_key, place, demo_db):
    from db.engine import session_scope
    from services import cases

    r = _post(
        api,
        clerk_key,
        service_code="public_facilities",
        lat=place["lat"],
        long=place["lon"],
        description="井盖破损",
        media_url="https://platform.example.cn/photos/123.jpg",
        files={"media": ("well.png", _png(), "image/png")},
    )
    assert r.status_code == 200, r.text
    case_no = r.json()[0]["service_request_id"]
    with session_scope(demo_db) as s:
        files = cases.attachments_of(case_no, session=s)
    assert list(files["file_name"]) == ["well.png"]
    got = GeoReport(api.base).get_service_request(case_no)
    assert got["media_url"] == "https://platform.example.cn/photos/123.jpg"


def test_bbox_filters_on_the_cell_point(api, clerk_key, place):
    r = _post(
        api, clerk_key, service_code="health", lat=place["lat"], long=place["lon"], description="x"
    )
    case_no = r.json()[0]["service_request_id"]
    got = GeoReport(api.base).get_service_request(case_no)
    lon, lat = float(got["long"]), float(got["lat"])
    around_cell = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    hits = requests.get(f"{api.base}/requests.json", params={"bbox": around_cell}, timeout=30)
    assert case_no in [x["service_request_id"] for x in hits.json()]
    # a box around the exact point that misses the cell's point finds nothing: the exact
    # location cannot be narrowed down by shrinking the box
    if abs(place["lon"] - lon) > 2e-5 or abs(place["lat"] - lat) > 2e-5:
        e = 1e-5
        exact = f"{place['lon'] - e},{place['lat'] - e},{place['lon'] + e},{place['lat'] + e}"
        miss = requests.get(f"{api.base}/requests.json", params={"bbox": exact}, timeout=30)
        assert case_no not in [x["service_request_id"] for x in miss.json()]
