"""CPSV-AP 3.2 (Core Public Service Vocabulary Application Profile) JSON-LD of the library.

::

    <path>/cpsv-ap.jsonld   one graph: a cpsv:PublicService per guide in force, with its
                            Requirements, Evidence, Rule, Costs, Channels, ContactPoints and
                            Outputs, the competent authorities (cv:PublicOrganisation), the legal
                            bases (eli:LegalResource) and the code lists it uses (skos:Concept)

Terms come from the official CPSV-AP 3.2.0 context (``CONTEXT_URL``; a verbatim copy and the
official SHACL shapes are in ``cpsv_data/`` for validating offline), plus three prefixes (dct,
skos, foaf) for the few properties the official context names only for other classes. Text is
Chinese, tagged ``zh-CN``. Only versions in force are exported: an announced version appears
when it takes effect, a withdrawn guide disappears. The mapping table is in docs/exports.md.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import Field

from guidesrc import gaps
from guidesrc.adapters.base import Delivery
from guidesrc.adapters.batchfiles import (
    BatchExport,
    ExportSettings,
    Manifest,
    json_bytes,
    shown,
    write_if_changed,
)
from guidesrc.model.codes import ITEM_TYPES, SERVICE_OBJECTS
from guidesrc.urls import guide_url

CONTEXT_URL = "https://semiceu.github.io/CPSV-AP/releases/3.2.0/context/cpsv-ap_en.jsonld"
EXTENSION = {
    "dct": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
LANGUAGE = "zh-CN"
CHINESE = "http://publications.europa.eu/resource/authority/language/ZHO"
YUAN = "http://publications.europa.eu/resource/authority/currency/CNY"
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*元")
_CHANNEL_TYPES = {"window": "窗口办理", "online": "网上办理"}
_STATUS = {"在用": "active", "暂停": "suspended", "已取消": "cancelled"}

Node = dict[str, Any]


class CpsvSettings(ExportSettings):
    #: Where the graph's own IRIs start, ending in "/"; ``{base_url}/cpsv/`` if unset.
    base_iri: str | None = Field(default=None, pattern=r"^https?://[^\s]+/$")


def zh(text: str) -> dict[str, str]:
    return {"@value": text, "@language": LANGUAGE}


class CpsvAdapter(BatchExport[CpsvSettings]):
    Settings = CpsvSettings
    kind: ClassVar[str] = "cpsv"

    @property
    def base(self) -> str:
        return self.settings.base_iri or f"{self.config.base_url.rstrip('/')}/cpsv/"

    def extract(self, delivery: Delivery) -> dict[str, Any]:
        iris = Iris(self.base, delivery.guide_id, self.config.region_code)
        page = guide_url(self.config.base_url, delivery.guide_id)
        return service_nodes(delivery.guide or {}, iris, page)

    def render(self, manifest: Manifest, changed: set[str]) -> None:
        write_if_changed(self.out / "cpsv-ap.jsonld", json_bytes(graph(manifest)))


def graph(manifest: Manifest) -> dict[str, Any]:
    """The JSON-LD document: every node once, by IRI; a node shared by guides (an authority, a
    legal basis) as the guide approved last describes it."""
    current = [(gid, s["current"]) for gid, s in shown(manifest) if s["current"]]
    nodes: dict[str, Node] = {}
    for _at, _gid, entry in sorted((e["approved_at"], gid, e) for gid, e in current):
        for node in entry["data"]["shared"]:
            nodes[node["@id"]] = node
    for _gid, entry in current:
        for node in entry["data"]["nodes"]:
            nodes[node["@id"]] = node
    return {"@context": [CONTEXT_URL, EXTENSION], "@graph": [nodes[i] for i in sorted(nodes)]}


class Iris:
    """The IRIs of one guide's nodes and of the shared ones."""

    def __init__(self, base: str, guide_id: str, region: str) -> None:
        self.base = base
        self.service = f"{base}service/{guide_id}"
        self.region = f"{base}region/{region}"
        self.region_code = region

    def part(self, *names: str | int) -> str:
        return "/".join([self.service, *(str(n) for n in names)])

    def concept(self, scheme: str, code: str | int) -> str:
        return f"{self.base}concept/{scheme}/{code}"

    def organisation(self, credit_code: str) -> str:
        return f"{self.base}organisation/{credit_code}"

    def legal(self, basis_id: str) -> str:
        return f"{self.base}legal/{basis_id}"


