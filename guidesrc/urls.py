"""Where a guide lives on the online hall: one rule for the site, QR codes on print, and feeds.

The library's ``base_url`` is the root of the site the static-site adapter writes (the online
hall's own address, e.g. ``https://zwfw.example.gov.cn``: not a ``…/guides`` folder, which would
make every address ``…/guides/guides/<id>.html``); a guide's page is ``{base_url}/guides/{id}.html`` — a plain file name, so that any web server or object store
serves it, and stable for as long as the guide's id is (QR codes on printed sheets point to it).
"""

from __future__ import annotations

import re

#: The guide id pattern (guidesrc.model.common.ID_PATTERN, kept here so that this module does not
#: import the models; a test keeps the two equal). No "/", ".", or upper case: safe in any path.
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$"
_ID = re.compile(ID_PATTERN)


def is_guide_id(value: str) -> bool:
    return bool(_ID.match(value))


def guide_path(guide_id: str) -> str:
    """The guide page's path inside the site, e.g. ``guides/hukou-qianru.html``."""
    if not is_guide_id(guide_id):
        raise ValueError(f"not a guide id: {guide_id!r}")
    return f"guides/{guide_id}.html"


def guide_url(base_url: str, guide_id: str) -> str:
    """The guide page's public address, e.g. ``https://zwfw.example.gov.cn/guides/x.html``."""
    return f"{base_url.rstrip('/')}/{guide_path(guide_id)}"
