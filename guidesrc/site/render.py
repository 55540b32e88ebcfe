"""Pages, feeds and API documents of the static site, from the site's data.

Every HTML and XML file comes from a Jinja2 template in ``templates/`` with autoescaping on for
all of them, so guide text is always text: ``<script>`` shows as ``&lt;script&gt;``, and ``{{ }}``
in content is never evaluated (content is passed as data, never as template source). Links are
relative (the site works from any folder); the absolute addresses (canonical links, JSON-LD,
feed, sitemap) follow :mod:`guidesrc.urls`. Only addresses that match a strict pattern become
links: ``http(s)://`` for the online hall, digits for ``tel:``; anything else shows as text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from jinja2 import (
    ChoiceLoader,
    DictLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    Template,
)
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

import guidesrc.gaps as gaps
from guidesrc import qr
from guidesrc.gaps import GAP, null_free
from guidesrc.model import code_labels as labels
from guidesrc.site.marks import footer_marks
from guidesrc.site.theme import Theme
from guidesrc.urls import guide_url

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
ASSETS = ("site.css", "print.css", "guide.css", "search.js", "elder.js")

_HTTP_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d+)?(?:[/?#][^\s\"'<>`\\]*)?$")
_PHONE = re.compile(r"^[0-9][0-9-]{2,20}$")
_SAFE_SLUG = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,39}$")

JSON_OPTIONS = orjson.OPT_SORT_KEYS


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """What every page needs to know about the site."""

    title: str
    library: str  # the library's name, in the footer and as the feed's author
    base_url: str  # the public root of the site, without a trailing slash
    timezone: str = "Asia/Shanghai"
    #: the government-website marks as set (guidesrc.site.marks); None: not declared
    government: Mapping[str, str] | None = None
    theme: Theme | None = None  # the library's templates and static files (guidesrc.site.theme)
    #: kind ("department", "theme") → values listed first on the catalogue, in this order
    order: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Where the pdf channel's folder is, from the site's root: a relative address (``../print/``)
    #: or an absolute one; None: no pdf channel (the pages say no printable version is published).
    pdf_url: str | None = None
    #: the synonym groups search expands queries with (built-in and the library's)
    synonyms: tuple[tuple[str, ...], ...] = ()

    def synonyms_list(self) -> list[list[str]]:
        return [list(group) for group in self.synonyms]

    def as_dict(self) -> dict[str, Any]:
        """The settings as the pages see them (``site``), and the site's fingerprint."""
        return {
            "title": self.title,
            "library": self.library,
            "base_url": self.base_url,
            "timezone": self.timezone,
            "government": footer_marks(self.government),
            "theme": None if self.theme is None else self.theme.digest(),
            "order": {kind: list(values) for kind, values in sorted(self.order.items())},
            "pdf_url": self.pdf_url or "",
        }


@lru_cache(maxsize=65536)
def slug(text: str) -> str:
    """A file name for a facet value: the value if it is plain ASCII, else a short hash."""
    if _SAFE_SLUG.match(text):
        return text
    return "h" + hashlib.sha256(text.encode()).hexdigest()[:12]


def http_url(value: Any) -> str | None:
    return value if isinstance(value, str) and _HTTP_URL.match(value) else None


