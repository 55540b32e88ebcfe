"""Stage one of `guides check`: each file on its own.

A file's result depends only on its bytes (and this code), so it is cached by content hash: the
problems found in it, and the *facts* the library-wide rules need (its id, codes and references).
Facts are plain, picklable values, so a run where nothing changed never imports the models.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel

from guidesrc.adapters import channel_problems
from guidesrc.check import identifiers
from guidesrc.check.facts import (
    CatalogueFacts,
    ConfigFacts,
    FileResult,
    GuideFacts,
    LegalFacts,
    Ref,
)
from guidesrc.check.loader import load, repaired
from guidesrc.config_policy import allowed_levels, rule_level_problems
from guidesrc.diagnostics import Diagnostic, PathPart, RuleId, error_at, file_error
from guidesrc.gaps import CORE, ELEMENT_TITLES, missing_elements
from guidesrc.i18n import N_
from guidesrc.model import catalogues as cat
from guidesrc.model.common import ID_RE, Completable
from guidesrc.model.guide import Guide
from guidesrc.model.library import LibraryConfig
from guidesrc.site.marks import marks_warnings
from guidesrc.yamlio import Source

Path_ = tuple[PathPart, ...]


CATALOGUES: dict[str, type[BaseModel]] = {
    "materials": cat.MaterialCatalogue,
    "legal-bases": cat.LegalBasisCatalogue,
    "offices": cat.OfficeCatalogue,
    "faq": cat.FaqCatalogue,
}


def analyse_guide(source: Source) -> FileResult:
    guide, problems = load(source, Guide)
    result = FileResult(problems, None)
    stem = PurePosixPath(source.rel).stem
    if not ID_RE.match(stem):
        result.diagnostics.append(
            file_error(
                RuleId.FILE_NAME,
                source.rel,
                N_('the file name "{name}" is not a valid id'),
                N_('rename the file: 1–64 lower-case letters, digits, "-" or "_", ending in .yaml'),
                name=stem,
            )
        )
    if not isinstance(guide, Guide):
        meant = repaired(source, Guide)  # the rules still see a guide with misspelt fields
        if isinstance(meant, Guide):
            result.diagnostics.extend(guide_rules(meant, source.rel))
        return result
    if guide.id != stem:
        result.diagnostics.append(
            error_at(
                RuleId.ID_MISMATCH,
                source.rel,
                ("id",),
                N_('the id "{id}" differs from the file name "{stem}"'),
                N_('rename the file to {id}.yaml, or change the id to "{stem}"'),
                id=guide.id,
                stem=stem,
            )
        )
    result.diagnostics.extend(guide_rules(guide, source.rel))
    if b"pending" in source.data:
        result.diagnostics.extend(pending_rules(guide, (), source.rel))
    return result._replace(facts=guide_facts(guide))


def guide_facts(guide: Guide) -> GuideFacts:
    refs: list[Ref] = [
        ("legal_basis", i, ("legal_basis", n)) for n, i in enumerate(guide.legal_basis)
    ]
    materials = []
    for n, req in enumerate(guide.materials or ()):
        base: Path_ = ("materials", n)
        refs.append(("material", req.material, (*base, "material")))
        refs.extend(
            ("legal_basis", i, (*base, "legal_basis", k)) for k, i in enumerate(req.legal_basis)
        )
        for name in ("blank_form", "sample_form"):
            value = getattr(req, name)
            if value:
                refs.append(("file", value, (*base, name)))
        materials.append((base, req.material, tuple(req.legal_basis)))
    for n, fee in enumerate(guide.fees.items):
        refs.extend(
            ("legal_basis", i, ("fees", "items", n, "legal_basis", k))
            for k, i in enumerate(fee.legal_basis)
        )
    for n, result in enumerate(guide.results or ()):
        if result.sample:
            refs.append(("file", result.sample, ("results", n, "sample")))
    refs.extend(("office", i, ("places", n)) for n, i in enumerate(guide.places))
    refs.extend(("faq", i, ("faq", n)) for n, i in enumerate(guide.faq))
    return GuideFacts(
        id=guide.id,
        name=guide.name,
        implementation_code=guide.implementation_code,
        effective_date=guide.effective_date,
        places=tuple(guide.places),
        materials=tuple(materials),
        refs=tuple(refs),
    )


def guide_rules(guide: Guide, rel: str) -> Iterator[Diagnostic]:
    """The rules that need nothing but the guide itself."""
    yield from _time_limit_rules(guide, rel)
    yield from _fee_rules(guide, rel)
    yield from _material_count_rules(guide, rel)
    yield from _completeness_rule(guide, rel)
    visits = guide.onsite_visits
    if visits.count and not (visits.reason or "").strip() and "reason" not in visits.pending:
        yield error_at(
            RuleId.ONSITE_REASON,
            rel,
            ("onsite_visits", "count"),
            N_("{count} on-site visit(s) are required but no reason is given"),
            N_("state why the applicant must come in person, or set the count to 0"),
            count=visits.count,
        )
    if 2 in guide.handling_forms and not guide.online.url:
        yield error_at(
            RuleId.ONLINE_URL,
            rel,
            ("handling_forms",),
            N_("online handling (办理形式 2) is offered but no online address is given"),
            N_(
                "add online.url with the address in the online hall, or remove 2 from handling_forms"
            ),
        )
    body = guide.implementing_body
    if body.credit_code is not None and not identifiers.is_credit_code(body.credit_code):
        yield error_at(
            RuleId.CREDIT_CODE,
            rel,
            ("implementing_body", "credit_code"),
            N_("the unified social credit code {code} has a wrong check character"),
            N_("copy the code again from the business licence or the organisation's register"),
            code=body.credit_code,
        )


def _completeness_rule(guide: Guide, rel: str) -> Iterator[Diagnostic]:
    """incomplete-guide: a core element (GB/T 39046, the default of library.yaml
    completeness.required) is not known, so `guides approve` refuses the guide."""
    body, fees = guide.implementing_body, guide.fees
    if not (guide.pending or body.pending or fees.pending or guide.materials is None):
        return
    gaps = [
        *guide.pending,
        *(f"implementing_body.{p}" for p in body.pending),
        *(f"fees.{p}" for p in fees.pending),
        *(["materials"] if guide.materials is None else []),
    ]
    missing = missing_elements(gaps, CORE)
    if not missing:
        return
    path: Path_ = (
        ("pending",)
        if guide.pending
        else ("implementing_body", "pending")
        if body.pending
        else ("fees", "pending")
        if fees.pending
        else ("id",)
    )
    yield error_at(
        RuleId.INCOMPLETE_GUIDE,
        rel,
        path,
        N_(
            "{elements} not known (待补充): the library requires them before approval, so guides approve refuses this guide"
        ),
        N_(
            "complete them with the department responsible; to publish the guide meanwhile with a notice that it is being completed, set completeness.allow_incomplete: true in library.yaml"
        ),
        elements="、".join(ELEMENT_TITLES[e] for e in missing),
        at_key=True,
    )


def _time_limit_rules(guide: Guide, rel: str) -> Iterator[Diagnostic]:
    promised, statutory = guide.promised_time_limit, guide.statutory_time_limit
    if promised is None:
        return
    if guide.case_type == "即办件" and promised.value != 0:
        yield error_at(
            RuleId.IMMEDIATE_CASE,
            rel,
            ("promised_time_limit", "value"),
            N_(
                "an immediate case (即办件) must be finished at once, but the promised time limit is {value} {unit}"
            ),
            N_("set promised_time_limit.value to 0, or change case_type to 承诺件"),
            value=promised.value,
            unit=promised.unit,
        )
    if guide.case_type == "承诺件" and promised.value == 0:
        yield error_at(
            RuleId.PROMISED_CASE,
            rel,
            ("promised_time_limit", "value"),
            N_("a promised case (承诺件) needs a promised time limit of at least 1 day"),
            N_("enter the promised number of days, or change case_type to 即办件"),
        )
    if statutory is None:
        return
    if statutory.unit != promised.unit:
        yield error_at(
            RuleId.TIME_LIMIT_UNITS,
            rel,
            ("promised_time_limit", "unit"),
            N_(
                "the statutory time limit is in {statutory_unit} but the promised one in {promised_unit}"
            ),
            N_("give both time limits in the same unit"),
            statutory_unit=statutory.unit,
            promised_unit=promised.unit,
        )
    elif promised.value > statutory.value:
        yield error_at(
            RuleId.TIME_LIMIT_EXCEEDS,
            rel,
            ("promised_time_limit", "value"),
            N_(
                "the promised time limit ({promised} {unit}) is longer than the statutory one ({statutory} {unit})"
            ),
            N_("the promise may not exceed the statutory time limit; shorten it"),
            promised=promised.value,
            statutory=statutory.value,
            unit=promised.unit,
        )


def _fee_rules(guide: Guide, rel: str) -> Iterator[Diagnostic]:
    fees = guide.fees
    if fees.charged is None:
        return
    if fees.charged and not fees.items and "items" not in fees.pending:
        yield error_at(
            RuleId.FEE_ITEMS,
            rel,
            ("fees", "items"),
            N_("fees are charged but no fee item is listed"),
            N_("list each fee with its standard and legal basis, or set charged: false (不收费)"),
        )
    if not fees.charged and fees.items:
        yield error_at(
            RuleId.FEE_ITEMS,
            rel,
            ("fees", "charged"),
            N_("charged is false (不收费) but fee items are listed"),
            N_("remove the fee items, or set charged: true"),
        )
    for n, item in enumerate(fees.items):
        if not item.legal_basis:
            yield error_at(
                RuleId.FEE_BASIS,
                rel,
                ("fees", "items", n),
                N_('the fee "{name}" has no legal basis'),
                N_("add the legal basis of the fee (收费依据) from catalogues/legal-bases.yaml"),
                name=item.name,
            )


#: The counts a material's form requires: the forms that need one, its field, what to say.
_COUNTS = (
    (
        ("原件", "原件和复印件"),
        "original_count",
        N_("the form is {form} but original_count is 0"),
        N_("enter how many originals are needed, or correct the form"),
    ),
    (
        ("复印件", "原件和复印件"),
        "copy_count",
        N_("the form is {form} but copy_count is 0"),
        N_("enter how many copies are needed, or correct the form"),
    ),
)


def _material_count_rules(guide: Guide, rel: str) -> Iterator[Diagnostic]:
    for n, req in enumerate(guide.materials or ()):
        for forms, count, message, hint in _COUNTS:
            if req.form in forms and getattr(req, count) == 0:
                path = ("materials", n, count)
                yield error_at(RuleId.MATERIAL_COUNT, rel, path, message, hint, form=req.form)


def pending_rules(model: BaseModel, path: Path_, rel: str) -> Iterator[Diagnostic]:
    """to-complete: each model's 待补充 fields, in one line per model, and those filled in since."""
    if isinstance(model, Completable) and model.pending:
        fields = type(model).model_fields
        names = list(dict.fromkeys(model.pending))
        yield error_at(
            RuleId.TO_COMPLETE,
            rel,
            (*path, "pending"),
            N_("{count} field(s) to be completed (待补充): {fields}"),
            N_("complete them with the department responsible, then remove them from pending"),
            count=len(names),
            fields="、".join(fields[name].title or name for name in names),
            at_key=True,
        )
        for n, name in enumerate(model.pending):
            if getattr(model, name) not in (None, []):
                yield error_at(
                    RuleId.TO_COMPLETE,
                    rel,
                    (*path, "pending", n),
                    N_('{title} ("{field}") is filled in but still listed as pending'),
                    N_('remove "{field}" from pending'),
                    field=name,
                    title=fields[name].title or name,
                )
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from pending_rules(value, (*path, name), rel)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for n, item in enumerate(value):
                yield from pending_rules(item, (*path, name, n), rel)


