"""Printed guides for the physical hall (实体政务大厅): the sheets the ``pdf`` channel writes, the
printer queues that print them, and the handovers hall staff confirm once they are posted.

The sheets:

- :mod:`guidesrc.print.sheet` turns a compiled guide into the data one sheet shows (labels,
  dates, numbers written out in Chinese): plain JSON, no markup;
- :mod:`guidesrc.print.fonts` finds the Noto CJK fonts (Debian ``fonts-noto-cjk``) or says, in
  Chinese, which package to install;
- :mod:`guidesrc.print.render` lays a sheet out with Typst (``guide.typ`` in this folder), one
  compiler per process, in a pool of processes for large batches.

The template reads the sheet as data (``sys.inputs``); no guide text is ever pasted into Typst
markup, so markup written in a guide (``#read(...)``, ``*bold*``) prints as the characters typed.

The printers and the hall:

- :mod:`guidesrc.print.bundle` reads the pdf channel's published folder for the printer channel
  and the kiosk, checking every sheet against its manifest and, through
  :mod:`guidesrc.print.signed_sheets`, against the channel's signed manifest;
  :mod:`guidesrc.print.signed_read` adds the ledger's checks for the kiosk;
- :mod:`guidesrc.print.ipp` speaks IPP/2.0 to CUPS; :mod:`guidesrc.print.queue` is a CUPS queue
  as hall staff see it (ready or not, a job followed to its end);
- :mod:`guidesrc.print.stats` counts what the kiosks and the printer channels printed;
- :mod:`guidesrc.print.handover` records reprint batches posted at a window
  (``guides print list``, ``guides print done``).

What can go wrong on the way to a printer (:class:`~guidesrc.errors.SheetProblem`,
:class:`~guidesrc.errors.PrintProblem` and their kinds) is in :mod:`guidesrc.errors`.

The channels themselves are adapters (:mod:`guidesrc.adapters.pdf`,
:mod:`guidesrc.adapters.printer`); the commands are in :mod:`guidesrc.cli.printing`.
"""
