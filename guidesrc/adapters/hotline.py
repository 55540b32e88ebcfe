"""The 12345 hotline knowledge base (12345 热线知识库): an answer card per guide plus the FAQ base.

::

    <path>/items/<hh>.csv       the cards of the guides of shard hh, one knowledge item (知识点) a
                                row: UTF-8 with BOM (Excel), the columns of ``CSV_COLUMNS``
    <path>/items/faq.csv        the FAQ entries, the same columns
    <path>/withdrawn/<hh>.csv   knowledge items to take offline (下架), with the reason
    <path>/json/<hh>.json       the shard's cards and withdrawals as data, ``json/faq.json`` the
                                FAQ (schemas/hotline.schema.json)
    <path>/index.json           every file above: its SHA-256 and number of items

The guides are spread over 256 shards by a digest of their id (:mod:`guidesrc.adapters.shards`),
so that one changed guide rewrites its shard's files, the FAQ when its entries changed, and the
index. A card is short plain text a call-taker reads aloud: conditions, materials, time limit,
fees, place, hours, phone, the online link. A version announced for later leaves the card as it
is and adds 【即将调整】 with the change notice (自 X 起实施). FAQ entries reach the hotline
through the guides that use them, as approved. The layout and why are in docs/exports.md.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, ClassVar

from pydantic import Field

from guidesrc import gaps
from guidesrc.adapters.base import Delivery
from guidesrc.adapters.batchfiles import (
    BatchExport,
    ExportSettings,
    Files,
    Manifest,
    index_bytes,
    json_bytes,
    shown,
    touched,
    write_if_changed,
)
from guidesrc.adapters.hotline_faq import Contributions, FaqState
from guidesrc.adapters.shards import code_fingerprint
from guidesrc.model.codes import ITEM_TYPES
from guidesrc.urls import guide_url

FORMAT = 2  # 2: the files of each shard of the guides, the FAQ, an index (format 1: one file)
#: The source files the rendered files depend on besides the manifest.
_CODE = ("adapters/hotline.py", "adapters/hotline_faq.py", "gaps.py", "urls.py")

#: The CSV header, in order (docs/exports.md describes each column).
CSV_COLUMNS = (
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
)
WITHDRAWN_COLUMNS = ("知识编号", "标题", "下架原因", "版本", "生效日期")

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
#: A spreadsheet takes a cell starting with one of these for a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class HotlineSettings(ExportSettings):
    #: The root of the category path (类目) every item is filed under; the library's name if unset.
    category_root: str | None = Field(default=None, min_length=1, max_length=100)


def plain(value: Any) -> str:
    """One line of plain text: control characters and line breaks become single spaces."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", str(value))).strip()


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ gets an apostrophe before it."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _end(text: str) -> str:
    return plain(text).rstrip("。；;.，,")


