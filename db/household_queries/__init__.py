"""Named queries for one cell's households, the household file and the review queue.

Repositories never commit: the calling service owns the transaction. On the app's connection
row-level security decides which households, residents, visits, cases and callbacks come back;
these queries add no scope of their own beyond the cell asked for.

Geometries come back as GeoDataFrames in EPSG:4490 (the storage CRS), points as lon/lat columns.

The modules: :mod:`.cells` (a cell on its map), :mod:`.household_file` (户档案),
:mod:`.review` (the review queue and handovers), :mod:`.roster` (family members on import);
:mod:`.frames` how rows come back. Import the module that holds the query.

The names below are re-exported only for ``services/households/`` (``from db import
household_queries as q``), which is being restructured separately; once it imports the
submodules, drop this list.
"""

from __future__ import annotations

from db.household_queries.cells import (
    all_streets,
    cell,
    cell_at,
    cell_households,
    published_cell_outlines,
    published_cells,
    streets_around_cell,
)
from db.household_queries.household_file import (
    household_callbacks,
    household_cases,
    household_history,
    household_visits,
    insert_household_change,
)
from db.household_queries.review import (
    add_street_alias,
    door_plates_on,
    hand_over_household,
    household_for_review,
    insert_door_plate,
    nearest_street,
    open_handovers,
    place_household,
    resolve_handovers,
    review_households,
    streets_table,
)
from db.household_queries.roster import (
    confirmed_at_address,
    household_ids_by_key,
    replace_residents,
)

__all__ = [
    "add_street_alias",
    "all_streets",
    "cell",
    "cell_at",
    "cell_households",
    "confirmed_at_address",
    "door_plates_on",
    "hand_over_household",
    "household_callbacks",
    "household_cases",
    "household_for_review",
    "household_history",
    "household_ids_by_key",
    "household_visits",
    "insert_door_plate",
    "insert_household_change",
    "nearest_street",
    "open_handovers",
    "place_household",
    "published_cell_outlines",
    "published_cells",
    "replace_residents",
    "resolve_handovers",
    "review_households",
    "streets_around_cell",
    "streets_table",
]
