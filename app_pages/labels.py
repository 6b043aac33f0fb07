"""Chinese UI strings, in one place so the UI could be translated (UI.md)."""

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


# ---------------------------------------------------------------- 领导驾驶舱 (leader dashboard)
PAGE_DASHBOARD = "领导驾驶舱"
DASH_CAPTION = "问题在哪里 · 哪些网格有在办事件 · 谁在承担工作量"
DASH_FILTERS = "筛选条件"
DASH_PERIOD = "统计期间（按月）"
DASH_CATEGORY = "事件类别"
DASH_KIND = "办件类型"
DASH_STATE = "事件状态"
DASH_CHANNEL = "受理渠道"
DASH_COMMUNITY = "社区"
DASH_ALL = "全部"
DASH_TAB_MAP = "事件分布"
DASH_TAB_HOTSPOTS = "热点网格"
DASH_TAB_WORKLOAD = "网格长工作量"
DASH_TAB_TRENDS = "指标趋势"
DASH_LAYER = "地图显示"
DASH_LAYER_HEAT = "热力图"
DASH_LAYER_ANIM = "热力动画"
DASH_LAYER_CELLS = "网格着色"
DASH_ANIM_STEP = "动画步长"
DASH_STEP = {"month": "按月", "week": "按周"}
DASH_VALUE = "网格着色"
DASH_VALUES = {
    "open_cases": "在办事件",
    "overdue_cases": "超期事件",
    "cases_per_100": "每百户事件",
    "cases": "期间事件",
}
DASH_CLICK_HINT = "点击地图上的网格，查看该网格的在办事件和网格长。"
DASH_CELL_TITLE = "网格 {code} · {community}"
DASH_CELL_LEADER = "网格长：{name}（{phone}）"
DASH_CELL_NO_LEADER = "网格长：未配备"
DASH_CELL_NONE_OPEN = "该网格目前没有在办事件。"
DASH_CELL_FIELDS = {
    "case_no": "事件编号",
    "category": "类别",
    "kind": "类型",
    "state": "状态",
    "received_at": "受理时间",
    "due_at": "办理时限",
    "overdue": "超期",
    "description": "内容",
    "handler_name": "承办人",
}
DASH_METRIC_CASES = "期间受理·已定位到网格（件）"
DASH_METRIC_OPEN = "在办事件（件）"
DASH_METRIC_OVERDUE = "超期事件（件）"
DASH_METRIC_CELLS_OPEN = "有在办事件的网格"
DASH_RATE_HELP = "{num_label} {num:,} / {den_label} {den:,}"
DASH_HOTSPOT_INTRO = (
    "Getis-Ord Gi* 热点分析（已发布网格方案的后邻接 Queen 关系，Benjamini–Hochberg 校正，α = 0.05）："
    "热点表示该网格及其相邻网格的数值显著高于全区水平，冷点显著偏低。"
)
DASH_HOTSPOT_NONE = "没有统计上显著的热点或冷点网格。"
DASH_HOTSPOT_TOP = "Gi* z 值最高的 5 个网格（均未达到显著水平，仅供参考）："
DASH_HOTSPOT_FIELDS = {
    "cell_code": "网格编码",
    "community_name": "社区",
    "leader_name": "网格长",
    "value": "数值",
    "z": "Gi* z 值",
    "p": "p 值",
    "hotspot_label": "类别",
}
DASH_LEGEND_HOT = "热点（实线）"
DASH_LEGEND_COLD = "冷点（虚线）"
DASH_WORKLOAD_WEEK = "走访周（选择该周任意一天）"
DASH_WORKLOAD_NOTE = (
    "本周应走访 = 重点户 ÷ {weeks}（重点户每 {weeks} 周走访一次，每周至少 {minimum} 次）；"
    "满意率 = 满意及基本满意 ÷ 本期办结并已评价。点选一行可在地图上定位该网格。"
)
DASH_EXPORT = "导出Excel"
DASH_TREND_RECEIVED = "每月受理事件（件）"
DASH_TREND_RATES = "每月指标"
DASH_TREND_YOY = "同比"
DASH_TREND_MOM = "环比"
DASH_TREND_THIS_YEAR = "本年"
DASH_TREND_LAST_YEAR = "上年同期"
# trends: the current month is not over (area: Chinese everywhere / trends)
DASH_TREND_PARTIAL = "本月截至{day}日（未完）"
DASH_TREND_PARTIAL_COL = "未完月份"
DASH_NO_CASES = "所选条件下没有事件。"


