"""`guides import`: service guides from a provincial portal's export or a spreadsheet.

The pipeline, one stage a line::

    read the source (gdzwfw.read | sheet.read)     → items, per-row problems
    drop duplicate 实施编码                          → problems
    load the library (apply.load_existing)          → its guides by code, its catalogues
    resolve references, merge (apply.plan)          → the files to write
    refuse files with uncommitted changes (git)     → ImportRefusedError, nothing written
    write (apply.write)                             → staged, then moved into place
    report (report.ImportReport)                    → coverage, gaps, problems

The stages are run by :func:`guidesrc.importer.pipeline.run_import`.

What a source lacks is never invented: it is marked 待补充 (the ``pending`` lists of
:class:`guidesrc.model.common.Completable`), and `guides check` lists it (rule ``to-complete``).
"""
