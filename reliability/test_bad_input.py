"""Bad input at volume: 1,000+ generated bad files never crash, never publish, never touch the ledger.

A library is approved and published once; then each generated bad file is put in place in turn
(a broken guide, a broken catalogue, a hostile file name …) and `guides check`, `guides approve`
and `guides publish` run on it in-process, exactly as an editor would run them. After all of them,
the ledger and every published file are compared with what they were before.
"""

from __future__ import annotations

import hashlib
import random
import string
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidesrc.cli import cli
from guidesrc.ledger import open_ledger
from tests.conftest import GUIDE, Library, directory_only

pytestmark = pytest.mark.section("Bad input at volume")

SITE = "  site:\n    type: site\n    settings:\n      path: .guides/site\n"
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% raw %}",
    "javascript:alert(1)",
    '#read("/etc/passwd")',
    '#import "x.typ": *',
    "$x^2$ *粗体* _斜体_ [链接] \\",
    "=cmd|' /C calc'!A0",
]


def run(*args: str) -> tuple[int, BaseException | None, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=True)
    crashed = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, crashed, result.output


def snapshot(root: Path) -> tuple[tuple[int, ...], str]:
    """Row counts and largest ids of every ledger table, and a digest of every published file."""
    ledger = open_ledger(root)
    with ledger.engine.connect() as conn:
        counts = tuple(
            conn.execute(sa.text(f"SELECT count(*), coalesce(max(id), 0) FROM {t}")).one()[k]
            for t in ("approval", "guide_version", "publication", "event")
            for k in (0, 1)
        )
    ledger.close()
    digest = hashlib.sha256()
    for path in sorted((root / ".guides").rglob("*")):
        if path.is_file() and {"published", "site"} & set(path.parts):
            digest.update(str(path).encode() + path.read_bytes())
    return counts, digest.hexdigest()


# --- generators: each returns (relative path, bytes) of one bad file --------------------------

Bad = tuple[str, bytes]


def _syntax(text: str, rng: random.Random) -> Bad:
    lines = text.splitlines(keepends=True)
    k = rng.randrange(2, len(lines))
    kind = rng.choice(["truncate", "tab", "quote", "bracket", "colon", "dupkey", "indent"])
    if kind == "truncate":
        body = text[: rng.randrange(len(text) // 4, len(text) - 10)] + '"'
    elif kind == "tab":
        lines[k] = "\t" + lines[k]
        body = "".join(lines)
    elif kind == "quote":
        lines[k] = lines[k].rstrip("\n") + ' "unclosed\n'
        body = "".join(lines)
    elif kind == "bracket":
        body = text.replace("themes: [", "themes: [[", 1)
    elif kind == "colon":
        lines[1] = lines[1].replace(":", "", 1)
        body = "".join(lines)
    elif kind == "dupkey":
        body = text + "name: 重复的键\n"
    else:
        lines[k] = "   " + lines[k]
        body = "".join(lines)
    return GUIDE, body.encode()


def _schema(text: str, rng: random.Random) -> Bad:
    kind = rng.choice(["type", "missing", "unknown", "enum", "negative", "list"])
    if kind == "type":
        body = text.replace(
            "exercise_level: 4",
            f"exercise_level: {rng.choice(['四级', '[4]', '{a: 1}', '4.5', 'true'])}",
        )
    elif kind == "missing":
        field = rng.choice(["name:", "basic_code:", "case_type:", "effective_date:", "conditions:"])
        body = "\n".join(line for line in text.splitlines() if not line.startswith(field)) + "\n"
    elif kind == "unknown":
        body = text + f"{rng.choice(['nmae', 'colour', 'remark', 'x' * rng.randint(1, 30)])}: 1\n"
    elif kind == "enum":
        body = text.replace(
            "case_type: 承诺件", f"case_type: {rng.choice(['立即件', '承诺', 'x'])}"
        )
    elif kind == "negative":
        body = text.replace(
            "promised_time_limit: {value: 20",
            f"promised_time_limit: {{value: {rng.randint(-99, -1)}",
        )
    else:
        body = text.replace(
            "service_objects: [1]", f"service_objects: {rng.choice(['1', '[]', '[9]', '[1, 1]'])}"
        )
    return GUIDE, body.encode()


def _reference(text: str, rng: random.Random) -> Bad:
    ghost = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 12)))
    old = rng.choice(
        [
            "material: jumin-shenfenzheng",
            "legal_basis: [shenfenzheng-fa-11]",
            "places: [zhongxin-dating]",
            "faq: [shenfenzheng-yidi]",
        ]
    )
    key = old.split(":")[0]
    new = f"{key}: {ghost}" if key == "material" else f"{key}: [{ghost}]"
    return GUIDE, text.replace(old, new, 1).encode()


