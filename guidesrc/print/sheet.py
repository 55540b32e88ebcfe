"""What one printed sheet shows, as plain data for the Typst template (``guide.typ``).

A sheet is one of three kinds: the guide in force (``current``), an approved version that takes
effect later (``upcoming``: marked 即将实施, with its change notice), or the notice that a guide was
withdrawn (``withdrawn``, with the reason). Codes become their Chinese labels here and dates are
written the way the change notices write them (2026 年 12 月 1 日), so the template only lays out
text it is given. The wording is public content in Simplified Chinese, so it is not translated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from guidesrc import gaps

Kind = Literal["current", "upcoming", "withdrawn"]
SHORT_HASH = 12  # hex digits of the content hash printed in the footer (as change set ids)
FORMAT = 3  # the shape of the data the template reads


@dataclass(frozen=True, slots=True)
class SheetJob:
    """Everything needed to print one sheet (picklable: sent to worker processes)."""

    kind: Kind
    guide_id: str
    name: str
    version: int
    effective_date: dt.date
    approved_at: dt.datetime
    content_hash: str | None
    guide: dict[str, Any] | None  # the compiled guide (None for a withdrawal)
    notice: dict[str, Any]  # Notice.as_dict()
    reason: str | None
    url: str  # the guide's page on the online hall (the QR code)
    large: bool = False  # large print: bigger type, one column


def cn_date(day: dt.date | str) -> str:
    """2026 年 12 月 1 日"""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def short_hash(content_hash: str | None) -> str:
    return (content_hash or "")[:SHORT_HASH]


def sheet_data(job: SheetJob) -> dict[str, Any]:
    """The JSON the template reads for ``job``."""
    effective = cn_date(job.effective_date)
    since = f"自 {effective}起停止办理" if job.kind == "withdrawn" else f"自 {effective}起实施"
    footer = [job.name, f"第 {job.version} 版", since]
    if job.content_hash:
        footer.append(short_hash(job.content_hash))
    if job.kind == "upcoming":
        footer.append("即将实施")
    data: dict[str, Any] = {
        "format": FORMAT,
        "kind": job.kind,
        "large": job.large,
        "name": job.name,
        "version": job.version,
        "effective": effective,
        "since": since,
        "url": job.url,
        "footer": " · ".join(footer),
        "footer_parts": footer,  # the template breaks a long footer between parts only
        "meta": _meta(job, since),
    }
    if job.kind == "withdrawn":
        data["withdrawal"] = _withdrawal(job, since)
        return data
    assert job.guide is not None, "a guide sheet needs the compiled guide"
    if job.kind == "upcoming":
        data["notice"] = _notice(job.notice, job.name, effective)
    return data | guide_sections(job.guide)


def _meta(job: SheetJob, since: str) -> dict[str, Any]:
    label = {"current": "办事指南", "upcoming": "办事指南（即将实施）", "withdrawn": "停止办理公告"}
    keywords = ["办事指南", job.guide_id, f"第 {job.version} 版"]
    if job.content_hash:
        keywords.append(f"sha256:{job.content_hash}")
    return {
        "title": f"{job.name} {label[job.kind]}",
        "subject": f"{job.name}，第 {job.version} 版，{since}",
        "keywords": keywords,
    }


def _withdrawal(job: SheetJob, since: str) -> dict[str, Any]:
    lines = [f"“{job.name}”事项{since}，原办事指南不再使用。"]
    if job.reason and job.reason.strip():
        lines.append(f"原因：{sentence(job.reason)}")
    lines.append("请勿再按原办事指南准备材料。如有疑问，请拨打 12345 政务服务便民热线咨询。")
    return {"lines": lines}


#: What a sentence may end with; anything else gets a 。 (a closing quote or bracket after one of
#: these ends the sentence too: 办理。” or （见附件。）).
_ENDS = "。！？…!?"
_CLOSING = "”’」』）)》"
#: Final marks that only pause a sentence: replaced by 。 at its end.
_PAUSES = "；，、：;,:"


def sentence(text: str) -> str:
    """``text`` as a finished sentence: one 。 added only if it does not already end one."""
    text = text.strip()
    core = text.rstrip(_CLOSING)
    if core.endswith(tuple(_ENDS)):
        return text
    if core == text and text.endswith(tuple(_PAUSES)):
        return text.rstrip(_PAUSES) + "。"
    if text.endswith("."):
        return text[:-1] + "。"
    return text + "。"


def _notice(notice: dict[str, Any], name: str, effective: str) -> dict[str, Any]:
    """The upcoming box: what changes and what holds until then; for a new item (no guide in
    force before it) that the item is handled from that day on."""
    if notice.get("status") == "added":
        return {
            "label": "新增事项：",
            "lines": [f"“{name}”为新增事项，此前没有现行办事指南。"],
            "before": f"本事项自 {effective}起开始受理。",
        }
    items = [f"{i['label']}：{'；'.join(i['clauses'])}。" for i in notice.get("items", [])]
    return {
        "label": "变更内容：",
        "lines": items or [notice.get("text", "")],
        "before": "在此之前，仍按现行办事指南办理。",
    }


# --- the guide's sections ------------------------------------------------------------------------


def guide_sections(g: dict[str, Any]) -> dict[str, Any]:
    """Each section of a compiled guide as labelled text."""
    f = gaps.facts(g)
    gap = f["gap"]
    return {
        "body": f["body"],
        "gap": gap,
        "incomplete": f["incomplete"],
        "basic": _basic(g, f),
        "conditions": list(g["conditions"]) or [gap],
        "materials": [_material(i, m, g) for i, m in enumerate(g.get("materials") or (), 1)],
        "materials_text": _materials_text(g, f["materials"]),
        "steps": [_step(s) for s in g["procedure"]]
        or [{"name": gaps.GAP, "description": gaps.ask(g), "limit": ""}],
        "limits": [
            ["法定办结时限", f["statutory_time_limit"]],
            ["承诺办结时限", f["promised_time_limit"]],
        ],
        "fees": _fees(g, f["fees"]),
        "pending": list(g.get("pending") or []),
        "results": [f"{r['kind'] or gaps.GAP}：{r['name']}" for r in g.get("results") or ()]
        or [gap if f["results"] == "unknown" else "无证照或批文"],
        "places": [_place(p, g) for p in g["places"]]
        or [{"name": gaps.GAP, "rows": [["地址", gap]]}],
        "contacts": _contacts(g),
        "faq": [{"q": q["question"], "a": q["answer"]} for q in g["faq"]],
        "bases": [_basis(b, g) for b in g["legal_basis"]]
        or [{"title": gap, "detail": "", "text": ""}],
    }


def _materials_text(g: dict[str, Any], state: str) -> str:
    """What the materials section says when it lists none: stated none, or the gap."""
    if state == "unknown":
        return gaps.materials_gap(g)
    return "无需提交申请材料。" if state == "none" else ""


#: The widest value (in ems of Chinese text) that fits in half a row of the basic-facts table.
HALF_ROW_EMS = 19


def _basic(g: dict[str, Any], f: dict[str, str]) -> dict[str, list[list[str]]]:
    """Label/value pairs: short ones two to a row, wide ones a row each (in regular print)."""
    online = f["online"] + ("：" + f["online_url"] if f["online_url"] else "")
    rows = [
        ["事项类型", f["item_type"]],
        ["行使层级", f["exercise_level"]],
        ["实施主体", f["body"] + (f"（{f['nature']}）" if f["nature"] else "")],
        ["承办机构", "、".join(g["handling_bodies"])],
        ["联办机构", "、".join(g["joint_bodies"])],
        ["服务对象", f["service_objects"]],
        ["服务主题", "、".join(g["themes"])],
        ["办件类型", f["case_type"]],
        ["办理形式", f["handling_forms"]],
        ["通办范围", f["scope"]],
        ["事项状态", g["status"] if g.get("status", "在用") != "在用" else ""],
        ["便民服务", f["services"]],
        ["到现场次数", f["visits"]],
        ["网上办理", online],
        ["基本编码", f["basic_code"]],
        ["实施编码", g["implementation_code"]],
    ]
    rows = [row for row in rows if row[1]]
    return {
        "short": [row for row in rows if ems(row[1]) <= HALF_ROW_EMS],
        "wide": [row for row in rows if ems(row[1]) > HALF_ROW_EMS],
    }


def ems(text: str) -> float:
    """The printed width of ``text`` in ems, roughly: Chinese characters one, others about half."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in text)


