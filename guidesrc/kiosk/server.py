"""The kiosk's web server: the standard library's ThreadingHTTPServer on 127.0.0.1 and ::1, pages
from Jinja2 templates (autoescaped), nothing loaded from elsewhere.

Requests are checked before anything else is done with them:

- the request line is at most :data:`MAX_TARGET` bytes (414), a search at most
  :data:`~guidesrc.kiosk.catalog.MAX_QUERY` characters (400), a form body at most 1 KB (413);
- the ``Host`` header must name this server (a page of another site that resolves its name to
  127.0.0.1 — DNS rebinding — is refused);
- a POST (打印) must come from a page of this server: its ``Origin`` must be this server's and it
  must carry the token of the page (a secret made when the kiosk starts), so no other page can make
  the kiosk print (CSRF);
- a guide id must match the id pattern before it is looked up; files are only those the bundle's
  manifest names, inside the bundle, with the SHA-256 it recorded.

Printing: one job at a time per kiosk (a second 打印 while one prints is answered 409). The page
after 打印 polls ``/api/print/<job>`` for the job's state; a completed job is counted once in the
ledger's print tally (day, guide, kiosk: no personal data).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import secrets
import socket
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import orjson
import segno

from guidesrc.kiosk.catalog import MAX_QUERY, Catalog, Entry, load_catalog
from guidesrc.ledger import Ledger
from guidesrc.printing.bundle import Bundle, SheetProblem
from guidesrc.printing.queue import JobFailed, PrintProblem, Queue
from guidesrc.printing.stats import record_print
from guidesrc.signed_files import read_signed
from guidesrc.urls import guide_url, is_guide_id

LOOPBACK = ("127.0.0.1", "::1")
MAX_TARGET = 2048  # bytes of the request target (path and query)
MAX_BODY = 1024  # bytes of a form body (the token)
_JOB = re.compile(r"^[0-9]{1,9}$")
_INDEX = re.compile(r"^[0-9]{1,5}$")
log = logging.getLogger("guidesrc.kiosk")

STATIC = {"kiosk.css": "text/css; charset=utf-8", "kiosk.js": "text/javascript; charset=utf-8"}
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass
class Job:
    guide_id: str
    name: str
    pages: int
    state: str = "pending"
    counted: bool = False


@dataclass
class Kiosk:
    """One kiosk: its bundle, the queue it prints on, the ledger it counts prints in."""

    bundle: Bundle
    queue: Queue
    ledger: Ledger | None
    base_url: str
    timezone: str
    title: str = "办事指南自助查询打印"
    servers: list[ThreadingHTTPServer] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    jobs: dict[int, Job] = field(default_factory=dict)
    extra_hosts: tuple[str, ...] = ()
    _catalog: Catalog | None = None
    _signature: tuple[int, int] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    _templates: jinja2.Environment = field(
        default_factory=lambda: jinja2.Environment(
            loader=jinja2.PackageLoader("guidesrc.kiosk", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
    )

    # --- content -------------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        """The bundle's guides; read again when the pdf channel has published."""
        with self._lock:
            signature = self.bundle.signature()
            if self._catalog is None or signature != self._signature:
                try:
                    self._catalog = load_catalog(self.bundle, self.ledger)
                    self._signature = signature
                except Exception:  # the ledger out of reach: keep showing what was loaded
                    if self._catalog is None:
                        raise
                    log.exception("the kiosk's guides could not be reloaded")
            return self._catalog

    def render(self, template: str, **values: Any) -> bytes:
        page = self._templates.get_template(template).render(
            title=self.title, token=self.token, max_query=MAX_QUERY, **values
        )
        return page.encode("utf-8")

    def qr_svg(self, guide_id: str) -> str:
        qr = segno.make(guide_url(self.base_url, guide_id), error="m")
        return str(qr.svg_inline(scale=6, border=2, title="", omitsize=True))

    # --- printing ------------------------------------------------------------------------------

    def start_print(self, entry: Entry) -> int:
        """Send the sheet in force to the kiosk's queue; the job id."""
        assert entry.current is not None
        with self._lock:
            busy = [j for j in self.jobs.values() if j.state in ("pending", "processing", "held")]
        if busy:
            raise Busy()
        pdf = read_signed(self.bundle, entry.current, self.ledger, f"kiosk:{self.queue.name}")
        job_id = self.queue.submit(
            pdf,
            title=f"{entry.name} 第{entry.current.version}版",
            document=f"kiosk:{entry.id}@{entry.current.version}.pdf",
        )
        with self._lock:
            self.jobs[job_id] = Job(entry.id, entry.name, entry.current.pages)
        return job_id

    def job_state(self, job_id: int) -> Job:
        job = self.jobs[job_id]
        if job.state in ("completed", "aborted", "canceled"):
            return job
        state = self.queue.state(job_id)
        if state.state == "pending":
            self.queue.ready()  # a queue paused meanwhile: say so, not "waiting" for ever
        with self._lock:
            job.state = state.state
            count = job.state == "completed" and not job.counted
            job.counted = job.counted or count
        if count:
            self._count(job)
        return job

    def _count(self, job: Job) -> None:
        if self.ledger is None:
            return
        day = dt.datetime.now(ZoneInfo(self.timezone)).date()
        try:
            record_print(self.ledger, day, job.guide_id, f"kiosk:{self.queue.name}", job.pages)
        except Exception:  # a print is never refused for want of statistics
            log.exception("the print could not be counted")

    # --- serving -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self.servers[0].server_address[1])

    @property
    def urls(self) -> list[str]:
        hosts = [str(s.server_address[0]) for s in self.servers]
        return [
            f"http://[{h}]:{self.port}/" if ":" in h else f"http://{h}:{self.port}/" for h in hosts
        ]

    def hosts(self) -> set[str]:
        """The Host headers this kiosk answers to."""
        names = {"127.0.0.1", "[::1]", "localhost", *self.extra_hosts}
        for server in self.servers:
            host = str(server.server_address[0])
            names.add(f"[{host}]" if ":" in host else host)
        return {f"{name}:{self.port}" for name in names}

    def serve(self) -> None:
        for server in self.servers:
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        for server in self.servers:
            if self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()
        if self.ledger is not None:
            self.ledger.close()


