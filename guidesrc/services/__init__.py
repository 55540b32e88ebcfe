"""The service layer: one module per use case (approve, publish, withdraw, status, verify, report,
import, calendar, approvers, printing, kiosk), called by the command line and by the web workbench.

A service function takes an opened library (:class:`guidesrc.services.library.Library`, or the
library's root folder for the use cases on the working tree alone) and keyword options, and returns
a result value. It never prints, never exits and knows nothing of click: the caller formats the
result and picks the exit code. Errors are :class:`guidesrc.errors.GuidesError` values.
"""
