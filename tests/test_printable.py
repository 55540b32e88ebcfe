"""The rule unprintable: `guides check` accepts only characters the print fonts can show.

Checked against the real thing: the fonts Debian's fonts-noto-cjk installs, Typst printing the
real sheet template (PDF/A, which refuses a character no font has), and pdftotext reading the
characters back. Decided from the fonts' coverage (Noto Sans/Serif CJK 2.004): CJK Extension A
(㐀) and Hangul, Greek, circled digits print; CJK Extension B (𠀀 U+20000) does not, nor emoji,
Tibetan, or a private-use code point.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from guidesrc.check import printable
from guidesrc.compile import canonical_bytes
from guidesrc.errors import ChannelError
from guidesrc.print.fonts import find_fonts
from guidesrc.print.render import Renderer, RenderOptions
from guidesrc.print.sheet import SheetJob
from guidesrc.state import WorkingTree, load_state
from tests.conftest import GUIDE, Library

pytestmark = pytest.mark.skipif(
    not printable.font_files(), reason="the print fonts (Debian fonts-noto-cjk) are not installed"
)

REFUSED = {
    "emoji": "😀",
    "Tibetan": "བོད",
    "private use": "\ue000",
    "CJK Extension B": "\U00020000",
}
ACCEPTED = "㐀㑇한글αβ①②〇㊣"  # Extension A, Hangul, Greek, circled digits, 〇, a circled ideograph
HINT = (
    "（修改建议：改用常用字符书写：表情符号或特殊符号改用文字说明，生僻字改用通用写法或加以描述"
    "（如“左土右冓”）；其他文字需要打印字体支持） [unprintable]"
)


def finding(line: int, column: int, path: str, char: str) -> str:
    return (
        f"{GUIDE}:{line}:{column}: {path}: 字符“{char}”（U+{ord(char):04X}）无法打印："
        f"打印字体中没有这个字符，打印的办事指南会因此失败{HINT}"
    )


def test_check_refuses_each_unprintable_character_with_its_position(library: Library) -> None:
    # line 17 is the first condition, its text from column 5; line 26 the first material's notes
    library.edit(
        GUIDE,
        "  - 居民身份证有效期满，",
        "  - 😀带证件，藏文བོད，私用\ue000，生僻𠀀。居民身份证有效期满，",
    )
    library.edit(
        GUIDE, "    notes: 交回原居民身份证。", "    notes: |\n      交回原件。\n      再次😀"
    )
    run = library.check()
    assert run.exit_code == 1
    assert [line for line in run.lines if "[unprintable]" in line] == [
        finding(17, 5, "conditions[0]", "😀"),
        finding(17, 12, "conditions[0]", "བ"),
        finding(17, 13, "conditions[0]", "ོ"),
        finding(17, 14, "conditions[0]", "ད"),
        finding(17, 22, "conditions[0]", "\U00020000"),
        finding(28, 9, "materials[0].notes", "😀"),
    ]
    # a private-use character is a hidden character (it shows as nothing, or as anything)
    assert [line for line in run.lines if "[hidden-characters]" in line] == [
        f"{GUIDE}:17:18: conditions[0]: 文字中含有不可见的控制字符（U+E000）"
        "（修改建议：请删除：重新输入该段文字，或以纯文本方式粘贴） [hidden-characters]"
    ]


def test_an_escaped_character_is_found_at_its_field(library: Library) -> None:
    library.edit(GUIDE, "notes: 交回原居民身份证。", 'notes: "交回\\U0001F600"')
    assert [line for line in library.check().lines if "[unprintable]" in line] == [
        finding(26, 12, "materials[0].notes", "😀")
    ]


def test_check_accepts_characters_the_fonts_have(library: Library) -> None:
    library.edit(GUIDE, "notes: 交回原居民身份证。", f"notes: 交回原居民身份证{ACCEPTED}。")
    run = library.check()
    assert run.exit_code == 0, run.stdout
    assert "[unprintable]" not in run.stdout


def test_catalogue_text_is_checked_too(library: Library) -> None:
    library.edit("catalogues/materials.yaml", "name: 居民身份证", "name: 居民身份证🪪")
    run = library.check()
    assert any(
        line.startswith("catalogues/materials.yaml:") and "U+1FAAA" in line for line in run.lines
    ), run.stdout


def test_the_library_name_is_checked_and_channel_settings_are_not(library: Library) -> None:
    text = library.read("library.yaml")
    library.write("library.yaml", text.replace("name: ", "name: 🏛️", 1) + "# 注释里的😀不发布\n")
    lines = [line for line in library.check().lines if "[unprintable]" in line]
    assert len(lines) == 1 and lines[0].startswith("library.yaml:") and "U+1F3DB" in lines[0]


# --- the rule tells the truth about printing ------------------------------------------------------


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(RenderOptions(find_fonts()))


def sheet(library: Library, renderer: Renderer) -> bytes:
    state = load_state(WorkingTree(library.root))
    guide = orjson.loads(canonical_bytes(state.compiled(GUIDE.split("/")[1][:-5])))
    job = SheetJob(
        kind="current",
        guide_id=guide["id"],
        name=guide["name"],
        version=1,
        effective_date=dt.date(2026, 12, 1),
        approved_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        content_hash=hashlib.sha256(b"x").hexdigest(),
        guide=guide,
        notice=None,
        reason=None,
        url="https://zwfw.example.gov.cn/guides/guides/x.html",
    )
    return renderer.render(dataclasses.replace(job))


def pdftotext(pdf: bytes) -> str:
    run = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True)
    return run.stdout.decode("utf-8")


def test_what_check_accepts_prints_and_pdftotext_reads_it_back(
    library: Library, renderer: Renderer
) -> None:
    library.edit(GUIDE, "notes: 交回原居民身份证。", f"notes: 交回原居民身份证{ACCEPTED}。")
    assert library.check().exit_code == 0
    assert ACCEPTED in pdftotext(sheet(library, renderer)).replace("\n", "")


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_what_check_refuses_would_fail_the_printed_sheet(
    kind: str, library: Library, renderer: Renderer
) -> None:
    library.edit(GUIDE, "notes: 交回原居民身份证。", f"notes: 交回原居民身份证{REFUSED[kind]}。")
    rule = "[hidden-characters]" if kind == "private use" else "[unprintable]"
    assert rule in library.check().stdout
    if kind == "private use":
        # Typst's built-in New Computer Modern has a glyph at U+E000: it prints, but as a
        # meaningless mark in a stray font, so check refuses it all the same (see printable.py).
        return
    with pytest.raises(ChannelError, match="could not be displayed"):
        sheet(library, renderer)


def test_every_sampled_accepted_code_point_prints(renderer: Renderer, library: Library) -> None:
    """Soundness on a spread sample: what the cmaps say is printable, Typst prints (PDF/A)."""
    chars = sorted(printable.printable() or ())
    sample = "".join(c for c in chars[:: len(chars) // 300] if c.isprintable() and not c.isspace())
    library.edit(
        GUIDE, "notes: 交回原居民身份证。", f"notes: {json.dumps(sample, ensure_ascii=False)}"
    )
    assert "[unprintable]" not in library.check().stdout
    sheet(library, renderer)  # no ChannelError: every sampled character was displayed


# --- the coverage cache ---------------------------------------------------------------------------


def forget() -> None:
    for cached in (
        printable.printable,
        printable._points,
        printable._ranges,
        printable._printable_run,
    ):
        cached.cache_clear()


def test_coverage_is_cached_as_json_outside_the_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    forget()
    try:
        first = printable.printable()
        files = list((tmp_path / "cache" / "guidesrc").glob("print-coverage-*.json"))
        assert len(files) == 1
        stored: dict[str, Any] = json.loads(files[0].read_text("utf-8"))
        assert stored["identity"] == printable.identity()
        assert stored["ranges"][-1] >= [0x3400, 0x3400] or any(
            start <= 0x3400 <= end for start, end in stored["ranges"]
        )
        forget()
        assert printable.printable() == first  # read back from the JSON file
        files[0].write_text("{not json", "utf-8")  # a damaged cache is computed again
        forget()
        assert printable.printable() == first
    finally:
        forget()


def test_the_check_looks_where_the_pdf_channel_looks() -> None:
    from guidesrc.print import fonts

    assert printable.DEBIAN_DIR == fonts.DEBIAN_DIR
    assert {str(Path(f).parent) for f in printable.font_files()} == set(find_fonts().folders)


def test_the_cmap_reader_agrees_with_a_known_font_file() -> None:
    regular = next(f for f in printable.font_files() if "Sans" in f and "Regular" in f)
    points = printable.code_points(Path(regular).read_bytes())
    assert {ord(c) for c in "中文㐀한αA①"} <= points
    assert not {0x1F600, 0x0F56, 0xE000, 0x20000} & points


@pytest.mark.slow  # all 1,114,112 code points: ≈ 9 s (CI runs it; `make quick` does not)
def test_every_code_point_is_judged_by_the_fonts_coverage() -> None:
    """The fast path (one run of the printable class) decides exactly as the coverage says, for
    every code point, ASCII control characters and lone surrogates included, in a text that is
    not ASCII: the characters outside the coverage, each once, in order of appearance (hidden
    characters left to the rule hidden-characters)."""
    from guidesrc.check import hidden

    allowed = (printable.printable() or frozenset()) | printable.IGNORED
    every = "中" + "".join(map(chr, range(0x110000)))
    expected = [c for c in every if c not in allowed and not hidden.is_hidden(c)]
    assert expected and "\U0001f600" in expected and "㐀" not in expected
    assert "\x01" not in expected and "\ue000" not in expected
    assert printable.unprintable(every) == expected
    assert printable.unprintable(every + every[::-1]) == expected  # each once, first seen first
    assert printable.unprintable("办理😀，😀\ue000交回") == ["😀"]  # U+E000: hidden-characters
    assert printable.unprintable("交回原居民身份证。\n\t①㐀") == []
    assert printable.unprintable("\x01") == []  # ASCII: hidden-characters' business


def test_short_texts_are_judged_alike_character_by_character() -> None:
    """A text of at most ``SHORT`` characters (a library.yaml, a name) is looked up character by
    character in the coverage's ranges, not matched against the printable class: every code
    point, in short texts, is judged as in a long one."""
    from guidesrc.check import hidden

    allowed = (printable.printable() or frozenset()) | printable.IGNORED
    size = printable.SHORT - 1
    for start in range(0, 0x110000, size):
        text = "中" + "".join(map(chr, range(start, min(start + size, 0x110000))))
        expected = [c for c in text if c not in allowed and not hidden.is_hidden(c)]
        assert printable.unprintable(text) == expected, hex(start)
    assert printable.unprintable("示例市😀政务😀服务中心") == ["😀"]
