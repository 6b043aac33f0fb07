"""Every public service function takes ``session`` keyword-only (issue 12).

``f(session, x)`` and ``f(x, session)`` read alike at the call site and are easy to swap; with
``f(x, *, session=...)`` the call says which argument is the database, the way Netflix Dispatch's
services read ``get(*, db_session, case_id)``. Public means: defined at module level in
``services/`` with a name that does not start with ``_``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Named exceptions: shrink, never grow.
KNOWN: set[str] = set()  # none left (issue 12: 42 took it positionally)


def positional_session(root: Path) -> set[str]:
    found = set()
    for path in sorted((root / "services").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.name.startswith("_"):
                continue
            if "session" in [a.arg for a in node.args.posonlyargs + node.args.args]:
                found.add(f"{path.relative_to(root).as_posix()}:{node.name}")
    return found


def test_public_service_functions_take_session_keyword_only():
    extra = positional_session(ROOT) - KNOWN
    assert not extra, "session must be keyword-only (def f(x, *, session)): " + ", ".join(
        sorted(extra)
    )


def test_the_scanner_sees_a_positional_session(tmp_path):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "m.py").write_text(
        "def bad(session, x): ...\n"
        "def also_bad(x, session=None): ...\n"
        "def good(x, *, session): ...\n"
        "def _private(session): ...\n",
        "utf-8",
    )
    assert positional_session(tmp_path) == {"services/m.py:bad", "services/m.py:also_bad"}


def test_the_named_exceptions_are_exact():
    """One that became keyword-only is struck off the list, so it cannot slip back."""
    assert positional_session(ROOT) == KNOWN
