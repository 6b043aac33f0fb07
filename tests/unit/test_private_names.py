"""A leading underscore means "private to its package": a module may import ``_name`` from a
sibling in its own package (the splits of issue 12 share helpers that way), never from another
package. Before issue 12's last step, services.households.visits used ``cases._aware`` and
``cases._conflict``; those are public now (``aware``, ``stale_version_error``)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

PACKAGES = ("core", "gis", "db", "services", "layers", "app_pages", "api", "cli", "demo", "bench")


def _package_of(module: str) -> str:
    path = ROOT.joinpath(*module.split("."))
    return module if (path / "__init__.py").exists() else module.rpartition(".")[0]


def _crossings() -> list[str]:
    out: list[str] = []
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            own = _package_of(module.removesuffix(".__init__"))
            imported: dict[str, str] = {}  # local name → module, for "mod._name" uses
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    for alias in node.names:
                        full = f"{node.module}.{alias.name}"
                        if (
                            ROOT.joinpath(*full.split(".")).with_suffix(".py").exists()
                            or (ROOT.joinpath(*full.split(".")) / "__init__.py").exists()
                        ):
                            imported[alias.asname or alias.name] = full
                        elif _private(alias.name) and _outside(own, _package_of(node.module)):
                            out.append(f"{path.relative_to(ROOT)}:{node.lineno} {full}")
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.asname:
                            imported[alias.asname] = alias.name
                elif (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id in imported
                    and _private(node.attr)
                ):
                    target = imported[node.value.id]
                    if _outside(own, _package_of(target)):
                        out.append(f"{path.relative_to(ROOT)}:{node.lineno} {target}.{node.attr}")
    return out


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _outside(own: str, source: str) -> bool:
    return not (own == source or source.startswith(own + ".") or own.startswith(source + "."))


def test_no_module_uses_another_packages_private_names() -> None:
    assert _crossings() == []


def test_siblings_share_a_package_and_other_packages_do_not() -> None:
    assert _outside("services.households", "services.cases")
    assert not _outside("gis.coverage", "gis.coverage")
    assert _package_of("services.cases.steps") == "services.cases"
