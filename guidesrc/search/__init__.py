"""Search that understands how people ask: one index and one ranking for the site (static files
read by ``site/static/search.js``), the kiosk and ``guides search`` (docs/search.md).

- :mod:`~guidesrc.search.text`: text → terms; :mod:`~guidesrc.search.synonyms`: the dictionary;
- :mod:`~guidesrc.search.build`: the index as data; :mod:`~guidesrc.search.rank`: the ranking;
- :mod:`~guidesrc.search.shards`: the index as the site's static files;
- :mod:`~guidesrc.search.index`: the index searched in Python (``guides search``, the kiosk).
"""
