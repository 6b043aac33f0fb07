"""The 住户花名册 rows as a real office keeps them: mixed address styles, a few bad rows."""

from __future__ import annotations

import numpy as np

from core.vocab import SPECIAL_GROUPS

from .people import REMARKS, PersonFactory, chinese_number, special_groups_for, to_fullwidth
from .town import Town

ROSTER_HEADERS = [
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
_ID_CHECK = "10X98765432"
# The 家庭成员 sheet: one row per member other than the head, keyed by the head's ID number as
# the main sheet writes it (so a member of a rejected head row is rejected with it).
MEMBER_SHEET = "家庭成员"
MEMBER_HEADERS = ["序号", "户主身份证号", "姓名", "与户主关系", "性别", "身份证号", "联系电话"]


def _single_address(rng, street: str, number: str, comm: str, alias: str) -> str:
    if "附" in number:
        base, sub = number.split("附")
        num = f"{base}附{sub}号" if rng.random() < 0.6 else f"{base}号附{sub}"
        plain = f"{street}{num}"
    else:
        num = f"{number}号"
        plain = f"{street}{num}"
    r = rng.random()
    if r < 0.40:
        return plain
    if r < 0.48:
        return f"{street} {number} 号" if "附" not in number else f"{street} {num}"
    if r < 0.54 and "附" not in number:
        return f"{street}{chinese_number(int(number))}号"
    if r < 0.60:
        return to_fullwidth(plain)
    if r < 0.74:
        return f"{comm}{plain}"
    if r < 0.82:
        return f"老城街道{plain}"
    if r < 0.88:
        return f"汉滨区老城街道{comm}{plain}"
    if r < 0.95 and alias:
        return f"{alias}{num}"
    return plain


def _flat_address(rng, h: dict, comm: str) -> str:
    street, number = h["street_name"], h["house_number"]
    b, u, room = h["building"], h["unit"], h["room"]
    r = rng.random()
    if h["compound"]:
        if r < 0.55:
            text = f"{h['compound']}{b}栋{u}单元{room}"
        elif r < 0.8:
            text = f"{h['compound']}{b}号楼{u}单元{room}室"
        else:
            text = f"{street}{number}号{b}号楼{u}单元{room}室"
    elif r < 0.7:
        text = f"{street}{number}号{b}号楼{u}单元{room}室"
    elif r < 0.9:
        text = f"{street}{number}号院{b}栋{u}单元{room}"
    else:
        text = f"{street}{number}号{b}-{u}-{room}"
    r = rng.random()
    if r < 0.08:
        text = comm + text
    elif r < 0.14:
        text = "老城街道" + text
    return text


def build_roster(
    town: Town, households: list[dict], rng: np.random.Generator, people: PersonFactory
) -> tuple[list[list], list[dict]]:
    """Return (sheet rows without the header, truth rows); both in 序号 order."""
    street_idx = {st.name: i for i, st in enumerate(town.streets)}
    aliases = {st.name: st.aliases.split("|")[0] for st in town.streets if st.aliases}
    comm_name = {c["code"]: c["name"] for c in town.communities}
    households.sort(
        key=lambda h: (
            h["community_code"],
            h["cell_code"],
            street_idx[h["street_name"]],
            h["plate"]["number"],
            h["house_number"],
            h["building"] or 0,
            h["unit"] or 0,
            h["room"] or "",
        )
    )
    # ~2 % name a plate that does not exist: beyond the street's range, or an absent 附 number
    existing = {(p["street_name"], p["house_number"]) for p in town.plates}
    top: dict[tuple[str, int], int] = {}
    for p in town.plates:
        key = (p["street_name"], p["side"])
        top[key] = max(top.get(key, 0), p["number"])
    pinned = {
        i
        for i, h in enumerate(households)
        if h["street_name"] == "纱帽石" and h["house_number"] == "53"
    }
    singles = [i for i, h in enumerate(households) if h["building"] is None and i not in pinned]
    at_end = [
        i
        for i in singles
        if households[i]["plate"]["number"]
        >= top[(households[i]["street_name"], households[i]["plate"]["side"])] - 4
    ]
    n_bad_plate = int(len(households) * 0.02)
    n_end = min(len(at_end), n_bad_plate // 2)
    pick = set(int(i) for i in rng.choice(at_end, size=n_end, replace=False))
    rest = [i for i in singles if i not in pick]
    pick |= set(int(i) for i in rng.choice(rest, size=n_bad_plate - n_end, replace=False))
    for i in sorted(pick):
        h = households[i]
        p = h["plate"]
        if i in at_end and rng.random() < 0.8:
            n = top[(h["street_name"], p["side"])] + 2 * int(rng.integers(1, 8))
            written = str(n)
        else:
            k = 2
            while (h["street_name"], f"{p['number']}附{k}") in existing:
                k += 1
            written = f"{p['number']}附{k}"
        h["house_number"] = written
        h["plate_exists"] = False

    rows: list[list] = []
    truth: list[dict] = []
    for h in households:
        sex = "男" if rng.random() < 0.6 else "女"
        age = int(np.clip(rng.normal(55, 15), 20, 93))
        size = int(rng.choice(6, p=[0.15, 0.3, 0.25, 0.18, 0.08, 0.04])) + 1
        if age >= 70 and size > 2 and rng.random() < 0.6:
            size = int(rng.integers(1, 3))
        groups = special_groups_for(rng, age, size)
        comm = comm_name[h["community_code"]]
        if h["building"] is None:
            address = _single_address(
                rng, h["street_name"], h["house_number"], comm, aliases.get(h["street_name"], "")
            )
        else:
            address = _flat_address(rng, h, comm)
        idn = people.id_number(sex, age)
        h.update(sex=sex, age=age, size=size, groups=groups, id_number=idn)
        rows.append(
            [
                0,
                comm if rng.random() > 0.08 else "",
                people.name(sex),
                sex,
                idn,
                people.phone(),
                address,
                size,
                "、".join(SPECIAL_GROUPS[g] for g in groups),
                REMARKS[int(rng.integers(len(REMARKS)))] if rng.random() < 0.08 else "",
            ]
        )
        truth.append({"household": h, "row_problem": ""})

    # ~0.5 % deliberately bad rows, then 10 exact duplicates
    n_bad = max(3, int(len(rows) * 0.005))
    bad = rng.choice(len(rows), size=n_bad, replace=False)
    for j, i in enumerate(sorted(int(x) for x in bad)):
        kind = ("bad_id", "bad_phone", "missing_name")[j % 3]
        row = rows[i]
        if kind == "bad_id":
            right = row[4][17]
            wrong = [c for c in _ID_CHECK if c != right]
            row[4] = row[4][:17] + wrong[int(rng.integers(len(wrong)))]
        elif kind == "bad_phone":
            row[5] = f"1{int(rng.integers(3, 10))}{int(rng.integers(0, 100_000_000)):08d}"
        else:
            row[2] = ""
        truth[i]["row_problem"] = kind
    for i in pinned:
        truth[i]["row_problem"] = ""
        rows[i][2] = rows[i][2] or people.name(households[i]["sex"])
    clean = [i for i in range(len(rows)) if not truth[i]["row_problem"]]
    dups = sorted(int(x) for x in rng.choice(clean, size=10, replace=False))
    for i in reversed(dups):
        at = min(len(rows), i + 1 + int(rng.integers(0, 40)))
        rows.insert(at, list(rows[i]))
        truth.insert(at, {"household": truth[i]["household"], "row_problem": "duplicate"})
    for n, (row, t) in enumerate(zip(rows, truth, strict=True), start=1):
        row[0] = n
        t["row_no"] = n
        t["household_key"] = row[4]
        if t["row_problem"] != "duplicate":
            t["household"]["row_no"] = n
            t["household"]["head_name"] = row[2]
            t["household"]["phone"] = row[5]
    return rows, truth


def _relations(rng: np.random.Generator, head_sex: str, head_age: int, n: int) -> list[tuple]:
    """(relation, sex, age) of a household's ``n`` members other than its head."""
    out: list[tuple] = []
    if n >= 1 and (head_age >= 25 and rng.random() < 0.85):
        out.append(
            (
                "配偶",
                "女" if head_sex == "男" else "男",
                max(20, head_age + int(rng.integers(-4, 5))),
            )
        )
    while len(out) < n:
        r = rng.random()
        sex = "男" if rng.random() < 0.5 else "女"
        if head_age >= 62 and r < 0.45:
            rel = "孙子" if sex == "男" else "孙女"
            age = max(1, head_age - 50 - int(rng.integers(0, 12)))
        elif head_age <= 48 and r < 0.2:
            rel = "父亲" if sex == "男" else "母亲"
            age = min(95, head_age + 24 + int(rng.integers(0, 10)))
        elif head_age >= 50 and r < 0.6:
            rel = "儿媳" if sex == "女" else "女婿"
            age = max(18, head_age - 26 - int(rng.integers(0, 6)))
        else:
            rel = "子" if sex == "男" else "女"
            age = max(1, head_age - 22 - int(rng.integers(0, 14)))
        out.append((rel, sex, age))
    return out


def build_members(
    rows: list[list], truth: list[dict], rng: np.random.Generator, people: PersonFactory
) -> list[list]:
    """The 家庭成员 sheet rows (without the header): 家庭人口 − 1 members for each household row
    (the exact duplicates of a head row carry none). Uses its own generator, so adding the
    sheet leaves every other demo file as it was."""
    members: list[list] = []
    for row, t in zip(rows, truth, strict=True):
        if t["row_problem"] == "duplicate":
            continue
        h = t["household"]
        for rel, sex, age in _relations(rng, h["sex"], h["age"], int(row[7]) - 1):
            phone = people.phone() if age >= 18 and rng.random() < 0.6 else ""
            members.append(
                [0, row[4], people.name(sex), rel, sex, people.id_number(sex, age), phone]
            )
    for n, m in enumerate(members, start=1):
        m[0] = n
    return members
