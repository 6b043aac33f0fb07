"""``lianxin rebalance`` and ``lianxin propose --building-field``, in-process on real files."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from cli.main import main
from tests.unit.test_rebalance import X0, Y0, code, town


def write(tmp_path: Path, blocks: gpd.GeoDataFrame, hh: gpd.GeoDataFrame) -> tuple[str, str]:
    """Store in CGCS2000 lon/lat, like real files."""
    b, h = tmp_path / "blocks.gpkg", tmp_path / "households.geojson"
    blocks.to_crs("EPSG:4490").to_file(b)
    hh.to_crs("EPSG:4490").to_file(h)
    return str(b), str(h)


def one_line(text: str) -> bool:
    return len(text.strip().splitlines()) == 1 and "Traceback" not in text


def run(tmp_path: Path, b: str, h: str, *extra: str) -> int:
    out = tmp_path / "out.gpkg"
    return main(
        ["rebalance", b, "--cell-field", "cell_code", "--households", h, "-o", str(out), *extra]
    )


def test_rebalance_in_range_exits_0_with_both_layers_and_json(tmp_path: Path, capsys) -> None:
    b, h = write(tmp_path, *town(4, [1, 1, 1, 2], [300, 250, 250, 300]))
    assert run(tmp_path, b, h, "--json") == 0
    s = json.loads(capsys.readouterr().out)
    for key in (
        "cells_before",
        "cells_after",
        "out_of_range_before",
        "out_of_range_after",
        "households_moved",
        "kept_codes",
        "new_codes",
        "retired_codes",
        "max_weight_share",
        "seconds",
    ):
        assert key in s
    assert (s["cells_before"], s["cells_after"], s["households_moved"]) == (2, 3, 300)
    assert s["new_codes"] == [code(3)] and s["retired_codes"] == []
    out = tmp_path / "out.gpkg"
    assert [r[0] for r in pyogrio.list_layers(out)] == ["blocks", "moves"]
    moves = gpd.read_file(out, layer="moves")
    assert moves[["block_id", "from_cell", "to_cell", "households"]].values.tolist() == [
        ["b0", code(1), code(3), 300]
    ]
    blocks = gpd.read_file(out, layer="blocks")
    assert {"cell_code", "part", "households"} <= set(blocks.columns)


def test_rebalance_splits_a_compound_by_building(tmp_path: Path, capsys) -> None:
    b, h = write(tmp_path, *town(3, [1, 2, 3], [400, 1_200, 400], buildings={1: 8}))
    assert run(tmp_path, b, h, "--building-field", "building") == 0
    assert "调整住户" in capsys.readouterr().out
    blocks = gpd.read_file(tmp_path / "out.gpkg", layer="blocks")
    assert (blocks["block_id"] == "b1").sum() == 3


def test_rebalance_infeasible_exits_1_with_the_reason(tmp_path: Path, capsys) -> None:
    b, h = write(tmp_path, *town(2, [1, 2], [260, 260]))
    assert run(tmp_path, b, h) == 1
    out = capsys.readouterr().out
    assert "问题：" in out and "520" in out and "300–500" in out


def test_rebalance_unusable_input_exits_2_with_one_line(tmp_path: Path, capsys) -> None:
    # Cells not contiguous.
    b, h = write(tmp_path, *town(3, [1, 2, 1], [300, 300, 300]))
    assert run(tmp_path, b, h) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "不连通" in err and "blocks.gpkg" in err
    # min > max.
    b, h = write(tmp_path, *town(2, [1, 2], [300, 300]))
    assert run(tmp_path, b, h, "--min-households", "600") == 2
    err = capsys.readouterr().err
    assert one_line(err) and "600" in err and "500" in err
    # Points outside every block.
    blocks, hh = town(2, [1, 2], [300, 300])
    hh = gpd.GeoDataFrame(
        geometry=[*hh.geometry, shapely.Point(X0 + 9_000, Y0 + 9_000)], crs=hh.crs
    )
    b, h = write(tmp_path, blocks, hh)
    assert run(tmp_path, b, h) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "不在任何街区内" in err
    # An unreadable file.
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"not a geopackage")
    assert run(tmp_path, str(bad), h) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "broken.gpkg" in err
    # A cell field that is not there.
    b, h = write(tmp_path, *town(2, [1, 2], [300, 300]))
    out = tmp_path / "o.gpkg"
    assert main(["rebalance", b, "--cell-field", "网格", "--households", h, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "网格" in err


def test_propose_splits_an_oversized_block_by_building(tmp_path: Path, capsys) -> None:
    blocks, hh = town(3, [1, 2, 3], [400, 1_200, 400], buildings={1: 8})
    b, h = write(tmp_path, blocks.drop(columns=["cell_code"]), hh)
    out = tmp_path / "cells.gpkg"
    base = ["propose", b, "--households", h, "-o", str(out)]
    assert main(base) == 1  # without building numbers the compound is left out
    assert "需要人工拆分" in capsys.readouterr().out
    assert main([*base, "--building-field", "building"]) == 0
    capsys.readouterr()
    cells = gpd.read_file(out)
    assert cells["households"].sum() == 2_000
    assert cells["households"].between(300, 500).all()
