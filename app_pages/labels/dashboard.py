"""UI strings of 领导驾驶舱 (app_pages/dashboard.py)."""

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
