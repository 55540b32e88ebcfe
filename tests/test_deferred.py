"""guidesrc.deferred: a module declared at the top, imported when one of its names is first used."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from guidesrc.deferred import deferred

BODY = """
import builtins
builtins.guidesrc_test_runs = getattr(builtins, "guidesrc_test_runs", 0) + 1
VALUE = object()
def answer():
    return 42
"""


@pytest.fixture
def module_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"deferred_probe_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(BODY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins

    builtins.guidesrc_test_runs = 0  # type: ignore[attr-defined]
    yield name
    sys.modules.pop(name, None)
    del builtins.guidesrc_test_runs  # type: ignore[attr-defined]


def runs() -> int:
    import builtins

    return int(builtins.guidesrc_test_runs)  # type: ignore[attr-defined]


def test_nothing_is_imported_until_a_name_is_used(module_name: str) -> None:
    module = deferred(module_name)
    assert module_name not in sys.modules and runs() == 0
    assert "not imported yet" in repr(module)
    assert getattr(module, "__wrapped__", None) is None  # a probe imports nothing
    assert module_name not in sys.modules
    assert module.answer() == 42
    assert runs() == 1 and module.VALUE is sys.modules[module_name].VALUE
    assert repr(module).endswith("(imported)>")


def test_threads_that_use_it_at_once_import_it_once(module_name: str) -> None:
    module = deferred(module_name)
    start = threading.Barrier(8)
    seen: list[object] = []

    def use() -> None:
        start.wait()
        seen.append(module.VALUE)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runs() == 1
    assert len(seen) == 8 and all(value is seen[0] for value in seen)


def test_a_missing_name_is_an_attribute_error(module_name: str) -> None:
    with pytest.raises(AttributeError):
        _ = deferred(module_name).no_such_name
