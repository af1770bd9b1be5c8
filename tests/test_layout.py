"""The package's shape: imports run one way, modules stay small, start-up stays light."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "purernn"
MAX_LINES = 600


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _modules() -> dict:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, modules: dict) -> set:
    """Every purernn module that `name` imports, at module level or inside a function."""
    is_pkg = path.name == "__init__.py"
    package = name if is_pkg else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            if t in modules and t != name:
                out.add(t)
    return out


def _graph() -> dict:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _find_cycle(graph: dict):
    """One import cycle as a list of modules, or None (depth-first search)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _find_cycle(graph) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_import_graph_sees_relative_and_lazy_imports():
    graph = _graph()
    assert "purernn.model" in graph["purernn.simulation"]  # from .model import ...
    assert "purernn.runs" in graph["purernn.training"]
    assert "purernn.tasks" in graph["purernn.presets"]  # from . import tasks


def test_no_import_cycle_in_the_package():
    cycle = _find_cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_low_layers_do_not_import_high_ones():
    graph = _graph()
    tasks = [m for m in graph if m == "purernn.tasks" or m.startswith("purernn.tasks.")]
    for m in tasks:  # tasks need only NumPy (and the argument checks)
        assert graph[m] <= set(tasks) | {"purernn._validate", "purernn.errors"}, m
    top = ("purernn.sweep", "purernn.cli", "purernn.__main__")
    assert not [(m, d) for m, deps in graph.items() if not m.startswith(top)
                for d in deps if d.startswith(top)]


@pytest.mark.parametrize("name", sorted(_modules()))
def test_module_is_at_most_600_lines(name):
    n = len(_modules()[name].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{name} has {n} lines"


def _loaded_after(code: str) -> set:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


HEAVY = ("matplotlib", "dask", "h5py", "scipy.stats")


def test_import_purernn_is_light():
    loaded = _loaded_after("import purernn")
    assert not [m for m in HEAVY if m in loaded]
    assert "numba" not in loaded  # names load on first use


def test_first_use_loads_what_it_needs():
    loaded = _loaded_after("import purernn as pr; pr.Network")
    assert "purernn.model" in loaded and "numba" in loaded
    assert not [m for m in HEAVY if m in loaded]


def test_cli_version_and_tasks_need_no_numba_scipy_or_matplotlib():
    for argv in (["--version"], ["tasks"]):
        code = ("import sys\nfrom purernn import cli\ntry:\n    cli.main(" + repr(argv) + ")\n"
                "except SystemExit:\n    pass")
        loaded = _loaded_after(code)
        assert not [m for m in ("numba", "scipy", "matplotlib") if m in loaded], argv
