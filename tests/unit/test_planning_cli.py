"""The planning sub-commands, run in-process through ``cli.main.main`` on real files."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from cli.main import main

X0, Y0 = 500_000.0, 3_617_000.0
METRIC = "EPSG:4545"


def cell_grid(**replace: shapely.Geometry) -> gpd.GeoDataFrame:
    """3×3 cells of 100 m, rows A (north)…C, columns 1…3, stored in lon/lat like real files."""
    names = [f"{r}{c}" for r in "ABC" for c in "123"]
    geoms = {
        n: shapely.box(
            X0 + (int(n[1]) - 1) * 100,
            Y0 - ("ABC".index(n[0]) + 1) * 100,
            X0 + int(n[1]) * 100,
            Y0 - "ABC".index(n[0]) * 100,
        )
        for n in names
    }
    geoms.update(replace)
    return gpd.GeoDataFrame({"cell_id": list(geoms)}, geometry=list(geoms.values()), crs=METRIC)


def street_grid() -> gpd.GeoDataFrame:
    lines = [shapely.LineString([(X0 + x, Y0), (X0 + x, Y0 + 200)]) for x in (0, 100, 200)]
    lines += [shapely.LineString([(X0, Y0 + y), (X0 + 200, Y0 + y)]) for y in (0, 100, 200)]
    return gpd.GeoDataFrame({"name": ["路"] * 6}, geometry=lines, crs=METRIC).to_crs("EPSG:4490")


def one_line(text: str) -> bool:
    return len(text.strip().splitlines()) == 1 and "Traceback" not in text


# --- blocks ------------------------------------------------------------------------------------


def test_blocks_writes_blocks_and_dangles(tmp_path: Path, capsys) -> None:
    src = tmp_path / "streets.geojson"
    street_grid().to_file(src)
    out = tmp_path / "blocks.gpkg"
    assert main(["blocks", str(src), "-o", str(out)]) == 0
    assert [r[0] for r in pyogrio.list_layers(out)] == ["blocks", "dangles"]
    blocks = gpd.read_file(out, layer="blocks")
    assert {"block_id", "area_m2"} <= set(blocks.columns)
    assert len(blocks) == 4
    assert blocks["area_m2"].sum() == pytest.approx(40_000, rel=1e-6)
    assert "4 个街区" in capsys.readouterr().out


def test_blocks_refuses_points_as_streets(tmp_path: Path, capsys) -> None:
    src = tmp_path / "doors.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(109.03, 32.68)], crs="EPSG:4326").to_file(src)
    assert main(["blocks", str(src), "-o", str(tmp_path / "out.gpkg")]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "doors.geojson" in err and "点" in err


def test_blocks_refuses_empty_and_unreadable_files(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    assert main(["blocks", str(empty), "-o", str(tmp_path / "o.gpkg")]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "empty.geojson" in err
    assert main(["blocks", str(tmp_path / "missing.shp"), "-o", str(tmp_path / "o.gpkg")]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "missing.shp" in err


# --- check -------------------------------------------------------------------------------------


def test_check_clean_exits_0(tmp_path: Path, capsys) -> None:
    src = tmp_path / "cells.gpkg"
    cell_grid().to_crs("EPSG:4490").to_file(src)
    assert main(["check", str(src)]) == 0
    assert "未发现问题" in capsys.readouterr().out


def test_check_problems_exit_1_and_json(tmp_path: Path, capsys) -> None:
    slot = shapely.box(X0 + 100, Y0 - 75, X0 + 100.5, Y0 - 25)
    cells = cell_grid(
        A2=shapely.difference(cell_grid().geometry.iloc[1], slot),
        B2=shapely.box(X0 + 100, Y0 - 200, X0 + 205, Y0 - 100),
    )
    src = tmp_path / "cells.gpkg"
    cells.to_crs("EPSG:4490").to_file(src)
    assert main(["check", str(src), "--gap-width-m", "1", "--json"]) == 1
    out = capsys.readouterr().out
    payload = json.loads(out)  # ONE object
    assert payload["cells"] == 9
    assert payload["summary"] == {"gap": 1, "overlap": 1}
    kinds = {p["kind"]: p for p in payload["problems"]}
    assert set(kinds["gap"]) >= {"kind", "cell_ids", "area_m2", "width_m", "message", "geometry"}
    assert sorted(kinds["gap"]["cell_ids"]) == ["A1", "A2"]
    assert kinds["gap"]["width_m"] == pytest.approx(0.5, abs=0.02)
    assert sorted(kinds["overlap"]["cell_ids"]) == ["B2", "B3"]
    assert kinds["overlap"]["area_m2"] == pytest.approx(500, rel=1e-3)
    assert kinds["overlap"]["geometry"]["type"] == "Polygon"
    lon, lat = kinds["overlap"]["geometry"]["coordinates"][0][0]
    assert 106 < lon < 110 and 30 < lat < 34

    assert main(["check", str(src)]) == 1
    text = capsys.readouterr().out
    assert "发现 2 个问题" in text and "网格 B2 与 B3 重叠" in text


def test_check_with_households_boundary_and_ranges(tmp_path: Path, capsys) -> None:
    cells = tmp_path / "cells.geojson"
    cell_grid().to_crs("EPSG:4490").to_file(cells)
    boundary = tmp_path / "boundary.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0 - 300, X0 + 300, Y0)], crs=METRIC).to_crs(
        "EPSG:4490"
    ).to_file(boundary)
    rng = np.random.default_rng(0)
    pts = shapely.points(rng.uniform([X0 + 1, Y0 - 299], [X0 + 299, Y0 - 1], (3600, 2)))
    hh = tmp_path / "households.geojson"
    gpd.GeoDataFrame(geometry=pts, crs=METRIC).to_crs("EPSG:4490").to_file(hh)
    args = ["check", str(cells), "--boundary", str(boundary), "--households", str(hh), "--json"]
    assert main([*args, "--min-households", "300", "--max-households", "500"]) == 0
    capsys.readouterr()
    assert main([*args, "--min-households", "500", "--max-households", "600"]) == 1
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary == {"households_out_of_range": 9}


def test_check_reads_gbk_shapefile_names(tmp_path: Path, capsys) -> None:
    cells = cell_grid(B2=shapely.box(X0 + 100, Y0 - 200, X0 + 205, Y0 - 100))
    cells["名称"] = [
        f"{n}网格"
        for n in [
            "东关一",
            "东关二",
            "东关三",
            "新城一",
            "新城二",
            "新城三",
            "江北一",
            "江北二",
            "江北三",
        ]
    ]
    path = tmp_path / "cells.shp"
    cells.drop(columns="cell_id").to_crs("EPSG:4490").to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # as many desktop GIS exports are
    assert main(["check", str(path), "--id-field", "名称"]) == 1
    out = capsys.readouterr().out
    assert "网格 新城二网格 与 新城三网格 重叠" in out


def test_check_warns_on_file_without_crs(tmp_path: Path, capsys) -> None:
    path = tmp_path / "nocrs.shp"
    cell_grid().to_crs("EPSG:4490").to_file(path)
    path.with_suffix(".prj").unlink()
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert one_line(err) and "警告" in err and "nocrs.shp" in err and "EPSG:4490" in err


def test_check_refuses_swapped_lonlat(tmp_path: Path, capsys) -> None:
    cells = cell_grid().to_crs("EPSG:4326")
    cells = cells.set_geometry(shapely.transform(cells.geometry.values, lambda xy: xy[:, ::-1]))
    path = tmp_path / "swapped.geojson"
    cells.to_file(path)
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert one_line(captured.err) and "swapped.geojson" in captured.err and "颠倒" in captured.err


def test_check_refuses_unknown_field(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cells.gpkg"
    cell_grid().to_crs("EPSG:4490").to_file(path)
    assert main(["check", str(path), "--code-field", "编码"]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "编码" in err


# --- propose -----------------------------------------------------------------------------------


def test_propose_writes_cells_within_range(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(1)
    blocks = cell_grid().rename(columns={"cell_id": "block_id"})
    blocks["community_code"] = [
        "610902001001" if n[1] != "3" else "610902001002" for n in blocks["block_id"]
    ]
    counts = rng.integers(100, 200, len(blocks))
    pts = np.concatenate(
        [
            shapely.points(rng.uniform(g.bounds[:2], g.bounds[2:], (int(c), 2)))
            for g, c in zip(blocks.geometry, counts, strict=True)
        ]
    )
    bpath, hpath = tmp_path / "blocks.gpkg", tmp_path / "households.geojson"
    blocks.to_crs("EPSG:4490").to_file(bpath, layer="blocks")
    gpd.GeoDataFrame(geometry=pts, crs=METRIC).to_crs("EPSG:4490").to_file(hpath)
    out = tmp_path / "cells.gpkg"
    code = main(
        [
            "propose",
            str(bpath),
            "--households",
            str(hpath),
            "--min-households",
            "300",
            "--max-households",
            "500",
            "-o",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr()
    cells = gpd.read_file(out)
    assert cells["households"].between(300, 500).all()
    assert cells["households"].sum() == counts.sum()
    assert cells["cell_code"].str.fullmatch(r"610902001\d{6}").all()
    # Check the proposal with the checker: clean.
    assert main(["check", str(out), "--households", str(hpath)]) == 0


def test_propose_requires_households(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["propose", str(tmp_path / "b.gpkg"), "-o", str(tmp_path / "o.gpkg")])
    assert exc.value.code == 2


# --- streets area: real street files (OSM tags, far away) and duplicate ids ---------------------


def test_check_reports_duplicate_values_of_the_cells_own_id_field(tmp_path: Path, capsys) -> None:
    cells = cell_grid()
    cells.loc[cells["cell_id"] == "B2", "cell_id"] = "C0909"
    cells.loc[cells["cell_id"] == "C3", "cell_id"] = "C0909"
    src = tmp_path / "cells.geojson"
    cells.to_crs("EPSG:4490").to_file(src)
    assert main(["check", str(src), "--json"]) == 1  # no --code-field
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"] == {"duplicate_code": 1}
    assert payload["problems"][0]["cell_ids"] == ["C0909", "C0909"]
    assert "C0909" in payload["problems"][0]["message"]


def test_blocks_filters_osm_highways_and_says_what_it_left_out(tmp_path: Path, capsys) -> None:
    streets = street_grid().assign(highway="residential")
    x, y = X0 + 50, Y0
    path = gpd.GeoDataFrame(
        {"name": [None], "highway": ["footway"]},
        geometry=[shapely.LineString([(x, y), (x, y + 100)])],
        crs=METRIC,
    ).to_crs("EPSG:4490")
    src = tmp_path / "osm.geojson"
    gpd.GeoDataFrame(gpd.pd.concat([streets, path], ignore_index=True), crs="EPSG:4490").to_file(
        src
    )
    out = tmp_path / "blocks.gpkg"
    assert main(["blocks", str(src), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "4 个街区" in text and "道路等级不在所选范围内 1 条" in text
    assert main(["blocks", str(src), "-o", str(out), "--highways", "all"]) == 0
    assert "5 个街区" in capsys.readouterr().out
    assert main(["blocks", str(src), "-o", str(out), "--highways", "residential,footway"]) == 0
    assert "5 个街区" in capsys.readouterr().out


def test_blocks_refuses_streets_1000_km_from_the_boundary(tmp_path: Path, capsys) -> None:
    src = tmp_path / "streets.geojson"
    far = street_grid().to_crs(METRIC)
    far.set_geometry(far.translate(0, 1_000_000)).to_crs("EPSG:4490").to_file(src)
    bnd = tmp_path / "boundary.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 200, Y0 + 200)], crs=METRIC).to_crs(
        "EPSG:4490"
    ).to_file(bnd)
    assert main(["blocks", str(src), "-o", str(tmp_path / "b.gpkg"), "--boundary", str(bnd)]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "相距约" in err and err.count("经度") == 2
