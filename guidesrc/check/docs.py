"""Render the rule table in docs/rules.md (``make docs``); a test keeps the file current."""

from __future__ import annotations

import gettext

from guidesrc.check.rules import RULES, SEVERITY_NAMES
from guidesrc.i18n import DOMAIN, LOCALE_DIR


def rules_markdown() -> str:
    zh = gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh_CN"])
    lines = [
        "# `guides check` 检查规则 / rules",
        "",
        "Generated from `guidesrc/check/rules.py` by `make docs`; do not edit by hand.",
        "Change a rule's level in `library.yaml` (`rules: {rule-id: error | warning | off}`);",
        "`guides check --strict` treats warnings as errors.",
        "",
        "| 规则 rule | 默认级别 level | 要求 | requirement |",
        "|---|---|---|---|",
    ]
    for rule in RULES.values():
        level = zh.gettext(SEVERITY_NAMES[rule.severity])
        lines.append(
            f"| `{rule.id}` | {level} {rule.severity} | {zh.gettext(rule.title)} | {rule.title} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - used by `make docs`
    print(rules_markdown(), end="")
