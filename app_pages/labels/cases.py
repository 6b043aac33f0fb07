"""UI strings of the case pages: window (and its 12345 hotline import), queue, visit day,
callback day, statistics."""

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

# the window's 12345 hotline import (app_pages/window.py)
HOTLINE_IMPORT = "批量导入12345热线工单"
HOTLINE_FILE = "热线工单导出文件（.xlsx/.xls/.csv，20 MB 以内）"
HOTLINE_HINT = "可识别的列名：工单编号、来电时间、诉求内容、地址、联系电话、诉求类别、来电人。同一工单编号重复导入会自动跳过。"
HOTLINE_BUTTON = "开始导入"
HOTLINE_WORKING = "正在导入并定位地址…"
HOTLINE_REJECTED = "退回行及原因"
HOTLINE_DOWNLOAD = "下载退回行（Excel）"
