"""Grid plans against the demo town on a real PostGIS, each test in a rolled-back transaction.

What a planner cares about: the demo plan checks clean; a draft copied from it checks clean;
edits keep the coverage exact; a broken plan cannot be published; warnings need a note;
publishing retires the old plan and moves households and open cases to their new cells; a
stale editor is stopped; exports read back.
"""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import text

from core.errors import ConflictError, InvalidInputError
from db import repositories
from gis.io import read_vector
from services import plans

pytestmark = pytest.mark.db

COVERAGE_KINDS = {"gap", "overlap", "invalid", "outside"}


def _published_id(session) -> int:
    plan = repositories.published_plan(session)
    assert plan is not None
    return int(plan["id"])


def _draft(session) -> plans.PlanInfo:
    return plans.create_draft_from_published("测试规划员甲", session=session)


def _kinds(problems) -> set[str]:
    return set(problems["kind"])


def _adjacent_move(session, plan_id: int) -> tuple[str, str, str]:
    """A block, its cell and a neighbouring cell of the same community such that both cells
    stay in one piece after the block moves."""
    blocks = plans.plan_geodata(plan_id, session=session).blocks
    tree = shapely.STRtree(blocks.geometry.array)
    for i, row in blocks.iterrows():
        own = blocks[(blocks.cell_code == row.cell_code) & (blocks.index != i)]
        if own.empty:
            continue
        for j in tree.query(row.geometry, predicate="touches"):
            other = blocks.iloc[j]
            if other.cell_code == row.cell_code or other.community_code != row.community_code:
                continue
            shared = row.geometry.intersection(other.geometry).length
            if shared <= 0:
                continue
            left = shapely.union_all(own.geometry.array)
            right = shapely.union_all(
                list(blocks[blocks.cell_code == other.cell_code].geometry) + [row.geometry]
            )
            if left.geom_type == "Polygon" and right.geom_type == "Polygon":
                return row.block_key, row.cell_code, other.cell_code
    raise AssertionError("no movable block in the demo")


def test_the_demo_plan_checks_clean(demo_session):
    problems = plans.check_plan(_published_id(demo_session), session=demo_session)
    assert problems.empty, problems[["kind", "message"]].to_string()


def test_a_draft_copied_from_the_published_plan_checks_clean(demo_session):
    pub = _published_id(demo_session)
    draft = _draft(demo_session)
    versions = plans.list_plans(session=demo_session)["version_no"]
    assert draft.state == "draft" and draft.version_no == versions.max()
    assert draft.version_no > plans.get_plan(pub, session=demo_session).version_no
    data = plans.plan_geodata(draft.id, session=demo_session)
    source = plans.plan_geodata(pub, session=demo_session)
    assert len(data.cells) == len(source.cells) == 40
    assert len(data.blocks) == len(source.blocks) == 132
    assert data.cells["households"].sum() == source.cells["households"].sum()
    problems = plans.check_plan(draft.id, session=demo_session, geodata=data)
    assert problems.empty, problems[["kind", "message"]].to_string()


def test_moving_a_block_between_adjacent_cells_keeps_an_exact_coverage(demo_session):
    draft = _draft(demo_session)
    key, old, new = _adjacent_move(demo_session, draft.id)
    before = plans.plan_geodata(draft.id, session=demo_session).cells.set_index("cell_code")
    result = plans.move_block(
        session=demo_session,
        plan_id=draft.id,
        block_key=key,
        to_cell_code=new,
        expected_lock_version=draft.lock_version,
        actor="测试规划员甲",
    )
    assert result.lock_version == draft.lock_version + 1
    after = plans.plan_geodata(draft.id, session=demo_session).cells.set_index("cell_code")
    assert after.loc[new, "blocks"] == before.loc[new, "blocks"] + 1
    assert after.loc[old, "blocks"] == before.loc[old, "blocks"] - 1
    assert (
        after.loc[old, "households"] + after.loc[new, "households"]
        == before.loc[old, "households"] + before.loc[new, "households"]
    )
    # the cell is re-drawn from its blocks: its outline now contains the block
    block = (
        plans.plan_geodata(draft.id, session=demo_session).blocks.set_index("block_key").loc[key]
    )
    assert after.loc[new, "geometry"].covers(block.geometry)
    assert not after.loc[old, "geometry"].intersection(block.geometry).area > 1e-12
    problems = plans.check_plan(draft.id, session=demo_session)
    assert not (_kinds(problems) & (COVERAGE_KINDS | {"multipart"})), problems.message.tolist()


