"""The demo generator: determinism, coverage, roster validity, legal case paths, weekdays."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely

from core.personal import id_check_char
from core.vocab import CASE_STATES, CASE_TRANSITIONS
from demo.generate import generate_demo
from gis.crs import METRIC_CRS

COMMUNITIES = [
    "西大街社区", "培新街社区", "兴安路社区", "大北街社区", "五星街社区",
    "东关社区", "鼓楼社区", "兴安社区", "西关社区",
]  # fmt: skip


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    generate_demo(root)
    return root


def _csv(root: Path, name: str) -> list[dict]:
    with open(root / "data" / "demo" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_deterministic(root, tmp_path):
    generate_demo(tmp_path)
    for rel in (
        "data/demo/manifest.json",
        "data/demo/grid_cells.geojson",
        "data/demo/roster_laocheng.xlsx",
        "data/demo/case_events.csv",
    ):
        assert _sha(root / rel) == _sha(tmp_path / rel), rel


def test_communities_real_names(root):
    comm = gpd.read_file(root / "data/boundaries/laocheng_communities.geojson")
    assert list(comm["name"]) == COMMUNITIES
    assert list(comm["code"]) == [f"610902001{i:03d}" for i in range(1, 10)]
    assert int(comm["has_station"].sum()) == 7
    district = gpd.read_file(root / "data/boundaries/hanbin_district.geojson")
    sub = gpd.read_file(root / "data/boundaries/laocheng_subdistrict.geojson")
    assert sub.geometry.iloc[0].within(district.geometry.iloc[0])


def test_cells_cover_subdistrict(root):
    cells = gpd.read_file(root / "data/demo/grid_cells.geojson").to_crs(METRIC_CRS)
    sub = gpd.read_file(root / "data/boundaries/laocheng_subdistrict.geojson").to_crs(METRIC_CRS)
    comm = gpd.read_file(root / "data/boundaries/laocheng_communities.geojson").to_crs(METRIC_CRS)
    geoms = cells.geometry.values
    assert (cells.geom_type == "Polygon").all()
    assert shapely.coverage_is_valid(geoms)
    union = shapely.coverage_union_all(geoms)
    assert union.symmetric_difference(sub.geometry.iloc[0]).area < 1e-3
    for _, cell in cells.iterrows():
        assert len(cell["cell_code"]) == 15 and cell["cell_code"].startswith("610902001")
        inside = [c for _, c in comm.iterrows() if c.geometry.buffer(0.01).contains(cell.geometry)]
        assert [c["code"] for c in inside] == [cell["community_code"]]
        assert 300 <= cell["households"] <= 500
    truth = _csv(root, "households_truth.csv")
    per_cell: dict[str, int] = {}
    for t in truth:
        if t["row_problem"] != "duplicate":
            per_cell[t["cell_code"]] = per_cell.get(t["cell_code"], 0) + 1
    assert per_cell == dict(zip(cells["cell_code"], cells["households"], strict=True))


def test_roster_ids_valid(root):
    wb = openpyxl.load_workbook(root / "data/demo/roster_laocheng.xlsx", read_only=True)
    ws = wb["住户花名册"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "老城街道住户花名册（示例数据）"
    assert list(rows[1]) == [
        "序号",
        "社区",
        "户主姓名",
        "性别",
        "身份证号",
        "联系电话",
        "地址",
        "家庭人口",
        "人员类别",
        "备注",
    ]
    problem = {int(t["row_no"]): t["row_problem"] for t in _csv(root, "households_truth.csv")}
    assert len(problem) == len(rows) - 2
    for row in rows[2:]:
        idn = row[4]
        assert isinstance(idn, str) and len(idn) == 18
        ok = id_check_char(idn[:17]) == idn[17]
        assert ok == (problem[row[0]] != "bad_id"), row
        assert (int(idn[16]) % 2 == 1) == (row[3] == "男")
        assert isinstance(row[5], str)


def test_shamaoshi_53(root):
    plates = gpd.read_file(root / "data/demo/door_plates.geojson")
    hit = plates[(plates.street_name == "纱帽石") & (plates.house_number == "53")]
    assert len(hit) == 1 and hit.iloc[0]["community_code"] == "610902001004"
    cases = _csv(root, "cases.csv")
    art = [c for c in cases if "纱帽石53号" in c["description"]]
    assert art and art[0]["department"] == "区民政局" and art[0]["state"] == "rated"


def test_case_paths_legal(root):
    cases = {c["case_no"]: c for c in _csv(root, "cases.csv")}
    events: dict[str, list[dict]] = {}
    for e in _csv(root, "case_events.csv"):
        events.setdefault(e["case_no"], []).append(e)
    assert set(events) == set(cases)
    assert {c["state"] for c in cases.values()} == set(CASE_STATES)
    for no, evs in events.items():
        evs.sort(key=lambda e: int(e["seq"]))
        assert evs[0]["from_state"] == "" and evs[0]["to_state"] == "received"
        for a, b in zip(evs, evs[1:], strict=False):
            assert b["from_state"] == a["to_state"]
            assert b["to_state"] in CASE_TRANSITIONS[a["to_state"]], (no, a, b)
            assert b["at"] >= a["at"]
        assert evs[-1]["to_state"] == cases[no]["state"]
        for e in evs:
            if e["action"] == "close":
                assert "核查" in e["note"]


def test_visit_and_callback_days(root):
    visits = _csv(root, "visits.csv")
    assert visits
    for v in visits:
        assert dt.date.fromisoformat(v["visit_date"]).weekday() == 1
        assert (v["outcome"] == "brought_back") == bool(v["case_no"])
    callbacks = _csv(root, "callbacks.csv")
    assert callbacks
    for c in callbacks:
        assert dt.datetime.fromisoformat(c["called_at"]).weekday() == 4


def test_manifest_counts(root):
    manifest = json.loads((root / "data/demo/manifest.json").read_text(encoding="utf-8"))
    assert manifest["reference_date"] == "2026-11-30"
    assert manifest["counts"]["demo/grid_cells.geojson"] == len(
        gpd.read_file(root / "data/demo/grid_cells.geojson")
    )
    assert 14000 <= manifest["stats"]["households"] <= 16000
