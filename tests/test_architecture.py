"""The package's layout: no import circle, layers kept, no private names across modules, light imports.

The import graph is read from the sources with :mod:`ast`: every ``import`` and ``from ... import``
statement of a module, at module level or inside a function or class, absolute or relative. An
edge goes to the module the statement names (``from sim.kernels import decision`` reaches
``sim.kernels.decision``; ``from sim.config import SimConfig`` reaches ``sim.config``). Imports
under ``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "sim"

#: package -> the packages it must not import (lower layers never import higher ones).
FORBIDDEN = {
    "sim.outputs": ("sim.studies", "sim.cli", "sim.viz"),
    "sim.config": ("sim.engine", "sim.outputs", "sim.studies", "sim.cli", "sim.viz"),
    "sim.random": ("sim.engine", "sim.outputs", "sim.studies", "sim.cli", "sim.viz"),
    "sim.rules": ("sim.engine", "sim.outputs", "sim.studies", "sim.cli", "sim.viz"),
}
#: What ``import sim`` must not load, and what ``import sim.config`` must not load.
HEAVY = ("numba", "numpy", "pandas", "matplotlib", "mesa", "hydra")
CONFIG_HEAVY = ("hydra", "numba", "pandas", "mesa")


# ----------------------------------------------------------------------------- reading the sources
def modules(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root`` by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes under ``if TYPE_CHECKING:`` (imports for type hints only)."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            if getattr(test, "id", None) == "TYPE_CHECKING" or getattr(test, "attr", None) == "TYPE_CHECKING":
                skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skip


def imports(path: Path, name: str) -> list[tuple[ast.stmt, str, str | None, str | None]]:
    """Every import statement of module ``name`` (file ``path``), wherever it stands.

    Returns:
        ``(statement, module, imported name, alias)`` per imported name: ``(stmt, "a.b", None,
        alias)`` for ``import a.b [as alias]``, ``(stmt, "a.b", "c", alias)`` for ``from a.b
        import c [as alias]``; relative modules are resolved against ``name``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skip = _type_checking_only(tree)
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(node, a.name, None, a.asname) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            out += [(node, module, a.name, a.asname) for a in node.names]
    return out


def _known(dotted: str, known: dict[str, Path]) -> str | None:
    """The longest prefix of ``dotted`` that is a module of the package (None if none is)."""
    parts = dotted.split(".")
    while parts and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts) if parts else None


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (module level and inside functions)."""
    known = modules(root)
    graph = {}
    for name, path in known.items():
        targets = set()
        for _, module, imported, _ in imports(path, name):
            submodule = f"{module}.{imported}" if imported else None
            target = submodule if submodule in known else _known(module, known)
            if target is not None and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One import circle per strongly connected group of modules, as a path ``[a, b, ..., a]``."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for group in groups:  # a shortest way from the group's first module back to it, within the group
        start = min(group)
        came_from = {start: None}
        todo = [start]
        while todo:
            v = todo.pop(0)
            for w in sorted(graph[v] & group):
                if w == start:
                    path = [v]
                    while came_from[path[-1]] is not None:
                        path.append(came_from[path[-1]])
                    cycles.append([*reversed(path), start])
                    todo = []
                    break
                if w not in came_from:
                    came_from[w] = v
                    todo.append(w)
    return sorted(cycles)


def layer_breaches(graph: dict[str, set[str]], forbidden: dict[str, tuple[str, ...]]) -> list[str]:
    """``a -> b`` for every import of a package's module into a package it must not import."""

    def within(module: str, package: str) -> bool:
        return module == package or module.startswith(package + ".")

    return sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                  for layer, banned in forbidden.items() if within(a, layer)
                  for other in banned if within(b, other))


def private_uses(root: Path) -> list[str]:
    """Every use of another module's private name: ``from m import _x`` and ``m._x`` (m a module).

    A private name starts with one underscore (``__dunder__`` names are not private). ``m`` is a
    name the file binds to a module of the package by an import statement.
    """
    known = modules(root)
    top = root.name
    found = []
    for name, path in known.items():
        aliases = {}
        for node, module, imported, alias in imports(path, name):
            if module is None or not (module == top or module.startswith(top + ".")):
                continue
            if imported is None:  # import a.b.c [as x]
                if alias:
                    aliases[alias] = module
                else:
                    aliases[module.split(".")[0]] = module.split(".")[0]
                continue
            if imported.startswith("_") and not imported.startswith("__") and module != name:
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                found.append(f"{where}: from {module} import {imported}")
            if f"{module}.{imported}" in known:
                aliases[alias or imported] = f"{module}.{imported}"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                continue
            chain, value = [], node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if not isinstance(value, ast.Name) or value.id not in aliases:
                continue
            owner = ".".join([aliases[value.id], *reversed(chain)])
            if owner in known and owner != name:
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {owner}.{node.attr}")
    return found


