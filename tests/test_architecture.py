"""The import graph of bot/, handlers/ and jobs/, read from the source with `ast` (top-level and
function-level imports alike): no cycles, no function-level import of a project module outside the
few deliberate spots below, and the layers of docs/architecture.md (the domain knows nothing of
Slack; listeners get a runtime, not the app)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "jobs")

# Function-level imports of project modules that are meant: (importing module, imported module).
DEFERRED = {
    # The CLI imports what a command runs when it runs: the app, SQLAlchemy and every listener cost
    # ~0.8 s that `--help` and `check-config` should not pay.
    ("bot.__main__", "bot.app"),
    ("bot.__main__", "bot.sandbox.run"),
    ("bot.__main__", "bot.importer"),
    ("bot.__main__", "bot.domain.privacy"),
    ("bot.__main__", "bot.db"),
    ("bot.__main__", "bot.leader"),
    ("bot.__main__", "bot.slack.channels"),  # the Slack client, only when check-config has a token
}
# Imports by computed name: plugin discovery (listeners, subscribers, jobs register themselves by
# living in their folder) and each config section's own reference check.
DYNAMIC = {"bot.discover", "bot.config"}
# (importer prefix, forbidden prefixes): the layers that must not depend on each other.
LAYERS = [
    ("bot.domain", ("bot.notify", "bot.slack", "bot.app", "handlers", "jobs")),
    ("handlers", ("bot.app", "bot.__main__")),
    ("jobs", ("bot.app", "bot.__main__", "handlers")),
]


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    in_function: bool


def project_modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    out = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an import name loads: itself, else its nearest package (`from x import y`
    where y is a function names x)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _dynamic(node: ast.AST) -> bool:
    """`__import__(...)` or `importlib.import_module(...)`."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    return (isinstance(f, ast.Name) and f.id == "__import__") or (isinstance(f, ast.Attribute) and f.attr == "import_module")


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> tuple[list[Import], list[int]]:
    """The project imports of one module, and the lines of its imports by computed name."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []
    dynamic: list[int] = []

    def names(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Import):
            return [a.name for a in node.names]
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            return [f"{base}.{a.name}" for a in node.names]
        if _dynamic(node):
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                return [arg.value]
            dynamic.append(node.lineno)
        return []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            for name in names(child):
                target = _resolve(name, modules)
                if target and target != module:
                    found.append(Import(module, target, child.lineno, in_function))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found, dynamic


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> tuple[list[Import], dict[str, list[int]]]:
    modules = project_modules(root, packages)
    edges: list[Import] = []
    dynamic: dict[str, list[int]] = {}
    for name, path in modules.items():
        found, lines = imports_of(name, path, modules)
        edges += found
        if lines:
            dynamic[name] = lines
    return edges, dynamic


def cycles(edges: list[Import]) -> list[list[Import]]:
    """One cycle (as the imports that form it) per strongly connected component of the graph."""
    graph: dict[str, dict[str, Import]] = {}
    for e in edges:
        graph.setdefault(e.source, {}).setdefault(e.target, e)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def strongconnect(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, {})):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return [_cycle_in(graph, component) for component in components]


def _cycle_in(graph: dict[str, dict[str, Import]], component: set[str]) -> list[Import]:
    """A shortest path back to the component's first module (breadth first, inside the component)."""
    start = min(component)
    paths: dict[str, list[Import]] = {start: []}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w, e in sorted(graph.get(v, {}).items()):
            if w == start:
                return paths[v] + [e]
            if w in component and w not in paths:
                paths[w] = paths[v] + [e]
                queue.append(w)
    raise AssertionError(f"no cycle through {start}")  # a component of 2+ modules always has one


def describe(cycle: list[Import]) -> str:
    return cycle[0].source + "".join(f" → {e.target} (line {e.line})" for e in cycle)


# -- the project -----------------------------------------------------------------------------------


def test_no_import_cycles():
    edges, _ = import_graph()
    found = cycles(edges)
    assert not found, "import cycles (move the shared code where it belongs; no lazy import):\n" + "\n".join(
        describe(c) for c in found
    )


def test_no_function_level_import_of_a_project_module():
    edges, dynamic = import_graph()
    late = sorted({(e.source, e.target, e.line) for e in edges if e.in_function and (e.source, e.target) not in DEFERRED})
    assert not late, "function-level imports of project modules (import at the top; a cycle means misplaced code):\n" + "\n".join(
        f"{s}:{line} imports {t}" for s, t, line in late
    )
    unexpected = {m: lines for m, lines in dynamic.items() if m not in DYNAMIC}
    assert not unexpected, f"imports by computed name outside plugin discovery: {unexpected}"
    used = {(e.source, e.target) for e in edges if e.in_function}
    assert DEFERRED <= used, f"no longer deferred, drop from DEFERRED: {sorted(DEFERRED - used)}"


