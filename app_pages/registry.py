"""Every page of the app and the roles that may see it (UI.md: each role sees only its pages).

app.py builds the navigation from this list; the admin sees everything. Add a page by adding
one ``PageSpec`` here — nothing else in app.py changes.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = ("planner", "leader", "grid_leader", "grid_worker", "clerk", "admin")


@dataclass(frozen=True)
class PageSpec:
    path: str  # file under app_pages/
    title: str  # Chinese title in the sidebar
    icon: str
    roles: tuple[str, ...]
    section: str = "总览"
    default: bool = False


PAGES: list[PageSpec] = [
    PageSpec("app_pages/overview.py", "总览", "🗺️", ALL_ROLES, section="总览", default=True),
]


def pages_for(role: str | None) -> list[PageSpec]:
    if role == "admin":
        return list(PAGES)
    return [p for p in PAGES if role in p.roles]
