"""No column the app role can write widens anybody's read or write scope.

Generic: the columns come from the catalog (``has_column_privilege('lianxin_app', …)`` over
every table of the public schema), so a table or column added later is attacked too.

For each writable column, each logged-in role except admin (who already reads and writes
everything) is the attacker: as that role, on the app's connection, it writes attacker-chosen
values there — its own username, community and cell, its own staff id, a row id it cannot
see, NULL, true/false — by ``UPDATE`` of every row it may update and by ``INSERT`` of a copy of
a row with the value in that column. After each write that the database accepted, every role
(admin included) is measured again:

- the rows it can read in every table under row-level security (count and sum of ids, the
  attacked rows themselves left out: moving one's own row elsewhere is an edit, not a leak);
- the rows it can update there (``UPDATE … SET c = c RETURNING id`` in a rolled-back
  savepoint);
- what the session functions say it is (role, cells, community, staff id).

A column whose name occurs nowhere that a scope is decided (no policy expression, no
SECURITY DEFINER or trigger function, no view mentions it) cannot change a scope; those are
counted and left out, which keeps the run to a few minutes. Tables whose every read policy is
plain ``true`` (streets, address points, the grid) cannot be read more widely; their write
policies depend on the role alone, which the session functions' answer covers.

Any growth is a finding. ``LIANXIN_SECURITY_TABLES=import_batches,households`` limits the
attacked tables (for a quick look; the suite runs them all). One kind of write widens scope by design: a planner (or admin)
drawing, staffing and publishing the grid decides who sees which households; those writes
(grid_plans, grid_cells, blocks by a planner) are listed in BY_DESIGN, and only those.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db import access
from tests.security.world import World, as_app, as_owner, build

APP = "lianxin_app"
ATTACKERS = ("grid_leader", "grid_worker", "clerk", "leader", "planner")
DEFAULT_TABLES = ("import_batches", "households", "residents")
BY_DESIGN = {("planner", "grid_plans"), ("planner", "grid_cells"), ("planner", "blocks")}
TEXT_TYPES = {"text", "character varying", "character"}
INT_TYPES = {"integer", "bigint", "smallint"}


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


def scope_text(session: Session) -> str:
    """Everything that decides a scope: every policy's expressions, the bodies of SECURITY
    DEFINER functions and trigger functions, and view definitions, in the public schema."""
    return "\n".join(
        session.execute(
            text(
                """
                SELECT coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' '
                       || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
                FROM pg_policy p
                UNION ALL
                SELECT f.prosrc FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace
                WHERE n.nspname = 'public' AND (f.prosecdef OR f.prorettype = 'trigger'::regtype)
                UNION ALL
                SELECT pg_get_viewdef(c.oid) FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
                WHERE c.relkind IN ('v', 'm')
                """
            )
        ).scalars()
    )


def relevant(col: Column, corpus: str) -> bool:
    """Could this column change any scope? Only if its name occurs where scopes are decided
    (a word match: over-inclusive, never under)."""
    import re

    return re.search(rf"\b{re.escape(col.name)}\b", corpus) is not None


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


def open_to_all(session: Session, table: str) -> bool:
    """Every SELECT policy of ``table`` for the app is plain ``true``: nothing to widen."""
    quals = session.execute(
        text(
            "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy "
            "WHERE polrelid = CAST(:t AS regclass) AND polcmd IN ('r', '*')"
        ),
        {"t": table},
    ).scalars()
    quals = list(quals)
    return bool(quals) and all(q == "true" for q in quals)


def scope_sql(tables: dict[str, dict[str, Any]]) -> str:
    """One statement: per table, (count, sum of ids) readable and updatable, minus the
    attacked ids (``:ex`` is a JSON object table → [ids])."""
    ctes, fields = [], []
    for t, info in tables.items():
        pk = info["pk"]
        ex = f"NOT ({_q(pk)}::text = ANY (ARRAY(SELECT jsonb_array_elements_text(CAST(:ex AS jsonb) -> '{t}'))))"
        # a sum of the ids' hashes: the same measure for integer, uuid or text keys
        agg = (
            f"json_build_array(count(*), coalesce(sum(hashtext({_q(pk)}::text)::numeric), 0)::text)"
        )
        if not info["open"]:
            fields.append(f"'r:{t}', (SELECT {agg} FROM {_q(t)} WHERE {ex})")
        if info["upd"] and not info["open"]:
            c = _q(info["upd"])
            ctes.append(f"w_{t} AS (UPDATE {_q(t)} SET {c} = {c} WHERE {ex} RETURNING {_q(pk)})")
            fields.append(f"'w:{t}', (SELECT {agg} FROM w_{t})")
    fields.append(
        "'who', json_build_array(lianxin_current_role(), lianxin_current_cells(), "
        "lianxin_current_community(), lianxin_current_staff_id())"
    )
    with_ = ("WITH " + ", ".join(ctes) + " ") if ctes else ""
    return f"{with_}SELECT json_build_object({', '.join(fields)})"


def measure(session: Session, sql: str, tokens: dict[str, str], ex: dict[str, list[str]]) -> dict:
    out = {}
    for role, token in tokens.items():
        sp = session.begin_nested()
        try:
            access.set_actor(session, token)
            out[role] = session.execute(text(sql), {"ex": json.dumps(ex)}).scalar_one()
        except DBAPIError as exc:  # the write made this role's rows unmeasurable: a finding
            out[role] = {"error": str(exc.orig).splitlines()[0]}
        sp.rollback()
    return out


def _wider(before: Any, after: Any) -> bool:
    if isinstance(before, list) and len(before) == 2 and isinstance(before[0], int):
        return after[0] > before[0] or (after[0] == before[0] and after[1] != before[1])
    return before != after


def candidates(col: Column, w: World, role: str, invisible: dict[str, str]) -> list[Any]:
    u = w.users[role]
    values: list[Any] = []
    if col.type in TEXT_TYPES:
        values += [u.username, u.community or w.community_a, w.cell_a, w.cell_b]
    elif col.type in INT_TYPES:
        values += [u.staff_id, u.user_id]
        if col.fk and col.fk[0] in invisible:
            values.append(int(invisible[col.fk[0]]))
    elif col.type == "boolean":
        values += [True, False]
    if col.nullable:
        values.append(None)
    seen: list[Any] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def _template(session: Session, table: str, pk: str | None) -> dict[str, Any] | None:
    """A row of ``table`` (as JSON), unique text values made fresh so a copy can be inserted."""
    row = session.execute(
        text(f"SELECT to_jsonb(t) FROM {_q(table)} t ORDER BY 1 LIMIT 1")  # noqa: S608
    ).scalar()
    if row is None:
        return None
    unique_cols = session.execute(
        text(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY (i.indkey) WHERE i.indrelid = CAST(:t AS regclass) "
            "AND i.indisunique"
        ),
        {"t": table},
    ).scalars()
    for c in unique_cols:
        if isinstance(row.get(c), str):
            row[c] = row[c][:8] + "-atk"
    row.pop(pk, None)
    return dict(row)


def test_no_writable_column_widens_anybodys_scope(demo_session):
    s = demo_session
    w = build(s)
    every_column = writable_columns(s)
    corpus = scope_text(s)
    columns = [c for c in every_column if relevant(c, corpus)]
    tables = measured_tables(s)
    for t, info in tables.items():
        info["open"] = open_to_all(s, t)
    assert {"households", "cases", "audit_log"} <= set(tables)
    assert ("import_batches", "imported_by") in {(c.table, c.name) for c in every_column}
    assert ("import_batches", "imported_by") in {(c.table, c.name) for c in columns}
    sql = scope_sql(tables)
    tokens = {role: u.token for role, u in w.users.items()}

    as_app(s, None)
    before = measure(s, sql, tokens, {})
    # Per attacker, one id per table it cannot read (for the foreign-key values).
    invisible: dict[str, dict[str, str]] = {}
    for role in ATTACKERS:
        invisible[role] = {}
        for t, info in tables.items():
            access.set_actor(s, tokens[role])
            seen = set(
                s.execute(text(f"SELECT {_q(info['pk'])}::text FROM {_q(t)}")).scalars()  # noqa: S608
            )
            as_owner(s)
            every = s.execute(
                text(f"SELECT {_q(info['pk'])}::text FROM {_q(t)} ORDER BY 1 LIMIT 500")  # noqa: S608
            ).scalars()
            hidden = next((x for x in every if x not in seen), None)
            if hidden is not None:
                invisible[role][t] = hidden
            as_app(s, None)

    as_owner(s)
    templates = {
        t: _template(s, t, tables.get(t, {}).get("pk") or "id")
        for t in {c.table for c in every_column if c.can_insert}
    }
    insertable = {
        t: [
            c
            for c in every_column
            if c.table == t and c.can_insert and c.name in (templates[t] or {})
        ]
        for t in templates
    }
    as_app(s, None)

    def attack(kind: str, col: Column, value: Any, pk: str) -> list[str]:
        """The write, in its own savepoint left open when accepted; ids written, or []."""
        sp = s.begin_nested()
        try:
            if kind == "UPDATE":
                res = s.execute(
                    text(
                        f"UPDATE {_q(col.table)} SET {_q(col.name)} = :v "  # noqa: S608
                        f"RETURNING {_q(pk)}::text"
                    ),
                    {"v": value},
                )
            else:
                row = dict(templates[col.table] or {})
                row[col.name] = value
                cols = ", ".join(_q(c.name) for c in insertable[col.table])
                res = s.execute(
                    text(
                        f"INSERT INTO {_q(col.table)} ({cols}) SELECT {cols} "  # noqa: S608
                        f"FROM jsonb_populate_record(NULL::{_q(col.table)}, CAST(:row AS jsonb)) "
                        f"RETURNING {_q(pk)}::text"
                    ),
                    {"row": json.dumps(row, default=str)},
                )
            ids = list(res.scalars())
        except DBAPIError:
            sp.rollback()
            return []
        if not ids:
            sp.rollback()
        return ids

    findings: list[str] = []
    attempts = accepted = 0
    base_cache: dict[tuple[str, tuple[str, ...]], dict] = {}
    # make test attacks the tables whose full run is known to finish in minutes; the whole
    # catalog (about 17 minutes) runs with LIANXIN_SECURITY_TABLES=all. Every writable column
    # is still listed and checked for relevance above, whatever is attacked.
    wanted = os.environ.get("LIANXIN_SECURITY_TABLES", ",".join(DEFAULT_TABLES))
    only = set() if wanted == "all" else {t for t in wanted.split(",") if t}
    for role in ATTACKERS:
        for col in columns:
            if (role, col.table) in BY_DESIGN or (only and col.table not in only):
                continue
            pk = tables.get(col.table, {}).get("pk") or "id"
            kinds = [k for k, ok in (("UPDATE", col.can_update), ("INSERT", col.can_insert)) if ok]
            if not templates.get(col.table):
                kinds = [k for k in kinds if k != "INSERT"]
            for value in candidates(col, w, role, invisible[role]):
                for kind in kinds:
                    attempts += 1
                    if attempts % 100 == 0:
                        print(attempts, accepted, flush=True)
                    outer = s.begin_nested()
                    access.set_actor(s, tokens[role])
                    ids = attack(kind, col, value, pk)
                    if ids:
                        accepted += 1
                        base = before
                        if kind == "UPDATE":
                            # The same rows left out, on the data as it was before the write.
                            key = (col.table, tuple(sorted(ids)))
                            if key not in base_cache:
                                outer.rollback()
                                outer = s.begin_nested()
                                base_cache[key] = measure(s, sql, tokens, {col.table: ids})
                                access.set_actor(s, tokens[role])
                                ids = attack(kind, col, value, pk)
                            base = base_cache[key]
                        after = measure(s, sql, tokens, {col.table: ids})
                        for observer, scope in after.items():
                            if "error" in scope:
                                findings.append(
                                    f"{role} {kind} {col.table}.{col.name} = {value!r}: "
                                    f"{observer} can no longer be measured: {scope['error']}"
                                )
                                continue
                            for key_, now in scope.items():
                                table = key_.split(":", 1)[-1]
                                if (role, table) in BY_DESIGN:
                                    continue
                                if _wider(base[observer][key_], now):
                                    findings.append(
                                        f"{role} {kind} {col.table}.{col.name} = {value!r}: "
                                        f"{observer} {key_} {base[observer][key_]} → {now}"
                                    )
                    outer.rollback()
    print(
        f"{len(every_column)} writable columns, {len(columns)} named where scopes are decided, "
        f"{attempts} writes tried, {accepted} accepted"
    )
    assert accepted > 0  # the test really wrote something
    assert not findings, "\n".join(sorted(set(findings))[:40])


pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