class HotlineAdapter(BatchExport[HotlineSettings]):
    Settings = HotlineSettings
    kind: ClassVar[str] = "hotline"
    legacy = (
        "hotline.csv",
        "hotline.json",
        "hotline-withdrawn.csv",
        ".hotline-parts.json",
        ".hotline-parts.*.bin",
    )
    incremental = True  # each guide's pieces are kept between runs; only changed ones are made

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The cards and CSV rows :meth:`check` made this run, by guide: rendered as they are.
        self._made: Made = {}

    @property
    def root(self) -> str:
        """The category path's root (类目), as every card carries it."""
        return plain(self.settings.category_root or self.config.name)

    def extract(self, delivery: Delivery) -> dict[str, Any]:
        guide = delivery.guide or {}
        body = guide.get("implementing_body", {})
        return {
            "title": plain(guide.get("name", delivery.name)),
            "themes": [plain(t) for t in guide.get("themes", [])],
            "item_type": ITEM_TYPES.get(guide.get("item_type") or "", ""),
            # an unknown implementing body is said as a gap (待补充), never "None"
            "issuer": plain(body.get("name") or gaps.GAP),
            "gaps": list(guide.get("gaps") or []),
            "implementation_code": plain(guide.get("implementation_code", "")),
            "sections": card_sections(guide, guide_url(self.config.base_url, delivery.guide_id)),
            "online_url": (guide.get("online") or {}).get("url"),
            "guide_url": guide_url(self.config.base_url, delivery.guide_id),
            "faq": [
                {
                    "id": q["id"],
                    "question": plain(q["question"]),
                    "answer": plain(q["answer"]),
                    "tags": [plain(t) for t in q.get("tags", [])],
                }
                for q in guide.get("faq", [])
            ],
        }

    def check(self, gid: str, guide: dict[str, Any]) -> None:
        """The guide's card and CSV row, as :meth:`render` will make them (and kept for it)."""
        super().check(gid, guide)
        card = _card(gid, guide, self.root)
        row = _cells(_card_row(card)) if card else None
        _csv_of(CSV_COLUMNS, [row] if row else [])
        self._made[gid] = (guide, card, row)

    def render(self, manifest: Manifest, changed: set[str]) -> None:
        """Write the files of the shards this run changed (:func:`shard_files`), the FAQ when a
        changed guide's FAQ entries changed (:mod:`guidesrc.adapters.hotline_faq`), and the
        index; every file is rendered again when the settings or the code that shape it
        changed. The bytes are a full rebuild's (:func:`knowledge_base`)."""
        root = self.root
        library = plain(self.config.name)
        made = {"root": root, "library": library, "code": code_fingerprint(*_CODE)}
        guides = manifest["guides"]
        everything = bool(manifest.get("rebuild")) or manifest.get("made_with") != made
        shards = guides.shards() if everything else touched(manifest, changed)
        files = Files(self.out, {} if everything else manifest.get("files") or {})
        for shard in shards:
            files.put_all(shard_files(guides.in_shard(shard), root, library, shard, self._made))
        self._made.clear()
        faq = FaqState.load(self.out, manifest.get("faq_state"), everything=everything)
        if faq.whole:
            faq.replace({gid: contributions(s) for gid, s in guides.items()})
        else:  # the changed guides' contributions, as committed before and now
            was = {gid: guides.before.get(gid) for gid in changed}
            faq.update(
                {gid: contributions(s) for gid, s in was.items() if s is not None},
                {gid: contributions(guides[gid]) for gid in changed},
            )
        # the entries the changed contributions touch, made again; the files only if one changed
        if faq.refresh(lambda fid, used: faq_entry(fid, used, root)):
            files.put_all(faq_files(faq.listed(), library))
        manifest["faq_state"] = faq.save(guides)
        write_if_changed(self.out / "index.json", index_bytes(files.meta, library))
        manifest["files"], manifest["made_with"] = files.meta, made


#: Per guide, the state :meth:`HotlineAdapter.check` saw, its card and the card's CSV cells.
Made = dict[str, tuple[dict[str, Any], dict[str, Any] | None, list[str] | None]]


def _pieces(gid: str, state: dict[str, Any], root: str, made: Made) -> tuple[Any, Any, Any]:
    """A guide's card, its CSV cells and its withdrawal (None where it has none); the card as
    ``made`` holds it when made from this very state."""
    kept = made.get(gid)
    if kept is not None and kept[0] is state:
        card, row = kept[1], kept[2]
    else:
        card = _card(gid, state, root)
        row = _cells(_card_row(card)) if card else None
    return card, row, _withdrawn(gid, state)


