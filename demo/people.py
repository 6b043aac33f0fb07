"""Synthetic people: households, compounds, the messy roster rows, and the office's staff.

Names, ID numbers and phones are invented (valid GB 11643 check digits, Ankang area codes).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from shapely.geometry import Point

from core.personal import id_check_char
from core.vocab import SPECIAL_GROUPS

from .town import Town, metric_to_lonlat

REFERENCE_DATE = dt.date(2026, 11, 30)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
)
# rough frequency: the first ten surnames are much more common
SURNAME_WEIGHTS = np.array([8.0] * 10 + [3.0] * 20 + [1.0] * (len(SURNAMES) - 30))
SURNAME_WEIGHTS /= SURNAME_WEIGHTS.sum()
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欣建国志文德成海兵东"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英华慧玲琳燕红梅莉兰凤洁琴云莲翠萍雪倩婷颖玉珍桂淑丹"
OTHER_AREAS = ["610921", "610922", "610923", "610924", "610925", "610926", "610927", "610929"]
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "183",
    "185", "186", "187", "188", "189", "191", "198", "199",
]  # fmt: skip
REMARKS = [
    "租住",
    "户在人不在",
    "人在户不在",
    "新市民",
    "房屋出租",
    "门面房",
    "已搬迁待核实",
    "外出务工",
]

COMPOUND_NAMES = [
    "兴安花园小区", "粮食局家属院", "金州花园", "鼓楼小区", "供销社家属院", "二轻局家属院",
    "电力公司家属院", "汉江明珠小区", "巴山花园", "香溪苑", "安康宾馆家属楼", "邮电局家属院",
    "人民医院家属院", "五星小区", "东关新村", "西关花园", "培新苑", "大北街综合楼",
    "新城佳苑", "文昌阁小区", "税务局家属院", "教育局家属院", "建行家属楼", "百货大楼家属院",
    "丝绸厂家属院", "棉纺厂家属院", "老城公寓", "金州名苑", "汉滨小区", "兴安名都",
]  # fmt: skip

_CN_DIGITS = "零一二三四五六七八九"
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def chinese_number(n: int) -> str:
    """53 → 五十三, 105 → 一百零五, 12 → 十二 (how people write door numbers)."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    head = _CN_DIGITS[n // 100] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + _CN_DIGITS[rest]
    if rest < 20:
        return head + "一" + chinese_number(rest)
    return head + chinese_number(rest)


class PersonFactory:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.ids: set[str] = set()
        self.names: set[str] = set()

    def name(self, sex: str, unique: bool = False) -> str:
        rng = self.rng
        for _ in range(100):
            surname = SURNAMES[int(rng.choice(len(SURNAMES), p=SURNAME_WEIGHTS))]
            pool = MALE_CHARS if sex == "男" else FEMALE_CHARS
            k = 1 if rng.random() < 0.3 else 2
            given = "".join(pool[int(rng.integers(len(pool)))] for _ in range(k))
            name = surname + given
            if not unique or name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("name pool exhausted")

    def id_number(self, sex: str, age: int) -> str:
        rng = self.rng
        area = "610902" if rng.random() < 0.75 else OTHER_AREAS[int(rng.integers(len(OTHER_AREAS)))]
        while True:
            year = REFERENCE_DATE.year - age - (1 if rng.random() < 0.5 else 0)
            birth = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
            seq = int(rng.integers(0, 500)) * 2 + (1 if sex == "男" else 0)
            first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
            full = first17 + id_check_char(first17)
            if full not in self.ids:
                self.ids.add(full)
                return full

    def phone(self) -> str:
        rng = self.rng
        if rng.random() < 0.1:
            return f"0915-3{int(rng.integers(0, 1_000_000)):06d}"
        prefix = MOBILE_PREFIXES[int(rng.integers(len(MOBILE_PREFIXES)))]
        return f"{prefix}{int(rng.integers(0, 100_000_000)):08d}"


