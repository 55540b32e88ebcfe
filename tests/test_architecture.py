"""The package's layers hold (docs/architecture.md): no import cycle, nothing imports upward,
no module over 600 lines, no function over 60 lines, imports inside functions only in the CLI's
lazy command table and the few :data:`INNER_IMPORTS_ALLOWED` names with their reason.

The figures come from ``bench/architecture.py`` (the standard library's ``ast``; nothing of the
package is imported or run), which ``docs/benchmarks.md`` quotes.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Who may import a layer: the front ends call the services; nothing calls a front end.
FRONT_ENDS = ("guidesrc.cli", "guidesrc.__main__")
SERVICE_CALLERS = (*FRONT_ENDS, "guidesrc.web", "guidesrc.kiosk", "guidesrc.site.preview")


def _architecture() -> ModuleType:
    spec = importlib.util.spec_from_file_location("architecture", ROOT / "bench/architecture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["architecture"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def modules() -> dict[str, object]:
    return _architecture().load(ROOT / "guidesrc")  # type: ignore[no-any-return]


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _arrows(modules: dict[str, object]) -> list[tuple[str, str]]:
    return [
        (name, target)
        for name, module in modules.items()
        for target in (*module.top_imports, *module.inner_imports)  # type: ignore[attr-defined]
    ]


def test_no_import_cycle(modules: dict[str, object]) -> None:
    arch = _architecture()
    graph = {
        name: set(m.top_imports) | set(m.inner_imports)  # type: ignore[attr-defined]
        for name, m in modules.items()
    }
    assert arch.cycles(graph) == []


def test_nothing_imports_the_cli(modules: dict[str, object]) -> None:
    upward = [
        (src, dst)
        for src, dst in _arrows(modules)
        if _within(dst, ("guidesrc.cli",)) and not _within(src, FRONT_ENDS)
    ]
    assert upward == []


def test_only_front_ends_call_the_services(modules: dict[str, object]) -> None:
    upward = [
        (src, dst)
        for src, dst in _arrows(modules)
        if _within(dst, ("guidesrc.services",))
        and not _within(src, (*SERVICE_CALLERS, "guidesrc.services"))
    ]
    assert upward == []


#: The bottom layer: small modules that know nothing of the others (docs/architecture.md).
BOTTOM = frozenset(
    f"guidesrc.{name}"
    for name in (
        "errors", "statuses", "diagnostics", "i18n", "library", "libfiles", "fsio", "cachekey",
        "yamlio", "urls", "markdown",
    )
)  # fmt: skip


def test_the_bottom_layer_imports_only_the_bottom_layer(modules: dict[str, object]) -> None:
    upward = [(src, dst) for src, dst in _arrows(modules) if src in BOTTOM and dst not in BOTTOM]
    assert upward == []


def test_no_module_over_600_lines(modules: dict[str, object]) -> None:
    large = {name: m.lines for name, m in modules.items() if m.lines > 600}  # type: ignore[attr-defined]
    assert large == {}


#: The imports a function may hold besides the CLI's lazy command table, and why.
INNER_IMPORTS_ALLOWED = {
    "guidesrc.deferred": "the one way a module is imported when first used, declared at the top of "
    "the module that needs it (pypinyin's dictionaries, Alembic, the check's content models), "
    "where bench/architecture.py draws its arrow",
}


def test_imports_inside_functions_only_in_the_command_table_and_the_allowed(
    modules: dict[str, object],
) -> None:
    inside = {name for name, m in modules.items() if m.inner_sites}  # type: ignore[attr-defined]
    assert inside - {"guidesrc.cli.root"} == set(INNER_IMPORTS_ALLOWED)


def test_no_function_over_60_lines(modules: dict[str, object]) -> None:
    long = {
        f"{name}:{line} {function}": length
        for name, m in modules.items()
        for line, function, length in m.long_functions  # type: ignore[attr-defined]
    }
    assert long == {}


def _logic(statement: ast.stmt) -> bool:
    """Anything but a docstring, an import or a dunder (``__all__``, ``__version__``)."""
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return False
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return False
    targets = statement.targets if isinstance(statement, ast.Assign) else []
    names = [getattr(t, "id", "") for t in targets]
    return not (len(names) == 1 and names[0].startswith("__") and names[0].endswith("__"))


def test_no_logic_in_a_package_init() -> None:
    """A package's ``__init__.py`` says what the package is and may re-export names; the code
    is in its modules (importing any module of a package runs its ``__init__`` first)."""
    found = {
        str(path.relative_to(ROOT)): [s.lineno for s in tree.body if _logic(s)]
        for path in sorted((ROOT / "guidesrc").rglob("__init__.py"))
        if (tree := ast.parse(path.read_text(encoding="utf-8")))
    }
    assert {path: lines for path, lines in found.items() if lines} == {}
