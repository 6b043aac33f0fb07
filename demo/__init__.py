"""Demo data for 老城街道（示例）: fictional geometry, real names, synthetic people and cases.

``generate_demo(root)`` writes ``data/boundaries/`` and ``data/demo/`` under *root*; run
``python -m demo.generate`` to regenerate the committed files. Everything is
deterministic for a given seed (reference date 2026-11-30, never the wall clock).
"""

from __future__ import annotations

from typing import Any

__all__ = ["generate_demo"]


def generate_demo(*args: Any, **kwargs: Any) -> dict:
    from demo.generate import generate_demo as _generate

    return _generate(*args, **kwargs)