def shard_files(
    states: list[tuple[str, dict[str, Any]]],
    root: str,
    library: str,
    shard: str,
    made: Made | None = None,
) -> dict[str, tuple[bytes, int] | None]:
    """The files of one shard: ``items/<hh>.csv`` (its cards), ``withdrawn/<hh>.csv`` and
    ``json/<hh>.json`` (both as data), each with its number of items; None for a file the
    shard has nothing for (it is removed). ``made``: cards already made, by guide."""
    pieces = [_pieces(gid, state, root, made or {}) for gid, state in states]
    cards = [c for c, _r, _w in pieces if c]
    rows = [r for _c, r, _w in pieces if r]
    gone = [w for _c, _r, w in pieces if w]
    body = {"format": FORMAT, "library": library, "shard": shard, "cards": cards, "withdrawn": gone}
    return {
        f"items/{shard}.csv": (_csv_of(CSV_COLUMNS, rows), len(cards)) if cards else None,
        f"withdrawn/{shard}.csv": (
            _csv(WITHDRAWN_COLUMNS, [_withdrawn_row(w) for w in gone]),
            len(gone),
        )
        if gone
        else None,
        f"json/{shard}.json": (json_bytes(body), len(cards) + len(gone)) if cards or gone else None,
    }


def faq_files(faq: list[dict[str, Any]], library: str) -> dict[str, tuple[bytes, int] | None]:
    """``items/faq.csv`` and ``json/faq.json``: the FAQ entries (None: there are none)."""
    if not faq:
        return {"items/faq.csv": None, "json/faq.json": None}
    body = {"format": FORMAT, "library": library, "faq": faq}
    return {
        "items/faq.csv": (_csv(CSV_COLUMNS, [_faq_row(q) for q in faq]), len(faq)),
        "json/faq.json": (json_bytes(body), len(faq)),
    }


def knowledge_base(manifest: Manifest, root: str, library: str) -> dict[str, bytes]:
    """Every file of the export, built whole from the manifest (what :meth:`HotlineAdapter.render`
    writes shard by shard): path → bytes."""
    guides = manifest["guides"]
    files = Files(None, {})
    for shard in guides.shards():
        files.put_all(shard_files(guides.in_shard(shard), root, library, shard))
    by = FaqState.gather({gid: contributions(state) for gid, state in shown(manifest)})
    files.put_all(faq_files(faq_entries(by, root), library))
    files.data["index.json"] = index_bytes(files.meta, library)
    return files.data


# --- the card -----------------------------------------------------------------------------------


def card_sections(guide: dict[str, Any], page: str) -> list[dict[str, str]]:
    """The card's sections, in the order a call-taker answers."""
    gap = plain(gaps.gap(guide)) + "。"
    sections = [
        ("办理条件", _conditions(guide.get("conditions") or []) or gap),
        ("申请材料", _materials(guide)),
        ("办理时限", _time_limits(guide)),
        ("收费", _fees(guide)),
        ("办理地点", _places(guide.get("places") or [], guide) or gap),
        ("办理时间", _hours(guide.get("places") or [], guide) or gap),
        ("咨询电话", _phones(guide.get("consult_phones") or []) or gap),
        ("网上办理", _online(guide)),
        ("办事指南", page),
    ]
    return [{"label": label, "text": text} for label, text in sections if text]


def card_text(sections: list[dict[str, str]]) -> str:
    return "".join(f"【{s['label']}】{s['text']}" for s in sections)


def _conditions(conditions: list[str]) -> str:
    if not conditions:
        return ""
    if len(conditions) == 1:
        return _end(conditions[0]) + "。"
    return "；".join(f"（{n}）{_end(c)}" for n, c in enumerate(conditions, start=1)) + "。"


def _count(m: dict[str, Any], name: str, label: str) -> str:
    return f"{label}{m[name]}份" if m.get(name) is not None else f"{label}份数{gaps.GAP}"


def _material(m: dict[str, Any]) -> str:
    counts = {
        "原件": _count(m, "original_count", "原件"),
        "复印件": _count(m, "copy_count", "复印件"),
        "原件和复印件": _count(m, "original_count", "原件")
        + "、"
        + _count(m, "copy_count", "复印件"),
    }.get(m.get("form") or "", f"（形式和份数{gaps.GAP}）")
    extra = [_end(m["condition"])] if m.get("condition") else []
    extra += {"非必要": ["非必要"], "容缺后补": ["可容缺后补"]}.get(m.get("necessity") or "", [])
    name = "《" + plain(m["name"]).strip("《》") + "》"
    return name + counts + (f"（{'，'.join(extra)}）" if extra else "")