def tel(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    number = value.split("转")[0]
    return f"tel:{number}" if _PHONE.match(number) else None


def json_for_script(data: Any) -> Markup:
    """JSON to put inside ``<script type="application/ld+json">``: ``<``, ``>`` and ``&`` (and
    the JavaScript line separators) escaped, so no text can close the script element."""
    text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return Markup(text)  # escaped above for the script context


def date_cn(value: Any) -> str:
    """``2026-12-01`` → ``2026 年 12 月 1 日``."""
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def limit_text(value: Mapping[str, Any]) -> str:
    return f"{value['value']} 个{value['unit']}" if value.get("value") else "即时办结"


def time_limit(value: Mapping[str, Any] | None) -> str:
    if not value:
        return GAP
    return limit_text(value) + (f"（{value['note']}）" if value.get("note") else "")


def basis_title(basis: Mapping[str, Any]) -> str:
    return f"{basis['title']}{basis.get('article') or ''}"


def phone_link(phone: Any) -> Markup:
    """A phone number, linked with ``tel:`` when it is one (escaped either way)."""
    href = tel(phone)
    text = escape(str(phone))
    return Markup(f'<a href="{escape(href)}">{text}</a>') if href else Markup(text)


def near_duplicate(first: str, second: str) -> bool:
    """Two texts that say nearly the same (one holds the other, or three quarters of them match): a
    material's description is not shown under its notes when it only repeats them."""
    if first in second or second in first:
        return True
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    # The quick ratios are upper bounds of the ratio: most pairs are told apart without it.
    return (
        matcher.real_quick_ratio() >= 0.75
        and matcher.quick_ratio() >= 0.75
        and (matcher.ratio() >= 0.75)
    )


_CSS_PLAIN = re.compile(r"[0-9A-Za-z .·:/\u00a0-\uffff-]")


def css_string(value: Any) -> Markup:
    """A CSS string literal of ``value`` (for a ``<style>`` element, where HTML escaping does not
    apply): every character but letters, digits, CJK and a few marks escaped as ``\\hex``, so no
    text can end the string or the element."""
    text = "".join(
        c if _CSS_PLAIN.match(c) and c not in "\u2028\u2029" else f"\\{ord(c):06x}"
        for c in str(value)
    )
    return Markup(f'"{text}"')  # escaped above for the CSS string context


def qr_svg(url: str) -> Markup:
    """The page's address as a QR code, an inline SVG (shown when the page is printed); nothing
    for an address too long for a code (the page prints its address in words too)."""
    code = qr.svg(url, "本页地址二维码")
    return Markup(code or "")  # made of numbers and a fixed title: nothing of the page's text


def shown_value(value: Any) -> str:
    if isinstance(value, dict):
        return "，".join(str(v) for v in value.values() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return "、".join(shown_value(v) for v in value)
    return str(value)


#: The optional fields of a guide and of the catalogue entries it holds (every field whose value
#: may be None in the models; a test keeps the two equal). The site's guides are null-free: such a
#: field, left out, reads as None in the templates, as the null it stands for did.
OPTIONAL_FIELDS = frozenset(
    {
        "address", "appointment", "article", "basic_code", "blank_form", "case_type", "charged",
        "condition", "copy_count", "count", "credit_code", "depth", "description",
        "document_number", "effective_date", "exercise_level", "express_delivery", "form", "hall",
        "in_force_from", "issuer", "item_type", "kind", "level", "materials", "medium", "name",
        "nature", "necessity", "note", "notes", "online_payment", "original_count",
        "promised_time_limit", "reason", "repealed_on", "replaced_by", "results", "sample",
        "sample_form", "scope", "source", "statutory_time_limit", "text", "time_limit",
        "transport", "url", "version",
    }
)  # fmt: skip


_MISSING = object()


def _json_field(obj: Any, attribute: str) -> Any:
    """``obj[attribute]`` for a dictionary (None for a left-out optional field), else _MISSING."""
    if type(obj) is dict:
        try:
            return obj[attribute]
        except KeyError:
            if attribute in OPTIONAL_FIELDS:
                return None
    return _MISSING


class _Environment(Environment):
    """Looks ``a.b`` up as ``a["b"]`` first: the site's data is JSON (dicts), and Jinja's default
    (attribute first, then item) costs a failed ``getattr`` per lookup, a third of a page's time.
    An optional field the null-free guide leaves out reads as None (:data:`OPTIONAL_FIELDS`);
    any other name a dictionary lacks is undefined, and the templates' StrictUndefined refuses
    it, so a misspelt name still fails the build."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        found = _json_field(obj, attribute)
        return super().getattr(obj, attribute) if found is _MISSING else found


class _ThemeEnvironment(SandboxedEnvironment):
    """The same lookups in Jinja2's sandbox, for a site with a theme: a theme's templates come
    from the library, and may show the pages' data but not reach Python's internals
    (``''.__class__``…) on the machine that publishes."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        found = _json_field(obj, attribute)
        return super().getattr(obj, attribute) if found is _MISSING else found


#: The templates' filters (and ``local_date``, in the site's time zone: :class:`Renderer`).
FILTERS: dict[str, Any] = {
    "date_cn": date_cn,
    "limit_text": limit_text,
    "tel": tel,
    "http_url": http_url,
    "shown_value": shown_value,
    "time_limit": time_limit,
    "basis_title": basis_title,
    "phone_link": phone_link,
    "basename": lambda path: str(path).rsplit("/", 1)[-1],
    "near_duplicate": near_duplicate,
    "css_string": css_string,
    "labels": lambda codes, table: [str(table.get(c, c)) for c in codes],
}
#: The templates' globals (and ``site`` and ``assets``, the configuration's: :class:`Renderer`).
GLOBALS: dict[str, Any] = {
    "item_types": labels.ITEM_TYPES,
    "exercise_levels": labels.EXERCISE_LEVELS,
    "body_natures": labels.BODY_NATURES,
    "service_objects": labels.SERVICE_OBJECTS,
    "handling_forms": labels.HANDLING_FORMS,
    "online_depths": labels.ONLINE_DEPTHS,
    "canonical": None,
    "noindex": False,
    "gaps": gaps,
}


class Renderer:
    """Renders every kind of file of the site for one configuration."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.zone = ZoneInfo(config.timezone)
        builtin = FileSystemLoader(str(TEMPLATES))
        theme = config.theme
        env = (_Environment if theme is None else _ThemeEnvironment)(
            # A theme's template of the same name comes first (guidesrc.site.theme).
            loader=builtin
            if theme is None
            else ChoiceLoader([DictLoader(theme.templates), builtin]),
            # Compiled templates kept between processes (a per-user folder in the temporary
            # directory, made private by Jinja): a publish does not compile them again. Not
            # with a theme: the sandbox compiles calls differently, and a cached template is
            # known by its name and source only.
            bytecode_cache=FileSystemBytecodeCache() if theme is None else None,
            autoescape=True,  # every template, .html and .xml alike
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters.update(FILTERS, local_date=self.local_date)
        env.globals.update(GLOBALS, site=config.as_dict(), assets=self.assets)
        self.env = env
        self._templates: dict[str, Template] = {}
        #: The library's forms (``files/…``) the site publishes: path → SHA-256 and size.
        self.forms: Mapping[str, Mapping[str, Any]] = {}

    @cached_property
    def static(self) -> dict[str, bytes]:
        """The static files: the built-in ones, a theme's over them (same name) and beside them."""
        files = {name: (STATIC / name).read_bytes() for name in ASSETS}
        if self.config.theme is not None:
            files.update(self.config.theme.static)
        return files

    @cached_property
    def assets(self) -> dict[str, str]:
        """Each static file's content hash (8 hex digits), appended to its address."""
        return {name: hashlib.sha256(data).hexdigest()[:8] for name, data in self.static.items()}

    def local_date(self, value: Any) -> str:
        """An ISO time → its date in the library's time zone, ``2026 年 9 月 30 日``."""
        if not value:
            return ""
        moment = dt.datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return date_cn(moment.astimezone(self.zone).date().isoformat())

    def _render(self, name: str, depth: int, **context: Any) -> bytes:
        template = self._templates.get(name)
        if template is None:
            template = self._templates[name] = self.env.get_template(name)
        return template.render(root="../" * depth, **context).encode()

    def url(self, rel: str) -> str:
        return f"{self.config.base_url}/{rel}"

    # --- guides ---------------------------------------------------------------------------------

    def guide_page(self, doc: Mapping[str, Any], draft: Mapping[str, Any] | None = None) -> bytes:
        """``guides/<id>.html``: the version in force (or the upcoming one if none is), with the
        upcoming banner; the withdrawal notice for a withdrawn guide."""
        if doc["state"] == "withdrawn":
            return self.withdrawn_page(doc)
        shown = doc["current"] or doc["upcoming"]
        return self._guide(doc, shown, "guide", draft)

    def upcoming_page(self, doc: Mapping[str, Any]) -> bytes:
        """``upcoming/<id>.html``: the full text of the approved version not yet in force."""
        return self._guide(doc, doc["upcoming"], "upcoming", None)

    def _guide(
        self,
        doc: Mapping[str, Any],
        shown: Mapping[str, Any],
        page: str,
        draft: Mapping[str, Any] | None,
    ) -> bytes:
        guide = shown["guide"]
        canonical = guide_url(self.config.base_url, doc["id"])
        upcoming = page == "upcoming" or doc["current"] is None
        return self._render(
            "guide.html",
            1,
            forms=self.forms,
            pdf_href=self.pdf_href(doc["id"], "upcoming" if upcoming else "current", 1),
            qr_svg=qr_svg(canonical),
            doc=doc,
            shown=shown,
            g=guide,
            upcoming=doc["upcoming"] if page == "guide" else None,
            page=page,
            draft=draft,
            canonical=canonical,
            noindex=page == "upcoming" or draft is not None,
            jsonld=json_for_script(government_service(guide, canonical)),
        )

    def pdf_href(self, guide_id: str, slot: str, depth: int) -> str | None:
        """The link to a guide's sheet in the pdf channel (``<slot>/<id>.pdf`` in its folder,
        :mod:`guidesrc.adapters.pdf`) from a page ``depth`` folders down; None without one."""
        base = self.config.pdf_url
        if not base:
            return None
        base = base if base.endswith("/") else base + "/"
        if not (http_url(base) or base.startswith("/")):  # relative to the site's root
            base = "../" * depth + base
        return f"{base}{slot}/{guide_id}.pdf"

    def withdrawn_page(self, doc: Mapping[str, Any]) -> bytes:
        return self._render(
            "withdrawn.html",
            1,
            doc=doc,
            w=doc["withdrawn"],
            canonical=guide_url(self.config.base_url, doc["id"]),
            noindex=True,
        )

    def guide_document(self, doc: Mapping[str, Any]) -> bytes:
        """``api/guides/<id>.json``."""
        return orjson.dumps(doc, option=JSON_OPTIONS)

    # --- lists ----------------------------------------------------------------------------------

    def index(
        self,
        facets: Sequence[Mapping[str, Any]],
        total: int,
        latest: Sequence[Mapping[str, Any]],
        upcoming: Sequence[Mapping[str, Any]],
        upcoming_count: int,
    ) -> bytes:
        """The home page: the catalogue first, then the first few upcoming changes and notices
        (``upcoming_count``: all of them, on ``upcoming.html``)."""
        return self._render(
            "index.html",
            0,
            facets=facets,
            total=total,
            latest=latest,
            upcoming=upcoming,
            upcoming_count=upcoming_count,
            canonical=self.url("index.html"),
        )

    def upcoming_index(self, entries: Sequence[Mapping[str, Any]]) -> bytes:
        """``upcoming.html``: every approved change not yet in force, by effective date."""
        return self._render(
            "upcoming.html", 0, entries=entries, canonical=self.url("upcoming.html")
        )

    def facet_page(
        self, kind: str, title: str, label: str, entries: Sequence[Mapping[str, Any]]
    ) -> bytes:
        return self._render("facet.html", 2, kind=kind, title=title, label=label, entries=entries)

    def withdrawn_index(self, entries: Sequence[Mapping[str, Any]]) -> bytes:
        return self._render("withdrawn_index.html", 1, entries=entries)

    def search_page(self) -> bytes:
        return self._render("search.html", 0, canonical=self.url("search.html"))

    def not_found(self) -> bytes:
        return self._render("404.html", 0, noindex=True)

    # --- notices --------------------------------------------------------------------------------

    def notice_page(self, notice: Mapping[str, Any], release: str) -> bytes:
        return self._render(
            "notice.html",
            1,
            n=notice,
            release=release,
            canonical=self.url(f"notices/{notice['key']}.html"),
        )

    def release_page(
        self, approved_at: str, summary: str, notices: Sequence[Mapping[str, Any]]
    ) -> bytes:
        return self._render(
            "release.html", 1, approved_at=approved_at, summary=summary, notices=notices
        )

    def notices_index(
        self, latest: Sequence[Mapping[str, Any]], releases: Sequence[Mapping[str, Any]]
    ) -> bytes:
        return self._render(
            "notices.html",
            1,
            latest=latest,
            releases=releases,
            canonical=self.url("notices/index.html"),
        )

    def feed(self, notices: Sequence[Mapping[str, Any]]) -> bytes:
        updated = max((n["approved_at"] for n in notices), default="1970-01-01T00:00:00+00:00")
        return self._render(
            "feed.xml", 0, base=self.config.base_url, notices=notices, updated=updated
        )

    # --- sitemap --------------------------------------------------------------------------------

    def sitemap_index(self, parts: Iterable[str]) -> bytes:
        return self._render("sitemap_index.xml", 0, parts=list(parts))

    def static_files(self) -> dict[str, bytes]:
        return {f"static/{name}": data for name, data in sorted(self.static.items())}


def government_service(guide: Mapping[str, Any], url: str) -> dict[str, Any]:
    """schema.org ``GovernmentService`` for a guide page (JSON-LD)."""
    body = guide.get("implementing_body") or {}
    channels: list[dict[str, Any]] = []
    online = http_url((guide.get("online") or {}).get("url"))
    if online:
        channels.append({"@type": "ServiceChannel", "name": "网上办理", "serviceUrl": online})
    for place in guide.get("places", []):
        channel: dict[str, Any] = {
            "@type": "ServiceChannel",
            "name": place.get("name"),
            "serviceLocation": {
                "@type": "Place",
                "name": place.get("name"),
                "address": place.get("address"),
            },
        }
        if place.get("phones"):
            channel["servicePhone"] = {
                "@type": "ContactPoint",
                "telephone": place["phones"][0],
            }
        channels.append(channel)
    doc = {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "name": guide["name"],
        "identifier": guide["implementation_code"],
        "url": url,
        "serviceType": labels.ITEM_TYPES.get(guide["item_type"])
        if guide.get("item_type")
        else None,
        "description": "".join(guide.get("conditions", [])),
        "provider": {
            "@type": "GovernmentOrganization",
            "name": body.get("name"),
            "identifier": body.get("credit_code"),
        },
        "audience": [
            {"@type": "Audience", "audienceType": labels.SERVICE_OBJECTS.get(code, str(code))}
            for code in guide.get("service_objects", [])
        ],
        "availableChannel": channels,
    }
    return null_free(doc)  # an unknown value is left out (JSON-LD has no gap), never a null
