"""The pages of ``guides serve`` (:mod:`guidesrc.site.preview`) as a Starlette app.

- ``/`` and every folder are their ``index.html``; a folder without one, and anything not
  built, is the site's own ``404.html`` (404): no folder is ever listed;
- a withdrawn guide's page is its withdrawal notice with ``410 Gone``;
- a page (``.html`` or a folder) first lets the preview rebuild if the library changed;
- while the library does not build, every request gets a page (500) that lists its problems as
  ``guides check`` prints them (``file:line:col: field: message``), never an empty reply;
- nothing is cached by the browser (``Cache-Control: no-store``): an edit shows on reload.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from guidesrc.check.engine import check_library
from guidesrc.diagnostic_lines import format_line
from guidesrc.errors import GuidesError
from guidesrc.i18n import _
from guidesrc.web.server import make_app, problem_page

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from guidesrc.site.preview import Preview

MAX_SHOWN = 100  # problems listed on the page; the rest are counted
log = logging.getLogger("guidesrc.preview")


@dataclass(frozen=True)
class Problem:
    """Why the preview cannot show the site: the error, and the problems ``guides check`` finds."""

    message: str
    lines: list[str] = field(default_factory=list)
    more: int = 0  # problems not listed


def library_problem(root: Path, error: Exception) -> Problem:
    """The problem of a library that does not build: ``error`` and the errors ``guides check``
    reports, one ``file:line`` line each (at most :data:`MAX_SHOWN`)."""

    if not isinstance(error, GuidesError):
        log.error("the preview could not be built", exc_info=error)
    try:
        report = check_library(root, jobs=1)
    except Exception as exc:  # the library cannot even be read: the first error says why
        return Problem(str(error), [str(exc)] if str(exc) != str(error) else [])
    found = [format_line(d) for d in report.diagnostics if d.severity == "error"]
    return Problem(str(error), found[:MAX_SHOWN], max(0, len(found) - MAX_SHOWN))


def problem_response(problem: Problem) -> Response:
    """The page every request gets while the library does not build."""
    lines = problem.lines or [problem.message]
    if problem.more:
        lines.append(_("… and {count} more: run guides check").format(count=problem.more))
    message = _(
        "The library has errors, so the preview cannot be shown. Fix the problems below, then reload this page."
    )
    return problem_page(500, _("The preview cannot be shown"), message, lines)


def preview_app(preview: Preview) -> Starlette:
    """The app answering ``preview``'s pages from its latest build."""

    async def page(request: Request) -> Response:
        path = request.url.path
        if path.endswith(("/", ".html")):
            await run_in_threadpool(preview.refresh)
        problem, folder = preview.problem, preview.folder
        if problem is not None or folder is None:
            return problem_response(problem or Problem(_("the site has not been built")))
        name = path.rsplit("/", 1)[-1].removesuffix(".html")
        if path.startswith("/guides/") and name in preview.withdrawn:
            notice = folder / "withdrawn" / f"{name}.html"
            response: Response = FileResponse(notice, status_code=410, media_type="text/html")
        else:
            files = StaticFiles(directory=folder, html=True, check_dir=False)
            response = await files.get_response(files.get_path(request.scope), request.scope)
        response.headers["Cache-Control"] = "no-store"
        return response

    routes = [Route("/{path:path}", page, methods=["GET", "HEAD"])]
    return make_app(routes, (str(s.getsockname()[0]) for s in preview.sockets))
