"""Content models: the source from which ``schemas/*.schema.json`` are generated."""