def analyse_catalogue(source: Source, kind: str) -> FileResult:
    catalogue, problems = load(source, CATALOGUES[kind])
    result = FileResult(problems, None)
    if catalogue is None:
        return result
    entries: dict[str, Any] = getattr(catalogue, "entries")  # noqa: B009 - all catalogues
    refs: list[Ref] = []
    facts: dict[str, Any] = {}
    for key, entry in entries.items():
        if isinstance(entry, cat.Material):
            # legal bases still to be completed: reported by to-complete, not material-legal-basis
            pending = "legal_basis" in entry.pending
            facts[key] = (entry.name, None if pending else tuple(entry.legal_basis))
            refs.extend(
                ("legal_basis", i, ("entries", key, "legal_basis", n))
                for n, i in enumerate(entry.legal_basis)
            )
        elif isinstance(entry, cat.LegalBasis):
            facts[key] = LegalFacts(
                entry.title, entry.in_force_from, entry.repealed_on, entry.replaced_by
            )
            if entry.replaced_by:
                refs.append(("legal_basis", entry.replaced_by, ("entries", key, "replaced_by")))
        elif isinstance(entry, cat.Office):
            facts[key] = {w: tuple(window.items) for w, window in entry.windows.items()}
            for w, window in entry.windows.items():
                refs.extend(
                    ("guide", g, ("entries", key, "windows", w, "items", n))
                    for n, g in enumerate(window.items)
                )
        else:
            facts[key] = entry.question
    if b"pending" in source.data:
        for key, entry in entries.items():
            result.diagnostics.extend(pending_rules(entry, ("entries", key), source.rel))
    return result._replace(facts=CatalogueFacts(kind, facts, tuple(refs)))


