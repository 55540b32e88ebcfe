"""去标识化 that holds: personal data written every way an editor (or someone evading the rule)
might write it is caught, in guide text and in the free-text options, and the real data sets
raise no false alarm.

Variants are generated systematically and deterministically: for each kind, a few real-looking
values × the ways of writing them (separators, full-width digits, country prefixes, letters
glued on) × an invisible character inserted or not × the Chinese text around them. Each variant
is checked twice: as a guide's text (a YAML file through the rule ``personal-data``, the file's
quick look included) and as a free-text option (``--note``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator

import pytest

from guidesrc.check import hidden, text_rules
from guidesrc.check.freetext import check_free_text
from guidesrc.check.personal import luhn
from guidesrc.errors import FreeTextError
from guidesrc.yamlio import Source, parse
from tests.conftest import GUIDE, Library, invoke
from tests.deid_data import REAL_SETS, scan

pytestmark = pytest.mark.section("De-identification (去标识化)")

INVISIBLE = ("", "\u200b", "\u00ad", "\u2060", "\ufeff", "\u200e")
FULL_WIDTH = str.maketrans("0123456789Xx-", "０１２３４５６７８９Ｘｘ－")


def _insert(text: str, char: str, at: int = 3) -> str:
    return text[:at] + char + text[at:]


def _id_check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def _card(prefix: str, length: int) -> str:
    body = (prefix + "3141592653589793238")[: length - 1]
    return next(body + d for d in "0123456789" if luhn(body + d))


def _numbers(
    values: list[str], formats: list[Callable[[str], str]], contexts: list[str]
) -> Iterator[str]:
    for value, form, char, context in itertools.product(values, formats, INVISIBLE, contexts):
        yield context.format(_insert(form(value), char))


def _spaced(*sizes: int, sep: str = " ") -> Callable[[str], str]:
    def form(value: str) -> str:
        parts, at = [], 0
        for size in sizes:
            parts.append(value[at : at + size])
            at += size
        return sep.join([*parts, value[at:]] if value[at:] else parts)

    return form


def mobiles() -> Iterator[str]:
    prefixes = ["", "+86", "+86 ", "0086", "0086-", "86", "(+86)"]
    values = ["13812345678", "15900001111", "19912340000"]
    formats = [str, _spaced(3, 4), _spaced(3, 4, sep="-"), _spaced(3, 4, sep="."),
               _spaced(3, 4, sep=" - "), lambda v: v.translate(FULL_WIDTH)]  # fmt: skip
    contexts = [c.replace("{}", p + "{}") for p in prefixes
                for c in ("联系电话{}", "请拨打{}咨询", "wx{}", "微信：{}", "{}（张先生）")]  # fmt: skip
    yield from _numbers(values, formats, contexts)


def ids18() -> Iterator[str]:
    firsts = [r + b + s for r in ("110105", "440106", "510104") for b in ("19491231", "20000229")
              for s in ("002", "123", "556")]  # fmt: skip
    values = [f + _id_check(f) for f in firsts]
    formats = [str, _spaced(6, 8), _spaced(6, 4, 4, sep="-"), str.lower,
               lambda v: v.translate(FULL_WIDTH)]  # fmt: skip
    yield from _numbers(values, formats, ["身份证号{}", "公民身份号码：{}。", "如{}", "sfz{}"])


def ids15() -> Iterator[str]:
    values = [r + b + s for r in ("110105", "440106") for b in ("491231", "800229", "991001")
              for s in ("002", "457")]  # fmt: skip
    formats = [str, _spaced(6, 6), _spaced(6, 6, sep="-"), lambda v: v.translate(FULL_WIDTH)]
    yield from _numbers(values, formats, ["旧身份证号{}", "证号：{}。", "如{}"])


def cards() -> Iterator[str]:
    values = [_card(p, n) for p in ("622202", "622848", "436742", "518710", "621700")
              for n in (16, 19)]  # fmt: skip
    formats = [str, _spaced(4, 4, 4, 4), _spaced(4, 4, 4, 4, sep="-"),
               lambda v: v.translate(FULL_WIDTH)]  # fmt: skip
    yield from _numbers(values, formats, ["卡号{}", "请转账至 {} 。", "银行卡：{}"])


def emails() -> Iterator[str]:
    for local, domain, at, char, context in itertools.product(
        ["zhangsan", "li.si", "wang_wu88", "chen-jian"],
        ["qq.com", "163.com", "gmail.com", "sina.com.cn", "company.cn"],
        ["@", "＠", " @ ", "[at]", "(at)", "（at）"],
        INVISIBLE,
        ["邮箱{}", "发送至{}。", "Email: {}"],
    ):
        yield context.format(_insert(local, char, 2) + at + domain)


def passports() -> Iterator[str]:
    values = ["E12345678", "EA1234567", "G12345678", "E98765432"]
    formats = [str, _spaced(1, 4), _spaced(1, 4, sep="-"), str.lower,
               lambda v: v.translate(str.maketrans("0123456789EAG", "０１２３４５６７８９ＥＡＧ"))]  # fmt: skip
    yield from _numbers(
        values, formats, ["护照号码：{}", "护照（{}）", "{}（护照）", "持护照{}入境"]
    )


def names_with_address() -> Iterator[str]:
    for name, marker, address, char, context in itertools.product(
        ["陈建国", "李秀英", "王志强", "欧阳明", "张伟"],
        ["，住", "，家住", "（住址：", " 家住", "，现住", "，居住在", "家住"],
        ["广州市天河区体育东路112号", "城东村5组", "越秀区中山路8号3栋501室", "白云区同和街三号"],
        ("", "\u200b"),
        ["{}", "申请人{}", "姓名：{}", "如：{}", "材料由{}"],
    ):
        if context == "材料由{}":
            context = "材料由申请人提交。{}"
        yield context.format(_insert(name, char, 1) + marker + address)


KINDS: dict[str, tuple[str, Callable[[], Iterator[str]]]] = {
    "mobile": ("mobile", mobiles),
    "ID number, 18 digits": ("id18", ids18),
    "ID number, 15 digits": ("id15", ids15),
    "bank card": ("bank-card", cards),
    "e-mail": ("email", emails),
    "passport": ("passport", passports),
    "name with home address": ("name-address", names_with_address),
}


def _yaml(value: str) -> Source:
    text = "notes: " + json.dumps(value, ensure_ascii=False) + "\n"
    return Source("guides/x.yaml", text, None, text.encode())


def _refused_as_option(value: str) -> bool:
    try:
        check_free_text(value, "--note")
    except FreeTextError:
        return True
    return False


@pytest.mark.parametrize("label", list(KINDS))
def test_every_variant_of_personal_data_is_caught(figures, label: str) -> None:  # type: ignore[no-untyped-def]
    kind, generate = KINDS[label]
    variants = sorted(set(generate()))
    in_text = []
    for value in variants:
        source = _yaml(value)
        data, _problem = parse(source)
        found = text_rules.personal_data(source, data)
        if any(
            d.args["masked"] and d.message == text_rules.PERSONAL_MESSAGES[kind][0] for d in found
        ):
            in_text.append(value)
    missed_text = sorted(set(variants) - set(in_text))
    missed_option = [v for v in variants if not _refused_as_option(v)]
    figures.add(f"{label}: variants tried", len(variants))
    figures.add(f"{label}: caught in guide text (guides check)", len(in_text), str(len(variants)))
    figures.add(
        f"{label}: caught in a free-text option (--note)",
        len(variants) - len(missed_option),
        str(len(variants)),
    )
    assert missed_text == [] and missed_option == []


def _hidden_samples() -> list[str]:
    """Every hidden character below U+10000 but the surrogates (no UTF-8 text holds one) and
    tab and line breaks (allowed in text), every
    tag character and supplementary variation selector, every 1,021st private-use character of
    planes 15 and 16."""
    chars = [c for c in map(chr, range(0x10000)) if hidden.is_hidden(c) and c not in "\t\n\r"]
    chars = [c for c in chars if not 0xD800 <= ord(c) <= 0xDFFF]
    chars += [chr(c) for c in [*range(0xE0000, 0xE0080), *range(0xE0100, 0xE01F0)]]
    chars += [chr(c) for c in range(0xF0000, 0x10FFFE, 1021)]
    return chars


def test_every_hidden_character_is_caught(figures) -> None:  # type: ignore[no-untyped-def]
    chars = _hidden_samples()
    in_text, as_option = 0, 0
    for char in chars:
        escaped = f'notes: "居民\\U{ord(char):08X}身份证"\n'
        source = Source("guides/x.yaml", escaped, None, escaped.encode())
        data, _problem = parse(source)
        found = text_rules.hidden_characters(source, data)
        in_text += any(d.args["code"] == ord(char) for d in found)
        as_option += _refused_as_option(f"居民{char}身份证")
    figures.add(
        "hidden characters (Cc, Cf, Co, Zl, Zp, variation, tag, fillers): tried", len(chars)
    )
    figures.add("hidden characters caught in guide text (guides check)", in_text, str(len(chars)))
    figures.add("hidden characters caught in a free-text option", as_option, str(len(chars)))
    assert in_text == as_option == len(chars)


@pytest.mark.parametrize("real", REAL_SETS, ids=lambda r: r.name)
def test_no_false_positive_on_the_real_data_sets(figures, real) -> None:  # type: ignore[no-untyped-def]
    if not real.available:
        figures.add(f"{real.name}: not on this machine", "skipped")
        pytest.skip(f"{real.path} is not on this machine")
    result = scan(real)
    figures.add(f"{real.name}: records, strings scanned", f"{result.records}, {result.strings}")
    for label, (kind, _generate) in KINDS.items():
        figures.add(f"{real.name}: false positives, {label}", result.count(kind), "0")
    assert result.findings == []


def test_no_false_positive_on_the_example_library(figures, example: Library) -> None:  # type: ignore[no-untyped-def]
    run = example.check()
    found = [
        line for line in run.lines if "[personal-data]" in line or "[hidden-characters]" in line
    ]
    figures.add("example library: personal-data and hidden-characters findings", len(found), "0")
    assert found == []


# --- reproduction 7 of issue 16 ----------------------------------------------------------------------

EVASIONS = [
    "138 1234 5678", "138-1234-5678", "１３８１２３４５６７８", "+86 13812345678", "008613812345678",
    "110105 19491231 002X", "１１０１０５１９４９１２３１００２Ｘ", "110105491231002",
    "6222 0212 3456 7890 128", "zhangsan@qq.com", "护照E12345678", "陈建国，住广州市天河区体育东路112号",
    "wx13812345678",
]  # fmt: skip
INVISIBLES = ["\u200e", "\u200f", "\u061c", "\u00ad", "\u3164", "\ufe0f", "\U000e0041", "\x85",
              "\u2028"]  # fmt: skip


def test_reproduction_7_evasions_and_free_text_are_caught(figures, library: Library) -> None:  # type: ignore[no-untyped-def]
    text = library.read(GUIDE)
    lines = "".join(f'  - "条件{n}：{evasion}"\n' for n, evasion in enumerate(EVASIONS))
    hidden_lines = "".join(f'  - "条件\\U{ord(c):08X}隐藏"\n' for c in INVISIBLES)
    library.write(GUIDE, text.replace("conditions:\n", "conditions:\n" + lines + hidden_lines, 1))
    run = library.check()
    personal = [line for line in run.lines if line.endswith("[personal-data]")]
    hidden_found = [line for line in run.lines if line.endswith("[hidden-characters]")]
    options = [
        invoke("approve", str(library.root), "--effective", "today", "--note", "电话 138 1234 5678"),
        invoke("approve", str(library.root), "--effective", "today", "--force", "--reason",
               "紧急\u200b"),
        invoke("withdraw", "jumin-shenfenzheng-huanling", "--library", str(library.root),
               "--reason", "经 110105 19491231 002X 申请"),
        invoke("withdraw", "jumin-shenfenzheng-huanling", "--library", str(library.root),
               "--reason", "已划转\u202e"),
        invoke("print", "done", "x", "--library", str(library.root), "--by", "大厅\u200f乙"),
    ]  # fmt: skip
    refused = [r for r in options if r.exit_code == 2 and "修改建议" in r.stderr]
    figures.add(
        "reproduction 7: evasions of the issue caught by guides check",
        f"{len(personal)} of {len(EVASIONS)}",
        str(len(EVASIONS)),
    )
    figures.add(
        "reproduction 7: invisible characters of the issue caught",
        f"{len(hidden_found)} of {len(INVISIBLES)}",
        str(len(INVISIBLES)),
    )
    figures.add(
        "reproduction 7: free-text options (--note, --reason, print done --by) refused",
        f"{len(refused)} of {len(options)}",
        str(len(options)),
    )
    assert run.exit_code == 1
    assert len(personal) == len(EVASIONS) and len(hidden_found) == len(INVISIBLES)
    assert len(refused) == len(options)
