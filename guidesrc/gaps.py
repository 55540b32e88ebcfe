"""Gaps: what a guide does not state, and how every channel says so.

A guide may leave a fact unknown in two ways: a field listed in a ``pending`` (待补充) list, or a
yes/no fact the source did not state (通办范围, 预约, 快递, 网上支付 left out: *not stated*, which
is neither "yes" nor "no"). The compiled guide carries every such gap explicitly in its ``gaps``
list (dotted paths, see :func:`gap_paths`), and every channel shows a gap as a gap, in the words
of this module, never as ``None``, ``无`` or a default claim such as 不通办 or 无需提交申请材料.

The wording is public content in Simplified Chinese (as on the pages and sheets), so it is not
translated. Every function takes the compiled guide (plain JSON data) and is cheap: the site build
and the sheets call them once per field per guide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Literal

from guidesrc.model import code_labels as labels

GAP = "待补充"
#: The list (and label) of guides whose implementing body, or item type, is not known.
UNKNOWN_BODY = "实施主体待补充"
UNKNOWN_TYPE = "事项类型待补充"
#: An office whose name is not known, for hall staff (followed by the office's id).
UNKNOWN_PLACE = "办理地点名称待补充"
#: The visible notice on every page, sheet and kiosk page of a guide published incomplete.
INCOMPLETE_NOTICE = "本指南部分内容正在完善中，以窗口答复为准。"

#: Yes/no facts a source may not state: left out = not stated (a gap), never false.
TRI_STATE = ("appointment", "express_delivery", "online_payment")

#: Elements a library's completeness policy can require (``library.yaml`` → ``completeness``),
#: each with the gap paths that make it unknown (exact paths; ``*`` stands for one part).
ELEMENTS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "implementing_body": ("implementing_body.name",),
    "conditions": ("conditions",),
    "materials": ("materials",),
    "time_limits": ("promised_time_limit",),
    "fees": ("fees.charged",),
    "places": ("places", "places.*.address", "places.*.hours"),
    "consult_phones": ("consult_phones",),
    "basic_code": ("basic_code",),
    "item_type": ("item_type",),
    "exercise_level": ("exercise_level",),
    "service_objects": ("service_objects",),
    "legal_basis": ("legal_basis",),
    "procedure": ("procedure",),
    "case_type": ("case_type",),
    "results": ("results",),
    "complaint_phones": ("complaint_phones",),
    "onsite_visits": ("onsite_visits.count",),
    "handling_forms": ("handling_forms",),
    "online": ("online",),
    "scope": ("scope",),
    "appointment": ("appointment",),
    "express_delivery": ("express_delivery",),
    "online_payment": ("online_payment",),
    "effective_date": ("effective_date",),
}

Element = Literal[
    "name", "implementing_body", "conditions", "materials", "time_limits", "fees", "places",
    "consult_phones", "basic_code", "item_type", "exercise_level", "service_objects",
    "legal_basis", "procedure", "case_type", "results", "complaint_phones", "onsite_visits",
    "handling_forms", "online", "scope", "appointment", "express_delivery", "online_payment",
    "effective_date",
]  # fmt: skip

#: The GB/T 39046 core a citizen acts on: the default of ``completeness.required``.
CORE: tuple[Element, ...] = (
    "name",
    "implementing_body",
    "conditions",
    "materials",
    "time_limits",
    "fees",
    "places",
    "consult_phones",
)

#: Chinese names of the elements, for messages and notices.
ELEMENT_TITLES = {
    "name": "事项名称",
    "implementing_body": "实施主体",
    "conditions": "受理条件",
    "materials": "申请材料",
    "time_limits": "办结时限",
    "fees": "收费",
    "places": "办理地点",
    "consult_phones": "咨询电话",
    "basic_code": "基本编码",
    "item_type": "事项类型",
    "exercise_level": "行使层级",
    "service_objects": "服务对象",
    "legal_basis": "设定依据",
    "procedure": "办理流程",
    "case_type": "办件类型",
    "results": "办理结果",
    "complaint_phones": "监督投诉电话",
    "onsite_visits": "到办事现场次数",
    "handling_forms": "办理形式",
    "online": "网上办理",
    "scope": "通办范围",
    "appointment": "预约办理",
    "express_delivery": "物流快递",
    "online_payment": "网上支付",
    "effective_date": "具体实施时间",
}


# --- the gaps of a guide ---------------------------------------------------------------------------


def _pending(data: Mapping[str, Any] | None) -> Iterable[str]:
    return (data or {}).get("pending") or ()


def gap_paths(data: Mapping[str, Any], offices: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every gap of a guide, from its validated data (``model_dump(mode="json")``) and its
    offices' data (id → entry): sorted dotted paths, identities instead of positions
    (``materials.<id>.form``, ``places.<id>.address``, ``results.<name>.kind``).

    On the hot path of every compile: plain loops, no helper calls for the common empty case."""
    out = list(data.get("pending") or ())
    materials, results = data.get("materials"), data.get("results")
    if materials is None:
        out.append("materials")
    if results is None:
        out.append("results")
    for name in ("implementing_body", "fees", "onsite_visits"):
        part = data.get(name)
        if part and part.get("pending"):
            out += [f"{name}.{p}" for p in part["pending"]]
    for m in materials or ():
        if m.get("pending"):
            out += [f"materials.{m['material']}.{p}" for p in m["pending"]]
    for r in results or ():
        if r.get("pending"):
            out += [f"results.{r['name']}.{p}" for p in r["pending"]]
    for place in data.get("places") or ():
        office = offices.get(place)
        if office is not None and office.get("pending"):
            out += [f"places.{place}.{p}" for p in office["pending"]]
    if data.get("scope") is None:
        out.append("scope")
    for name in TRI_STATE:
        if data.get(name) is None:
            out.append(name)
    if online_handling(data) is None:
        out.append("online")
    return sorted(set(out))


