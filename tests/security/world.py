"""A small town for the attacks: every role logged in, a few rows in every personal table.

Built inside the test's rolled-back transaction on top of the demo's grid (its published
plan, cells, streets, staff). The personal tables are emptied first (TRUNCATE, undone by the
rollback) so that a scan "as every role" stays cheap; what is left is:

- two cells of different communities, A and B, each with its demo grid leader;
- households: two in A, one in B, and two unplaced ones (no cell) imported by someone else
  and by B's leader — the rows the import_batches escalation went after;
- a resident and a history line per household, a case per cell and one at the centre (with an
  event and an attachment each), a visit and a callback per cell, one audit row.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from db import access
from services import audit

D = "610902"
PERSONAL_TABLES = (
    "households",
    "residents",
    "household_changes",
    "cases",
    "case_events",
    "case_attachments",
    "visits",
    "callbacks",
    "import_batches",
)
ROLES = (
    "grid_leader",
    "grid_leader_b",
    "grid_worker",
    "clerk",
    "centre_clerk",
    "leader",
    "planner",
    "admin",
)


@dataclass
class User:
    role: str
    username: str
    user_id: int
    token: str
    staff_id: int | None
    community: str | None


@dataclass
class World:
    users: dict[str, User]
    cell_a: str
    cell_b: str
    community_a: str
    community_b: str
    households: dict[str, int] = field(default_factory=dict)
    batches: dict[str, int] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)


def _one(session: Session, sql: str, **params: object) -> int:
    return int(session.execute(text(sql), params).scalar_one())


def build(session: Session) -> World:
    session.execute(text(f"TRUNCATE {', '.join(PERSONAL_TABLES)} CASCADE"))
    cells = session.execute(
        text(
            "SELECT g.cell_code, g.community_code, g.leader_staff_id FROM grid_cells g "
            "JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published' "
            "WHERE g.leader_staff_id IS NOT NULL ORDER BY g.cell_code"
        )
    ).all()
    a = cells[0]
    b = next(c for c in cells if c.community_code != a.community_code)
    worker = _one(
        session,
        "INSERT INTO staff (district_code, staff_no, name, phone, role, community_code, "
        "cell_code) VALUES (:d, 'TSEC-W', '测试网格员', '13700000000', 'grid_worker', :c, :g) "
        "RETURNING id",
        d=D,
        c=a.community_code,
        g=a.cell_code,
    )
    spec = {
        "grid_leader": ("grid_leader", a.leader_staff_id, None),
        "grid_leader_b": ("grid_leader", b.leader_staff_id, None),
        "grid_worker": ("grid_worker", worker, None),
        "clerk": ("clerk", None, a.community_code),
        "centre_clerk": ("clerk", None, None),
        "leader": ("leader", None, None),
        "planner": ("planner", None, None),
        "admin": ("admin", None, None),
    }
    users: dict[str, User] = {}
    for key, (role, staff, community) in spec.items():
        name = f"t_sec_{key}"
        uid = access.insert_user(
            session,
            username=name,
            display_name=f"测试{key}",
            role=role,
            staff_id=staff,
            community_code=community,
            password_hash=None,
        )
        token = secrets.token_urlsafe(32)
        access.insert_session(
            session, token=token, user_id=uid, idle_seconds=3600, max_seconds=3600, client="t"
        )
        users[key] = User(key, name, uid, token, staff, community or None)
    w = World(users, a.cell_code, b.cell_code, a.community_code, b.community_code)

    for who in ("t_sec_other", "t_sec_grid_leader_b", "t_sec_grid_leader"):
        w.batches[who] = _one(
            session,
            "INSERT INTO import_batches (district_code, kind, file_name, imported_by, counts) "
            "VALUES (:d, 'roster', 'x.xlsx', :u, '{}') RETURNING id",
            d=D,
            u=who,
        )
    homes = {
        "a1": (a.community_code, a.cell_code, None),
        "a2": (a.community_code, a.cell_code, None),
        "b1": (b.community_code, b.cell_code, None),
        "unplaced_other": (None, None, w.batches["t_sec_other"]),
        "unplaced_b": (None, None, w.batches["t_sec_grid_leader_b"]),
    }
    for i, (key, (community, cell, batch)) in enumerate(homes.items()):
        w.households[key] = _one(
            session,
            "INSERT INTO households (district_code, household_key, head_name, id_number, phone, "
            "size, address, community_code, cell_code, status, import_batch_id) VALUES "
            "(:d, :k, :n, :idn, '13800000000', 2, '测试路1号', :c, :g, :s, :b) RETURNING id",
            d=D,
            k=f"tsec:{key}",
            n=f"测试{key}",
            idn=f"61090219800101{i:03d}X",
            c=community,
            g=cell,
            s="active" if cell else "review",
            b=batch,
        )
    for key, hid in w.households.items():
        session.execute(
            text(
                "INSERT INTO residents (district_code, household_id, name, relation) "
                "VALUES (:d, :h, :n, '子')"
            ),
            {"d": D, "h": hid, "n": f"测试{key}子"},
        )
        session.execute(
            text(
                "INSERT INTO household_changes (district_code, household_id, actor, change) "
                "VALUES (:d, :h, 'pytest', 'import')"
            ),
            {"d": D, "h": hid},
        )
    for key, (community, cell, household, handler) in {
        "a": (a.community_code, a.cell_code, w.households["a1"], None),
        "b": (b.community_code, b.cell_code, w.households["b1"], b.leader_staff_id),
        "centre": (None, None, None, None),
    }.items():
        cid = _one(
            session,
            "INSERT INTO cases (district_code, case_no, kind, category, channel, state, "
            "description, citizen_name, citizen_phone, household_id, community_code, cell_code, "
            "handler_staff_id, received_at, rework_count, called_back, version) VALUES "
            "(:d, :no, 'promised', '环境卫生', 'window', 'received', '测试', '李四', "
            "'13900001111', :h, :c, :g, :s, now(), 0, false, 1) RETURNING id",
            d=D,
            no=f"TSEC-{key}",
            h=household,
            c=community,
            g=cell,
            s=handler,
        )
        w.cases[key] = cid
        session.execute(
            text(
                "INSERT INTO case_events (district_code, case_id, seq, at, actor, action, "
                "to_state) VALUES (:d, :c, 1, now(), 'pytest', 'receive', 'received')"
            ),
            {"d": D, "c": cid},
        )
        session.execute(
            text(
                "INSERT INTO case_attachments (district_code, case_id, file_name, size_bytes, "
                "content, sha256) VALUES (:d, :c, 'a.png', 1, '\\x00', "
                "encode(sha256('\\x00'::bytea), 'hex'))"
            ),
            {"d": D, "c": cid},
        )
    for staff, household, case in (
        (a.leader_staff_id, w.households["a1"], w.cases["a"]),
        (b.leader_staff_id, w.households["b1"], w.cases["b"]),
    ):
        session.execute(
            text(
                "INSERT INTO visits (district_code, visit_date, staff_id, household_id, outcome) "
                "VALUES (:d, current_date, :s, :h, 'resolved')"
            ),
            {"d": D, "s": staff, "h": household},
        )
        session.execute(
            text(
                "INSERT INTO callbacks (district_code, case_id, called_at, staff_id, reached) "
                "VALUES (:d, :c, now(), :s, true)"
            ),
            {"d": D, "c": case, "s": staff},
        )
    audit.record(session=session, username="t_sec_admin", action=audit.EXPORT, target="seed")
    return w


def as_app(session: Session, token: str | None) -> None:
    """From here on (in this transaction) the connection is the app role acting as ``token``."""
    session.execute(text("SET LOCAL ROLE lianxin_app"))
    access.set_actor(session, token)


def as_owner(session: Session) -> None:
    session.execute(text("RESET ROLE"))
