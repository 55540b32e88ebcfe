"""The site channel's settings (``library.yaml``) and the :class:`SiteConfig` made from them::

channels:
  site:
    type: site
    settings:
      path: .guides/site         # the site: a link to the build being served
      title: 示例市网上办事大厅     # optional; default: the library's name
      base_url: https://…        # optional; default: library.yaml's base_url
      government: {…}            # the government-website marks (guidesrc.site.marks)
      theme: theme               # optional: the library's theme folder (guidesrc.site.theme)
      order:                     # optional: the catalogue's order, before pinyin order
        departments: [示例市民政局, 11990100MB0000000X]   # names or credit codes
        themes: [婚姻登记, 户籍办理]
      pdf_channel: print         # optional; default: the library's (first) pdf channel
      pdf_url: ../print/         # optional; where that channel's folder is served, from the site's
                                 # root (relative or absolute); default: the path between the
                                 # site's folder and the pdf channel's on disk
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field

from guidesrc.adapters.base import AdapterSettings, FolderSettings
from guidesrc.model.library import LibraryConfig
from guidesrc.search import synonyms
from guidesrc.site.marks import GovernmentMarks
from guidesrc.site.render import SiteConfig
from guidesrc.site.theme import load_theme

_Name = Annotated[str, Field(min_length=1, max_length=200)]


class SiteOrder(AdapterSettings):
    """Values listed first on the catalogue, in this order; the others follow in pinyin order."""

    departments: list[_Name] = Field(default_factory=list, max_length=500)
    themes: list[_Name] = Field(default_factory=list, max_length=500)


class SiteSettings(FolderSettings):
    # path: the site (a link to its current build); relative paths are taken from the library
    title: str | None = Field(default=None, min_length=1, max_length=100)
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")  # else library.yaml's
    government: GovernmentMarks | None = None
    theme: str | None = Field(default=None, min_length=1, max_length=200)
    order: SiteOrder = SiteOrder()
    pdf_channel: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    pdf_url: str | None = Field(default=None, pattern=r"^(https?://[^\s\"'<>]+|[A-Za-z0-9_./-]+)$")


def site_config(
    library: Path,
    config: LibraryConfig,
    settings: SiteSettings | None,
    base_url: str | None = None,
    folder: Path | None = None,
) -> SiteConfig:
    """What the pages need to know, from the library's configuration and the site's settings
    (None: a library without a site channel, as ``guides serve`` shows it). The theme is read
    (and checked) here: ChannelError when it is refused. ``folder``: the site's folder, from
    which the pdf channel's is linked (None: no printable version linked)."""
    settings = settings or SiteSettings(path=".guides/site")
    marks = settings.government
    return SiteConfig(
        title=settings.title or config.name,
        library=config.name,
        base_url=(base_url or settings.base_url or config.base_url).rstrip("/"),
        timezone=config.timezone,
        government=None if marks is None else marks.model_dump(exclude_none=True),
        theme=None if settings.theme is None else load_theme(library, settings.theme),
        order={
            "department": tuple(settings.order.departments),
            "theme": tuple(settings.order.themes),
        },
        pdf_url=None if folder is None else pdf_url(library, config, settings, folder),
        synonyms=tuple(tuple(group) for group in synonyms.load(library)),
    )


def pdf_url(
    library: Path, config: LibraryConfig, settings: SiteSettings, folder: Path
) -> str | None:
    """Where the pages link the guides' printable sheets: the pdf channel's folder, from the
    site's root (``pdf_url``, else the path between the two folders on disk); None when the
    library has no pdf channel."""
    channels = config.channels
    name = settings.pdf_channel or next((n for n, c in channels.items() if c.type == "pdf"), None)
    channel = channels.get(name) if name else None
    if channel is None or channel.type != "pdf":
        return None
    if settings.pdf_url:
        return settings.pdf_url
    path = channel.settings.get("path")
    if not isinstance(path, str):
        return None
    return os.path.relpath(library / path, folder.parent / folder.name) + "/"


def site_settings(config: LibraryConfig) -> SiteSettings | None:
    """The settings of the library's first site channel, if it has one (checked already)."""
    for channel in config.channels.values():
        if channel.type == "site":
            return SiteSettings.model_validate(channel.settings)
    return None
