"""Modules imported when first used, declared at the top of the module that needs them.

Three modules cost much to import and are needed on few runs: pypinyin's dictionaries (≈ 0.4 s;
a publish needs them only for a name whose pinyin the site does not keep), Alembic (only when
the ledger's schema must change) and the content models of the check (only when a file must be
analysed). A module that needs one says so at its top, where every import is::

    if TYPE_CHECKING:
        from guidesrc.ledger import migrate
    else:
        migrate = deferred("guidesrc.ledger.migrate")

and the module is imported the first time one of its names is used (from any thread: once).
``bench/architecture.py`` draws the arrow like that of any import at the top of a module, so
the import graph shows it and a cycle through it is found. The CLI's command table
(:mod:`guidesrc.cli.root`) imports a command's module when it runs in the same way.
"""

from __future__ import annotations

import threading
from importlib import import_module
from types import ModuleType
from typing import Any


class Deferred(ModuleType):
    """Stands for the module ``name`` until one of its names is used; then is its names."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._lock = threading.Lock()
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)  # a probe (copy, pickle, inspect) imports nothing
        module = self._module
        if module is None:
            with self._lock:
                module = self._module = self._module or import_module(self.__name__)
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<deferred module {self.__name__!r} ({state})>"


def deferred(name: str) -> Any:
    """The module ``name``, imported when one of its names is first used."""
    return Deferred(name)
