"""Markdown text built from guide text (change notices, diffs, configuration changes)."""

from __future__ import annotations

import re


def md_escape(text: str) -> str:
    """Escape Markdown syntax so that guide text cannot become markup."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~])", r"\\\1", text)
