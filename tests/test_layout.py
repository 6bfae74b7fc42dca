"""The package's layout: the pipeline as folders, no import cycles, no two modules of one name.

Read from the source with :mod:`ast`, not by importing it, so that a cycle
Python happens to survive today (one side imported inside a function, or
first by luck of order) is found all the same.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "django_graft"

#: What sits at the top of the package besides the subpackages: the public API,
#: the app, its checks, errors and models (its settings are the conf/ package),
#: and two modules that keep dotted paths earlier versions published (a policy
#: preset, a queued task).
TOP_LEVEL = {
    "__init__",
    "apps",
    "checks",
    "exceptions",
    "models",
    "policies",
    "tasks",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
    }


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def _imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import run when its code runs, with whether it sits inside a function."""

    def visit(
        node: ast.AST, in_function: bool
    ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            yield from visit(child, inside)

    yield from visit(tree, False)


def _targets(node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> set[str]:
    """The package's modules an import statement runs."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    assert node.level == 0, "the package imports absolutely"
    base = node.module or ""
    if base not in modules:
        return set()
    # ``from package import name``: the submodule when there is one, else the package.
    return {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node, _ in _imports(ast.parse(path.read_text(), str(path))):
            graph[name] |= _targets(node, modules) - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_imports_inside_functions_say_why() -> None:
    """Only where app loading or an optional dependency needs it, and with a comment."""
    silent = []
    for name, path in _modules().items():
        lines = path.read_text().splitlines()
        for node, in_function in _imports(ast.parse("\n".join(lines), str(path))):
            if not in_function:
                continue
            if not _explained(lines, node.lineno - 1):
                silent.append(f"{name}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert silent == []


def _explained(lines: list[str], at: int) -> bool:
    """Whether line ``at`` carries a comment, or the run of imports it belongs to follows one."""
    if "#" in lines[at]:
        return True
    above = at - 1
    while above >= 0 and (
        not lines[above].strip() or lines[above].strip().startswith(("from ", "import ", ")"))
    ):
        above -= 1
    # ``try: import x`` / ``except ImportError``: an optional dependency, said by the code.
    return above >= 0 and lines[above].strip().startswith(("#", "try:"))


def test_the_top_level_holds_the_api_and_the_app_only() -> None:
    top = {path.stem for path in PACKAGE.glob("*.py")}
    assert top == TOP_LEVEL


def test_no_two_modules_share_a_name() -> None:
    names = Counter(
        path.stem
        for path in PACKAGE.rglob("*.py")
        if path.stem != "__init__" and "migrations" not in path.parts
    )
    assert [name for name, count in names.items() if count > 1] == []


def test_every_folder_is_described_in_the_code_guide() -> None:
    guide = (PACKAGE.parent.parent / "docs" / "code.md").read_text()
    folders = {
        path.parent.name
        for path in PACKAGE.glob("*/__init__.py")
        if path.parent.name != "migrations"
    }
    assert sorted(f for f in folders if f"`{f}/`" not in guide) == []
