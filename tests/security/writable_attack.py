"""The writing side of the writable-column attack (test_writable_columns.py has the method): the
plpgsql function that makes one write and measures every observer in one round trip, the values
an attacker writes, and the attack over every column."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from db import access
from tests.security.world import World, as_app, as_owner, build
from tests.security.writable_catalog import (
    APP,
    INT_TYPES,
    TEXT_TYPES,
    Column,
    Need,
    _q,
    measured_tables,
    read_catalog,
    scope_sql,
    writable_columns,
)

ATTACKERS = ("grid_leader", "grid_worker", "clerk", "leader", "planner")
BY_DESIGN = {("planner", "grid_plans"), ("planner", "grid_cells"), ("planner", "blocks")}

# Every attempt is one round trip: a plpgsql function (temporary, gone with the rolled-back
# transaction) makes the write in a subtransaction, and when the database accepted it measures
# each observer's scope in a nested subtransaction of its own (the token and the measuring
# updates undone), then undoes the write by raising; the results survive in variables.
FUNCTIONS_SQL = """
CREATE FUNCTION pg_temp.lianxin_t_measure(jobs jsonb) RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE r record; got json; out jsonb := '{}';
BEGIN
    FOR r IN SELECT key, value->>0 AS token, value->>1 AS q FROM jsonb_each(jobs) LOOP
        got := NULL;
        BEGIN
            PERFORM set_config('SETTING', r.token, true);
            EXECUTE r.q INTO got;
            RAISE EXCEPTION USING ERRCODE = 'LX001';
        EXCEPTION
            WHEN SQLSTATE 'LX001' THEN out := out || jsonb_build_object(r.key, got);
            WHEN OTHERS THEN
                out := out || jsonb_build_object(r.key, jsonb_build_object('error', SQLERRM));
        END;
    END LOOP;
    RETURN out;
END
$f$;
CREATE TEMPORARY TABLE lianxin_t_seen (k text PRIMARY KEY, ids json, scopes jsonb)
    ON COMMIT DROP;
GRANT ALL ON lianxin_t_seen TO APP;
CREATE FUNCTION pg_temp.lianxin_t_attack(w text, arg jsonb, jobs jsonb, always boolean,
                                         cache boolean)
RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE ids json; changed boolean; state text; scopes jsonb;
        hit boolean := false; hit_ids json; hit_scopes jsonb;
BEGIN
    BEGIN
        EXECUTE w INTO ids, changed, state USING arg;
        IF json_array_length(ids) > 0 AND (changed OR always) THEN
            -- the same rows written the same way (by another attacker) leave the database
            -- in a state already measured: its measure, and its ids, are reused
            IF cache THEN
                SELECT t.ids, t.scopes INTO hit_ids, hit_scopes FROM lianxin_t_seen t
                WHERE t.k = state;
                hit := FOUND;
            END IF;
            IF NOT hit THEN
                scopes := pg_temp.lianxin_t_measure(jobs);
            END IF;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'LX001';
    EXCEPTION
        WHEN SQLSTATE 'LX001' THEN NULL;
        WHEN OTHERS THEN ids := NULL;
    END;
    IF hit THEN
        RETURN jsonb_build_object('ids', hit_ids, 'scopes', hit_scopes, 'cached', true);
    END IF;
    IF cache AND scopes IS NOT NULL THEN
        INSERT INTO lianxin_t_seen VALUES (state, ids, scopes);
    END IF;
    RETURN jsonb_build_object('ids', coalesce(ids, '[]'::json), 'scopes', scopes);