def _hostile(text: str, rng: random.Random) -> Bad:
    kind = rng.choice(["control", "bidi", "zero-width", "huge", "nul"])
    if kind == "control":
        bad = chr(rng.choice([*range(1, 9), 11, 12, *range(14, 32), 127]))
    elif kind == "bidi":
        bad = rng.choice(["\u202e", "\u202d", "\u2066", "\u2067", "\u2068"])
    elif kind == "zero-width":
        bad = rng.choice(["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"])
    elif kind == "huge":
        return GUIDE, (text + "notes: " + "长" * rng.randint(400_000, 600_000) + "\n").encode()
    else:
        bad = "\x00"
    body = text.replace("居民身份证换领", f"居民身份证{bad}换领", 1)
    return GUIDE, body.encode("utf-8", "surrogatepass")


def _path(text: str, rng: random.Random) -> Bad:
    kind = rng.choice(["id", "name", "upper", "space", "deep"])
    if kind == "id":
        evil = rng.choice(["../../etc/passwd", "a/b", "..", "/abs", "a\\b", "CON", "x" * 100])
        return GUIDE, text.replace("id: jumin-shenfenzheng-huanling", f'id: "{evil}"').encode()
    if kind == "name":
        return (
            f"guides/{rng.choice(['Bad_Name', 'x..y', '-lead', 'trail-', '名字'])}.yaml",
            text.encode(),
        )
    if kind == "upper":
        return "guides/JUMIN.yaml", text.encode()
    if kind == "space":
        return "guides/jumin huanling.yaml", text.encode()
    return "guides/a/b/c/../jumin-shenfenzheng-huanling.yaml", text.encode()


