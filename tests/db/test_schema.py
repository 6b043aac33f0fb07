"""The schema of record: SRID, spatial indexes, sharding key, constraints."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

pytestmark = pytest.mark.db

POLY = "SRID=4490;MULTIPOLYGON(((109 32,109.01 32,109.01 32.01,109 32)))"
BIG_TABLES = (
    "households",
    "cases",
    "case_events",
    "visits",
    "callbacks",
    "grid_cells",
    "address_points",
    "streets",
    "blocks",
)


def test_every_geometry_is_cgcs2000(session):
    rows = session.execute(
        text(
            "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns WHERE f_table_schema='public'"
        )
    ).all()
    assert len(rows) >= 10
    assert {r.srid for r in rows} == {4490}, rows


def test_every_geometry_column_has_a_gist_index(session):
    cols = session.execute(
        text(
            "SELECT g.f_table_name, g.f_geometry_column FROM geometry_columns g "
            "JOIN pg_class c ON c.relname = g.f_table_name AND c.relkind = 'r' "
            "WHERE g.f_table_schema = 'public'"
        )
    ).all()
    for table, column in cols:
        found = session.execute(
            text(
                "SELECT count(*) FROM pg_indexes WHERE tablename = :t AND indexdef ILIKE '%USING gist%' AND indexdef LIKE :c"
            ),
            {"t": table, "c": f"%({column})%"},
        ).scalar()
        assert found, f"{table}.{column} has no GiST index"


def test_big_tables_carry_the_district_code(session):
    for table in BIG_TABLES:
        has = session.execute(
            text(
                "SELECT 1 FROM information_schema.columns WHERE table_name = :t AND column_name = 'district_code'"
            ),
            {"t": table},
        ).scalar()
        assert has, f"{table} lacks district_code (the sharding key)"


def test_cell_code_must_have_15_digits(session):
    session.execute(
        text(
            "INSERT INTO districts (code, name, geom) VALUES ('999999', 't', ST_GeomFromEWKT(:g))"
        ),
        {"g": POLY},
    )
    session.execute(
        text(
            "INSERT INTO subdistricts (code, district_code, name, geom) VALUES ('999999001', '999999', 't', ST_GeomFromEWKT(:g))"
        ),
        {"g": POLY},
    )
    session.execute(
        text(
            "INSERT INTO communities (code, district_code, subdistrict_code, name, geom) VALUES ('999999001001', '999999', '999999001', 't', ST_GeomFromEWKT(:g))"
        ),
        {"g": POLY},
    )
    plan = session.execute(
        text(
            "INSERT INTO grid_plans (district_code, subdistrict_code, name, version_no, state, lock_version) VALUES ('999999', '999999001', 't', 1, 'draft', 1) RETURNING id"
        )
    ).scalar()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(
                text(
                    "INSERT INTO grid_cells (district_code, plan_id, community_code, cell_code, name, kind) VALUES ('999999', :p, '999999001001', '12345', 'x', 'general')"
                ),
                {"p": plan},
            )


def test_only_one_published_plan_per_subdistrict(session):
    session.execute(
        text(
            "INSERT INTO districts (code, name, geom) VALUES ('999998', 't', ST_GeomFromEWKT(:g))"
        ),
        {"g": POLY},
    )
    session.execute(
        text(
            "INSERT INTO subdistricts (code, district_code, name, geom) VALUES ('999998001', '999998', 't', ST_GeomFromEWKT(:g))"
        ),
        {"g": POLY},
    )
    session.execute(
        text(
            "INSERT INTO grid_plans (district_code, subdistrict_code, name, version_no, state, lock_version) VALUES ('999998', '999998001', 'a', 1, 'published', 1)"
        )
    )
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(
                text(
                    "INSERT INTO grid_plans (district_code, subdistrict_code, name, version_no, state, lock_version) VALUES ('999998', '999998001', 'b', 2, 'published', 1)"
                )
            )