END
$f$;
""".replace("SETTING", access.SESSION_SETTING).replace("APP", APP)


class Measure:
    """Each role's scope, one statement per role (one per need), all in one round trip."""

    def __init__(self, session: Session, tables: dict[str, dict[str, Any]], tokens: dict[str, str]):
        self.s, self.tables, self.tokens = session, tables, tokens
        self._sql: dict[Need, str] = {}
        self.statements = 0

    def jobs(self, needs: dict[str, Need]) -> str:
        """The measuring function's argument: observer → [token, statement]."""
        out = {}
        for role, need in needs.items():
            if need:
                if need not in self._sql:
                    self._sql[need] = scope_sql(self.tables, need)
                out[role] = [self.tokens[role], self._sql[need]]
        return json.dumps(out)

    @staticmethod
    def parse(got: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {
            role: {k: (set(v) if k not in ("who", "error") else v) for k, v in scope.items()}
            for role, scope in got.items()
        }

    def __call__(self, needs: dict[str, Need]) -> dict[str, dict[str, Any]]:
        got = self.s.execute(
            text("SELECT pg_temp.lianxin_t_measure(CAST(:j AS jsonb))"), {"j": self.jobs(needs)}
        ).scalar_one()
        self.statements += sum(1 for n in needs.values() if n)
        return self.parse(got)


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


@dataclass
class Outcome:
    findings: list[str]
    columns: int
    named: int
    attacked: int
    attempts: int
    accepted: int
    unchanged: int  # accepted UPDATEs that changed no value (nothing to measure)
    reused: int  # accepted writes leaving a state already measured
    statements: int


def attack_every_column(s: Session, only: set[str] | None = None) -> Outcome:
    """Build the world, write every writable column as every attacker, measure; ``only``
    limits the attacked tables (every table's scope is still measured)."""
    w = build(s)
    every_column = writable_columns(s)
    catalog = read_catalog(s)
    tables = measured_tables(s)
    assert all(info["pk"] for info in tables.values()), tables
    tokens = {role: u.token for role, u in w.users.items()}
    measure = Measure(s, tables, tokens)

    as_owner(s)
    everything = {
        t: set(s.execute(text(f"SELECT {_q(i['pk'])}::text FROM {_q(t)}")).scalars())  # noqa: S608
        for t, i in tables.items()
    }
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
    s.execute(text(FUNCTIONS_SQL))
    as_app(s, None)
    full: Need = frozenset(
        {f"r:{t}" for t in tables} | {f"w:{t}" for t, i in tables.items() if i["upd"]} | {"who"}
    )
    before = measure(dict.fromkeys(tokens, full))
    for role, scope in before.items():
        assert "error" not in scope, (role, scope)
    # Per attacker, one id per table it cannot read (for the foreign-key values).
    # (The lowest id: the world's rows are made in the same order every run.)
    invisible = {
        role: {
            t: min(everything[t] - before[role][f"r:{t}"], key=lambda i: (len(i), i))
            for t in tables
            if everything[t] - before[role][f"r:{t}"]
        }
        for role in ATTACKERS
    }
    # A (role, table) that reads (updates) the whole table cannot read (update) more.
    whole = {
        (role, key)
        for role, scope in before.items()
        for key, ids in scope.items()
        if key != "who" and ids == everything[key.split(":", 1)[1]]
    }

    needs_cache: dict[tuple[str, bool], dict[str, Need]] = {}

    def needs_for(col: Column) -> dict[str, Need]:
        key = (col.table, catalog.named(col.name))
        if key not in needs_cache:
            affected, who = catalog.affected(col.table, tables)
            if not key[1]:  # named nowhere: only its own row's table can change
                affected &= {col.table}
            keys = {f"r:{t}" for t in affected} | {f"w:{t}" for t in affected if tables[t]["upd"]}
            if who:
                keys.add("who")
            needs_cache[key] = {
                role: frozenset(k for k in keys if (role, k) not in whole) for role in tokens
            }
        return needs_cache[key]

    jobs_cache: dict[tuple[str, bool], str] = {}

    def jobs_for(col: Column) -> str:
        key = (col.table, catalog.named(col.name))
        if key not in jobs_cache:
            jobs_cache[key] = measure.jobs(needs_for(col))
        return jobs_cache[key]

    writes: dict[tuple[str, str], str] = {}

    def write_sql(kind: str, col: Column, pk: str) -> str:
        """The attack's statement; ``$1`` is a JSON row holding the value in the column."""
        key = (kind, f"{col.table}.{col.name}")
        if key not in writes:
            t, rec = _q(col.table), f"jsonb_populate_record(NULL::{_q(col.table)}, $1)"
            if kind == "UPDATE":
                # the row as it was, to tell a write that changed nothing
                w = (
                    f"UPDATE {t} SET {_q(col.name)} = ({rec}).{_q(col.name)} FROM {t} AS o "
                    f"WHERE o.{_q(pk)} = {t}.{_q(pk)} RETURNING {t}.{_q(pk)}::text AS x, "
                    f"to_jsonb({t}.*) IS DISTINCT FROM to_jsonb(o.*) AS changed, "
                    f"to_jsonb({t}.*)::text AS img"
                )
            else:
                cols = ", ".join(_q(c.name) for c in insertable[col.table])
                w = (
                    f"INSERT INTO {t} ({cols}) SELECT {cols} FROM {rec} "
                    f"RETURNING {_q(pk)}::text AS x, true AS changed, "
                    f"(to_jsonb({t}.*) - '{pk}')::text AS img"  # a new id, else the same row
                )
            writes[key] = (
                f"WITH a AS ({w}) SELECT coalesce(json_agg(x), '[]'::json), "  # noqa: S608
                "coalesce(bool_or(changed), false), "
                f"md5('{key[0]} {col.table}:' || coalesce(string_agg(img, ',' ORDER BY img), '')) "
                "FROM a"
            )
        return writes[key]

    findings: list[str] = []
    attempts = accepted = unchanged = reused = 0
    quiet = {t for t in {c.table for c in every_column} if catalog.quiet(t, tables)}
    attacked = [c for c in every_column if not only or c.table in only]
    spent: dict[str, float] = {}
    for role in ATTACKERS:
        # The attacker's token, set once: each savepoint rolled back below restores it.
        access.set_actor(s, tokens[role])
        for col in attacked:
            if (role, col.table) in BY_DESIGN:
                continue
            pk = tables.get(col.table, {}).get("pk") or "id"
            kinds = [k for k, ok in (("UPDATE", col.can_update), ("INSERT", col.can_insert)) if ok]
            if not templates.get(col.table):
                kinds = [k for k in kinds if k != "INSERT"]
            t0 = time.perf_counter()
            for value in candidates(col, w, role, invisible[role]):
                for kind in kinds:
                    attempts += 1
                    row = dict(templates[col.table] or {}) if kind == "INSERT" else {}
                    row[col.name] = value
                    got = s.execute(
                        text(
                            "SELECT pg_temp.lianxin_t_attack(:w, CAST(:row AS jsonb), "
                            "CAST(:jobs AS jsonb), :always, :cache)"
                        ),
                        {
                            "w": write_sql(kind, col, pk),
                            "row": json.dumps(row, default=str),
                            "jobs": jobs_for(col),
                            "always": kind == "INSERT" or col.table not in quiet,
                            "cache": col.table in quiet,
                        },
                    ).scalar_one()
                    if not got["ids"]:
                        continue
                    accepted += 1
                    if got["scopes"] is None:  # an UPDATE that changed no value
                        unchanged += 1
                        continue
                    if got.get("cached"):
                        reused += 1
                    else:
                        measure.statements += len(got["scopes"])
                    after = measure.parse(got["scopes"])
                    written = set(got["ids"])
                    what = f"{role} {kind} {col.table}.{col.name} = {value!r}"
                    for observer, scope in after.items():
                        if "error" in scope:
                            findings.append(
                                f"{what}: {observer} can no longer be measured: {scope['error']}"
                            )
                            continue
                        for key, now in scope.items():
                            table = key.split(":", 1)[-1]
                            if (role, table) in BY_DESIGN:
                                continue
                            was = before[observer][key]
                            if key == "who":
                                if now != was:
                                    findings.append(f"{what}: {observer} is {now}, was {was}")
                                continue
                            grown = now - was - (written if table == col.table else set())
                            if grown:
                                findings.append(f"{what}: {observer} {key} +{sorted(grown)[:5]}")
            spent[col.table] = spent.get(col.table, 0.0) + time.perf_counter() - t0
    print({t: round(v, 1) for t, v in sorted(spent.items(), key=lambda kv: -kv[1])})
    return Outcome(
        findings,
        len(every_column),
        sum(catalog.named(c.name) for c in every_column),
        len(attacked),
        attempts,
        accepted,
        unchanged,
        reused,
        measure.statements,
    )
