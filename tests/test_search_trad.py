"""The search index's traditional → simplified table (:mod:`guidesrc.search.trad`) is generated:
it must be what OpenCC says. Run this file to write it again (after an OpenCC upgrade, say)."""

from __future__ import annotations

from pathlib import Path

from opencc_purepy import OpenCC

from guidesrc.search.build import trad_table

MODULE = Path(__file__).resolve().parent.parent / "guidesrc/search/trad.py"
HEAD = '''"""Traditional → simplified for the common characters (GB 2312), as OpenCC (``s2t``) writes
them: generated, so that no publish loads OpenCC's dictionaries (≈ 0.2 s). Checked against
OpenCC by tests/test_search_trad.py, which writes this file again when run as a script."""

#: The table's pairs, traditional then simplified, in the order of the traditional characters.
PAIRS = (
'''
PAIRS_A_LINE = 20  # 40 wide characters: 80 columns


def opencc_table() -> dict[str, str]:
    """The table as OpenCC makes it: each GB 2312 character whose traditional form (s2t) is
    one other character, from that form back to it (the first such character wins)."""
    to_traditional = OpenCC("s2t")
    out: dict[str, str] = {}
    for code in range(0x4E00, 0xA000):
        char = chr(code)
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        trad = to_traditional.convert(char)
        if len(trad) == 1 and trad != char:
            out.setdefault(trad, char)
    return dict(sorted(out.items()))


def module_text(table: dict[str, str]) -> str:
    pairs = [k + v for k, v in table.items()]
    lines = [
        '    "' + "".join(pairs[i : i + PAIRS_A_LINE]) + '"'
        for i in range(0, len(pairs), PAIRS_A_LINE)
    ]
    return HEAD + "\n".join(lines) + "\n)\n"


def test_the_generated_table_is_opencc_s() -> None:
    table = opencc_table()
    assert trad_table() == table and list(trad_table()) == list(table)
    assert trad_table()["體"] == "体" and trad_table()["後"] == "后"
    assert MODULE.read_text(encoding="utf-8") == module_text(table)


if __name__ == "__main__":
    MODULE.write_text(module_text(opencc_table()), encoding="utf-8")
