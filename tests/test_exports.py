"""The export channels (hotline, mobile, cpsv) through `guides approve` and `guides publish`.

Every test runs on both ledgers (the ``database`` fixture). The CPSV-AP export is read with a
local JSON-LD document loader and validated against the vendored official SHACL shapes: nothing
is fetched from the network.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa

from guidesrc.adapters import Delivery
from guidesrc.compile import content_hash
from guidesrc.ledger import open_ledger
from guidesrc.ledger.models import Publication
from guidesrc.state import WorkingTree, load_state
from tests import exports_read
from tests.conftest import EXPORTS, REPO, Library, channel_entries, invoke, withdraw

pytestmark = pytest.mark.usefixtures("database")

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.datetime.now(SHANGHAI).date()
CPSV_DATA = REPO / "guidesrc" / "adapters" / "cpsv_data"
CHANNELS = channel_entries(**EXPORTS)
NOTE = "首次发布（内部备注：联系人李四，分机 8021）"
GID = "linshi-jumin-shenfenzheng"


def approve(lib: Library, *args: str) -> None:
    run = invoke("approve", str(lib.root), *args)
    assert run.exit_code == 0, run.stderr


def publish(lib: Library) -> str:
    run = invoke("publish", str(lib.root))
    assert run.exit_code == 0, run.stdout + run.stderr
    return run.stdout


def with_exports(example: Library) -> Library:
    """The example library with the three export channels, all 18 guides approved and published."""
    example.edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n" + CHANNELS,
    )
    approve(example, "--effective", "today", "--note", NOTE)
    publish(example)
    return example


@pytest.fixture
def lib(example: Library) -> Library:
    return with_exports(example)


def out(lib: Library, rel: str) -> Path:
    return lib.root / "out" / rel


def load(lib: Library, rel: str) -> Any:
    return json.loads(out(lib, rel).read_text(encoding="utf-8"))


def schema(name: str) -> dict[str, Any]:
    return dict(json.loads((REPO / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")))


def csv_rows(lib: Library, rel: str) -> list[list[str]]:
    return exports_read.csv_file(out(lib, rel))


def snapshot(lib: Library) -> dict[str, bytes]:
    root = lib.root / "out"
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def parts(lib: Library, pattern: str) -> list[Path]:
    """The files of an export's shards (and FAQ) matching ``pattern``, by path."""
    return sorted((lib.root / "out").glob(pattern))


def hotline_body(lib: Library) -> dict[str, list[Any]]:
    return exports_read.hotline_body(out(lib, "hotline"))


def hotline_items(lib: Library, folder: str = "items") -> list[list[str]]:
    return exports_read.hotline_rows(out(lib, "hotline"), folder)


def mobile_index(lib: Library) -> list[dict[str, Any]]:
    return exports_read.mobile_index(out(lib, "mobile"))


def validate_all(lib: Library) -> None:
    jsonschema.validate(load(lib, "mobile/index.json"), schema("mobile-index"))
    for path in parts(lib, "mobile/index/*.json"):
        jsonschema.validate(json.loads(path.read_bytes()), schema("mobile-index-part"))
    jsonschema.validate(load(lib, "mobile/changes.json"), schema("mobile-changes"))
    for folder in ("guides", "upcoming"):
        for path in sorted(out(lib, f"mobile/{folder}").glob("*.json")):
            jsonschema.validate(
                json.loads(path.read_text(encoding="utf-8")), schema("mobile-guide")
            )
    for path in parts(lib, "hotline/json/*.json"):
        jsonschema.validate(json.loads(path.read_bytes()), schema("hotline"))
    jsonschema.validate(load(lib, "hotline/index.json"), schema("export-index"))


# --- CPSV-AP: JSON-LD and SHACL, offline ---------------------------------------------------------


def cpsv_graph(document: dict[str, Any]) -> Any:
    import rdflib
    from pyld import jsonld

    from guidesrc.adapters.cpsv import CONTEXT_URL

    context = json.loads((CPSV_DATA / "cpsv-ap_en.jsonld").read_text(encoding="utf-8"))

    def loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url != CONTEXT_URL:
            raise AssertionError(f"the export needs {url}, which is not vendored")
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": context,
        }

    quads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": loader})
    return rdflib.Graph().parse(data=quads, format="nt")  # one default graph: N-Triples