# ---------------------------------------------------------------- 事件办理 (cases: window, queue,
# visit day, callback day, statistics) — pages app_pages/window.py, case_queue.py, visit_day.py,
# callback_day.py, case_stats.py
PAGE_WINDOW = "窗口受理"
PAGE_QUEUE = "我的待办"
PAGE_VISIT_DAY = "下访日"
PAGE_CALLBACK_DAY = "回访日"
PAGE_CASE_STATS = "统计与月报"
SECTION_CASES = "便民服务"

CASE_CENTRE = "便民服务中心"
CASE_STATION = "{name}便民服务站"
CASE_INTAKE_POINT = "受理点"
CASE_CLERK = "经办人"
CASE_CLERK_DEFAULT = "窗口值班员"
CASE_SERVICE_ITEM = "服务事项"
CASE_SERVICE_ITEM_NONE = "（按类别）"
CASE_CATEGORY = "服务类别"
CASE_KIND = "办件类型"
CASE_CHANNEL = "受理渠道"
CASE_CITIZEN = "群众姓名"
CASE_PHONE = "联系电话"
CASE_ADDRESS = "地址（街巷门牌）"
CASE_ADDRESS_HELP = "如 大北街社区纱帽石53号；系统据此定位到网格。也可在地图上选点。"
CASE_DESCRIPTION = "诉求内容"
CASE_ATTACHMENTS = "附件（照片、证件复印件）"
# secapp (issue 10, uploads): what attachments accept, and the real size limit
CASE_ATTACHMENTS_HELP = (
    "照片（jpg/png/gif/webp）、PDF 或 Word/Excel/PowerPoint 文档，每个 20 MB 以内。"
    "照片上传时去除拍摄位置、设备等信息"
)
CASE_PIN = "在地图上选点（点击地图）"
CASE_PIN_SET = "已选点：{lon:.6f}, {lat:.6f}"
CASE_ON_THE_SPOT = "当场办结（即办件）"
CASE_ON_THE_SPOT_NOTE = "办理情况（当场办结时必填）"
CASE_SUBMIT = "受理并出具回执"
CASE_MATERIALS_TITLE = "一次性告知：请群众准备以下材料"
CASE_DUP_TITLE = "疑似重复：附近50米内30天内有同类在办事件"
CASE_DUP_CONFIRM = "已核对，不是重复，继续受理"
CASE_RECEIPT_TITLE = "受理回执"
CASE_RECEIPT_DOWNLOAD = "下载回执（可打印）"
CASE_RECEIPT_NEW = "受理下一位群众"
CASE_NO = "案件编号"
# receipt (回执) and its materials — case loop (helper caseshh)
CASE_MATERIALS_BROUGHT = "群众已带来的材料（未勾选的列入回执「尚缺材料」）"
CASE_MATERIALS_BROUGHT_NONE = "一项也没有带"
CASE_MATERIALS_MISSING = "尚缺材料"
CASE_MATERIALS_COMPLETE = "材料已齐全"
CASE_SERVICE_PHONE = "咨询电话"
CASE_RECEIPT_QUERY = "凭案件编号 {case_no} 拨打 {phone} 查询办理进度。"
CASE_RECEIPT_PRINT = "打印回执"
CASE_RECEIPT_CITIZEN_SIGN = "群众签字"
CASE_RECEIVED_AT = "受理时间"
CASE_DUE_AT = "办理时限"
CASE_STATE = "状态"
CASE_LOCATION = "所在网格"
CASE_NOT_LOCATED = "未定位到网格（地址需人工核实）"
CASE_OVERDUE = "超期"
CASE_OVERDUE_BADGE = "⚠ 已超期"
CASE_DUE_SOON = "即将到期"
CASE_SCOPE = "范围"
CASE_SCOPE_MINE = "我的"
CASE_SCOPE_COMMUNITY = "本社区"
CASE_SCOPE_ALL = "全部"
CASE_ONLY_OVERDUE = "只看超期"
CASE_OPEN_BY_NO = "按案件编号打开"
CASE_PICK = "选择案件"
CASE_NONE = "没有符合条件的在办案件。"
CASE_TIMELINE = "办理记录"
CASE_ACTION = "操作"
CASE_NOTE = "说明（结案填核查情况；退回、重办填理由）"
CASE_DISPATCH_TO = "派遣给（工作人员姓名/工号或部门）"
CASE_ESCALATE_LEVEL = "上报至"
CASE_DEPARTMENT = "职能部门名称"
CASE_WORKING_DAYS = "承诺工作日数"
CASE_DO = "提交"
CASE_DONE = "已{action}：案件 {case_no} 现为「{state}」（第{version}版）"
CASE_REFRESH = "刷新"
CASE_NO_ACTIONS = "该案件当前没有可执行的操作。"
CASE_ATTACHMENT_LIST = "附件"
CASE_COUNT = "共 {n} 件，其中超期 {overdue} 件"
CASE_FIELDS = {
    "overdue_label": "超期",
    "case_no": "案件编号",
    "state_label": "状态",
    "kind_label": "类型",
    "category_label": "类别",
    "due_at": "办理时限",
    "time_left": "剩余/超期",
    "citizen_name": "群众",
    "address": "地址",
    "community_name": "社区",
    "handler": "承办",
    "description": "诉求内容",
}
TIMELINE_FIELDS = {
    "seq": "序号",
    "at": "时间",
    "actor": "操作人",
    "action_label": "操作",
    "from_label": "原状态",
    "to_label": "新状态",
    "note": "说明",
}