def service_nodes(g: dict[str, Any], iris: Iris, page: str) -> dict[str, list[Node]]:
    """The guide's own nodes, and the shared nodes it refers to."""
    org, authority = _authority(g, iris)
    shared: list[Node] = [
        authority,
        {"@id": iris.region, "@type": "Location", "dct:identifier": iris.region_code},
        {"@id": CHINESE, "@type": "LinguisticSystem"},
        {"@id": page, "@type": "Document"},
        *_legal_resources(g, iris),
    ]
    concept = _Concepts(iris)
    requirements = _requirements(g, iris)
    evidence = _evidence(g, iris, concept)
    rule = _rule(g, iris)
    costs = _costs(g, iris, concept)
    channels, hours = _channels(g, iris, concept)
    contacts, contact_hours = _contacts(g, iris, page)
    outputs = _outputs(g, iris, concept)
    service = _service(g, iris, org, concept)
    service |= {
        "PublicService.holdsRequirement": [r["@id"] for r in requirements],
        "PublicService.hasInput": [e["@id"] for e in evidence],
        "PublicService.follows": [rule["@id"]],
        "PublicService.hasLegalResource": rule["Rule.implements"],
        "PublicService.hasCost": [c["@id"] for c in costs],
        "PublicService.hasChannel": [c["@id"] for c in channels],
        "PublicService.contactPoint": [c["@id"] for c in contacts],
        "PublicService.produces": [o["@id"] for o in outputs],
    }
    duration = _duration(g["promised_time_limit"]) if g.get("promised_time_limit") else None
    if duration:
        service["PublicService.processingTime"] = duration
    if costs:
        shared.append({"@id": YUAN, "@type": "Concept", "skos:prefLabel": [zh("人民币")]})
    shared += concept.nodes()
    own = [service, *requirements, *evidence, rule, *costs, *channels, *hours, *contacts]
    return {"nodes": [*own, *contact_hours, *outputs], "shared": shared}


class _Concepts:
    """The code-list concepts (skos:Concept) one guide uses, collected as its nodes name them."""

    def __init__(self, iris: Iris) -> None:
        self.iris = iris
        self.labels: dict[str, str] = {}

    def __call__(self, scheme: str, code: str | int, label: str) -> str:
        iri = self.iris.concept(scheme, code)
        self.labels[iri] = label
        return iri

    def nodes(self) -> list[Node]:
        return [
            {"@id": iri, "@type": "Concept", "skos:prefLabel": [zh(label)]}
            for iri, label in sorted(self.labels.items())
        ]


def _authority(g: dict[str, Any], iris: Iris) -> tuple[str, Node]:
    """The competent authority's IRI and node."""
    body = g["implementing_body"]
    code = body.get("credit_code")
    # an unknown credit code: the authority of this service, without an identifier (never "None")
    org = iris.organisation(code) if code else iris.part("authority")
    authority: Node = {
        "@id": org,
        "@type": ["PublicOrganization", "Organization"],
        "PublicOrganization.preferredLabel": [zh(body.get("name") or f"实施主体{gaps.GAP}")],
        "PublicOrganization.spatial": [iris.region],
    }
    if code:
        authority["dct:identifier"] = code
    return org, authority


def _legal_resources(g: dict[str, Any], iris: Iris) -> list[Node]:
    """The legal bases of the guide, of its materials and of its fees."""
    bases = list(g["legal_basis"])
    for m in g.get("materials") or []:
        bases += m["legal_basis"]
    for item in g["fees"]["items"]:
        bases += item["legal_basis"]
    return [_legal(iris.legal(b["id"]), b) for b in bases]


def _requirements(g: dict[str, Any], iris: Iris) -> list[Node]:
    return [
        {
            "@id": iris.part("requirement", n),
            "@type": "Requirement",
            "Requirement.identifier": f"{g['id']}-condition-{n}",
            "Requirement.name": [zh(text)],
        }
        for n, text in enumerate(g["conditions"], start=1)
    ]


def _evidence(g: dict[str, Any], iris: Iris, concept: _Concepts) -> list[Node]:
    return [
        {
            "@id": iris.part("evidence", m["id"]),
            "@type": "Evidence",
            "Evidence.identifier": f"{g['id']}-material-{m['id']}",
            "Evidence.name": [zh(m["name"])],
            "Evidence.description": [zh(_material_text(m))],
            **(
                {"Evidence.type": concept("material-kind", _slug(m["kind"]), m["kind"])}
                if m.get("kind")
                else {}  # unknown (待补充): left out
            ),
        }
        for m in g.get("materials") or []
    ]