def test_merge_and_split_by_blocks_keep_an_exact_coverage(demo_session):
    draft = _draft(demo_session)
    _key, a, b = _adjacent_move(demo_session, draft.id)
    merged = plans.merge_cells(
        session=demo_session,
        plan_id=draft.id,
        keep_cell_code=a,
        absorb_cell_code=b,
        expected_lock_version=draft.lock_version,
        actor="甲",
    )
    cells = plans.plan_geodata(draft.id, session=demo_session).cells
    assert len(cells) == 39 and b not in set(cells.cell_code)
    assert not _kinds(plans.check_plan(draft.id, session=demo_session)) & COVERAGE_KINDS
    blocks = plans.plan_geodata(draft.id, session=demo_session).blocks
    own = blocks[blocks.cell_code == a].block_key.tolist()
    split = plans.split_cell_by_blocks(
        session=demo_session,
        plan_id=draft.id,
        cell_code=a,
        block_keys=own[:1],
        expected_lock_version=merged.lock_version,
        actor="甲",
    )
    cells = plans.plan_geodata(draft.id, session=demo_session).cells
    assert len(cells) == 40
    problems = plans.check_plan(draft.id, session=demo_session)
    assert not _kinds(problems) & COVERAGE_KINDS, problems.message.tolist()
    assert "no_leader" in _kinds(problems)  # the new cell has no leader yet
    assert split.lock_version == merged.lock_version + 1


def test_splitting_a_cell_along_a_drawn_line_cuts_its_blocks_exactly(demo_session):
    draft = _draft(demo_session)
    cells = plans.plan_geodata(draft.id, session=demo_session).cells
    cell = cells.iloc[0]
    minx, miny, maxx, maxy = cell.geometry.bounds
    x = cell.geometry.centroid.x
    line = shapely.LineString([(x, miny - 0.001), (x, maxy + 0.001)])
    plans.split_cell_by_line(
        session=demo_session,
        plan_id=draft.id,
        cell_code=cell.cell_code,
        line=line,
        expected_lock_version=draft.lock_version,
        actor="甲",
    )
    data = plans.plan_geodata(draft.id, session=demo_session)
    assert len(data.cells) == 41
    assert any("-" in k for k in data.blocks.block_key)  # at least one block was cut
    assert shapely.coverage_is_valid(data.blocks.geometry.array)
    problems = plans.check_plan(draft.id, session=demo_session, geodata=data)
    assert not _kinds(problems) & COVERAGE_KINDS, problems.message.tolist()


def test_a_line_that_does_not_cross_the_cell_is_refused_and_writes_nothing(demo_session):
    draft = _draft(demo_session)
    cell = plans.plan_geodata(draft.id, session=demo_session).cells.iloc[0]
    c = cell.geometry.representative_point()
    with pytest.raises(InvalidInputError, match="没有完整穿过"):
        plans.split_cell_by_line(
            session=demo_session,
            plan_id=draft.id,
            cell_code=cell.cell_code,
            line=shapely.LineString([(c.x, c.y), (c.x + 1e-5, c.y)]),
            expected_lock_version=draft.lock_version,
            actor="甲",
        )


def test_a_drawn_polygon_that_leaves_a_gap_cannot_be_published(demo_session):
    pub = _published_id(demo_session)
    draft = _draft(demo_session)
    cell = plans.plan_geodata(draft.id, session=demo_session).cells.iloc[3]
    shrunk = cell.geometry.buffer(-0.0001)  # about 10 m in from every edge
    edit = plans.replace_cell_geometry(
        session=demo_session,
        plan_id=draft.id,
        cell_code=cell.cell_code,
        polygon=shrunk,
        expected_lock_version=draft.lock_version,
        actor="甲",
    )
    problems = plans.check_plan(draft.id, session=demo_session)
    gaps = problems[problems.kind == "gap"]
    assert len(gaps) >= 1 and any(cell.cell_code in ids for ids in gaps.cell_ids)
    with pytest.raises(InvalidInputError, match="覆盖缺口") as refused:
        plans.publish(
            session=demo_session,
            plan_id=draft.id,
            note="试图发布",
            actor="甲",
            expected_lock_version=edit.lock_version,
        )
    assert "不能发布" in str(refused.value)
    assert _published_id(demo_session) == pub


