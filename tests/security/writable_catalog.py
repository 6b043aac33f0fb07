"""The catalog side of the writable-column attack (test_writable_columns.py has the method):
the columns the app role may write, what decides each table's scope (policies, functions, views,
triggers, cascades), the tables measured, and the statement that measures a scope."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

APP = "lianxin_app"
TEXT_TYPES = {"text", "character varying", "character"}
INT_TYPES = {"integer", "bigint", "smallint"}
WHO = (
    "lianxin_current_role",
    "lianxin_current_cells",
    "lianxin_current_community",
    "lianxin_current_staff_id",
    "lianxin_current_username",
)
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WRITE_TARGET = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE)\s+(?:ONLY\s+)?(?:public\.)?\"?(\w+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    type: str
    nullable: bool
    can_insert: bool
    can_update: bool
    fk: tuple[str, str] | None  # referenced (table, column)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def writable_columns(session: Session) -> list[Column]:
    rows = session.execute(
        text(
            """
            SELECT c.relname AS tbl, a.attname AS col,
                   format_type(a.atttypid, NULL) AS typ, NOT a.attnotnull AS nullable,
                   has_column_privilege(:app, c.oid, a.attname, 'INSERT') AS ins,
                   has_column_privilege(:app, c.oid, a.attname, 'UPDATE') AS upd,
                   (SELECT r.relname || '.' || ra.attname
                    FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid
                    JOIN pg_attribute ra ON ra.attrelid = k.confrelid
                     AND ra.attnum = k.confkey[1]
                    WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.conkey = ARRAY[a.attnum]
                    LIMIT 1) AS fk
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p')
              AND (has_column_privilege(:app, c.oid, a.attname, 'INSERT')
                   OR has_column_privilege(:app, c.oid, a.attname, 'UPDATE'))
            ORDER BY c.relname, a.attnum
            """
        ),
        {"app": APP},
    ).all()
    return [
        Column(
            r.tbl,
            r.col,
            r.typ,
            r.nullable,
            r.ins,
            r.upd,
            tuple(r.fk.split(".", 1)) if r.fk else None,  # type: ignore[arg-type]
        )
        for r in rows
    ]


@dataclass
class Catalog:
    """What decides scopes, read from the catalog: per name (a public relation or function),
    the text that defines it (a table's policies, a view's query, a function's body)."""

    sources: dict[str, str]
    relations: set[str]  # every public table and view
    triggers: dict[str, set[str]]  # table → its trigger functions
    cascades: dict[str, set[str]]  # table → tables whose foreign keys follow its updates
    words: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = set(self.sources)
        self.words = {n: set(WORD.findall(t)) for n, t in self.sources.items()}
        self._mentions = {n: w & names for n, w in self.words.items()}
        self._closure: dict[str, set[str]] = {}

    def closure(self, name: str) -> set[str]:
        """Every name that ``name``'s definition reaches, through functions and views."""
        if name not in self._closure:
            seen, todo = set(), [name]
            while todo:
                for m in self._mentions.get(todo.pop(), set()):
                    if m not in seen:
                        seen.add(m)
                        todo.append(m)
            self._closure[name] = seen
        return self._closure[name]

    def named(self, column: str) -> bool:
        """Is ``column`` named anywhere a scope is decided (a word match: over-inclusive)?"""
        return any(column in w for w in self.words.values())

    def writes_of(self, fn: str) -> set[str]:
        """The tables function ``fn`` (and what it calls) may write: the targets of its
        INSERT, UPDATE, DELETE and TRUNCATE statements; with dynamic SQL (EXECUTE), every
        relation it names."""
        bodies = [self.sources.get(f, "") for f in self.closure(fn) | {fn}]
        if any(re.search(r"\bEXECUTE\b", b, re.IGNORECASE) for b in bodies):
            return self.closure(fn) & self.relations
        return {m.lower() for b in bodies for m in WRITE_TARGET.findall(b)} & self.relations

    def side_effects(self, table: str) -> set[str]:
        """The other tables the triggers on ``table`` may write (and so on)."""
        out, todo = set(), [table]
        while todo:
            for fn in self.triggers.get(todo.pop(), set()):
                for m in self.writes_of(fn) - out - {table}:
                    out.add(m)
                    todo.append(m)
        return out

    def written(self, table: str) -> set[str]:
        """The tables a write to ``table`` may change: itself, what its triggers write, the
        tables whose foreign keys cascade from it (and so on)."""
        out, todo = {table}, [table]
        while todo:
            t = todo.pop()
            for m in (self.cascades.get(t, set()) | self.side_effects(t)) - out:
                out.add(m)
                todo.append(m)
        return out

    def quiet(self, table: str, measured: Iterable[str]) -> bool:
        """An UPDATE of ``table`` that changed no row's value cannot change a scope: its
        triggers write nothing that a scope depends on (no cascade fires either)."""
        deps = set().union(*(self.closure(t) | {t} for t in measured))
        deps |= set().union(*(self.closure(f) for f in WHO))
        return not self.side_effects(table) & deps

    def affected(self, table: str, measured: Iterable[str]) -> tuple[set[str], bool]:
        """The measured tables, and whether the session functions, that a write to ``table``
        could change."""
        written = self.written(table)
        tables = {t for t in measured if t in written or self.closure(t) & written}
        who = any((self.closure(f) | {f}) & written for f in WHO)
        return tables, who


def read_catalog(session: Session) -> Catalog:
    rows = session.execute(
        text(
            """
            SELECT c.relname AS name,
                   string_agg(coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' '
                              || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), ' ')
                   AS src
            FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            GROUP BY c.relname
            UNION ALL
            SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            WHERE c.relkind IN ('v', 'm')
            UNION ALL
            SELECT f.proname, string_agg(f.prosrc, ' ') FROM pg_proc f
            JOIN pg_namespace n ON n.oid = f.pronamespace AND n.nspname = 'public'
            WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                              AND d.objid = f.oid AND d.deptype = 'e')
            GROUP BY f.proname
            """
        )
    ).all()
    relations = set(
        session.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "AND n.nspname = 'public' WHERE c.relkind IN ('r', 'p', 'v', 'm')"
            )
        ).scalars()
    )
    sources = dict.fromkeys(relations, "")
    for r in rows:
        sources[r.name] = sources.get(r.name, "") + " " + (r.src or "")
    triggers: dict[str, set[str]] = {}
    for t, fn in session.execute(
        text(
            "SELECT tgrelid::regclass::text, p.proname FROM pg_trigger g "
            "JOIN pg_proc p ON p.oid = g.tgfoid WHERE NOT g.tgisinternal"
        )
    ).all():
        triggers.setdefault(t, set()).add(fn)
    cascades: dict[str, set[str]] = {}
    for parent, child in session.execute(
        text(
            "SELECT confrelid::regclass::text, conrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND (confupdtype NOT IN ('a', 'r') "
            "OR confdeltype NOT IN ('a', 'r'))"
        )
    ).all():
        cascades.setdefault(parent, set()).add(child)
    return Catalog(sources, relations, triggers, cascades)


