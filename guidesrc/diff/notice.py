"""Change notices (变更公告): what changed in a guide, in words a citizen understands.

Generated from a change set, never written by hand, e.g.::

    申请材料：新增《结婚证》；删除《户口簿》。承诺办结时限：由 20 个工作日调整为 10 个工作日。
    自 2026 年 12 月 1 日起实施。

A notice is data (:class:`Notice`, JSON-ready) with renderings for text, Markdown and HTML that the
channels reuse. Its wording is public content in Simplified Chinese whatever language the editor's
terminal uses, so the phrases here are not translated through gettext.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from guidesrc.diff.changeset import ChangeSet, FieldChange, GuideChange, lookup
from guidesrc.gaps import GAP
from guidesrc.markdown import md_escape
from guidesrc.model.codes import HANDLING_FORMS, SERVICE_OBJECTS, field_title
from guidesrc.statuses import ChangeStatus, FieldAction


@dataclass(frozen=True, slots=True)
class NoticeItem:
    field: str
    label: str
    clauses: tuple[str, ...]

    def text(self) -> str:
        return f"{self.label}：{'；'.join(self.clauses)}。"


@dataclass(frozen=True, slots=True)
class Notice:
    guide: str
    name: str
    status: ChangeStatus
    effective_date: str | None
    items: tuple[NoticeItem, ...] = field(default_factory=tuple)

    @property
    def headline(self) -> str:
        return {"added": "新增事项", "removed": "取消事项", "changed": "变更事项"}[
            self.status
        ] + f"：{self.name}"

    def text(self) -> str:
        if self.status == ChangeStatus.ADDED:
            body = f"新增“{self.name}”事项办事指南。"
        elif self.status == ChangeStatus.REMOVED:
            body = f"“{self.name}”事项办事指南不再有效。"
        else:
            body = "".join(item.text() for item in self.items)
        return body + (
            _effective(self.effective_date) if self.status != ChangeStatus.REMOVED else ""
        )

    def markdown(self) -> str:
        lines = [f"**{md_escape(self.headline)}**", ""]
        if self.status != ChangeStatus.CHANGED:
            lines.append(md_escape(self.text()))
        else:
            lines += [
                f"- **{md_escape(i.label)}**：{md_escape('；'.join(i.clauses))}。"
                for i in self.items
            ]
            if self.effective_date:
                lines += ["", md_escape(_effective(self.effective_date))]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        parts = [
            f'<section class="change-notice" lang="zh-CN"><h3>{html.escape(self.headline)}</h3>'
        ]
        if self.status != ChangeStatus.CHANGED:
            parts.append(f"<p>{html.escape(self.text())}</p>")
        else:
            parts.append("<ul>")
            parts += [
                f"<li><strong>{html.escape(i.label)}</strong>：{html.escape('；'.join(i.clauses))}。</li>"
                for i in self.items
            ]
            parts.append("</ul>")
            if self.effective_date:
                parts.append(
                    f'<p class="effective">{html.escape(_effective(self.effective_date))}</p>'
                )
        parts.append("</section>")
        return "".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "guide": self.guide,
            "name": self.name,
            "status": self.status,
            "effective_date": self.effective_date,
            "items": [
                {"field": i.field, "label": i.label, "clauses": list(i.clauses)} for i in self.items
            ],
            "text": self.text(),
        }


def notices(changes: ChangeSet) -> list[Notice]:
    return [notice(g) for g in changes.guides]


@dataclass(frozen=True, slots=True)
class ReleaseNotice:
    """One notice for a whole release: every guide's notice under a summary."""

    notices: tuple[Notice, ...]

    @property
    def summary(self) -> str:
        counts = {
            s: sum(n.status == s for n in self.notices) for s in ("added", "removed", "changed")
        }
        parts = [f"{label} {counts[s]} 项" for s, label in _RELEASE_PARTS if counts[s]]
        return f"本次调整办事指南 {len(self.notices)} 项（{'、'.join(parts)}）。"

    def text(self) -> str:
        lines = ["办事指南变更公告", self.summary]
        lines += [
            f"{_ordinal(n)}、{x.name}：{x.text()}" for n, x in enumerate(self.notices, start=1)
        ]
        return "\n".join(lines) + "\n"

    def markdown(self) -> str:
        lines = ["## 办事指南变更公告", "", md_escape(self.summary)]
        for n, x in enumerate(self.notices, start=1):
            lines += ["", f"### {_ordinal(n)}、{md_escape(x.name)}", "", md_escape(x.text())]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        items = "".join(
            f"<li><h3>{html.escape(x.name)}</h3><p>{html.escape(x.text())}</p></li>"
            for x in self.notices
        )
        return (
            '<article class="release-notice" lang="zh-CN"><h2>办事指南变更公告</h2>'
            f"<p>{html.escape(self.summary)}</p><ol>{items}</ol></article>"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "text": self.text(),
            "guides": [x.guide for x in self.notices],
        }