def test_layers():
    edges, _ = import_graph()
    wrong = sorted(
        f"{e.source}:{e.line} imports {e.target}"
        for e in edges
        for source, forbidden in LAYERS
        if (e.source == source or e.source.startswith(source + "."))
        and any(e.target == f or e.target.startswith(f + ".") for f in forbidden)
    )
    assert not wrong, "layering (docs/architecture.md):\n" + "\n".join(wrong)


# -- the checker itself, on a planted tree ---------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_checker_finds_a_cycle_through_a_function_level_import(tmp_path):
    _tree(tmp_path, {
        "bot/__init__.py": "",
        "bot/a.py": "from bot.b import f\n",
        "bot/b.py": "def f():\n    from bot import c\n",
        "bot/c.py": "from . import a\n",
        "bot/d.py": "import bot.a\n",  # depends on the cycle, is not part of it
    })  # fmt: skip
    edges, _ = import_graph(tmp_path, ("bot",))
    [cycle] = cycles(edges)
    assert describe(cycle) == "bot.a → bot.b (line 1) → bot.c (line 2) → bot.a (line 1)"
    assert [(e.source, e.target) for e in edges if e.in_function] == [("bot.b", "bot.c")]


def test_checker_sees_dynamic_imports_and_an_acyclic_tree_passes(tmp_path):
    _tree(tmp_path, {
        "jobs/__init__.py": "import importlib\ndef load(n):\n    importlib.import_module(n)\n",
        "jobs/x.py": "def f():\n    __import__('jobs.y')\n",
        "jobs/y.py": "from jobs import z\n",
        "jobs/z.py": "",
    })  # fmt: skip
    edges, dynamic = import_graph(tmp_path, ("jobs",))
    assert cycles(edges) == []
    assert dynamic == {"jobs": [3]}
    assert {(e.source, e.target, e.in_function) for e in edges} == {("jobs.x", "jobs.y", True), ("jobs.y", "jobs.z", False)}


# -- listeners: parse the payload, one domain call, tell the result ---------------------------------------
LISTENER_DIRS = ("actions", "views", "commands", "events", "home")
LISTENER_MODULE_LINES = 120  # a listener module that grows past this is deciding things itself
LISTENER_FUNCTION_LINES = 30
FORBIDDEN_IMPORTS = ("bot.models", "bot.db", "sqlalchemy")


def _listener_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for d in LISTENER_DIRS for p in (root / "handlers" / d).glob("*.py") if p.name != "__init__.py")


def state_changes_in_listener(path: Path) -> list[str]:
    """Ways a listener module could change database state other than through a domain call."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [f"line {node.lineno}: imports {n}" for n in names if n.startswith(FORBIDDEN_IMPORTS)]
        elif isinstance(node, ast.Attribute) and node.attr == "session":
            found.append(f"line {node.lineno}: uses a database session")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [f"line {node.lineno}: sets an attribute" for t in targets if isinstance(t, ast.Attribute | ast.Subscript)]
    return found


def too_long(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = [f"{len(text.splitlines())} lines"] if len(text.splitlines()) > LISTENER_MODULE_LINES else []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > LISTENER_FUNCTION_LINES:
            found.append(f"{node.name}() is {node.end_lineno - node.lineno + 1} lines")
    return found


def test_no_listener_changes_state_except_through_the_domain():
    problems = {str(p.relative_to(ROOT)): s for p in _listener_files() if (s := state_changes_in_listener(p))}
    assert problems == {}, problems


def test_listeners_stay_short():
    problems = {str(p.relative_to(ROOT)): s for p in _listener_files() if (s := too_long(p))}
    assert problems == {}, problems


def test_the_listener_checks_see_a_listener_that_writes(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from bot.models import Lead\n"
        "async def handle(ack, body, context):\n"
        "    async with context['baton'].ctx.uow() as uow:\n"
        "        lead = await uow.session.get(Lead, 1)\n"
        "        lead.stage = 'sal'\n",
        encoding="utf-8",
    )
    assert len(state_changes_in_listener(bad)) == 3
    bad.write_text("def f():\n" + "    x = 1\n" * LISTENER_FUNCTION_LINES, encoding="utf-8")
    assert too_long(bad) == [f"f() is {LISTENER_FUNCTION_LINES + 1} lines"]
