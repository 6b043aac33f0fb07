"""Copy the map assets installed by npm into static/vendor/ (served by Streamlit at /app/static/).

Run by ``make`` after ``npm ci``. The files are third-party and not committed (.gitignore).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# destination (under static/vendor) → source (under node_modules)
FILES = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images": "leaflet/dist/images",
    "leaflet-heat/leaflet-heat.js": "leaflet.heat/dist/leaflet-heat.js",
    "leaflet-draw/leaflet.draw.js": "leaflet-draw/dist/leaflet.draw.js",
    "leaflet-draw/leaflet.draw.css": "leaflet-draw/dist/leaflet.draw.css",
    "leaflet-draw/images": "leaflet-draw/dist/images",
}


def main() -> int:
    missing = [src for src in FILES.values() if not (NODE / src).exists()]
    if missing:
        print(f"缺少前端资源 {missing[0]}：请先运行 npm ci", file=sys.stderr)
        return 1
    for dest, src in FILES.items():
        target = VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if (NODE / src).is_dir():
            shutil.copytree(NODE / src, target, dirs_exist_ok=True)
        else:
            shutil.copy2(NODE / src, target)
    print(f"地图资源已就绪：{VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