VISIT_STAFF = "走访人员"
VISIT_WEEK = "走访周（选周内任一天）"
VISIT_INTRO = "本周走访名单：重点人群优先，其次是有在办事件的住户，再次是最久未走访的住户。"
VISIT_NONE = "名单为空：该人员没有负责的网格或包联街巷。"
VISIT_OUTCOME = "走访结果"
VISIT_NOTE = "走访情况"
VISIT_CATEGORY = "带回事项类别"
VISIT_RECORD = "记录走访"
VISIT_SAVE = "保存走访记录"
VISIT_SAVED = "已记录走访：{name}"
VISIT_SAVED_CASE = "已记录走访：{name}，带回事项已受理，案件编号 {case_no}"
VISIT_CALL = "📞 {phone}"

CALLBACK_WHO = "回访人员"
CALLBACK_INTRO = "本周已办结、等待回访的案件：向群众反馈办理结果和政策依据，记录满意度。"
CALLBACK_EARLIER = "包括以前各周未回访的"
CALLBACK_NONE = "本周没有等待回访的案件。"
CALLBACK_REACHED = "是否接通"
CALLBACK_REACHED_OPTIONS = {"yes": "已接通", "no": "未接通"}
CALLBACK_SATISFACTION = "满意度"
CALLBACK_COMMENT = "群众意见"
CALLBACK_REOPEN = "不满意，退回重办"
CALLBACK_RECORD = "记录回访"
CALLBACK_SAVE = "保存回访记录"
CALLBACK_SAVED = "已记录回访：{case_no}（{result}）"
CALLBACK_ATTEMPTS = "已回访 {n} 次未接通"
CALLBACK_CHECK_NOTE = "核查情况"