def shacl(graph: Any) -> tuple[bool, str]:
    import pyshacl
    import rdflib

    shapes = rdflib.Graph().parse(CPSV_DATA / "cpsv-ap-SHACL.ttl", format="turtle")
    conforms, _report, text = pyshacl.validate(graph, shacl_graph=shapes)
    return bool(conforms), str(text)


def test_cpsv_export_is_json_ld_that_conforms_to_the_cpsv_ap_shapes(lib: Library) -> None:
    import rdflib
    from rdflib.namespace import DCTERMS, RDF

    document = load(lib, "cpsv/cpsv-ap.jsonld")
    assert document["@context"][0] == (
        "https://semiceu.github.io/CPSV-AP/releases/3.2.0/context/cpsv-ap_en.jsonld"
    )
    graph = cpsv_graph(document)
    cpsv = rdflib.Namespace("http://purl.org/vocab/cpsv#")
    cv = rdflib.Namespace("http://data.europa.eu/m8g/")
    services = set(graph.subjects(RDF.type, cpsv.PublicService))
    assert len(services) == 18
    for kind in (
        cv.Requirement,
        cv.Evidence,
        cpsv.Rule,
        cv.Cost,
        cv.Channel,
        cv.ContactPoint,
        cv.Output,
        cv.PublicOrganisation,
    ):
        assert set(graph.subjects(RDF.type, kind)), kind
    titles = list(graph.objects(None, DCTERMS.title))
    assert titles and {t.language.lower() for t in titles} == {"zh-cn"}  # BCP 47: case-insensitive
    conforms, report = shacl(graph)
    assert conforms, report
    # The shapes do check: a service without its identifier (1..1) fails.
    service = sorted(services)[0]
    graph.remove((service, DCTERMS.identifier, None))
    conforms, report = shacl(graph)
    assert not conforms and "identifier" in report


def test_cpsv_export_maps_a_guide(lib: Library) -> None:
    nodes = {n["@id"]: n for n in load(lib, "cpsv/cpsv-ap.jsonld")["@graph"]}
    base = "https://zwfw.example.gov.cn/cpsv/"
    service = nodes[f"{base}service/{GID}"]
    assert service["PublicService.identifier"] == "11990100MB1A00010Q7000107002000"
    assert service["PublicService.name"] == [{"@value": "临时居民身份证申领", "@language": "zh-CN"}]
    assert service["PublicService.processingTime"] == "PT0S"  # 即时办结
    (authority,) = service["PublicService.hasCompetentAuthority"]
    assert nodes[authority]["PublicOrganization.preferredLabel"] == [
        {"@value": "示例市公安局", "@language": "zh-CN"}
    ]
    (cost,) = service["PublicService.hasCost"]
    assert nodes[cost]["Cost.hasValue"] == 10.0
    assert (
        nodes[cost]["Cost.currency"]
        == "http://publications.europa.eu/resource/authority/currency/CNY"
    )


# --- the whole run ------------------------------------------------------------------------------


def test_publish_writes_every_export_and_a_second_run_changes_nothing(lib: Library) -> None:
    validate_all(lib)
    index = mobile_index(lib)
    assert [g["id"] for g in index] == sorted(p.stem for p in (lib.root / "guides").glob("*.yaml"))
    assert {g["state"] for g in index} == {"current"}
    entry = next(g for g in index if g["id"] == GID)
    doc_bytes = out(lib, f"mobile/guides/{GID}.json").read_bytes()
    import hashlib

    assert entry["etag"] == f'"{hashlib.sha256(doc_bytes).hexdigest()}"'
    assert json.loads(doc_bytes)["content_hash"] == entry["content_hash"]
    changes = load(lib, "mobile/changes.json")
    assert (changes["first_seq"], changes["last_seq"], len(changes["changes"])) == (1, 18, 18)
    body = hotline_body(lib)
    assert len(body["cards"]) == 18 and body["withdrawn"] == []
    assert {q["id"] for q in body["faq"]} >= {"faq:jindu-chaxun", "faq:weituo-daiban"}
    before = snapshot(lib)
    assert publish(lib) == ""
    approve_run = invoke("approve", str(lib.root), "--effective", "today")
    assert approve_run.exit_code == 0
    publish(lib)
    assert changed(before, snapshot(lib)) == set()


