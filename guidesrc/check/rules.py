"""Every rule `guides check` applies: its id, default severity and what it stands for.

A library can change a rule's severity in ``library.yaml``::

    rules:
      unused-entry: off        # or: error, warning

``--strict`` turns every warning into an error. ``docs/rules.md`` (``make docs``) lists the same table, and a test
keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from guidesrc.diagnostics import Severity
from guidesrc.i18n import N_

SEVERITY_NAMES = {"error": N_("error"), "warning": N_("warning")}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    title: str


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in [
        Rule("encoding", "error", N_("files are UTF-8 text")),
        Rule("file-too-large", "error", N_("a file stays within the size limit")),
        Rule("yaml-syntax", "error", N_("files are valid YAML")),
        Rule("yaml-structure", "error", N_("a file holds one mapping of fields")),
        Rule("duplicate-key", "error", N_("no key appears twice in a mapping")),
        Rule("schema", "error", N_("fields and values follow the schema")),
        Rule(
            "channel", "error", N_("each channel names an installed adapter, with valid settings")
        ),
        Rule("file-name", "error", N_("file names are valid ids")),
        Rule(
            "approvers",
            "error",
            N_("approvers.yaml: each approver has a valid key, and keys and identities are unique"),
        ),
        Rule("id-mismatch", "error", N_("a guide's id equals its file name")),
        Rule("duplicate-id", "error", N_("guide ids are unique")),
        Rule("duplicate-code", "error", N_("implementation codes are unique across the library")),
        Rule(
            "credit-code", "error", N_("unified social credit codes have a valid check character")
        ),
        Rule("material-legal-basis", "error", N_("every material has a legal basis in force")),
        Rule("legal-basis-repealed", "error", N_("no repealed legal basis is cited")),
        Rule(
            "legal-basis-not-in-force",
            "error",
            N_("no legal basis is cited before it takes effect"),
        ),
        Rule("reference-cycle", "error", N_("replaced_by chains of legal bases do not loop")),
        Rule("unknown-reference", "error", N_("every reference names an existing entry")),
        Rule("missing-file", "error", N_("referenced files exist in the library")),
        Rule("unused-entry", "warning", N_("every catalogue entry is used by some guide")),
        Rule(
            "to-complete",
            "warning",
            N_(
                "fields marked 待补充 (pending) are completed, and removed from pending once filled"
            ),
        ),
        Rule(
            "incomplete-guide",
            "warning",
            N_(
                "a guide states the core elements a citizen acts on (GB/T 39046) before approval: implementing body, conditions, materials, time limits, fees, place, consult phone"
            ),
        ),
        Rule("window-place", "error", N_("a window's items list the office among their places")),
        Rule(
            "time-limit-exceeds", "error", N_("the promised time limit is within the statutory one")
        ),
        Rule("time-limit-units", "error", N_("both time limits use the same unit")),
        Rule("immediate-case", "error", N_("an immediate case (即办件) has 0 days")),
        Rule("promised-case", "error", N_("a promised case (承诺件) has at least 1 day")),
        Rule("fee-items", "error", N_("charged fees list their items; free services list none")),
        Rule("fee-basis", "error", N_("every fee item has a legal basis")),
        Rule("material-count", "error", N_("original and copy counts match the material's form")),
        Rule("onsite-reason", "error", N_("on-site visits state their reason")),
        Rule("online-url", "error", N_("online handling gives the online address")),
        Rule(
            "personal-data",
            "error",
            N_(
                "no personal data in published text (去标识化): resident ID numbers (18 and 15 digits), bank card numbers, passport numbers, a person's name with a home address; mobile numbers and e-mail addresses only in contact fields (e-mails of government domains anywhere)"
            ),
        ),
        Rule(
            "hidden-characters",
            "error",
            N_(
                "no invisible characters in text: control, format and direction characters, private use, line and paragraph separators, variation selectors, tag characters, fillers"
            ),
        ),
        Rule(
            "unprintable",
            "error",
            N_("every character of the published text can be printed with the print fonts"),
        ),
        Rule(
            "protected-rule",
            "error",
            N_(
                "library.yaml does not switch off or lower the rules that protect the public (personal data, hidden characters, legal bases, channels)"
            ),
        ),
        Rule("missing-catalogue", "error", N_("every catalogue file exists")),
        Rule("empty-library", "error", N_("the library holds at least one guide")),
        Rule(
            "template-placeholder",
            "warning",
            N_("library.yaml names the centre, not the template's 示例市, 990100, example.gov.cn"),
        ),
    ]
}
