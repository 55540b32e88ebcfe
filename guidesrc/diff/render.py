"""Showing a change set: in the terminal (coloured, per guide), as Markdown for a merge-request
comment, and as JSON for programs. Text fields get a word-level redline."""

from __future__ import annotations

from typing import Any

import click
import orjson

from guidesrc.compile import ORDERLESS
from guidesrc.diff.changeset import ChangeSet, FieldChange, GuideChange
from guidesrc.diff.effective import FILE, OPTION, PAST, TODAY
from guidesrc.diff.notice import ReleaseNotice, notice
from guidesrc.diff.redline import redline, render_ansi, render_markdown, render_text
from guidesrc.i18n import _
from guidesrc.markdown import md_escape
from guidesrc.model.codes import field_title
from guidesrc.statuses import ChangeStatus, FieldAction

_STATUS = {"added": "新增", "removed": "删除", "changed": "变更"}
_ACTION = {"added": "新增", "removed": "删除", "changed": "修改", "moved": "顺序调整"}
_CLASS = {True: "实质性变更", False: "一般性修改"}
_SUBFIELDS = {
    "original_count": "原件份数", "copy_count": "复印件份数", "form": "材料形式", "medium": "材料载体",
    "source": "来源渠道", "necessity": "必要性", "notes": "填报须知", "condition": "适用情形",
    "value": "数值", "unit": "单位", "note": "说明", "hours": "办理时间", "days": "日期",
    "address": "地址", "phones": "电话", "name": "名称", "description": "内容", "standard": "收费标准",
    "charged": "是否收费", "items": "收费项目", "legal_basis": "依据", "count": "次数", "reason": "原因",
    "url": "地址", "depth": "深度", "windows": "窗口", "time_limit": "时限", "title": "名称",
    "repealed_on": "废止日期", "text": "条款内容", "question": "问题", "answer": "解答",
}  # fmt: skip


def describe(change: FieldChange, guide: GuideChange) -> str:
    """``申请材料 › 《居民身份证》 › 复印件份数`` for ``materials.jumin-shenfenzheng.copy_count``."""
    parts = [field_title(change.field)]
    items = _items_by_id(guide, change.field)
    for n, part in enumerate(change.path[1:], start=1):
        if n == 1 and change.field in ORDERLESS and ORDERLESS[change.field] is None:
            continue  # a plain text item: its text is shown as the value
        if n == 1 and str(part) in items:
            parts.append(items[str(part)])
        elif isinstance(part, int) or str(part).isdigit():
            continue
        else:
            parts.append(_SUBFIELDS.get(str(part), str(part)))
    return " › ".join(parts)


