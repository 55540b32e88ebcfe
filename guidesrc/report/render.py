"""The report as an HTML page (with an inline SVG chart: no external resources) and as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from guidesrc.report.figures import Report
from guidesrc.statuses import Action

ACTIONS: dict[str, str] = {
    Action.PUBLISH: "发布",
    Action.ANNOUNCE: "预告",
    Action.ACTIVATE: "生效切换",
    Action.WITHDRAW: "撤回",
}
STATUSES = {"added": "新增", "changed": "变更", "removed": "取消或撤回"}
_HERE = Path(__file__).resolve().parent


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_HERE),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = lambda moment, zone: (
        moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "—"
    )
    env.filters["deadline"] = _deadline
    env.filters["percent"] = lambda rate: "—" if rate is None else f"{rate * 100:.1f}%"
    return env


def _deadline(moment: dt.datetime, zone: object) -> str:
    local = moment.astimezone(zone)  # type: ignore[arg-type]
    if local.time() == dt.time(0):
        return f"{(local.date() - dt.timedelta(days=1)).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def chart(report: Report, width: int = 720, height: int = 260) -> dict[str, object]:
    """Bar geometry for the monthly chart: deliveries on time and late, stacked, per month."""
    months = report.months
    highest = max((m["on_time"] + m["late"] for m in months), default=0)
    step_value = _nice(highest / 5)
    count = max(1, -(-highest // step_value))
    top = step_value * count
    left, bottom, plot_h = 48, height - 40, height - 70
    step = (width - left - 16) / max(len(months), 1)
    bars = []
    for n, m in enumerate(months):
        x = left + n * step + step * 0.15
        w = step * 0.7
        on_h = plot_h * m["on_time"] / top
        late_h = plot_h * m["late"] / top
        bars.append(
            {
                "x": round(x, 1),
                "w": round(w, 1),
                "on_y": round(bottom - on_h, 1),
                "on_h": round(on_h, 1),
                "late_y": round(bottom - on_h - late_h, 1),
                "late_h": round(late_h, 1),
                "label": m["month"][2:],
                "label_x": round(x + w / 2, 1),
                "on_time": m["on_time"],
                "late": m["late"],
            }
        )
    ticks = [
        {"y": round(bottom - plot_h * k / count, 1), "value": step_value * k}
        for k in range(count + 1)
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "bottom": bottom,
        "bars": bars,
        "ticks": ticks,
    }


def _nice(value: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50 … at least ``value``: even steps for the axis."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def html(report: Report, library_name: str) -> str:
    return (
        _env()
        .get_template("report.html")
        .render(
            r=report,
            name=library_name,
            chart=chart(report),
            actions=ACTIONS,
            statuses=STATUSES,
        )
    )


CSV_COLUMNS = [
    "事项标识",
    "事项名称",
    "版本",
    "渠道",
    "动作",
    "审核时间",
    "期限",
    "送达时间",
    "是否按时",
    "说明",
]


def as_csv(report: Report) -> str:
    """One row per delivery of the period (UTF-8 with BOM, so that Excel reads the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    zone = report.zone
    for d in report.deliveries:
        on_time = "是" if d.on_time else ("否" if d.late(report.now) else "未到期")
        writer.writerow(
            [
                _cell(d.guide_id),
                _cell(d.name),
                d.version,
                _cell(d.channel),
                ACTIONS.get(d.action, d.action),
                d.approved_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                _deadline(d.deadline, zone),
                d.delivered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                if d.delivered_at
                else "",
                on_time,
                _cell(d.reason),
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas (a cell starting with = + - @ is text, not a formula)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