def missing_elements(gaps: Iterable[str], required: Iterable[str] = CORE) -> list[str]:
    """The required elements (of :data:`ELEMENTS`) that these gaps leave unknown."""
    return list(_missing(tuple(gaps), tuple(required)))


#: ELEMENTS' patterns split once: element → [(parts, wildcard?)].
_PATTERNS = {
    element: [(tuple(p.split(".")), "*" in p) for p in patterns]
    for element, patterns in ELEMENTS.items()
}


@lru_cache(maxsize=4096)
def _missing(gaps: tuple[str, ...], required: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`missing_elements`, cached: a library's guides share few distinct gap lists, and
    every page, sheet and kiosk page of a guide asks (a full site build asks 10,000 times)."""
    exact = set(gaps)
    paths = [tuple(g.split(".")) for g in gaps]
    out = []
    for element in required:
        for want, wild in _PATTERNS.get(element, ()):
            if (
                any(
                    len(p) == len(want) and all(w in ("*", q) for w, q in zip(want, p, strict=True))
                    for p in paths
                )
                if wild
                else ".".join(want) in exact
            ):
                out.append(element)
                break
    return tuple(out)


def incomplete(guide: Mapping[str, Any]) -> bool:
    """True when a compiled guide lacks one of the core elements: its page, sheet and kiosk page
    carry :data:`INCOMPLETE_NOTICE` (only a library that allows incomplete guides publishes it)."""
    gaps = guide.get("gaps") or []
    return bool(gaps) and bool(missing_elements(gaps))


# --- the words ---------------------------------------------------------------------------------------


def consult_phone(guide: Mapping[str, Any]) -> str | None:
    """Where to ask: the guide's first consult phone, else the first phone of its offices."""
    for contact in guide.get("consult_phones") or ():
        if contact.get("phone"):
            return str(contact["phone"])
    for place in guide.get("places") or ():
        for phone in place.get("phones") or ():
            return str(phone)
    return None


def ask(guide: Mapping[str, Any]) -> str:
    """``请咨询 0755-12345678``, or ``请向办理窗口咨询`` when no phone is known."""
    phone = consult_phone(guide)
    return f"请咨询 {phone}" if phone else "请向办理窗口咨询"


def gap(guide: Mapping[str, Any]) -> str:
    """The words of a gap: ``待补充，请咨询 0755-12345678``."""
    return f"{GAP}，{ask(guide)}"


def text(value: Any, guide: Mapping[str, Any]) -> str:
    """A value as text, or the gap when it is unknown (None or empty)."""
    if value is None or value == "" or value == []:
        return gap(guide)
    return str(value)


SERVICE_LABELS = {
    "appointment": "预约办理",
    "express_delivery": "物流快递",
    "online_payment": "网上支付",
}


def services(guide: Mapping[str, Any]) -> str:
    """便民服务 (预约、快递、网上支付) in one line: what is supported, what is not, what is not
    stated: ``支持预约办理；不支持网上支付；物流快递待补充，请咨询 12345``."""
    said: dict[Any, list[str]] = {True: [], False: [], None: []}
    for name, title in SERVICE_LABELS.items():
        said[guide.get(name)].append(title)
    parts = []
    if said[True]:
        parts.append("支持" + "、".join(said[True]))
    if said[False]:
        parts.append("不支持" + "、".join(said[False]))
    if said[None]:
        parts.append("、".join(said[None]) + gap(guide))
    return "；".join(parts)


def online_handling(guide: Mapping[str, Any]) -> bool | None:
    """Whether the guide can be handled online (网上办理), derived: yes when an online depth or
    address is given, or handling forms include 网上办理 (2); no when the handling forms are
    known and lack it; not stated otherwise."""
    online = guide.get("online") or {}
    forms = guide.get("handling_forms") or []
    if online.get("depth") or online.get("url") or 2 in forms:
        return True
    if not forms or "handling_forms" in _pending(guide):
        return None
    return False


def online_text(guide: Mapping[str, Any], depths: Mapping[Any, str]) -> str:
    """网上办理 as words: its depth, 支持网上办理, 不支持, or the gap (the address is shown
    beside it by each channel)."""
    online = guide.get("online") or {}
    if online.get("depth"):
        return depths.get(online["depth"], str(online["depth"]))
    state = online_handling(guide)
    if state is None:
        return gap(guide)
    return "支持网上办理" if state else "不支持"


def visits(guide: Mapping[str, Any]) -> str:
    """到办事现场次数: ``1 次（原因）``, ``0 次（零跑动）``, or the gap."""
    onsite = guide.get("onsite_visits") or {}
    count = onsite.get("count")
    if count is None:
        return gap(guide)
    reason = onsite.get("reason")
    return f"{count} 次" + (f"（{reason}）" if reason else "")


def limit_text(value: Mapping[str, Any]) -> str:
    text_ = f"{value['value']} 个{value['unit']}" if value.get("value") else "即时办结"
    return text_ + (f"（{value['note']}）" if value.get("note") else "")


def time_limit(guide: Mapping[str, Any], name: str) -> str:
    """A time limit as words. A statutory limit left out (not pending) means the law sets none:
    ``法律法规未规定``; a promised one left out is a gap."""
    value = guide.get(name)
    if value:
        return limit_text(value)
    if name == "statutory_time_limit" and name not in _pending(guide):
        return "法律法规未规定"
    return gap(guide)


def fees_state(guide: Mapping[str, Any]) -> str:
    """``charged``, ``free`` or ``unknown`` (pending, or not stated)."""
    fees = guide.get("fees") or {}
    charged = fees.get("charged")
    if charged is None or "charged" in _pending(fees):
        return "unknown"
    return "charged" if charged else "free"


def fees_text(guide: Mapping[str, Any]) -> str:
    """收费 in one line: the items, 不收费, 收费（标准待补充…）, or the gap."""
    state = fees_state(guide)
    if state == "unknown":
        return f"{GAP}：收费情况尚未确认，{ask(guide)}"
    if state == "free":
        return "不收费"
    items = (guide.get("fees") or {}).get("items") or []
    if not items:
        return f"收费，收费标准{GAP}，{ask(guide)}"
    return "；".join(f"{i['name']}：{i['standard']}" for i in items)


def _list_state(guide: Mapping[str, Any], name: str) -> str:
    """``listed``, ``none`` (stated: an empty list) or ``unknown`` (pending or not stated)."""
    if name in _pending(guide) or name in (guide.get("gaps") or ()) or guide.get(name) is None:
        return "unknown"
    return "listed" if guide[name] else "none"


def materials_state(guide: Mapping[str, Any]) -> str:
    """:func:`_list_state` of the materials (``none``: no materials are needed)."""
    return _list_state(guide, "materials")


def count_parts(m: Mapping[str, Any]) -> list[str]:
    """A material's counts: ``原件 1 份``; a count its form needs but not known: 原件份数待补充."""
    form = m.get("form")
    parts = []
    for key, label, forms in (
        ("original_count", "原件", ("原件", "原件和复印件")),
        ("copy_count", "复印件", ("复印件", "原件和复印件")),
    ):
        count = m.get(key)
        if count:
            parts.append(f"{label} {count} 份")
        elif count is None and (form is None or form in forms):
            parts.append(f"{label}份数{GAP}")
    return parts


def copies(m: Mapping[str, Any]) -> str:
    """A material's form and counts: ``原件 1 份``, ``原件 1 份，复印件 2 份``; the form is said
    on its own only when no count names it (``复印件，复印件份数待补充`` never repeats
    a known count); what is unknown says 待补充."""
    form = m.get("form")
    parts = count_parts(m)
    known = [p for p in parts if GAP not in p]
    if form and known:
        return "，".join(parts)
    return "，".join([form or f"形式{GAP}", *parts])


def materials_gap(guide: Mapping[str, Any]) -> str:
    return f"{GAP}：申请材料尚未确认，{ask(guide)}"


def results_state(guide: Mapping[str, Any]) -> str:
    """:func:`_list_state` of the results (``none``: no certificate is issued)."""
    return _list_state(guide, "results")


def facts(guide: Mapping[str, Any]) -> dict[str, str]:
    """The guide's basic facts as words, gaps included: what the site, the sheet and the kiosk
    show in their 基本信息 and 办理时限 (one call per guide, so that a page does not pay a
    template call per field)."""
    gap_ = gap(guide)
    body = guide.get("implementing_body") or {}
    nature = body.get("nature")
    item_type = guide.get("item_type")
    level = guide.get("exercise_level")
    objects = guide.get("service_objects")
    forms = guide.get("handling_forms")
    online = guide.get("online") or {}
    said = {name: guide.get(name) for name in TRI_STATE}
    return {
        "gap": gap_,
        "incomplete": INCOMPLETE_NOTICE if incomplete(guide) else "",
        "item_type": gap_
        if item_type is None
        else labels.ITEM_TYPES.get(item_type, str(item_type)),
        "basic_code": guide.get("basic_code") or gap_,
        "exercise_level": gap_ if level is None else labels.EXERCISE_LEVELS.get(level, str(level)),
        "body": body.get("name") or gap_,
        "nature": "" if nature is None else labels.BODY_NATURES.get(nature, "其他"),
        "credit_code": body.get("credit_code") or gap_,
        "service_objects": "、".join(labels.SERVICE_OBJECTS.get(o, str(o)) for o in objects)
        if objects
        else gap_,
        "case_type": guide.get("case_type") or gap_,
        "handling_forms": "、".join(labels.HANDLING_FORMS.get(f, str(f)) for f in forms)
        if forms
        else gap_,
        "visits": visits(guide),
        "online": online_text(guide, labels.ONLINE_DEPTHS),
        "online_url": online.get("url") or "",
        "scope": guide.get("scope") or gap_,
        **{name: gap_ if v is None else ("支持" if v else "不支持") for name, v in said.items()},
        "services": services(guide),
        "statutory_time_limit": time_limit(guide, "statutory_time_limit"),
        "promised_time_limit": time_limit(guide, "promised_time_limit"),
        "fees": fees_state(guide),
        "materials": materials_state(guide),
        "results": results_state(guide),
    }


def strip_nulls(value: Any) -> Any:
    """JSON data with every ``null`` left out of objects (and lists): the public JSON outputs
    (the site's API, the push body, the exports) never write a JSON null for an unknown fact;
    the unknown fields are named in the document's ``gaps`` list.

    On the path of every published guide: scalars are kept without a call of their own."""
    if type(value) is dict:
        return {
            k: strip_nulls(v) if type(v) in _CONTAINERS else v
            for k, v in value.items()
            if v is not None
        }
    if type(value) is list:
        return [strip_nulls(v) if type(v) in _CONTAINERS else v for v in value if v is not None]
    return value


_CONTAINERS = (dict, list)


def null_free(doc: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`strip_nulls` of a JSON object."""
    return {
        k: strip_nulls(v) if type(v) in _CONTAINERS else v for k, v in doc.items() if v is not None
    }


def has_null(value: Any) -> bool:
    """Whether JSON data holds a ``null`` anywhere (what :func:`strip_nulls` leaves out)."""
    if value is None:
        return True
    if type(value) is dict:
        return any(has_null(v) for v in value.values())
    if type(value) is list:
        return any(has_null(v) for v in value)
    return False
