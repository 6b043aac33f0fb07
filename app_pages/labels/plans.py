"""UI strings of the grid-plan pages: 方案编辑, 导入街巷, 方案历史, 动态调整."""

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
