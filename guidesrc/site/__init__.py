"""The static site of the online hall (网上办事大厅): pages, feeds, JSON API and search.

- :mod:`guidesrc.site.data`: the site's data (guide and notice documents, the manifest) and how
  deliveries change it;
- :mod:`guidesrc.site.render`: Jinja2 templates (``templates/``) and static files (``static/``);
- :mod:`guidesrc.site.search`: the character n-gram search index;
- :mod:`guidesrc.site.store`: build folders, the link readers follow, atomic incremental writes;
- :mod:`guidesrc.site.builder`: the publishing pipeline (:class:`~guidesrc.site.builder.Site`);
- :mod:`guidesrc.site.preview`: ``guides serve``.

The channel adapter is :class:`guidesrc.adapters.site.SiteAdapter`; see ``docs/site.md``.
"""