STATS_PERIOD = "统计期间"
STATS_COMMUNITY = "社区"
STATS_ALL = "全部社区"
STATS_RATES = "主要指标"
STATS_COUNTS = "分类统计（本期受理）"
STATS_PARAGRAPH = "月报综述"
STATS_DOWNLOAD_XLSX = "导出Excel月报"
STATS_DOWNLOAD_JSON = "导出JSON"
STATS_DIMENSIONS = {
    "kind": "按办件类型",
    "category": "按服务类别",
    "channel": "按受理渠道",
    "community": "按社区",
    "cell": "按网格",
    "period": "按月份",
}
STATS_COUNT = "件数"

# --- access (login, audit log, uploads) ---------------------------------------------------------
PAGE_LOGIN = "登录"
PAGE_AUDIT_LOG = "审计日志"
LOGIN_USERNAME = "用户名"
LOGIN_PASSWORD = "密码"
LOGIN_BUTTON = "登录"
LOGIN_HINT = "请使用本人账号登录。多次输错密码需等待片刻再试；8小时无操作自动退出。"
LOGIN_DEMO_HINT = (
    "示例环境：运行 make run 时终端会打印每个角色的示例账号与密码（每次运行重新生成）。"
)
LOGIN_EXPIRED = "登录已超时或已失效，请重新登录"
LOGGED_OUT = "已退出登录"
# login that survives a reload (issue 11): a bookmark of a page the role does not have
PAGE_NOT_FOR_ROLE = "您的角色没有这个页面。请从左侧菜单选择，或回到总览。"
LOGIN_MISSING = "请输入用户名和密码"
LOGOUT_BUTTON = "退出"
AUDIT_CAPTION = "个人信息的查看、导出、显示完整信息，登录与权限变更的记录。日志只能追加，任何人都不能修改或删除。"
AUDIT_FIELDS = {
    "at": "时间",
    "username": "用户",
    "action_name": "操作",
    "target": "对象",
    "client": "来源",
    "detail": "详情",
}

