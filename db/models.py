"""SQLAlchemy 2 + GeoAlchemy2 models: the schema of record.

Conventions
- Every geometry is stored in EPSG:4490 (CGCS2000) with a GiST index (GeoAlchemy2 creates one
  for each ``Geometry`` column; the migration spells them out).
- Every large table carries ``district_code`` (GB/T 2260, 6 digits): the future sharding key
  when a province moves to Citus. Nothing joins on a surrogate key alone across districts.
- Identifiers follow docs/GLOSSARY.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.settings import SRID


class Base(DeclarativeBase):
    pass


def _geom(kind: str) -> Any:
    return Geometry(geometry_type=kind, srid=SRID, spatial_index=True)


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class District(Base):
    __tablename__ = "districts"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    geom: Mapped[Any] = mapped_column(_geom("MULTIPOLYGON"))


class Subdistrict(Base):
    __tablename__ = "subdistricts"
    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"))
    name: Mapped[str] = mapped_column(String(50))
    geom: Mapped[Any] = mapped_column(_geom("MULTIPOLYGON"))


class Community(Base):
    __tablename__ = "communities"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    subdistrict_code: Mapped[str] = mapped_column(ForeignKey("subdistricts.code"))
    name: Mapped[str] = mapped_column(String(50))
    has_station: Mapped[bool] = mapped_column(Boolean, server_default=true())
    geom: Mapped[Any] = mapped_column(_geom("MULTIPOLYGON"))


class Street(Base):
    """A named thoroughfare (街/路/巷) as a centreline."""

    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    subdistrict_code: Mapped[str | None] = mapped_column(String(9))
    name: Mapped[str] = mapped_column(String(50), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    aliases: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    geom: Mapped[Any] = mapped_column(_geom("MULTILINESTRING"))
    __table_args__ = (CheckConstraint("kind IN ('street','road','lane')", name="street_kind"),)


class AddressPoint(Base):
    """A door plate (门牌): street + house number + point."""

    __tablename__ = "address_points"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    street_name: Mapped[str] = mapped_column(String(50))
    house_number: Mapped[str] = mapped_column(String(20))
    community_code: Mapped[str | None] = mapped_column(String(12))
    geom: Mapped[Any] = mapped_column(_geom("POINT"))
    __table_args__ = (
        UniqueConstraint("district_code", "street_name", "house_number", name="uq_door_plate"),
    )


class Compound(Base):
    """A named residential compound (小区/楼院)."""

    __tablename__ = "compounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(80))
    street_name: Mapped[str | None] = mapped_column(String(50))
    house_number: Mapped[str | None] = mapped_column(String(20))
    community_code: Mapped[str | None] = mapped_column(String(12))
    geom: Mapped[Any] = mapped_column(_geom("POINT"))


class GridPlan(Base):
    """A versioned set of cells for a territory: draft → validated → published → retired."""

    __tablename__ = "grid_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    subdistrict_code: Mapped[str] = mapped_column(String(9))
    name: Mapped[str] = mapped_column(String(100))
    version_no: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), server_default="draft")
    valid_from: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = _now()
    lock_version: Mapped[int] = mapped_column(Integer, server_default="1")  # optimistic concurrency
    # --- added by migration 0006 (plans) ---
    updated_by: Mapped[str | None] = mapped_column(String(50))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(50))
    publish_summary: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft','validated','published','retired')", name="grid_plan_state"
        ),
        UniqueConstraint("subdistrict_code", "version_no", name="uq_plan_version"),
        # At most one published plan per sub-district at any time.
        Index(
            "uq_one_published_plan",
            "subdistrict_code",
            unique=True,
            postgresql_where="state = 'published'",
        ),
    )


class Block(Base):
    """A street-bounded block (街区), the atom cells are built from, within a plan."""

    __tablename__ = "blocks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("grid_plans.id", ondelete="CASCADE"))
    block_key: Mapped[str] = mapped_column(String(40))
    community_code: Mapped[str | None] = mapped_column(String(12))
    cell_code: Mapped[str | None] = mapped_column(String(15))
    geom: Mapped[Any] = mapped_column(_geom("POLYGON"))
    __table_args__ = (UniqueConstraint("plan_id", "block_key", name="uq_block_key"),)


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    staff_no: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    community_code: Mapped[str | None] = mapped_column(String(12))
    cell_code: Mapped[str | None] = mapped_column(String(15))  # grid leader's / worker's cell
    streets: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")  # 包联街巷
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    __table_args__ = (
        CheckConstraint(
            "role IN ('grid_leader','grid_worker','liaison_cadre','clerk','leader','planner')",
            name="staff_role",
        ),
    )


class GridCell(Base):
    """One cell (网格) of a plan; the 15-digit cell_code is stable across plan versions."""

    __tablename__ = "grid_cells"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("grid_plans.id", ondelete="CASCADE"))
    community_code: Mapped[str] = mapped_column(ForeignKey("communities.code"))
    cell_code: Mapped[str] = mapped_column(String(15))
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(12), server_default="general")  # general / dedicated
    leader_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    geom: Mapped[Any] = mapped_column(_geom("MULTIPOLYGON"))
    __table_args__ = (
        UniqueConstraint("plan_id", "cell_code", name="uq_cell_code_in_plan"),
        CheckConstraint("cell_code ~ '^[0-9]{15}$'", name="cell_code_15_digits"),
    )


class ImportBatch(Base):
    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(20))  # roster / hotline / streets …
    file_name: Mapped[str] = mapped_column(String(255))
    imported_by: Mapped[str | None] = mapped_column(String(50))
    imported_at: Mapped[dt.datetime] = _now()
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class Household(Base):
    """One household (户): 一户一档."""

    __tablename__ = "households"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    household_key: Mapped[str] = mapped_column(String(64))  # stable upsert key
    head_name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str | None] = mapped_column(String(2))
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer, server_default="1")
    address: Mapped[str] = mapped_column(Text)
    community_code: Mapped[str | None] = mapped_column(String(12), index=True)
    cell_code: Mapped[str | None] = mapped_column(String(15), index=True)
    geom: Mapped[Any] = mapped_column(_geom("POINT"), nullable=True)
    match_type: Mapped[str | None] = mapped_column(String(15))
    geocode_score: Mapped[float | None] = mapped_column(Float)
    matched_text: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(30)), server_default="{}")
    special_groups: Mapped[list[str]] = mapped_column(ARRAY(String(30)), server_default="{}")
    status: Mapped[str] = mapped_column(String(10), server_default="active")  # active / review
    review_reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    source_row: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()
    __table_args__ = (
        UniqueConstraint("district_code", "household_key", name="uq_household_key"),
        CheckConstraint("status IN ('active','review')", name="household_status"),
    )


class Resident(Base):
    __tablename__ = "residents"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    relation: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))


class HouseholdChange(Base):
    """History of a household file (一户一档): what changed, when, by whom."""

    __tablename__ = "household_changes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = _now()
    actor: Mapped[str | None] = mapped_column(String(50))
    change: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class Case(Base):
    """A citizen's matter (事件/诉求) carried from intake to callback."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    case_no: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(12), index=True)
    description: Mapped[str] = mapped_column(Text)
    citizen_name: Mapped[str | None] = mapped_column(String(50))
    citizen_phone: Mapped[str | None] = mapped_column(String(20))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    address: Mapped[str | None] = mapped_column(Text)
    community_code: Mapped[str | None] = mapped_column(String(12), index=True)
    cell_code: Mapped[str | None] = mapped_column(String(15), index=True)
    geom: Mapped[Any] = mapped_column(_geom("POINT"), nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    handler_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    department: Mapped[str | None] = mapped_column(String(50))
    escalation_level: Mapped[str | None] = mapped_column(String(12))
    rework_count: Mapped[int] = mapped_column(Integer, server_default="0")
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    called_back: Mapped[bool] = mapped_column(Boolean, server_default=false())
    version: Mapped[int] = mapped_column(Integer, server_default="1")  # optimistic concurrency
    # --- added by migration 0004 (cases) ---
    external_ref: Mapped[str | None] = mapped_column(String(40))  # 12345 工单编号
    received_by: Mapped[str | None] = mapped_column(String(50))
    service_item: Mapped[str | None] = mapped_column(String(30))
    check_note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("kind IN ('immediate','promised','joint','reply')", name="case_kind"),
        CheckConstraint(
            "state IN ('received','dispatched','in_progress','handled','closed','rated',"
            "'returned','escalated','reopened')",
            name="case_state",
        ),
    )


class CaseEvent(Base):
    """Every transition of a case: who, when, from, to, note."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str | None] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_event_seq"),)


class Visit(Base):
    """A door-to-door visit (走访), Tuesday being visit day."""

    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    visit_date: Mapped[dt.date] = mapped_column(Date, index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    outcome: Mapped[str] = mapped_column(String(15))  # resolved / brought_back
    note: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))


class Callback(Base):
    """A callback (回访) to the citizen after a case was handled, Friday being callback day."""

    __tablename__ = "callbacks"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    called_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reached: Mapped[bool] = mapped_column(Boolean)
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    community_code: Mapped[str | None] = mapped_column(String(12))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_at: Mapped[dt.datetime] = _now()


class AuditLog(Base):
    """Append-only record of personal-data access and permission changes."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = _now()
    district_code: Mapped[str | None] = mapped_column(String(6))
    username: Mapped[str | None] = mapped_column(String(50), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    client: Mapped[str | None] = mapped_column(String(100))
