"""The package's layers (ARCHITECTURE.md): nothing imports a layer above it.

Every import in every module of ``memspice`` (module level and inside functions, read with
``ast``) is checked against the layer order below; ``circuits`` and ``engine`` are siblings
that must not import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "memspice"

#: Bottom to top; a module may import its own layer and the layers below it.
LAYERS: list[set[str]] = [
    {"errors", "units", "validation"},
    {"config"},
    {"files"},
    {"netlist"},
    {"spicelib"},
    {"circuits", "engine"},
    {"analysis"},
    {"flows"},
    {"studies"},
    {"sweeps"},
    {"cli", "cli_study", "golden", "__main__"},
]
SIBLINGS_APART = {("circuits", "engine"), ("engine", "circuits")}


def _layer(part: str) -> int:
    for level, names in enumerate(LAYERS):
        if part in names:
            return level
    raise AssertionError(f"memspice.{part} is in no layer of tests/test_layers.py")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name.startswith("memspice.")]


def test_no_module_imports_a_layer_above_it() -> None:
    violations = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts == ("__init__.py",):
            continue  # the package itself re-exports
        own = relative.parts[0].removesuffix(".py")
        for line, name in _imports(path):
            target = name.split(".")[1]
            if (own, target) in SIBLINGS_APART or _layer(target) > _layer(own):
                violations.append(f"memspice/{relative}:{line} imports {name}")
    assert not violations, "upward imports:\n" + "\n".join(violations)


def test_the_layer_table_names_every_part_of_the_package() -> None:
    parts = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.iterdir()
             if p.name != "__init__.py" and (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))}
    assert parts <= set().union(*LAYERS), parts - set().union(*LAYERS)