def _count(m: dict[str, Any], g: dict[str, Any]) -> str:
    return "，".join(gaps.count_parts(m)) or m.get("form") or gaps.GAP


def _material(no: int, m: dict[str, Any], g: dict[str, Any]) -> dict[str, Any]:
    notes = []
    if m.get("condition"):
        notes.append(f"适用情形：{m['condition']}")
    if m.get("notes"):
        notes.append(m["notes"])
    if m.get("description"):
        notes.append(m["description"])
    if m.get("issuer"):
        notes.append(f"出具单位：{m['issuer']}")
    bases = [_cite(b) for b in m.get("legal_basis", [])]
    if bases:
        notes.append("依据：" + "；".join(bases))
    return {
        "no": str(no),
        "name": m["name"],
        # narrow table cells: the short gap (where to ask is said beside the section)
        "form": m.get("form") or gaps.GAP,
        "count": _count(m, g),
        "medium": m.get("medium") or gaps.GAP,
        "source": m.get("source") or gaps.GAP,
        "necessity": m.get("necessity") or gaps.GAP,
        "notes": notes,
    }


def _cite(basis: dict[str, Any]) -> str:
    return f"{basis['title']}{basis.get('article') or ''}"


def time_limit(value: dict[str, Any] | None) -> str:
    return gaps.limit_text(value) if value else gaps.GAP


