"""The working-day calendar file, ``calendar.yaml`` at the root of a content library (optional).

It holds the State Council's holiday notices (国务院办公厅关于某年部分节假日安排的通知) for years the
``chinese-calendar`` package does not know yet, and corrections or mid-year changes for years it
does. One entry is one notice, written as the notice reads: each holiday's days off (放假) and the
weekend days worked instead (调休上班). :mod:`guidesrc.workdays` checks what the schema cannot say
(a day off after its last day, a date in the wrong year) and applies the entries in file order.
"""

from __future__ import annotations

from pydantic import Field

from guidesrc.model.common import IsoDate, Model, NonEmptyText


class Holiday(Model, title="节假日安排"):
    """通知中的一项，如：春节：2月15日至23日放假调休，共9天。2月14日（周六）、2月28日（周六）上班。"""

    name: NonEmptyText = Field(
        title="节日名称", description="如 元旦、春节、国庆节；改动已公布的安排时如 春节假期延长。"
    )
    first_day: IsoDate = Field(
        title="放假首日", description="通知中“…至…放假”的第一天，如 2027-02-06。"
    )
    last_day: IsoDate | None = Field(
        default=None,
        title="放假末日",
        description="通知中“…至…放假”的最后一天（含当天）；只放一天时省略。",
    )
    makeup_working_days: list[IsoDate] = Field(
        default_factory=list,
        title="调休上班日",
        description="通知中写明“上班”的日期（通常是周六或周日），如 2027-02-20。",
    )


class Notice(Model, title="节假日安排通知"):
    """一份放假调休通知；年中调整时为同一年份另加一项，后面的条目覆盖它写到的日期。"""

    year: int = Field(ge=2000, le=2099, title="年份", description="通知所安排的年份，如 2027。")
    title: NonEmptyText = Field(
        title="通知名称",
        description="如 国务院办公厅关于2027年部分节假日安排的通知；可附文号和发布日期。",
    )
    holidays: list[Holiday] = Field(
        min_length=1,
        title="节假日安排",
        description="通知中的每一项：放假日期和调休上班日期，照通知逐项填写。",
    )


class CalendarFile(Model, title="工作日日历"):
    """工作日日历：补充或更正 chinese-calendar 软件包中的放假调休安排。"""

    notices: list[Notice] = Field(
        min_length=1,
        title="放假调休通知",
        description=(
            "每年国务院办公厅发布节假日安排通知后（通常在 11 月）照通知添加一项；"
            "年中调整另加一项，后面的条目优先。"
        ),
    )
