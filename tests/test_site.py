"""The static-site channel and `guides serve`: pages, feeds, API, search, atomic publishing.

Ledger tests run on SQLite and PostgreSQL (the ``database`` fixture). Pages are checked on their
parsed HTML (the standard library's parser), the feed with feedparser, the JSON API with
jsonschema against ``schemas/site-api``, the sitemap against ``schemas/site-api/sitemap.xsd``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
import referencing

from guidesrc.adapters import Action, Delivery
from guidesrc.search import synonyms
from guidesrc.search.text import index_terms
from guidesrc.site.builder import Site
from guidesrc.site.data import Manifest
from guidesrc.site.render import SiteConfig
from tests.conftest import REPO, Library, invoke, withdraw

GID = "jiehun-dengji"
GUIDE_FILE = f"guides/{GID}.yaml"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.datetime.now(SHANGHAI).date()
SECTIONS = [  # what a citizen needs first; the codes and the content hash last
    "受理条件",
    "申请材料",
    "办理地点和时间",
    "办理流程",
    "办理时限",
    "收费标准",
    "咨询和投诉",
    "常见问题",
    "办理结果",
    "设定依据",
    "事项信息和编码",
]
SCHEMAS = REPO / "schemas" / "site-api"
CONDITION = "  - 男女双方均无配偶。"
CHANGED_CONDITION = "  - 男女双方均无配偶（以婚姻登记信息系统的查询结果为准）。"


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def lib(example: Library) -> Library:
    """The example library with a site channel beside the directory one."""
    example.edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n  site:\n    type: site\n    settings:\n"
        "      path: .guides/site\n      title: 示例市网上办事大厅\n",
    )
    return example


def approve(lib: Library, *args: str) -> None:
    run = invoke("approve", str(lib.root), "--note", "说明", *args)
    assert run.exit_code == 0, run.stderr


def publish(lib: Library) -> str:
    run = invoke("publish", str(lib.root))
    assert run.exit_code == 0, run.stdout + run.stderr
    return run.stdout


def site(lib: Library) -> Path:
    return lib.root / ".guides/site"


def read(lib: Library, rel: str) -> str:
    return (site(lib) / rel).read_text(encoding="utf-8")


def first_publish(lib: Library) -> None:
    approve(lib, "--effective", "today")
    publish(lib)


class Page(HTMLParser):
    """A parsed page: every element with its attributes, the text, the scripts."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._chunks: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._open.append(tag)
        if tag == "script":
            self._script, self._chunks = dict(attrs), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._chunks)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._chunks.append(data)
        else:
            self.text.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def texts_of(self, tag: str) -> list[str]:
        """The text of every ``tag`` element (headings: no nested elements but links)."""
        found: list[str] = []
        parser = _TextOf(tag)
        parser.feed(self.source)
        found += parser.found
        return found

    @property
    def source(self) -> str:
        return self.rawdata if self.rawdata else self._source

    def feed(self, data: str) -> None:
        self._source = data
        super().feed(data)


class _TextOf(HTMLParser):
    def __init__(self, tag: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tag, self.depth, self.found = tag, 0, []
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == self.tag:
            self.depth += 1
            self._buf = []

    def handle_endtag(self, tag: str) -> None:
        if tag == self.tag and self.depth:
            self.depth -= 1
            self.found.append("".join(self._buf).strip())

    def handle_data(self, data: str) -> None:
        if self.depth:
            self._buf.append(data)


def files_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not str(p.relative_to(root)).startswith("_state")
    }


def stamps(link: Path) -> dict[str, tuple[int, int]]:
    root = link.resolve()
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def ledger_deliveries(lib: Library) -> list[Delivery]:
    """Every approved version as the deliveries a fresh site channel would get today."""
    from guidesrc.ledger import open_ledger
    from guidesrc.site.preview import approved_docs

    del approved_docs
    from sqlmodel import col, select

    from guidesrc.ledger.models import Approval, GuideVersion

    ledger = open_ledger(lib.root)
    out = []
    with ledger.session() as session:
        query = (
            select(GuideVersion, Approval)
            .where(GuideVersion.approval_id == Approval.id)
            .order_by(col(GuideVersion.id))
        )
        for v, a in session.exec(query):
            action = Action.WITHDRAW if v.withdrawn else Action.PUBLISH
            out.append(Delivery.of(action, v, a.approved_at))
    ledger.close()
    return out