def test_hotline_csv_has_the_documented_columns_and_one_row_per_item(lib: Library) -> None:
    rows = hotline_items(lib)
    assert rows[0] == [
        "知识编号",
        "类目",
        "标题",
        "内容",
        "关键字",
        "材料性质",
        "发文单位",
        "实施编码",
        "版本",
        "生效日期",
        "状态",
        "内容哈希",
        "链接",
    ]
    state = load_state(WorkingTree(lib.root))
    page = f"https://zwfw.example.gov.cn/guides/{GID}.html"
    (row,) = [r for r in rows if r[0] == f"guide:{GID}"]
    assert row == [
        f"guide:{GID}",
        "示例市政务服务中心办事指南库（示例资料库）/办事指南/户籍办理",
        "临时居民身份证申领",
        "【办理条件】（1）已申请领取、换领或者补领居民身份证，在居民身份证制作期间急需使用身份证件的；"
        "（2）申请人本人到场，并能提供居民身份证领取凭证。"
        "【申请材料】《居民身份证领取凭证》原件1份；《居民身份证申领登记表》原件1份。"
        "【办理时限】承诺即时办结。"
        "【收费】临时居民身份证工本费：每证 10 元。"
        "【办理地点】示例市政务服务中心一楼 A 区至二楼 D 区（示例市中心区民生路 1 号），A03 窗口（户政业务）；"
        "示例市公安局中心区分局民生派出所一楼户籍室（示例市中心区民生路 88 号），2 号窗口（居民身份证）。"
        "【办理时间】示例市政务服务中心：周一至周五（法定节假日除外） 9:00–12:00，13:30–17:30，"
        "周六（A 区户政、C 区社保窗口） 9:00–12:00；示例市公安局中心区分局民生派出所：周一至周五（法定节假日除外） "
        "8:30–12:00，14:00–17:30，周六 9:00–12:00（仅办理居民身份证业务）。"
        "【咨询电话】0990-12345678（工作日 9:00–17:00）。"
        f"【办事指南】{page}",
        "户籍办理,证件办理,公共服务",
        "办事指南",
        "示例市公安局",
        "11990100MB1A00010Q7000107002000",
        "1",
        TODAY.isoformat(),
        "现行",
        content_hash(state.compiled(GID)),
        page,
    ]
    cards = [r for r in rows[1:] if r[5] == "办事指南"]
    faq = [r for r in rows[1:] if r[5] == "热点问答"]
    assert len(cards) == 18 and len(faq) == len(hotline_body(lib)["faq"])
    assert [r[0] for r in csv_rows(lib, "hotline/items/faq.csv")[1:]] == [r[0] for r in faq]
    assert parts(lib, "hotline/withdrawn/*") == []  # nothing withdrawn


# --- incremental, upcoming, withdrawal ----------------------------------------------------------


def test_one_changed_guide_rewrites_only_its_documents_and_the_library_wide_files(
    lib: Library,
) -> None:
    before = snapshot(lib)
    text = lib.read(f"guides/{GID}.yaml")
    lib.write(f"guides/{GID}.yaml", text.replace("每证 10 元", "每证 5 元"))
    approve(lib, "--effective", "today", "--note", "降低工本费")
    publish(lib)
    after = snapshot(lib)
    from guidesrc.adapters.shards import shard_of

    hh = shard_of(GID)
    # the FAQ state's shard of the guide's FAQ entry is new when the entry comes with a new
    # approval time (not when both approvals fell in the same second: the time is kept to the
    # second)
    fh = shard_of("shenfenzheng-yidi")
    faq_state = {f"hotline/_state/hotline-faq-{fh}.{n}.json" for n in (1, 2)}
    assert changed(before, after) & faq_state in (set(), faq_state)
    # its shard's files and manifest part (a new generation replaces the old one), the index
    assert changed(before, after) - faq_state == {
        "hotline/.hotline-manifest.json",
        "hotline/_state/hotline-" + hh + ".1.json",
        "hotline/_state/hotline-" + hh + ".2.json",
        f"hotline/items/{hh}.csv",
        f"hotline/json/{hh}.json",
        "hotline/index.json",
        "mobile/.mobile-manifest.json",
        "mobile/_state/mobile-" + hh + ".1.json",
        "mobile/_state/mobile-" + hh + ".2.json",
        f"mobile/guides/{GID}.json",
        f"mobile/index/{hh}.json",
        "mobile/index.json",
        "mobile/changes.json",
        "cpsv/.cpsv-manifest.json",
        "cpsv/_state/cpsv-" + hh + ".1.json",
        "cpsv/_state/cpsv-" + hh + ".2.json",
        "cpsv/cpsv-ap.jsonld",
    }
    assert not out(lib, f"hotline/_state/hotline-{hh}.1.json").exists()
    change = load(lib, "mobile/changes.json")["changes"][-1]
    assert (change["seq"], change["id"], change["version"], change["action"]) == (
        19,
        GID,
        2,
        "publish",
    )
    assert "“临时居民身份证工本费”收费标准由“每证 10 元”调整为“每证 5 元”" in change["notice"]
    validate_all(lib)