def _step(step: dict[str, Any]) -> dict[str, str]:
    limit = step.get("time_limit")
    return {
        "name": step["name"],
        "description": step["description"],
        "limit": time_limit(limit) if limit else "",
    }


def _fees(g: dict[str, Any], state: str) -> dict[str, Any]:
    fees = g["fees"]
    items = [
        {
            "name": item["name"],
            "standard": item["standard"],
            "basis": "；".join(_cite(b) for b in item["legal_basis"]),
        }
        for item in fees.get("items", [])
    ]
    return {
        "charged": state == "charged",
        "items": items,
        "pending": state == "unknown" or (state == "charged" and not items),
        "text": "" if state == "charged" and items else gaps.fees_text(g) + "。",
    }


def _place(p: dict[str, Any], g: dict[str, Any]) -> dict[str, Any]:
    rows = [["地址", address(p, g)]]
    if p.get("windows"):
        rows.append(["窗口", "、".join(w["name"] for w in p["windows"])])
    hours = "；".join(f"{h['days']} {h['hours']}" for h in p.get("hours") or ())
    rows.append(["办理时间", hours or gaps.gap(g)])
    if p.get("phones"):
        rows.append(["联系电话", "、".join(p["phones"])])
    if p.get("transport"):
        rows.append(["交通指引", p["transport"]])
    return {"name": gaps.text(p.get("name"), g), "rows": rows}


def address(p: dict[str, Any], g: dict[str, Any]) -> str:
    """An office's address with its hall: 民生路 1 号（一楼 A 区）, or 一楼 A 区，地址待补充…"""
    hall = p.get("hall")
    if p.get("address"):
        return str(p["address"]) + (f"（{hall}）" if hall else "")
    return (f"{hall}，地址" if hall else "") + gaps.gap(g)


def _phones(contacts: list[dict[str, Any]], g: dict[str, Any]) -> str:
    listed = "；".join(c["phone"] + (f"（{c['note']}）" if c.get("note") else "") for c in contacts)
    return listed or gaps.gap(g)


def _contacts(g: dict[str, Any]) -> list[list[str]]:
    return [
        ["咨询电话", _phones(g["consult_phones"], g)],
        ["监督投诉电话", _phones(g["complaint_phones"], g)],
    ]


def _basis(b: dict[str, Any], g: dict[str, Any]) -> dict[str, str]:
    detail = [b["issuer"]] if b.get("issuer") else []
    if b.get("document_number"):
        detail.append(b["document_number"])
    if b.get("in_force_from"):
        detail.append(f"{cn_date(b['in_force_from'])}起施行")
    return {"title": _cite(b), "detail": "，".join(detail), "text": b.get("text") or ""}
