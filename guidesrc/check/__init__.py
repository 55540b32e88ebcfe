"""`guides check`: load, validate, resolve and apply the content rules."""
