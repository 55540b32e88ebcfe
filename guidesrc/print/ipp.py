"""A small synchronous IPP/2.0 client (RFC 8010 encoding, RFC 8011 operations) for CUPS.

Only what guidesrc needs: Get-Printer-Attributes (is the queue there, stopped, accepting jobs),
Print-Job (one request carrying the PDF), Get-Job-Attributes (a job's state) and Get-Jobs (find a
job again by its document name after a crash). Print-Job is the one submission operation the
default CUPS policy allows without authentication (Create-Job + Send-Document needs the job's
owner to authenticate), so no password or certificate is ever involved.

The server is ``host:port`` (TCP), ``[::1]:631``, or the path of CUPS' local socket
(``/run/cups/cups.sock``). Errors are :class:`IppError` (the server answered with an IPP status)
or :class:`OSError` (it could not be reached); :mod:`guidesrc.print.queue` turns them into
messages for hall staff.
"""

from __future__ import annotations

import http.client
import itertools
import socket
import struct
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from guidesrc.errors import IppError

VERSION = (2, 0)

# Operations (RFC 8011 §5.2.2).
PRINT_JOB = 0x0002
GET_JOB_ATTRIBUTES = 0x0009
GET_JOBS = 0x000A
GET_PRINTER_ATTRIBUTES = 0x000B

# Delimiter tags (RFC 8010 §3.5.1).
OPERATION_GROUP = 0x01
JOB_GROUP = 0x02
END = 0x03
PRINTER_GROUP = 0x04

# Value tags (RFC 8010 §3.5.2).
INTEGER = 0x21
BOOLEAN = 0x22
ENUM = 0x23
BEGIN_COLLECTION = 0x34
END_COLLECTION = 0x37
TEXT = 0x41
NAME = 0x42
KEYWORD = 0x44
URI = 0x45
CHARSET = 0x47
LANGUAGE = 0x48
MIME_TYPE = 0x49
_STRINGS = {0x35, 0x36, 0x41, 0x42, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A}

# Status codes (RFC 8011 §B).
NOT_FOUND = 0x0406
NOT_ACCEPTING_JOBS = 0x0506

# Printer and job states (RFC 8011 §5.4.12, §5.3.7).
PRINTER_IDLE, PRINTER_PROCESSING, PRINTER_STOPPED = 3, 4, 5
JOB_PENDING, JOB_HELD, JOB_PROCESSING, JOB_STOPPED = 3, 4, 5, 6
JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = 7, 8, 9
FINAL_JOB_STATES = {JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED}

MAX_RESPONSE = 16 * 1024 * 1024  # a Get-Jobs answer of a busy queue is well under this
_request_ids = itertools.count(1)

Attributes = dict[str, list[Any]]


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    groups: list[tuple[int, Attributes]] = field(default_factory=list)

    def group(self, tag: int) -> Attributes:
        """The first group with ``tag`` (empty if none)."""
        return next((attrs for t, attrs in self.groups if t == tag), {})

    def all(self, tag: int) -> list[Attributes]:
        return [attrs for t, attrs in self.groups if t == tag]


# --- encoding -------------------------------------------------------------------------------


def _attribute(tag: int, name: str, values: Iterable[Any]) -> bytes:
    out = bytearray()
    for i, value in enumerate(values):
        key = name.encode() if i == 0 else b""
        if tag in (INTEGER, ENUM):
            data = struct.pack(">i", value)
        elif tag == BOOLEAN:
            data = b"\x01" if value else b"\x00"
        else:
            data = str(value).encode("utf-8")
        out += struct.pack(">BH", tag, len(key)) + key + struct.pack(">H", len(data)) + data
    return bytes(out)


def encode(
    operation: int,
    attributes: list[tuple[int, str, Any]],
    job: list[tuple[int, str, Any]] | None = None,
    *,
    request_id: int | None = None,
) -> bytes:
    """An IPP request: the operation attributes (charset and language first) and any job
    template attributes; the document, if any, follows it."""
    rid = next(_request_ids) if request_id is None else request_id
    out = bytearray(struct.pack(">BBHI", *VERSION, operation, rid))
    out.append(OPERATION_GROUP)
    out += _attribute(CHARSET, "attributes-charset", ["utf-8"])
    out += _attribute(LANGUAGE, "attributes-natural-language", ["zh-cn"])
    for tag, name, value in attributes:
        out += _attribute(tag, name, value if isinstance(value, list) else [value])
    if job:
        out.append(JOB_GROUP)
        for tag, name, value in job:
            out += _attribute(tag, name, value if isinstance(value, list) else [value])
    out.append(END)
    return bytes(out)


# --- decoding -------------------------------------------------------------------------------


def decode(data: bytes) -> Response:
    """An IPP response: its status and attribute groups (collections are skipped)."""
    if len(data) < 9:
        raise IppError(0x0500, "the answer is not an IPP response")
    _major, _minor, status, _rid = struct.unpack(">BBHI", data[:8])
    groups: list[tuple[int, Attributes]] = []
    current: Attributes | None = None
    name = ""
    depth = 0  # inside a collection: its members are not kept
    pos = 8
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag == END:
            break
        if tag < 0x10:  # a new group
            current = {}
            groups.append((tag, current))
            continue
        if pos + 2 > len(data):
            raise IppError(0x0500, "truncated IPP response")
        (nlen,) = struct.unpack(">H", data[pos : pos + 2])
        key = data[pos + 2 : pos + 2 + nlen].decode("utf-8", "replace")
        pos += 2 + nlen
        (vlen,) = struct.unpack(">H", data[pos : pos + 2])
        raw = data[pos + 2 : pos + 2 + vlen]
        pos += 2 + vlen
        if tag == BEGIN_COLLECTION:
            if depth == 0 and current is not None:
                name = key or name
                current.setdefault(name, []).append(None)
            depth += 1
            continue
        if tag == END_COLLECTION:
            depth = max(depth - 1, 0)
            continue
        if depth or current is None:
            continue
        name = key or name
        current.setdefault(name, []).append(_value(tag, raw))
    return Response(status, groups)


