"""The kiosk's pages (:mod:`guidesrc.kiosk.server`) as a Starlette app on the shared stack.

Paths are matched as the browser sent them (still percent-encoded) and each segment is decoded
after matching, so ``/guide/..%2F..%2Fetc/print`` is a bad guide id (400), not another path. The
work (the catalogue, CUPS, the ledger) is blocking: it runs in Starlette's thread pool.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import urllib.parse
from collections.abc import Callable
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from guidesrc.errors import (
    JobFailed,
    KioskBusy,
    KioskRefusal,
    PrintProblem,
    SheetProblem,
    TapPending,
)
from guidesrc.kiosk.catalog import MAX_QUERY, Entry
from guidesrc.kiosk.jobs import Job
from guidesrc.statuses import FINAL_JOB_STATES, PrintJobState
from guidesrc.urls import is_guide_id
from guidesrc.web.server import make_app

if TYPE_CHECKING:
    from guidesrc.kiosk.server import Kiosk

MAX_TARGET = 2048  # bytes of the request target (path and query)
MAX_BODY = 1024  # bytes of a form body (the token and the tap)
_JOB = re.compile(r"^[0-9]{1,9}$")
_INDEX = re.compile(r"^[0-9]{1,5}$")
_TAP = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
log = logging.getLogger("guidesrc.kiosk")

STATIC = {"kiosk.css": "text/css; charset=utf-8", "kiosk.js": "text/javascript; charset=utf-8"}
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make Origin "null"
}
_HEADINGS = {400: "请求无效", 403: "无法打印", 404: "没有找到", 405: "请求无效", 409: "请稍候",
             410: "已停止办理", 413: "请求无效", 414: "请求无效", 500: "出错了",
             503: "打印机暂不可用"}  # fmt: skip
_UNAVAILABLE = "打印机暂时无法使用。请到服务台咨询，或扫描页面上的二维码在手机上查看。"
_FAILED = "打印没有完成。请到服务台咨询，或扫描二维码在手机上查看。"
_BUSY = "正在打印上一份办事指南，请稍候再试。"
_STATES = {
    PrintJobState.PENDING: "正在等待打印……",
    PrintJobState.HELD: "正在等待打印……",
    PrintJobState.PROCESSING: "正在打印，请稍候……",
    PrintJobState.STOPPED: "打印机暂停，请稍候……",
    PrintJobState.COMPLETED: "打印完成，请在打印机出纸口取走办事指南。",
    PrintJobState.ABORTED: _FAILED,
    PrintJobState.CANCELED: _FAILED,
}
_MESSAGES = {404: "没有找到这个页面。", 405: "请求格式不正确，已拒绝。", 500: "页面暂时无法显示，请返回首页重试。",
             503: "终端繁忙，请稍候再试。"}  # fmt: skip


def kiosk_app(kiosk: Kiosk) -> Starlette:
    """The app answering ``kiosk``'s pages."""

    def page(status: int, template: str, **values: Any) -> Response:
        values.setdefault("query", "")
        return send(status, "text/html; charset=utf-8", kiosk.render(template, **values))

    def refusal(status: int, heading: str, message: str) -> Response:
        shown = _MESSAGES.get(status, message)
        return page(
            status, "message.html", heading=_HEADINGS.get(status, "无法完成"), message=shown
        )

    def refused(exc: KioskRefusal) -> Response:
        return page(exc.status, "message.html", heading=_HEADINGS.get(exc.status, "无法完成"),
                    message=exc.message)  # fmt: skip

    async def get(request: Request) -> Response:
        try:
            path, query = _target(request)
            return await run_in_threadpool(_get, kiosk, page, path, query)
        except KioskRefusal as exc:
            return refused(exc)
        except ValueError:  # too many fields, bad encoding
            return refused(KioskRefusal(400, "请求格式不正确，已拒绝。"))

    async def post(request: Request) -> Response:
        try:
            path, _query = _target(request)
            m = re.fullmatch(r"/guide/([^/]*)/print", path)
            if not m:
                raise KioskRefusal(404, "没有找到这个页面。")
            form = await _form(request)
            return await run_in_threadpool(_post, kiosk, page, m[1], form)
        except KioskRefusal as exc:
            return refused(exc)
        except ValueError:
            return refused(KioskRefusal(400, "请求格式不正确，已拒绝。"))

    routes = [
        Route("/{path:path}", get, methods=["GET", "HEAD"]),
        Route("/{path:path}", post, methods=["POST"]),
    ]
    return make_app(
        routes, kiosk.hosts(), page=refusal, refused_host="请求的主机名不属于本机自助终端，已拒绝。"
    )


