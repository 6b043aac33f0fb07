"""Each demo case's event path up to closing (dispatch, returns, escalation, rework), its times,
and the Friday callbacks after it closes."""

from __future__ import annotations

import datetime as dt

from core.vocab import CASE_TRANSITIONS, SATISFACTION

from .case_intake import CaseIntake
from .case_vocab import DEPARTMENTS, LEVEL_CN, LEVELS, REF_END
from .workdays import next_weekday


class CasePaths(CaseIntake):
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