def test_warnings_need_a_written_note(demo_session):
    draft = _draft(demo_session)
    code = plans.plan_geodata(draft.id, session=demo_session).cells.cell_code.iloc[0]
    edit = plans.assign_leader(
        session=demo_session,
        plan_id=draft.id,
        cell_code=code,
        staff_id=None,
        expected_lock_version=draft.lock_version,
        actor="甲",
    )
    assert _kinds(plans.check_plan(draft.id, session=demo_session)) == {"no_leader"}
    with pytest.raises(InvalidInputError, match="发布说明"):
        plans.publish(
            session=demo_session,
            plan_id=draft.id,
            note="   ",
            actor="甲",
            expected_lock_version=edit.lock_version,
        )
    result = plans.publish(
        session=demo_session,
        plan_id=draft.id,
        note="网格长人选下周确定",
        actor="甲",
        expected_lock_version=edit.lock_version,
    )
    assert result.plan.state == "published" and result.warnings_accepted == 1
    assert result.plan.note == "网格长人选下周确定"


def test_publishing_retires_the_old_plan_and_reassigns_households_and_cases(demo_session):
    s = demo_session
    old = _published_id(s)
    draft = _draft(s)
    key, from_cell, to_cell = _adjacent_move(s, draft.id)
    edit = plans.move_block(
        session=s,
        plan_id=draft.id,
        block_key=key,
        to_cell_code=to_cell,
        expected_lock_version=draft.lock_version,
        actor="甲",
    )
    preview = plans.publish_preview(draft.id, session=s)
    result = plans.publish(
        session=s,
        plan_id=draft.id,
        note="调整街区归属",
        actor="甲",
        expected_lock_version=edit.lock_version,
    )

    retired = plans.get_plan(old, session=s)
    assert retired.state == "retired" and retired.valid_to is not None
    assert result.plan.state == "published" and result.plan.valid_from is not None
    assert result.retired_plan_id == old
    assert _published_id(s) == draft.id

    # the diff says which households changed cell, and the database agrees
    assert result.households_moved > 0
    assert set(result.moved.old_cell_code) == {from_cell}
    assert set(result.moved.new_cell_code) == {to_cell}
    assert len(preview) == result.households_moved
    assert result.moved.head_name.notna().all()  # the owner may read names
    ids = [int(i) for i in result.moved.household_id]
    now = dict(
        s.execute(
            text("SELECT id, cell_code FROM households WHERE id = ANY(:ids)"), {"ids": ids}
        ).all()
    )
    assert all(now[i] == to_cell for i in ids)
    assert int(result.by_cell.households.sum()) == result.households_moved

    # every active household with a location is in exactly one cell of the new plan
    stray = s.execute(
        text(
            "SELECT count(*) FROM households h WHERE h.status = 'active' AND h.geom IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM grid_cells c WHERE c.plan_id = :p "
            "AND c.cell_code = h.cell_code)"
        ),
        {"p": draft.id},
    ).scalar()
    assert stray == 0
    # open cases follow their location too; the block's open cases are in the new cell
    wrong = s.execute(
        text(
            "SELECT count(*) FROM cases x JOIN grid_cells c ON c.plan_id = :p "
            "AND c.cell_code = x.cell_code WHERE x.geom IS NOT NULL "
            "AND x.state NOT IN ('closed','rated') AND NOT ST_Intersects(c.geom, x.geom)"
        ),
        {"p": draft.id},
    ).scalar()
    assert wrong == 0
    assert result.cases_assigned > 0
    summary = plans.get_plan(draft.id, session=s).publish_summary
    assert summary["households_moved"] == result.households_moved


def test_a_stale_editor_gets_a_conflict_and_writes_nothing(demo_session):
    s = demo_session
    draft = _draft(s)
    key, _from, to_cell = _adjacent_move(s, draft.id)
    first = plans.assign_leader(
        session=s,
        plan_id=draft.id,
        cell_code=to_cell,
        staff_id=None,
        expected_lock_version=draft.lock_version,
        actor="张规划",
    )
    before = plans.plan_geodata(draft.id, session=s).blocks.set_index("block_key").cell_code
    with pytest.raises(ConflictError, match="张规划") as conflict:
        plans.move_block(  # what the second planner saw
            actor="李规划",
            session=s,
            plan_id=draft.id,
            block_key=key,
            to_cell_code=to_cell,
            expected_lock_version=draft.lock_version,
        )
    assert "请刷新" in str(conflict.value)
    after = plans.plan_geodata(draft.id, session=s).blocks.set_index("block_key").cell_code
    assert (before == after).all()
    plan = plans.get_plan(draft.id, session=s)
    assert plan.lock_version == first.lock_version and plan.updated_by == "张规划"


