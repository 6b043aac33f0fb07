"""All SQL lives in db/ (issue 12): no module outside it holds SQL text.

The modules that still do are named below with how many SQL strings they hold: the list may
only shrink. A new module with SQL, or one more statement in a listed module, fails here;
move the statement into a named function of a db/ module instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "gis", "layers", "services", "app_pages", "api", "cli", "demo", "bench")
SQL = re.compile(
    r"\b(SELECT\s.+\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b"
    r"|CREATE\s+(TABLE|INDEX|DATABASE|ROLE|EXTENSION|FUNCTION)\b|ALTER\s+TABLE\b|TRUNCATE\b"
    r"|REFRESH\s+MATERIALIZED\b|COMMENT\s+ON\b)",
    re.DOTALL,
)

# Named exceptions as of the first landing of this test (2026-12): shrink, never grow.
KNOWN: dict[str, int] = {
    "bench/city.py": 2,
}


def sql_strings(path: Path) -> int:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    count = 0
    # the pieces of an f-string are judged as one string, not once more one by one
    in_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    # a docstring is prose about the code ("no UPDATE/DELETE privilege"), not a statement
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if id(node) in in_fstrings or id(node) in docstrings:
            continue
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "text":
            count += 1  # sqlalchemy.text(...) whatever its argument
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL.search(node.value):
                count += 1
        elif isinstance(node, ast.JoinedStr):
            literal = "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            if SQL.search(literal):
                count += 1
    return count


def found() -> dict[str, int]:
    out: dict[str, int] = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")) if (ROOT / pkg).exists() else []:
            n = sql_strings(path)
            if n:
                out[str(path.relative_to(ROOT))] = n
    return out


def test_no_sql_outside_db_except_the_named_modules():
    grown = {name: (n, KNOWN.get(name, 0)) for name, n in found().items() if n > KNOWN.get(name, 0)}
    assert not grown, (
        "SQL outside db/ (module: found, allowed) — put it in a named function of a db/ module: "
        + ", ".join(f"{k}: {v[0]} > {v[1]}" for k, v in sorted(grown.items()))
    )


def test_the_scanner_finds_sql_it_must_find(tmp_path):
    planted = tmp_path / "m.py"
    planted.write_text(
        "from sqlalchemy import text\n"
        "q = text('SELECT 1')\n"
        "s = 'SELECT id FROM households WHERE x = 1'\n"
        "f = f'UPDATE cases SET state = {1}'\n"
        "harmless = 'Select the cell from the list'\n"
        'def f():\n    """No UPDATE cases SET here: a docstring is prose."""\n',
        "utf-8",
    )
    assert sql_strings(planted) == 3


def test_the_named_exceptions_are_exact():
    """An exception that shrank is written down smaller, so it cannot grow back unseen."""
    counts = found()
    stale = {k: (counts.get(k, 0), n) for k, n in KNOWN.items() if counts.get(k, 0) != n}
    assert not stale, "update KNOWN (module: found, listed): " + ", ".join(
        f"{k}: {v[0]} != {v[1]}" for k, v in sorted(stale.items())
    )