def _value(tag: int, raw: bytes) -> Any:
    if tag in (INTEGER, ENUM) and len(raw) == 4:
        return struct.unpack(">i", raw)[0]
    if tag == BOOLEAN and len(raw) == 1:
        return raw != b"\x00"
    if tag in _STRINGS:
        if tag in (0x35, 0x36) and len(raw) >= 2:  # with language: skip the language part
            (llen,) = struct.unpack(">H", raw[:2])
            raw = raw[4 + llen :]
        return raw.decode("utf-8", "replace")
    return raw  # dates, resolutions, ranges, out-of-band values: not interpreted


# --- transport ------------------------------------------------------------------------------


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


@dataclass(frozen=True, slots=True)
class Client:
    """One CUPS server. Each call opens a connection of its own: safe from several threads."""

    server: str = "localhost:631"
    timeout: float = 30.0
    user: str = "guidesrc"

    def printer_uri(self, queue: str) -> str:
        return f"ipp://localhost/printers/{urllib.parse.quote(queue, safe='')}"

    def call(self, resource: str, request: bytes, data: bytes = b"") -> Response:
        connection = self._connection()
        try:
            connection.request(
                "POST",
                resource,
                body=request + data,
                headers={"Content-Type": "application/ipp", "Host": "localhost"},
            )
            answer = connection.getresponse()
            body = answer.read(MAX_RESPONSE + 1)
        finally:
            connection.close()
        if answer.status != 200:
            raise IppError(0x0400 if answer.status < 500 else 0x0500, f"HTTP {answer.status}")
        if len(body) > MAX_RESPONSE:
            raise IppError(0x0500, "the IPP response is too large")
        response = decode(body)
        if response.status >= 0x0400:
            message = response.group(OPERATION_GROUP).get("status-message", [""])[0]
            raise IppError(response.status, str(message))
        return response

    def _connection(self) -> http.client.HTTPConnection:
        if self.server.startswith("/"):
            return _UnixConnection(self.server, self.timeout)
        host, port = _host_port(self.server)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    # --- operations -------------------------------------------------------------------------

    def printer(self, queue: str) -> Attributes:
        """The queue's state (``printer-state``, ``printer-state-reasons``,
        ``printer-is-accepting-jobs``, ``printer-state-message``); IppError NOT_FOUND if none."""
        request = encode(
            GET_PRINTER_ATTRIBUTES,
            [
                (URI, "printer-uri", self.printer_uri(queue)),
                (NAME, "requesting-user-name", self.user),
                (
                    KEYWORD,
                    "requested-attributes",
                    [
                        "printer-name",
                        "printer-state",
                        "printer-state-reasons",
                        "printer-state-message",
                        "printer-is-accepting-jobs",
                    ],
                ),
            ],
        )
        return self.call(_printer_path(queue), request).group(PRINTER_GROUP)

    def print_job(
        self, queue: str, pdf: bytes, *, title: str, document: str, copies: int = 1
    ) -> int:
        """Submit ``pdf`` (Print-Job); the job id."""
        attributes: list[tuple[int, str, Any]] = [
            (URI, "printer-uri", self.printer_uri(queue)),
            (NAME, "requesting-user-name", self.user),
            (NAME, "job-name", title),
            (NAME, "document-name", document),
            (MIME_TYPE, "document-format", "application/pdf"),
        ]
        template = [(INTEGER, "copies", copies)] if copies != 1 else []
        request = encode(PRINT_JOB, attributes, template)
        job = self.call(_printer_path(queue), request, pdf).group(JOB_GROUP)
        return int(job["job-id"][0])

    def job(self, queue: str, job_id: int) -> Attributes:
        """A job's ``job-state``, ``job-state-reasons`` and messages; IppError NOT_FOUND if the
        server no longer knows it."""
        request = encode(
            GET_JOB_ATTRIBUTES,
            [
                (URI, "printer-uri", self.printer_uri(queue)),
                (INTEGER, "job-id", job_id),
                (NAME, "requesting-user-name", self.user),
                (KEYWORD, "requested-attributes", _JOB_ATTRIBUTES),
            ],
        )
        return self.call("/jobs/", request).group(JOB_GROUP)

    def jobs(self, queue: str) -> list[Attributes]:
        """Every job the server keeps for ``queue`` (pending and finished), newest first."""
        request = encode(
            GET_JOBS,
            [
                (URI, "printer-uri", self.printer_uri(queue)),
                (NAME, "requesting-user-name", self.user),
                (KEYWORD, "which-jobs", "all"),
                (BOOLEAN, "my-jobs", False),
                (KEYWORD, "requested-attributes", [*_JOB_ATTRIBUTES, "job-id"]),
            ],
        )
        found = self.call(_printer_path(queue), request).all(JOB_GROUP)
        return sorted(found, key=lambda j: -int(j.get("job-id", [0])[0]))


_JOB_ATTRIBUTES = [
    "job-id",
    "job-state",
    "job-state-reasons",
    "job-printer-state-message",
    "document-name-supplied",
]


def _printer_path(queue: str) -> str:
    return f"/printers/{urllib.parse.quote(queue, safe='')}"


def _host_port(server: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]:port`` → (host, port); CUPS' port 631 by default."""
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        return host, int(rest.lstrip(":") or 631)
    host, _, port = server.rpartition(":") if ":" in server else (server, "", "631")
    return host, int(port or 631)
