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
from typing import Any, ClassVar

from pydantic import Field

from guidesrc.adapters import Adapter, AdapterSettings, Delivery
from guidesrc.site.builder import Site
from guidesrc.site.render import SiteConfig


class SiteSettings(AdapterSettings):
    path: str  # the site (a link to its current build); relative paths are taken from the library
    title: str | None = Field(default=None, min_length=1, max_length=100)
    base_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")  # else library.yaml's


class SiteAdapter(Adapter):
    Settings = SiteSettings
    batch_size: ClassVar[int | None] = None  # one build from every due delivery

    @property
    def site(self) -> Site:
        assert isinstance(self.settings, SiteSettings)
        config = self.library_config()
        site_config = SiteConfig(
            title=self.settings.title or config.name,
            library=config.name,
            base_url=(self.settings.base_url or config.base_url).rstrip("/"),
            timezone=config.timezone,
        )
        return Site(self.library / self.settings.path, site_config)

    def deliver(self, delivery: Delivery) -> dict[str, Any]:
        result = self.deliver_many([(delivery, False)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def deliver_many(
        self, work: Sequence[tuple[Delivery, bool]]
    ) -> list[dict[str, Any] | Exception]:
        # The manifest says which deliveries the site already has (after a crash), whether or
        # not the publisher knows of an earlier attempt: ``retry`` needs no special case.
        return self.site.publish([delivery for delivery, _retry in work]).receipts

    def lookup(self, delivery: Delivery) -> dict[str, Any] | None:
        manifest = self.site.manifest()
        return None if manifest is None else manifest.applied.get(delivery.key)
