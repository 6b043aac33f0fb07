"""Shared set-up: every test that touches a database uses the *test* database.

TEST_DATABASE_URL wins; otherwise the project's own cluster's ``lianxin_test`` database
(``scripts/test.sh`` starts it). DATABASE_URL is pointed at the same place before any project
module reads its settings, so pages under AppTest and the app under Chromium use it too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core import dbcredentials  # noqa: E402 - reads no settings

_port = os.environ.get("LIANXIN_PG_PORT", "54329")
# The own cluster's URL carries the owner's password from the credentials file (db start).
TEST_URL = os.environ.get("TEST_DATABASE_URL") or dbcredentials.local_url(
    "lianxin_test", port=int(_port), pgdata=dbcredentials.pgdata_from_env(ROOT)
)
os.environ["TEST_DATABASE_URL"] = TEST_URL
os.environ["DATABASE_URL"] = TEST_URL