class Busy(Exception):
    """A job of this kiosk is still printing."""


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class Handler(BaseHTTPRequestHandler):
    kiosk: Kiosk
    server_version = "guides-kiosk"
    sys_version = ""

    def __init__(self, *args: Any, kiosk: Kiosk, **kwargs: Any) -> None:
        self.kiosk = kiosk
        super().__init__(*args, **kwargs)

    # --- dispatch ------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._answer(self._get)

    def do_HEAD(self) -> None:
        self._answer(self._get)

    def do_POST(self) -> None:
        self._answer(self._post)

    def _answer(self, route: Callable[[str, dict[str, list[str]]], None]) -> None:
        try:
            if len(self.path) > MAX_TARGET:
                raise Refusal(414, "请求地址过长，已拒绝。")
            if self.headers.get("Host", "") not in self.kiosk.hosts():
                raise Refusal(400, "请求的主机名不属于本机自助终端，已拒绝。")
            parts = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parts.query, max_num_fields=4)
            route(parts.path, query)  # segments are decoded one by one, after matching
        except Refusal as exc:
            self._page(exc.status, "message.html", heading=_HEADINGS.get(exc.status, "无法完成"),
                       message=exc.message)  # fmt: skip
        except ValueError:  # too many fields, bad encoding
            self._page(400, "message.html", heading="请求无效", message="请求格式不正确，已拒绝。")

    def _get(self, path: str, query: dict[str, list[str]]) -> None:
        kiosk = self.kiosk
        if path == "/":
            catalog = kiosk.catalog
            return self._page(200, "home.html", catalog=catalog, query="")
        if path == "/search":
            text = (query.get("q") or [""])[0].strip()
            if len(text) > MAX_QUERY:
                raise Refusal(400, f"搜索内容过长：请输入不超过 {MAX_QUERY} 个字。")
            hits = kiosk.catalog.search(text) if text else []
            return self._page(200, "results.html", heading="搜索结果", query=text,
                              entries=hits, searched=bool(text))  # fmt: skip
        if m := re.fullmatch(r"/(theme|department)/([^/]*)", path):
            if not _INDEX.match(m[2]):
                raise Refusal(404, "没有找到这个页面。")
            catalog = kiosk.catalog
            lookup = catalog.in_theme if m[1] == "theme" else catalog.in_department
            found = lookup(int(m[2]))
            if found is None:
                raise Refusal(404, "没有找到这个分类。")
            return self._page(200, "results.html", heading=found[0], query="",
                              entries=found[1], searched=False)  # fmt: skip
        if m := re.fullmatch(r"/guide/([^/]*)", path):
            entry = self._entry(m[1])
            return self._page(200, "guide.html", entry=entry, qr=kiosk.qr_svg(entry.id), query="")
        if m := re.fullmatch(r"/print/([^/]*)", path):
            job_id, job = self._job(m[1])
            return self._page(200, "printing.html", job_id=job_id, job=job, query="")
        if m := re.fullmatch(r"/api/print/([^/]*)", path):
            return self._job_json(m[1])
        if m := re.fullmatch(r"/static/([a-z.]+)", path):
            return self._static(m[1])
        raise Refusal(404, "没有找到这个页面。")

    def _post(self, path: str, query: dict[str, list[str]]) -> None:
        m = re.fullmatch(r"/guide/([^/]*)/print", path)
        if not m:
            raise Refusal(404, "没有找到这个页面。")
        self._same_origin()
        entry = self._entry(m[1])
        if entry.withdrawn is not None:
            raise Refusal(410, "该事项已停止办理，不能打印办事指南。")
        if not entry.printable:
            raise Refusal(404, "该事项暂无现行办事指南可以打印。")
        try:
            job_id = self.kiosk.start_print(entry)
        except Busy:
            raise Refusal(409, "正在打印上一份办事指南，请稍候再试。") from None
        except (PrintProblem, SheetProblem) as exc:
            log.error("kiosk print of %s refused: %s", entry.id, exc)
            raise Refusal(503, _UNAVAILABLE) from exc
        self.send_response(303)
        self.send_header("Location", f"/print/{job_id}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    # --- checks --------------------------------------------------------------------------------

    def _same_origin(self) -> None:
        """The form came from a page of this kiosk: its Origin, and the page's token."""
        origin = self.headers.get("Origin", "")
        if origin != f"http://{self.headers.get('Host', '')}":
            raise Refusal(403, "只能在本机自助终端的页面上打印。")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise Refusal(400, "请求格式不正确，已拒绝。") from None
        if not 0 <= length <= MAX_BODY:
            raise Refusal(413, "请求内容过长，已拒绝。")
        body = self.rfile.read(length).decode("ascii", "replace")
        form = urllib.parse.parse_qs(body, max_num_fields=4)
        token = (form.get("token") or [""])[0]
        if not hmac.compare_digest(token.encode(), self.kiosk.token.encode()):
            raise Refusal(403, "页面已过期，请返回首页重新操作。")

    def _entry(self, segment: str) -> Entry:
        guide_id = urllib.parse.unquote(segment)
        if not is_guide_id(guide_id):
            raise Refusal(400, "事项编号无效。")
        entry = self.kiosk.catalog.entries.get(guide_id)
        if entry is None:
            raise Refusal(404, "没有找到这项办事指南。")
        return entry

    def _job(self, text: str) -> tuple[int, Job]:
        if not _JOB.match(text) or int(text) not in self.kiosk.jobs:
            raise Refusal(404, "没有找到这份打印任务。")
        return int(text), self.kiosk.jobs[int(text)]

    # --- answers -------------------------------------------------------------------------------

    def _job_json(self, text: str) -> None:
        if not _JOB.match(text) or int(text) not in self.kiosk.jobs:
            return self._json(404, {"state": "unknown", "done": True, "message": "没有找到这份打印任务。"})  # fmt: skip
        try:
            job = self.kiosk.job_state(int(text))
        except JobFailed:
            return self._json(200, {"state": "failed", "done": True, "message": _FAILED})
        except PrintProblem as exc:
            log.error("kiosk print job %s: %s", text, exc)
            return self._json(200, {"state": "unavailable", "done": True, "message": _UNAVAILABLE})  # fmt: skip
        body = {"state": job.state, "done": job.state in _FINAL, "message": _STATES[job.state]}
        self._json(200, body)

    def _page(self, status: int, template: str, **values: Any) -> None:
        values.setdefault("query", "")
        self._send(status, "text/html; charset=utf-8", self.kiosk.render(template, **values))

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, "application/json", orjson.dumps(body))

    def _static(self, name: str) -> None:
        if name not in STATIC:
            raise Refusal(404, "没有找到这个页面。")
        data = files("guidesrc.kiosk").joinpath("static", name).read_bytes()
        self._send(200, STATIC[name], data)

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "same-origin")  # no-referrer would make Origin "null"
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # no addresses, no searches logged
        return