_RELEASE_PARTS = (("changed", "变更"), ("added", "新增"), ("removed", "取消"))
_DIGITS = "零一二三四五六七八九"


def _ordinal(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十; beyond 99 the digits themselves."""
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return str(n)


def release_notice(changes: ChangeSet) -> ReleaseNotice:
    return ReleaseNotice(tuple(notices(changes)))


def notice(change: GuideChange) -> Notice:
    grouped: dict[str, list[FieldChange]] = {}
    for c in change.changes:
        if "pending" not in c.path:  # the values say it (由…调整为待补充), not the list of names
            grouped.setdefault(c.field, []).append(c)
    old, new = change.old or {}, change.new or {}
    became_pending = set(new.get("pending") or ()) - set(old.get("pending") or ())
    items = []
    for name, field_changes in grouped.items():
        if name == "effective_date":
            continue  # said once, at the end
        if name in became_pending and isinstance(old.get(name), list):  # unknown, not deleted
            clauses = [f"调整为{GAP}"]
        else:
            clauses = _clauses(name, field_changes, old, new)
        if clauses:
            items.append(NoticeItem(name, field_title(name), tuple(dict.fromkeys(clauses))))
    return Notice(change.id, change.name, change.status, change.effective_date, tuple(items))


def _effective(date: str | None) -> str:
    if not date:
        return ""
    day = dt.date.fromisoformat(date)
    return f"自 {day.year} 年 {day.month} 月 {day.day} 日起实施。"


def _q(value: object) -> str:
    """Quote a piece of guide text, without its own closing punctuation (no "。”。"); an
    unknown value (None: 待补充, or a yes/no fact not stated) is said as the gap."""
    if value is None:
        return GAP
    return f"“{str(value).rstrip('。；;.')}”"


def _copies(value: object) -> str:
    return GAP if value is None else f" {value} 份"


# --- clauses, one function per field -----------------------------------------------------------

Old = dict[str, Any]
Clauses = Callable[[list[FieldChange], Old, Old], list[str]]


def _clauses(name: str, changes: list[FieldChange], old: Old, new: Old) -> list[str]:
    return _BY_FIELD.get(name, _generic)(changes, old, new)


def _by_action(c: FieldChange, added: str, removed: str, changed: str) -> str:
    """The clause that fits what happened to ``c``: added, removed, or anything else."""
    if c.action == FieldAction.ADDED:
        return added
    return removed if c.action == FieldAction.REMOVED else changed


def _conditions(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
    return [
        _by_action(c, f"新增{_q(c.new)}", f"删除{_q(c.old)}", f"{_q(c.old)}修改为{_q(c.new)}")
        for c in changes
    ]


def _book(name: str) -> str:
    return f"《{name.strip('《》')}》"


def _materials(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
    before = {m["id"]: m for m in old.get("materials", [])}
    after = {m["id"]: m for m in new.get("materials", [])}
    out = []
    for c in changes:
        material = str(c.path[1]) if len(c.path) > 1 else ""
        label = _book((after.get(material) or before.get(material) or {}).get("name", material))
        if len(c.path) == 2:
            out.append(f"新增{label}" if c.action == FieldAction.ADDED else f"删除{label}")
            continue
        sub = str(c.path[2])
        if sub == "name":
            out.append(f"{_book(c.old)}更名为{_book(c.new)}")
        elif sub == "legal_basis":
            basis = lookup(new, c.path[:4]) or lookup(old, c.path[:4]) or {}
            out.append(f"{label}的依据{_legal_clause(c, basis)}")
        elif sub in ("original_count", "copy_count"):
            out.append(f"{label}{_MATERIAL_FIELDS[sub]}由{_copies(c.old)}调整为{_copies(c.new)}")
        else:
            name = _MATERIAL_FIELDS.get(sub, sub)
            added, removed = f"{label}新增{name}{_q(c.new)}", f"{label}删除{name}"
            changed = f"{label}{name}由{_q(c.old)}调整为{_q(c.new)}"
            out.append(_by_action(c, added, removed, changed))
    return out


_MATERIAL_FIELDS = {
    "form": "材料形式",
    "medium": "材料载体",
    "original_count": "原件份数",
    "copy_count": "复印件份数",
    "source": "来源渠道",
    "necessity": "必要性",
    "condition": "适用情形",
    "notes": "填报须知",
    "blank_form": "空白表格",
    "sample_form": "示例样表",
    "kind": "材料类型",
    "issuer": "出具单位",
    "description": "材料说明",
}


def _legal_clause(c: FieldChange, basis: dict[str, Any]) -> str:
    """A change inside a nested legal basis (of a material or a fee item): path[3] is its id."""
    title = (
        f"{basis.get('title', c.path[3] if len(c.path) > 3 else '')}{basis.get('article') or ''}"
    )
    if len(c.path) == 4 and c.action in (FieldAction.ADDED, FieldAction.REMOVED):
        return f"{'新增' if c.action == FieldAction.ADDED else '删除'}{title}"
    if c.path[-1] == "repealed_on" and c.new:
        return f"{title}已于 {c.new} 废止"
    return f"{title}内容更新"


def _legal_basis(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
    everything = {b["id"]: b for b in [*old.get("legal_basis", []), *new.get("legal_basis", [])]}
    out = []
    for c in changes:
        basis = everything.get(str(c.path[1]), {})
        title = f"{basis.get('title', c.path[1])}{basis.get('article') or ''}"
        if len(c.path) == 2:
            out.append(f"{'新增' if c.action == FieldAction.ADDED else '删除'}{title}")
        elif c.path[2] == "repealed_on" and c.new:
            out.append(f"{title}已于 {c.new} 废止")
        else:
            out.append(f"{title}内容更新")
    return out


def _time_limit_text(value: Any, name: str = "promised_time_limit") -> str:
    if not isinstance(value, dict):
        # a statutory limit left out: the law sets none; a promised one: not known (待补充)
        return "法律法规未规定" if name == "statutory_time_limit" else GAP
    return f"{value['value']} 个{value['unit']}" if value["value"] else "即时办结"


def _time_limit(name: str) -> Clauses:
    def clauses(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
        before, after = _time_limit_text(old.get(name), name), _time_limit_text(new.get(name), name)
        out = []
        if before != after:
            out.append(f"由 {before}调整为 {after}")
        if (
            any(c.path[-1] == "note" for c in changes)
            and isinstance(after, dict)
            and after.get("note")
        ):
            out.append(f"说明修改为{_q(after['note'])}")
        return out

    return clauses


_CHARGED = {True: "收费", False: "不收费", None: GAP}


def _fees(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
    out = []
    items_before = {i["name"]: i for i in old.get("fees", {}).get("items", [])}
    for c in changes:
        if c.path[1:] == ("charged",):
            out.append(f"由{_CHARGED[c.old]}调整为{_CHARGED[c.new]}")
        elif c.path[1:2] == ("pending",):
            continue  # said by the charged clause
        elif len(c.path) == 3 and c.path[1] == "items":
            if c.action == FieldAction.ADDED:
                out.append(f"新增收费项目{_q(c.new['name'])}（{c.new['standard']}）")
            else:
                out.append(f"取消收费项目{_q(c.path[2])}")
        elif len(c.path) >= 4 and c.path[3] == "standard":
            out.append(f"{_q(c.path[2])}收费标准由{_q(c.old)}调整为{_q(c.new)}")
        elif len(c.path) >= 4 and c.path[3] == "legal_basis":
            basis = lookup(new, c.path[:5]) or lookup(old, c.path[:5]) or {}
            nested = FieldChange(c.path[1:], c.action, c.old, c.new, c.major)
            out.append(f"{_q(c.path[2])}的收费依据{_legal_clause(nested, basis)}")
        elif c.path[2:3] and str(c.path[2]) in items_before:
            out.append(f"{_q(c.path[2])}收费项目更新")
    return out


def _places(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
    offices = {p["id"]: p for p in [*old.get("places", []), *new.get("places", [])]}
    after = {p["id"]: p for p in new.get("places", [])}
    out = []
    for c in changes:
        office = offices.get(str(c.path[1]), {})
        name = office.get("name") or str(c.path[1])
        if len(c.path) == 2:
            out.append(
                f"新增{_q(name)}（{office.get('address') or '地址' + GAP}）"
                if c.action == FieldAction.ADDED
                else f"不再在{_q(name)}办理"
            )
            continue
        sub = str(c.path[2])
        if sub == "hours":
            hours = "，".join(
                f"{h['days']} {h['hours']}" for h in after.get(str(c.path[1]), {}).get("hours", [])
            )
            out.append(f"{_q(name)}办理时间调整为{hours or GAP}")
        elif sub == "address":
            out.append(f"{_q(name)}地址由{_q(c.old)}调整为{_q(c.new)}")
        elif sub == "name":
            out.append(f"{_q(c.old)}更名为{_q(c.new)}")
        elif sub == "phones":
            phones = "、".join(after.get(str(c.path[1]), {}).get("phones", []))
            out.append(
                f"{_q(name)}联系电话调整为{phones}" if phones else f"{_q(name)}不再公布联系电话"
            )
        elif sub == "windows":
            windows = "、".join(w["name"] for w in after.get(str(c.path[1]), {}).get("windows", []))
            out.append(
                f"{_q(name)}办理窗口调整为{windows}" if windows else f"{_q(name)}不再指定办理窗口"
            )
        else:
            out.append(f"{_q(name)}信息更新")
    return out


def _procedure(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
    out = []
    for c in changes:
        step = str(c.path[1])
        if len(c.path) == 2 and c.action in (FieldAction.ADDED, FieldAction.REMOVED):
            out.append(f"{'新增' if c.action == FieldAction.ADDED else '取消'}{_q(step)}环节")
        elif c.action == FieldAction.MOVED:
            out.append(f"调整{_q(step)}环节的顺序")
        elif c.path[2] == "description":
            out.append(f"{_q(step)}环节内容修改为{_q(c.new)}")
        else:
            out.append(f"{_q(step)}环节时限调整")
    return out


def _code_list(labels: dict[int, str]) -> Clauses:
    def clauses(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
        out = []
        for c in changes:
            code = int(str(c.path[1])) if len(c.path) > 1 and str(c.path[1]).isdigit() else None
            label = labels.get(code, str(code)) if code is not None else ""
            out.append(f"{'新增' if c.action == FieldAction.ADDED else '取消'}{label}")
        return out

    return clauses


def _text_list(noun: str) -> Clauses:
    def clauses(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
        out = []
        for c in changes:
            value = c.new if c.action == FieldAction.ADDED else c.old
            shown = _q((value.get(noun, "") if isinstance(value, dict) else value) or c.path[1])
            out.append(_by_action(c, f"新增{shown}", f"删除{shown}", f"{_q(c.path[1])}有更新"))
        return out

    return clauses


def _faq(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
    questions = {q["id"]: q["question"] for q in [*old.get("faq", []), *new.get("faq", [])]}
    out = []
    for c in changes:
        question = questions.get(str(c.path[1]), str(c.path[1]))
        if len(c.path) == 2:
            out.append(f"{'新增' if c.action == FieldAction.ADDED else '删除'}{_q(question)}")
        else:
            out.append(f"{_q(question)}的解答已更新")
    return out


_FLAGS = {True: "支持", False: "不支持"}


def _generic(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
    out = []
    for c in changes:
        if isinstance(c.old, bool) or isinstance(c.new, bool):
            out.append(f"由{_FLAGS.get(c.old, GAP)}调整为{_FLAGS.get(c.new, GAP)}")
        elif (
            c.action in (FieldAction.CHANGED, FieldAction.ADDED, FieldAction.REMOVED)
            and not isinstance(c.old, dict | list)
            and not isinstance(c.new, dict | list)
            and (c.action == FieldAction.CHANGED or len(c.path) == 1)
        ):  # a fact left out is not known (待补充): said so, not "已更新"
            out.append(f"由{_q(c.old)}调整为{_q(c.new)}")
        else:
            value = new.get(c.field)
            out.append(
                f"调整为{_q(_short(value))}" if value not in (None, "", [], {}) else "已更新"
            )
    return out


def _onsite(changes: list[FieldChange], old: Old, new: Old) -> list[str]:
    before, after = old.get("onsite_visits", {}), new.get("onsite_visits", {})
    out = []
    if before.get("count") != after.get("count"):
        counts = [
            GAP if n is None else f" {n} 次" for n in (before.get("count"), after.get("count"))
        ]
        out.append(f"由{counts[0]}调整为{counts[1]}")
    if before.get("reason") != after.get("reason") and after.get("reason"):
        out.append(f"原因：{after['reason']}")
    return out


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "，".join(str(v) for v in value.values() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return GAP if value is None else str(value)


_BY_FIELD: dict[str, Clauses] = {
    "conditions": _conditions,
    "materials": _materials,
    "legal_basis": _legal_basis,
    "statutory_time_limit": _time_limit("statutory_time_limit"),
    "promised_time_limit": _time_limit("promised_time_limit"),
    "fees": _fees,
    "places": _places,
    "procedure": _procedure,
    "service_objects": _code_list(SERVICE_OBJECTS),
    "handling_forms": _code_list(HANDLING_FORMS),
    "results": _text_list("name"),
    "consult_phones": _text_list("phone"),
    "complaint_phones": _text_list("phone"),
    "themes": _text_list(""),
    "faq": _faq,
    "onsite_visits": _onsite,
}
