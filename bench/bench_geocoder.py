"""Geocoder benchmark on the demo roster against its truth file.

Usage::

    .venv/bin/python -m bench.bench_geocoder [--demo-dir data/demo] [--communities FILE]

Reports, for the demo roster (``data/demo/roster_laocheng.xlsx``) geocoded with the demo
streets and door plates:

- the share of addresses naming an existing door plate placed within 30 m of the truth
  (goal ≥ 98 %);
- the share of addresses naming a plate that does not exist which came back ``door_plate``
  (false exact matches; goal ≤ 0.5 %);
- the match-type distribution;
- addresses per second for parse + geocode in batch on one core (goal ≥ 5,000/s).

Nothing is written; paste the figures into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cli.commands.addresses import read_table
from demo.people import chinese_number  # the demo writes numerals the same way
from gis.gazetteer.geocoder import Gazetteer

ROOT = Path(__file__).resolve().parents[1]


def metres_apart(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (haversine; plenty for a 30 m threshold)."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


_FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def perturb(text: str, street: str, rng: random.Random) -> tuple[str, str]:
    """One realistic miswriting of a roster address; returns (text, kind of change)."""
    kind = rng.choice(
        ["fullwidth", "numeral", "spaces", "filler", "office", "typo", "no_hao", "prefix"]
    )
    if kind == "fullwidth":
        return text.translate(_FULLWIDTH), kind
    if kind == "numeral":
        m = re.search(r"(\d+)号", text)
        if m and int(m.group(1)) < 1000:
            return text[: m.start()] + chinese_number(int(m.group(1))) + text[m.end() - 1 :], kind
        return text, "none"
    if kind == "spaces":
        return re.sub(r"(\d+)", r" \1 ", text, count=1), kind
    if kind == "filler":
        return text + rng.choice(["附近", "对面", "旁边"]), kind
    if kind == "office":
        return text.replace("社区", "社区居委会", 1), kind
    if kind == "typo" and isinstance(street, str) and len(street) >= 3 and street in text:
        i = rng.randrange(len(street) - 1)  # keep the kind suffix (路/街/巷)
        wrong = street[:i] + rng.choice("一丁七万丈三上下不与") + street[i + 1 :]
        return text.replace(street, wrong, 1), kind
    if kind == "no_hao":
        # only a final 号: 兴安路8号1号楼 without its first 号 would be another address
        return (text[:-1], kind) if re.search(r"\d号$", text) else (text, "none")
    if kind == "prefix" and not text.startswith("陕西"):
        return "陕西省安康市汉滨区" + text, kind
    return text, "none"


def _truthy(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip().str.lower().isin({"1", "true", "t", "yes", "y", "是"})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="geocoder benchmark on the demo roster")
    ap.add_argument("--demo-dir", default=str(ROOT / "data/demo"))
    ap.add_argument(
        "--communities", default=str(ROOT / "data/boundaries/laocheng_communities.geojson")
    )
    ap.add_argument("--threshold-m", type=float, default=30.0)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    ap.add_argument(
        "--perturb",
        action="store_true",
        help="miswrite every address once (full-width, 五十三号, typo in the street …) first",
    )
    ap.add_argument("--seed", type=int, default=20240501)
    args = ap.parse_args(argv)
    demo = Path(args.demo_dir)
    needed = [
        demo / n
        for n in (
            "streets.geojson",
            "door_plates.geojson",
            "roster_laocheng.xlsx",
            "households_truth.csv",
        )
    ]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        print("demo data missing (run the demo generator first): " + ", ".join(missing))
        return 0
    communities = args.communities if Path(args.communities).exists() else None

    t0 = time.perf_counter()
    compounds = demo / "compounds.geojson"
    gaz = Gazetteer.from_files(
        needed[0],
        needed[1],
        communities_path=communities,
        compounds_path=compounds if compounds.exists() else None,
    )
    build_s = time.perf_counter() - t0
    roster = read_table(needed[2], column="地址")
    truth = pd.read_csv(needed[3], encoding="utf-8-sig")
    addresses = roster["地址"]
    if args.perturb:
        rng = random.Random(args.seed)
        streets_by_row = dict(
            zip(pd.to_numeric(truth["row_no"]), truth["street_name"], strict=True)
        )
        row_nos = pd.to_numeric(roster["序号"], errors="coerce")
        changed = [
            perturb(str(a), streets_by_row.get(r, ""), rng)
            for a, r in zip(addresses, row_nos, strict=True)
        ]
        addresses = pd.Series([c[0] for c in changed], index=roster.index)
        roster = roster.assign(地址=addresses, change=[c[1] for c in changed])

    best = float("inf")
    result = None
    for _ in range(max(args.repeat, 1)):
        t0 = time.perf_counter()
        result = gaz.geocode_many(addresses)
        best = min(best, time.perf_counter() - t0)
    assert result is not None
    rate = len(addresses) / best

    keep = ["序号", "地址"] + (["change"] if args.perturb else [])
    frame = roster[keep].join(result)
    frame["row_no"] = pd.to_numeric(frame["序号"], errors="coerce")
    truth["row_no"] = pd.to_numeric(truth["row_no"], errors="coerce")
    merged = frame.merge(truth, on="row_no", how="inner")
    exists = _truthy(merged["plate_exists"])
    dist = metres_apart(merged["lon"], merged["lat"], merged["true_lon"], merged["true_lat"])
    merged["error_m"] = np.where(np.isfinite(dist), dist, np.inf)

    ok = (merged.loc[exists, "error_m"] <= args.threshold_m).mean() * 100
    false_plate = (merged.loc[~exists, "match_type"] == "door_plate").mean() * 100
    print(f"gazetteer: {gaz!r}, built in {build_s:.2f} s")
    print(f"roster: {len(addresses)} addresses, {len(merged)} joined to the truth file")
    print(
        f"existing plate within {args.threshold_m:.0f} m: {ok:.2f} % "
        f"({int(exists.sum())} addresses)"
    )
    print(
        f"false door_plate among nonexistent plates: {false_plate:.2f} % "
        f"({int((~exists).sum())} addresses)"
    )
    far = merged["error_m"] > args.threshold_m
    placed = merged["match_type"].isin(["door_plate", "interpolated"])
    print(
        f"placed at plate level but over {args.threshold_m:.0f} m (confidently wrong): "
        f"{int((exists & far & placed).sum())} of {int(exists.sum())}"
    )
    print("match types (all rows):")
    counts = merged["match_type"].value_counts()
    for kind, n in counts.items():
        print(f"  {kind:<13} {n:6d}  {n / len(merged) * 100:5.1f} %")
    for label, mask in (("existing", exists), ("nonexistent", ~exists)):
        err = merged.loc[mask & np.isfinite(merged["error_m"]), "error_m"]
        if len(err):
            print(
                f"error for {label} plates: median {err.median():.1f} m, "
                f"p95 {err.quantile(0.95):.1f} m"
            )
    print(
        f"speed: {rate:,.0f} addresses/s (parse + geocode, batch, one core, best of {args.repeat})"
    )
    if args.perturb:
        within = merged["error_m"] <= args.threshold_m
        by_kind = merged.assign(ok=within)[exists].groupby("change")["ok"].mean().mul(100)
        print("within threshold by kind of miswriting (existing plates):")
        for kind, pct in by_kind.items():
            print(f"  {kind:<10} {pct:6.2f} %")
    bad = merged[exists & (merged["error_m"] > args.threshold_m)]
    if len(bad):
        print("examples over the threshold:")
        print(
            bad[["地址", "match_type", "matched", "street_name", "house_number", "error_m"]]
            .head(15)
            .to_string()
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
