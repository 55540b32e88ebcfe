"""A library's theme: its own templates and static files over the site's built-in ones.

The site channel's ``theme`` setting names a folder of the library (``theme`` by convention)::

    theme/
      templates/      # Jinja2 templates: a file named like a built-in one replaces it
        _header.html  #   e.g. the header (the centre's emblem and name), _footer.html, base.html
      static/         # served under static/: site.css replaces the built-in one, theme.css is
        theme.css     #   loaded after it on every page; images (emblem.png…) are published as is
        emblem.png

Nothing may lead out of the folder: the setting is a relative path inside the library, and the
theme holds plain files only (no links, no subfolders) with simple names and known extensions.
Every file is read once, when the site is set up; its bytes are part of the site's fingerprint, so
a changed theme makes the next publish a full build (every page with the new templates).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from guidesrc.errors import ChannelError
from guidesrc.i18n import _

TEMPLATE_SUFFIXES = (".html", ".xml")
STATIC_SUFFIXES = (
    ".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".woff2",
)  # fmt: skip
FILE_LIMIT = 2 * 1024 * 1024  # bytes per theme file
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")
_PARTS = {"templates": TEMPLATE_SUFFIXES, "static": STATIC_SUFFIXES}


@dataclass(frozen=True, slots=True)
class Theme:
    """A theme's files, read: template name → source, static file name → bytes."""

    folder: str  # as written in library.yaml
    templates: dict[str, str]
    static: dict[str, bytes]

    def digest(self) -> str:
        body = hashlib.sha256()
        for part, files in (("templates", self.templates), ("static", self.static)):
            for name in sorted(files):
                data = files[name]
                body.update(f"{part}/{name}\0".encode())
                body.update(data.encode() if isinstance(data, str) else data)
                body.update(b"\0")
        return body.hexdigest()


def _refuse(folder: str, reason: str) -> ChannelError:
    return ChannelError(
        _("the site's theme {folder} is refused: {reason}").format(folder=folder, reason=reason)
    )


def theme_folder(library: Path, rel: str) -> Path:
    """The theme's folder: a relative path that stays inside the library, links resolved."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel:
        raise _refuse(rel, _("write a folder inside the library, e.g. theme"))
    base = library.resolve()
    folder = (library / rel).resolve()
    if not folder.is_relative_to(base) or folder == base:
        raise _refuse(rel, _("it leads out of the library"))
    if not folder.is_dir():
        raise _refuse(rel, _("there is no such folder"))
    return folder


def load_theme(library: Path, rel: str) -> Theme:
    """The theme at ``rel`` of the library, every file checked and read."""
    folder = theme_folder(library, rel)
    found: dict[str, dict[str, bytes]] = {"templates": {}, "static": {}}
    for entry in sorted(folder.iterdir()):
        if entry.name not in _PARTS or entry.is_symlink() or not entry.is_dir():
            raise _refuse(
                rel,
                _("{name}: a theme holds only the folders templates/ and static/").format(
                    name=entry.name
                ),
            )
        for path in sorted(entry.iterdir()):
            found[entry.name][path.name] = _theme_file(rel, entry.name, path)
    templates: dict[str, str] = {}
    for name, data in found["templates"].items():
        try:
            templates[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise _refuse(rel, _("templates/{name}: not UTF-8 text").format(name=name)) from None
    return Theme(rel, templates, found["static"])


def _theme_file(rel: str, part: str, path: Path) -> bytes:
    """One file of the theme's ``part`` folder: a plain file with a simple name, known suffix
    and bounded size."""
    where = f"{part}/{path.name}"
    if path.is_symlink() or not path.is_file():
        raise _refuse(rel, _("{file}: only plain files (no links, no folders)").format(file=where))
    if not _NAME.match(path.name) or path.suffix.lower() not in _PARTS[part]:
        raise _refuse(
            rel,
            _("{file}: use a simple file name ending in one of {suffixes}").format(
                file=where, suffixes=" ".join(_PARTS[part])
            ),
        )
    if path.stat().st_size > FILE_LIMIT:
        raise _refuse(rel, _("{file}: larger than 2 MB").format(file=where))
    return path.read_bytes()
