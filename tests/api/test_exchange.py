"""The case exchange round-trips: export → import into a fresh database → export again."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlparse

import pytest
from sqlalchemy import text

from tests.conftest import TEST_URL

pytestmark = pytest.mark.db

FRESH = "lianxin_exchange_test"
SINCE = dt.datetime(2026, 11, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def fresh_db() -> str:
    """A second, empty database on the project's own cluster (schema only, no demo)."""
    from core.settings import settings
    from db import cluster
    from db.migrate import upgrade

    url = urlparse(TEST_URL.replace("postgresql+psycopg", "postgresql"))
    if url.hostname not in ("127.0.0.1", "localhost") or url.port != settings.pg_port:
        pytest.fail(
            "交换测试需要在项目自带的数据库集群上新建一个库（TEST_DATABASE_URL 指向了别处）",
            pytrace=False,
        )
    cluster._psql(settings, f"DROP DATABASE IF EXISTS {FRESH} WITH (FORCE)")
    cluster._ensure_database(settings, FRESH)
    fresh = TEST_URL.rsplit("/", 1)[0] + "/" + FRESH
    upgrade(fresh)
    return fresh


def _comparable(packet: dict) -> list[dict]:
    out = []
    for case in packet["cases"]:
        case = json.loads(json.dumps(case))
        # names looked up from codes (the fresh database has no map): compared by code
        case["location"].pop("community_name")
        case["location"].pop("cell_name")
        out.append(case)
    return out


def test_export_import_into_a_fresh_database_round_trips(demo_db, fresh_db, tmp_path):
    from db.engine import session_scope
    from services.cases import exchange

    with session_scope(demo_db) as s:
        packet = exchange.export_packet(session=s, since=SINCE, with_personal=True, by="pytest")
    assert len(packet["cases"]) > 50
    path = exchange.write_packet(packet, tmp_path / "packet.json")
    import jsonschema

    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), exchange.schema())

    read = exchange.read_packet(path)
    with session_scope(fresh_db) as s:
        first = exchange.import_packet(session=s, packet=read, by="pytest")
    assert first.rejected == [] and len(first.added) == len(packet["cases"])
    with session_scope(fresh_db) as s:
        again = exchange.import_packet(session=s, packet=read, by="pytest")
        count = s.execute(text("SELECT count(*) FROM cases")).scalar_one()
    assert again.added == [] and len(again.skipped) == len(packet["cases"])
    assert count == len(packet["cases"])  # the same packet twice adds nothing

    with session_scope(fresh_db) as s:
        back = exchange.export_packet(session=s, since=SINCE, with_personal=True, by="pytest")
    assert _comparable(back) == _comparable(packet)
    case = next(c for c in packet["cases"] if c["satisfaction"] and c["handling_unit"])
    assert case["steps"][0]["action"] == "receive" and case["deadline"]
    assert case["location"]["cell_code"] and case["result"]["closed_at"]


def test_personal_data_travels_only_when_asked_and_is_audited(demo_db):
    from db.engine import session_scope
    from services.cases import exchange

    with session_scope(demo_db) as s:
        plain = exchange.export_packet(session=s, since=SINCE, by="pytest-plain")
        assert all("requester" not in c for c in plain["cases"])
        exchange.export_packet(session=s, since=SINCE, with_personal=True, by="pytest-pii")
        rows = s.execute(
            text("SELECT action FROM audit_log WHERE username IN ('pytest-plain', 'pytest-pii')")
        ).all()
        s.rollback()
    assert [r.action for r in rows] == ["export"]


def test_bad_cases_are_reported_and_the_others_imported(demo_db, fresh_db, tmp_path):
    from core.errors import InvalidInputError
    from db.engine import session_scope
    from services.cases import exchange

    with session_scope(demo_db) as s:
        packet = exchange.export_packet(session=s, since=SINCE, by="pytest")
    cases = packet["cases"][:3]
    good = json.loads(json.dumps(cases[2]))
    good["case_no"] = "LC20261102-9901"
    bad_category = json.loads(json.dumps(cases[0]))
    bad_category["case_no"] = "LC20261102-9902"
    bad_category["category"]["code"] = "potholes"
    bad_time = json.loads(json.dumps(cases[1]))
    bad_time["case_no"] = "LC20261102-9903"
    bad_time["received_at"] = "2026-11-31T25:00:00"
    packet["cases"] = [bad_category, bad_time, good]
    with session_scope(fresh_db) as s:
        result = exchange.import_packet(session=s, packet=packet, by="pytest")
    assert result.added == ["LC20261102-9901"]
    assert len(result.rejected) == 2
    assert result.rejected[0].startswith("第1件（cases[0]，LC20261102-9902）")
    assert "potholes" in result.rejected[0]
    assert "cases[1]" in result.rejected[1]

    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "lianxin-case-exchange", ', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="不是有效的 JSON：第1行"):
        exchange.read_packet(broken)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"format": "other", "cases": []}), encoding="utf-8")
    with pytest.raises(InvalidInputError, match="格式不对"):
        exchange.read_packet(wrong)