def test_an_announced_version_is_upcoming_and_the_current_one_stays(lib: Library) -> None:
    later = TODAY + dt.timedelta(days=30)
    text = lib.read(f"guides/{GID}.yaml")
    lib.write(f"guides/{GID}.yaml", text.replace("每证 10 元", "每证 5 元"))
    cpsv_before = out(lib, "cpsv/cpsv-ap.jsonld").read_bytes()
    approve(lib, "--effective", later.isoformat(), "--note", "降低工本费")
    publish(lib)
    entry = next(g for g in mobile_index(lib) if g["id"] == GID)
    assert (entry["state"], entry["version"], entry["upcoming"]["version"]) == ("current", 1, 2)
    when = f"自 {later.year} 年 {later.month} 月 {later.day} 日起实施。"
    assert entry["upcoming"]["notice"].endswith(when)
    assert load(lib, f"mobile/upcoming/{GID}.json")["version"] == 2
    assert load(lib, f"mobile/guides/{GID}.json")["version"] == 1
    card = next(c for c in hotline_body(lib)["cards"] if c["guide_id"] == GID)
    assert "【收费】临时居民身份证工本费：每证 10 元。" in card["text"]  # the text in force
    assert card["text"].endswith(when) and "【即将调整】" in card["text"]
    assert out(lib, "cpsv/cpsv-ap.jsonld").read_bytes() == cpsv_before  # current versions only
    validate_all(lib)
    # The effective date comes: the next run switches every export to version 2.
    from guidesrc.adapters import make_adapters
    from guidesrc.publisher import publish as run_publish
    from guidesrc.workdays import read_config

    ledger = open_ledger(lib.root)
    report = run_publish(
        ledger,
        make_adapters(lib.root, read_config(lib.root)),
        deadline_for=lambda t: t,
        timezone="Asia/Shanghai",
        clock=lambda: dt.datetime.combine(later, dt.time(0, 5), SHANGHAI),
    )
    ledger.close()
    assert {(o.channel, o.action, o.ok) for o in report.outcomes} >= {
        ("hotline", "activate", True),
        ("mobile", "activate", True),
        ("cpsv", "activate", True),
    }
    entry = next(g for g in mobile_index(lib) if g["id"] == GID)
    assert (entry["version"], entry["upcoming"]) == (2, None)
    assert not out(lib, f"mobile/upcoming/{GID}.json").exists()
    assert load(lib, "mobile/changes.json")["changes"][-1]["action"] == "activate"
    card = next(c for c in hotline_body(lib)["cards"] if c["guide_id"] == GID)
    assert "【收费】临时居民身份证工本费：每证 5 元。" in card["text"]
    assert "【即将调整】" not in card["text"] and card["upcoming"] is None
    assert out(lib, "cpsv/cpsv-ap.jsonld").read_bytes() != cpsv_before
    validate_all(lib)


def test_a_withdrawn_guide_leaves_every_export_and_the_feeds_say_so(lib: Library) -> None:
    run = withdraw(lib.root, GID, "该事项已划转至市公安局出入境窗口办理")
    assert run.exit_code == 0, run.stderr
    publish(lib)
    assert not out(lib, f"mobile/guides/{GID}.json").exists()
    entry = next(g for g in mobile_index(lib) if g["id"] == GID)
    assert (entry["state"], entry["reason"]) == (
        "withdrawn",
        "该事项已划转至市公安局出入境窗口办理",
    )
    change = load(lib, "mobile/changes.json")["changes"][-1]
    assert (change["action"], change["state"], change["id"]) == ("withdraw", "withdrawn", GID)
    body = hotline_body(lib)
    assert GID not in {c["guide_id"] for c in body["cards"]}
    rows = hotline_items(lib, "withdrawn")
    assert rows[1][:3] == [
        f"guide:{GID}",
        "临时居民身份证申领",
        "该事项已划转至市公安局出入境窗口办理",
    ]
    assert f"guide:{GID}" not in {r[0] for r in hotline_items(lib)}
    ids = {n["@id"] for n in load(lib, "cpsv/cpsv-ap.jsonld")["@graph"]}
    assert not any(GID in i for i in ids)
    validate_all(lib)


