"""The local web servers' shared stack (guidesrc/web/server.py) as `guides serve` uses it: the
page shown while the library is invalid, error pages in Chinese, the Host allow-list, HEAD, and
the connection cap. Real servers on 127.0.0.1, read over real sockets."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from guidesrc.web.server import Limits, WebServer, bind, make_app
from tests.conftest import Library

GID = "jiehun-dengji"
RULE = f"guides/{GID}.yaml"


def ask(
    port: int, path: str, *, method: str = "GET", host: str | None = None
) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"127.0.0.1:{port}" if host is None else host)
        connection.endheaders()
        answer = connection.getresponse()
        headers = {k.lower(): v for k, v in answer.getheaders()}
        return answer.status, headers, answer.read().decode("utf-8")
    finally:
        connection.close()


def started(root: Any) -> Any:
    from guidesrc.site.preview import start_preview

    preview = start_preview(root, 0)
    preview.serve()
    return preview


@pytest.fixture
def broken(example: Library) -> Iterator[tuple[Any, Library, str]]:
    """A preview started on the example library with one guide wrong (an unknown field, a
    missing one); yields it, the library and the line of the unknown field."""
    text = example.read(RULE)
    lines = text.splitlines()
    line = next(n for n, t in enumerate(lines, 1) if t.startswith("name:"))
    example.write(RULE, text.replace("name:", "nmae:", 1))
    preview = started(example.root)
    try:
        yield preview, example, str(line)
    finally:
        preview.close()


def test_serve_shows_the_problems_of_an_invalid_library_in_chinese(
    broken: tuple[Any, Library, str],
) -> None:
    preview, _lib, line = broken
    assert preview.problem is not None  # it started all the same: the editor fixes and reloads
    status, headers, page = ask(preview.port, f"/guides/{GID}.html")
    assert status == 500
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert "<title>无法显示预览</title>" in page
    assert "资料库有错误，无法显示预览。请修正下列问题，然后刷新本页。" in page
    assert (
        f"<li>{RULE}:{line}:1: nmae: 未知字段“nmae”（修改建议：是不是要写“name”？） [schema]</li>"
        in page
    )
    assert f"{RULE}:" in page and "缺少必填字段“name”" in page
    assert "Traceback" not in page
    for path in ("/", "/static/site.css", "/search.html"):  # every request, not an empty reply
        assert ask(preview.port, path)[0] == 500


def test_serve_shows_the_site_again_once_the_library_is_fixed(
    broken: tuple[Any, Library, str],
) -> None:
    preview, lib, _line = broken
    lib.edit(RULE, "nmae:", "name:")
    preview._checked = 0.0  # let the next page request look at the files at once
    status, _headers, page = ask(preview.port, f"/guides/{GID}.html")
    assert status == 200 and "内地居民结婚登记" in page
    assert preview.problem is None


def test_serve_lists_where_a_yaml_syntax_error_is(example: Library) -> None:
    line = next(
        n for n, t in enumerate(example.read(RULE).splitlines(), 1) if t.startswith("name:")
    )
    example.edit(RULE, "name:", "name: [unclosed")
    preview = started(example.root)
    try:
        status, _headers, page = ask(preview.port, "/")
        assert status == 500 and f"<li>{RULE}:{line}:7: 此处的括号没有闭合" in page, page
    finally:
        preview.close()


@pytest.fixture
def preview(example: Library) -> Iterator[Any]:
    server = started(example.root)
    try:
        yield server
    finally:
        server.close()


def test_serve_refusals_are_pages_in_chinese(preview: Any) -> None:
    port = preview.port
    status, _headers, page = ask(port, "/", host="rebound.example:80")
    assert status == 400 and "请求的主机名不属于本机，已拒绝。" in page
    status, headers, page = ask(port, "/", method="POST")
    assert status == 405 and "该页面不接受这种请求。" in page
    assert set(headers["allow"].split(", ")) == {"GET", "HEAD"}
    status, _headers, page = ask(port, "/no-such-page.html")
    assert status == 404 and "<!DOCTYPE html>" in page  # the site's own 404 page
    status, headers, page = ask(port, f"/guides/{GID}.html", method="HEAD")
    assert status == 200 and page == "" and int(headers["content-length"]) > 1000
    status, _headers, _page = ask(port, "/guides")  # a folder: its index, never a listing
    assert status in (307, 404)


def test_a_server_over_its_connection_cap_answers_503() -> None:
    async def hello(request: Request) -> Response:
        return PlainTextResponse("你好")

    sockets, warnings = bind(("127.0.0.1",), 0)
    assert warnings == []
    server = WebServer(make_app([Route("/", hello)]), sockets, Limits(connections=3))
    server.start()
    held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
    try:
        status, _headers, _page = ask(server.port, "/")
        assert status == 503
        for sock in held:
            sock.close()
        # Closed connections free their places (the server sees the close: asked until it has).
        for _ in range(1000):
            status, _headers, page = ask(server.port, "/")
            if status == 200:
                break
        assert (status, page) == (200, "你好")
    finally:
        server.stop()


def test_bind_says_which_address_it_cannot_listen_on() -> None:
    sockets, _ = bind(("127.0.0.1",), 0)
    port = sockets[0].getsockname()[1]
    try:
        with pytest.raises(OSError):
            bind(("127.0.0.1",), port)  # the first address must bind
        more, warnings = bind(("127.0.0.1", "127.0.0.1"), 0)  # a later one is left out
        assert len(more) == 1 and warnings and "127.0.0.1:" in warnings[0]
        for sock in more:
            sock.close()
    finally:
        for sock in sockets:
            sock.close()