def measured_tables(session: Session) -> dict[str, dict[str, Any]]:
    """Every table under RLS the app may read: its id column and one column it may update."""
    rows = session.execute(
        text(
            """
            SELECT c.relname AS tbl,
                   (SELECT a.attname FROM pg_index i JOIN pg_attribute a
                      ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1) AS pk,
                   (SELECT a.attname FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      AND has_column_privilege(:app, c.oid, a.attname, 'UPDATE')
                    ORDER BY a.attnum LIMIT 1) AS upd
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
            WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity
              AND has_table_privilege(:app, c.oid, 'SELECT')
            ORDER BY c.relname
            """
        ),
        {"app": APP},
    ).all()
    return {r.tbl: {"pk": r.pk, "upd": r.upd} for r in rows}


Need = frozenset[str]  # "r:table", "w:table", "who"


def scope_sql(tables: dict[str, dict[str, Any]], need: Need) -> str:
    """One statement measuring ``need``: per table the ids readable (``r:``) and updatable
    (``w:``), and the session functions' answer (``who``)."""
    ctes, fields = [], []
    for key in sorted(need):
        if key == "who":
            fields.append("'who', json_build_array(" + ", ".join(f"{f}()" for f in WHO) + ")")
            continue
        kind, t = key.split(":", 1)
        pk = _q(tables[t]["pk"])
        ids = f"coalesce(json_agg({pk}::text), '[]'::json)"
        if kind == "r":
            fields.append(f"'{key}', (SELECT {ids} FROM {_q(t)})")  # noqa: S608
        else:
            c = _q(tables[t]["upd"])
            ctes.append(f"w_{t} AS (UPDATE {_q(t)} SET {c} = {c} RETURNING {pk})")
            fields.append(f"'{key}', (SELECT {ids} FROM w_{t})")  # noqa: S608
    with_ = ("WITH " + ", ".join(ctes) + " ") if ctes else ""
    return f"{with_}SELECT json_build_object({', '.join(fields)})"