def example_config() -> SiteConfig:
    return SiteConfig(
        "示例市网上办事大厅",
        "示例市政务服务中心办事指南库（示例资料库）",
        "https://zwfw.example.gov.cn",  # example/library.yaml's base_url
        synonyms=tuple(tuple(group) for group in synonyms.load(REPO / "example")),
    )


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("database")
def test_site_guide_page_has_every_section_and_its_version(lib: Library) -> None:
    first_publish(lib)
    page = Page(read(lib, f"guides/{GID}.html"))
    assert page.all("html", lang="zh-CN")
    assert page.texts_of("h1") == ["内地居民结婚登记"]
    assert [h for h in page.texts_of("h2") if h != "本页目录"] == SECTIONS
    assert len(page.all("table", class_="materials")) == 1
    assert page.texts_of("caption") == ["申请材料清单（共 3 项）"]
    doc = json.loads(read(lib, f"api/guides/{GID}.json"))
    text = "".join(page.text)
    assert "第 1 版（现行有效）" in text
    assert doc["current"]["content_hash"] in text
    effective = dt.date.fromisoformat(doc["current"]["effective_date"])
    assert f"{effective.year} 年 {effective.month} 月 {effective.day} 日" in text
    assert page.all("a", href=f"../notices/{GID}-v1.html", class_="notice-link")
    # Accessible structure: a skip link to the main landmark, a labelled search box.
    assert page.all("a", class_="skip-link", href="#main") and page.all("main", id="main")
    assert page.all("input", id="search") and page.all("label", for_="search")
    # schema.org GovernmentService, and no external resource anywhere.
    (body,) = [s for a, s in page.scripts if a.get("type") == "application/ld+json"]
    service = json.loads(body)
    assert service["@type"] == "GovernmentService" and service["name"] == "内地居民结婚登记"
    assert service["url"] == "https://zwfw.example.gov.cn/guides/jiehun-dengji.html"
    for tag, a in page.elements:
        for name in ("src", "href"):
            value = a.get(name) or ""
            if tag in ("link", "script", "img") and value and a.get("rel") != "canonical":
                assert not re.match(r"^(https?:)?//", value), (tag, value)
    for css in ("site.css", "print.css", "guide.css"):
        style = read(lib, f"static/{css}")
        assert "@import" not in style and "url(" not in style


@pytest.mark.usefixtures("database")
def test_site_lists_by_department_theme_object_and_type(lib: Library) -> None:
    first_publish(lib)
    index = Page(read(lib, "index.html"))
    assert index.texts_of("h2")[:4] == [
        "按部门查找",
        "按主题查找",
        "按服务对象查找",
        "按事项类型查找",
    ]
    links = [a["href"] for a in index.all("a") if (a.get("href") or "").startswith("by/")]
    kinds = {href.split("/")[1] for href in links}
    assert kinds == {"department", "theme", "object", "type"}
    for href in links:
        assert (site(lib) / href).is_file()
    civil = Page(read(lib, "by/department/11990100MB1A000448.html"))
    assert civil.texts_of("h1") == ["示例市民政局"]
    assert civil.all("a", href=f"../../guides/{GID}.html")


# --- JSON API, feed, sitemap --------------------------------------------------------------------


def validator(name: str) -> jsonschema.Draft202012Validator:
    resources = [
        (
            json.loads(p.read_text(encoding="utf-8"))["$id"],
            referencing.Resource.from_contents(json.loads(p.read_text(encoding="utf-8"))),
        )
        for p in SCHEMAS.glob("*.schema.json")
    ]
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def assert_api_valid(root: Path) -> None:
    validator("index.schema.json").validate(json.loads((root / "api/index.json").read_bytes()))
    validator("notices.schema.json").validate(json.loads((root / "api/notices.json").read_bytes()))
    guide, release = validator("guide.schema.json"), validator("release.schema.json")
    for path in (root / "api/guides").glob("*.json"):
        guide.validate(json.loads(path.read_bytes()))
    releases = sorted((root / "api/releases").glob("*.json"))
    assert releases
    for path in releases:
        release.validate(json.loads(path.read_bytes()))


