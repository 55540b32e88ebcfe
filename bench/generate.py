"""Generate a valid synthetic content library of any size, for benchmarks and load tests.

    python bench/generate.py OUT_DIR --guides 10000 [--seed 1]      # a new library
    python bench/generate.py OUT_DIR --mutate 100 --seed 2           # edit 100 of its guides

``--mutate K`` edits K guides of the library in OUT_DIR in place (a time limit changed, a condition
reworded or a material added, in equal shares); given with ``--guides N`` and no library there
yet, it generates the library first. ``--force`` replaces an existing generated library.

The library passes ``guides check --strict`` with no problems. Its shape (materials per guide, item
types, condition lengths, time limits, department sizes, how often materials recur) follows the
real guides in ``../shared/data/gdzwfw-2021/guides.jsonl`` when that file is present, else numbers
measured from it once (see ``shape.py``). All text is synthetic (``synth_text.py``). The same
arguments always give the same bytes.

Catalogues scale with the library: about N/2 materials, N/10 legal bases, N/50 offices and N/5 FAQ
entries, every entry used by some guide.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import emit
import shape as shape_mod
from synth_text import (
    AREA_CODE,
    BUREAUS,
    CITY,
    COMMON_MATERIALS,
    LEGAL_LEVELS,
    REGIONS,
    Bureau,
    Writer,
)

from guidesrc.check.identifiers import credit_code_check_char

Doc = dict[str, Any]

BASE_URL = "https://zwfw.example.gov.cn"
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"
GUIDE_HEADER = "# yaml-language-server: $schema=../../schemas/guide.schema.json"
WINDOW_SIZE = 10  # guides served by one window
# The portal's acceptance conditions are often cut to their first paragraph (see the data's
# README); complete ones are several times longer. This factor brings the mean guide to ~3.8 KB.
CONDITION_SCALE = 5.5
OFFICE_HOURS = [
    {"days": "周一至周五（法定节假日除外）", "hours": "9:00–12:00，13:30–17:30"},
    {"days": "周六（预约服务）", "hours": "9:00–12:00"},
]


@dataclass(slots=True)
class Department:
    slug: str
    name: str
    region_code: str
    level: int  # 行使层级: 3 市级, 4 县级
    bureau: Bureau
    credit_code: str
    phone: str
    supervision_phone: str
    guides: int = 0


@dataclass(slots=True)
class Library:
    """Everything generated, before it is written out."""

    departments: list[Department]
    materials: dict[str, Doc] = field(default_factory=dict)
    legal_bases: dict[str, Doc] = field(default_factory=dict)
    offices: dict[str, Doc] = field(default_factory=dict)
    faq: dict[str, Doc] = field(default_factory=dict)
    #: material id → {"blank_form" | "sample_form": path of the file under files/}
    forms: dict[str, dict[str, str]] = field(default_factory=dict)
    guides: list[tuple[Department, Doc]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Sampling helpers


class Sampler:
    """Weighted draws from a {value: weight} table with the library's random generator."""

    def __init__(self, rng: random.Random, table: Mapping[Any, float]) -> None:
        self.rng = rng
        self.values = list(table)
        self.cum: list[float] = []
        total = 0.0
        for weight in table.values():
            total += weight
            self.cum.append(total)

    def draw(self) -> Any:
        return self.rng.choices(self.values, cum_weights=self.cum)[0]


