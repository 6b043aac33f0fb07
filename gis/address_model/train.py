"""Retrain the address CRF bundled as ``gis/address_model/address_crf.crfsuite``.

Usage (from the repository root)::

    .venv/bin/python -m gis.address_model.train ../shared/data/address-parsing-ncap/train.txt

Training data: the NCAP corpus (Li & Lu, "Neural Chinese Address Parsing", NAACL 2019; one
token per line with a BIO tag, blank line between addresses; research data, cite the paper),
plus synthetic addresses in the forms this office writes (社区 + street without suffix + 53附1号
+ 3号楼2单元501室), built from the corpus's own road and POI names. The synthetic part teaches
the model forms the Zhejiang corpus lacks; the dev set is never used here, so the figures in
bench/RESULTS.md stay honest. The path is an argument: nothing reads ../shared at run time.
"""

from __future__ import annotations

import argparse
import random
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from gis.addresses import MODEL_PATH, sequence_features, tokenize

Sentence = list[tuple[str, str]]


def read_bio(path: str | Path) -> Iterator[Sentence]:
    """Yield ``[(token, tag), …]`` per address from an NCAP-style BIO file."""
    sent: Sentence = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split(" ")
            if len(parts) < 2 or not parts[0]:
                if sent:
                    yield sent
                sent = []
                continue
            tok = unicodedata.normalize("NFKC", parts[0])
            sent.append((tok, parts[-1]))
    if sent:
        yield sent


def _spans(sent: Sentence, label: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    for tok, tag in sent:
        if tag == f"B-{label}":
            if cur:
                out.append("".join(cur))
            cur = [tok]
        elif tag == f"I-{label}" and cur:
            cur.append(tok)
        else:
            if cur:
                out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def _label(text: str, label: str) -> Sentence:
    toks = tokenize(text)
    return [(t, ("B-" if i == 0 else "I-") + label) for i, t in enumerate(toks)]


def synthetic(corpus: list[Sentence], n: int, *, seed: int = 7) -> list[Sentence]:
    """Addresses in the forms of a Shaanxi household roster, from the corpus's own names."""
    rng = random.Random(seed)
    roads = sorted({r for s in corpus for r in _spans(s, "road") if 2 <= len(r) <= 6})
    pois = sorted({p for s in corpus for p in _spans(s, "poi") if 2 <= len(p) <= 8})
    towns = sorted({t for s in corpus for t in _spans(s, "town") if t.endswith(("街道", "镇"))})
    bare = [r[:-1] for r in roads if r.endswith(("路", "街", "巷")) and len(r) >= 3]
    out: list[Sentence] = []
    for _ in range(n):
        sent: Sentence = []
        if rng.random() < 0.3:
            sent += _label("陕西省", "prov") + _label("安康市", "city")
        if rng.random() < 0.4:
            sent += _label(rng.choice(["汉滨区", "汉阴县", "旬阳市"]), "district")
        if rng.random() < 0.4:
            sent += _label(rng.choice(towns) if towns else "老城街道", "town")
        if rng.random() < 0.6:
            stem = rng.choice(roads + bare)
            sent += _label(stem + rng.choice(["社区", "社区", "村"]), "community")
        road = rng.choice(bare) if rng.random() < 0.4 else rng.choice(roads)
        sent += _label(road, "road")
        num = str(rng.randint(1, 320))
        r = rng.random()
        if r < 0.15:
            num += rng.choice(["附", "之", "-", "号附"]) + str(rng.randint(1, 9))
        sent += _label(num + ("号" if rng.random() < 0.9 else ""), "roadno")
        if rng.random() < 0.15:
            sent += _label(rng.choice(pois), "poi")
        if rng.random() < 0.35:
            sent += _label(str(rng.randint(1, 30)) + rng.choice(["号楼", "栋", "幢"]), "houseno")
            if rng.random() < 0.7:
                sent += _label(str(rng.randint(1, 6)) + "单元", "cellno")
            if rng.random() < 0.3:
                sent += _label(str(rng.randint(1, 33)) + rng.choice(["层", "楼"]), "floorno")
            if rng.random() < 0.8:
                sent += _label(str(rng.randint(101, 2806)) + rng.choice(["室", "", "号"]), "roomno")
        out.append(sent)
    return out


def train(
    train_path: str | Path,
    out_path: str | Path = MODEL_PATH,
    *,
    synthetic_n: int = 3000,
    c1: float = 0.6,
    c2: float = 0.01,
    max_iterations: int = 150,
) -> Path:
    """Train and save the CRF; returns the model path."""
    import pycrfsuite

    corpus = list(read_bio(train_path))
    data = corpus + synthetic(corpus, synthetic_n)
    trainer = pycrfsuite.Trainer(verbose=False)
    for sent in data:
        toks = [t for t, _ in sent]
        trainer.append(sequence_features(toks), [tag for _, tag in sent])
    # L1 (c1) keeps the model small (< 2 MB) by zeroing most feature weights.
    trainer.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iterations,
            "feature.possible_transitions": True,
        }
    )
    out = Path(out_path)
    trainer.train(str(out))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Retrain the address CRF on NCAP-style BIO data")
    ap.add_argument("train_path", help="NCAP train.txt (token + BIO tag per line)")
    ap.add_argument("-o", "--out", default=str(MODEL_PATH))
    ap.add_argument("--synthetic", type=int, default=3000)
    ap.add_argument("--c1", type=float, default=0.6)
    ap.add_argument("--c2", type=float, default=0.01)
    ap.add_argument("--iterations", type=int, default=150)
    args = ap.parse_args(argv)
    out = train(
        args.train_path,
        args.out,
        synthetic_n=args.synthetic,
        c1=args.c1,
        c2=args.c2,
        max_iterations=args.iterations,
    )
    print(f"model written to {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
