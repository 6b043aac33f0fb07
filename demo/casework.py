"""Cases, their event paths, Tuesday visits and Friday callbacks over the year to 2026-11-30."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from core.vocab import CASE_TRANSITIONS, DEFAULT_DUE_WORKING_DAYS, SATISFACTION, SPECIAL_GROUPS

from .workdays import due_at, is_workday, next_weekday, to_office

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


class CaseWork:
    def __init__(self, town, households, staff, rng: np.random.Generator) -> None:
        self.town = town
        self.rng = rng
        self.households = [h for h in households if "row_no" in h]
        self.staff = staff
        self.by_role: dict[str, list[dict]] = {}
        for s in staff:
            self.by_role.setdefault(s["role"], []).append(s)
        self.leader_of = {s["cell_code"]: s for s in staff if s["role"] == "grid_leader"}
        self.workers_of: dict[str, list[dict]] = {}
        for s in staff:
            if s["role"] == "grid_worker":
                self.workers_of.setdefault(s["community_code"], []).append(s)
        self.station_clerk = {
            s["community_code"]: s for s in staff if s["role"] == "clerk" and s["community_code"]
        }
        self.centre_clerks = [s for s in staff if s["role"] == "clerk" and not s["community_code"]]
        self.has_station = {c["code"]: c["has_station"] for c in town.communities}
        self.cadre_of_street = {}
        for s in self.by_role["liaison_cadre"]:
            for name in s["streets"].split("|"):
                self.cadre_of_street[name] = s
        self.hh_by_cell: dict[str, list[dict]] = {}
        for h in self.households:
            self.hh_by_cell.setdefault(h["cell_code"], []).append(h)
        self.cases: list[dict] = []
        self.visits: list[dict] = []
        self.callbacks: list[dict] = []

    # ----------------------------------------------------------------------------------
    def _office(self, t: dt.datetime) -> dt.datetime:
        """to_office, plus a few random minutes when the time had to be moved."""
        moved = to_office(t)
        if moved != t:
            moved = to_office(moved + dt.timedelta(minutes=int(self.rng.integers(0, 75))))
        return moved

    def _office_minute(self, day: dt.date) -> dt.datetime:
        m = int(self.rng.integers(0, 420))  # 08:30–12:00 and 14:30–18:00
        start = dt.time(8, 30) if m < 210 else dt.time(14, 30)
        return self._office(dt.datetime.combine(day, start) + dt.timedelta(minutes=m % 210))

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def _category_for(self, h: dict | None) -> str:
        rng = self.rng
        if h and h.get("groups") and rng.random() < 0.6:
            return GROUP_CATEGORY[self.pick(h["groups"])]
        cats = list(DESCRIPTIONS)
        w = np.array([1.0, 0.6, 1.6, 1.2, 1.5, 0.7, 1.0, 1.2, 0.7, 0.6, 1.0, 1.3, 0.3, 1.6])
        return cats[int(rng.choice(len(cats), p=w / w.sum()))]

    def _location(self, h: dict | None) -> tuple[float, float, str, str, str]:
        """lon, lat, community, cell, street name of a case."""
        if h is not None:
            return h["geom"].x, h["geom"].y, h["community_code"], h["cell_code"], h["street_name"]
        p = self.pick(self.town.plates)
        return p["geom"].x, p["geom"].y, p["community_code"], p["cell_code"], p["street_name"]

    def new_case(
        self,
        received: dt.datetime,
        channel: str,
        h: dict | None,
        *,
        receiver: dict | None = None,
        category: str | None = None,
        kind: str | None = None,
        description: str | None = None,
        location: tuple | None = None,
    ) -> dict:
        rng = self.rng
        lon, lat, comm, cell, street = location or self._location(h)
        if channel == "station" and not self.has_station[comm]:
            channel = "agent"
        elif channel == "agent" and self.has_station[comm]:
            channel = "station"
        category = category or self._category_for(h)
        if kind is None:
            w = KIND_WEIGHTS.get(category, KIND_WEIGHTS["default"])
            kind = KINDS[int(rng.choice(4, p=w))]
        desc = description or self.pick(DESCRIPTIONS[category]).format(s=street)
        if receiver is None:
            if channel == "station":
                receiver = self.station_clerk[comm]
            elif channel == "agent":
                receiver = self.pick(self.workers_of.get(comm, []) or [self.leader_of[cell]])
            elif channel == "visit":
                receiver = self.leader_of[cell]
            else:
                receiver = self.pick(self.centre_clerks)
        case = {
            "received_at": received,
            "kind": kind,
            "category": category,
            "channel": channel,
            "description": desc,
            "household_row_no": h["row_no"] if h is not None else "",
            "lon": lon,
            "lat": lat,
            "community_code": comm,
            "cell_code": cell,
            "street_name": street,
            "due_at": due_at(received, DEFAULT_DUE_WORKING_DAYS[kind]),
            "receiver": receiver,
        }
        self.cases.append(case)
        return case

    # ----------------------------------------------------------------------------------
    def _handler(self, case: dict) -> dict:
        rng = self.rng
        if case["channel"] == "window" and case["kind"] in ("immediate", "reply"):
            return case["receiver"]
        r = rng.random()
        if r < 0.6:
            return self.leader_of[case["cell_code"]]
        if r < 0.85:
            return self.cadre_of_street.get(case["street_name"], self.leader_of[case["cell_code"]])
        return self.pick(self.centre_clerks)

    def _steps(self, case: dict) -> list[tuple[str, str, dict, str]]:
        """(action, to_state, actor, note) up to the first close."""
        rng = self.rng
        kind, handler = case["kind"], self._handler(case)
        case["handler"] = handler
        boss = self.pick(self.by_role["leader"])
        disp = self.pick(self.centre_clerks)
        steps = [("receive", "received", case["receiver"], f"受理：{case['description']}")]
        if kind == "immediate":
            steps.append(
                ("close", "closed", case["receiver"], "核查：即办件当场办结，申请人现场确认")
            )
            return steps
        if kind == "reply":
            steps.append(("handle", "handled", handler, "已按政策答复申请人"))
            steps.append(("close", "closed", disp, "核查：答复内容准确，申请人已知晓，结案"))
            return steps
        escalate = kind == "joint" or rng.random() < 0.08
        if kind == "joint" and rng.random() < 0.5:
            escalate = True
        steps.append(("dispatch", "dispatched", disp, f"派遣至{handler['name']}办理"))
        if rng.random() < 0.07 or case.get("_force") == "returned":
            steps.append(
                ("return", "returned", handler, "退回：不属于本网格职责范围，说明理由后退回")
            )
            handler = (
                self.leader_of[case["cell_code"]]
                if handler["role"] != "grid_leader"
                else self.pick(self.centre_clerks)
            )
            case["handler"] = handler
            steps.append(("dispatch", "dispatched", disp, f"重新派遣至{handler['name']}办理"))
        steps.append(("start", "in_progress", handler, "已开始处置"))
        if escalate:
            start = {"visit": 0, "station": 1, "agent": 1}.get(case["channel"], 2)
            target = min(3, max(start + 1, int(rng.choice(4, p=[0.0, 0.35, 0.35, 0.30]))))
            if kind == "joint":
                target = 3
            for lvl in range(start, target):
                nxt = LEVELS[lvl + 1]
                steps.append(
                    (
                        "escalate",
                        "escalated",
                        handler if lvl < 2 else boss,
                        f"上报：{LEVEL_CN[LEVELS[lvl]]}→{LEVEL_CN[nxt]}",
                    )
                )
                if nxt == "department":
                    dept = DEPARTMENTS[case["category"]]
                    case["department"] = dept
                    steps.append(("dispatch", "dispatched", boss, f"派遣至{dept}联合办理"))
                    steps.append(("start", "in_progress", handler, f"{dept}与街道联合处置"))
                else:
                    steps.append(
                        (
                            "start",
                            "in_progress",
                            handler if nxt == "community" else boss,
                            f"{LEVEL_CN[nxt]}协调处置",
                        )
                    )
            case["escalation_level"] = LEVELS[target]
        steps.append(("handle", "handled", handler, "处置完毕，已反馈"))
        if rng.random() < 0.03 or case.get("_force") == "reopened":
            steps.append(("reopen", "reopened", disp, "核查不合格，重新办理"))
            steps.append(("start", "in_progress", handler, "重新处置"))
            steps.append(("handle", "handled", handler, "整改完毕，已反馈"))
            case["rework_count"] = case.get("rework_count", 0) + 1
        steps.append(("close", "closed", disp, "核查：现场核实已处置到位，结案"))
        return steps

    def _timeline(self, case: dict, steps) -> list[dt.datetime]:
        rng = self.rng
        t0 = case["received_at"]
        due = case["due_at"]
        n_before = next(i for i, s in enumerate(steps) if s[0] in ("close", "handle"))
        if case["kind"] == "immediate":
            return [t0, t0 + dt.timedelta(minutes=int(rng.integers(5, 40)))]
        late = rng.random() < 0.07
        span = max((due - t0).total_seconds(), 3600 * 4)
        end = t0 + dt.timedelta(
            seconds=span * (rng.uniform(1.05, 2.5) if late else rng.uniform(0.2, 0.9))
        )
        times = [t0]
        offsets = sorted(rng.uniform(0, 1, size=len(steps) - 1))
        t = t0
        for i in range(1, len(steps)):
            if steps[i][0] == "close":
                target = times[-1] + dt.timedelta(hours=float(rng.uniform(2, 30)))
            elif i <= n_before or steps[i][0] in (
                "handle",
                "start",
                "dispatch",
                "escalate",
                "return",
                "reopen",
            ):
                target = t0 + (end - t0) * offsets[i - 1]
            t = self._office(
                max(target, times[-1] + dt.timedelta(minutes=int(rng.integers(10, 90))))
            )
            times.append(t)
        return times

    def run_case(self, case: dict, *, stuck: str = "", steps=None, satisfied: bool = False) -> None:
        rng = self.rng
        case.setdefault("rework_count", 0)
        case["_force"] = stuck
        steps = steps or self._steps(case)
        times = self._timeline(case, steps)
        events = list(zip(times, steps, strict=True))
        # callbacks on Fridays after closing; unsatisfied → reopen, rework, close again
        for _round in range(3):
            closed_t = events[-1][0]
            friday = next_weekday(closed_t.date(), 4)
            caller = self.pick(
                [self.leader_of[case["cell_code"]], case["handler"], *self.centre_clerks[:3]]
            )
            reached = rng.random() < 0.9
            tries = 0
            while not reached and tries < 1:
                self._callback(case, friday, caller, False)
                friday = next_weekday(friday, 4)
                reached = rng.random() < 0.8
                tries += 1
            if not reached:
                self._callback(case, friday, caller, False)
                break
            r = rng.random()
            sat = (
                "satisfied"
                if satisfied or r < 0.95
                else ("basically_satisfied" if r < 0.985 else "unsatisfied")
            )
            cb_t = self._callback(case, friday, caller, True, sat)
            if cb_t > REF_END:
                break
            events.append((cb_t, ("rate", "rated", caller, f"回访评价：{SATISFACTION[sat]}")))
            if sat != "unsatisfied":
                break
            handler = case["handler"]
            t = self._office(cb_t + dt.timedelta(hours=float(rng.uniform(1, 30))))
            events.append((t, ("reopen", "reopened", caller, "回访不满意，重新办理")))
            t = self._office(t + dt.timedelta(hours=float(rng.uniform(2, 20))))
            events.append((t, ("start", "in_progress", handler, "重新处置")))
            t = self._office(t + dt.timedelta(hours=float(rng.uniform(8, 60))))
            events.append((t, ("handle", "handled", handler, "整改完毕，已反馈")))
            t = self._office(t + dt.timedelta(hours=float(rng.uniform(2, 30))))
            events.append(
                (t, ("close", "closed", self.pick(self.centre_clerks), "核查：整改到位，再次结案"))
            )
            case["rework_count"] += 1
        events = [e for e in events if e[0] <= REF_END]
        if stuck:
            open_idx = [i for i, e in enumerate(events) if e[1][1] == stuck]
            open_idx = open_idx or [
                i for i, e in enumerate(events) if e[1][1] not in ("closed", "rated")
            ]
            if open_idx:
                events = events[: int(self.pick(open_idx)) + 1]
        self.callbacks = [
            c
            for c in self.callbacks
            if not (
                c["case"] is case
                and (c["called_at"] > REF_END or stuck and c["called_at"] > events[-1][0])
            )
        ]
        case["events"] = events
        case["state"] = events[-1][1][1]
        closes = [e[0] for e in events if e[1][0] == "close"]
        case["closed_at"] = closes[-1] if case["state"] in ("closed", "rated") else None
        mine = [c for c in self.callbacks if c["case"] is case and c["reached"]]
        case["called_back"] = bool(mine)
        case["satisfaction"] = mine[-1]["satisfaction"] if mine else ""
        for (_t, (_a, to_state, _actor, _n)), (_t2, (_a2, nxt, _x, _y)) in zip(
            events, events[1:], strict=False
        ):
            assert nxt in CASE_TRANSITIONS[to_state], (to_state, nxt)

    def _callback(self, case, friday: dt.date, caller, reached: bool, sat: str = "") -> dt.datetime:
        t = self._office_minute(friday)
        if reached:
            comment = {
                "satisfied": self.pick(
                    ["问题已解决，很满意", "感谢街道及时办理", "办事效率高，满意", "满意"]
                ),
                "basically_satisfied": self.pick(["基本满意，希望再快一些", "问题基本解决"]),
                "unsatisfied": self.pick(["问题未彻底解决，不满意", "处置不到位，要求重新办理"]),
            }[sat]
        else:
            comment = self.pick(["电话无人接听", "号码停机", "本人外出，约定下周回访"])
        self.callbacks.append(
            {
                "case": case,
                "called_at": t,
                "staff": caller,
                "reached": reached,
                "satisfaction": sat,
                "comment": comment,
            }
        )
        return t

    # ----------------------------------------------------------------------------------
    def build_visits(self) -> None:
        rng = self.rng
        day = next_weekday(VISIT_START, 1, strictly_after=False)
        cadres = self.by_role["liaison_cadre"]
        hh_by_street: dict[str, list[dict]] = {}
        for h in self.households:
            hh_by_street.setdefault(h["street_name"], []).append(h)
        while day < REF_END.date():
            visitors = [
                (s, self.hh_by_cell[s["cell_code"]], int(rng.integers(1, 4)))
                for s in self.by_role["grid_leader"]
            ]
            for s in cadres:
                pool = [h for name in s["streets"].split("|") for h in hh_by_street.get(name, [])]
                visitors.append((s, pool, int(rng.integers(3, 7))))
            for s, pool, n in visitors:
                if not pool:
                    continue
                w = np.array([3.0 if h.get("groups") else 1.0 for h in pool])
                for i in rng.choice(
                    len(pool), size=min(n, len(pool)), replace=False, p=w / w.sum()
                ):
                    h = pool[int(i)]
                    back = rng.random() < 0.12
                    t = self._office_minute(day)
                    visit: dict[str, Any] = {
                        "visit_date": day,
                        "staff": s,
                        "household": h,
                        "back": back,
                        "case": None,
                    }
                    cat = self._category_for(h)
                    if back:
                        visit["case"] = self.new_case(t, "visit", h, receiver=s, category=cat)
                        visit["note"] = f"入户走访，{visit['case']['description']}，带回办理"
                    else:
                        tag = "、".join(SPECIAL_GROUPS[g] for g in h.get("groups", []))
                        visit["note"] = self.pick(
                            [
                                "入户走访，宣传相关政策",
                                "了解家庭近况，无诉求",
                                "现场解答政策咨询",
                                "核实家庭人口信息",
                            ]
                        ) + (f"（{tag}）" if tag else "")
                    self.visits.append(visit)
            day = next_weekday(day, 1)

    def build_cases(self, total: int = 3000) -> None:
        rng = self.rng
        self.build_visits()
        n_other = total - len(self.cases) - 1
        days = (REF_END.date() - START).days + 1
        channels = ["window", "station", "agent", "visit", "hotline"]
        cw = np.array([0.40, 0.22, 0.05, 0.13, 0.20])
        for _ in range(n_other):
            ch = channels[int(rng.choice(5, p=cw))]
            day = START + dt.timedelta(days=int(rng.integers(0, days)))
            if ch == "visit":  # visit-day cases before the visits table starts
                span = (VISIT_START - START).days - 7
                day = next_weekday(START + dt.timedelta(days=int(rng.integers(0, span))), 1)
            if ch == "hotline":
                t = dt.datetime.combine(day, dt.time(8, 0)) + dt.timedelta(
                    minutes=int(rng.integers(0, 840))
                )
            else:
                t = self._office_minute(day)
            if t > REF_END:
                t = dt.datetime.combine(REF_END.date(), dt.time(10, 0))
            h = self.pick(self.households) if rng.random() < 0.75 else None
            self.new_case(t, ch, h)

    def worked_case(self) -> dict:
        """The article's case: 大北街社区纱帽石53号, no money for burial, escalated to 区民政局."""
        h = next(
            x for x in self.households if x["street_name"] == "纱帽石" and x["house_number"] == "53"
        )
        gl = self.leader_of[h["cell_code"]]
        comm_staff = self.pick(self.workers_of.get(h["community_code"], []) or [gl])
        boss = self.by_role["leader"][0]
        clerk = self.centre_clerks[0]
        t = dt.datetime(2026, 3, 17, 10, 12)
        case = self.new_case(
            t,
            "visit",
            h,
            receiver=gl,
            category="minimum_allowance",
            kind="joint",
            description="大北街社区纱帽石53号居民去世，家中无钱安葬，网格长上报申请救助",
        )
        case["handler"] = gl
        case["department"] = "区民政局"
        case["escalation_level"] = "department"
        steps = [
            ("receive", "received", gl, "网格长走访发现：纱帽石53号居民去世，家庭困难无力安葬"),
            ("escalate", "escalated", gl, "上报：网格→社区"),
            ("start", "in_progress", comm_staff, "社区核实家庭情况，协助料理后事"),
            ("escalate", "escalated", comm_staff, "上报：社区→街道，提请办事处领导研究"),
            ("start", "in_progress", boss, "办事处领导协调，启动临时救助"),
            ("escalate", "escalated", boss, "上报：街道→职能部门（区民政局）申请丧葬救助"),
            ("dispatch", "dispatched", clerk, "派遣至区民政局联合办理"),
            ("start", "in_progress", gl, "区民政局审批临时救助，网格长协助办理"),
            ("handle", "handled", gl, "救助金已发放，逝者已妥善安葬"),
            ("close", "closed", clerk, "核查：网格长上门核实，丧葬已妥善办理，家属认可，结案"),
        ]
        self.run_case(case, steps=steps, satisfied=True)
        return case

    def finish(self) -> None:
        rng = self.rng
        article = self.worked_case()
        targets = [
            "returned",
            "escalated",
            "in_progress",
            "dispatched",
            "reopened",
            "handled",
            "received",
        ]
        n_stuck = 0
        for case in self.cases:
            if case is article:
                continue
            old = (REF_END - case["received_at"]).days > 20
            stuck = ""
            if old and rng.random() < 0.03:
                stuck = targets[n_stuck % len(targets)]
                n_stuck += 1
            if stuck in ("returned", "escalated", "reopened") and case["kind"] not in (
                "promised",
                "joint",
            ):
                case["kind"] = "joint"
                case["due_at"] = due_at(case["received_at"], DEFAULT_DUE_WORKING_DAYS["joint"])
            self.run_case(case, stuck=stuck)
        self.cases.sort(key=lambda c: (c["received_at"], c["cell_code"], c["description"]))
        daily: dict[dt.date, int] = {}
        for c in self.cases:
            d = c["received_at"].date()
            daily[d] = daily.get(d, 0) + 1
            c["case_no"] = f"LC{d:%Y%m%d}-{daily[d]:04d}"
        assert is_workday(dt.date(2026, 11, 30))
