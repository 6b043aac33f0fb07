"""Cases, their event paths, Tuesday visits and Friday callbacks over the year to 2026-11-30.

:class:`CaseWork` builds on :class:`~demo.case_paths.CasePaths` (a case's event path and its
callbacks), itself on :class:`~demo.case_intake.CaseIntake` (who receives it, the new case); the
tables are in :mod:`demo.case_vocab`. Here: the Tuesday visits, the year's cases, the article's
worked case, and the run that closes (or leaves open) every case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from core.vocab import DEFAULT_DUE_WORKING_DAYS, SPECIAL_GROUPS

from .case_paths import CasePaths
from .case_vocab import REF_END, START, VISIT_START
from .workdays import due_at, is_workday, next_weekday


class CaseWork(CasePaths):
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
