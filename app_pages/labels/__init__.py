"""Chinese UI strings, in one place so the UI could be translated (UI.md).

This package holds the strings every page shares (app title, database errors, cell fields,
legends, number formats); each area's strings are in its own module, imported by its pages:
``access`` (login, audit log), ``dashboard`` (领导驾驶舱), ``cases`` (window, queue, visit and
callback days, statistics, the hotline import), ``households`` (roster import, review queue,
my cell) and ``plans`` (方案编辑, 导入街巷, 方案历史, 动态调整).
"""

from __future__ import annotations

APP_TITLE = "连心网 · 网格化服务管理"
APP_SHORT = "连心网"
DEMO_BADGE = "示例数据"
DEMO_NOTE = "当前数据为「老城街道（示例）」演示数据：地理形状与人员均为虚构，社区名称为真实名称。"

PAGE_OVERVIEW = "总览"

DB_DOWN_TITLE = "数据库未连接"
LOGIN_REQUIRED = "请先登录（登录已过期或尚未登录）"
DB_ERROR = "数据库拒绝了这次操作（{kind}），没有写入任何内容。请刷新后重试；如仍出现，请联系管理员查看服务器日志。"
# --- page error boundary (app_pages/shim.py; area: Chinese everywhere) ---
PAGE_FAILED = (
    "本页出现了意外错误，刚才的操作没有完成。请刷新页面后重试；"
    "如仍出现，请把事件号 {incident} 告诉管理员（详细信息已记入服务器日志）。"
)

CELL_FIELDS = {
    "cell_code": "网格编码",
    "name": "网格",
    "community_name": "社区",
    "leader_name": "网格长",
    "leader_phone": "网格长电话",
    "households": "户数",
    "special_households": "重点户",
    "open_cases": "在办事件",
    "overdue_cases": "超期事件",
}

LEGEND_HOUSEHOLDS = "网格户数"
LEGEND_COMMUNITY = "社区边界"
LEGEND_STREET = "街/路"
LEGEND_LANE = "巷"

METRIC_COMMUNITIES = "社区"
METRIC_CELLS = "网格"
METRIC_HOUSEHOLDS = "住户（户）"
METRIC_OPEN_CASES = "在办事件（件）"
METRIC_OVERDUE = "超期事件（件）"


def fmt_int(n: int | float) -> str:
    """15230 → '15,230' (UI.md: thousands separators)."""
    return f"{int(n):,}"


def fmt_pct(value: float | None) -> str:
    """0.998 → '99.8%'; None → '—' (no denominator)."""
    return "—" if value is None else f"{value * 100:.1f}%"


def fmt_date_prose(d: object) -> str:
    """2026-11-30 → '2026年11月30日' for prose."""
    import datetime as dt

    if isinstance(d, dt.datetime):
        d = d.date()
    if not isinstance(d, dt.date):
        return str(d)
    return f"{d.year}年{d.month}月{d.day}日"