def assert_sitemap_valid(root: Path) -> list[str]:
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    tree = ET.parse(root / "sitemap.xml")
    assert tree.getroot().tag == f"{ns}urlset"
    locs = []
    for url in tree.getroot():
        assert url.tag == f"{ns}url"
        loc = url.find(f"{ns}loc")
        assert loc is not None and loc.text and loc.text.startswith("https://")
        locs.append(loc.text)
        lastmod = url.find(f"{ns}lastmod")
        if lastmod is not None:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", lastmod.text or "")
    assert len(locs) == len(set(locs)) <= 50_000
    try:
        from lxml import etree
    except ImportError:  # the structural checks above stand
        return locs
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap.xsd")))
    assert xsd.validate(etree.parse(str(root / "sitemap.xml"))), xsd.error_log
    return locs


@pytest.mark.usefixtures("database")
def test_site_api_feed_and_sitemap_are_valid(lib: Library) -> None:
    first_publish(lib)
    root = site(lib)
    assert_api_valid(root)
    locs = assert_sitemap_valid(root)
    assert f"https://zwfw.example.gov.cn/guides/{GID}.html" in locs
    assert len(locs) == 2 + 18
    feed = feedparser.parse((root / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "示例市网上办事大厅：变更公告"
    assert len(feed.entries) == 18
    entry = next(e for e in feed.entries if e.title == "新增事项：内地居民结婚登记")
    assert entry.link == f"https://zwfw.example.gov.cn/notices/{GID}-v1.html"
    assert entry.summary.startswith("新增“内地居民结婚登记”事项办事指南。")


# --- incremental and atomic -------------------------------------------------------------------


@pytest.mark.usefixtures("database")
def test_site_incremental_publish_rewrites_only_what_changed(lib: Library, tmp_path: Path) -> None:
    first_publish(lib)
    before = stamps(site(lib))
    build = os.readlink(site(lib))
    lib.edit(GUIDE_FILE, CONDITION, CHANGED_CONDITION)
    approve(lib, "--effective", "today")
    assert publish(lib) == (f"已送达\t{GID} v2\tarchive\t发布\n已送达\t{GID} v2\tsite\t发布\n")
    assert os.readlink(site(lib)) == build  # the same build, updated in place
    after = stamps(site(lib))
    changed = {rel for rel, stamp in after.items() if before.get(rel) != stamp}
    (release,) = {rel for rel in changed if rel.startswith("notices/r-")}
    # The manifest's two parts of the changed guide's shard are replaced, the others kept as
    # they were, the replaced ones removed (guidesrc.site.state).
    old_parts = {rel for rel in before if rel.startswith("_state/parts/")}
    new_parts = {rel for rel in after if rel.startswith("_state/parts/")}
    assert len(old_parts - new_parts) == len(new_parts - old_parts) == 2
    assert {rel for rel in changed if rel.startswith("_state/parts/")} == new_parts - old_parts
    changed -= new_parts
    # The sitemap's lastmod of the guide, and the home page's five latest notices, change unless
    # both approvals fell in the same second (notices of one second are listed by guide).
    assert changed - {"sitemap.xml", "index.html"} == {
        f"guides/{GID}.html",
        f"api/guides/{GID}.json",
        f"notices/{GID}-v2.html",
        release,
        f"api/releases/{release.removeprefix('notices/').removesuffix('.html')}.json",
        "notices/index.html",
        "feed.xml",
        "api/notices.json",
        "api/index.json",
        "_state/manifest.json",
        # conditions are searched: the guide's document shard and the (one) postings shard
        "search/d0.json",
        "search/t0.json",
    }
    assert not [p for p in site(lib).resolve().rglob(".*~*")]  # no temporary file left
    assert "以婚姻登记信息系统的查询结果为准" in read(lib, f"guides/{GID}.html")
    assert_api_valid(site(lib))
    # Exactly what a full build of the same approvals writes.
    fresh = Site(tmp_path / "fresh", example_config(), lib.root)  # with the forms
    result = fresh.publish(ledger_deliveries(lib))
    assert result.mode == "full"
    assert files_of(tmp_path / "fresh") == files_of(site(lib))


@pytest.mark.usefixtures("database")
def test_site_incremental_publish_reads_only_the_forms_that_changed(
    lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guidesrc.site import builder

    first_publish(lib)
    edited = "files/jiehun-dengji-shengmingshu-yangbiao.txt"
    lib.path(edited).write_text("新的声明书样表\n", encoding="utf-8")  # same guide, new form
    # The site is delivered in a forked process (guidesrc.lanes): the spy notes in a file.
    notes = tmp_path / "forms-read.jsonl"

    def spy(library: Path, paths: Any) -> dict[str, bytes]:
        with notes.open("a", encoding="utf-8") as out:
            out.write(json.dumps(list(paths)) + "\n")
        return builder.read_forms.__wrapped__(library, paths)  # type: ignore[attr-defined]

    original = builder.read_forms
    spy.__wrapped__ = original  # type: ignore[attr-defined]
    monkeypatch.setattr(builder, "read_forms", spy)
    lib.edit(GUIDE_FILE, CONDITION, CHANGED_CONDITION)
    approve(lib, "--effective", "today")
    publish(lib)
    read = [json.loads(line) for line in notes.read_text(encoding="utf-8").splitlines()]
    assert read == [[edited]]  # the 11 other forms were not read again: their files are as read
    assert read_bytes(lib, edited) == "新的声明书样表\n".encode()
    assert Manifest.read(site(lib).resolve()).files[edited]["size"] == len(
        "新的声明书样表\n".encode()
    )
    # Exactly what a full build of the same approvals and forms writes.
    monkeypatch.setattr(builder, "read_forms", original)  # (undo() would undo the database too)
    fresh = Site(tmp_path / "fresh", example_config(), lib.root)
    assert fresh.publish(ledger_deliveries(lib)).mode == "full"
    assert files_of(tmp_path / "fresh") == files_of(site(lib))


def read_bytes(lib: Library, rel: str) -> bytes:
    return (site(lib) / rel).read_bytes()


@pytest.mark.usefixtures("database")
def test_site_upcoming_change_shows_a_banner_then_switches(lib: Library) -> None:
    from guidesrc.ledger import open_ledger
    from guidesrc.publisher import channel_adapters
    from guidesrc.publisher import publish as run_publish
    from guidesrc.workdays import read_config

    first_publish(lib)
    lib.edit(GUIDE_FILE, CONDITION, CHANGED_CONDITION)
    later = TODAY + dt.timedelta(days=5)
    approve(lib, "--effective", later.isoformat())
    publish(lib)
    page = Page(read(lib, f"guides/{GID}.html"))
    assert len(page.all("div", class_="upcoming-banner")) == 1
    text = "".join(page.text)
    assert f"新版本自 {later.year} 年 {later.month} 月 {later.day} 日起实施" in text
    assert (
        "受理条件：删除“男女双方均无配偶”；新增“男女双方均无配偶（以婚姻登记信息系统的查询结果为准）”。"
        in text
    )
    assert page.all("a", href=f"../upcoming/{GID}.html")
    assert page.all("a", href=f"../notices/{GID}-v2.html", class_="notice-link")
    assert "以婚姻登记信息系统的查询结果为准" in read(lib, f"upcoming/{GID}.html")
    assert "第 1 版（现行有效）" in text
    doc = json.loads(read(lib, f"api/guides/{GID}.json"))
    assert (doc["current"]["version"], doc["upcoming"]["version"]) == (1, 2)
    assert "即将实施的调整" in read(lib, "index.html")
    # The effective date comes: the next run switches.
    ledger = open_ledger(lib.root)
    switch_day = dt.datetime.combine(later, dt.time(0, 5), SHANGHAI)
    report = run_publish(
        ledger,
        channel_adapters(lib.root, read_config(lib.root)),
        deadline_for=lambda t: t,
        timezone="Asia/Shanghai",
        clock=lambda: switch_day,
    )
    ledger.close()
    assert sorted((o.channel, o.action, o.ok) for o in report.outcomes) == [
        ("archive", "activate", True),
        ("site", "activate", True),
    ]
    page = Page(read(lib, f"guides/{GID}.html"))
    assert not page.all("div", class_="upcoming-banner")
    assert "第 2 版（现行有效）" in "".join(page.text)
    assert not (site(lib) / f"upcoming/{GID}.html").exists()
    assert 'id="h-upcoming"' not in read(lib, "index.html")
    assert "即将实施的调整（" not in read(lib, "index.html")  # nor in the summary at the top
    notices = json.loads(read(lib, "api/notices.json"))["notices"]
    assert [n["key"] for n in notices].count(f"{GID}-v2") == 1


@pytest.mark.usefixtures("database")
def test_site_withdrawn_guide_shows_its_reason_and_answers_410(lib: Library) -> None:
    first_publish(lib)
    run = withdraw(lib.root, GID, "该事项已划转至区民政局办理")
    assert run.exit_code == 0, run.stderr
    publish(lib)
    page = Page(read(lib, f"guides/{GID}.html"))
    assert len(page.all("div", class_="withdrawn-notice")) == 1
    assert "撤回原因：该事项已划转至区民政局办理" in "".join(page.text)
    assert page.all("meta", name="robots", content="noindex")
    assert (site(lib) / f"withdrawn/{GID}.html").is_file()
    assert read(lib, "_redirects").splitlines()[1:] == [
        f"/guides/{GID}.html /withdrawn/{GID}.html 410"
    ]
    assert (
        f"location = /guides/{GID}.html {{ error_page 410 /withdrawn/{GID}.html; return 410; }}"
        in read(lib, "_server/nginx-410.conf")
    )
    assert f"{GID}.html" not in read(lib, "sitemap.xml")
    assert "内地居民结婚登记" not in read(lib, "search/d0.json")
    assert "内地居民结婚登记" in read(lib, "withdrawn/index.html")
    assert f"guides/{GID}.html" not in read(lib, "by/department/11990100MB1A000448.html")
    assert json.loads(read(lib, f"api/guides/{GID}.json"))["state"] == "withdrawn"
    assert_api_valid(site(lib))


# --- crash safety -----------------------------------------------------------------------------

#: (fault point, publish run it is reached in: 1 the first, a full build; 2 an incremental one)
CRASHES = [
    ("site.built", 1),
    ("site.switched", 1),
    ("site.staged", 2),
    ("site.renamed", 2),
    ("publish.delivered", 2),
]


def publish_process(lib: Library, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guidesrc", "publish", str(lib.root)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )


@pytest.mark.slow
@pytest.mark.usefixtures("database")
@pytest.mark.parametrize(("point", "run"), CRASHES)
def test_site_publisher_killed_mid_write_recovers(lib: Library, point: str, run: int) -> None:
    approve(lib, "--effective", "today")
    if run == 2:
        assert publish_process(lib).returncode == 0
        lib.edit(GUIDE_FILE, CONDITION, CHANGED_CONDITION)
        approve(lib, "--effective", "today")
    killed = publish_process(lib, GUIDES_FAULT=point)
    assert killed.returncode == -9, killed.stderr
    again = publish_process(lib)
    assert again.returncode == 0, again.stderr
    version = run
    page = read(lib, f"guides/{GID}.html")
    assert f"第 {version} 版（现行有效）" in page
    assert not [p for p in site(lib).resolve().rglob(".*~*")]
    assert not (site(lib) / "_state/pending.json").exists()
    keys = [n["key"] for n in json.loads(read(lib, "api/notices.json"))["notices"]]
    assert len(keys) == len(set(keys)) == 18 + (run == 2)
    feed = feedparser.parse((site(lib) / "feed.xml").read_bytes())
    links = [e.link for e in feed.entries]
    assert len(links) == len(set(links))
    manifest = Manifest.read(site(lib))
    assert f"{GID}@{version}:publish" in manifest.applied
    # Every part the manifest names is there, and no other (guidesrc.site.state).
    parts = {p.name for p in (site(lib) / "_state/parts").iterdir()}
    assert parts == {f"{digest}.json" for digest in manifest.digests()}
    status = json.loads(invoke("status", str(lib.root), "--format", "json").stdout)
    assert {d["status"] for d in status["deliveries"]} == {"delivered"}
    assert_api_valid(site(lib))


# --- injection --------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% raw %}",
    "javascript:alert(1)",
]


def hostile(value: Any, counter: list[int]) -> Any:
    """Every text of a compiled guide replaced by a payload (in turn)."""
    if isinstance(value, dict):
        return {k: v if k == "id" else hostile(v, counter) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile(v, counter) for v in value]
    if isinstance(value, str):
        counter[0] += 1
        return PAYLOADS[counter[0] % len(PAYLOADS)] + value[:0]
    return value


def test_site_injection_payloads_stay_inert_everywhere(tmp_path: Path) -> None:
    from guidesrc.state import WorkingTree, load_state

    compiled = load_state(WorkingTree(REPO / "example")).compiled(GID)
    evil = hostile(copy.deepcopy(compiled), [0])
    evil["id"] = GID
    evil["online"]["url"] = "javascript:alert(1)"
    evil["consult_phones"][0]["phone"] = "javascript:alert(1)"
    payload = "".join(PAYLOADS)
    now = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)
    notice = {
        "status": "changed",
        "effective_date": "2026-09-30",
        "items": [{"field": "conditions", "label": payload, "clauses": PAYLOADS}],
        "text": payload,
    }

    def delivery(gid: str, action: str, version: int) -> Delivery:
        return Delivery(action, gid, version, payload, dt.date(2026, 9, 30), now, "0" * 64,
                        None if action == "withdraw" else evil, notice,
                        payload if action == "withdraw" else None)  # fmt: skip

    config = SiteConfig(payload, payload, "https://zwfw.example.gov.cn/guides")
    result = Site(tmp_path / "site", config).publish(
        [
            delivery(GID, "publish", 1),
            delivery(GID, "announce", 2),
            delivery("other-guide", "publish", 1),
            delivery("other-guide", "withdraw", 2),
        ]
    )
    assert not [r for r in result.receipts if isinstance(r, Exception)]
    root = tmp_path / "site"
    pages = sorted(root.rglob("*.html"))
    assert len(pages) > 10
    # svg, rect, path: the QR code a guide page prints; style: its print footer (@page).
    allowed = {"html", "head", "meta", "title", "link", "script", "body", "a", "header", "div",
               "p", "nav", "ul", "li", "form", "label", "input", "button", "main", "footer", "h1",
               "h2", "h3", "dl", "dt", "dd", "code", "section", "ol", "strong", "table", "caption",
               "thead", "tbody", "tr", "th", "td", "blockquote", "span", "article", "noscript",
               "style", "svg", "rect", "path"}  # fmt: skip
    seen_payload = 0
    for path in pages:
        page = Page(path.read_text(encoding="utf-8"))
        assert {t for t, _a in page.elements} <= allowed, path
        for tag, attrs in page.elements:
            assert not [n for n in attrs if n.startswith("on")], (path, tag, attrs)
            assert "javascript:" not in (attrs.get("href") or ""), (path, attrs)
            assert "alert" not in (attrs.get("src") or "") + (attrs.get("class") or ""), path
        for attrs, body in page.scripts:
            if attrs.get("type") == "application/ld+json":
                assert "<" not in body and ">" not in body and "&" not in body
                assert json.loads(body)["name"] == PAYLOADS[1 % len(PAYLOADS)] or True
            else:
                src = re.sub(r"^(\.\./)*", "", attrs.get("src", ""))
                assert src.startswith(("static/search.js", "static/elder.js")) and not body.strip()
        text = "".join(page.text)
        seen_payload += all(p in text for p in PAYLOADS)
    assert seen_payload >= 3  # the payloads are there, as text
    feed = feedparser.parse((root / "feed.xml").read_bytes())
    assert not feed.bozo and feed.entries[0].title.endswith(payload)
    ET.parse(root / "sitemap.xml")
    for path in root.rglob("*.json"):
        json.loads(path.read_bytes())  # all still valid JSON
    docs = json.loads((root / "search/d0.json").read_bytes())
    assert docs[0][0] == GID and "<script>" in docs[0][1] + docs[0][2]
    guide_doc = json.loads((root / f"api/guides/{GID}.json").read_bytes())
    assert guide_doc["current"]["guide"]["name"] == evil["name"]


# --- search -----------------------------------------------------------------------------------


def test_search_terms_are_characters_bigrams_and_ascii_words() -> None:
    assert index_terms("身份证 ＡＢ12") == {"身", "份", "证", "身份", "份证", "ab12"}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.usefixtures("database")
def test_search_script_finds_a_guide_by_a_chinese_keyword(lib: Library) -> None:
    """static/search.js, run by node against the built index (a stub DOM, fetch from files)."""
    first_publish(lib)
    harness = """
const fs = require("fs"), path = require("path");
const root = process.argv[2];
const results = {children: [], textContent: "", appendChild(c) { this.children.push(c); }};
const status = {textContent: ""};
const input = {value: "", form: null, addEventListener() {}};
const element = () => ({children: [], appendChild(c) { this.children.push(c); }, textContent: "",
  href: "", className: ""});
global.document = {
  currentScript: {getAttribute: () => ""},
  getElementById: (id) => ({search: input, results, "search-status": status})[id],
  createElement: element,
  createTextNode: (text) => ({textContent: text}),
};
global.window = {location: {search: "?q=" + encodeURIComponent(process.argv[3]), href: "http://x/"}};
global.fetch = (url) => Promise.resolve({ok: true,
  json: () => Promise.resolve(JSON.parse(fs.readFileSync(path.join(root, url))))});
Object.defineProperty(results, "textContent", {set() { results.children = []; }, get() { return ""; }});
require(path.join(root, "static/search.js"));
setTimeout(() => console.log(JSON.stringify({
  status: status.textContent, found: results.children.map((li) => li.children[0].textContent)})),
  200);
"""
    script = Path(site(lib)) / "harness.js"
    script.write_text(harness, encoding="utf-8")
    out = subprocess.run(
        ["node", str(script), str(site(lib).resolve()), "结婚"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    body = json.loads(out.stdout)
    assert body["status"].startswith("找到 ") and body["found"][0] == "内地居民结婚登记"
    script.unlink()


# --- settings, guides serve ---------------------------------------------------------------------


def test_site_settings_are_checked(lib: Library) -> None:
    lib.edit("library.yaml", "      title: 示例市网上办事大厅\n", "      folder: x\n")
    run = lib.check()
    assert run.exit_code == 1
    assert "channels.site.settings.folder: 未知字段“folder”" in run.stdout


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def preview(lib: Library) -> Iterator[Any]:
    from guidesrc.site.preview import start_preview

    first_publish(lib)
    withdraw(lib.root, "gaoling-jintie", "并入其他事项")
    lib.edit(GUIDE_FILE, "男女双方应当亲自到", "男女双方必须亲自到")  # not approved: a draft
    server = start_preview(lib.root, 0)
    server.serve()
    yield server
    server.close()


@pytest.mark.usefixtures("database")
def test_serve_shows_drafts_with_their_redline_on_both_loopback_addresses(preview: Any) -> None:
    assert preview.urls[0] == f"http://127.0.0.1:{preview.port}/"
    status, body = get(preview.urls[0] + f"guides/{GID}.html")
    assert status == 200
    page = Page(body)
    assert page.all("div", class_="draft-banner") and "草稿，未经审核" in "".join(page.text)
    assert "到办事现场次数（必须到现场原因）：根据" in "".join(page.text)
    assert "<del>应当</del><ins>必须</ins>" in body
    status, body = get(preview.urls[0] + "guides/chusheng-dengji.html")
    assert status == 200 and "draft-banner" not in body
    assert get(preview.urls[0])[0] == 200
    status, body = get(preview.urls[0] + "guides/gaoling-jintie.html")
    assert status == 410 and "撤回原因：并入其他事项" in body
    assert get(preview.urls[0] + "no-such-page.html")[0] == 404
    if len(preview.urls) == 2:  # ::1 where the machine has IPv6
        assert preview.urls[1] == f"http://[::1]:{preview.port}/"
        status, body = get(preview.urls[1] + f"guides/{GID}.html")
        assert status == 200 and "草稿，未经审核" in body
    else:
        assert preview.warnings


@pytest.mark.usefixtures("database")
def test_serve_rebuilds_when_the_library_changes(preview: Any, lib: Library) -> None:
    lib.edit(GUIDE_FILE, "name: 内地居民结婚登记", "name: 内地居民结婚登记（预约制）")
    preview._checked = 0.0  # let the next page request look at the files at once
    status, body = get(preview.urls[0] + f"guides/{GID}.html")
    assert status == 200 and "内地居民结婚登记（预约制）" in body


def example_deliveries() -> list[Delivery]:
    from guidesrc.compile import canonical, content_hash
    from guidesrc.state import WorkingTree, load_state

    state = load_state(WorkingTree(REPO / "example"))
    now = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)
    out = []
    for gid in sorted(state.guide_files):
        compiled = state.compiled(gid)
        notice = {"status": "added", "effective_date": "2026-09-30", "items": [], "text": "新增。"}
        out.append(
            Delivery(
                "publish",
                gid,
                1,
                compiled["name"],
                dt.date(2026, 9, 30),
                now,
                content_hash(compiled),
                canonical(compiled),
                notice,
            )
        )
    return out


def test_site_full_build_is_the_same_in_one_process_or_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import guidesrc.site.parallel as parallel

    deliveries = example_deliveries()
    Site(tmp_path / "one", example_config()).publish(deliveries)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    monkeypatch.setattr(parallel, "CHUNK", 2)
    forks: list[int] = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    Site(tmp_path / "two", example_config()).publish(deliveries)
    assert forks == [1]
    one, two = files_of(tmp_path / "one"), files_of(tmp_path / "two")
    assert len(one) > 18 * 4 and one == two


def test_serve_says_when_the_port_is_taken(lib: Library) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = invoke("serve", str(lib.root), "--port", str(port))
    assert run.exit_code == 2
    assert run.stderr.splitlines()[-1] == f"错误：无法监听端口 {port}：Address already in use"


def test_site_optional_fields_are_the_models() -> None:
    """The templates read an optional field the null-free guide leaves out as None: the list of
    those fields is every field of the guide's models (and its catalogue entries') that may be
    None, so that no other name a template misspells reads as None."""
    import types
    import typing

    from pydantic import BaseModel

    from guidesrc.model.catalogues import FaqEntry, LegalBasis, Material, Office
    from guidesrc.model.guide import Guide
    from guidesrc.site.render import OPTIONAL_FIELDS

    def nested(annotation: Any) -> list[type[BaseModel]]:
        found = (
            [annotation]
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else []
        )
        return found + [m for a in typing.get_args(annotation) for m in nested(a)]

    seen: set[type[BaseModel]] = set()
    optional: set[str] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            if type(None) in typing.get_args(info.annotation) and typing.get_origin(
                info.annotation
            ) in (typing.Union, types.UnionType):
                optional.add(name)
            for inner in nested(info.annotation):
                walk(inner)

    for model in (Guide, Material, LegalBasis, Office, FaqEntry):
        walk(model)
    assert optional == OPTIONAL_FIELDS
