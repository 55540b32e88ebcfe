"""The fonts a printed sheet needs: Noto Sans CJK SC, regular and bold.

Debian's ``fonts-noto-cjk`` installs them in ``/usr/share/fonts/opentype/noto``; elsewhere
fontconfig (``fc-list``) is asked where they are, or the channel names a folder (``font_dir``).
Typst is then given that folder only (``ignore_system_fonts``), so the same input prints the same
bytes on every machine with the same fonts. Typst has no synthetic bold and would quietly print
missing characters with another font, so a missing family or weight is an error that says which
package to install — never a fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import typst

from guidesrc.errors import ChannelError
from guidesrc.i18n import _
from guidesrc.print.fontdirs import DEBIAN_DIR, FAMILY, fontconfig_folders

WEIGHTS = (400, 700)  # regular (body) and bold (headings, labels)
PACKAGE = "fonts-noto-cjk"


@dataclass(frozen=True, slots=True)
class FontSet:
    """Folders holding every font the template uses; Typst reads only these."""

    folders: tuple[str, ...]

    def typst(self) -> typst.Fonts:
        """The fonts as Typst reads them, read once per process and shared by its compilers
        (each compiler given the folders would read every font file's tables again)."""
        return typst_fonts(self.folders)


def find_fonts(font_dir: Path | None = None) -> FontSet:
    """The fonts in ``font_dir``, else in Debian's folder or where fontconfig has them.

    ChannelError (in the user's language, naming the Debian package) when they are missing.
    """
    if font_dir is not None:
        if _complete(str(font_dir)):
            return FontSet((str(font_dir),))
        raise ChannelError(
            _(
                "the print channel needs the font {family} (regular and bold), which is not in {folder}; install the Debian package {package} (apt-get install {package}) and set font_dir to its folder {default}, or to a folder that holds the font"
            ).format(family=FAMILY, folder=font_dir, package=PACKAGE, default=DEBIAN_DIR)
        )
    if _complete(DEBIAN_DIR):
        return FontSet((DEBIAN_DIR,))
    for folder in fontconfig_folders():  # asked only when Debian's folder lacks them (a process)
        if _complete(folder):
            return FontSet((folder,))
    raise ChannelError(
        _(
            "the print channel needs the font {family} (regular and bold), which is not installed; install the Debian package {package} (apt-get install {package}), or set font_dir in the channel's settings to a folder that holds the font"
        ).format(family=FAMILY, package=PACKAGE)
    )


@cache
def typst_fonts(folders: tuple[str, ...]) -> typst.Fonts:
    """The fonts in ``folders`` and Typst's own (as a compiler given the folders and
    ``ignore_system_fonts`` has them), never the system's."""
    return typst.Fonts(include_system_fonts=False, font_paths=list(folders))


def _complete(folder: str) -> bool:
    """Whether ``folder`` holds every weight of the family (as Typst itself reads fonts)."""
    if not Path(folder).is_dir():
        return False
    found = {info.weight for info in typst_fonts((folder,)).fonts() if info.family == FAMILY}
    return all(weight in found for weight in WEIGHTS)
