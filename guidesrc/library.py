"""Where things are in a content library.

::

    library.yaml                 name, region code, base URL, time zone, channels, rule levels
    guides/<id>.yaml             one guide per service item (sub-folders allowed, e.g. by department)
    catalogues/materials.yaml    材料目录
    catalogues/legal-bases.yaml  法律法规库
    catalogues/offices.yaml      办理地点 (halls, windows, hours, phones)
    catalogues/faq.yaml          咨询问答知识库
    files/                       blank forms, samples (referenced from guides)
    .guides/                     tool state: cache, ledger (not content; ignored by git)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from guidesrc.errors import LibraryNotFoundError
from guidesrc.i18n import _

CONFIG_FILE = "library.yaml"
APPROVERS_FILE = "approvers.yaml"  # who may approve (guidesrc.approvers); optional
GUIDES_DIR = "guides"
CATALOGUE_DIR = "catalogues"
FILES_DIR = "files"
STATE_DIR = ".guides"
YAML_SUFFIXES = (".yaml", ".yml")

#: Size limits: a guide is a few KB; anything near these is a mistake (or an attack), not content.
MAX_GUIDE_BYTES = 1024 * 1024
MAX_CATALOGUE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LibraryLayout:
    root: Path
    guides: list[str]  # paths relative to root, "/"-separated, sorted
    files: frozenset[str]

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR


def find_root(start: Path) -> Path:
    """The library folder: ``start`` or the nearest parent holding ``library.yaml``."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    if not start.exists():
        raise LibraryNotFoundError(_("{path}: no such folder").format(path=start))
    raise LibraryNotFoundError(
        _(
            "{path}: not a guides library ({config} not found here or above); create one with: guides init DIR"
        ).format(path=start, config=CONFIG_FILE)
    )


def scan(root: Path) -> LibraryLayout:
    return LibraryLayout(
        root=root,
        guides=sorted(_walk(root, GUIDES_DIR, YAML_SUFFIXES)),
        files=frozenset(_walk(root, FILES_DIR, None)),
    )


def _walk(root: Path, folder: str, suffixes: tuple[str, ...] | None) -> list[str]:
    """Relative paths of the files below ``root/folder``, skipping hidden entries and links."""
    found: list[str] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(root / current))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            rel = f"{current}/{entry.name}"
            if entry.is_dir():
                stack.append(rel)
            elif suffixes is None or entry.name.endswith(suffixes):
                found.append(rel)
    return found