def _materials(guide: dict[str, Any]) -> str:
    state = gaps.materials_state(guide)
    if state == "unknown":
        return plain(gaps.materials_gap(guide)) + "。"
    if state == "none":
        return "无需提交材料。"
    return "；".join(_material(m) for m in guide["materials"]) + "。"


def _online(guide: dict[str, Any]) -> str:
    url = (guide.get("online") or {}).get("url")
    if url:
        return plain(url)
    return plain(gaps.online_text(guide, {})) if gaps.online_handling(guide) is None else ""


def _limit(value: dict[str, Any]) -> str:
    return "即时办结" if value["value"] == 0 else f"{value['value']}个{value['unit']}"


def _time_limits(guide: dict[str, Any]) -> str:
    promised = guide.get("promised_time_limit")
    if not promised:
        return f"承诺办结时限{plain(gaps.gap(guide))}。"
    text = f"承诺{_limit(promised)}" + ("" if promised["value"] == 0 else "办结")
    statutory = guide.get("statutory_time_limit")
    if statutory:
        text += f"（法定{_limit(statutory)}）"
    return text + "。"


def _fees(guide: dict[str, Any]) -> str:
    items = (guide.get("fees") or {}).get("items") or []
    if gaps.fees_state(guide) == "charged" and items:
        return "；".join(f"{plain(i['name'])}：{_end(i['standard'])}" for i in items) + "。"
    return _end(gaps.fees_text(guide)) + "。"  # 不收费, or the gap


def _places(places: list[dict[str, Any]], guide: dict[str, Any]) -> str:
    out = []
    for p in places:
        where = plain(gaps.text(p.get("name"), guide)) + (plain(p["hall"]) if p.get("hall") else "")
        windows = "、".join(plain(w["name"]) for w in p.get("windows", []))
        address = plain(p["address"]) if p.get("address") else f"地址{gaps.GAP}"
        out.append(f"{where}（{address}）" + (f"，{windows}" if windows else ""))
    return "；".join(out) + "。" if out else ""


def _hours(places: list[dict[str, Any]], guide: dict[str, Any]) -> str:
    out = []
    for p in places:
        hours = "，".join(f"{plain(h['days'])} {plain(h['hours'])}" for h in p.get("hours") or [])
        name = plain(p.get("name") or gaps.GAP)
        out.append((f"{name}：" if len(places) > 1 else "") + (hours or gaps.GAP))
    return "；".join(out) + "。" if out else ""


def _phones(phones: list[dict[str, Any]]) -> str:
    listed = "、".join(
        plain(p["phone"]) + (f"（{_end(p['note'])}）" if p.get("note") else "") for p in phones
    )
    return listed + "。" if listed else ""


# --- the knowledge base -------------------------------------------------------------------------


def _keywords(words: list[str], title: str) -> list[str]:
    """Keywords as hotline systems take them: each at most 20 characters, none equal to the
    title, no duplicates, no commas (the separator)."""
    kept = [plain(w).replace(",", "，") for w in words]
    return list(dict.fromkeys(w for w in kept if w and len(w) <= 20 and w != title))


def _card(gid: str, state: dict[str, Any], root: str) -> dict[str, Any] | None:
    entry = state["current"] or state["upcoming"]
    if entry is None:
        return None
    data = entry["data"]
    sections = list(data["sections"])
    upcoming = state["upcoming"] if state["current"] else None
    if upcoming:
        sections.append({"label": "即将调整", "text": plain(upcoming["notice"]["text"])})
    elif state["current"] is None:
        sections.insert(0, {"label": "即将实施", "text": _starts(entry["effective_date"])})
    theme = data["themes"][0] if data["themes"] else "其他"
    return {
        "id": f"guide:{gid}",
        "guide_id": gid,
        "category": f"{root}/办事指南/{theme}",
        "title": data["title"],
        "text": card_text(sections),
        "sections": sections,
        "keywords": _keywords([*data["themes"], data["item_type"]], data["title"]),
        "kind": "办事指南",
        "issuer": data["issuer"],
        "implementation_code": data["implementation_code"],
        "version": entry["version"],
        "effective_date": entry["effective_date"],
        "state": "现行" if state["current"] else "即将实施",
        "content_hash": entry["content_hash"],
        "online_url": data["online_url"],
        "guide_url": data["guide_url"],
        "gaps": data.get("gaps", []),
        "upcoming": (
            {
                "version": upcoming["version"],
                "effective_date": upcoming["effective_date"],
                "notice": plain(upcoming["notice"]["text"]),
            }
            if upcoming
            else None
        ),
    }


