"""The demo loader's statements (demo/load.py): one INSERT per table of the committed demo town,
and the look-ups that link its rows. SQL lives in db/ (issue 12); the loader reads the files and
builds the rows. The owner's connection runs them, in one transaction."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID

# Children first: the order the demo's tables are emptied in (see clear).
TABLES_IN_DELETE_ORDER = (
    "callbacks",
    "visits",
    "case_events",
    "cases",
    "household_changes",
    "residents",
    "households",
    "import_batches",
    "users",
    "grid_cells",
    "blocks",
    "staff",
    "grid_plans",
    "compounds",
    "address_points",
    "streets",
    "communities",
    "subdistricts",
    "districts",
)


def clear(session: Session) -> None:
    """Empty every table the demo fills (and their identities), in one statement."""
    session.execute(text(f"TRUNCATE {', '.join(TABLES_IN_DELETE_ORDER)} RESTART IDENTITY CASCADE"))


INSERT_DISTRICTS = text(
    "INSERT INTO districts (code, name, geom) VALUES (:code, :name, ST_GeomFromEWKT(:g))"
)
INSERT_SUBDISTRICTS = text(
    "INSERT INTO subdistricts (code, district_code, name, geom) VALUES (:code, :d, :name, "
    "ST_GeomFromEWKT(:g))"
)
INSERT_COMMUNITIES = text(
    "INSERT INTO communities (code, district_code, subdistrict_code, name, has_station, "
    "geom) VALUES (:code, :d, :sd, :name, :st, ST_GeomFromEWKT(:g))"
)
INSERT_STREETS = text(
    "INSERT INTO streets (district_code, subdistrict_code, name, kind, aliases, geom) "
    "VALUES (:d, :sd, :name, :kind, :aliases, ST_GeomFromEWKT(:g))"
)
INSERT_ADDRESS_POINTS = text(
    "INSERT INTO address_points (district_code, street_id, street_name, house_number, "
    "community_code, geom) VALUES (:d, (SELECT min(id) FROM streets WHERE name = :s), :s, "
    ":n, :c, ST_GeomFromEWKT(:g))"
)
INSERT_STAFF = text(
    "INSERT INTO staff (district_code, staff_no, name, phone, role, community_code, "
    "cell_code, streets) VALUES (:d, :no, :name, :phone, :role, :c, :cell, :streets)"
)
INSERT_GRID_CELLS = text(
    "INSERT INTO grid_cells (district_code, plan_id, community_code, cell_code, name, "
    "leader_staff_id, geom) VALUES (:d, :p, :c, :code, :name, :leader, ST_GeomFromEWKT(:g))"
)
INSERT_BLOCKS = text(
    "INSERT INTO blocks (district_code, plan_id, block_key, community_code, cell_code, "
    "geom) VALUES (:d, :p, :k, :c, :cell, ST_GeomFromEWKT(:g))"
)
INSERT_CASES = text(f"""
            INSERT INTO cases (district_code, case_no, kind, category, channel, state, description,
                household_id, community_code, geom, received_at, due_at, closed_at,
                handler_staff_id, department, escalation_level, rework_count, satisfaction,
                called_back)
            VALUES (:d, :no, :kind, :cat, :ch, :state, :desc, :hh, :c,
                CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL ELSE
                ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), {SRID}) END,
                :rec, :due, :closed, :handler, :dept, :esc, :rework, :sat, :cb)
            """)
INSERT_CASE_EVENTS = text(
    "INSERT INTO case_events (district_code, case_id, seq, at, actor, action, from_state, "
    "to_state, note) VALUES (:d, :case, :seq, :at, :actor, :action, :f, :t, :note)"
)
INSERT_VISITS = text(
    "INSERT INTO visits (district_code, visit_date, staff_id, household_id, outcome, note, "
    "case_id) VALUES (:d, :date, :staff, :hh, :outcome, :note, :case)"
)
INSERT_CALLBACKS = text(
    "INSERT INTO callbacks (district_code, case_id, called_at, staff_id, reached, "
    "satisfaction, comment) VALUES (:d, :case, :at, :staff, :reached, :sat, :comment)"
)
INSERT_COMPOUNDS = text(
    "INSERT INTO compounds (district_code, name, street_name, house_number, community_code,"
    " geom) VALUES (:d, :name, :s, :n, :c, ST_GeomFromEWKT(:g))"
)
INSERT_GRID_PLANS = text(
    "INSERT INTO grid_plans (district_code, subdistrict_code, name, version_no, state, "
    "valid_from, note, created_by) VALUES (:d, :sd, :name, 1, 'published', :vf, :note, "
    "'demo') RETURNING id"
)
ANY_HOUSEHOLD = text("SELECT EXISTS (SELECT 1 FROM households)")
STAFF_IDS = text("SELECT staff_no, id FROM staff")
HOUSEHOLD_BY_SHEET_ROW = text(
    "SELECT source_row - 2, id FROM households WHERE source_row IS NOT NULL"
)
CASE_IDS = text("SELECT case_no, id FROM cases")
