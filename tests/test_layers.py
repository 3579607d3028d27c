"""The layers of DESIGN.md, enforced: imports point down, no cycles, small modules.

Every module under `app/` is read with `ast` (nothing is imported). An import counts wherever
it is written: at the top, inside a function, or under `TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
TESTS = Path(__file__).resolve().parent
MAX_LINES = 300
# Packages that are parts of another package, not layers of their own.
NOT_LAYERS = {"app", "app.agent.prompts", "app.store.migrations", "app.store.migrations.versions"}

# Top-level part of Honk -> the layer it belongs to.
LAYER_OF = {
    "cli": "entry",
    "__main__": "entry",
    "process": "entry",
    "web": "web",
    "slack": "web",
    "worker": "jobs",
    "flows": "jobs",
    "eval": "jobs",
    "agent": "agent",
    "github": "adapter",
    "workspace": "adapter",
    "sandbox": "adapter",
    "store": "adapter",
    "metrics": "adapter",  # counters every layer may touch (prometheus-client)
    "core": "core",
    "": "core",  # `app/__init__.py`: a docstring only
}
# Layer -> the parts of Honk it may import (besides its own part). Entry may import everything.
MAY_IMPORT = {
    "web": {"core", "store", "metrics"},
    "jobs": {
        "core",
        "store",
        "github",
        "slack",
        "workspace",
        "sandbox",
        "agent",
        "flows",
        "metrics",
    },
    "agent": {"core", "sandbox", "metrics"},
    "adapter": {"core", "metrics"},
    "core": {""},
}
# Outside modules that do I/O: the pure core imports none of them.
IO_MODULES = {
    "aiohttp", "aiosqlite", "alembic", "anthropic", "asyncio.subprocess", "asyncpg", "fcntl",
    "githubkit", "http", "httpx", "prometheus_client", "shutil", "slack_bolt", "slack_sdk",
    "socket", "sqlalchemy", "sqlite3", "starlette", "subprocess", "urllib.request", "uvicorn",
}  # fmt: skip

Graph = Mapping[str, set[str]]


def module_name(path: Path) -> str:
    parts = ["app", *path.relative_to(APP).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(APP.rglob("*.py"))}


def imported_names(tree: ast.AST, package: str) -> set[str]:
    """Every dotted name an import statement in `tree` reaches (`from a import b` gives a.b)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve_relative(node, package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def resolve_relative(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*parts, *([node.module] if node.module else [])])


def import_graph(modules: Mapping[str, Path]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module -> Honk modules it imports, module -> outside names it imports)."""
    inside: dict[str, set[str]] = {}
    outside: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        reached = imported_names(ast.parse(path.read_text(), str(path)), package)
        targets = {target_module(n, modules) for n in reached if n.split(".")[0] == "app"}
        inside[name] = {t for t in targets if t is not None and t != name}
        outside[name] = {n for n in reached if n.split(".")[0] != "app"}
    return inside, outside


def target_module(name: str, modules: Mapping[str, object]) -> str | None:
    """`app.a.b.c` -> the longest prefix that is a module (`from m import function` -> m)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return None


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_violations(graph: Graph) -> list[str]:
    """`a -> b` for every import of `a` that points up (or sideways) the Layers table."""
    found = []
    for module, targets in sorted(graph.items()):
        layer = LAYER_OF[part_of(module)]
        if layer == "entry":
            continue
        allowed = MAY_IMPORT[layer] | {part_of(module)}
        found += [f"{module} -> {t}" for t in sorted(targets) if part_of(t) not in allowed]
    return found


def io_in_core(outside: Mapping[str, set[str]]) -> list[str]:
    found = []
    for module, names in sorted(outside.items()):
        if LAYER_OF[part_of(module)] == "core":
            found += [f"{module} -> {n}" for n in sorted(names) if _is_io(n)]
    return found


def _is_io(name: str) -> bool:
    return any(name == io or name.startswith(io + ".") for io in IO_MODULES)


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, set()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group: list[str] = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


MODULES = app_modules()
INSIDE, OUTSIDE = import_graph(MODULES)


def test_every_module_has_a_layer() -> None:
    assert {part_of(m) for m in MODULES} <= set(LAYER_OF)


def test_imports_point_down_the_layers() -> None:
    assert layer_violations(INSIDE) == []


def test_the_core_does_no_io() -> None:
    assert io_in_core(OUTSIDE) == []


def test_no_import_cycles() -> None:
    assert cycles(INSIDE) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_are_small_and_say_what_they_are(name: str) -> None:
    text = MODULES[name].read_text()
    assert len(text.splitlines()) <= MAX_LINES, f"{name}: over {MAX_LINES} lines"
    assert ast.get_docstring(ast.parse(text)), f"{name}: no docstring"


@pytest.mark.parametrize("package", sorted(p for p in MODULES if MODULES[p].name == "__init__.py"))
def test_packages_say_what_they_may_import(package: str) -> None:
    tree = ast.parse(MODULES[package].read_text())
    doc = ast.get_docstring(tree) or ""
    assert package in NOT_LAYERS or "May import" in doc
    if package != "app.agent.prompts":  # a module of code that happens to be a package
        assert INSIDE[package] == set(), f"{package}: an __init__ that imports invites cycles"


def test_tests_mirror_the_packages() -> None:
    folders = {p.parent.name for p in TESTS.glob("*/test_*.py")}
    assert folders <= {part_of(m) for m in MODULES}, folders - {part_of(m) for m in MODULES}


# -- the checks themselves can fail -----------------------------------------------------------


def _graph(edges: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    return graph


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("app.core.triggers", "app.store.queue"),  # core importing I/O
        ("app.web.server", "app.flows.job"),  # web importing flows
        ("app.web.server", "app.agent.loop"),  # web importing the agent
        ("app.web.server", "app.workspace.git"),  # web importing git
        ("app.agent.tools", "app.github.client"),  # agent importing github
        ("app.sandbox.sandbox", "app.github.client"),  # sandbox importing github
        ("app.github.repo", "app.store.pulls"),  # an adapter importing another
    ],
)
def test_an_upward_import_is_caught(source: str, target: str) -> None:
    assert layer_violations(_graph([(source, target)])) == [f"{source} -> {target}"]


def test_downward_imports_pass() -> None:
    edges = [("app.flows.job", "app.github.client"), ("app.cli", "app.flows.job")]
    assert layer_violations(_graph([*edges, ("app.agent.tools", "app.sandbox.shell")])) == []


def test_a_cycle_is_caught_inside_a_package() -> None:
    graph = _graph([("app.sandbox.sandbox", "app.sandbox.shell"), ("app.sandbox.shell", "x")])
    assert cycles(graph) == []
    graph["app.sandbox.shell"].add("app.sandbox.sandbox")
    assert cycles(graph) == [["app.sandbox.sandbox", "app.sandbox.shell"]]


def test_io_in_the_core_is_caught() -> None:
    outside = {"app.core.config": {"os", "httpx", "sqlalchemy.ext.asyncio"}, "app.cli": {"httpx"}}
    assert io_in_core(outside) == [
        "app.core.config -> httpx",
        "app.core.config -> sqlalchemy.ext.asyncio",
    ]


def test_function_local_and_type_checking_imports_count() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from app.store import queue\n"
        "def f():\n    import app.github.client\n"
        "from . import sibling\n"
    )
    names = imported_names(ast.parse(source), "app.core")
    assert {"app.store.queue", "app.github.client", "app.core.sibling"} <= names