def full_rebuild(lib: Library) -> dict[str, bytes]:
    """The files of the hotline and the mobile index as a whole rebuild from each manifest
    writes them (path → bytes)."""
    from guidesrc.adapters import hotline, make_adapters, mobile
    from guidesrc.workdays import read_config

    adapters = make_adapters(lib.root, read_config(lib.root))
    name = str(load_state(WorkingTree(lib.root)).config.name)
    kept = adapters["hotline"].load()  # type: ignore[attr-defined]
    root = hotline.plain(adapters["hotline"].settings.category_root or name)
    files = {
        f"hotline/{rel}": data for rel, data in hotline.knowledge_base(kept, root, name).items()
    }
    index = mobile.index(adapters["mobile"].load(), name)  # type: ignore[attr-defined]
    return files | {f"mobile/{rel}": data for rel, data in index.items()}


def written(lib: Library, *exports: str) -> dict[str, bytes]:
    """The files of the exports as they are, but the manifests, the documents and the feed."""
    return {
        f"{name}/{rel}": data
        for name in exports
        for rel, data in snapshot_of(lib.root / "out" / name).items()
        if not rel.startswith(("_state/", ".", "guides/", "upcoming/", "changes.json"))
    }


def snapshot_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_an_incremental_publish_writes_the_bytes_of_a_full_rebuild(lib: Library) -> None:
    """The exports render only the shards of the guides a run changed: after a change, an
    announcement and a withdrawal, every file is byte for byte what a full rebuild writes, and
    again after the settings that shape every file changed."""
    text = lib.read(f"guides/{GID}.yaml")
    lib.write(f"guides/{GID}.yaml", text.replace("每证 10 元", "每证 5 元"))
    approve(lib, "--effective", "today", "--note", "降低工本费")
    publish(lib)
    other = sorted(p.stem for p in (lib.root / "guides").glob("*.yaml") if p.stem != GID)[0]
    later = (TODAY + dt.timedelta(days=30)).isoformat()
    body = lib.read(f"guides/{other}.yaml")
    lib.write(f"guides/{other}.yaml", body.replace("name: ", "name: 新", 1))
    approve(lib, "--effective", later, "--note", "更名")
    assert withdraw(lib.root, GID, "该事项已划转").exit_code == 0
    publish(lib)
    assert written(lib, "hotline", "mobile") == full_rebuild(lib)
    assert [r[0] for r in hotline_items(lib, "withdrawn")] == ["知识编号", f"guide:{GID}"]
    # The category root changes: every card is rendered again (with it), the same as a rebuild.
    lib.edit("library.yaml", "    type: hotline\n", "    type: hotline\n")
    config = lib.read("library.yaml")
    assert "out/hotline\n" in config
    lib.write(
        "library.yaml",
        config.replace("out/hotline\n", "out/hotline\n      category_root: 新知识库\n", 1),
    )
    lib.write(f"guides/{other}.yaml", body.replace("name: ", "name: 另", 1))
    approve(lib, "--effective", later, "--note", "更名")
    publish(lib)
    assert written(lib, "hotline", "mobile") == full_rebuild(lib)
    assert all(c["category"].startswith("新知识库/") for c in hotline_body(lib)["cards"])
    validate_all(lib)


# --- crash safety -------------------------------------------------------------------------------


