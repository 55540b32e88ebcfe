"""What can be wrong with a sheet on its way to a printer (a bottom module: the print bundle and
the signed-file check both raise it)."""

from __future__ import annotations


class SheetProblem(Exception):
    """A sheet is not in the bundle as the manifest says (missing, or other bytes)."""
