"""Printed guides for the physical hall (实体政务大厅): the sheets the ``pdf`` channel writes.

- :mod:`guidesrc.print.sheet` turns a compiled guide into the data one sheet shows (labels,
  dates, numbers written out in Chinese): plain JSON, no markup;
- :mod:`guidesrc.print.fonts` finds the Noto CJK fonts (Debian ``fonts-noto-cjk``) or says, in
  Chinese, which package to install;
- :mod:`guidesrc.print.render` lays a sheet out with Typst (``guide.typ`` in this folder), one
  compiler per process, in a pool of processes for large batches.

The template reads the sheet as data (``sys.inputs``); no guide text is ever pasted into Typst
markup, so markup written in a guide (``#read(...)``, ``*bold*``) prints as the characters typed.
"""
