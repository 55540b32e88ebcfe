"""Where the print fonts are installed, found without Typst: Debian's folder, or the folders
fontconfig lists for the family. :mod:`guidesrc.check.printable` reads them for a check (which
never imports Typst); :mod:`guidesrc.print.fonts` for the pdf channel."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FAMILY = "Noto Sans CJK SC"
DEBIAN_DIR = "/usr/share/fonts/opentype/noto"


def fontconfig_folders() -> list[str]:
    """Folders of the font files fontconfig lists for the family (none without fontconfig)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        out = subprocess.run(
            [fc_list, f":family={FAMILY}", "file"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = (line.rstrip().rstrip(":") for line in out.splitlines() if line.strip())
    return sorted({str(Path(f).parent) for f in files} - {DEBIAN_DIR})