def _allot(rng: np.random.Generator, ncells: int, total: int) -> list[int]:
    mean = total / ncells
    raw = [int(x) for x in rng.integers(int(mean - 50), int(mean + 51), size=ncells)]
    diff = total - sum(raw)
    out = [x + diff // ncells for x in raw]
    for i in range(diff - (diff // ncells) * ncells):
        out[i] += 1
    assert all(310 <= x <= 490 for x in out) and sum(out) == total
    return out


def build_compounds(town: Town, rng: np.random.Generator) -> list[dict]:
    """~30 named compounds, each at a main-street plate of a distinct cell."""
    cell_codes = [c["cell_code"] for c in town.cells]
    chosen = sorted(rng.choice(len(cell_codes), size=len(COMPOUND_NAMES), replace=False))
    lanes = {st.name for st in town.streets if st.kind == "lane"}
    compounds = []
    for name, ci in zip(COMPOUND_NAMES, chosen, strict=True):
        code = cell_codes[int(ci)]
        cands = [
            p
            for p in town.plates
            if p["cell_code"] == code
            and p["street_name"] not in lanes
            and "附" not in p["house_number"]
        ]
        if not cands:
            cands = [
                p for p in town.plates if p["cell_code"] == code and "附" not in p["house_number"]
            ]
        plate = cands[int(rng.integers(len(cands)))]
        plate["compound"] = name
        compounds.append(
            {
                "name": name,
                "street_name": plate["street_name"],
                "house_number": plate["house_number"],
                "community_code": plate["community_code"],
                "cell_code": plate["cell_code"],
                "plate": plate,
            }
        )
    compounds.sort(key=lambda c: (c["community_code"], c["name"]))
    return compounds


def _flat_rooms(rng: np.random.Generator, n: int, start_building: int = 1):
    """Yield (building, unit, room) for n flats in buildings of 2–3 units, 4–7 floors."""
    out: list[tuple[int, int, str]] = []
    b = start_building
    while len(out) < n:
        units = int(rng.integers(1, 4))
        floors = int(rng.integers(4, 8))
        for u in range(1, units + 1):
            for f in range(1, floors + 1):
                for r in (1, 2):
                    out.append((b, u, f"{f}{r:02d}"))
        b += 1
    order = rng.permutation(len(out))[:n]
    return [out[i] for i in sorted(order)]


def build_households(
    town: Town, compounds: list[dict], rng: np.random.Generator, total: int = 15000
) -> list[dict]:
    """Households placed at plates so each cell gets 300–500."""
    lanes = {st.name for st in town.streets if st.kind == "lane"}
    targets = _allot(rng, len(town.cells), total)
    comp_by_cell: dict[str, list[dict]] = {}
    for c in compounds:
        comp_by_cell.setdefault(c["cell_code"], []).append(c)
    block_geom = {b["block_id"]: b["geom_m"] for b in town.blocks}
    households: list[dict] = []
    for cell, target in zip(town.cells, targets, strict=True):
        code = cell["cell_code"]
        plates = [p for p in town.plates if p["cell_code"] == code and "compound" not in p]
        remaining = target
        # compounds: 60–140 households each
        for comp in comp_by_cell.get(code, []):
            n = int(rng.integers(60, 141))
            remaining -= n
            for b, u, room in _flat_rooms(rng, n):
                households.append(
                    {
                        "plate": comp["plate"],
                        "compound": comp["name"],
                        "building": b,
                        "unit": u,
                        "room": room,
                    }
                )
        # single houses, lanes preferred
        n_single = min(int(remaining * rng.uniform(0.35, 0.55)), len(plates) - 8)
        weights = np.array([3.0 if p["street_name"] in lanes else 1.0 for p in plates])
        idx = rng.choice(len(plates), size=n_single, replace=False, p=weights / weights.sum())
        used = set(int(i) for i in idx)
        for i, p in enumerate(plates):  # the article's 纱帽石53号 is a single house
            if p["street_name"] == "纱帽石" and p["house_number"] == "53" and i not in used:
                used.discard(max(used))
                used.add(i)
        for i in sorted(used):
            households.append(
                {"plate": plates[i], "compound": None, "building": None, "unit": None, "room": None}
            )
        remaining -= n_single
        # flats at 1–4 plain plates, main streets preferred
        free = [
            i for i in range(len(plates)) if i not in used and "附" not in plates[i]["house_number"]
        ]
        free.sort(key=lambda i: (plates[i]["street_name"] in lanes, i))
        nflat_plates = max(1, min(4, remaining // 60 + 1, len(free)))
        chosen = [
            free[int(j)] for j in rng.choice(min(len(free), 12), size=nflat_plates, replace=False)
        ]
        shares = np.full(nflat_plates, remaining // nflat_plates)
        shares[: remaining - int(shares.sum())] += 1
        for i, n in zip(sorted(chosen), shares, strict=True):
            for b, u, room in _flat_rooms(rng, int(n)):
                households.append(
                    {"plate": plates[i], "compound": None, "building": b, "unit": u, "room": room}
                )
    # true points: the plate, flats jittered by up to 3 m but kept inside the plate's block
    for h in households:
        p = h["plate"]
        pt = p["geom_m"]
        if h["building"] is not None:
            cand = Point(pt.x + rng.uniform(-3, 3), pt.y + rng.uniform(-3, 3))
            if block_geom[p["block_id"]].contains(cand):
                pt = cand
        h["geom_m"] = pt
        h["geom"] = metric_to_lonlat(town, pt)
        h["street_name"] = p["street_name"]
        h["house_number"] = p["house_number"]
        h["community_code"] = p["community_code"]
        h["cell_code"] = p["cell_code"]
        h["plate_exists"] = True
    return households


def special_groups_for(rng: np.random.Generator, age: int, size: int) -> list[str]:
    if rng.random() >= 0.15:
        return []
    pool = [
        "low_income",
        "disabled",
        "low_rent_housing",
        "community_correction",
        "left_behind_child",
    ]
    if age >= 60:
        pool += ["empty_nest_elderly"] * 2 if size <= 2 else []
        pool += ["elderly_alone"] * 3 if size == 1 else []
    if 40 <= age <= 70:
        pool += ["laid_off_worker"] * 2
    k = 1 if rng.random() < 0.8 else 2
    picks = rng.choice(len(pool), size=min(k, len(pool)), replace=False)
    keys = sorted({pool[int(i)] for i in picks}, key=list(SPECIAL_GROUPS).index)
    return keys


def build_staff(town: Town, rng: np.random.Generator, people: PersonFactory) -> list[dict]:
    staff: list[dict] = []

    def add(role: str, *, cell_code: str = "", community_code: str = "", streets: str = "") -> dict:
        sex = "男" if rng.random() < 0.5 else "女"
        row = {
            "staff_id": f"S{len(staff) + 1:03d}",
            "name": people.name(sex, unique=True),
            "phone": people.phone() if rng.random() < 0.05 else _mobile(rng),
            "role": role,
            "cell_code": cell_code,
            "community_code": community_code,
            "streets": streets,
        }
        staff.append(row)
        return row

    for _ in range(3):
        add("leader")
    for _ in range(2):
        add("planner")
    stations = [c for c in town.communities if c["has_station"]]
    for _ in range(9):  # centre windows
        add("clerk")
    for c in stations:  # one clerk at each community station
        add("clerk", community_code=c["code"])
    # 四包: every street/lane has a cadre; streets grouped by the community holding most plates
    counts: dict[str, dict[str, int]] = {}
    for p in town.plates:
        d = counts.setdefault(p["street_name"], {})
        d[p["community_code"]] = d.get(p["community_code"], 0) + 1
    names = [st.name for st in town.streets]
    home = {n: max(sorted(counts.get(n, {"": 0}).items()), key=lambda kv: kv[1])[0] for n in names}
    order = sorted(names, key=lambda n: (home[n], names.index(n)))
    groups = np.array_split(np.arange(len(order)), 12)
    for g in groups:
        add("liaison_cadre", streets="|".join(order[int(i)] for i in g))
    for cell in town.cells:
        add("grid_leader", cell_code=cell["cell_code"], community_code=cell["community_code"])
    worker_cells = sorted(rng.choice(len(town.cells), size=18, replace=False))
    for ci in worker_cells:
        cell = town.cells[int(ci)]
        add("grid_worker", cell_code=cell["cell_code"], community_code=cell["community_code"])
    return staff


def _mobile(rng: np.random.Generator) -> str:
    prefix = MOBILE_PREFIXES[int(rng.integers(len(MOBILE_PREFIXES)))]
    return f"{prefix}{int(rng.integers(0, 100_000_000)):08d}"


def to_fullwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)
