#!/usr/bin/env bash
# The whole test suite: lint, types, then pytest (unit, db on a real PostGIS, ui, e2e in Chromium).
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
if [ -z "${TEST_DATABASE_URL:-}" ] && [ -z "${DATABASE_URL:-}" ]; then
  .venv/bin/lianxin db start || exit 1
fi
echo "== ruff"; .venv/bin/ruff check . || exit 1
.venv/bin/ruff format --check . || { echo "格式不符：运行 .venv/bin/ruff format ."; exit 1; }
echo "== mypy"; .venv/bin/mypy || exit 1
echo "== import-linter"; .venv/bin/lint-imports --no-cache || exit 1
echo "== pytest"
.venv/bin/python -m pytest "$@"
rc=$?
if [ $rc -eq 5 ]; then echo "pytest 没有收集到任何测试：视为失败"; exit 1; fi
exit $rc
