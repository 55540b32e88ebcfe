"""`guides init`: a new library from the skeleton shipped in the package."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from guidesrc.errors import LibraryIOError
from guidesrc.i18n import _
from guidesrc.schemagen import SCHEMAS, render

SKELETON = Path(__file__).resolve().parent / "skeleton"
GITIGNORE = "# tool state (cache, local ledger): not content\n.guides/\n"
#: The skeleton's sample guide is dated this; ``guides init`` dates it the day it runs, so that a
#: first ``guides approve`` takes it as proposed (a new guide dated in the past is refused).
SAMPLE_DATE = "effective_date: 2026-01-01\n"


def create_library(directory: Path, today: dt.date | None = None) -> list[Path]:
    """Copy the skeleton into ``directory`` (new or empty) and write the editor schemas;
    ``today``: the date to give the sample guide (None: the skeleton's)."""
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
                if today is not None and source.parent.name == "guides":
                    text = target.read_text(encoding="utf-8")
                    dated = text.replace(SAMPLE_DATE, f"effective_date: {today.isoformat()}\n")
                    target.write_text(dated, encoding="utf-8")
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