def _rule(g: dict[str, Any], iris: Iris) -> Node:
    return {
        "@id": iris.part("rule"),
        "@type": "Rule",
        "Rule.identifier": f"{g['id']}-procedure",
        "Rule.name": [zh(f"{g['name']}办理流程")],
        "Rule.description": [zh(_procedure_text(g["procedure"]))],
        "Rule.implements": [iris.legal(b["id"]) for b in g["legal_basis"]],
    }


def _outputs(g: dict[str, Any], iris: Iris, concept: _Concepts) -> list[Node]:
    return [
        {
            "@id": iris.part("output", n),
            "@type": "Output",
            "Output.identifier": f"{g['id']}-result-{n}",
            "Output.name": [zh(r["name"])],
            "Output.type": [concept("output-type", _slug(r["kind"]), r["kind"])]
            if r.get("kind")
            else [],
        }
        for n, r in enumerate(g.get("results") or [], start=1)
    ]


def _service(g: dict[str, Any], iris: Iris, org: str, concept: _Concepts) -> Node:
    """The cpsv:PublicService itself, without the links to its parts."""
    item_type = g.get("item_type")
    status = g.get("status", "在用")
    return {
        "@id": iris.service,
        "@type": "PublicService",
        "PublicService.identifier": g["implementation_code"],
        "PublicService.name": [zh(g["name"])],
        "PublicService.description": [zh(_description(g))],
        "PublicService.hasCompetentAuthority": [org],
        "PublicService.spatial": [iris.region],
        "PublicService.language": [CHINESE],
        "PublicService.addressee": [
            concept("service-object", c, SERVICE_OBJECTS.get(c, str(c)))
            for c in g["service_objects"]
        ],
        "PublicService.isClassifiedBy": [
            concept("item-type", item_type, ITEM_TYPES.get(item_type, item_type))
        ]
        if item_type
        else [],
        "PublicService.keyword": [zh(t) for t in g["themes"]],
        "PublicService.status": concept("status", _STATUS.get(status, "active"), status),
    }


def _legal(iri: str, basis: dict[str, Any]) -> Node:
    node: Node = {
        "@id": iri,
        "@type": "LegalResource",
        "dct:title": [zh(f"{basis['title']}{basis.get('article') or ''}")],
    }
    if basis.get("document_number"):
        node["dct:identifier"] = basis["document_number"]
    return node


def _slug(label: str) -> str:
    return {
        "证件证照": "licence",
        "申请表格文书": "form",
        "证明文件": "certificate",
        "其他": "other",
        "证照": "licence",
        "批文": "approval",
    }.get(label, "other")


def _limit(value: dict[str, Any]) -> str:
    return "即时办结" if value["value"] == 0 else f"{value['value']} 个{value['unit']}"


def _duration(limit: dict[str, Any]) -> str | None:
    """ISO 8601 for calendar days; working days are no fixed duration, so none is given."""
    if limit["value"] == 0:
        return "PT0S"
    return f"P{limit['value']}D" if limit["unit"] == "自然日" else None


def _description(g: dict[str, Any]) -> str:
    conditions = "；".join(c.rstrip("。；") for c in g["conditions"]) or gaps.gap(g)
    text = "受理条件：" + conditions + "。"
    promised = g.get("promised_time_limit")
    text += f"承诺办结时限：{_limit(promised) if promised else gaps.gap(g)}"
    if g.get("statutory_time_limit"):
        text += f"（法定办结时限：{_limit(g['statutory_time_limit'])}）"
    return text + f"。办件类型：{gaps.text(g['case_type'], g)}。"


def _known(value: Any, label: str, text: str | None = None) -> str:
    """A material's attribute, or ``<label>待补充`` when unknown."""
    return f"{label}{gaps.GAP}" if value is None else (text or str(value))


def _material_text(m: dict[str, Any]) -> str:
    parts = [
        _known(m.get("form"), "形式"),
        _known(m.get("medium"), "载体"),
        _known(m.get("original_count"), "原件份数", f"原件 {m.get('original_count')} 份"),
        _known(m.get("copy_count"), "复印件份数", f"复印件 {m.get('copy_count')} 份"),
    ]
    parts += [_known(m.get("source"), "来源渠道"), _known(m.get("necessity"), "必要性")]
    parts += [f"适用情形：{m['condition']}"] if m.get("condition") else []
    parts += [f"填报须知：{m['notes']}"] if m.get("notes") else []
    return "；".join(parts)


