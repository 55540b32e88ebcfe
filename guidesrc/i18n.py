"""Translation of user-facing text (gettext).

Message ids in the code are English; Simplified Chinese (``zh_CN``) is the default language and is
complete (``tests/test_i18n.py`` enforces it). ``--lang en`` or ``GUIDES_LANG=en`` shows English.
Catalogs live in ``guidesrc/locale``; ``make i18n`` extracts, updates and compiles them.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "guidesrc"
DEFAULT_LANG = "zh_CN"
SUPPORTED = {"zh_CN": "zh_CN", "zh": "zh_CN", "zh-CN": "zh_CN", "en": "en", "en_US": "en"}

_current = DEFAULT_LANG


def resolve_lang(requested: str | None) -> str:
    """The language to use: the ``--lang`` option, else ``GUIDES_LANG``, else Chinese."""
    name = requested or os.environ.get("GUIDES_LANG") or DEFAULT_LANG
    return SUPPORTED.get(name, SUPPORTED.get(name.split(".")[0], DEFAULT_LANG))


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])


def set_lang(lang: str) -> None:
    global _current
    _current = lang


def current_lang() -> str:
    return _current


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _translations(_current).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; translated later, where it is shown."""
    return message
