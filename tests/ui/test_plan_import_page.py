"""导入街巷 under AppTest, against the demo database, with real uploads.

The upload is a real OpenStreetMap road export (tests/osm_extract.py) as the page gets it: a
GeoJSON file through the file uploader, in the page's default mode (按户数自动组合街区).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.logins import as_actor, login
from tests.osm_extract import osm_roads_geojson

pytestmark = pytest.mark.ui

PAGE = str(ROOT / "app_pages" / "plan_import.py")
SUBDISTRICT = ROOT / "data" / "boundaries" / "laocheng_subdistrict.geojson"


def _drafts(db_url: str) -> int:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        return int(
            s.execute(
                text("SELECT count(*) FROM grid_plans WHERE state IN ('draft','validated')")
            ).scalar()
        )


def _drop_drafts(db_url: str) -> None:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        s.execute(text("DELETE FROM grid_plans WHERE state IN ('draft','validated')"))


def _submit(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader[0].upload(name, content, "application/geo+json")
    [b for b in at.button if b.label == "生成草稿"][0].click()
    return at.run()


def test_a_real_osm_export_asks_about_its_dangles_then_makes_a_draft(demo_db, tmp_path):
    _drop_drafts(demo_db)
    content = osm_roads_geojson(tmp_path / "roads.geojson").read_bytes()
    try:
        with login(demo_db, role="planner") as actor:
            at = as_actor(AppTest.from_file(PAGE, default_timeout=180), actor).run()
            _submit(at, "roads.geojson", content)
            assert not at.exception, at.exception
            assert not at.error, [e.value for e in at.error]
            # hundreds of dangles: said first, nothing written yet
            assert any("断头线" in w.value and "确认" in w.value for w in at.warning)
            assert not [s for s in at.success if "已生成草稿" in s.value]
            assert _drafts(demo_db) == 0
            [b for b in at.button if b.label == "仍然生成草稿"][0].click()
            at.run()
            assert not at.exception, at.exception
            assert not at.error, [e.value for e in at.error]
            done = [s.value for s in at.success if "已生成草稿" in s.value]
            assert len(done) == 1, done
            assert _drafts(demo_db) == 1
            # the extract covers part of the sub-district: how much, and that the map shows the rest
            assert any("街巷围合的区域只占边界的" in w.value for w in at.warning)
            assert any("用于生成街区的街巷线" in c.value for c in at.caption)
    finally:
        _drop_drafts(demo_db)


def test_streets_1000_km_away_are_refused_in_one_line(demo_db):
    sd = gpd.read_file(SUBDISTRICT).to_crs(4545)
    far = sd.boundary.translate(0, 1_000_000).to_crs(4490)  # the outline as a street, far north
    content = gpd.GeoDataFrame({"name": ["环城路"]}, geometry=far).to_json().encode()
    _drop_drafts(demo_db)
    with login(demo_db, role="planner") as actor:
        at = as_actor(AppTest.from_file(PAGE, default_timeout=120), actor).run()
        _submit(at, "far.geojson", content)
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "相距约" in errors[0] and errors[0].count("经度") == 2, errors
    assert not [s for s in at.success if "已生成草稿" in s.value]
    assert _drafts(demo_db) == 0
