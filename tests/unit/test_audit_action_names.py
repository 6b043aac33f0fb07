"""Every action the code writes to the audit log has a Chinese name on 审计日志 (UI.md: no
English code shown to staff). The scan finds each ``audit.record(..., action=...)`` call in the
source; its action, a literal or an ``audit.`` constant, must be a key of ``ACTION_NAMES``."""

from __future__ import annotations

import ast
from pathlib import Path

from services import audit

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "app_pages", "cli", "services", "demo")


def written_actions() -> dict[str, str]:
    """action → the first place that writes it (path:line)."""
    out: dict[str, str] = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                owner = node.func.value
                if not (node.func.attr == "record" and isinstance(owner, ast.Name)):
                    continue
                if owner.id != "audit":
                    continue
                for kw in node.keywords:
                    if kw.arg != "action":
                        continue
                    value = kw.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        action = value.value
                    elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
                        action = (
                            getattr(audit, value.attr, None) if value.value.id == "audit" else None
                        )
                    elif isinstance(value, ast.Name):
                        action = getattr(audit, value.id, None)
                    else:
                        action = None
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    out.setdefault(action if isinstance(action, str) else f"<{where}>", where)
    return out


def test_every_written_audit_action_has_a_chinese_name():
    actions = written_actions()
    assert len(actions) >= 8, actions  # the scan sees the calls (logins, exports, api calls …)
    unnamed = {a: where for a, where in actions.items() if a not in audit.ACTION_NAMES}
    assert not unnamed, (
        f"审计日志里会显示英文代码：请在 services/audit.py ACTION_NAMES 里命名 {unnamed}"
    )


def test_every_action_name_is_chinese():
    for action, name in audit.ACTION_NAMES.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in name), (action, name)
