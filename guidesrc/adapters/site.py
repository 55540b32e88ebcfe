"""The static-site channel: the online hall as a folder any web server or object store serves.

Settings (``library.yaml``)::

    channels:
      site:
        type: site
        settings:
          path: .guides/site         # the site: a link to the build being served
          title: 示例市政务服务网办事指南   # optional; default: the library's name
          government: {sponsor: …, site_code: …, icp: …, police: …, conac_id: …}
          theme: theme                 # optional: the library's templates and static files
          order: {departments: […], themes: […]}   # optional: the catalogue's order
          pdf_channel: print         # optional; default: the library's (first) pdf channel
          pdf_url: ../print/         # optional; where that channel's folder is served, from the
                                     # site's root (relative or absolute); default: the path
                                     # from the site's folder to the pdf channel's on disk

(:mod:`guidesrc.site.settings` describes each.)

The adapter takes every due delivery at once (``batch_size = None``) and writes one consistent
site from them: see :mod:`guidesrc.site.builder` for the pipeline, :mod:`guidesrc.site.store`
for the atomicity guarantee, and ``docs/site.md`` for the files it makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import ClassVar

from guidesrc.adapters.base import Delivery, FileAdapter, Receipt
from guidesrc.site.builder import Site
from guidesrc.site.settings import SiteSettings, site_config

__all__ = ["SiteAdapter", "SiteSettings"]


class SiteAdapter(FileAdapter[SiteSettings]):
    Settings = SiteSettings
    batch_size: ClassVar[int | None] = None  # one build from every due delivery
    incremental = True  # renders the changed guides' pages and the lists that show them
    heavy = True  # delivered in a process of its own, beside the other channels

    @cached_property
    def site(self) -> Site:
        """The site, set up once per run (its theme read and checked here)."""
        return Site(
            self.folder,
            site_config(self.library, self.config, self.settings, folder=self.folder),
            self.library,
        )

    def deliver_many(self, work: Sequence[tuple[Delivery, bool]]) -> list[Receipt | Exception]:
        # The manifest says which deliveries the site already has (after a crash), whether or
        # not the publisher knows of an earlier attempt: ``retry`` needs no special case.
        return self.site.publish([delivery for delivery, _retry in work]).receipts

    def lookup(self, delivery: Delivery) -> Receipt | None:
        return self.site.receipt(delivery.key)