# --- households: roster import, review queue, my cell, notice board ---------------------------
PAGE_ROSTER_IMPORT = "住户导入"
# 待核实 handover between cells (helper caseshh)
REVIEW_HANDED_OVER = "网格 {from_cell} 的 {who} 移交：{name}（{addr}）核实定位在本网格，请确认"
PAGE_REVIEW_QUEUE = "待核实"
PAGE_MY_CELL = "我的网格"
IMPORT_INTRO = (
    "上传住户花名册（.xlsx / .xls / .csv，20 MB 以内）。表头可有标题行；"
    "无法识别的列名可在下一步指定含义。整份名单在一个事务中导入：要么全部保存，要么都不保存。"
)
IMPORT_FILE = "花名册文件"
IMPORT_MAPPING = "列的含义"
IMPORT_MAPPING_HELP = "以下列名未能自动识别。请为每列选择含义（不导入的列选「不导入」）；必须有「户主姓名」和「地址」。"
IMPORT_MAPPING_NONE = "不导入"
IMPORT_HEADERS_UNKNOWN = "未能自动识别这份名单的表头。请在下方为每一列选择含义，再开始导入。"
IMPORT_PREVIEW = "前 5 行预览"
IMPORT_BUTTON = "开始导入"
IMPORT_RUNNING = "正在导入…"
IMPORT_STEP_READ = "读取并检查 {rows:,} 行…"
IMPORT_STEP_DONE = "导入完成"
IMPORT_FAILED = "导入失败，未保存任何数据"
# family members in a roster import (helper caseshh)
IMPORT_MEMBERS = "家庭成员：导入 {n} 人；退回 {rejected} 行（成员行的位置与原因见下表，户主行退回的成员随之退回）"
IMPORT_SUCCESS = "导入 {imported:,} 户；待核实 {review:,} 户；退回 {rejected:,} 行"
IMPORT_SUCCESS_REJECTED = "，可下载原因"
IMPORT_REJECTED_DOWNLOAD = "下载退回行及原因（.xlsx）"
IMPORT_REVIEW_LIST = "待核实的住户（请到「待核实」页定位）"
IMPORT_FIELDS = {
    "head_name": "户主姓名",
    "id_number": "身份证号",
    "phone": "联系电话",
    "address": "地址",
    "size": "家庭人口",
    "tags": "人员类别",
    "sex": "性别",
    "community": "社区",
    "note": "备注",
    "row_no": "序号",
}
REVIEW_INTRO = (
    "地址未能精确定位的住户。选择一个建议位置，或在地图上点选住户所在位置，然后确认。"
    "确认后系统会记住：写法不同的街巷名记为别名，缺少的门牌号登记为新门牌，下次导入自动匹配。"
)
REVIEW_EMPTY = "没有待核实的住户。"
REVIEW_COUNT = "待核实 {n:,} 户"
REVIEW_PICK = "选择住户"
REVIEW_REASON = "原因"
REVIEW_SUGGESTIONS = "建议位置"
REVIEW_NO_SUGGESTION = "没有相近的街巷或门牌，请在地图上点选。"
REVIEW_CLICK_HINT = "在地图上点击住户所在位置；选中的点显示为黄色圆点。"
REVIEW_CLICKED = "地图点选：{lon:.6f}, {lat:.6f}"
REVIEW_USE_CLICK = "使用地图点选的位置"
REVIEW_ACCEPT = "确认定位"
REVIEW_CONFIRM = "确认将「{name}」定位到所选位置？"
REVIEW_FIELDS = {
    "head_name": "户主",
    "address": "地址",
    "review_reason": "原因",
    "match_type": "匹配方式",
    "geocode_score": "匹配分数",
}
MATCH_TYPES = {
    "door_plate": "门牌",
    "interpolated": "门牌插值",
    "street": "街巷",
    "community": "社区",
    "unmatched": "未匹配",
    "manual": "人工定位",
}
MY_CELL_PICK = "选择网格"
MY_CELL_NONE = "您的账号没有负责的网格，请联系管理员。"
MY_CELL_SEARCH = "搜索（姓名、地址、电话尾号4位、类别）"
MY_CELL_ROLL = "按类别筛选"
MY_CELL_ALL = "全部"
MY_CELL_LIST = "住户名单"
MY_CELL_FILE = "一户一档"
MY_CELL_ROLLS = "一类一卷"
MY_CELL_OPEN = "查看档案"
MY_CELL_PICK_HOUSEHOLD = "选择住户查看档案"
MY_CELL_NOTICE = "下载公示牌（PDF）"
MY_CELL_ROLL_EXPORT = "导出Excel"
MY_CELL_LEGEND = "住户（按重点人群）"
MY_CELL_METRICS = ("住户", "居民", "重点人群户", "待核实")
HOUSEHOLD_FIELDS = {
    "head_name": "户主姓名",
    "sex": "性别",
    "id_number": "身份证号",
    "phone": "联系电话",
    "size": "家庭人口",
    "address": "地址",
    "groups_label": "重点人群",
    "categories_label": "服务类别",
    "status": "状态",
}
RESIDENT_FIELDS = {
    "name": "姓名",
    "relation": "与户主关系",
    "id_number": "身份证号",
    "phone": "电话",
}
FILE_SECTIONS = ("家庭成员", "走访记录", "事件诉求", "回访记录", "变更历史")
FILE_EMPTY = "暂无记录"
HOUSEHOLD_STATUS = {"active": "在册", "review": "待核实"}
VISIT_OUTCOMES = {"resolved": "当场解决", "brought_back": "带回办理"}
HOTLINE_IMPORT = "批量导入12345热线工单"
HOTLINE_FILE = "热线工单导出文件（.xlsx/.xls/.csv，20 MB 以内）"
HOTLINE_HINT = "可识别的列名：工单编号、来电时间、诉求内容、地址、联系电话、诉求类别、来电人。同一工单编号重复导入会自动跳过。"
HOTLINE_BUTTON = "开始导入"
HOTLINE_WORKING = "正在导入并定位地址…"
HOTLINE_REJECTED = "退回行及原因"
HOTLINE_DOWNLOAD = "下载退回行（Excel）"

