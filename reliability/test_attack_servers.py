"""Attacks on `guides serve` and `guides kiosk` from inside the service centre (issue 16,
reproductions 5 and 8): a page of another site reading drafts through DNS rebinding, folder
listings, an invalid library answered with empty replies, connections held open for ever, a double
tap printed twice, a kiosk left busy by a citizen who walked away, and a preview that does not stop
on Ctrl-C while a browser keeps connections open.

Real servers on 127.0.0.1 (the library's own code, the CLI as its own process where a signal is
sent), raw sockets where the attack is at the HTTP level, a real CUPS scheduler for the prints.
Nothing waits by sleeping: a socket read or a process wait with a generous timeout is the bound.
"""

from __future__ import annotations

import http.client
import re
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from guidesrc.print.ipp import Client
from guidesrc.print.queue import Queue
from tests import test_kiosk
from tests.conftest import Library
from tests.cups_server import cups  # noqa: F401  (the fixture)
from tests.test_kiosk import GID, QUEUE, Hall

pytestmark = pytest.mark.section("Attacks from inside the service centre")

#: The kiosk tests' hall (a published print bundle, a kiosk on it, a real CUPS), under a name of
#: its own here ("hall" is another fixture in the reliability suite).
kiosk_hall = test_kiosk.hall

DRAFT = "草稿，未经审核"
HELD = 60.0  # seconds a test waits for the server to close a connection (its timeouts are ~10 s)
STOP = 20.0  # seconds a server process gets to exit after SIGINT / SIGTERM


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def preview(example: Library) -> Iterator[Any]:
    """`guides serve`'s server on the example library (no ledger: every guide is a draft)."""
    from guidesrc.site.preview import start_preview

    server = start_preview(example.root, 0)
    server.serve()
    try:
        yield server
    finally:
        server.close()


def ask(port: int, path: str, host: str | None = None, method: str = "GET") -> tuple[int, str]:
    """One request on a connection of its own; (status, body). An empty reply is status 0."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HELD)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"127.0.0.1:{port}" if host is None else host)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return 0, ""
    finally:
        connection.close()


def still_open(socks: list[socket.socket]) -> int:
    """How many of ``socks`` the server has not closed (read to their end) within :data:`HELD`
    seconds, waiting on all of them at once."""
    deadline = time.monotonic() + HELD
    waiting = list(socks)
    while waiting and (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select(waiting, [], [], left)
        for sock in readable:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                waiting.remove(sock)
    for sock in socks:
        sock.close()
    return len(waiting)


def open_connections(port: int) -> list[socket.socket]:
    """What a browser (and a slow or idle attacker) leaves open: two connections that sent
    nothing (Chromium pre-connects), two that sent half a request, and two kept alive after an
    answer."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=HELD) for _ in range(6)]
    head = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    for sock in socks[2:4]:
        sock.sendall(head.encode())
    for sock in socks[4:]:
        sock.sendall((head + "Connection: keep-alive\r\n\r\n").encode())
        received = b""
        while b"\r\n\r\n" not in received:  # the answer's head, at least
            chunk = sock.recv(65536)
            assert chunk, "the server closed a keep-alive connection at once"
            received += chunk
    return socks