def _encoding(text: str, rng: random.Random) -> Bad:
    kind = rng.choice(["gbk", "utf-16", "utf-16-be", "utf-32", "latin", "invalid", "bom-gbk"])
    if kind == "gbk":
        return GUIDE, text.encode("gbk")
    if kind == "latin":
        return GUIDE, text.encode("utf-8").decode("latin-1").encode("utf-16")
    if kind == "invalid":
        data = bytearray(text.encode())
        data[rng.randrange(len(data) // 2, len(data))] = rng.choice([0xFF, 0xC0, 0xFE])
        return GUIDE, bytes(data)
    if kind == "bom-gbk":
        return GUIDE, b"\xef\xbb\xbf" + text.encode("gbk")
    return GUIDE, text.encode(kind)


def _catalogue(text: str, rng: random.Random) -> Bad:
    rel = rng.choice(
        [
            "catalogues/materials.yaml",
            "catalogues/offices.yaml",
            "catalogues/legal-bases.yaml",
            "catalogues/faq.yaml",
            "library.yaml",
        ]
    )
    return rel, rng.choice(
        [
            b"entries: [",
            b"\x00\x01",
            b"entries:\n  x: 1\n",
            b"- a\n- b\n",
            b"",
            "名称：\n".encode("gbk"),
        ]
    )


GENERATORS: dict[str, tuple[Callable[[str, random.Random], Bad], int]] = {
    "malformed YAML": (_syntax, 200),
    "schema violations": (_schema, 200),
    "wrong references": (_reference, 150),
    "hostile text (control, bidi, zero-width, NUL, 1 MB)": (_hostile, 150),
    "path tricks in ids and file names": (_path, 100),
    "non-UTF-8 and BOMs": (_encoding, 120),
    "broken catalogues and library.yaml": (_catalogue, 80),
}


@pytest.fixture
def published(library: Library) -> Iterator[Library]:
    library.edit("library.yaml", "rules: {}", SITE + "rules: {}")
    for args in (
        (
            "approve",
            str(library.root),
            "--effective",
            "today",
            "--note",
            "首次发布",
        ),
        ("publish", str(library.root)),
    ):
        code, crashed, output = run(*args)
        assert (code, crashed) == (0, None), output
    yield library


def test_a_thousand_bad_files(published: Library, figures: object) -> None:
    root = published.root
    before = snapshot(root)
    originals = {p: p.read_bytes() for p in root.rglob("*.yaml") if ".guides" not in p.parts}
    text = published.read(GUIDE)
    rng = random.Random(20261126)
    tried: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    crashes: list[str] = []
    wrongly_approved = 0
    for category, (make, count) in GENERATORS.items():
        for _ in range(count):
            rel, data = make(text, rng)
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            tried[category] += 1
            code, crashed, output = run("check", str(root))
            if crashed is not None:
                crashes.append(f"check {category}: {crashed!r}")
            if code == 0:
                accepted[category] += 1
            else:
                rejected[category] += 1
                code, crashed, output = run(
                    "approve", str(root), "--effective", "today", "--note", "x"
                )
                if crashed is not None:
                    crashes.append(f"approve {category}: {crashed!r}")
                wrongly_approved += code == 0
                code, crashed, output = run("publish", str(root))
                if crashed is not None or "已送达\t" in output:
                    crashes.append(f"publish {category}: {crashed!r} {output[:80]}")
            _restore(root, originals)
    after = snapshot(root)
    total = sum(tried.values())
    figures.add("bad files tried", total, "≥ 1,000")  # type: ignore[attr-defined]
    for category in GENERATORS:
        figures.add(  # type: ignore[attr-defined]
            f"— {category}",
            f"{tried[category]} tried, {rejected[category]} rejected with a message, {accepted[category]} valid after all",
        )
    figures.add(
        "clean errors (rejected with a file:line message, exit ≠ 0)", sum(rejected.values())
    )  # type: ignore[attr-defined]
    figures.add("tracebacks", len(crashes), "0")  # type: ignore[attr-defined]
    figures.add("bad states approved", wrongly_approved, "0")  # type: ignore[attr-defined]
    figures.add("anything published", int(before[1] != after[1]), "0")  # type: ignore[attr-defined]
    figures.add("ledger changed", int(before[0] != after[0]), "0")  # type: ignore[attr-defined]
    assert total >= 1000
    assert crashes == []
    assert wrongly_approved == 0
    assert before == after


def _restore(root: Path, originals: dict[Path, bytes]) -> None:
    for path in list((root / "guides").rglob("*")):
        if (path.is_file() or path.is_symlink()) and path not in originals:
            path.unlink()
    for path in sorted((root / "guides").rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    for path, data in originals.items():
        if path.read_bytes() != data:
            path.write_bytes(data)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    value=st.one_of(
        st.sampled_from(PAYLOADS),
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60),
    ),
    field=st.sampled_from(["name", "conditions"]),
)
def test_hostile_text_in_valid_guides_is_published_inert(
    tmp_path_factory: pytest.TempPathFactory, value: str, field: str
) -> None:
    """Any text an editor can write is either refused with a message or published as text."""
    from guidesrc.scaffold import create_library

    root = tmp_path_factory.mktemp("hostile") / "lib"
    create_library(root)
    directory_only(root)
    lib = Library(root)
    lib.edit("library.yaml", "rules: {}", SITE + "rules: {}")
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if field == "name":
        lib.edit(GUIDE, "name: 居民身份证换领", f"name: {quoted}")
    else:
        lib.edit(GUIDE, "  - 居民身份证有效期满", f"  - {quoted}\n  - 居民身份证有效期满")
    code, crashed, output = run("check", str(root))
    assert crashed is None, output
    if code != 0:
        _HOSTILE["refused"] += 1
        return
    code, crashed, output = run("approve", str(root), "--effective", "today", "--note", "x")
    assert (code, crashed) == (0, None), output
    code, crashed, output = run("publish", str(root))
    assert (code, crashed) == (0, None), output
    for page in (root / ".guides/site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for payload in PAYLOADS[:2]:
            if payload in value:
                assert payload not in html, f"{page}: {payload} unescaped"
    _HOSTILE["published inert"] += 1


_HOSTILE: Counter[str] = Counter()


def test_hostile_text_figures(figures: object) -> None:
    figures.add(  # type: ignore[attr-defined]
        "hostile but valid text (markup, Typst/Jinja syntax, random Unicode) in guides",
        f"{sum(_HOSTILE.values())} tried: {_HOSTILE['published inert']} published as inert text, {_HOSTILE['refused']} refused with a message",
    )
