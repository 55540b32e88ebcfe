"""Every rule `guides check` applies: its id, default severity and what it stands for.

A library can change a rule's severity in ``library.yaml``::

    rules:
      unused-entry: off        # or: error, warning

``--strict`` turns every warning into an error. ``docs/rules.md`` (``make docs``) lists the same table, and a test
keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from guidesrc.diagnostics import RuleId, Severity
from guidesrc.i18n import N_

SEVERITY_NAMES = {"error": N_("error"), "warning": N_("warning")}


@dataclass(frozen=True, slots=True)
class Rule:
    id: RuleId
    severity: Severity
    title: str


RULES: dict[RuleId, Rule] = {
    rule.id: rule
    for rule in [
        Rule(RuleId.ENCODING, "error", N_("files are UTF-8 text")),
        Rule(RuleId.FILE_TOO_LARGE, "error", N_("a file stays within the size limit")),
        Rule(RuleId.YAML_SYNTAX, "error", N_("files are valid YAML")),
        Rule(RuleId.YAML_STRUCTURE, "error", N_("a file holds one mapping of fields")),
        Rule(RuleId.DUPLICATE_KEY, "error", N_("no key appears twice in a mapping")),
        Rule(RuleId.SCHEMA, "error", N_("fields and values follow the schema")),
        Rule(
            RuleId.CHANNEL,
            "error",
            N_("each channel names an installed adapter, with valid settings"),
        ),
        Rule(RuleId.FILE_NAME, "error", N_("file names are valid ids")),
        Rule(
            RuleId.APPROVERS,
            "error",
            N_("approvers.yaml: each approver has a valid key, and keys and identities are unique"),
        ),
        Rule(
            RuleId.SYNONYMS,
            "error",
            N_(
                "catalogues/synonyms.yaml: each group has two or more words, and a word is in one group only"
            ),
        ),
        Rule(RuleId.ID_MISMATCH, "error", N_("a guide's id equals its file name")),
        Rule(RuleId.DUPLICATE_ID, "error", N_("guide ids are unique")),
        Rule(
            RuleId.DUPLICATE_CODE, "error", N_("implementation codes are unique across the library")
        ),
        Rule(
            RuleId.CREDIT_CODE,
            "error",
            N_("unified social credit codes have a valid check character"),
        ),
        Rule(RuleId.MATERIAL_LEGAL_BASIS, "error", N_("every material has a legal basis in force")),
        Rule(RuleId.LEGAL_BASIS_REPEALED, "error", N_("no repealed legal basis is cited")),
        Rule(
            RuleId.LEGAL_BASIS_NOT_IN_FORCE,
            "error",
            N_("no legal basis is cited before it takes effect"),
        ),
        Rule(
            RuleId.EFFECTIVE_DATE_PAST,
            "warning",
            N_("a guide changed since the last commit proposes an effective_date today or later"),
        ),
        Rule(RuleId.REFERENCE_CYCLE, "error", N_("replaced_by chains of legal bases do not loop")),
        Rule(RuleId.UNKNOWN_REFERENCE, "error", N_("every reference names an existing entry")),
        Rule(RuleId.MISSING_FILE, "error", N_("referenced files exist in the library")),
        Rule(RuleId.UNUSED_ENTRY, "warning", N_("every catalogue entry is used by some guide")),
        Rule(
            RuleId.TO_COMPLETE,
            "warning",
            N_(
                "fields marked 待补充 (pending) are completed, and removed from pending once filled"
            ),
        ),
        Rule(
            RuleId.INCOMPLETE_GUIDE,
            "warning",
            N_(
                "a guide states the core elements a citizen acts on (GB/T 39046) before approval: implementing body, conditions, materials, time limits, fees, place, consult phone"
            ),
        ),
        Rule(
            RuleId.WINDOW_PLACE, "error", N_("a window's items list the office among their places")
        ),
        Rule(
            RuleId.TIME_LIMIT_EXCEEDS,
            "error",
            N_("the promised time limit is within the statutory one"),
        ),
        Rule(RuleId.TIME_LIMIT_UNITS, "error", N_("both time limits use the same unit")),
        Rule(RuleId.IMMEDIATE_CASE, "error", N_("an immediate case (即办件) has 0 days")),
        Rule(RuleId.PROMISED_CASE, "error", N_("a promised case (承诺件) has at least 1 day")),
        Rule(
            RuleId.FEE_ITEMS, "error", N_("charged fees list their items; free services list none")
        ),
        Rule(RuleId.FEE_BASIS, "error", N_("every fee item has a legal basis")),
        Rule(
            RuleId.MATERIAL_COUNT, "error", N_("original and copy counts match the material's form")
        ),
        Rule(RuleId.ONSITE_REASON, "error", N_("on-site visits state their reason")),
        Rule(RuleId.ONLINE_URL, "error", N_("online handling gives the online address")),
        Rule(
            RuleId.PERSONAL_DATA,
            "error",
            N_(
                "no personal data in published text (去标识化): resident ID numbers (18 and 15 digits), bank card numbers, passport numbers, a person's name with a home address; mobile numbers and e-mail addresses only in contact fields (e-mails of government domains anywhere)"
            ),
        ),
        Rule(
            RuleId.HIDDEN_CHARACTERS,
            "error",
            N_(
                "no invisible characters in text: control, format and direction characters, private use, line and paragraph separators, variation selectors, tag characters, fillers"
            ),
        ),
        Rule(
            RuleId.UNPRINTABLE,
            "error",
            N_("every character of the published text can be printed with the print fonts"),
        ),
        Rule(
            RuleId.PROTECTED_RULE,
            "error",
            N_(
                "library.yaml does not switch off or lower the rules that protect the public (personal data, hidden characters, legal bases, channels)"
            ),
        ),
        Rule(RuleId.MISSING_CATALOGUE, "error", N_("every catalogue file exists")),
        Rule(RuleId.EMPTY_LIBRARY, "error", N_("the library holds at least one guide")),
        Rule(
            RuleId.TEMPLATE_PLACEHOLDER,
            "warning",
            N_("library.yaml names the centre, not the template's 示例市, 990100, example.gov.cn"),
        ),
        Rule(
            RuleId.GOVERNMENT_SITE,
            "warning",
            N_(
                "a site channel states the government website's marks for its footer: 主办单位, 网站标识码, ICP 备案号, 公安机关备案号, 党政机关网站标识"
            ),
        ),
    ]
}