@contextmanager
def cli_server(*args: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """A `guides` server command as its own process; yields it and its 127.0.0.1 port once it
    says it listens (killed at the end if it is still running)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "guidesrc", *args, "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    watchdog = threading.Timer(120, process.kill)  # one that never comes up fails the test
    watchdog.start()
    said = []
    try:
        for line in process.stderr:
            said.append(line)
            if found := re.search(r"http://127\.0\.0\.1:(\d+)/", line):
                break
        else:
            pytest.fail("the server stopped before serving:\n" + "".join(said))
        watchdog.cancel()
        yield process, int(found.group(1))
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stderr.close()


def exits_after(process: subprocess.Popen[str], sig: signal.Signals) -> bool:
    """Whether ``process`` exits (code 0) within :data:`STOP` seconds of ``sig``."""
    assert process.stderr is not None
    process.send_signal(sig)
    drain = threading.Thread(target=process.stderr.read, daemon=True)  # never blocks its writes
    drain.start()
    try:
        return process.wait(STOP) == 0
    except subprocess.TimeoutExpired:
        return False


# --- guides serve ------------------------------------------------------------------------------

REBINDING_HOSTS = [
    "attacker.example",
    "attacker.example:{port}",
    "127.0.0.1.attacker.example:{port}",
    "localhost.attacker.example",
    "[::2]:{port}",
    "",
]


def test_a_dns_rebinding_page_reads_no_draft(preview: Any, figures: Any) -> None:
    port = preview.port
    status, page = ask(port, f"/guides/{GID}.html")
    assert status == 200 and DRAFT in page  # the draft is there for the editor
    read = 0
    for host in REBINDING_HOSTS:
        status, page = ask(port, f"/guides/{GID}.html", host=host.format(port=port))
        read += status == 200 or DRAFT in page
        assert status == 400, host
    for host in ("localhost", f"localhost:{port}", f"[::1]:{port}"):
        assert ask(port, "/", host=host)[0] == 200  # the names of this computer still work
    figures.add("Host headers of other sites tried on `guides serve`", len(REBINDING_HOSTS))
    figures.add("drafts read through a DNS-rebinding Host", read, "0")
    assert read == 0


LISTED = ["/guides/", "/static/", "/by/", "/by/theme/", "/api/", "/notices/", "/withdrawn/"]


def test_no_folder_of_the_preview_is_listed(preview: Any, figures: Any) -> None:
    listed = 0
    for path in LISTED:
        status, page = ask(preview.port, path)
        listed += status == 200 and "Directory listing" in page
        if not (preview.folder / path.strip("/") / "index.html").exists():
            assert status == 404, path  # a folder without index.html is not found
    figures.add("folders of the preview requested", len(LISTED))
    figures.add("folder listings shown", listed, "0")
    assert listed == 0


def test_an_invalid_library_is_answered_with_its_problems(
    preview: Any, example: Library, figures: Any
) -> None:
    rel = f"guides/{GID}.yaml"
    text = example.read(rel)
    line = text.splitlines().index(next(t for t in text.splitlines() if t.startswith("name:"))) + 1
    example.write(rel, text.replace("name:", "nmae:", 1))  # an unknown field, a missing one
    preview._checked = 0.0  # let the next request look at the files at once
    empty = unlocated = 0
    for path in ("/", f"/guides/{GID}.html", "/search.html", "/guides/"):
        status, page = ask(preview.port, path)
        empty += status == 0 or not page
        unlocated += f"{rel}:{line}:" not in page
        assert status == 500 and "资料库有错误" in page, page
    figures.add("requests answered with an empty reply while the library is invalid", empty, "0")
    figures.add("error pages without the file:line of the problem", unlocated, "0")
    assert (empty, unlocated) == (0, 0)
    example.write(rel, text)  # fixed: the site is back on the next page
    preview._checked = 0.0
    assert ask(preview.port, f"/guides/{GID}.html")[0] == 200


def test_idle_and_slow_connections_are_closed(preview: Any, kiosk_hall: Hall, figures: Any) -> None:
    hall = kiosk_hall
    held = still_open(open_connections(preview.port) + open_connections(hall.kiosk.port))
    figures.add("idle, half-sent and kept-alive connections opened (serve, kiosk)", 12)
    figures.add(f"connections still open after {HELD:.0f} s", held, "0")
    assert held == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_servers_stop_promptly_with_connections_open(
    example: Library, kiosk_hall: Hall, sig: signal.Signals, figures: Any
) -> None:
    hall = kiosk_hall
    kiosk = ("kiosk", str(hall.lib.root), "--queue", QUEUE, "--server", hall.cups.server)
    late = 0
    for command in (("serve", str(example.root)), kiosk):
        with cli_server(*command) as (process, port):
            socks = open_connections(port)
            late += not exits_after(process, sig)
            for sock in socks:
                sock.close()
    figures.add(
        f"serve and kiosk not exited cleanly within {STOP:.0f} s of {sig.name}, 6 connections open",
        late,
        "0",
    )
    assert late == 0


# --- guides kiosk: printing ------------------------------------------------------------------


def print_tap(hall: Hall, tap: str) -> tuple[int, str]:
    """The 打印 form of the guide page, sent with ``tap``; (status, Location)."""
    body = f"token={hall.kiosk.token}&tap={tap}".encode()
    connection = http.client.HTTPConnection("127.0.0.1", hall.kiosk.port, timeout=HELD)
    try:
        connection.request(
            "POST",
            f"/guide/{GID}/print",
            body=body,
            headers={
                "Host": hall.host,
                "Origin": f"http://{hall.host}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        answer = connection.getresponse()
        answer.read()
        return answer.status, answer.getheader("Location") or ""
    finally:
        connection.close()


def finish(hall: Hall, location: str) -> None:
    """Wait (on CUPS, not on the kiosk) until the job at ``location`` has printed."""
    job = int(location.rsplit("/", 1)[1])
    Queue(QUEUE, hall.cups.server).wait(job, timeout=120)


def test_a_double_tap_prints_once(kiosk_hall: Hall, figures: Any) -> None:
    hall = kiosk_hall
    before = len(Client(hall.cups.server).jobs(QUEUE))
    tap = secrets.token_urlsafe(16)
    start = threading.Barrier(8)
    answers: list[tuple[int, str]] = []

    def one() -> None:
        start.wait(HELD)
        answers.append(print_tap(hall, tap))

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HELD * 2)
    jobs = len(Client(hall.cups.server).jobs(QUEUE)) - before
    figures.add("print requests sent at once for one tap of 打印", len(answers))
    figures.add("jobs printed for that one tap", jobs, "1")
    for location in {location for status, location in answers if status == 303}:
        finish(hall, location)
    assert jobs == 1
    assert set(answers) == {answers[0]} and answers[0][0] == 303, answers


def test_leaving_mid_print_does_not_leave_the_kiosk_busy(kiosk_hall: Hall, figures: Any) -> None:
    hall = kiosk_hall
    refused = 0
    for _ in range(3):
        status, location = print_tap(hall, secrets.token_urlsafe(16))
        refused += status == 409
        if status == 303:  # the citizen left: nobody asks the kiosk how the job went
            finish(hall, location)
    figures.add("prints in a row, each page left before its job ended", 3)
    figures.add("later prints refused as busy (409)", refused, "0")
    assert refused == 0