def run_publish(lib: Library, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guidesrc", "publish", str(lib.root)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "point", ["mobile.written", "hotline.written", "cpsv.written", "publish.delivered"]
)
def test_a_publisher_killed_mid_export_resumes_to_the_same_files(
    example: Library, point: str
) -> None:
    # The export channels alone, so that the first batch of the run is an export's.
    archive = "  archive:\n    type: directory\n    settings:\n      path: .guides/published\n"
    example.edit("library.yaml", archive, CHANNELS)
    approve(example, "--effective", "today", "--note", NOTE)
    crashed = run_publish(example, GUIDES_FAULT=point)
    assert crashed.returncode == -9, crashed.stderr
    resumed = run_publish(example)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert resumed.stderr.endswith("失败 0 次；留待以后运行 0 次（尚未到期或待重试）\n")
    assert len(load(example, "mobile/changes.json")["changes"]) == 18  # no duplicate
    ledger = open_ledger(example.root)
    with ledger.engine.connect() as conn:
        counts = conn.execute(
            sa.text("SELECT channel, status, count(*) FROM publication GROUP BY channel, status")
        ).all()
        found: dict[str, set[bool]] = {}
        for channel, receipt in conn.execute(sa.select(Publication.channel, Publication.receipt)):
            found.setdefault(channel, set()).add(bool(receipt.get("found")))
    ledger.close()
    assert sorted(tuple(r) for r in counts) == [
        ("cpsv", "delivered", 18),
        ("hotline", "delivered", 18),
        ("mobile", "delivered", 18),
    ]
    if point == "publish.delivered":  # the first batch had landed: the retry found it (lookup)
        assert sorted(found.values(), key=sorted) == [{False}, {False}, {True}]
    # The same bytes as one uninterrupted delivery of the same versions.
    resumed_files = snapshot(example)
    shutil.rmtree(example.root / "out")
    redeliver_all(example)
    assert snapshot(example) == resumed_files


def redeliver_all(lib: Library, size: int | None = None) -> None:
    """Every delivery of the ledger, in order, to fresh adapters in one batch per channel (or
    in batches of ``size``: runs of their own)."""
    from sqlmodel import select

    from guidesrc.adapters import make_adapters
    from guidesrc.ledger.models import Approval, GuideVersion, Publication
    from guidesrc.workdays import read_config

    adapters = make_adapters(lib.root, read_config(lib.root))
    ledger = open_ledger(lib.root)
    work: dict[str, list[Any]] = {}
    with ledger.session() as session:
        for pub in session.exec(select(Publication).order_by(Publication.id)).all():  # type: ignore[arg-type]
            version = session.get(GuideVersion, pub.version_id)
            assert version is not None
            approval = session.get(Approval, version.approval_id)
            assert approval is not None
            work.setdefault(pub.channel, []).append(
                (Delivery.of(pub.action, version, approval.approved_at, pub.deadline), False)
            )
    ledger.close()
    for channel, items in work.items():
        step = size or len(items)
        for start in range(0, len(items), step):
            results = adapters[channel].deliver_many(items[start : start + step])
            assert not [r for r in results if isinstance(r, Exception)]


def channel_files(lib: Library) -> dict[str, bytes]:
    """The files the exports and the directory channel publish (not their signatures, nor
    their bookkeeping: manifests, ``_state/``, whose generations count the runs)."""
    found = {}
    for folder in ("out", ".guides/published"):
        root = lib.root / folder
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            own = any(
                p.startswith((".", "_state", "guides-manifest", "guides-public")) for p in rel.parts
            )
            if path.is_file() and not own:
                found[f"{folder}/{rel}"] = path.read_bytes()
    return found


def test_a_first_publish_and_runs_of_one_delivery_write_the_same_bytes(lib: Library) -> None:
    """The directory channel and the exports written by a first publish and an incremental one
    hold the bytes of the same deliveries made again into empty folders, one run per delivery
    (each file synced by itself) or all in one run (written aside and flushed together)."""
    text = lib.read(f"guides/{GID}.yaml")
    lib.write(f"guides/{GID}.yaml", text.replace("每证 10 元", "每证 5 元"))
    approve(lib, "--effective", "today", "--note", "降低工本费")
    publish(lib)
    published = channel_files(lib)
    assert f"out/mobile/guides/{GID}.json" in published
    assert f".guides/published/guides/{GID}.json" in published
    for size in (1, None):
        shutil.rmtree(lib.root / "out")
        shutil.rmtree(lib.root / ".guides/published")
        redeliver_all(lib, size)
        assert channel_files(lib) == published


def test_lookup_and_redelivery_are_idempotent(lib: Library) -> None:
    from guidesrc.adapters import make_adapters
    from guidesrc.workdays import read_config

    adapters = make_adapters(lib.root, read_config(lib.root))
    ledger = open_ledger(lib.root)
    from sqlmodel import select

    from guidesrc.ledger.models import Approval, GuideVersion, Publication

    with ledger.session() as session:
        pub = session.exec(select(Publication).where(Publication.channel == "mobile")).first()
        assert pub is not None
        version = session.get(GuideVersion, pub.version_id)
        assert version is not None
        approval = session.get(Approval, version.approval_id)
        assert approval is not None
        delivery = Delivery.of(pub.action, version, approval.approved_at, pub.deadline)
    ledger.close()
    before = snapshot(lib)
    for name in ("hotline", "mobile", "cpsv"):
        adapter = adapters[name]
        assert adapter.lookup(delivery) == {"channel": name, "key": delivery.key, "found": True}
        assert adapter.deliver_many([(delivery, True)])[0] == {
            "channel": name,
            "key": delivery.key,
            "found": True,
        }
        assert adapter.deliver(delivery) == adapter.lookup(delivery)
    assert changed(before, snapshot(lib)) == set()


