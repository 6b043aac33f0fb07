"""The cases domain: a citizen's case from intake to callback.

- :mod:`services.cases.flow` — the pure state machine (states, actions, versions); no database.
- :mod:`services.cases.deadlines` — case numbers and deadlines on the working calendar (pure).
- :mod:`services.cases.duplicates` — possible duplicates in a metric CRS (pure).
- :mod:`services.cases.records` — the records: a located point, an attachment, a case.
- :mod:`services.cases.intakes` — receiving a case: locate, duplicates, number, deadline; the
  window page's checks (:func:`~services.cases.intakes.window_check`).
- :mod:`services.cases.steps` — a case's steps in the database (version-guarded), queues and
  timelines.
- :mod:`services.cases.receipts` — what a receipt names (service point, materials to bring).
- :mod:`services.cases.hotline` — the 12345 hotline import.
- :mod:`services.cases.open311` — the Open311 GeoReport v2 service (a package); ``exchange`` — case packets.

The SQL is in :mod:`db.cases`. The names below are the domain's public face
(``from services import cases; cases.intake(session=…, …)``).
"""

from __future__ import annotations

from core.clock import BEIJING as TZ  # noqa: F401  moved to core.clock (issue 12); other areas still import this name
from core.clock import now  # noqa: F401  moved to core.clock (issue 12); other areas still import this name
from core.settings import DISTRICT_CODE  # noqa: F401  moved to core.settings (issue 12); other areas still import this name
from services.cases.intakes import (
    PLACED_MATCH_TYPES,
    WindowCheck,
    cell_at,
    check_request,
    community_options,
    duplicates_at_intake,
    intake,
    locate,
    window_base_layers,
    window_check,
)
from services.cases.receipts import ServicePoint, materials_for, service_point
from services.cases.records import Attachment, CaseRecord, Located, aware
from services.cases.steps import (
    act,
    allowed_actions_for,
    attachments_of,
    get_case,
    queue,
    stale_version_error,
    timeline,
)

__all__ = [
    "PLACED_MATCH_TYPES",
    "Attachment",
    "CaseRecord",
    "Located",
    "ServicePoint",
    "WindowCheck",
    "act",
    "allowed_actions_for",
    "attachments_of",
    "aware",
    "cell_at",
    "check_request",
    "community_options",
    "duplicates_at_intake",
    "get_case",
    "intake",
    "locate",
    "materials_for",
    "queue",
    "service_point",
    "stale_version_error",
    "timeline",
    "window_base_layers",
    "window_check",
]
