"""Named queries for the roster import: family members (家庭成员) and the households a person
already confirmed at their address."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

# --- family members (家庭成员) ----------------------------------------------------------------


def household_ids_by_key(
    session: Session, *, district_code: str, keys: list[str]
) -> dict[str, int]:
    """household_key → id for those of ``keys`` the acting session can see."""
    if not keys:
        return {}
    rows = session.execute(
        text(
            "SELECT household_key, id FROM households "
            "WHERE district_code = :d AND household_key = ANY (CAST(:keys AS text[]))"
        ),
        {"d": district_code, "keys": keys},
    )
    return {str(k): int(i) for k, i in rows}


def replace_residents(
    session: Session,
    *,
    district_code: str,
    household_ids: list[int],
    residents: list[dict[str, Any]],
) -> None:
    """Make ``residents`` the members of ``household_ids`` (each dict: household_id, name,
    relation, id_number, phone). Under RLS the residents policy follows the household."""
    if household_ids:
        session.execute(
            text("DELETE FROM residents WHERE household_id = ANY (CAST(:ids AS bigint[]))"),
            {"ids": household_ids},
        )
    if residents:
        session.execute(
            text(
                "INSERT INTO residents (district_code, household_id, name, relation, "
                "id_number, phone) VALUES (:d, :household_id, :name, :relation, :id_number, "
                ":phone)"
            ),
            [{"d": district_code, **r} for r in residents],
        )


def confirmed_at_address(
    session: Session, *, district_code: str, pairs: list[tuple[str, str]]
) -> set[str]:
    """Those household keys of ``pairs`` (key, address) whose household a person placed by
    hand (待核实, a 核实定位 change) while it had exactly this address text."""
    if not pairs:
        return set()
    rows = session.execute(
        text(
            """
            SELECT h.household_key FROM households h
            JOIN unnest(CAST(:keys AS text[]), CAST(:addrs AS text[])) AS p(k, a)
              ON p.k = h.household_key AND p.a = h.address
            WHERE h.district_code = :d AND h.status = 'active'
              AND EXISTS (SELECT 1 FROM household_changes c
                          WHERE c.household_id = h.id AND c.change = '核实定位')
            """
        ),
        {"d": district_code, "keys": [k for k, _ in pairs], "addrs": [a for _, a in pairs]},
    )
    return {str(k) for (k,) in rows}
