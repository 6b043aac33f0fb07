"""``python -m bench`` (``make bench``): the quick benchmarks, one after another.

The city-scale dashboard benchmark loads a million households and takes minutes; run it on
its own: ``python -m bench.city …`` then ``python -m bench.bench_dashboard`` (see RESULTS.md).
Results are printed; bench/RESULTS.md records the figures of the last careful run.
"""

from __future__ import annotations

import subprocess
import sys

QUICK = ("bench.bench_parser", "bench.bench_geocoder", "bench.bench_coverage", "bench.bench_blocks")


def main() -> int:
    failed = []
    for module in QUICK:
        print(f"\n=== {module}", flush=True)
        if subprocess.run([sys.executable, "-m", module], check=False).returncode != 0:
            failed.append(module)
    if failed:
        print(f"\n失败：{', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