def apportion(total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """Split ``total`` into integer shares proportional to ``weights`` (largest remainder)."""
    spare = total - minimum * len(weights)
    scale = spare / sum(weights)
    quotas = [w * scale for w in weights]
    shares = [int(q) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: shares[i] - quotas[i])
    for i in by_remainder[: spare - sum(shares)]:
        shares[i] += 1
    return [s + minimum for s in shares]


def random_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


# ---------------------------------------------------------------------------------------------
# Departments, catalogues


def make_departments(n: int, shp: shape_mod.Shape, rng: random.Random) -> list[Department]:
    """About one department per 13 guides, at most 177 (as many as the real data has)."""
    count = max(1, min(177, len(REGIONS) * len(BUREAUS), -(-n // 13)))
    sizes = apportion(n, shape_mod.resample(shape_mod.expand(shp.department_sizes), count))
    rng.shuffle(sizes)  # the biggest department is not always the first bureau
    departments: list[Department] = []
    codes: set[str] = set()
    for index in range(count):
        region_slug, region_name, region_code = REGIONS[index // len(BUREAUS)]
        bureau = BUREAUS[index % len(BUREAUS)]
        code = credit_code(region_code, rng, codes)
        departments.append(
            Department(
                slug=f"{region_slug}-{bureau.slug}",
                name=region_name + bureau.name,
                region_code=region_code,
                level=3 if region_slug == "shi" else 4,
                bureau=bureau,
                credit_code=code,
                phone=f"{AREA_CODE}-{rng.randint(8100_0000, 8999_9999)}",
                supervision_phone=f"{AREA_CODE}-{rng.randint(6100_0000, 6999_9999)}",
                guides=sizes[index],
            )
        )
    return departments


def credit_code(region_code: str, rng: random.Random, taken: set[str]) -> str:
    """A unified social credit code of a government body (登记管理部门 1, 机关 1) with its check char.

    The organisation code starts with a letter, so the code can never look like an ID number.
    """
    while True:
        org = rng.choice(CREDIT_LETTERS) + "".join(rng.choices(CREDIT_CHARS, k=8))
        first17 = "11" + region_code + org
        code = first17 + credit_code_check_char(first17)
        if code not in taken:
            taken.add(code)
            return code


def make_legal_bases(n: int, departments: list[Department], writer: Writer) -> dict[str, Doc]:
    """About N/10 entries: a title with one to four cited articles, each its own entry."""
    rng = writer.rng
    count = max(4, n // 10)
    levels = Sampler(rng, dict(zip(LEGAL_LEVELS, (15, 15, 20, 15, 15, 20), strict=True)))
    entries: dict[str, Doc] = {}
    titles: set[str] = set()
    while len(entries) < count:
        level = levels.draw()
        bureau = rng.choice(departments).bureau
        title, issuer, number = writer.legal_title(level, bureau)
        if title in titles:
            # Titles run out in very large libraries: a revision is a distinct basis.
            title = title[:-1] + f"（{rng.randint(1995, 2023)}年修订）》"
            if title in titles:
                continue
        titles.add(title)
        in_force = random_date(rng, dt.date(1995, 1, 1), dt.date(2023, 12, 31))
        articles = 1 if level == "规范性文件" else rng.randint(1, 4)
        for article in sorted({writer.article() for _ in range(articles)}, key=_article_order):
            entry: Doc = {"title": title}
            if level != "规范性文件":
                entry["article"] = article
            entry["text"] = writer.sentence()
            entry["issuer"] = issuer
            entry["level"] = level
            if number:
                entry["document_number"] = number
            entry["in_force_from"] = in_force
            entries[f"fg-{len(entries) + 1:04d}"] = entry
            if len(entries) == count:
                break
    return entries


def _article_order(article: str) -> tuple[int, str]:
    return len(article), article


def make_materials(
    n: int, shp: shape_mod.Shape, legal_ids: list[str], writer: Writer
) -> tuple[dict[str, Doc], list[float]]:
    """About N/2 materials with unique names, and how often each should be drawn.

    The first few are the documents almost every office asks for (居民身份证 …); they take the
    frequencies of the most common real materials, the rest follow the real long tail.
    """
    rng = writer.rng
    count = max(len(COMMON_MATERIALS), n // 2)
    topics = tuple(t for b in BUREAUS for t in b.topics)
    names: set[str] = set()
    entries: dict[str, Doc] = {}
    basis_cycle = legal_ids[:]
    rng.shuffle(basis_cycle)
    for index in range(count):
        if index < len(COMMON_MATERIALS):
            name, kind, issuer, material_id = COMMON_MATERIALS[index]
        else:
            name, kind, issuer = _unique_material(writer, topics, names)
            material_id = f"cl-{index:05d}"
        names.add(name)
        entry: Doc = {"name": name, "kind": kind}
        if issuer:
            entry["issuer"] = issuer
        # Cycling through a shuffled list cites every legal basis at least once.
        bases = [basis_cycle[index % len(basis_cycle)]]
        if rng.random() < 0.2:
            extra = rng.choice(legal_ids)
            if extra not in bases:
                bases.append(extra)
        entry["legal_basis"] = bases
        entries[material_id] = entry
    return entries, material_weights(shp, count)


def make_forms(materials: dict[str, Doc], rng: random.Random) -> dict[str, dict[str, str]]:
    """Blank forms for most application forms (申请表格文书), filled-in samples for some."""
    forms: dict[str, dict[str, str]] = {}
    for material_id, entry in materials.items():
        if entry["kind"] != "申请表格文书" or rng.random() >= 0.7:
            continue
        forms[material_id] = {"blank_form": f"files/forms/{material_id}.txt"}
        if rng.random() < 0.3:
            forms[material_id]["sample_form"] = f"files/samples/{material_id}-yangbiao.txt"
    return forms


def _unique_material(
    writer: Writer, topics: tuple[str, ...], names: set[str]
) -> tuple[str, str, str | None]:
    for attempt in range(1000):
        name, kind, issuer = writer.material(topics)
        if attempt > 10:  # the two-part names are running out: add a holder
            name = (
                writer.pick(("申请人", "申请单位", "经办人", "项目单位"))
                + writer.pick(topics)
                + name
            )
        if name not in names:
            return name, kind, issuer
    raise RuntimeError("cannot find a new material name; the vocabulary is too small")


def material_weights(shp: shape_mod.Shape, count: int) -> list[float]:
    """Relative use of each material: the real head one-to-one, the real tail stretched."""
    real = shape_mod.expand(shp.material_frequencies)
    head = [f for f in real if f >= 10][: max(1, count // 10)]
    tail = real[len(head) :] or [1]
    stretched = shape_mod.resample(tail, count - len(head))
    scale = sum(tail) / sum(stretched) if stretched else 1.0
    return [float(f) for f in head] + [w * scale for w in stretched]


# ---------------------------------------------------------------------------------------------
# Guides


@dataclass(slots=True)
class GuideContext:
    shape: shape_mod.Shape
    writer: Writer
    material_ids: list[str]
    material_cum: list[float]
    legal_ids: list[str]
    samplers: dict[str, Sampler]
    names: set[str] = field(default_factory=set)


def make_context(
    shp: shape_mod.Shape, library: Library, writer: Writer, weights: list[float]
) -> GuideContext:
    rng = writer.rng
    cum: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    conditions = {
        max(12, round(length * CONDITION_SCALE)): n for length, n in shp.condition_lengths.items()
    }
    samplers = {
        "materials": Sampler(rng, {k: v for k, v in shp.material_counts.items() if 1 <= k <= 19}),
        "item_type": Sampler(rng, shp.item_types),
        "conditions": Sampler(rng, conditions),
        "time_limits": Sampler(rng, shp.time_limits),
        "objects": Sampler(rng, shp.service_object_counts),
        "themes": Sampler(rng, shp.theme_counts),
        "visits": Sampler(rng, shp.onsite_visits),
    }
    return GuideContext(
        shp, writer, list(library.materials), cum, list(library.legal_bases), samplers
    )


def make_guide(ctx: GuideContext, dept: Department, seq: int, index: int, library: Library) -> Doc:
    rng, writer, draw = ctx.writer.rng, ctx.writer, ctx.samplers
    item_type: str = draw["item_type"].draw()
    guide_id = f"{dept.slug}-{seq:04d}"
    name = _guide_name(ctx, dept)
    basic_code = f"99{item_type}{index:08d}"
    guide: Doc = {
        "id": guide_id,
        "name": name,
        "basic_code": basic_code,
        "implementation_code": f"{dept.credit_code}{item_type[-1]}{basic_code}",
        "item_type": item_type,
        "exercise_level": dept.level,
        "implementing_body": {"name": dept.name, "credit_code": dept.credit_code, "nature": 1},
        "handling_bodies": sorted(
            {writer.section(dept.name) for _ in range(rng.choice((1, 1, 2)))}
        ),
    }
    if rng.random() < _ratio(ctx.shape.joint_bodies):
        other = rng.choice(library.departments)
        if other is not dept:
            guide["joint_bodies"] = [other.name]
    guide["service_objects"] = _service_objects(ctx)
    guide["themes"] = writer.themes(draw["themes"].draw())
    guide["legal_basis"] = sorted(
        rng.sample(ctx.legal_ids, min(len(ctx.legal_ids), rng.randint(1, 3)))
    )
    guide["conditions"] = writer.conditions(_jitter(rng, draw["conditions"].draw()))
    guide["materials"] = [_requirement(ctx, library, m) for m in _material_choice(ctx)]
    statutory, promised = draw["time_limits"].draw()
    immediate = promised is None
    guide["procedure"] = _procedure(writer, promised)
    if statutory is not None:
        guide["statutory_time_limit"] = {"value": statutory[0], "unit": statutory[1]}
        if statutory[0] > 5 and rng.random() < 0.4:
            guide["statutory_time_limit"]["note"] = writer.time_limit_note()
    unit = promised[1] if promised else (statutory[1] if statutory else "工作日")
    guide["promised_time_limit"] = {"value": 0 if immediate else promised[0], "unit": unit}
    if not immediate and rng.random() < 0.2:
        guide["promised_time_limit"]["note"] = writer.time_limit_note()
    guide["case_type"] = "即办件" if immediate else "承诺件"
    guide["fees"] = _fees(ctx, name)
    guide["results"] = [_result(item_type, name)]
    if guide["results"][0]["kind"] == "证照" and rng.random() < 0.5:
        guide["results"].append({"name": f"{name}电子证照", "kind": "证照"})
    guide["places"] = []  # filled in when offices are laid out
    guide["consult_phones"] = [
        {"phone": dept.phone, "note": f"{dept.name}，工作日 9:00–12:00，13:30–17:30"}
    ]
    if rng.random() < 0.4:
        guide["consult_phones"].append({"phone": "12345", "note": f"{CITY}政务服务便民热线"})
    guide["complaint_phones"] = [{"phone": "12345", "note": f"{CITY}政务服务便民热线"}]
    if rng.random() < 0.5:
        guide["complaint_phones"].append({"phone": dept.supervision_phone, "note": "监督投诉"})
    guide["onsite_visits"] = _onsite(ctx)
    _handling(ctx, guide)
    guide["scope"] = writer.pick(("全市通办", "全市通办", "全区通办", "不通办", "全省通办"))
    if rng.random() < _ratio(ctx.shape.appointment):
        guide["appointment"] = True
    if 3 in guide["handling_forms"] or rng.random() < _ratio(ctx.shape.express_delivery):
        guide["express_delivery"] = True
    if guide["fees"]["charged"] and 2 in guide["handling_forms"]:
        guide["online_payment"] = True
    if rng.random() < 0.3:
        guide["version"] = rng.randint(1, 6)
    guide["effective_date"] = random_date(rng, dt.date(2024, 1, 1), dt.date(2026, 6, 30))
    return guide


def _ratio(pair: tuple[int, int]) -> float:
    return pair[0] / pair[1] if pair[1] else 0.0


def _jitter(rng: random.Random, value: int) -> int:
    return max(12, int(value * rng.uniform(0.8, 1.2)))


def _guide_name(ctx: GuideContext, dept: Department) -> str:
    for attempt in range(50):
        name = ctx.writer.guide_name(dept.bureau, attempt)
        if name not in ctx.names:
            ctx.names.add(name)
            return name
    return name  # a repeated name is allowed; it is only unusual


def _service_objects(ctx: GuideContext) -> list[int]:
    rng = ctx.writer.rng
    count = ctx.samplers["objects"].draw()
    table = ctx.shape.service_objects
    chosen: set[int] = set()
    while len(chosen) < min(count, len(table)):
        chosen.add(rng.choices(list(table), weights=list(table.values()))[0])
    return sorted(chosen)


def _material_choice(ctx: GuideContext) -> list[str]:
    rng = ctx.writer.rng
    count = min(ctx.samplers["materials"].draw(), len(ctx.material_ids))
    chosen: dict[str, None] = {}
    while len(chosen) < count:
        for m in rng.choices(ctx.material_ids, cum_weights=ctx.material_cum, k=count - len(chosen)):
            chosen[m] = None
    return list(chosen)


def _requirement(ctx: GuideContext, library: Library, material_id: str) -> Doc:
    rng, writer = ctx.writer.rng, ctx.writer
    kind = library.materials[material_id]["kind"]
    if kind == "证件证照":
        form = writer.pick(("原件", "原件和复印件"))
        source = "政府部门核发"
    elif kind == "申请表格文书":
        form, source = "原件", "申请人自备"
    elif kind == "证明文件":
        form = writer.pick(("原件", "复印件"))
        source = writer.pick(("其他", "申请人自备", "政府部门核发"))
    else:
        form, source = "复印件", "申请人自备"
    req: Doc = {
        "material": material_id,
        "form": form,
        "medium": writer.pick(("纸质", "纸质或电子", "纸质或电子", "电子")),
        "original_count": rng.randint(1, 2) if "原件" in form else 0,
        "copy_count": rng.randint(1, 3) if "复印件" in form else 0,
        "source": source,
    }
    roll = rng.random()
    req["necessity"] = "必要" if roll < 0.85 else ("非必要" if roll < 0.93 else "容缺后补")
    if req["necessity"] == "非必要":
        req["condition"] = writer.pick(("委托他人办理的", "申请人为未成年人的", "涉及变更事项的"))
    if rng.random() < 0.8:
        req["notes"] = writer.material_note()
    for field_name, path in library.forms.get(material_id, {}).items():
        req[field_name] = path
    if rng.random() < 0.1:  # a basis of this item's own, beyond the catalogue's
        req["legal_basis"] = [rng.choice(ctx.legal_ids)]
    return req


def _procedure(writer: Writer, promised: shape_mod.TimeLimitSpec) -> list[Doc]:
    """The steps; those of a promised case of three days or more carry their own time limits."""
    steps = ["受理", "办结"] if promised is None else ["受理", "审查", "决定", "送达"]
    if writer.rng.random() < 0.5:
        steps.insert(0, "申请")
    out: list[Doc] = [{"name": s, "description": writer.step(s)} for s in steps]
    if promised is not None and promised[0] >= 3:
        days, unit = promised
        limits = {"受理": 1, "审查": max(1, days // 2 - 1), "决定": 1}
        for step in out:
            if step["name"] in limits:
                step["time_limit"] = {"value": limits[step["name"]], "unit": unit}
    return out


def _fees(ctx: GuideContext, name: str) -> Doc:
    rng = ctx.writer.rng
    if rng.random() >= 0.06:
        return {"charged": False}
    item = {
        "name": f"{name[:12]}工本费",
        "standard": f"每件 {rng.choice((5, 10, 15, 20, 50))} 元",
        "legal_basis": [rng.choice(ctx.legal_ids)],
    }
    return {"charged": True, "items": [item]}


def _result(item_type: str, name: str) -> Doc:
    if item_type == "01":
        return {"name": f"《{name}决定书》", "kind": "批文"}
    if item_type in ("07", "20"):
        return {"name": f"{name}办理结果告知书", "kind": "其他"}
    return {"name": f"《{name}证明》", "kind": "证照"}


def _onsite(ctx: GuideContext) -> Doc:
    count = ctx.samplers["visits"].draw()
    if count == 0:
        return {"count": 0}
    return {"count": count, "reason": "需现场核验申请材料原件并签署文书。"}


def _handling(ctx: GuideContext, guide: Doc) -> None:
    rng = ctx.writer.rng
    roll = rng.random()
    forms = [1] if roll < 0.2 else [1, 2] if roll < 0.8 else [1, 2, 3] if roll < 0.95 else [1, 2, 4]
    guide["handling_forms"] = forms
    if 2 in forms:
        guide["online"] = {
            "url": f"{BASE_URL}/apply/{guide['id']}",
            "depth": rng.choice((2, 3, 3, 4)),
        }


# ---------------------------------------------------------------------------------------------
# Coverage: every catalogue entry used


def cover_materials(library: Library, ctx: GuideContext) -> None:
    """Swap unused materials into guides, replacing uses of materials that are used elsewhere.

    In a library too small for that, the material is added to the guide with the fewest.
    """
    uses = Counter(r["material"] for _d, g in library.guides for r in g["materials"])
    unused = [m for m in library.materials if uses[m] == 0]
    slots = [(g, n) for _d, g in library.guides for n in range(len(g["materials"]))]
    ctx.writer.rng.shuffle(slots)
    for material_id in unused:
        while slots:
            guide, n = slots.pop()
            old = guide["materials"][n]["material"]
            if uses[old] > 1 and all(r["material"] != material_id for r in guide["materials"]):
                uses[old] -= 1
                guide["materials"][n] = _requirement(ctx, library, material_id)
                break
        else:
            guide = min((g for _d, g in library.guides), key=lambda g: len(g["materials"]))
            guide["materials"].append(_requirement(ctx, library, material_id))
        uses[material_id] += 1


def cover_legal_bases(library: Library) -> None:
    """Materials cite every legal basis (see make_materials); fee bases are covered with them."""
    cited = {b for m in library.materials.values() for b in m["legal_basis"]}
    assert cited == set(library.legal_bases), "some legal bases are not cited"


def make_faq(library: Library, writer: Writer, n: int) -> None:
    """About N/5 entries, each asked about one guide; nearly half the guides link a few more."""
    rng = writer.rng
    count = max(1, n // 5)
    guides = [g for _d, g in library.guides]
    owners = rng.sample(range(len(guides)), count)
    for k, owner in enumerate(owners):
        guide = guides[owner]
        question, answer = writer.faq(guide["name"])
        faq_id = f"wd-{k + 1:05d}"
        library.faq[faq_id] = {"question": question, "answer": answer, "tags": guide["themes"][:2]}
        guide.setdefault("faq", []).append(faq_id)
    faq_ids = list(library.faq)
    extras = Sampler(rng, {0: 55, 1: 25, 2: 12, 3: 8})
    for guide in guides:
        for _ in range(extras.draw()):
            extra = rng.choice(faq_ids)
            if extra not in guide.get("faq", []):
                guide.setdefault("faq", []).append(extra)
    for guide in guides:  # keep the field order of a hand-written guide
        if "faq" in guide:
            guide["faq"] = guide.pop("faq")
            guide["effective_date"] = guide.pop("effective_date")


def make_offices(library: Library, writer: Writer, n: int) -> None:
    """About N/50 halls; each serves a run of guides in department order, in windows of ten."""
    rng = writer.rng
    count = max(1, n // 50)
    guides = library.guides
    office_ids = [_office_id(i) for i in range(count)]
    for i, office_id in enumerate(office_ids):
        name, address = writer.office_place(i)
        served = guides[i * len(guides) // count : (i + 1) * len(guides) // count]
        library.offices[office_id] = {
            "name": name,
            "hall": writer.pick(("一楼 A 区", "一楼 B 区", "二楼综合窗口区", "三楼 C 区")),
            "address": address,
            "windows": _windows(served),
            "hours": OFFICE_HOURS,
            "phones": [f"{AREA_CODE}-{rng.randint(8100_0000, 8999_9999)}"],
            "transport": writer.transport(),
        }
        for _dept, guide in served:
            guide["places"].append(office_id)
            if count > 1 and rng.random() < 0.08:
                other = rng.choice(office_ids)
                if other != office_id:
                    guide["places"].append(other)


def _office_id(index: int) -> str:
    return f"{REGIONS[index][0]}-zwfw" if index < len(REGIONS) else f"bmfw-{index:04d}"


def _windows(served: list[tuple[Department, Doc]]) -> Doc:
    by_dept: dict[str, list[tuple[Department, Doc]]] = defaultdict(list)
    for dept, guide in served:
        by_dept[dept.slug].append((dept, guide))
    windows: Doc = {}
    for group in by_dept.values():
        for start in range(0, len(group), WINDOW_SIZE):
            chunk = group[start : start + WINDOW_SIZE]
            number = len(windows) + 1
            letter = "abcdefgh"[min(7, (number - 1) // 20)]
            windows[f"{letter}-{number:02d}"] = {
                "name": f"{letter.upper()}{number:02d} 窗口（{chunk[0][0].bureau.name}业务）",
                "items": [g["id"] for _d, g in chunk],
            }
    return windows


# ---------------------------------------------------------------------------------------------
# The whole library


def build(n: int, seed: int, shp: shape_mod.Shape) -> Library:
    rng = random.Random(seed)
    writer = Writer(rng)
    library = Library(make_departments(n, shp, rng))
    library.legal_bases = make_legal_bases(n, library.departments, writer)
    library.materials, weights = make_materials(n, shp, list(library.legal_bases), writer)
    library.forms = make_forms(library.materials, rng)
    ctx = make_context(shp, library, writer, weights)
    index = 0
    for dept in library.departments:
        for seq in range(1, dept.guides + 1):
            index += 1
            library.guides.append((dept, make_guide(ctx, dept, seq, index, library)))
    cover_materials(library, ctx)
    cover_legal_bases(library)
    make_faq(library, writer, n)
    make_offices(library, writer, n)
    return library


def write(library: Library, out: Path) -> list[int]:
    """Write the library under ``out``; returns the size in bytes of each guide file."""
    from guidesrc.schemagen import SCHEMAS, render

    (out / "catalogues").mkdir(parents=True, exist_ok=True)
    (out / "schemas").mkdir(exist_ok=True)
    for name in SCHEMAS:
        (out / "schemas" / name).write_text(render(name), encoding="utf-8")
    (out / ".gitignore").write_text("# tool state (cache, local ledger): not content\n.guides/\n")
    config = {
        "name": f"{CITY}政务服务中心办事指南库（合成数据）",
        "region_code": "990100",
        "base_url": f"{BASE_URL}/guides",
        "timezone": "Asia/Shanghai",
        "channels": {},
        "rules": {},
    }
    _write_yaml(out / "library.yaml", config, "library")
    catalogues = {
        "materials": library.materials,
        "legal-bases": library.legal_bases,
        "offices": library.offices,
        "faq": library.faq,
    }
    for name, entries in catalogues.items():
        _write_yaml(out / "catalogues" / f"{name}.yaml", {"entries": entries}, name, "../")
    _write_forms(library, out)
    sizes = []
    for dept in library.departments:
        (out / "guides" / dept.slug).mkdir(parents=True, exist_ok=True)
    for dept, guide in library.guides:
        data = emit.dump(guide, GUIDE_HEADER).encode("utf-8")
        (out / "guides" / dept.slug / f"{guide['id']}.yaml").write_bytes(data)
        sizes.append(len(data))
    return sizes


def _write_forms(library: Library, out: Path) -> None:
    for folder in ("forms", "samples"):
        (out / "files" / folder).mkdir(parents=True, exist_ok=True)
    for material_id, forms in library.forms.items():
        name = library.materials[material_id]["name"]
        for field_name, path in forms.items():
            label = "空白表格" if field_name == "blank_form" else "示例样表"
            (out / path).write_text(f"{name}（{label}，合成数据）\n", encoding="utf-8")


def _write_yaml(path: Path, doc: Doc, schema: str, up: str = "") -> None:
    header = f"# yaml-language-server: $schema={up}schemas/{schema}.schema.json"
    path.write_text(emit.dump(doc, header), encoding="utf-8")


def generate(out: Path, n: int, seed: int = 1, shp: shape_mod.Shape | None = None) -> list[int]:
    """Generate an ``n``-guide library into ``out`` (which must not hold a library yet)."""
    library = build(n, seed, shp or shape_mod.load_shape())
    return write(library, out)


# ---------------------------------------------------------------------------------------------
# Mutation: edit K guides of an existing library in place


def guide_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "guides").rglob("*.yaml") if not p.name.startswith("."))


def mutate(root: Path, count: int, seed: int) -> list[tuple[Path, str]]:
    """Edit ``count`` guides: change a time limit, reword a condition or add a material.

    Each guide is parsed and written back with the same writer, so only the edited fields change.
    Returns (file, kind of edit) for each edited guide.
    """
    rng = random.Random(f"mutate:{seed}")
    writer = Writer(rng)
    materials = _load_mapping((root / "catalogues" / "materials.yaml").read_text("utf-8"))[
        "entries"
    ]
    files = guide_files(root)
    edits = []
    wanted = {name: count / len(_EDITS) for name, _edit in _EDITS}
    for path in rng.sample(files, min(count, len(files))):
        text = path.read_text("utf-8")
        guide = _load_mapping(text)
        header = text.split("\n", 1)[0] if text.startswith("#") else None
        # The edit furthest behind its share that applies to this guide (rewording always does).
        by_need = sorted(_EDITS, key=lambda e: -wanted[e[0]])
        kind = next(name for name, edit in by_need if edit(guide, materials, writer))
        wanted[kind] -= 1
        path.write_text(emit.dump(guide, header), encoding="utf-8")
        edits.append((path, kind))
    return edits


def _load_mapping(text: str) -> Doc:
    import yaml_rs

    data = yaml_rs.loads(text)
    if not isinstance(data, dict):
        raise SystemExit("not a YAML mapping; is this a library written by bench/generate.py?")
    return data


def _reword_condition(guide: Doc, _materials: Doc, writer: Writer) -> bool:
    old = guide["conditions"][0]
    new = old
    while new == old:
        new = writer.conditions(len(old))[0]
    guide["conditions"][0] = new
    return True


def _edit_time_limit(guide: Doc, _materials: Doc, _writer: Writer) -> bool:
    """Shorten a promised time limit by a day, or lengthen it within the statutory one."""
    promised, statutory = guide["promised_time_limit"], guide.get("statutory_time_limit")
    if guide["case_type"] != "承诺件":
        return False
    if promised["value"] > 1:
        promised["value"] -= 1
        return True
    if statutory is None or statutory["value"] > promised["value"]:
        promised["value"] += 1
        return True
    return False


def _add_material(guide: Doc, materials: Doc, writer: Writer) -> bool:
    present = {r["material"] for r in guide["materials"]}
    if len(present) >= shape_mod.MAX_MATERIALS:
        return False
    candidates = [m for m in materials if m not in present]
    if not candidates:
        return False
    material_id = writer.pick(candidates)
    guide["materials"].append(
        {
            "material": material_id,
            "form": "复印件",
            "medium": "纸质或电子",
            "original_count": 0,
            "copy_count": 1,
            "source": "申请人自备",
            "necessity": "容缺后补",
            "notes": writer.material_note(),
        }
    )
    return True


#: The edits, tried in turn from a different start for each guide until one applies.
_EDITS = [
    ("time-limit", _edit_time_limit),
    ("condition", _reword_condition),
    ("material", _add_material),
]


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="library folder to create (or to mutate)")
    parser.add_argument("--guides", type=int, help="number of guides to generate")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--mutate", type=int, metavar="K", help="edit K guides of the library in place"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing generated library"
    )
    parser.add_argument(
        "--data", type=Path, default=shape_mod.REAL_DATA, help="real guides.jsonl to measure"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    exists = (out / "library.yaml").is_file()
    if args.mutate is not None and exists and not args.force:
        return _run_mutate(out, args.mutate, args.seed)
    if args.guides is None or args.guides < 1:
        parser.error("--guides N (N ≥ 1) is needed to generate a library")
    if out.exists() and any(out.iterdir()):
        if not (exists and args.force):
            parser.error(f"{out} is not empty (use --force to replace a generated library)")
        shutil.rmtree(out)
    started = time.perf_counter()
    shp = shape_mod.load_shape(args.data)
    sizes = generate(out, args.guides, args.seed, shp)
    elapsed = time.perf_counter() - started
    mean = sum(sizes) / len(sizes)
    print(f"generated {len(sizes)} guides in {out} in {elapsed:.1f} s; shape from {shp.source}; "
          f"mean guide file {mean:.0f} bytes ({mean / 1024:.2f} KiB)")  # fmt: skip
    if args.mutate:
        return _run_mutate(out, args.mutate, args.seed)
    return 0


def _run_mutate(out: Path, count: int, seed: int) -> int:
    edits = mutate(out, count, seed)
    kinds = Counter(kind for _p, kind in edits)
    print(
        f"edited {len(edits)} guides in {out}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
