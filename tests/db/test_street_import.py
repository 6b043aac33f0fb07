"""导入街巷 on real street files, against the demo town on a real PostGIS (rolled back).

The files are read with gis.io.read_vector, exactly as the page reads an upload: a real OSM
road export (tests/osm_extract.py), a survey Shapefile in CGCS2000 Gauss–Krüger with GBK
attributes, streets 6,000 km away, a boundary larger than the communities.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import text

from core.errors import GeometryError
from gis.io import read_vector
from services import plans
from tests.conftest import ROOT
from tests.osm_extract import osm_roads_geojson

pytestmark = pytest.mark.db

SUBDISTRICT = ROOT / "data" / "boundaries" / "laocheng_subdistrict.geojson"


def _plans(session) -> int:
    return int(session.execute(text("SELECT count(*) FROM grid_plans")).scalar())


def _codes_follow_the_scheme(session, plan_id: int) -> None:
    cells = plans.plan_geodata(plan_id, session=session).cells
    communities = set(session.execute(text("SELECT code FROM communities")).scalars())
    assert len(cells)
    for code, comm in zip(cells["cell_code"], cells["community_code"], strict=True):
        assert re.fullmatch(r"\d{15}", code), code
        assert comm in communities
        assert code[:12] == comm, (code, comm)


def _grid(bounds: np.ndarray, step: float, crs: str) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = bounds
    xs = np.arange(minx, maxx + step, step)
    ys = np.arange(miny, maxy + step, step)
    lines = [shapely.LineString([(x, miny), (x, maxy)]) for x in xs]
    lines += [shapely.LineString([(minx, y), (maxx, y)]) for y in ys]
    names = [f"纵{n}路" for n in range(len(xs))] + [f"横{n}街" for n in range(len(ys))]
    return gpd.GeoDataFrame({"name": names}, geometry=lines, crs=crs)


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory) -> Path:
    return osm_roads_geojson(tmp_path_factory.mktemp("osm") / "roads.geojson")


def test_a_real_osm_export_becomes_a_draft_in_the_default_mode(demo_session, osm_file):
    streets = read_vector(osm_file, expected=("line", "polygon"), what="街巷")
    result = plans.import_streets_into_draft(
        None, streets, None, 2.0, session=demo_session, created_by="测试规划员", confirm=True
    )
    assert result.blocks > 30
    assert result.cells >= 3
    _codes_follow_the_scheme(demo_session, result.plan.id)
    # the highway filter left out the footways, steps and cycleways, and the tunnels
    assert result.selection is not None
    assert result.selection.dropped["highway"] > 1000
    assert result.selection.dropped["underground"] > 10
    # the extract (1.0 × 1.7 km) covers only part of the 4.6 km² sub-district: said, and where
    assert result.enclosed_share is not None and 0.05 < result.enclosed_share < 0.95
    assert result.unenclosed is not None and result.unenclosed["area_m2"].sum() > 0
    # every block of the draft is stored, and the cells cover exactly their blocks
    n_blocks = demo_session.execute(
        text("SELECT count(*) FROM blocks WHERE plan_id = :p"), {"p": result.plan.id}
    ).scalar()
    assert n_blocks == result.blocks


def test_a_proposal_that_takes_no_block_still_makes_a_draft(demo_session, osm_file):
    """The reported crash: no block fits the household range, every block becomes a cell of
    its own, and the codes were assigned into an all-NaN float column (TypeError: Invalid
    value '610902001004001' for dtype 'float64' before the fix)."""
    streets = read_vector(osm_file, expected=("line", "polygon"), what="街巷")
    result = plans.import_streets_into_draft(
        None,
        streets,
        None,
        2.0,
        session=demo_session,
        created_by="测试规划员",
        min_households=90_000,
        max_households=99_000,
        confirm=True,
    )
    assert result.cells == result.blocks
    _codes_follow_the_scheme(demo_session, result.plan.id)


def test_hundreds_of_dangles_are_said_before_a_draft_is_made(demo_session, osm_file):
    streets = read_vector(osm_file, expected=("line", "polygon"), what="街巷")
    before = _plans(demo_session)
    with pytest.raises(plans.ImportNeedsConfirmation) as err:
        plans.import_streets_into_draft(
            None, streets, None, 2.0, session=demo_session, created_by="测试"
        )
    assert "断头线" in str(err.value)
    assert (err.value.dangles["kind"] == "dangle").sum() > plans.DANGLES_TO_CONFIRM
    assert _plans(demo_session) == before


def test_streets_about_1000_km_away_are_refused(demo_session):
    sd = gpd.read_file(SUBDISTRICT).to_crs(4545)
    grid = _grid(sd.total_bounds, 300.0, "EPSG:4545")
    grid = grid.set_geometry(grid.translate(0, 1_000_000)).to_crs(4490)  # 1,000 km north
    before = _plans(demo_session)
    with pytest.raises(GeometryError) as err:
        plans.import_streets_into_draft(None, grid, None, 2.0, session=demo_session, confirm=True)
    msg = str(err.value)
    assert "\n" not in msg
    assert re.search(r"相距约 (9\d\d|1,0\d\d)\.\d 公里", msg), msg
    assert msg.count("经度") == 2 and "坐标系" in msg  # both extents, the likely cause
    assert _plans(demo_session) == before


def test_blocks_outside_every_community_get_a_problem_not_a_code(demo_session):
    sd = gpd.read_file(SUBDISTRICT).to_crs(4545)
    bigger = gpd.GeoDataFrame(geometry=sd.buffer(400), crs=4545)
    grid = _grid(bigger.total_bounds, 250.0, "EPSG:4545")
    result = plans.import_streets_into_draft(
        None, grid, bigger, 2.0, session=demo_session, propose=False, confirm=True
    )
    outside = result.proposal_problems[result.proposal_problems["kind"] == "outside_community"]
    assert len(outside) > 5
    assert all("不在任何社区内" in m for m in outside["message"])
    _codes_follow_the_scheme(demo_session, result.plan.id)
    stored = set(
        demo_session.execute(
            text("SELECT block_key FROM blocks WHERE plan_id = :p"), {"p": result.plan.id}
        ).scalars()
    )
    assert not stored & {b for ids in outside["block_ids"] for b in ids}


def test_a_survey_shapefile_in_gauss_krueger_with_gbk_names(demo_session, tmp_path):
    sd = gpd.read_file(SUBDISTRICT).to_crs(4545)
    grid = _grid(sd.total_bounds, 200.0, "EPSG:4545")
    # survey lines: 3D (elevation), one street twice, one drawn as a two-part line
    grid["geometry"] = shapely.force_3d(np.asarray(grid.geometry.array), 260.0)
    grid = gpd.GeoDataFrame(
        {"name": list(grid["name"]) + ["纵0路", "解放路"]},
        geometry=list(grid.geometry)
        + [
            grid.geometry.iloc[0],
            shapely.MultiLineString(
                [list(grid.geometry.iloc[1].coords)[:2], list(grid.geometry.iloc[2].coords)[:2]]
            ),
        ],
        crs="EPSG:4545",
    )
    shp_dir = tmp_path / "survey"
    shp_dir.mkdir()
    grid.to_file(shp_dir / "街巷.shp", engine="pyogrio", encoding="GBK")
    assert "解放路".encode("gbk") in (shp_dir / "街巷.dbf").read_bytes()
    archive = tmp_path / "survey.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in shp_dir.iterdir():
            z.write(f, arcname=f.name)
    streets = read_vector(archive, expected=("line", "polygon"), what="街巷")
    assert "解放路" in set(streets["name"])
    result = plans.import_streets_into_draft(
        None, streets, None, 2.0, session=demo_session, propose=False, confirm=True
    )
    assert result.selection is not None and result.selection.dropped.get("duplicate", 0) >= 1
    assert result.blocks > 50
    _codes_follow_the_scheme(demo_session, result.plan.id)
