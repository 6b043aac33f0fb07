"""Reading planner files as they come: encodings, CRSs, zips, and the ways they go wrong."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from core.errors import InvalidInputError
from gis.crs import gcj02_to_wgs84
from gis.io import read_vector, write_layers

LON, LAT = 109.03, 32.68  # Ankang


def squares(crs: str = "EPSG:4490") -> gpd.GeoDataFrame:
    boxes = [
        shapely.box(LON + i * 0.001, LAT, LON + (i + 1) * 0.001, LAT + 0.001) for i in range(3)
    ]
    gdf = gpd.GeoDataFrame(
        {"name": ["汉滨路", "巴山东路", "兴安路"]}, geometry=boxes, crs="EPSG:4490"
    )
    return gdf.to_crs(crs)


def write_gbk_shapefile(folder: Path, *, cpg: bool) -> Path:
    path = folder / "cells.shp"
    squares().to_file(path, encoding="GBK", engine="pyogrio")
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def test_geojson_is_read_into_cgcs2000(tmp_path: Path) -> None:
    path = tmp_path / "a.geojson"
    squares("EPSG:4326").to_file(path)
    gdf = read_vector(path, expected="polygon")
    assert gdf.crs == "EPSG:4490"
    assert gdf["name"].tolist() == ["汉滨路", "巴山东路", "兴安路"]


def test_projected_geopackage_layer_is_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "a.gpkg"
    squares("EPSG:4545").to_file(path, layer="cells")
    squares().to_file(path, layer="other")
    gdf = read_vector(path, layer="cells")
    assert gdf.crs == "EPSG:4490"
    assert gdf.total_bounds[0] == pytest.approx(LON, abs=1e-7)
    with pytest.raises(InvalidInputError, match="a.gpkg"):
        read_vector(path, layer="nope")


@pytest.mark.parametrize("cpg", [True, False])
@pytest.mark.parametrize("zipped", [False, True])
def test_gbk_shapefile_attributes(tmp_path: Path, cpg: bool, zipped: bool) -> None:
    path = write_gbk_shapefile(tmp_path, cpg=cpg)
    if zipped:
        archive = tmp_path / "cells.zip"
        with zipfile.ZipFile(archive, "w") as z:
            for f in tmp_path.glob("cells.*"):
                if f != archive:
                    z.write(f, arcname=f.name)
        path = archive
    gdf = read_vector(path)
    assert gdf["name"].tolist() == ["汉滨路", "巴山东路", "兴安路"]


def test_file_without_crs_is_taken_as_cgcs2000_with_a_warning(tmp_path: Path) -> None:
    path = write_gbk_shapefile(tmp_path, cpg=True)
    path.with_suffix(".prj").unlink()
    with pytest.warns(UserWarning, match="cells.shp.*没有坐标系"):
        gdf = read_vector(path)
    assert gdf.crs == "EPSG:4490"


def test_gcj02_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    pt = shapely.Point(LON, LAT)
    gpd.GeoDataFrame(geometry=[pt], crs="EPSG:4326").to_file(path)
    gdf = read_vector(path, gcj02=True)
    assert gdf.crs == "EPSG:4490"
    assert gdf.geometry.iloc[0].equals_exact(gcj02_to_wgs84(pt), 1e-9)
    assert gdf.geometry.iloc[0].distance(pt) > 0.003  # roughly 500 m at Ankang


@pytest.mark.parametrize(
    ("setup", "match"),
    [
        (lambda p: None, "找不到"),
        (lambda p: p.write_bytes(b""), "空的"),
        (lambda p: p.write_text('{"type": "FeatureCollection", "features": []}'), "没有任何要素"),
        (lambda p: p.write_text("this is not geojson"), "无法读取"),
    ],
    ids=["missing", "zero-bytes", "no-features", "garbage"],
)
def test_unusable_files_name_the_file(tmp_path: Path, setup, match: str) -> None:
    path = tmp_path / "streets.geojson"
    setup(path)
    with pytest.raises(InvalidInputError, match=match) as err:
        read_vector(path, what="街巷")
    assert "streets.geojson" in str(err.value)
    assert "\n" not in str(err.value)


def test_points_given_as_streets(tmp_path: Path) -> None:
    path = tmp_path / "pts.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(LON, LAT)], crs="EPSG:4326").to_file(path)
    with pytest.raises(InvalidInputError, match=r"pts.geojson.*街巷应为线或面.*点"):
        read_vector(path, expected=("line", "polygon"), what="街巷")


def test_swapped_lonlat_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "swapped.geojson"
    swapped = shapely.transform(squares().geometry.values, lambda xy: xy[:, ::-1])
    gpd.GeoDataFrame(geometry=swapped, crs="EPSG:4326").to_file(path)
    with pytest.raises(InvalidInputError, match=r"swapped.geojson.*颠倒"):
        read_vector(path)


def test_data_outside_china_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "prague.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(14.4, 50.1)], crs="EPSG:4326").to_file(path)
    with pytest.raises(InvalidInputError, match=r"prague.geojson.*不在中国范围内"):
        read_vector(path)


def test_unusable_crs_is_refused(tmp_path: Path) -> None:
    # Coordinates far outside the projection's domain cannot be brought to lon/lat.
    path = tmp_path / "far.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.Point(1e12, 1e12)], crs="EPSG:4545").to_file(path)
    with pytest.raises(InvalidInputError, match=r"far.gpkg.*无法从 EPSG:4545 转换"):
        read_vector(path)


def test_write_layers_gpkg_geojson_and_zipped_shapefile(tmp_path: Path) -> None:
    cells = squares().assign(block_ids=[["B1", "B2"], ["B3"], []])
    empty = gpd.GeoDataFrame({"kind": []}, geometry=gpd.GeoSeries([], crs="EPSG:4490"))
    gpkg = write_layers(tmp_path / "out.gpkg", {"cells": cells, "dangles": empty})
    assert [row[0] for row in pyogrio.list_layers(gpkg)] == ["cells", "dangles"]
    back = read_vector(gpkg, layer="cells")
    assert back["block_ids"].tolist() == ["B1,B2", "B3", ""]  # lists become comma-separated text

    geojson = write_layers(tmp_path / "out.geojson", {"cells": cells, "dangles": empty})
    assert read_vector(geojson)["name"].tolist() == cells["name"].tolist()
    assert (tmp_path / "out.dangles.geojson").exists()

    shz = write_layers(tmp_path / "out.shp.zip", {"cells": cells})
    with zipfile.ZipFile(shz) as z:
        assert {"cells.shp", "cells.dbf", "cells.shx", "cells.prj", "cells.cpg"} <= set(
            z.namelist()
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_vector(shz)["name"].tolist() == cells["name"].tolist()

    with pytest.raises(InvalidInputError, match="不支持的输出格式"):
        write_layers(tmp_path / "out.csv", {"cells": cells})
