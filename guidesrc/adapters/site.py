"""The static-site channel: the online hall as a folder any web server or object store serves.

Settings (``library.yaml``)::

    channels:
      site:
        type: site
        settings:
          path: .guides/site         # the site: a link to the build being served
          title: 示例市政务服务网办事指南   # optional; default: the library's name

The adapter takes every due delivery at once (``batch_size = None``) and writes one consistent
site from them: see :mod:`guidesrc.site.builder` for the pipeline, :mod:`guidesrc.site.store`
for the atomicity guarantee, and ``docs/site.md`` for the files it makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field

from guidesrc.adapters.base import Delivery, FileAdapter, FolderSettings, Receipt
from guidesrc.search import synonyms
from guidesrc.site.builder import Site
from guidesrc.site.render import SiteConfig


class SiteSettings(FolderSettings):
    # path: the site (a link to its current build); relative paths are taken from the library
    title: str | None = Field(default=None, min_length=1, max_length=100)
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")  # else library.yaml's


class SiteAdapter(FileAdapter[SiteSettings]):
    Settings = SiteSettings
    batch_size: ClassVar[int | None] = None  # one build from every due delivery
    incremental = True  # renders the changed guides' pages and the lists that show them

    @property
    def site(self) -> Site:
        config = self.config
        site_config = SiteConfig(
            title=self.settings.title or config.name,
            library=config.name,
            base_url=(self.settings.base_url or config.base_url).rstrip("/"),
            timezone=config.timezone,
            synonyms=tuple(tuple(group) for group in synonyms.load(self.library)),
        )
        return Site(self.folder, site_config)

    def deliver_many(self, work: Sequence[tuple[Delivery, bool]]) -> list[Receipt | Exception]:
        # The manifest says which deliveries the site already has (after a crash), whether or
        # not the publisher knows of an earlier attempt: ``retry`` needs no special case.
        return self.site.publish([delivery for delivery, _retry in work]).receipts

    def lookup(self, delivery: Delivery) -> Receipt | None:
        manifest = self.site.manifest()
        return None if manifest is None else manifest.applied.get(delivery.key)