# --- hostile text and personal data -------------------------------------------------------------

HOSTILE_QUESTION = "=cmd|' /C calc'!A0"
HOSTILE_ANSWER = '第一行，含逗号,和"引号"\n<script>alert("x")</script>\n@SUM(1+1)'


def test_hostile_text_stays_text_in_every_export(example: Library) -> None:
    example.edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n" + CHANNELS,
    )
    faq = example.read("catalogues/faq.yaml")
    start = faq.index("    question: 提交申请后，怎么查询办到哪一步了？")
    end = faq.index("    tags: [办件查询, 网上办理]")
    example.write(
        "catalogues/faq.yaml",
        faq[:start]
        + f"    question: {json.dumps(HOSTILE_QUESTION, ensure_ascii=False)}\n"
        + f"    answer: {json.dumps(HOSTILE_ANSWER, ensure_ascii=False)}\n"
        + faq[end:],
    )
    example.edit(
        f"guides/{GID}.yaml", "name: 临时居民身份证申领", 'name: "+临时居民身份证申领, <b>加急</b>"'
    )
    approve(example, "--effective", "today", "--note", NOTE)
    publish(example)
    rows = {r[0]: r for r in hotline_items(example)}
    question = rows["faq:jindu-chaxun"]
    assert question[2] == "'" + HOSTILE_QUESTION  # shown as text, not run as a formula
    assert (
        question[3] == '第一行，含逗号,和"引号" <script>alert("x")</script> @SUM(1+1)'
    )  # one line
    assert rows[f"guide:{GID}"][2] == "'+临时居民身份证申领, <b>加急</b>"
    for row in rows.values():
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row)
    body = hotline_body(example)
    (q,) = [q for q in body["faq"] if q["id"] == "faq:jindu-chaxun"]
    assert q["title"] == HOSTILE_QUESTION  # JSON carries the text itself
    doc = load(example, "mobile/guides/hukou-qianru-fuqi-toukao.json")
    assert next(f for f in doc["faq"] if f["id"] == "jindu-chaxun")["answer"] == HOSTILE_ANSWER
    assert load(example, f"mobile/guides/{GID}.json")["name"] == "+临时居民身份证申领, <b>加急</b>"
    graph = cpsv_graph(load(example, "cpsv/cpsv-ap.jsonld"))
    assert shacl(graph)[0]
    validate_all(example)


def test_nothing_beyond_the_published_guide_is_exported(lib: Library) -> None:
    """Who approved, the internal note and the ledger's details stay in the ledger."""
    for path in sorted((lib.root / "out").rglob("*")):
        if path.is_file():
            text = path.read_bytes().decode("utf-8-sig")
            for secret in ("审核员乙", "李四", "分机 8021", "内部备注"):
                assert secret not in text, (secret, path)


def test_channel_settings_are_checked(example: Library) -> None:
    example.edit(
        "library.yaml",
        "      path: .guides/published\n",
        "      path: .guides/published\n  hotline:\n    type: hotline\n    settings:\n      path: ''\n      colour: red\n",
    )
    run = example.check()
    assert run.exit_code == 1
    assert "channels.hotline.settings.path" in run.stdout
    assert "channels.hotline.settings.colour" in run.stdout


def test_a_manifest_part_of_a_run_stopped_before_its_commit_is_never_read(tmp_path: Path) -> None:
    """The top file names each shard's generation: a shard written by a run that stopped before
    replacing the top file is not read (the guide is as the last commit left it), and the next
    commit removes it."""
    from guidesrc.adapters.shards import GuideStates, shard_of

    first = GuideStates(tmp_path, "x", {})
    first["g1"] = {"keys": ["k1"]}
    committed = first.save()
    assert committed == {shard_of("g1"): 1}
    run = GuideStates(tmp_path, "x", committed)
    assert run["g1"] == {"keys": ["k1"]} and "g2" not in run
    run["g1"] = {"keys": ["k1", "k2"]}
    run.save()  # written, but the run stops before the top file names it
    resumed = GuideStates(tmp_path, "x", committed)
    assert resumed["g1"] == {"keys": ["k1"]}
    resumed.clean()
    assert [p.name for p in (tmp_path / "_state").iterdir()] == [f"x-{shard_of('g1')}.1.json"]