def send(status: int, kind: str, body: bytes) -> Response:
    return Response(body, status_code=status, media_type=kind, headers=HEADERS)


def _target(request: Request) -> tuple[str, dict[str, list[str]]]:
    """The path as sent (percent-encoded) and the query's fields; refused when too long."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query_string = request.scope.get("query_string", b"")
    if len(raw) + (len(query_string) + 1 if query_string else 0) > MAX_TARGET:
        raise KioskRefusal(414, "请求地址过长，已拒绝。")
    query = urllib.parse.parse_qs(query_string.decode("latin-1"), max_num_fields=4)
    return raw.decode("latin-1"), query


async def _form(request: Request) -> dict[str, list[str]]:
    """The form of a 打印 (from a page of this kiosk: its Origin, at most MAX_BODY bytes)."""
    host = request.headers.get("host", "")
    if request.headers.get("origin", "") != f"http://{host}":
        raise KioskRefusal(403, "只能在本机自助终端的页面上打印。")
    try:
        length = int(request.headers.get("content-length", "0"))
    except ValueError:
        raise KioskRefusal(400, "请求格式不正确，已拒绝。") from None
    if not 0 <= length <= MAX_BODY:
        raise KioskRefusal(413, "请求内容过长，已拒绝。")
    body = b""
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise KioskRefusal(413, "请求内容过长，已拒绝。")
    except ClientDisconnect:
        raise KioskRefusal(400, "请求格式不正确，已拒绝。") from None
    try:
        return urllib.parse.parse_qs(body.decode("ascii", "replace"), max_num_fields=4)
    except ValueError:
        raise KioskRefusal(400, "请求格式不正确，已拒绝。") from None


Page = Callable[..., Response]


def _get(kiosk: Kiosk, page: Page, path: str, query: dict[str, list[str]]) -> Response:
    if path == "/":
        return page(200, "home.html", catalog=kiosk.catalog, query="")
    if path == "/search":
        text = (query.get("q") or [""])[0].strip()
        if len(text) > MAX_QUERY:
            raise KioskRefusal(400, f"搜索内容过长：请输入不超过 {MAX_QUERY} 个字。")
        hits = kiosk.catalog.hits(text) if text else []
        return page(200, "results.html", heading="搜索结果", query=text,
                    entries=[e for e, _h in hits], snippets={e.id: h.snippet for e, h in hits},
                    suggestions=kiosk.catalog.suggestions(text) if text and not hits else [],
                    catalog=kiosk.catalog, searched=bool(text))  # fmt: skip
    if m := re.fullmatch(r"/(theme|department)/([^/]*)", path):
        if not _INDEX.match(m[2]):
            raise KioskRefusal(404, "没有找到这个页面。")
        catalog = kiosk.catalog
        lookup = catalog.in_theme if m[1] == "theme" else catalog.in_department
        found = lookup(int(m[2]))
        if found is None:
            raise KioskRefusal(404, "没有找到这个分类。")
        return page(200, "results.html", heading=found[0], query="", entries=found[1],
                    searched=False)  # fmt: skip
    if m := re.fullmatch(r"/guide/([^/]*)", path):
        entry = _entry(kiosk, m[1])
        return page(200, "guide.html", entry=entry, qr=kiosk.qr_svg(entry.id), query="",
                    tap=secrets.token_urlsafe(16))  # fmt: skip
    if m := re.fullmatch(r"/print/([^/]*)", path):
        job_id, job = _job(kiosk, m[1])
        return page(200, "printing.html", job_id=job_id, job=job, query="",
                    qr=kiosk.qr_svg(job.guide_id))  # fmt: skip
    if m := re.fullmatch(r"/api/print/([^/]*)", path):
        return _job_json(kiosk, m[1])
    if m := re.fullmatch(r"/static/([a-z.]+)", path):
        if m[1] not in STATIC:
            raise KioskRefusal(404, "没有找到这个页面。")
        return send(
            200, STATIC[m[1]], files("guidesrc.kiosk").joinpath("static", m[1]).read_bytes()
        )
    raise KioskRefusal(404, "没有找到这个页面。")


def _post(kiosk: Kiosk, page: Page, segment: str, form: dict[str, list[str]]) -> Response:
    token = (form.get("token") or [""])[0]
    if not hmac.compare_digest(token.encode(), kiosk.token.encode()):
        raise KioskRefusal(403, "页面已过期，请返回首页重新操作。")
    tap = (form.get("tap") or [secrets.token_urlsafe(16)])[0]  # no tap id: a tap of its own
    if not _TAP.match(tap):
        raise KioskRefusal(400, "请求格式不正确，已拒绝。")
    entry = _entry(kiosk, segment)
    if entry.withdrawn is not None:
        raise KioskRefusal(410, "该事项已停止办理，不能打印办事指南。")
    if not entry.printable:
        raise KioskRefusal(404, "该事项暂无现行办事指南可以打印。")

    # Not printed: the guide stays at hand, by its QR code and a way back to its page.
    def not_printed(status: int, message: str) -> Response:
        return page(status, "message.html", heading=_HEADINGS[status], message=message,
                    entry=entry, qr=kiosk.qr_svg(entry.id))  # fmt: skip

    try:
        job_id = kiosk.print_once(tap, entry)
    except (KioskBusy, TapPending):
        return not_printed(409, _BUSY)
    except (PrintProblem, SheetProblem) as exc:
        log.error("kiosk print of %s refused: %s", entry.id, exc)
        return not_printed(503, _UNAVAILABLE)
    return Response(status_code=303, headers={"Location": f"/print/{job_id}", **HEADERS})


def _entry(kiosk: Kiosk, segment: str) -> Entry:
    guide_id = urllib.parse.unquote(segment)
    if not is_guide_id(guide_id):
        raise KioskRefusal(400, "事项编号无效。")
    entry = kiosk.catalog.entries.get(guide_id)
    if entry is None:
        raise KioskRefusal(404, "没有找到这项办事指南。")
    return entry


def _job(kiosk: Kiosk, text: str) -> tuple[int, Job]:
    if not _JOB.match(text) or int(text) not in kiosk.jobs:
        raise KioskRefusal(404, "没有找到这份打印任务。")
    return int(text), kiosk.jobs[int(text)]


def _job_json(kiosk: Kiosk, text: str) -> Response:
    if not _JOB.match(text) or int(text) not in kiosk.jobs:
        return _json(404, {"state": "unknown", "done": True, "message": "没有找到这份打印任务。"})
    try:
        job = kiosk.job_state(int(text))
    except JobFailed:
        return _json(200, {"state": "failed", "done": True, "message": _FAILED})
    except PrintProblem as exc:
        log.error("kiosk print job %s: %s", text, exc)
        return _json(200, {"state": "unavailable", "done": True, "message": _UNAVAILABLE})
    return _json(200, {"state": job.state, "done": job.state in FINAL_JOB_STATES, "message": _STATES[job.state]})  # fmt: skip


def _json(status: int, body: dict[str, Any]) -> Response:
    return send(status, "application/json", orjson.dumps(body))
