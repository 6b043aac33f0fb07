"""Address-parser benchmark: per-field precision/recall/F1 on the NCAP dev set, and speed.

Usage::

    .venv/bin/python -m bench.bench_parser [DEV_TXT]

DEV_TXT defaults to ``../shared/data/address-parsing-ncap/dev.txt`` next to the repository.
NCAP labels map to our keys (road→street, roadno→house_number, poi, houseno→building, cellno→unit,
floorno→floor, roomno→room, community, town→subdistrict, district, city, prov→province); the
first span of each label is the gold value, normalised by the same value rules as the parser
(``206号`` → ``"206"``), and a field counts as right only when the whole value is equal.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gis.address_model.train import read_bio
from gis.addresses import (
    COMPONENT_KEYS,
    NCAP_LABELS,
    normalize_address,
    normalize_value,
    parse_addresses,
)

DEFAULT_DEV = Path(__file__).resolve().parents[2] / "shared/data/address-parsing-ncap/dev.txt"


def gold_components(sent: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    cur_key: str | None = None
    cur: list[str] = []
    done: set[str] = set()

    def flush() -> None:
        if cur_key and cur_key not in done:
            value = normalize_value(cur_key, normalize_address("".join(cur)))
            if value:
                out[cur_key] = value
            done.add(cur_key)

    for tok, tag in sent:
        bio, _, label = tag.partition("-")
        key = NCAP_LABELS.get(label.lower())
        if bio == "B" or key != cur_key:
            flush()
            cur_key, cur = key, [tok]
        else:
            cur.append(tok)
    flush()
    return out


def evaluate(dev_path: str | Path) -> tuple[dict[str, dict[str, float]], float, int]:
    sents = list(read_bio(dev_path))
    texts = ["".join(t for t, _ in s) for s in sents]
    golds = [gold_components(s) for s in sents]
    t0 = time.perf_counter()
    preds = parse_addresses(texts)
    elapsed = time.perf_counter() - t0
    stats: dict[str, dict[str, float]] = {}
    for key in COMPONENT_KEYS:
        tp = fp = fn = 0
        for gold, pred in zip(golds, preds, strict=True):
            g, p = gold.get(key), pred.get(key)
            if p is not None and p == g:
                tp += 1
            else:
                fp += p is not None
                fn += g is not None
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        stats[key] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn}
    return stats, len(texts) / elapsed, len(texts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dev_path", nargs="?", default=str(DEFAULT_DEV))
    args = ap.parse_args(argv)
    stats, rate, n = evaluate(args.dev_path)
    print(f"NCAP dev: {n} addresses; parse speed {rate:,.0f} addresses/s (one core)")
    print(f"{'field':<12} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    for key, s in stats.items():
        print(
            f"{key:<12} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} "
            f"{int(s['support']):8d}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