def _items_by_id(guide: GuideChange, name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for compiled in (guide.old, guide.new):
        for item in (
            (compiled or {}).get(name, []) if isinstance((compiled or {}).get(name), list) else []
        ):
            if isinstance(item, dict) and "id" in item:
                label = item.get("name") or item.get("title") or item.get("question") or item["id"]
                out[item["id"]] = (
                    f"《{label.strip('《》')}》" if name == "materials" else str(label)
                )
    return out


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "，".join(f"{v}" for v in value.values() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return "、".join(_value(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "（无）" if value is None else str(value)


# --- terminal ---------------------------------------------------------------------------------


def terminal(changes: ChangeSet, color: bool) -> str:
    if not changes:
        return (
            _("no changes between {base} and {head}").format(base=changes.base, head=changes.head)
            + "\n"
        )
    out = [_("changes from {base} to {head}:").format(base=changes.base, head=changes.head), ""]
    for guide in changes.guides:
        out += _terminal_guide(guide, color)
    summary = changes.as_dict()["summary"]
    out.append(
        _("{changed} changed, {added} added, {removed} removed; {major} with major changes").format(
            **summary
        )
    )
    return "\n".join(out) + "\n"


def _terminal_guide(guide: GuideChange, color: bool) -> list[str]:
    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    head = f"{_STATUS[guide.status]} {guide.name}（{guide.id}）{guide.file} [{_CLASS[guide.major]}]"
    lines = [style(head, bold=True, fg="red" if guide.major else "yellow")]
    for c in guide.changes:
        label = f"  {_ACTION[c.action]} {describe(c, guide)}"
        if c.action == FieldAction.CHANGED and isinstance(c.old, str) and isinstance(c.new, str):
            shown = render_ansi(redline(c.old, c.new)) if color else _plain_redline(c.old, c.new)
            lines.append(f"{label}：{shown}")
        elif c.action == FieldAction.CHANGED:
            lines.append(
                f"{label}：{style(_value(c.old), fg='red')} → {style(_value(c.new), fg='green')}"
            )
        elif c.action == FieldAction.ADDED:
            lines.append(f"{label}：{style(_value(c.new), fg='green')}")
        elif c.action == FieldAction.REMOVED:
            lines.append(f"{label}：{style(_value(c.old), fg='red')}")
        else:
            lines.append(label)
    note = date_note(guide)
    if note:
        lines.append(style("  " + note, fg="yellow" if guide.effective_from != FILE else None))
    lines += [f"  {style('公告', bold=True)}：{notice(guide).text()}", ""]
    return lines


# Public wording, as in the notices: Chinese whatever the terminal's language.
_STALE = "注意：具体实施时间（effective_date）没有随本次变更更新，仍为 {date}"
_DATE_NOTES = {
    FILE: "实施日期 {date}：文件中的具体实施时间（effective_date），审核时不加 --effective 即按此日期",
    TODAY: "实施日期：审核当天（公告按今天 {date} 预览）——文件中的具体实施时间 {file} 已过，"
    "且没有随本次变更更新",
    "undated": "实施日期：审核当天（公告按今天 {date} 预览）——文件没有填写具体实施时间（effective_date）",
    PAST: "注意：文件中的具体实施时间 {file} 已过，且不是现行版本的日期：不加 --effective 时 "
    "guides approve 会拒绝；请把 effective_date 改为今天或以后的日期，或审核时用 --effective 指定",
}


def date_note(guide: GuideChange) -> str:
    """Which date the guide's notice carries and why (guidesrc.diff.effective); before the dates
    are assigned, only that the date was not updated."""
    if guide.effective_from is None:
        return _STALE.format(date=guide.effective_date) if guide.stale_effective_date else ""
    if guide.status == ChangeStatus.REMOVED or guide.effective_from == OPTION:
        return ""
    key = "undated" if guide.effective_from == TODAY and not guide.file_effective_date else None
    return _DATE_NOTES[key or guide.effective_from].format(
        date=guide.effective_date, file=guide.file_effective_date
    )


def _plain_redline(old: str, new: str) -> str:

    return render_text(redline(old, new))


# --- Markdown (merge-request comment) -----------------------------------------------------------


def markdown(changes: ChangeSet) -> str:
    if not changes:
        return f"**办事指南无变更**（{md_escape(changes.base)} → {md_escape(changes.head)}）\n"
    summary = changes.as_dict()["summary"]
    lines = [
        f"### 办事指南变更：{len(changes.guides)} 项（实质性变更 {summary['major']} 项）",
        "",
        f"{md_escape(changes.base)} → {md_escape(changes.head)}",
        "",
        "| 事项 | 文件 | 变更 | 类别 | 实施日期 |",
        "|---|---|---|---|---|",
    ]
    for g in changes.guides:
        lines.append(
            f"| {md_escape(g.name)} | `{g.file}` | {_STATUS[g.status]} | {_CLASS[g.major]} | {g.effective_date or ''} |"
        )
    for g in changes.guides:
        lines += ["", notice(g).markdown().rstrip("\n")]
        note = date_note(g)
        if note:
            lines += ["", f"> {'' if g.effective_from == FILE else '⚠️ '}{md_escape(note)}"]
        if g.changes:
            lines += ["", "<details><summary>逐项变更</summary>", ""]
            lines += [_markdown_change(c, g) for c in g.changes]
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _markdown_change(c: FieldChange, guide: GuideChange) -> str:
    label = f"- {_ACTION[c.action]} **{md_escape(describe(c, guide))}**（{_CLASS[c.major]}）"
    if c.action == FieldAction.CHANGED and isinstance(c.old, str) and isinstance(c.new, str):
        return f"{label}：{render_markdown(redline(c.old, c.new))}"
    if c.action == FieldAction.CHANGED:
        return f"{label}：~~{md_escape(_value(c.old))}~~ → **{md_escape(_value(c.new))}**"
    if c.action in (FieldAction.ADDED, FieldAction.REMOVED):
        return f"{label}：{md_escape(_value(c.new if c.action == FieldAction.ADDED else c.old))}"
    return label


# --- JSON ---------------------------------------------------------------------------------------


def as_json(changes: ChangeSet) -> str:
    body = changes.as_dict()
    notices = tuple(notice(g) for g in changes.guides)  # made once for both lists
    body["notices"] = [n.as_dict() for n in notices]
    body["release_notice"] = ReleaseNotice(notices).as_dict() if changes else None
    return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
