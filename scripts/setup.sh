#!/usr/bin/env bash
# Install whatever is missing for Lianxin, idempotently. Usage: scripts/setup.sh run|test
#  - Debian packages (PostGIS, CJK fonts; Chromium for tests; Node.js/npm and python3-venv if absent)
#  - the Python virtual environment .venv with the project and its dependencies
#  - Leaflet and plugins from the npm registry, copied to static/vendor (served by the app)
# A second run on a ready machine only checks stamps and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

say() { printf '\033[1;34m[lianxin]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[lianxin]\033[0m %s\n' "$*" >&2; exit 1; }

has_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

command -v python3 >/dev/null || die "需要 python3 (>= 3.11)：sudo apt-get install -y python3"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "需要 Python >= 3.11，当前 $(python3 --version)"

# haproxy: the reverse proxy in front of the Streamlit workers (lianxin serve)
pkgs=(fonts-noto-cjk fonts-noto-color-emoji haproxy)
# With both URLs pointing at an existing PostGIS, the local server is not needed.
if [ -z "${DATABASE_URL:-}" ] || { [ "$mode" = test ] && [ -z "${TEST_DATABASE_URL:-}" ]; }; then
  pkgs+=(postgresql-15-postgis-3)
fi
[ "$mode" = test ] && pkgs+=(chromium chromium-driver)
command -v npm >/dev/null || pkgs+=(nodejs npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || [ -x .venv/bin/python ] || pkgs+=(python3-venv)

missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${pkgs[@]}"; do has_pkg "$p" || missing+=("$p"); done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    say "安装系统软件包：${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "缺少系统软件包。请先运行：sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  fi
fi

# Python environment: reinstall only when pyproject.toml changed.
stamp_py=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -x .venv/bin/python ]; then
  say "创建 Python 虚拟环境 .venv"
  python3 -m venv .venv
fi
if [ "$(cat .venv/.lianxin-stamp 2>/dev/null)" != "$stamp_py" ]; then
  say "安装 Python 依赖（首次约需数分钟）"
  # pip's own output minus its notices about this machine's extra package folders
  pip_quiet() {
    local log; log=$(mktemp)
    if ! .venv/bin/python -m pip install -q --disable-pip-version-check "$@" >"$log" 2>&1; then
      grep -v '^WARNING: Location' "$log" >&2; rm -f "$log"
      die "Python 依赖安装失败（pip install $*）：请查看上面的输出"
    fi
    grep -v '^WARNING: Location' "$log" || true; rm -f "$log"
  }
  pip_quiet --upgrade pip
  pip_quiet -e ".[test]"
  .venv/bin/python -c 'import core, cli.main, geopandas, streamlit, pytest, playwright' \
    || die "Python 依赖安装失败：请查看上面的 pip 输出"
  echo "$stamp_py" > .venv/.lianxin-stamp
fi

# Map assets from the npm registry (package-lock.json pins them); never from a CDN at run time.
stamp_js=$(sha256sum package-lock.json scripts/vendor_assets.py | sha256sum | cut -c1-16)
if [ "$(cat static/vendor/.lianxin-stamp 2>/dev/null)" != "$stamp_js" ]; then
  say "安装地图前端资源（Leaflet 及插件）"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  .venv/bin/python scripts/vendor_assets.py
  echo "$stamp_js" > static/vendor/.lianxin-stamp
fi
say "环境就绪"
