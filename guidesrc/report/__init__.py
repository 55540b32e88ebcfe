"""`guides report`: the figures a centre puts in its 政府信息公开年度报告, from the ledger.

For a period (dates in the library's time zone, both included), over the approvals made in it:
how many changes were approved and published, major vs minor, added / changed / withdrawn; per
channel, how many deliveries met the deadline (the end of the first working day after approval; an
effective-date switch, the end of that day) and which were late, with the reason the ledger
records; the withdrawals with their reasons. Deliveries a newer version superseded are left out:
the newer version's delivery carries the obligation.

:mod:`guidesrc.report.figures` reads the figures from the ledger; :mod:`guidesrc.report.render`
writes them as an HTML page or CSV.
"""

from guidesrc.report.figures import (
    ChannelFigures,
    DeliveryRow,
    Report,
    Withdrawal,
    build_report,
)

__all__ = ["ChannelFigures", "DeliveryRow", "Report", "Withdrawal", "build_report"]
