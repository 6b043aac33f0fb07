"""What the issue-10 checks at the edges cost, as ratios against the naive way in the same run.

Usage::

    .venv/bin/python -m bench.bench_edges [ROWS]

- export: ``services.exports.table_xlsx`` (every cell typed by us, text never a formula)
  against ``DataFrame.to_excel`` with openpyxl, the same 20,000-row roll;
- roster read: ``services.households.roster_parse.read_roster`` (which also looks for formulas: a scan of the
  sheet XML, then an openpyxl read-only pass only when there are some) against
  ``pandas.read_excel`` alone, a 20,000-row roster without and with formulas;
- zip bomb: refusing a 0.4 MB .xlsx that expands to 400 MB (time and peak Python memory).
"""

from __future__ import annotations

import io
import sys
import time
import tracemalloc

import openpyxl
import pandas as pd

from services import exports
from services.households.roster_parse import read_roster


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(rows: int = 20_000) -> int:
    frame = pd.DataFrame(
        {
            "户主姓名": [
                f"住户{i}" if i % 100 else '=HYPERLINK("http://x","y")' for i in range(rows)
            ],
            "身份证号": [f"610902********{i % 10_000:04d}" for i in range(rows)],
            "联系电话": ["139****0000"] * rows,
            "家庭人口": [i % 6 + 1 for i in range(rows)],
            "地址": [f"大北街社区纱帽石{i % 90 + 1}号" for i in range(rows)],
        }
    )

    def naive_export() -> None:
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as w:
            frame.to_excel(w, index=False, startrow=1)

    ours = _best(lambda: exports.table_xlsx(frame, title="标题", sheet="表"))
    base = _best(naive_export)
    print(f"export {rows:,} rows: {ours:.2f} s vs to_excel {base:.2f} s = {ours / base:.2f}x")

    for label, names in (
        ("no formulas", [f"住户{i}" for i in range(rows)]),
        ("1 % formulas", list(frame["户主姓名"])),
    ):
        wb = openpyxl.Workbook()
        ws = wb.worksheets[0]
        ws.append(["花名册"])
        ws.append(list(frame.columns))
        for name, r in zip(names, frame.itertuples(index=False), strict=True):
            ws.append([name, *list(r)[1:]])
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
        ours = _best(lambda data=data: read_roster("名单.xlsx", data=data))
        base = _best(lambda data=data: pd.read_excel(io.BytesIO(data), header=None, dtype=str))
        print(
            f"roster read {rows:,} rows, {label}: {ours:.2f} s vs read_excel {base:.2f} s"
            f" = {ours / base:.2f}x"
        )

    from core.errors import InvalidInputError
    from services.cases.hotline import read_hotline
    from tests.security.hostile_files import zip_bomb_xlsx

    bomb = zip_bomb_xlsx()
    tracemalloc.start()
    t = time.perf_counter()
    try:
        read_hotline("bomb.xlsx", data=bomb)
    except InvalidInputError:
        pass
    took = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"zip bomb {len(bomb) / 1024:,.0f} KB → 400 MB refused in {took * 1000:.1f} ms, "
        f"peak {peak / 1024 / 1024:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