def analyse_config(source: Source) -> FileResult:
    config, problems = load(source, LibraryConfig)
    if not isinstance(config, LibraryConfig):
        return FileResult(problems, None)
    if config.channels:
        problems += channel_problems(dict(config.channels), source.rel)
        for name, channel in config.channels.items():
            if channel.type == "site":
                problems += marks_warnings(name, channel.settings, source.rel)
    problems += rule_level_problems(config.rules, source.rel)  # personal-data: off and the like
    placeholders = tuple(_placeholders(config, source.rel))
    levels = allowed_levels(config.rules)
    return FileResult(problems, ConfigFacts(config.timezone, levels, placeholders))


#: What `guides init` and `guides import` write until the centre's own values are given.
TEMPLATE_PLACEHOLDERS = {
    "name": "示例市政务服务中心办事指南库",
    "region_code": "990100",
    "base_url": "https://zwfw.example.gov.cn",
}


def _placeholders(config: LibraryConfig, rel: str) -> list[Diagnostic]:
    """The template's name, region code and address would reach pages, sheets and QR codes
    (reported by :func:`guidesrc.check.library_rules.template_placeholders`)."""
    return [
        error_at(
            RuleId.TEMPLATE_PLACEHOLDER,
            rel,
            (key,),
            N_(
                '{field} is still the template\'s "{value}"; pages, sheets and QR codes would carry it'
            ),
            N_(
                "write your centre's own value in library.yaml (guides import --name, --region-code, --base-url set them for a new library)"
            ),
            field=LibraryConfig.model_fields[key].title or key,
            value=value,
        )
        for key, value in TEMPLATE_PLACEHOLDERS.items()
        if getattr(config, key) == value
    ]