_HEADINGS = {400: "请求无效", 403: "无法打印", 404: "没有找到", 409: "请稍候", 410: "已停止办理",
             413: "请求无效", 414: "请求无效", 503: "打印机暂不可用"}  # fmt: skip
_UNAVAILABLE = "打印机暂时无法使用。请到服务台咨询，或扫描页面上的二维码在手机上查看。"
_FAILED = "打印没有完成。请到服务台咨询，或扫描二维码在手机上查看。"
_FINAL = {"completed", "aborted", "canceled"}
_STATES = {
    "pending": "正在等待打印……",
    "held": "正在等待打印……",
    "processing": "正在打印，请稍候……",
    "stopped": "打印机暂停，请稍候……",
    "completed": "打印完成，请在打印机出纸口取走办事指南。",
    "aborted": _FAILED,
    "canceled": _FAILED,
}


def start_kiosk(kiosk: Kiosk, hosts: tuple[str, ...] = LOOPBACK, port: int = 8080) -> Kiosk:
    """Bind every host on ``port`` (0: any free port, the same for all) and load the guides."""
    handler = partial(Handler, kiosk=kiosk)
    for host in hosts:
        family_server = _IPv6Server if ":" in host else ThreadingHTTPServer
        try:
            server = family_server((host, kiosk.port if kiosk.servers else port), handler)
        except OSError as exc:
            if not kiosk.servers and host == hosts[0]:
                raise
            kiosk.warnings.append(f"{host}: {exc.strerror or exc}")
            continue
        kiosk.servers.append(server)
    kiosk.extra_hosts = tuple(h for h in hosts if h not in LOOPBACK)
    try:
        kiosk.catalog  # noqa: B018  (loaded now: a problem shows at start-up, not at a citizen)
    except BaseException:
        kiosk.close()
        raise
    return kiosk
