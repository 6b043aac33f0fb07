"""Domain vocabularies: English identifiers (see docs/GLOSSARY.md) with their Chinese labels.

One place for the closed lists every layer shares: service categories, case kinds, channels,
states and their legal transitions, special groups, staff roles. Order matters: it is the order
shown in the UI.
"""

from __future__ import annotations

# The 14 service categories of grid work (REQUIREMENTS.md §15).
SERVICE_CATEGORIES: dict[str, str] = {
    "legal_publicity": "法律法规宣传",
    "family_planning": "计划生育",
    "city_campaign": "城市双创",
    "public_safety": "综治安全",
    "social_security": "社会保障",
    "culture_education": "文化教育",
    "health": "医疗卫生",
    "minimum_allowance": "城市低保",
    "disability_aid": "残疾人救助",
    "low_rent_housing": "廉租房申报",
    "elderly_care": "老人关护",
    "dispute": "矛盾纠纷排查",
    "community_correction": "社区矫正",
    "public_facilities": "公共设施管理",
}

# The service centre's 9 service items (REQUIREMENTS.md §1) → the category a case is filed under.
SERVICE_ITEMS: dict[str, tuple[str, str]] = {
    "administrative": ("行政事务", "legal_publicity"),
    "civil_affairs": ("民政", "minimum_allowance"),
    "family_planning": ("计划生育", "family_planning"),
    "labour_security": ("劳动保障", "social_security"),
    "city_campaign": ("双创", "city_campaign"),
    "petition": ("信访", "dispute"),
    "newcomer": ("新市民接待", "social_security"),
    "public_safety": ("综治", "public_safety"),
    "justice": ("司法", "community_correction"),
}

CASE_KINDS: dict[str, str] = {
    "immediate": "即办件",
    "promised": "承诺件",
    "joint": "联办件",
    "reply": "答复件",
}

# Default time limits in working days, by kind (local practice: configurable per category).
DEFAULT_DUE_WORKING_DAYS: dict[str, int] = {"immediate": 0, "reply": 3, "promised": 5, "joint": 10}

CHANNELS: dict[str, str] = {
    "window": "便民服务中心窗口",
    "station": "社区便民服务站",
    "agent": "社区代办员",
    "visit": "下访走访",
    "hotline": "12345热线",
    # open311 area: cases posted through the Open311 API by the city management platform
    "platform": "城市运管服平台",
}

CASE_STATES: dict[str, str] = {
    "received": "已受理",
    "dispatched": "已派遣",
    "in_progress": "处置中",
    "handled": "已处置",
    "closed": "已结案",
    "rated": "已评价",
    "returned": "已退回",
    "escalated": "已上报",
    "reopened": "已重办",
}

# Legal transitions: from-state → the states it may move to.
CASE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("dispatched", "handled", "escalated", "closed"),  # closed: 即办件 on the spot
    "dispatched": ("in_progress", "returned", "escalated"),
    "in_progress": ("handled", "escalated", "returned"),
    "returned": ("dispatched", "escalated"),
    # escalated → escalated: a chain grid → community → sub-district → department (§19).
    "escalated": ("dispatched", "in_progress", "returned", "escalated"),
    "handled": ("closed", "reopened"),
    "closed": ("rated", "reopened"),
    "rated": ("reopened",),
    "reopened": ("dispatched", "in_progress"),
}
OPEN_STATES = (
    "received",
    "dispatched",
    "in_progress",
    "returned",
    "escalated",
    "reopened",
    "handled",
)
DONE_STATES = ("closed", "rated")

ESCALATION_LEVELS: dict[str, str] = {
    "grid": "网格",
    "community": "社区",
    "subdistrict": "街道",
    "department": "职能部门",
}

SATISFACTION: dict[str, str] = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
}

SPECIAL_GROUPS: dict[str, str] = {
    "low_income": "低保户",
    "disabled": "残疾人",
    "elderly_alone": "独居老人",
    "empty_nest_elderly": "空巢老人",
    "left_behind_child": "留守儿童",
    "community_correction": "社区矫正对象",
    "low_rent_housing": "廉租房户",
    "laid_off_worker": "下岗职工",
}

STAFF_ROLES: dict[str, str] = {
    "grid_leader": "网格长",
    "grid_worker": "网格员",
    "liaison_cadre": "包联干部",
    "clerk": "窗口工作人员",
    "leader": "领导",
    "planner": "规划员",
}

STREET_KINDS: dict[str, str] = {"street": "街", "road": "路", "lane": "巷"}

GEOCODE_MATCH_TYPES: dict[str, str] = {
    "door_plate": "门牌精确",
    "interpolated": "门牌插值",
    "street": "街巷",
    "community": "社区",
    "unmatched": "未匹配",
}

PLAN_STATES: dict[str, str] = {
    "draft": "草稿",
    "validated": "已校验",
    "published": "已发布",
    "retired": "已停用",
}


def label_to_key(mapping: dict[str, str], label: str) -> str | None:
    """Reverse lookup: Chinese label → identifier (None when unknown)."""
    for key, value in mapping.items():
        if value == label.strip():
            return key
    return None
