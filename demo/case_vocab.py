"""The demo's case period and tables: what each category's cases say, the departments they go
to, how kinds are weighted per category, the escalation levels."""

from __future__ import annotations

import datetime as dt

REF_END = dt.datetime(2026, 11, 30, 23, 59)
START = dt.date(2025, 12, 1)
VISIT_START = dt.date(2026, 9, 7)  # last ~12 weeks of Tuesdays

DEPARTMENTS = {
    "legal_publicity": "区司法局",
    "family_planning": "区卫健局",
    "city_campaign": "区城管执法局",
    "public_safety": "老城派出所",
    "social_security": "区人社局",
    "culture_education": "区教体局",
    "health": "区卫健局",
    "minimum_allowance": "区民政局",
    "disability_aid": "区残联",
    "low_rent_housing": "区住建局",
    "elderly_care": "区民政局",
    "dispute": "区司法局",
    "community_correction": "区司法局",
    "public_facilities": "区住建局",
}

DESCRIPTIONS = {
    "legal_publicity": [
        "咨询房屋继承相关法律规定",
        "咨询劳动合同纠纷如何维权",
        "申请法律援助",
        "咨询赡养纠纷法律问题",
    ],
    "family_planning": [
        "办理生育登记",
        "咨询独生子女父母奖励政策",
        "申领计划生育特别扶助金",
        "办理二孩生育服务登记",
    ],
    "city_campaign": [
        "{s}路边垃圾堆放未及时清运",
        "{s}占道经营影响通行",
        "{s}墙面乱贴小广告",
        "{s}犬只粪便无人清理",
    ],
    "public_safety": [
        "{s}夜间路灯不亮存在安全隐患",
        "{s}电动车楼道充电隐患",
        "反映{s}有可疑人员出入",
        "{s}消防通道被堵",
    ],
    "social_security": [
        "办理城乡居民养老保险参保",
        "咨询失业保险金领取",
        "办理医保关系转移",
        "申请灵活就业社保补贴",
    ],
    "culture_education": [
        "咨询子女入学片区划分",
        "申请社区书屋借阅证",
        "报名社区老年大学",
        "咨询困难学生资助政策",
    ],
    "health": [
        "办理家庭医生签约",
        "咨询慢性病门诊报销",
        "反映{s}附近诊所卫生问题",
        "预约老年人免费体检",
    ],
    "minimum_allowance": [
        "申请城市最低生活保障",
        "低保年审材料提交",
        "咨询低保金调整标准",
        "申请临时救助",
    ],
    "disability_aid": [
        "申请办理残疾人证",
        "申请残疾人两项补贴",
        "申领辅助器具",
        "咨询残疾人就业扶持",
    ],
    "low_rent_housing": [
        "申报廉租房",
        "廉租房租金补贴年审",
        "咨询公租房申请条件",
        "反映廉租房屋顶漏水",
    ],
    "elderly_care": [
        "申请高龄补贴",
        "独居老人需要上门照护",
        "申请居家养老服务",
        "空巢老人需定期探望",
    ],
    "dispute": [
        "{s}邻里因漏水产生纠纷",
        "{s}房屋租赁纠纷",
        "家庭赡养纠纷调解",
        "{s}噪音扰民邻里矛盾",
    ],
    "community_correction": [
        "社区矫正对象定期报到",
        "社区矫正对象外出请假",
        "矫正对象思想动态走访",
        "安置帮教对象就业帮扶",
    ],
    "public_facilities": [
        "{s}下水道堵塞污水外溢",
        "{s}路面破损坑洼",
        "{s}井盖缺失",
        "{s}公共座椅损坏",
    ],
}

GROUP_CATEGORY = {
    "low_income": "minimum_allowance",
    "disabled": "disability_aid",
    "elderly_alone": "elderly_care",
    "empty_nest_elderly": "elderly_care",
    "left_behind_child": "culture_education",
    "community_correction": "community_correction",
    "low_rent_housing": "low_rent_housing",
    "laid_off_worker": "social_security",
}

KIND_WEIGHTS = {  # immediate, promised, joint, reply
    "default": [0.40, 0.32, 0.08, 0.20],
    "public_facilities": [0.10, 0.55, 0.30, 0.05],
    "city_campaign": [0.20, 0.55, 0.20, 0.05],
    "dispute": [0.10, 0.55, 0.25, 0.10],
    "legal_publicity": [0.45, 0.05, 0.0, 0.50],
}
KINDS = ["immediate", "promised", "joint", "reply"]
LEVELS = ["grid", "community", "subdistrict", "department"]
LEVEL_CN = {"grid": "网格", "community": "社区", "subdistrict": "街道", "department": "职能部门"}
