"""No column the app role can write widens anybody's read or write scope.

Generic: the columns come from the catalog (``has_column_privilege('lianxin_app', …)`` over
every table of the public schema), so a table or column added later is attacked too, and so
are the scopes: every table under row-level security the app may read.

For each writable column, each logged-in role except admin (who already reads and writes
everything) is the attacker: as that role, on the app's connection, it writes attacker-chosen
values there — its own username, community and cell, its own staff id, a row id it cannot
see, NULL, true/false — by ``UPDATE`` of every row it may update and by ``INSERT`` of a copy of
a row with the value in that column, each write in a savepoint rolled back afterwards. After
each write that the database accepted, the scopes the write could change are measured again,
as every role (admin included), and compared with the same role's scope before any write:

- the ids of the rows it can read (the attacked rows themselves left out: moving one's own
  row elsewhere is an edit, not a leak);
- the ids of the rows it can update there (``UPDATE … SET c = c RETURNING id`` in a
  rolled-back savepoint);
- what the session functions say it is (role, cells, community, staff id, username).

Which scopes a write could change is read from the catalog too (over-inclusive, never under):
a table's scope depends on every relation and function its policies name, and on what those
functions and views name in turn (word matches in policy expressions, function bodies, view
definitions). A write to table X may change X itself, the tables the triggers on X write
(INSERT/UPDATE/DELETE/TRUNCATE targets in their bodies and in what they call; with dynamic SQL,
everything they name) and the tables whose foreign keys cascade from X; it may change the
scope of every table whose policies depend on any of those, and the session functions' answer
if they do. A column whose name occurs nowhere that a scope is decided (no policy, public
function or view mentions it) can change scopes only through its own row: for it only its own
table is measured. A (role, table) whose scope was the whole table before the write is not
measured again (admin mostly): it cannot grow.

Speed (the whole catalog, about 4,000 writes, in about a minute on the 2-core machine): each
write is one round trip, a temporary plpgsql function that makes the write in a
subtransaction, measures each observer in one statement in a nested subtransaction of its own,
and undoes it all by raising. An accepted UPDATE that changed no row's value is not measured
(its table's triggers write nothing a scope depends on). A write that leaves the database in a
state already measured (the same rows written to the same values by another attacker, on a
table whose triggers write nothing a scope depends on) reuses that measure. The world is
built once, in the test's transaction; its TRUNCATE of the personal tables holds an ACCESS
EXCLUSIVE lock until the rollback, so nothing else can use those tables of the test database
meanwhile (pytest runs the tests one after the other).

Any growth is a finding. ``LIANXIN_SECURITY_TABLES=import_batches,households`` limits the
attacked tables for a quick look during development; by default (``make test``) the whole
catalog is attacked. One kind of write widens scope by design: a planner (or admin) drawing,
staffing and publishing the grid decides who sees which households; those writes (grid_plans,
grid_cells, blocks by a planner) are listed in BY_DESIGN, and only those.

What it found: the first run over the whole catalog (2026-12-03) found that a community clerk
could ``UPDATE cases SET cell_code = <a cell of another community>`` on a case of their own;
that cell's grid leader then read the case's events, attachments and callbacks. Migration 0016
checks a case's cell against its community (the published plan) on the app's writes.

The test can fail: ``test_the_attack_finds_the_import_batches_hole`` re-opens, inside its own
rolled-back transaction, the hole issue 10 reported (import_batches without row-level security,
``imported_by`` writable by lianxin_app, no stamping trigger, as before migration 0008), runs
the same attack on that table, and requires findings naming ``import_batches.imported_by`` and
the households that became visible. By hand: the same three statements (``ALTER TABLE
import_batches DISABLE ROW LEVEL SECURITY; DROP TRIGGER import_batches_stamp ON
import_batches; GRANT UPDATE (imported_by) ON import_batches TO lianxin_app``) committed on a
throwaway copy of lianxin_test make ``test_no_writable_column_widens_anybodys_scope`` fail with
lines like ``grid_leader UPDATE import_batches.imported_by = 't_sec_grid_leader': grid_leader
r:households +[…]``; so does dropping the trigger ``cases_place_check`` (0016),
with ``clerk UPDATE cases.cell_code = '610902001002001': grid_leader_b r:case_events +[…]``.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from tests.security.writable_attack import attack_every_column
from tests.security.writable_catalog import APP


def test_no_writable_column_widens_anybodys_scope(demo_session):
    wanted = os.environ.get("LIANXIN_SECURITY_TABLES", "all")
    only = None if wanted == "all" else {t for t in wanted.split(",") if t}
    out = attack_every_column(demo_session, only)
    print(
        f"{out.columns} writable columns ({out.named} named where scopes are decided), "
        f"{out.attacked} attacked, {out.attempts} writes tried, {out.accepted} accepted "
        f"({out.unchanged} changed nothing, {out.reused} a state already measured), "
        f"{out.statements} scope measurements"
    )
    if only is None:
        assert out.attacked == out.columns
        assert out.columns > 100  # the catalog query really found the app's columns
    assert out.accepted > 0  # the test really wrote something
    assert not out.findings, "\n".join(sorted(set(out.findings))[:40])


def test_the_attack_finds_the_import_batches_hole(demo_session):
    """The hole issue 10 reported, re-opened in this rolled-back transaction as it was before
    migration 0008 (no RLS on import_batches, ``imported_by`` writable, no stamping trigger):
    the attack above must name it."""
    s = demo_session
    s.execute(text("ALTER TABLE import_batches DISABLE ROW LEVEL SECURITY"))
    s.execute(text("DROP TRIGGER import_batches_stamp ON import_batches"))
    s.execute(text(f"GRANT UPDATE (imported_by) ON import_batches TO {APP}"))
    out = attack_every_column(s, {"import_batches"})
    hole = [f for f in out.findings if "UPDATE import_batches.imported_by" in f]
    assert any("grid_leader UPDATE" in f and "r:households" in f for f in hole), out.findings
    # and the households a grid worker reads grow by the unplaced rows of the claimed batch
    assert any(
        f.startswith("grid_worker UPDATE") and ": grid_worker r:households" in f for f in hole
    ), out.findings
    print("\n".join(sorted(hole)[:8]))


pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
