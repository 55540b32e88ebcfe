"""guidesrc: one source for government service guides (办事指南).

The public API is exactly ``__all__``; everything else is internal and may change.
"""

from guidesrc.errors import GuidesError

__version__ = "0.1.0"

__all__ = ["GuidesError", "__version__"]
