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
    PageSpec(
        "app_pages/overview.py", "总览", ":material/map:", ALL_ROLES, section="总览", default=True
    ),
    PageSpec(
        "app_pages/dashboard.py",
        "领导驾驶舱",
        ":material/monitoring:",
        ("leader", "admin"),
        section="领导",
    ),
    PageSpec("app_pages/audit_log.py", "审计日志", ":material/policy:", ("admin",), section="管理"),
    # --- cases (window, queue, visit day, callback day, statistics) ---
    PageSpec(
        "app_pages/window.py",
        "窗口受理",
        ":material/support_agent:",
        ("clerk", "admin"),
        section="便民服务",
    ),
    PageSpec(
        "app_pages/case_queue.py",
        "我的待办",
        ":material/inbox:",
        ("clerk", "admin"),
        section="便民服务",
    ),
    PageSpec(
        "app_pages/visit_day.py",
        "下访日",
        ":material/directions_walk:",
        ("grid_leader", "grid_worker", "admin"),
        section="便民服务",
    ),
    PageSpec(
        "app_pages/callback_day.py",
        "回访日",
        ":material/phone_callback:",
        ("grid_leader", "grid_worker", "admin"),
        section="便民服务",
    ),
    PageSpec(
        "app_pages/case_stats.py",
        "统计与月报",
        ":material/summarize:",
        ("leader", "admin"),
        section="便民服务",
    ),
    # --- grid plans (方案编辑 / 导入街巷 / 方案历史) ---
    PageSpec(
        "app_pages/planner.py",
        "方案编辑",
        ":material/edit_location_alt:",
        ("planner", "admin"),
        section="网格规划",
    ),
    PageSpec(
        "app_pages/plan_import.py",
        "导入街巷",
        ":material/upload_file:",
        ("planner", "admin"),
        section="网格规划",
    ),
    # --- rebalance (方案编辑 → 动态调整, issue 13) ---
    PageSpec(
        "app_pages/plan_rebalance.py",
        "动态调整",
        ":material/balance:",
        ("planner", "admin"),
        section="网格规划",
    ),
    PageSpec(
        "app_pages/plan_history.py",
        "方案历史",
        ":material/history:",
        ("planner", "leader", "admin"),
        section="网格规划",
    ),
    # --- households (roster import, review queue, my cell) ---
    PageSpec(
        "app_pages/my_cell.py",
        "我的网格",
        ":material/home_pin:",
        ("grid_leader", "grid_worker", "admin"),
        section="网格住户",
    ),
    PageSpec(
        "app_pages/review_queue.py",
        "待核实",
        ":material/pin_drop:",
        ("grid_leader", "clerk", "admin"),
        section="网格住户",
    ),
    PageSpec(
        "app_pages/roster_import.py",
        "住户导入",
        ":material/upload:",
        ("clerk", "grid_leader", "admin"),
        section="网格住户",
    ),
]


def pages_for(role: str | None) -> list[PageSpec]:
    if role == "admin":
        return list(PAGES)
    return [p for p in PAGES if role in p.roles]
