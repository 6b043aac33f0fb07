"""``lianxin parse-address`` and ``lianxin geocode`` end to end, with tiny hand-made files."""

from __future__ import annotations

import json
import sys

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from cli.main import main

LAT0 = 32.685


def test_parse_address_prints_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["parse-address", "陕西省安康市汉滨区老城街道大北街社区纱帽石53号", "纱帽石五十三号"]
    )
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["input"] == "陕西省安康市汉滨区老城街道大北街社区纱帽石53号"
    assert first["components"] == {
        "province": "陕西省",
        "city": "安康市",
        "district": "汉滨区",
        "subdistrict": "老城街道",
        "community": "大北街社区",
        "street": "纱帽石",
        "house_number": "53",
    }
    assert "纱帽石" in lines[0]  # ensure_ascii=False: readable Chinese
    assert json.loads(lines[1])["components"] == {"street": "纱帽石", "house_number": "53"}


def test_parse_address_from_gbk_file(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "addresses.txt"
    f.write_bytes("大北街社区兴安路12号3号楼2单元501室\n\n纱帽石 53 号\n".encode("gbk"))
    assert main(["parse-address", "--file", str(f)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["input"] for r in rows] == ["大北街社区兴安路12号3号楼2单元501室", "纱帽石 53 号"]
    assert rows[0]["components"]["room"] == "501"


def test_parse_address_needs_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse-address"]) == 2
    assert "--file" in capsys.readouterr().err


@pytest.fixture()
def gazetteer_files(tmp_path):
    streets = gpd.GeoDataFrame(
        {"name": ["纱帽石", "兴安路"], "aliases": ["纱帽石巷", ""]},
        geometry=[
            LineString([(109.030, LAT0), (109.034, LAT0)]),
            LineString([(109.036, 32.683), (109.036, 32.688)]),
        ],
        crs=4490,
    )
    numbers = [n for n in range(1, 61) if n != 25]
    plates = gpd.GeoDataFrame(
        {"street_name": ["纱帽石"] * len(numbers), "house_number": [str(n) for n in numbers]},
        geometry=[Point(109.030 + n * 0.00006, LAT0) for n in numbers],
        crs=4490,
    )
    communities = gpd.GeoDataFrame(
        {"code": ["610902001004"], "name": ["大北街社区"]},
        geometry=[box(109.027, 32.682, 109.037, 32.689)],
        crs=4490,
    )
    paths = tmp_path / "streets.geojson", tmp_path / "plates.geojson", tmp_path / "comm.geojson"
    streets.to_file(paths[0])
    plates.to_file(paths[1])
    communities.to_file(paths[2])
    return paths


def _geocode_args(src, out, files) -> list[str]:
    streets, plates, comm = files
    return [
        "geocode",
        str(src),
        "--address-column",
        "地址",
        "-o",
        str(out),
        "--streets",
        str(streets),
        "--door-plates",
        str(plates),
        "--communities",
        str(comm),
    ]


def test_geocode_gbk_csv(tmp_path, gazetteer_files) -> None:
    src = tmp_path / "roster.csv"
    src.write_bytes(
        "户主姓名,地址\n张三,大北街社区纱帽石53号\n李四,纱帽石巷25号\n王五,兴安路8号\n赵六,大北街社区\n钱七,不知道\n".encode(
            "gbk"
        )
    )
    out = tmp_path / "out" / "geocoded.csv"
    assert main(_geocode_args(src, out, gazetteer_files)) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # utf-8-sig so Excel opens it
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype={"match_type": str})
    assert list(frame.columns) == [
        "户主姓名",
        "地址",
        "lon",
        "lat",
        "match_type",
        "score",
        "matched",
    ]
    assert frame["户主姓名"].tolist() == ["张三", "李四", "王五", "赵六", "钱七"]
    assert frame["match_type"].tolist() == [
        "door_plate",
        "interpolated",
        "street",
        "community",
        "unmatched",
    ]
    assert frame.loc[0, "lon"] == pytest.approx(109.030 + 53 * 0.00006)
    assert frame.loc[0, "matched"] == "纱帽石53号"


def test_geocode_xlsx_with_title_row(tmp_path, gazetteer_files) -> None:
    src = tmp_path / "roster.xlsx"
    rows = [
        ["老城街道住户花名册", None],
        ["序号", "地址"],
        ["1", "纱帽石53号"],
        ["2", "纱帽石 五十 号"],
    ]
    pd.DataFrame(rows).to_excel(src, header=False, index=False)
    out = tmp_path / "geocoded.csv"
    assert main(_geocode_args(src, out, gazetteer_files)) == 0
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame["match_type"].tolist() == ["door_plate", "door_plate"]
    assert frame["序号"].tolist() == [1, 2]


def test_geocode_missing_column_exits_2(
    tmp_path, gazetteer_files, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "roster.csv"
    src.write_text("姓名,住址\n张三,纱帽石53号\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(_geocode_args(src, out, gazetteer_files)) == 2
    err = capsys.readouterr().err
    assert "roster.csv" in err and "地址" in err and "姓名" in err and "住址" in err
    assert not out.exists()


def test_geocode_needs_both_files(tmp_path, gazetteer_files, capsys) -> None:
    src = tmp_path / "roster.csv"
    src.write_text("地址\n纱帽石53号\n", encoding="utf-8")
    code = main(["geocode", str(src), "-o", str(tmp_path / "o.csv"), "--streets", "x.geojson"])
    assert code == 2
    assert "--door-plates" in capsys.readouterr().err


def test_geocode_without_files_and_without_database_service(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    src = tmp_path / "roster.csv"
    src.write_text("地址\n纱帽石53号\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "services.geocoding", None)  # import fails
    assert main(["geocode", str(src), "-o", str(tmp_path / "o.csv")]) == 2
    assert "--streets" in capsys.readouterr().err