def test_an_export_in_the_one_file_layout_is_taken_over_by_the_next_publish(lib: Library) -> None:
    """A hotline or mobile export written before shards (manifest format 1, one file, with
    hotline.csv and the parts caches beside it): the next publish takes the manifest over,
    writes every shard and removes the old files; nothing is delivered twice."""
    import shutil as sh

    from guidesrc.adapters import make_adapters
    from guidesrc.workdays import read_config

    adapters = make_adapters(lib.root, read_config(lib.root))
    for name in ("hotline", "mobile"):
        kept = adapters[name].load()  # type: ignore[attr-defined]
        mine = ("guides", "shards", "files", "faq_state", "made_with")
        top = {k: v for k, v in kept.items() if k not in mine}
        old = {**top, "format": 1, "guides": dict(kept["guides"].items())}
        folder = out(lib, name)
        for rel in ("_state", "index", "items", "json", "withdrawn", "index.json"):
            path = folder / rel
            sh.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        (folder / f".{name}-manifest.json").write_text(json.dumps(old), encoding="utf-8")
        (folder / f".{name}-parts.json").write_text("{}", encoding="utf-8")
    out(lib, "hotline/hotline.csv").write_text("old", encoding="utf-8")
    seq = load(lib, "mobile/changes.json")["last_seq"]
    text = lib.read(f"guides/{GID}.yaml")
    lib.write(f"guides/{GID}.yaml", text.replace("每证 10 元", "每证 5 元"))
    approve(lib, "--effective", "today", "--note", "降低工本费")
    publish(lib)
    assert written(lib, "hotline", "mobile") == full_rebuild(lib)
    assert len(hotline_body(lib)["cards"]) == 18 and len(mobile_index(lib)) == 18
    assert not out(lib, "hotline/hotline.csv").exists()
    assert not list(out(lib, "").glob("*/.*-parts.json"))
    changes = load(lib, "mobile/changes.json")
    assert (changes["last_seq"], changes["changes"][-1]["id"]) == (seq + 1, GID)
    assert load(lib, "mobile/.mobile-manifest.json")["format"] == 2
    validate_all(lib)


@pytest.mark.parametrize("edit", ["manifest", "shard", "faq state"])
def test_an_export_state_file_not_written_by_guidesrc_fails_its_channel_alone(
    lib: Library, edit: str
) -> None:
    """A manifest, a state shard or the FAQ state of an export that guidesrc did not write (here:
    another channel's kind, a generation that is not a number) is never built on: the channel's
    delivery fails with a message naming the file, the other channels are delivered."""
    folder = out(lib, "hotline")
    top_path = folder / ".hotline-manifest.json"
    top = json.loads(top_path.read_text(encoding="utf-8"))
    if edit == "manifest":
        named, top["kind"] = top_path, "mobile"
    elif edit == "faq state":
        named, top["faq_state"] = folder, dict.fromkeys(top["faq_state"], "1")
    else:
        from guidesrc.adapters.shards import shard_of

        generation = top["shards"][shard_of(GID)]  # the changed guide's shard: read by the run
        named = folder / "_state" / f"hotline-{shard_of(GID)}.{generation}.json"
        body = json.loads(named.read_text(encoding="utf-8"))
        named.write_text(json.dumps({**body, "kind": "mobile"}), encoding="utf-8")
    top_path.write_text(json.dumps(top), encoding="utf-8")
    text = lib.read(f"guides/{GID}.yaml")
    lib.write(f"guides/{GID}.yaml", text.replace("每证 10 元", "每证 5 元"))
    approve(lib, "--effective", "today", "--note", "降低工本费")
    run = invoke("publish", str(lib.root))
    assert run.exit_code == 1
    said = run.stdout + run.stderr
    assert f"{named}" in said and "不是本版本 guidesrc 写出的 hotline 渠道清单文件" in said
    assert load(lib, f"mobile/guides/{GID}.json")["fees"]["items"][0]["standard"] == "每证 5 元"
