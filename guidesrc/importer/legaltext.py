"""Legal bases as sources write them: ``《名称》第X条`` lines, or prose with clause bodies.

A catalogue may cite a law with its amendment note and the article's text in one cell::

    《中华人民共和国专利法》（根据2020年10月17日第十三届全国人民代表大会常务委员会第二十二次会议
    《关于修改〈中华人民共和国专利法〉的决定》第四次修正）第十条：专利申请权和专利权可以转让。
    附件：……
    （三）卖空债券……

That is one legal basis: the title with its amendment note, the article (第十条), and the article's
text (everything up to the next citation). A bracket after the title that is only the document's
number (``（国务院令第410号）``) is the basis's document number, not part of its title. A citation starts where a 《title》 begins a line or a
part (after ；。、，和 or 根据/依据/依照), not where the body mentions a law (依照《公司法》的规定).
Text that cites no 《title》 and is not a short ``名称第X条`` line is kept whole as one entry, flagged,
never cut into fragments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guidesrc.importer import normalise as norm

_NUM = r"[零〇一二三四五六七八九十百千两\d]+"
_ARTICLE = rf"第\s*[（(]?{_NUM}[)）]?\s*[编章节条款项目](?:之{_NUM})?"
_ARTICLES = re.compile(rf"\s*((?:{_ARTICLE})(?:\s*(?:[、，,和及与至到-]|以及)?\s*(?:{_ARTICLE}))*)")
#: What may stand before a citation in its part: numbering, a label, 根据 …
_LEAD = re.compile(
    r"^[\s\"“”'‘’]*(?:增补依据[:：]?)?(?:【[^】\n]{1,10}】[:：]?\s*)?"
    r"(?:[（(]?(?:\d{1,3}|[一二三四五六七八九十]{1,3})[)）、.．]?\s*)?"
    r"(?:(?:设定|法律|实施|收费|材料)?依据[:：]?|根据|依照|按照|和|及|与|以及)?\s*$"
)
_STRONG = "\n；;。"
_WEAK = "、，,"
#: a parenthetical after the title that is only the document's number (国务院令第410号,
#: 发改经体〔2018〕1892号, 交通运输部令2017年第27号): the catalogue's document_number
_NUMBER_ONLY = re.compile(
    r"[^，,；;。：:]{0,30}?(?:令|[〔\[【]\d{4}[〕\]】])[^，,；;。：:]{0,20}?\d+号"
)
_DATED = re.compile(r"月|日|根据|修正|修订|修改|发布|公布|施行")
_JUST_REFERENCE = re.compile(r"^(?:的)?(?:有关|相关)?(?:规定|条款)?[。；;，,]?$")


@dataclass(frozen=True, slots=True)
class Citation:
    title: str
    article: str | None = None
    text: str | None = None  # the article's text, as the source gives it
    whole: bool = False  # not readable as citations: the source's text kept whole
    level: str | None = None  # from a 【法律】-style marker before the title
    document_number: str | None = None  # 国发〔2010〕21号 right after the title


#: 【法律】 markers that name a level of the legal-bases catalogue (【规章】 does not: which kind?)
LEVELS = ("法律", "行政法规", "地方性法规", "部门规章", "地方政府规章", "规范性文件")
_MARKER = re.compile(r"【([^】\n]{1,10})】")
_BARE_TITLE = re.compile(
    rf"(【[^】\n]{{1,10}}】[:：]?[ \t　]*)(?![《\d（(])([^（(《\n　 :：]{{2,60}}?)(?=[（(]|{_ARTICLE}|[ \t　\n]|$)"
)
_DOCUMENT_NUMBER = re.compile(r"^\s*([^\s，。；:：（）()]{1,20}[〔\[【]\d{4}[〕\]】]\s*\d+\s*号)")
#: a further article of the same law: at a line's start or after a full stop
_NEXT_ARTICLE = re.compile(rf"(?:(?<=。)|(?<=\n)|(?<=”))[ \t　]*(?={_ARTICLE}[ \t　:：])")


def parse(text: str) -> list[Citation]:
    """The legal bases in a cell (see the module's description)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > 1 and text[0] == text[-1] == '"':  # a cell exported with its quotes
        text = text[1:-1].strip()
    if not text:
        return []
    text = _BARE_TITLE.sub(lambda m: f"{m.group(1)}《{m.group(2)}》", text)
    starts = _titles(text)
    if not starts:
        return _without_titles(text)
    out: list[Citation] = []
    for n, (lead, begin, end) in enumerate(starts):
        stop = starts[n + 1][0] if n + 1 < len(starts) else len(text)
        marker = _MARKER.search(text[lead:begin])
        level = marker.group(1) if marker and marker.group(1) in LEVELS else None
        title = text[begin:end]
        rest = text[end:stop]
        document_number = None
        note = re.match(r"\s*[（(]", rest)
        close = _closing(rest, note.end() - 1) if note else None
        if note and close is not None:  # (its note) belongs to the title, a 令/号 number apart
            inside = re.sub(r"\s+", "", rest[note.end() : close])
            if _ARTICLES.fullmatch(inside):  # 《X》（第三条）: the article in brackets
                rest = inside + rest[close + 1 :]
            elif _NUMBER_ONLY.fullmatch(inside) and not _DATED.search(inside):
                document_number = inside
                rest = rest[close + 1 :]
            else:
                title += rest[note.end() - 1 : close + 1].strip()
                rest = rest[close + 1 :]
        number = _DOCUMENT_NUMBER.match(rest)
        if number:
            document_number = document_number or re.sub(r"\s+", "", number.group(1))
            rest = rest[number.end() :]
        parts = _NEXT_ARTICLE.split(rest)
        for k, part in enumerate(parts):
            article, body = _article_and_body(part)
            if (k and article is None) or (article is body is None and len(parts) > 1):
                continue  # the title's line before its first article, on the next line
            out.append(
                Citation(
                    norm.clean(title), article, body, level=level,
                    document_number=document_number,
                )
            )  # fmt: skip
    return out


def _article_and_body(part: str) -> tuple[str | None, str | None]:
    found = _ARTICLES.match(part)
    article = None
    if found:
        article = re.sub(r"\s+", "", found.group(1))
        part = part[found.end() :]
    body = norm.clean(part).strip(" ：:；;，,、")
    body = _trim_lead(body)
    if _JUST_REFERENCE.match(body):
        body = ""
    return article, body or None


def _titles(text: str) -> list[tuple[int, int, int]]:
    """(start of its lead, start, end) of each top-level 《title》 that begins a citation."""
    out: list[tuple[int, int, int]] = []
    depth, begin = 0, 0
    for n, char in enumerate(text):
        if char == "《":
            if depth == 0:
                begin = n
            depth += 1
        elif char == "》" and depth:
            depth -= 1
            lead = _citation_lead(text, begin) if depth == 0 else None
            if lead is not None and out and _mentioned(text[lead:begin], text[n + 1 :]):
                lead = None
            if lead is not None:
                out.append((lead, begin, n + 1))
    return out


_VERB = re.compile(r"(?:根据|依照|按照|依据)\s*$")
_CITES = re.compile(rf"\s*(?:[（(][^（）()]*[)）]\s*)?(?:{_ARTICLE}|[\n；;。、，,和及与]|$)")


def _mentioned(lead: str, after: str) -> bool:
    """A sentence of an article's text that names a law (依照《港口法》的规定取得…): a mention
    in the text, not a further citation; 根据《X》第三条 or 依照《X》。 still cites X."""
    return bool(_VERB.search(lead)) and not _CITES.match(after)


def _citation_lead(text: str, begin: int) -> int | None:
    """Where the lead of a citation starting at ``begin`` starts, or None when the title is
    mentioned inside a text (依照《公司法》的规定)."""
    if re.search(rf"(?:》|{_ARTICLE})\s*(?:和|及|与|以及)\s*$", text[:begin]):
        return begin  # 《A》第二条和《B》
    strong = max(text.rfind(sep, 0, begin) for sep in _STRONG)
    weak = max(text.rfind(sep, 0, begin) for sep in _WEAK)
    if weak > strong:  # after 、 or ， only a list of titles: 《A》第一条、《B》第二条
        before = text[weak + 1 : begin]
        return weak + 1 if re.fullmatch(r"\s*(?:和|及|与|以及)?\s*", before) else None
    before = text[strong + 1 : begin]
    return strong + 1 if _LEAD.match(before) else None


def _closing(text: str, start: int) -> int | None:
    depth = 0
    for n in range(start, len(text)):
        depth += text[n] in "（("
        depth -= text[n] in "）)"
        if depth == 0:
            return n
    return None


def _trim_lead(body: str) -> str:
    return re.sub(r"^(?:的规定[:：，,]?|规定[:：])\s*", "", body)


_SHORT = re.compile(
    rf"^(?P<title>[^：:。]+?)\s*(?P<article>{_ARTICLE}(?:\s*[、，,和及]\s*{_ARTICLE})*)?$"
)


def _without_titles(text: str) -> list[Citation]:
    """Lines like ``中华人民共和国居民身份证法 第十一条``; else the whole text, flagged."""
    lines = norm.lines(text, r"[\n；;]+")
    out = []
    for line in lines:
        found = _SHORT.match(line)
        if not found or len(line) > 60 or "。" in line:
            return [Citation(norm.clean(text.replace("\n", " ")), whole=True)]
        article = found.group("article")
        out.append(
            Citation(found.group("title").strip(), re.sub(r"\s+", "", article) if article else None)
        )
    return out