def test_a_published_plan_cannot_be_edited(demo_session):
    pub = plans.get_plan(_published_id(demo_session), session=demo_session)
    code = plans.plan_geodata(pub.id, session=demo_session).cells.cell_code.iloc[0]
    with pytest.raises(ConflictError, match="不能再修改"):
        plans.assign_leader(
            session=demo_session,
            plan_id=pub.id,
            cell_code=code,
            staff_id=None,
            expected_lock_version=pub.lock_version,
            actor="甲",
        )


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp"])
def test_exports_read_back_with_every_cell(demo_session, tmp_path, fmt):
    plan = plans.get_plan(_published_id(demo_session), session=demo_session)
    data = plans.export_plan(plan.id, fmt, session=demo_session)
    name = plans.export_filename(plan.version_no, plan.subdistrict_code, fmt)
    assert name.endswith(plans.EXPORT_FORMATS[fmt][0])
    path = tmp_path / name
    path.write_bytes(data)
    cells = read_vector(path, layer="cells" if fmt != "geojson" else None, expected="polygon")
    assert len(cells) == 40
    assert set(cells["cell_code"]) == set(
        plans.plan_geodata(plan.id, session=demo_session).cells.cell_code
    )
    assert cells.crs.to_epsg() == 4490


def test_a_planner_on_the_app_role_publishes_through_row_level_security(demo_session):
    """The pages' own connection: a planner sees no household row, yet checks, publishes and
    re-assigns every household (through the SECURITY DEFINER function); names stay hidden."""
    import secrets

    from db import access

    s = demo_session
    user = access.insert_user(
        s,
        username=f"t_gp_planner_{secrets.token_hex(3)}",
        display_name="测试规划员",
        role="planner",
        staff_id=None,
        community_code=None,
        password_hash="x",
    )
    token = secrets.token_urlsafe(32)
    access.insert_session(
        s, token=token, user_id=user, idle_seconds=3600, max_seconds=7200, client="pytest"
    )
    s.execute(text("SET LOCAL ROLE lianxin_app"))
    access.set_actor(s, token)
    assert s.execute(text("SELECT count(*) FROM households")).scalar() == 0  # RLS at work

    draft = _draft(s)
    assert plans.check_plan(
        draft.id, session=s
    ).empty  # households counted through household_points
    key, from_cell, to_cell = _adjacent_move(s, draft.id)
    edit = plans.move_block(
        session=s,
        plan_id=draft.id,
        block_key=key,
        to_cell_code=to_cell,
        expected_lock_version=draft.lock_version,
        actor="测试规划员",
    )
    result = plans.publish(
        session=s,
        plan_id=draft.id,
        note="调整",
        actor="测试规划员",
        expected_lock_version=edit.lock_version,
    )
    assert result.households_assigned > 14_000 and result.households_moved > 0
    assert result.moved.head_name.isna().all()  # a planner never sees a name
    moved = s.execute(
        text("SELECT count(*) FROM household_points WHERE cell_code = :c AND id = ANY(:ids)"),
        {"c": to_cell, "ids": [int(i) for i in result.moved.household_id]},
    ).scalar()
    assert moved == result.households_moved


# --- the plan editor names the versions it publishes and retires (area: plan editor) ---------
def test_publishing_names_the_version_it_actually_retired(demo_session):
    """Drafts that were never published take version numbers too: the plan retired is not
    ``version_no - 1`` of the plan published."""
    s = demo_session
    old = plans.get_plan(_published_id(s), session=s)
    draft = _draft(s)
    s.execute(
        text("UPDATE grid_plans SET version_no = :v WHERE id = :id"), {"v": 7, "id": draft.id}
    )
    result = plans.publish(
        session=s,
        plan_id=draft.id,
        note="换版测试",
        actor="甲",
        expected_lock_version=draft.lock_version,
    )
    assert result.plan.version_no == 7
    assert result.retired_plan_id == old.id
    assert result.retired_version_no == old.version_no != 6