def undocumented(root: Path) -> list[str]:
    """The package's modules without a module docstring (paths from the package's parent)."""
    return [path.relative_to(root.parent).as_posix() for path in modules(root).values()
            if ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None]


# ----------------------------------------------------------------------------- the package's layout
def test_no_import_circle():
    cycles = find_cycles(import_graph(PACKAGE))
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_layers_are_kept():
    breaches = layer_breaches(import_graph(PACKAGE), FORBIDDEN)
    assert not breaches, "imports across layers:\n" + "\n".join(breaches)


def test_no_module_uses_another_modules_private_names():
    uses = private_uses(PACKAGE)
    assert not uses, "private names used across modules:\n" + "\n".join(uses)


def test_every_module_has_a_docstring():
    missing = undocumented(PACKAGE)
    assert not missing, f"modules without a docstring: {missing}"


def _loaded(statement: str, heavy: tuple[str, ...]) -> list[str]:
    """Which of ``heavy`` are in ``sys.modules`` after ``statement`` in a fresh interpreter."""
    code = f"{statement}; import sys; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_importing_sim_is_light():
    assert _loaded("import sim", HEAVY) == []


def test_importing_the_config_loads_no_engine_and_no_hydra():
    assert _loaded("import sim.config", CONFIG_HEAVY) == []


def test_the_light_import_check_sees_a_heavy_import():
    assert _loaded("import sim, numpy", HEAVY) == ["numpy"]


# ----------------------------------------------------------------------------- the checks can fail
def _package(root: Path, files: dict[str, str]) -> Path:
    """A fake package ``pkg`` under ``root`` with the given module sources."""
    pkg = root / "pkg"
    for relative, text in {"__init__.py": '"""pkg."""\n', **files}.items():
        path = pkg / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return pkg


def test_a_planted_circle_is_found_through_relative_and_function_level_imports(tmp_path):
    pkg = _package(tmp_path, {
        "a.py": "from pkg.b import f\n",
        "b.py": "def f():\n    from .sub import c\n",
        "sub/__init__.py": "",
        "sub/c.py": "import pkg.a as a\n",
        "d.py": "from pkg import a\n",  # into the circle, not part of it
    })
    assert find_cycles(import_graph(pkg)) == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]


def test_no_circle_without_one_and_type_hints_do_not_count(tmp_path):
    pkg = _package(tmp_path, {
        "a.py": "from pkg.b import f\n",
        "b.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import g\n"
                 "def f():\n    import json\n"),
    })
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == set()
    assert find_cycles(graph) == []


def test_a_planted_layer_breach_is_found(tmp_path):
    pkg = _package(tmp_path, {
        "low/__init__.py": "",
        "low/x.py": "def f():\n    from pkg.high import y\n",
        "high/__init__.py": "",
        "high/y.py": "from pkg.low import x\n",
    })
    assert layer_breaches(import_graph(pkg), {"pkg.low": ("pkg.high",)}) == ["pkg.low.x -> pkg.high.y"]


def test_planted_private_uses_are_found(tmp_path):
    pkg = _package(tmp_path, {
        "a.py": "_hidden = 1\nshown = 2\n\ndef _f():\n    return _hidden\n",
        "b.py": "from pkg.a import _hidden, shown\n",
        "c.py": ("import pkg.a as m\nfrom pkg import a\n\n"
                 "def g(self):\n    return m._f(), a._hidden, self._x, a.shown\n"),
        "d.py": "import pkg.a\nfrom . import a as rel\nx = pkg.a._hidden + rel._hidden\n",
        "e.py": "from pkg import __doc__ as doc\n",
    })
    found = [line.split(": ", 1)[1] for line in private_uses(pkg)]
    assert sorted(found) == sorted(["from pkg.a import _hidden", "pkg.a._f", "pkg.a._hidden",
                                    "pkg.a._hidden", "pkg.a._hidden"])


def test_a_module_without_a_docstring_is_seen(tmp_path):
    pkg = _package(tmp_path, {"a.py": "x = 1\n", "b.py": "# a comment\n", "c.py": '"""c."""\n',
                              "sub/__init__.py": ""})
    assert undocumented(pkg) == ["pkg/a.py", "pkg/b.py", "pkg/sub/__init__.py"]
