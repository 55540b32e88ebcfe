"""Architecture figures of the guidesrc package, measured with the standard library's ``ast`` only.

Prints (issue 17):

- import arrows between guidesrc modules, those at module level and those inside functions
  counted separately (an arrow is one importing module -> one imported module);
- import cycles: strongly connected components of the graph of ALL imports, in-function ones
  included (an import hidden in a function is still an arrow), each named by its modules;
- imports inside functions: how many, and where (``importlib.import_module`` called in a function
  counts as one: an import by name is still an import, and its arrow is drawn when the name is a
  string constant, written in the call or assigned at module level); a module declared at the
  top with ``guidesrc.deferred.deferred("guidesrc.x")`` (imported when first used) is an arrow
  at module level, like an import there;
- the largest modules, in lines;
- functions over 60 lines (outside tests), how many and which.

Usage: python bench/architecture.py [--package guidesrc] [--top 10] [--list]
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LONG_FUNCTION = 60


@dataclass
class Module:
    name: str
    path: Path
    lines: int
    is_package: bool
    top_imports: set[str] = field(default_factory=set)
    inner_imports: set[str] = field(default_factory=set)
    inner_sites: list[tuple[int, str]] = field(default_factory=list)  # (line, function)
    long_functions: list[tuple[int, str, int]] = field(default_factory=list)  # line, name, length


def module_name(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def resolve(module: Module, node: ast.ImportFrom) -> str:
    """The absolute module name a ``from ... import`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def targets(module: Module, node: ast.Import | ast.ImportFrom, known: set[str]) -> Iterator[str]:
    """The guidesrc modules one import statement depends on."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield from _known_prefix(alias.name, known)
        return
    base = resolve(module, node)
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        if submodule in known:  # from guidesrc.check import engine
            yield submodule
        else:
            yield from _known_prefix(base, known)


def _known_prefix(name: str, known: set[str]) -> Iterator[str]:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            yield candidate
            return


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _constants(tree: ast.Module) -> dict[str, str]:
    """The module-level names bound to a string constant (``SOURCE = "guidesrc.x"``)."""
    found: dict[str, str] = {}
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            names = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.update({n.id: value.value for n in names if isinstance(n, ast.Name)})
    return found


def _by_name(call: ast.Call, constants: dict[str, str], known: set[str]) -> set[str] | None:
    """The guidesrc module an ``import_module(...)`` or ``deferred(...)`` call loads (empty when
    not a constant), or None when the call is neither."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name not in ("import_module", "deferred"):
        return None
    arg = call.args[0] if call.args else None
    text = arg.value if isinstance(arg, ast.Constant) else None
    if isinstance(arg, ast.Name):
        text = constants.get(arg.id)
    return set(_known_prefix(text, known)) if isinstance(text, str) else set()


def scan(module: Module, tree: ast.Module, known: set[str]) -> None:
    """Fill in a module's imports and long functions."""
    constants = _constants(tree)

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and function is None and _is_type_checking(child):
                # typing-only imports are not run: no arrow; what the else branch runs is
                visit(ast.Module(body=child.orelse, type_ignores=[]), function)
                continue
            loaded = _by_name(child, constants, known) if isinstance(child, ast.Call) else None
            if loaded is not None and function is None:
                module.top_imports |= loaded - {module.name}
            elif loaded is not None:
                module.inner_sites.append((child.lineno, function))
                module.inner_imports |= loaded - {module.name}
            if isinstance(child, ast.Import | ast.ImportFrom):
                found = set(targets(module, child, known)) - {module.name}
                if function is None:
                    module.top_imports |= found
                else:
                    module.inner_sites.append((child.lineno, function))
                    module.inner_imports |= found
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (child.end_lineno or child.lineno) - child.lineno + 1
                if length > LONG_FUNCTION:
                    module.long_functions.append((child.lineno, child.name, length))
                visit(child, child.name if function is None else f"{function}.{child.name}")
            else:
                visit(child, function)

    visit(tree, None)


def load(package: Path) -> dict[str, Module]:
    root = package.parent
    modules: dict[str, Module] = {}
    for path in sorted(package.rglob("*.py")):
        name, is_package = module_name(path, root)
        text = path.read_text(encoding="utf-8")
        modules[name] = Module(name, path, text.count("\n"), is_package)
    known = set(modules)
    for module in modules.values():
        scan(module, ast.parse(module.path.read_text(encoding="utf-8")), known)
    return modules


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def layers(graph: dict[str, set[str]]) -> int:
    """Longest import chain (in modules) once cycles are collapsed: how many layers there are."""
    depth: dict[str, int] = {}
    visiting: set[str] = set()

    def walk(node: str) -> int:
        if node in depth:
            return depth[node]
        if node in visiting:
            return 0
        visiting.add(node)
        below = [walk(child) for child in graph.get(node, ())]
        visiting.discard(node)
        depth[node] = 1 + max(below, default=0)
        return depth[node]

    return max((walk(node) for node in graph), default=0)


def report(modules: dict[str, Module], top: int, listing: bool) -> None:
    top_arrows = sum(len(m.top_imports) for m in modules.values())
    inner_only = sum(len(m.inner_imports - m.top_imports) for m in modules.values())
    graph = {name: m.top_imports | m.inner_imports for name, m in modules.items()}
    all_arrows = sum(len(targets) for targets in graph.values())
    found = cycles(graph)
    sites = [(m.name, line, fn) for m in modules.values() for line, fn in m.inner_sites]
    long_functions = [
        (m.name, line, name, length)
        for m in modules.values()
        for line, name, length in m.long_functions
    ]
    total_lines = sum(m.lines for m in modules.values())

    print(f"modules: {len(modules)} ({total_lines} lines)")
    print(f"import arrows (all): {all_arrows}")
    print(f"  at module level: {top_arrows}")
    print(f"  only inside functions: {inner_only}")
    print(f"layers (longest import chain): {layers(graph)}")
    print(f"import cycles: {len(found)}")
    for component in found:
        print(f"  {' <-> '.join(component)}")
    print(f"imports inside functions: {len(sites)} in {len({s[0] for s in sites})} modules")
    per_module: dict[str, int] = defaultdict(int)
    for name, _line, _fn in sites:
        per_module[name] += 1
    for name, count in sorted(per_module.items(), key=lambda item: (-item[1], item[0])):
        where = ", ".join(f"{fn}:{line}" for n, line, fn in sites if n == name)
        print(f"  {count:3d} {name}" + (f"  ({where})" if listing else ""))
    largest = sorted(modules.values(), key=lambda m: -m.lines)
    print(f"largest module: {largest[0].name} ({largest[0].lines} lines)")
    print(f"modules over 600 lines: {sum(m.lines > 600 for m in modules.values())}")
    for module in largest[:top]:
        print(f"  {module.lines:5d} {module.name}")
    print(f"functions over {LONG_FUNCTION} lines: {len(long_functions)}")
    for name, line, function, length in sorted(long_functions, key=lambda f: -f[3]):
        print(f"  {length:4d} {name}:{line} {function}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, default=ROOT / "guidesrc")
    parser.add_argument("--top", type=int, default=10, help="how many of the largest modules")
    parser.add_argument("--list", action="store_true", help="say where each in-function import is")
    args = parser.parse_args(argv)
    report(load(args.package.resolve()), args.top, args.list)
    return 0


if __name__ == "__main__":
    sys.exit(main())
