"""`guides init`: a new library from the skeleton shipped in the package."""

from __future__ import annotations

import shutil
from pathlib import Path

from guidesrc.errors import LibraryIOError
from guidesrc.i18n import _
from guidesrc.schemagen import SCHEMAS, render

SKELETON = Path(__file__).resolve().parent / "skeleton"
GITIGNORE = "# tool state (cache, local ledger): not content\n.guides/\n"


def create_library(directory: Path) -> list[Path]:
    """Copy the skeleton into ``directory`` (new or empty) and write the editor schemas."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise LibraryIOError(
            _("{path}: the folder exists and is not empty; choose a new folder").format(
                path=directory
            )
        )
    created: list[Path] = []
    try:
        for source in sorted(SKELETON.rglob("*")):
            target = directory / source.relative_to(SKELETON)
            if source.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                created.append(target)
        # Editors (VS Code with the YAML extension) read these through the $schema comment lines.
        for name in SCHEMAS:
            target = directory / "schemas" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(name), encoding="utf-8")
            created.append(target)
        (directory / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
        created.append(directory / ".gitignore")
    except OSError as exc:
        raise LibraryIOError(
            _("{path}: cannot write: {error}").format(path=directory, error=exc.strerror)
        ) from exc
    return created
