"""Single user, every page: ``python -m bench.pages`` (issue 15's goal "every page settled < 1.5 s").

One account per role logs in through the 登录 form and opens every page of its navigation
twice: the first open (a fresh page: queries, maps, tables) and a second open of the same page
(a rerun, what every click costs). The time is the server's: from the rerun request on the
websocket until Streamlit reports ``script_finished`` (bench.stclient) — the page is settled for
the server then; the browser's own drawing comes on top (bench.load's Chromium sessions time
that, login included).

The server is one bare ``streamlit run serve.py`` against a copy of the demo database
(bench.load's ``lianxin_load``), so nothing else competes with the one user. Each page is opened
``--repeat`` times; the table shows the median and the worst. Results go to
bench/out/pages.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
from typing import Any

from bench.load import OUT, Account, make_load_database, server
from bench.stclient import StreamlitClient, login

ROLES = ("grid_leader", "grid_worker", "clerk", "leader", "planner", "admin")
GOAL_S = 1.5


def role_accounts(db_url: str) -> list[Account]:
    """One fresh account per role, tied to a real grid leader's / clerk's staff record."""
    from db.engine import session_scope
    from services import accounts
    from services.demo_accounts import staff_roster

    out = []
    with session_scope(db_url) as s:
        staff = staff_roster(session=s)
        for role in ROLES:
            person = next(
                (
                    r
                    for r in staff
                    if r["role"] == role and (role != "grid_leader" or r["cell_code"])
                ),
                None,
            )
            name = f"pages_{role}_{secrets.token_hex(3)}"
            pw = accounts.create_user(
                name,
                session=s,
                role=role,
                staff_no=(person or {}).get("staff_no"),
                community_code=(person or {}).get("community_code"),
                by="bench",
            )
            out.append(Account(role, name, pw))
    return out


async def sweep(url: str, account: Account, *, repeat: int) -> list[dict[str, Any]]:
    rows = []
    for _ in range(repeat):
        client = StreamlitClient(url)
        try:
            first = await login(client, account.username, account.password)
            rows.append(
                {"role": account.role, "page": "登录→首页", "open": "first", "s": first.seconds}
            )
            from app_pages.registry import pages_for

            mine = {spec.title for spec in pages_for(account.role)}
            for page in [p for p in client.pages if p in mine]:  # the others say "not for you"
                run = await client.rerun(page=page)
                again = await client.rerun()
                for kind, r in (("first", run), ("rerun", again)):
                    rows.append(
                        {
                            "role": account.role,
                            "page": page,
                            "open": kind,
                            "s": r.seconds,
                            "error": r.exceptions[0] if r.exceptions else None,
                        }
                    )
        finally:
            await client.close()
    return rows


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], list[float]] = {}
    errors: dict[tuple[str, str, str], str] = {}
    for r in rows:
        key = (r["role"], r["page"], r["open"])
        groups.setdefault(key, []).append(r["s"])
        if r.get("error"):
            errors[key] = r["error"]
    return [
        {
            "role": k[0],
            "page": k[1],
            "open": k[2],
            "median_s": round(statistics.median(v), 3),
            "max_s": round(max(v), 3),
            "error": errors.get(k),
        }
        for k, v in groups.items()
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    db_url = make_load_database()
    accounts = role_accounts(db_url)
    rows: list[dict[str, Any]] = []
    with server(db_url, workers=1, proxy=False) as (url, _pids):
        asyncio.run(sweep(url, accounts[-1], repeat=1))  # warm the process (imports, caches)
        for account in accounts:
            rows += asyncio.run(sweep(url, account, repeat=args.repeat))
    table = summarise(rows)
    (OUT / "pages.json").write_text(json.dumps(table, ensure_ascii=False, indent=1), "utf-8")
    print("| 角色 | 页面 | 打开 | 中位数 s | 最慢 s | < 1.5 s |")
    print("|---|---|---|---|---|---|")
    for t in table:
        ok = "是" if t["max_s"] < GOAL_S and not t["error"] else "**否**"
        err = f"（异常：{t['error'][:60]}）" if t["error"] else ""
        print(
            f"| {t['role']} | {t['page']} | {'首次' if t['open'] == 'first' else '再次'} "
            f"| {t['median_s']:.2f} | {t['max_s']:.2f} | {ok}{err} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