def _starts(date: str) -> str:
    year, month, day = (int(x) for x in date.split("-"))
    return f"本事项自 {year} 年 {month} 月 {day} 日起实施。"


def contributions(state: dict[str, Any]) -> Contributions:
    """What a guide gives the FAQ: per entry it shows, [its approval time, its issuer, the
    entry] (the first of an id it lists twice)."""
    entry = state["current"] or state["upcoming"]
    found: Contributions = {}
    if entry is not None:
        for q in entry["data"]["faq"]:
            found.setdefault(q["id"], [entry["approved_at"], entry["data"]["issuer"], q])
    return found


def faq_entries(by: dict[str, dict[str, list[Any]]], root: str) -> list[dict[str, Any]]:
    """The FAQ entries of the shown cards (``by``: per entry, per guide, its contribution)."""
    return [faq_entry(fid, by[fid], root) for fid in sorted(by)]


def faq_entry(fid: str, used: dict[str, list[Any]], root: str) -> dict[str, Any]:
    """One FAQ entry, from the contributions of the guides that use it: an entry two guides
    carry in different approved versions is taken from the guide approved last (of two approved
    at once, the first by id)."""
    best: list[Any] | None = None
    for gid in sorted(used):
        if best is None or best[0] < used[gid][0]:
            best = used[gid]
    assert best is not None
    q = best[2]
    return {
        "id": f"faq:{fid}",
        "category": f"{root}/热点问答",
        "title": q["question"],
        "text": q["answer"],
        "keywords": _keywords(q["tags"], q["question"]),
        "kind": "热点问答",
        "issuer": "、".join(sorted({c[1] for c in used.values()})),
        "guides": sorted(used),
    }


def _withdrawn(gid: str, state: dict[str, Any]) -> dict[str, Any] | None:
    if not state["withdrawn"]:
        return None
    return {
        "id": f"guide:{gid}",
        "guide_id": gid,
        "title": plain(state["name"]),
        "reason": plain(state["withdrawn"]["reason"]),
        "version": state["withdrawn"]["version"],
        "effective_date": state["withdrawn"]["effective_date"],
    }


def _cells(row: list[Any]) -> list[str]:
    return [csv_cell(plain("" if cell is None else cell)) for cell in row]


def _csv(header: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a BOM (Excel), a header row, ``\r\n`` line ends."""
    return _csv_of(header, [_cells(row) for row in rows])


def _csv_of(header: tuple[str, ...], cells: list[list[str]]) -> bytes:
    """:func:`_csv` of rows already made cells (:func:`_cells`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(cells)
    return buffer.getvalue().encode("utf-8-sig")


def _card_row(c: dict[str, Any]) -> list[Any]:
    return [
        c["id"],
        c["category"],
        c["title"],
        c["text"],
        ",".join(c["keywords"]),
        c["kind"],
        c["issuer"],
        c["implementation_code"],
        c["version"],
        c["effective_date"],
        c["state"],
        c["content_hash"],
        c["guide_url"],
    ]


def _faq_row(q: dict[str, Any]) -> list[Any]:
    return [
        q["id"],
        q["category"],
        q["title"],
        q["text"],
        ",".join(q["keywords"]),
        q["kind"],
        q["issuer"],
        "",
        "",
        "",
        "现行",
        "",
        "",
    ]


def _withdrawn_row(w: dict[str, Any]) -> list[Any]:
    return [w["id"], w["title"], w["reason"], w["version"], w["effective_date"]]
