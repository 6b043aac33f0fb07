"""The import graph between Lianxin's floors, for a tree on disk: who imports whom, and which
imports point up a floor.

It uses grimp, the graph library import-linter itself is built on (installed with it), so the
edges are the ones `lint-imports` judges. Each module is collapsed to its unit: the top-level
package, except the old `lianxin/` mixed room, which is split into its ground-floor modules
(errors, settings, labels…) and its top-floor ones (cli, commands, demo, serving), as issue 12
describes it.

    .venv/bin/python scripts/import_graph.py .                 # this tree
    git archive 883bdaa | tar -x -C /tmp/before                # the tree before issue 12
    .venv/bin/python scripts/import_graph.py /tmp/before

Prints Markdown: a Mermaid graph (edge labels are import counts; upward edges dotted) and the
list of upward imports.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import grimp

PACKAGES = [
    "core",
    "gis",
    "layers",
    "db",
    "services",
    "app_pages",
    "api",
    "cli",
    "demo",
    "bench",
    "lianxin",
]

# The floors bottom up (issue 12's target). The old mixed room's modules are put on the floor
# their role belongs to, so that its imports back up a floor show as such.
FLOOR = {
    "core": 0,
    "lianxin.ground": 0,
    "gis": 1,
    "db": 1,
    "services": 2,
    "layers": 2,
    "app_pages": 3,
    "api": 3,
    "demo": 3,
    "lianxin.demo": 3,
    "cli": 4,
    "lianxin.cli": 4,
    "bench": 5,
}
LIANXIN_TOP = {"cli", "commands", "serving"}


def unit(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "lianxin":
        return parts[0]
    if len(parts) == 1:
        return "lianxin.ground"
    if parts[1] == "demo":
        return "lianxin.demo"
    return "lianxin.cli" if parts[1] in LIANXIN_TOP else "lianxin.ground"


def edges(root: Path) -> Counter[tuple[str, str]]:
    sys.path.insert(0, str(root))
    present = [p for p in PACKAGES if (root / p / "__init__.py").exists()]
    graph = grimp.build_graph(*present, cache_dir=None)
    found: Counter[tuple[str, str]] = Counter()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = unit(importer), unit(imported)
            if a != b:
                found[(a, b)] += 1
    return found


def report(root: Path) -> str:
    found = edges(root)
    up = {e: n for e, n in found.items() if FLOOR.get(e[0], 9) < FLOOR.get(e[1], 9)}
    lines = ["```mermaid", "graph TD"]
    for (a, b), n in sorted(found.items()):
        arrow = f"-. {n} .->" if (a, b) in up else f"-- {n} -->"
        lines.append(f'  {a.replace(".", "_")}["{a}"] {arrow} {b.replace(".", "_")}["{b}"]')
    lines.append("```")
    lines.append("")
    lines.append(f"Edges between units: {len(found)}, imports: {sum(found.values())}.")
    pages_db = found.get(("app_pages", "db"), 0)
    lines.append(f"Pages importing db/ directly: {pages_db} imports.")
    lines.append(
        f"Command line importing gis/ directly: {found.get(('cli', 'gis'), 0) + found.get(('lianxin.cli', 'gis'), 0)} imports."
    )
    # As Python sees them, packages, not roles: the old lianxin/ is one package, so db → lianxin
    # and lianxin → db is a cycle between packages even though no module imports back up.
    package: Counter[tuple[str, str]] = Counter()
    for (a, b), n in found.items():
        a, b = a.split(".")[0], b.split(".")[0]
        if a != b:
            package[(a, b)] += n
    cycles = sorted({tuple(sorted(e)) for e in package if (e[1], e[0]) in package})
    if cycles:
        lines.append(
            "Packages importing each other (cycles): "
            + ", ".join(f"{a} ⇄ {b}" for a, b in cycles)
            + "."
        )
    else:
        lines.append("Packages importing each other (cycles): none.")
    if up:
        lines.append(f"Imports pointing up a floor: {sum(up.values())}:")
        lines.extend(f"- {a} → {b}: {n}" for (a, b), n in sorted(up.items()))
    else:
        lines.append("Imports pointing up a floor: none.")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))
