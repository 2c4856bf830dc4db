"""The shape of the code: layers import only downwards, and hub's rooms only what they may.

Layers, lowest first: schemas, connectors, matching, sharing_agreements, hub. Inside hub, the
shared core imports no room; ``run`` imports no other room; ``governance`` may read ``run``;
``demo`` may use ``run`` and ``governance``; ``cli`` may use every room. A web front door, when it
comes, sits beside ``cli`` under the same rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["schemas", "connectors", "matching", "sharing_agreements", "hub"]
ROOMS = {"cli", "web", "run", "governance", "cohort", "demo"}
ROOM_MAY_IMPORT: dict[str, set[str]] = {
    "core": set(),
    "run": set(),
    "governance": {"run"},
    "cohort": {"run"},
    "demo": {"run", "governance", "cohort"},
    "cli": ROOMS - {"cli"},
    "web": ROOMS - {"web", "cli"},
}


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _room_of(path: Path) -> str:
    parts = path.relative_to(ROOT / "hub").parts
    return parts[0] if len(parts) > 1 and parts[0] in ROOMS else "core"


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    above = set(LAYERS[LAYERS.index(layer) + 1 :])
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _python_files(layer)
        for name in _imported_modules(path)
        if name.split(".")[0] in above
    ]
    assert not offences, "\n".join(offences)


def test_each_hub_room_imports_only_what_its_docstring_allows() -> None:
    offences = []
    for path in _python_files("hub"):
        room = _room_of(path)
        allowed = ROOM_MAY_IMPORT[room] | {room}
        for name in _imported_modules(path):
            parts = name.split(".")
            room_imported = parts[1] if parts[0] == "hub" and len(parts) > 1 else None
            if room_imported in ROOMS and room_imported not in allowed:
                offences.append(f"{path.relative_to(ROOT)} ({room}) imports {name}")
    assert not offences, "\n".join(offences)


def test_every_room_says_what_lives_there_and_what_it_may_import() -> None:
    for room in sorted(ROOMS):
        init = ROOT / "hub" / room / "__init__.py"
        if not init.exists():
            continue
        docstring = ast.get_docstring(ast.parse(init.read_text("utf-8"))) or ""
        assert "import" in docstring.lower(), f"hub/{room}/__init__.py: what may it import?"
