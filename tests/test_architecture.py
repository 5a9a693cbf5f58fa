"""Imports flow one way: the layers of docs/architecture.md, from the bottom up, with no cycle.

Every import of the package counts, also one inside a function: such an import may keep
start-up short, but it must never point upwards or close a cycle that a module-level
import would expose.
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "src" / "alpineguard"


def module_name(path: Path) -> str:
    parts = ["alpineguard", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = sorted(module_name(p) for p in PACKAGE.rglob("*.py"))


def _target(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The package modules an `from ... import ...` names (a module, or modules of a package)."""
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - node.level + 1]
        stem = ".".join(base + ([node.module] if node.module else []))
    else:
        stem = node.module or ""
    if not stem.startswith("alpineguard"):
        return []
    named = [f"{stem}.{alias.name}" for alias in node.names if f"{stem}.{alias.name}" in MODULES]
    return named or [stem]


def imports() -> dict[str, set[str]]:
    """Each module's imports of package modules, wherever in the file they stand."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = module_name(path)
        edges = graph.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                edges.update(_target(module, path.name == "__init__.py", node))
            elif isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names if alias.name.startswith("alpineguard"))
        edges.discard(module)
    return graph


def layers() -> dict[str, int]:
    """Module -> layer number, from the table in docs/architecture.md (`x.*`: a package)."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    found: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r"\| (\d+) [^|]*\| ([^|]*) \|", line)
        if not match:
            continue
        for name in re.findall(r"`([\w.*]+)`", match.group(2)):
            full = name if name == "alpineguard" else f"alpineguard.{name}"
            stem = full.removesuffix(".*")
            members = [m for m in MODULES if m == stem or (full.endswith(".*") and m.startswith(stem + "."))]
            assert members, f"docs/architecture.md names {name}, which is no module"
            for member in members:
                found[member] = int(match.group(1))
    return found


def test_every_module_has_a_layer():
    assert sorted(set(MODULES) - set(layers())) == []


def test_imports_never_point_to_a_higher_layer():
    layer = layers()
    upward = [f"{module} (layer {layer[module]}) imports {target} (layer {layer[target]})"
              for module, targets in imports().items() for target in targets if layer[target] > layer[module]]
    assert upward == []


def bottom_up(graph: dict[str, set[str]]) -> list[str]:
    """The modules, each after everything it imports; fails naming a cycle if there is one."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        if state.get(module) == "done":
            return
        if state.get(module) == "visiting":
            cycle = path[path.index(module):] + [module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        state[module] = "visiting"
        for target in sorted(graph.get(module, ())):
            visit(target, path + [module])
        state[module] = "done"
        order.append(module)

    for module in sorted(graph):
        visit(module, [])
    return order


def test_no_import_cycle_even_counting_imports_inside_functions():
    bottom_up(imports())


def test_the_cycle_check_finds_a_cycle_through_a_late_import():
    with pytest.raises(pytest.fail.Exception, match="a -> b -> a"):
        bottom_up({"a": {"b"}, "b": {"a"}})


# Imports the modules bottom-up and reports which package modules each import loaded.
_IMPORTER = """
import importlib, json, sys
loaded = {}
for name in json.loads(sys.argv[1]):
    before = set(sys.modules)
    importlib.import_module(name)
    loaded[name] = sorted(m for m in set(sys.modules) - before if m.startswith("alpineguard"))
print(json.dumps(loaded))
"""


def needed(module: str, graph: dict[str, set[str]]) -> set[str]:
    """What importing `module` may load: its imports and, as Python imports a package before
    its modules, its parent packages, each with what they need in turn."""
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += graph.get(current, ())
        if "." in current:
            todo.append(current.rsplit(".", 1)[0])
    return seen


def test_bottom_up_imports_in_a_fresh_interpreter_load_nothing_above():
    """In a fresh interpreter, importing the modules in dependency order, each import loads
    only what the static graph says it needs, and nothing from a higher layer. A module that
    imported more at import time (say through importlib) or from above would show here."""
    graph, layer = imports(), layers()
    order = [m for m in bottom_up(graph) if not m.endswith("__main__")]
    done = subprocess.run([sys.executable, "-c", _IMPORTER, json.dumps(order)], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert list(loaded) == order
    unexpected = {name: sorted(set(modules) - needed(name, graph)) for name, modules in loaded.items()}
    assert {name: extra for name, extra in unexpected.items() if extra} == {}
    higher = {name: [m for m in modules if layer[m] > layer[name]] for name, modules in loaded.items()}
    assert {name: above for name, above in higher.items() if above} == {}
