"""UI strings of the household pages: roster import, review queue, my cell."""

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