def _procedure_text(steps: list[dict[str, Any]]) -> str:
    out = []
    for n, s in enumerate(steps, start=1):
        limit = f"（{_limit(s['time_limit'])}）" if s.get("time_limit") else ""
        out.append(f"{n}. {s['name']}{limit}：{s['description']}")
    return "\n".join(out)


def _costs(g: dict[str, Any], iris: Iris, concept: _Concepts) -> list[Node]:
    fees = g["fees"]
    state = gaps.fees_state(g)
    if state == "unknown" or (state == "charged" and not fees["items"]):
        return [  # no amount: the description says what is not known
            {
                "@id": iris.part("cost", 0),
                "@type": "Cost",
                "Cost.identifier": f"{g['id']}-cost-0",
                "Cost.description": [zh(gaps.fees_text(g))],
                "Cost.currency": YUAN,
            }
        ]
    if state == "free":
        return [
            {
                "@id": iris.part("cost", 0),
                "@type": "Cost",
                "Cost.identifier": f"{g['id']}-cost-0",
                "Cost.description": [zh("不收费")],
                "Cost.hasValue": 0.0,
                "Cost.currency": YUAN,
            }
        ]
    out = []
    for n, item in enumerate(fees["items"], start=1):
        node: Node = {
            "@id": iris.part("cost", n),
            "@type": "Cost",
            "Cost.identifier": f"{g['id']}-cost-{n}",
            "Cost.description": [zh(f"{item['name']}：{item['standard']}")],
            "Cost.currency": YUAN,
        }
        amounts = _AMOUNT.findall(item["standard"])
        if len(amounts) == 1:  # one amount: its value; several (每证、补办…): the text says it
            node["Cost.hasValue"] = float(amounts[0])
        out.append(node)
    return out


def _channels(g: dict[str, Any], iris: Iris, concept: _Concepts) -> tuple[list[Node], list[Node]]:
    channels: list[Node] = []
    hours: list[Node] = []
    for p in g["places"]:
        times = [
            {
                "@id": iris.part("channel", p["id"], "hours", n),
                "@type": "TemporalEntity",
                "TemporalEntity.description": [zh(f"{h['days']} {h['hours']}")],
            }
            for n, h in enumerate(p.get("hours") or [], start=1)
        ]
        hours += times
        windows = "、".join(w["name"] for w in p.get("windows", []))
        name = p.get("name") or f"办理地点名称{gaps.GAP}"
        address = p.get("address") or f"地址{gaps.GAP}"
        where = f"{name}{p.get('hall') or ''}，{address}" + (f"；{windows}" if windows else "")
        channels.append(
            {
                "@id": iris.part("channel", p["id"]),
                "@type": "Channel",
                "Channel.identifier": f"{g['id']}-channel-{p['id']}",
                "Channel.type": concept("channel-type", "window", _CHANNEL_TYPES["window"]),
                "Channel.description": [zh(where)],
                "Channel.openingHours": [t["@id"] for t in times],
            }
        )
    online = g.get("online") or {}
    if online.get("url"):
        channels.append(
            {
                "@id": iris.part("channel", "online"),
                "@type": "Channel",
                "Channel.identifier": f"{g['id']}-channel-online",
                "Channel.type": concept("channel-type", "online", _CHANNEL_TYPES["online"]),
                "Channel.description": [zh(f"网上办理：{online['url']}")],
            }
        )
    return channels, hours


def _contacts(g: dict[str, Any], iris: Iris, page: str) -> tuple[list[Node], list[Node]]:
    contacts: list[Node] = []
    hours: list[Node] = []
    for n, c in enumerate(g["consult_phones"], start=1):
        node: Node = {
            "@id": iris.part("contact", n),
            "@type": "ContactPoint",
            "ContactPoint.hasTelephone": [c["phone"]],
            "ContactPoint.contactPage": [page],
        }
        if c.get("note"):
            note = {
                "@id": iris.part("contact", n, "hours"),
                "@type": "TemporalEntity",
                "TemporalEntity.description": [zh(c["note"])],
            }
            hours.append(note)
            node["ContactPoint.openingHours"] = [note["@id"]]
        contacts.append(node)
    return contacts, hours