# --- grid plans (方案编辑 / 导入街巷 / 方案历史) ------------------------------------------------
PAGE_PLANNER = "方案编辑"
PAGE_PLAN_IMPORT = "导入街巷"
PAGE_PLAN_HISTORY = "方案历史"
# --- rebalance (方案编辑 → 动态调整, issue 13) ---
PAGE_PLAN_REBALANCE = "动态调整"
REBALANCE_INTRO = (
    "按当前在册、已定位的住户重新核算每个网格的户数，提出一个移动住户最少的调整草稿："
    "只在同一社区的相邻网格之间整块移动街区（大院按楼栋），网格保持连片，"
    "保留多数住户的网格保留原编码和网格长。"
)
REBALANCE_NO_PUBLISHED = "还没有已发布的网格方案：动态调整只针对已发布方案。"
REBALANCE_MIN = "每格户数下限"
REBALANCE_MAX = "每格户数上限"
REBALANCE_SHARE = "重点人群负担最多高出社区平均（%）"
REBALANCE_LIMITS = "各社区户数范围（可逐个修改）"
REBALANCE_LIMIT_FIELDS = {
    "community_code": "社区代码",
    "community_name": "社区",
    "min_households": "下限",
    "max_households": "上限",
}
REBALANCE_RUN = "生成调整方案"
REBALANCE_WORKING = "正在按住户重新核算并调整网格…"
REBALANCE_METRICS = {
    "households_moved": "调整住户",
    "cells": "网格数",
    "out_of_range": "超出户数范围的网格",
    "share": "最重网格负担（社区平均 = 1）",
}
REBALANCE_CODES = "保留编码 {kept} 个；新编码：{new}；撤销编码：{retired}"
REBALANCE_MAP_BEFORE = "调整前"
REBALANCE_MAP_AFTER = "调整后（红框为有变动的网格）"
REBALANCE_MOVES = "移动的街区和楼栋"
REBALANCE_MOVE_FIELDS = {
    "block_id": "街区",
    "buildings": "楼栋",
    "from_cell": "原网格",
    "to_cell": "新网格",
    "households": "户数",
}
REBALANCE_LEADERS = "网格长增减"
REBALANCE_LEADER_FIELDS = {
    "cell_code": "网格",
    "leader": "网格长",
    "change": "增减",
    "what": "街区/楼栋",
    "other_cell": "来自/去往",
    "households": "户数",
}
REBALANCE_CHANGE = {"gains": "接收", "loses": "移出"}
REBALANCE_CELLS = "各网格调整前后"
REBALANCE_CELL_FIELDS = {
    "cell_code": "网格",
    "status": "编码",
    "households_before": "调整前户数",
    "households_after": "调整后户数",
    "weight_before": "调整前重点人群",
    "weight_after": "调整后重点人群",
}
REBALANCE_STATUS = {"kept": "保留", "new": "新增", "retired": "撤销"}
REBALANCE_NOTHING = "每个网格都在户数范围内，不需要调整。"
REBALANCE_OUTSIDE = "有 {n} 户的位置不在任何街区内，未计入。"
REBALANCE_SAVE = "保存为草稿"
REBALANCE_SAVED = "已保存为草稿“{name}”（第{version}版）：请到“方案编辑”修改、校验并发布。"
PLAN_PICK = "网格方案"
PLAN_STATE_LABELS = {
    "draft": "草稿",
    "validated": "已校验",
    "published": "已发布",
    "retired": "已停用",
}
PLAN_NONE = "还没有任何网格方案：请先在“导入街巷”页由街巷生成草稿，或载入示例数据。"
PLAN_NEW_DRAFT = "由已发布方案生成新草稿"
PLAN_NEW_DRAFT_DONE = "已生成草稿 第{version}版（复制了 {cells} 个网格、{blocks} 个街区）"
PLAN_READ_ONLY = "此方案{state}，只能查看和导出；要修改请由已发布方案生成新草稿。"
PLAN_STALE = (
    "方案已被 {who} 于 {when} 修改（现为版本 {now}，您看到的是版本 {seen}），请刷新后再改。"
)
PLAN_REFRESH = "刷新"
PLAN_MAP_CAPTION = "网格按户数着色；细灰线为街区；红色虚线框并标有 ⚠ 的是问题（始终在最上层）。在右侧“检查结果”中点选一行，地图缩放到该处。"
PLAN_PROBLEMS = "检查结果"
PLAN_CLEAN = "方案检查通过：{cells} 个网格覆盖全街道，无缺口、重叠、越界，住户全部入格。"
PLAN_PROBLEM_SUMMARY = "必须修改 {blocking} 个 · 提示 {warnings} 个（共 {cells} 个网格）"
PLAN_PROBLEM_FIELDS = {
    "severity_label": "性质",
    "kind_label": "问题",
    "message": "说明",
    "area_m2": "面积（㎡）",
}
PLAN_SEVERITY = {"blocking": "必须修改", "warning": "提示"}
PLAN_PROBLEM_HINT = "点选一行，地图缩放到该问题。"
PLAN_LEGEND_PROBLEM = "⚠ 问题（红色虚线框）"
PLAN_LEGEND_BLOCK = "街区"
PLAN_EDIT = "编辑"
PLAN_CELL = "网格"
PLAN_TABS = ["移动街区", "合并网格", "按街区拆分", "画线分割", "画面替换", "网格长"]
PLAN_BLOCK = "街区"
PLAN_TO_CELL = "移到网格"
PLAN_MERGE_WITH = "并入本网格的网格"
PLAN_SPLIT_BLOCKS = "分出去组成新网格的街区"
PLAN_LEADER = "网格长"
PLAN_NO_LEADER = "（暂不配）"
PLAN_DO_MOVE = "移动街区"
PLAN_DO_MERGE = "合并"
PLAN_DO_SPLIT = "拆分"
PLAN_DO_LINE = "沿所画的线分割"
PLAN_DO_POLYGON = "用所画的面替换网格范围"
PLAN_DO_LEADER = "保存网格长"
PLAN_DRAW_HINT_LINE = "用地图左上角的“画线”工具从网格外画到网格外，双击结束；再点下面的按钮。"
PLAN_DRAW_HINT_POLYGON = "用地图左上角的“画多边形”或“画矩形”工具画出网格的新范围；再点下面的按钮。替换后检查会显示它造成的缺口或重叠。"
PLAN_DRAWN = "已画：{kind}（{n} 个点）"
PLAN_DRAWN_NONE = "还没有在地图上画图形。"
PLAN_NO_SAME_COMMUNITY = "本社区没有其他网格。"
PLAN_PUBLISH = "发布方案"
PLAN_PUBLISH_BLOCKED = "还有 {n} 个必须修改的问题（{kinds}），修改后才能发布。"
PLAN_NOTE = "发布说明"
PLAN_NOTE_HELP = "有提示性问题（户数超出范围、狭长碎片、未配网格长）时必须写明为何接受。"
PLAN_NOTE_REQUIRED = "方案有 {n} 个提示性问题：请在“发布说明”中写明为何接受。"
PLAN_PUBLISH_ASK = "发布…"
PLAN_CONFIRM_TITLE = "确认发布"
PLAN_CONFIRM_TEXT = (
    "发布后：**{new}** 立即生效；**{old}** 停用（有效期截止到今天）。"
    "所有住户和在办事件将按新网格重新归属，其中 **{moved} 户** 将换到新的网格（下表）。此操作不能撤销。"
)
PLAN_CONFIRM = "确认发布"
PLAN_CANCEL = "取消"
PLAN_PUBLISHED = (
    "已发布 {name}：重新归属住户 {households} 户、在办事件 {cases} 件；"
    "换网格的住户 {moved} 户。{retired}"
)
PLAN_RETIRED_NOTE = "原方案 第{version}版 已停用。"
PLAN_DIFF_CLOSE = "关闭发布结果"
PLAN_PICKED_COUNTS = "本方案：网格 {cells} 个，街区 {blocks} 个"
PLAN_DIFF_TITLE = "住户网格变化"
PLAN_DIFF_BY_CELL = "按网格汇总"
PLAN_DIFF_FIELDS = {
    "household_id": "住户编号",
    "head_name": "户主",
    "old_cell_code": "原网格",
    "new_cell_code": "新网格",
    "households": "户数",
}
PLAN_DIFF_DOWNLOAD = "导出Excel"
PLAN_DIFF_NONE = "没有住户换网格。"
PLAN_DIFF_NO_NAMES = "户主姓名只对有权查看住户信息的角色显示；规划员看到住户编号，可交社区核对。"
PLAN_EXPORT = "导出方案"
PLAN_EXPORT_FORMATS = {"gpkg": "GeoPackage", "geojson": "GeoJSON", "shp": "Shapefile（zip）"}
PLAN_HISTORY_FIELDS = {
    "version_no": "版本",
    "name": "方案",
    "state_label": "状态",
    "valid_from": "生效",
    "valid_to": "停用",
    "cells": "网格数",
    "block_count": "街区数",
    "updated_by": "最后修改",
    "updated_at": "修改时间",
    "published_by": "发布人",
    "note": "发布说明",
}
PLAN_IMPORT_STREETS = "街巷文件（中心线或道路面）"
PLAN_IMPORT_BOUNDARY = "街道边界（可选，默认用数据库中的街道边界）"
PLAN_IMPORT_HELP = (
    "支持 GeoJSON、GeoPackage、Shapefile（zip），每个文件 20 MB 以内。"
    "由高德/腾讯地图采集的坐标请勾选 GCJ-02。"
)
PLAN_IMPORT_GCJ02 = "坐标为 GCJ-02（高德/腾讯地图）"
PLAN_IMPORT_SNAP = "断头线吸附距离（米）"
PLAN_IMPORT_MODE = "网格划分"
PLAN_IMPORT_MODES = {"propose": "按户数自动组合街区", "per_block": "每个街区一个网格"}
PLAN_IMPORT_RANGE = "每格户数范围"
PLAN_IMPORT_RUN = "生成草稿"
PLAN_IMPORT_DONE = (
    "已生成草稿 第{version}版：街区 {blocks} 个，网格 {cells} 个；断头线 {dangles} 处。"
)
PLAN_IMPORT_DANGLES = "断头线与多余线段"
PLAN_IMPORT_DANGLE_KINDS = {"dangle": "断头线", "cut_edge": "街区内连线", "outside": "边界外线段"}
PLAN_IMPORT_PROPOSAL_PROBLEMS = "自动组合未能满足的地方"
PLAN_IMPORT_OPEN = "到“方案编辑”页修改并发布"
PLAN_IMPORT_PROGRESS = "正在生成街区和网格…"
# streets area: the highway filter, the dangle confirmation, the enclosed share (导入街巷)
PLAN_IMPORT_HIGHWAYS = "用作街区边界的道路等级（文件有 highway 属性时）"
PLAN_IMPORT_HIGHWAYS_HELP = (
    "OpenStreetMap 导出的 highway 标签。默认用机动车道路和小巷（含 service 内部道路，"
    "不含停车场通道、私家车道），不含人行道、台阶、小路、自行车道。测绘或 CAD 文件没有此属性时全部使用。"
)
PLAN_IMPORT_CONFIRM_TITLE = "生成草稿前请确认"
PLAN_IMPORT_CONFIRM = "仍然生成草稿"
PLAN_IMPORT_BACK = "返回修改"
PLAN_IMPORT_ENCLOSED = (
    "街巷围合的区域只占边界的 {share}；其余 {rest}（{area} 平方公里）只由边界线围成，"
    "街巷文件没有覆盖，见地图上的灰色区域"
)
PLAN_IMPORT_UNENCLOSED = "街巷未覆盖的区域"
