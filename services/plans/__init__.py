"""Grid plans (网格方案): drafts, edits, checks, publishing, exports and 动态调整.

A plan is a versioned set of cells for the sub-district: draft → published → retired.
Cells of a draft are built from blocks (街区): a cell's geometry is always the union of its
blocks, recomputed with :func:`shapely.coverage_union_all` after every block edit so shared
edges stay exact. Every edit names the ``lock_version`` the editor saw and bumps it with
``UPDATE … WHERE id = :id AND lock_version = :expected``; a stale version raises
:class:`~core.errors.ConflictError` saying who changed the plan and when, and writes
nothing. Publishing refuses blocking problems, needs a written note for warnings, retires the
previous plan, re-assigns every household and open case in the same transaction, and returns
the diff.


One module per concern: ``records`` (what goes in and out), ``reads``, ``checks``,
``locking``, ``drafts`` (a copy of the published plan, or blocks from imported streets),
``cells`` (a cell's outline from its blocks, cell codes), ``edits``, ``leaders``,
``publish``, ``exports`` and ``rebalance``. The SQL is in :mod:`db.plans`, the cut/snap
geometry in :mod:`gis.plan_edit`.

No Streamlit here: the pages, tests and the CLI call these functions with ``session=`` and
turn the project's errors into messages. The functions work on the owner's session
(:func:`db.engine.session_scope`; tests, CLI) and on the app role's
(:func:`db.access.acting_session`; row-level security), see :mod:`db.plans`.
"""

from services.plans.checks import check_plan
from services.plans.drafts import create_draft_from_published, import_streets_into_draft
from services.plans.edits import (
    merge_cells,
    move_block,
    replace_cell_geometry,
    split_cell_by_blocks,
    split_cell_by_line,
)
from services.plans.exports import export_filename, export_plan
from services.plans.leaders import assign_leader, leader_options
from services.plans.publish import publish, publish_preview
from services.plans.reads import communities_and_streets, get_plan, list_plans, plan_geodata
from services.plans.records import (
    DANGLES_TO_CONFIRM,
    ENCLOSED_SHARE_TO_WARN,
    EXPORT_FORMATS,
    STATE_LABELS,
    EditResult,
    ImportNeedsConfirmation,
    ImportResult,
    PlanGeodata,
    PlanInfo,
    PublishResult,
)

__all__ = [
    "DANGLES_TO_CONFIRM",
    "ENCLOSED_SHARE_TO_WARN",
    "EXPORT_FORMATS",
    "STATE_LABELS",
    "EditResult",
    "ImportNeedsConfirmation",
    "ImportResult",
    "PlanGeodata",
    "PlanInfo",
    "PublishResult",
    "assign_leader",
    "check_plan",
    "communities_and_streets",
    "create_draft_from_published",
    "export_filename",
    "export_plan",
    "get_plan",
    "import_streets_into_draft",
    "leader_options",
    "list_plans",
    "merge_cells",
    "move_block",
    "plan_geodata",
    "publish",
    "publish_preview",
    "replace_cell_geometry",
    "split_cell_by_blocks",
    "split_cell_by_line",
]
