"""The http channel against a real receiver on 127.0.0.1 that implements the push contract.

The receiver (a ThreadingHTTPServer in a thread) checks every request it gets, and every answer
it gives, against ``schemas/push-api.openapi.yaml``; verifies bearer tokens, and HMAC signatures
with the very function printed in ``docs/push.md``; and is told how to misbehave: answer 500 or
429, answer slowly, drop the connection mid-answer, hold other content (409). Nothing mocks httpx
and nothing sleeps: a slow answer waits on an event that is set when the test ends, and the
adapter's waits between attempts are recorded (an injected ``sleep``) or set to 0 in settings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest
import referencing
import sqlalchemy as sa
import yaml
from referencing.jsonschema import DRAFT202012

from guidesrc.adapters import (
    Delivery,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from guidesrc.adapters.http import HttpAdapter, HttpSettings, signature
from guidesrc.compile import content_hash
from guidesrc.errors import ChannelError
from guidesrc.gaps import has_null, null_free
from guidesrc.ledger import open_ledger
from guidesrc.ledger.models import JSONData
from guidesrc.state import WorkingTree, load_state
from guidesrc.workdays import read_config
from tests.conftest import EXAMPLE, REPO, Library, Run, invoke, withdraw

CONTRACT_FILE = REPO / "schemas" / "push-api.openapi.yaml"
PREFIX = "/api/push"  # the base's own path: signatures cover it
TOKEN = "t0ken-for-tests.1234"
SECRET = "秘密-hmac-secret"  # non-ASCII on purpose: the key is the secret's UTF-8 bytes
SECRET_ENV = "HALL_PUSH_SECRET"
TOKEN_ENV = "HALL_PUSH_TOKEN"
GID = "jumin-shenfenzheng-huanling"  # the guide of `guides init`
SHORT = 0.2  # seconds: the read timeout of the tests of a receiver that answers too late


def allow_hall(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A deployment file that lets channel hall read the test's secret and token variables."""
    deployment = tmp_path_factory.mktemp("deployment") / "deployment.yaml"
    deployment.write_text(
        f"channels:\n  hall:\n    env: [{SECRET_ENV}, {TOKEN_ENV}]\n", encoding="utf-8"
    )
    monkeypatch.setenv("GUIDES_DEPLOYMENT", str(deployment))


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The channel's secrets, which the deployment file lets channel hall read; 127.0.0.1
    reached directly, whatever proxy the machine has."""
    allow_hall(monkeypatch, tmp_path_factory)
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


# --- the contract -----------------------------------------------------------------------------


@cache
def contract() -> dict[str, Any]:
    return dict(yaml.safe_load(CONTRACT_FILE.read_text(encoding="utf-8")))


@cache
def _registry() -> referencing.Registry[Any]:
    resource = referencing.Resource.from_contents(contract(), default_specification=DRAFT202012)
    registry: referencing.Registry[Any] = referencing.Registry()
    return registry.with_resource("urn:push-api", resource)


def schema_errors(ref: str, value: Any) -> list[str]:
    """What is wrong with ``value`` by the contract's ``#/components/...`` schema ``ref``."""
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"urn:push-api#{ref}"},
        registry=_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        found: Any = contract()
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def _schema_ref(node: dict[str, Any]) -> str:
    return str(node["$ref"]).removeprefix("#")


def request_violations(method: str, path: str, headers: dict[str, str], body: bytes) -> list[str]:
    """Everything in one request that the contract does not allow."""
    item = contract()["paths"]["/guides/{id}"]
    operation = item.get(method.lower())
    if operation is None or not re.fullmatch(f"{PREFIX}/guides/[^/]+", path):
        return [f"{method} {path}: no such operation"]
    found = [
        f"path id: {e}"
        for e in schema_errors("/components/schemas/GuideId", path.rsplit("/", 1)[1])
    ]
    for parameter in map(_resolve, item["parameters"]):
        if parameter["in"] != "header":
            continue
        value = headers.get(parameter["name"].lower())
        if value is None:
            if parameter.get("required"):
                found.append(f"header {parameter['name']} is missing")
            continue
        ref = parameter["schema"]
        validator = jsonschema.Draft202012Validator(ref)
        found += [f"header {parameter['name']}: {e.message}" for e in validator.iter_errors(value)]
    if "authorization" not in headers and not (
        "x-guides-signature" in headers and "x-guides-timestamp" in headers
    ):
        found.append("neither a bearer token nor a signature")
    if "requestBody" not in operation:
        return found + ([f"{method} has a body"] if body else [])
    if headers.get("content-type") != "application/json":
        found.append(f"content-type {headers.get('content-type')}")
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return found + [f"body {e}" for e in schema_errors(_schema_ref(schema), json.loads(body))]


def answer_violations(method: str, status: int, kind: str, body: bytes) -> list[str]:
    """Everything in the receiver's answer that the contract does not allow (keeps it honest)."""
    responses = contract()["paths"]["/guides/{id}"][method.lower()]["responses"]
    declared = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if declared is None:
        return [f"{method} answered {status}, which the contract does not list"]
    content = _resolve(declared).get("content")
    if not content:
        return []
    if kind not in content:
        return [f"{method} {status} answered {kind}, not {sorted(content)}"]
    ref = _schema_ref(content[kind]["schema"])
    return [f"{method} {status} body {e}" for e in schema_errors(ref, json.loads(body))]


def documented_verifier() -> Callable[..., bool]:
    """``verify_signature`` exactly as docs/push.md prints it."""
    text = (REPO / "docs" / "push.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    (code,) = [b for b in blocks if "def verify_signature" in b]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/push.md", "exec"), namespace)
    return namespace["verify_signature"]  # type: ignore[no-any-return]


# --- the receiver -----------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None  # None: no answer (dropped, or held until it was too late)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An online hall's side of the contract, in memory, with troubles to order."""

    base: str = ""
    strict_conflicts: bool = False  # answer 409 (with what it holds) to a PUT it already has
    seen: list[Seen] = field(default_factory=list)
    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)  # idempotency keys that changed something
    plan: list[str] = field(default_factory=list)  # troubles for the next requests, one each
    always: str | None = None  # a trouble for every request
    violations: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _replies: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    verify: Callable[..., bool] = field(default_factory=documented_verifier)

    def writes(self) -> list[Seen]:
        return [s for s in self.seen if s.method != "GET"]

    def trouble(self) -> str | None:
        with self.lock:
            return self.plan.pop(0) if self.plan else self.always

    def authentic(self, seen: Seen) -> bool:
        given = seen.headers.get("authorization")
        if given is not None:
            return hmac.compare_digest(given.encode(), f"Bearer {TOKEN}".encode())
        return self.verify(SECRET.encode(), seen.method, seen.path, seen.headers, seen.body)

    def handle(self, seen: Seen) -> tuple[int, dict[str, Any]]:
        """The operation, idempotent per key; what to answer."""
        gid = seen.path.rsplit("/", 1)[1]
        key = seen.headers.get("idempotency-key", "")
        digest = hashlib.sha256(seen.body).hexdigest()
        with self.lock:
            if seen.method == "GET":
                return (
                    (200, self._state(gid)) if gid in self.held else _problem(404, "no such guide")
                )
            if key in self._replies:
                first_digest, status, body = self._replies[key]
                if first_digest != digest:
                    return _problem(422, "Idempotency-Key reused with another body")
                return status, body
            status, body = (
                self._put(gid, seen.json) if seen.method == "PUT" else self._delete(gid, seen.json)
            )
            if 200 <= status < 300:
                self.applied.append(key)
                self._replies[key] = (digest, status, body)
            return status, body

    def _put(self, gid: str, doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        entry = self.held.setdefault(gid, {"current": None, "upcoming": None, "withdrawn": None})
        slot = {k: doc[k] for k in ("version", "content_hash", "effective_date")}
        current = entry["current"]
        same = current is not None and (current["version"], current["content_hash"]) == (
            slot["version"],
            slot["content_hash"],
        )
        newer = current is not None and (
            current["version"] > slot["version"]
            or (current["version"] == slot["version"] and not same)
            or (doc["state"] == "upcoming" and current["version"] >= slot["version"] and not same)
        )
        if newer or (same and self.strict_conflicts):
            return _problem(409, f"version {current['version']} is held", **current)
        if doc["state"] == "current":
            entry["current"], entry["withdrawn"] = slot, None
            if entry["upcoming"] and entry["upcoming"]["version"] <= slot["version"]:
                entry["upcoming"] = None
        elif not same:
            entry["upcoming"] = slot
        return 200, self._state(gid)

    def _delete(self, gid: str, doc: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.held[gid] = {
            "current": None,
            "upcoming": None,
            "withdrawn": {"version": doc["version"], "reason": doc["reason"]},
        }
        return 200, self._state(gid)

    def _state(self, gid: str) -> dict[str, Any]:
        return {"id": gid, **self.held[gid]}


def _problem(status: int, detail: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    return status, {
        "type": "about:blank",
        "title": f"HTTP {status}",
        "status": status,
        "detail": detail,
        **extra,
    }


#: Answers a receiver gives when told to: status → the problem's detail.
TROUBLES = {
    "500": "database is down",
    "422": "materials[0].name: 不能为空",
    "405": "GET is not implemented here",
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen = Seen(
            self.command,
            urlsplit(self.path).path,
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        with receiver.lock:
            receiver.seen.append(seen)
            receiver.violations += request_violations(seen.method, seen.path, seen.headers, body)
        if not receiver.authentic(seen):
            return self._answer(seen, *_problem(401, "X-Guides-Signature does not match"))
        trouble = receiver.trouble()
        if trouble in TROUBLES:
            return self._answer(seen, *_problem(int(trouble), TROUBLES[trouble]))
        if trouble is not None and trouble.startswith("429:"):
            retry = {"Retry-After": trouble.split(":")[1]}
            return self._answer(seen, *_problem(429, "slow down"), headers=retry)
        if trouble == "302":
            return self._answer(seen, 302, {}, headers={"Location": "https://elsewhere.invalid/"})
        status, reply = receiver.handle(seen)  # slow and dropped answers come after the work
        if trouble == "drop":
            self.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"id":')
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if trouble == "slow":
            receiver.release.wait(30)  # set when the test ends: the client gave up long before
            self.close_connection = True
            return None
        return self._answer(seen, status, reply)

    do_PUT = do_GET
    do_DELETE = do_GET

    def _answer(
        self, seen: Seen, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        kind = "application/json" if status < 300 else "application/problem+json"
        receiver = self.server.receiver
        if status != 302:
            with receiver.lock:
                receiver.violations += answer_violations(seen.method, status, kind, data)
        seen.status = status
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", f"req-{len(receiver.seen)}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _serve(receiver: Receiver, tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = receiver
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    receiver.base = f"{scheme}://127.0.0.1:{server.server_address[1]}{PREFIX}"
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join()
    assert receiver.violations == [], "the adapter or the receiver broke the contract"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve(Receiver())


# --- the adapter, driven directly --------------------------------------------------------------


@cache
def _compiled() -> dict[str, Any]:
    state = load_state(WorkingTree(EXAMPLE))
    return dict(state.compiled("chusheng-dengji"))


def delivery(
    action: str = "publish", version: int = 1, guide_id: str = "chusheng-dengji"
) -> Delivery:
    guide = None if action == "withdraw" else {**_compiled(), "id": guide_id}
    return Delivery(
        action=action,  # type: ignore[arg-type]
        guide_id=guide_id,
        version=version,
        name="出生登记",
        effective_date=dt.date(2026, 12, 1),
        approved_at=dt.datetime(2026, 11, 20, 2, 15, tzinfo=dt.UTC),
        content_hash=None if guide is None else content_hash(guide),
        guide=guide,
        notice={
            "guide": guide_id,
            "name": "出生登记",
            "status": "removed" if action == "withdraw" else "added",
            "effective_date": None if action == "withdraw" else "2026-12-01",
            "items": [],
            "text": "新增事项。",
        },
        reason="该事项已划转至市公安局办理" if action == "withdraw" else None,
    )


def _fields(d: Delivery, **changes: Any) -> Delivery:
    """``d`` with some fields changed (a changed guide gets its content hash)."""
    values = {f.name: getattr(d, f.name) for f in dataclasses.fields(d)}
    values.update(changes)
    if "guide" in changes:
        values["content_hash"] = content_hash(changes["guide"])
    return Delivery(**values)


@dataclass
class Push:
    adapter: HttpAdapter
    waits: list[float]


@pytest.fixture
def push(tmp_path: Path) -> Iterator[Callable[..., Push]]:
    """An http adapter for a receiver (hmac unless told), its waits recorded, never slept."""
    made: list[HttpAdapter] = []

    def make(receiver: Receiver, clock: Callable[[], float] = time.time, **settings: Any) -> Push:
        values: dict[str, Any] = {
            "base": receiver.base,
            "auth": "hmac",
            "secret_env": SECRET_ENV,
            # Generous: a loaded machine may take a while to answer; the tests of timeouts set
            # read_timeout=SHORT against a receiver that never answers in time.
            "connect_timeout": 10,
            "read_timeout": 10,
            "backoff": 0.5,
            **settings,
        }
        if values["auth"] == "bearer":
            values.pop("secret_env")
            values.setdefault("token_env", TOKEN_ENV)
        waits: list[float] = []
        adapter = HttpAdapter(
            "hall",
            HttpSettings.model_validate(values),
            tmp_path,
            read_config(EXAMPLE),
            sleep=waits.append,
            clock=clock,
        )
        made.append(adapter)
        return Push(adapter, waits)

    yield make
    for adapter in made:
        adapter.close()


def test_http_publish_puts_the_guide_with_its_key_and_signature(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    p = push(receiver)
    d = delivery()
    receipt = p.adapter.deliver(d)
    (put,) = receiver.seen
    assert (put.method, put.path, put.status) == ("PUT", f"{PREFIX}/guides/chusheng-dengji", 200)
    assert put.headers["idempotency-key"] == f"chusheng-dengji@1:publish:{d.content_hash}"
    assert put.headers["user-agent"].startswith("guidesrc/")
    assert put.headers["x-guides-signature"].startswith("sha256=")
    body = put.json
    assert (body["state"], body["action"], body["version"]) == ("current", "publish", 1)
    assert body["content_hash"] == d.content_hash == content_hash(_compiled())
    assert body["format"] == 2 and body["guide"] == null_free(_compiled())  # no nulls: gaps
    assert body["implementation_code"] == _compiled()["implementation_code"]
    assert receipt == {
        "status": 200,
        "method": "PUT",
        "url": f"{receiver.base}/guides/chusheng-dengji",
        "request_id": "req-1",
        "body_sha256": receipt["body_sha256"],
        "idempotency_key": put.headers["idempotency-key"],
        "attempts": 1,
    }
    assert receiver.held["chusheng-dengji"]["current"]["content_hash"] == d.content_hash
    assert p.waits == []


def test_http_bearer_token(
    receiver: Receiver, push: Callable[..., Push], monkeypatch: pytest.MonkeyPatch
) -> None:
    push(receiver, auth="bearer").adapter.deliver(delivery())
    assert receiver.seen[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert "x-guides-signature" not in receiver.seen[-1].headers
    monkeypatch.setenv(TOKEN_ENV, "stolen")
    with pytest.raises(PermanentDeliveryError) as caught:
        push(receiver, auth="bearer").adapter.deliver(delivery(version=2))
    assert str(caught.value) == (
        f"PUT {receiver.base}/guides/chusheng-dengji：HTTP 401：X-Guides-Signature does not match"
    )


def test_http_a_wrong_secret_is_rejected_and_not_repeated(
    receiver: Receiver, push: Callable[..., Push], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "wrong secret")
    p = push(receiver)
    with pytest.raises(PermanentDeliveryError, match="HTTP 401"):
        p.adapter.deliver(delivery())
    assert [s.status for s in receiver.seen] == [401]
    assert receiver.held == {} and p.waits == []


def test_http_a_signature_outside_the_replay_window_is_rejected(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    stale = push(receiver, clock=lambda: time.time() - 301)
    with pytest.raises(PermanentDeliveryError, match="HTTP 401"):
        stale.adapter.deliver(delivery())
    push(receiver, clock=lambda: time.time() - 250).adapter.deliver(delivery())
    assert [s.status for s in receiver.seen] == [401, 200]


def test_http_the_documented_check_refuses_a_tampered_request() -> None:
    verify = documented_verifier()
    body, now = b'{"id":"x"}', 1_800_000_000
    digest = signature(SECRET, "PUT", "/p/guides/x", str(now), "x@1:withdraw", body)
    headers = {
        "x-guides-timestamp": str(now),
        "x-guides-signature": f"sha256={digest}",
        "idempotency-key": "x@1:withdraw",
    }
    assert verify(SECRET.encode(), "PUT", "/p/guides/x", headers, body, now=now)
    assert not verify(SECRET.encode(), "PUT", "/p/guides/x", headers, body + b" ", now=now)
    assert not verify(SECRET.encode(), "DELETE", "/p/guides/x", headers, body, now=now)
    assert not verify(SECRET.encode(), "PUT", "/p/guides/y", headers, body, now=now)
    assert not verify(
        SECRET.encode(),
        "PUT",
        "/p/guides/x",
        {**headers, "idempotency-key": "x@2:withdraw"},
        body,
        now=now,
    )
    assert not verify(b"other", "PUT", "/p/guides/x", headers, body, now=now)
    assert not verify(SECRET.encode(), "PUT", "/p/guides/x", headers, body, now=now + 301)


def test_http_announce_then_activate(receiver: Receiver, push: Callable[..., Push]) -> None:
    p = push(receiver)
    p.adapter.deliver(delivery("publish", 1))
    announced = _fields(delivery("announce", 2), guide={**_compiled(), "conditions": ["新条件。"]})
    p.adapter.deliver(announced)
    held = receiver.held["chusheng-dengji"]
    assert held["current"]["version"] == 1 and held["upcoming"]["version"] == 2
    assert receiver.seen[-1].json["state"] == "upcoming"
    activated = _fields(announced, action="activate")
    p.adapter.deliver(activated)
    assert receiver.seen[-1].json["state"] == "current"
    assert receiver.seen[-1].headers["idempotency-key"].startswith("chusheng-dengji@2:activate:")
    held = receiver.held["chusheng-dengji"]
    assert held["current"]["version"] == 2 and held["upcoming"] is None


def test_http_withdrawal_is_a_delete_with_the_reason(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    p = push(receiver)
    p.adapter.deliver(delivery("publish", 1))
    receipt = p.adapter.deliver(delivery("withdraw", 2))
    delete = receiver.seen[-1]
    assert (delete.method, delete.status) == ("DELETE", 200)
    assert delete.headers["idempotency-key"] == "chusheng-dengji@2:withdraw"
    assert delete.json["reason"] == "该事项已划转至市公安局办理"
    assert delete.json["state"] == "withdrawn"
    assert receiver.held["chusheng-dengji"] == {
        "current": None,
        "upcoming": None,
        "withdrawn": {"version": 2, "reason": "该事项已划转至市公安局办理"},
    }
    assert receipt["method"] == "DELETE" and receipt["status"] == 200


def test_http_bodies_leave_unknowns_out_and_name_them_in_gaps(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    """Format 2: a value the guide does not state is never a null in a PUT or DELETE body; it is
    left out and its path is in the guide's gaps (the receiver checks every body by the contract,
    whose schemas refuse a null at any depth)."""
    compiled = _compiled()
    unknown = {
        **compiled,
        "basic_code": None,
        "item_type": None,
        "promised_time_limit": None,
        "implementing_body": {**compiled["implementing_body"], "credit_code": None},
        "pending": ["basic_code", "item_type", "promised_time_limit"],
        "gaps": ["appointment", "basic_code", "item_type", "promised_time_limit"],
    }
    assert has_null(unknown)
    p = push(receiver)
    p.adapter.deliver(_fields(delivery(), guide=unknown))
    p.adapter.deliver(delivery("withdraw", 2))  # its notice has no effective date
    put, delete = (seen.json for seen in receiver.seen)
    assert not has_null(put) and not has_null(delete)
    assert "basic_code" not in put and "implementation_code" in put
    guide = put["guide"]
    assert not {"basic_code", "item_type", "promised_time_limit"} & set(guide)
    assert "credit_code" not in guide["implementing_body"]
    assert {"basic_code", "item_type", "promised_time_limit"} <= set(guide["gaps"])
    assert "effective_date" not in delete["notice"] and delete["format"] == 2
    # the contract refuses a null where format 1 sent one
    assert schema_errors("/components/schemas/GuidePut", {**put, "basic_code": None}) != []
    nested = {**put, "guide": {**guide, "online": {"url": None}}}
    assert schema_errors("/components/schemas/GuidePut", nested) != []


def test_http_409_for_the_same_content_counts_as_delivered(push: Callable[..., Push]) -> None:
    d = delivery()
    for receiver in _serve(Receiver(strict_conflicts=True)):
        receiver.held["chusheng-dengji"] = {  # it has this version already (say, from a dump)
            "current": {
                "version": 1,
                "content_hash": d.content_hash,
                "effective_date": "2026-12-01",
            },
            "upcoming": None,
            "withdrawn": None,
        }
        receipt = push(receiver).adapter.deliver(d)
        assert [s.status for s in receiver.seen] == [409]
        assert receipt["status"] == 409 and receipt["already"] is True
        assert receiver.applied == []


def test_http_409_for_other_content_is_a_permanent_failure(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    other = "0" * 64
    receiver.held["chusheng-dengji"] = {
        "current": {"version": 1, "content_hash": other, "effective_date": "2026-11-01"},
        "upcoming": None,
        "withdrawn": None,
    }
    p = push(receiver)
    with pytest.raises(PermanentDeliveryError) as caught:
        p.adapter.deliver(delivery())
    assert str(caught.value) == (
        f"PUT {receiver.base}/guides/chusheng-dengji：HTTP 409：接收方持有不同的内容"
        f"（版本 1，内容哈希 {other}）：version 1 is held"
    )
    assert len(receiver.seen) == 1 and p.waits == []


def test_http_500_then_200_is_retried_within_the_delivery(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    receiver.plan = ["500"]
    p = push(receiver)
    receipt = p.adapter.deliver(delivery())
    assert [s.status for s in receiver.seen] == [500, 200]
    assert receipt["attempts"] == 2 and p.waits == [0.5]
    assert len({s.headers["idempotency-key"] for s in receiver.seen}) == 1
    assert len(receiver.applied) == 1


def test_http_always_500_fails_after_max_attempts_with_growing_waits(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    receiver.always = "500"
    p = push(receiver, max_attempts=4, max_wait=1.5)
    with pytest.raises(TransientDeliveryError) as caught:
        p.adapter.deliver(delivery())
    assert str(caught.value) == (
        f"PUT {receiver.base}/guides/chusheng-dengji：HTTP 500：database is down（已尝试 4 次）"
    )
    assert p.waits == [0.5, 1.0, 1.5]  # doubling, capped by max_wait
    assert len(receiver.seen) == 4 and receiver.held == {}


def test_http_a_slow_answer_times_out_and_the_retry_is_idempotent(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    receiver.plan = ["slow"]  # the receiver stores the guide, but answers too late
    p = push(receiver, read_timeout=SHORT)
    started = time.monotonic()
    receipt = p.adapter.deliver(delivery())
    assert time.monotonic() - started < 2
    assert [s.status for s in receiver.seen] == [None, 200]
    assert receipt["attempts"] == 2
    assert len(receiver.applied) == 1  # the second PUT was answered from the first


def test_http_slow_every_time_is_a_transient_failure(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    receiver.always = "slow"
    p = push(receiver, max_attempts=2, read_timeout=SHORT)
    with pytest.raises(TransientDeliveryError) as caught:
        p.adapter.deliver(delivery())
    assert str(caught.value) == (
        f"PUT {receiver.base}/guides/chusheng-dengji：0.2 秒内没有应答（已尝试 2 次）"
    )
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def test_http_a_dropped_connection_is_retried(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    receiver.plan = ["drop"]
    p = push(receiver)
    receipt = p.adapter.deliver(delivery())
    assert [s.status for s in receiver.seen] == [None, 200]
    assert receipt["attempts"] == 2 and p.waits == [0.5]
    assert len(receiver.applied) == 1
    receiver.always = "drop"
    with pytest.raises(TransientDeliveryError, match="连接失败") as caught:
        p.adapter.deliver(delivery(version=2))
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)


def test_http_a_refused_connection_is_transient(push: Callable[..., Push]) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    nobody = Receiver(base=f"http://127.0.0.1:{port}")
    p = push(nobody, max_attempts=2)
    with pytest.raises(TransientDeliveryError, match=r"连接失败.*（已尝试 2 次）"):
        p.adapter.deliver(delivery())


def test_http_429_waits_as_asked_within_max_wait(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    receiver.plan = ["429:1"]
    p = push(receiver)
    p.adapter.deliver(delivery())
    assert p.waits == [1.0]
    receiver.plan = ["429:3600"]
    with pytest.raises(TransientDeliveryError) as caught:
        p.adapter.deliver(delivery(version=2))
    assert str(caught.value).endswith(
        "接收方要求等待 3600 秒，超过 max_wait（10.0 秒）：guides publish 稍后会再试"
    )
    assert p.waits == [1.0]  # no long sleep


def test_http_other_4xx_is_permanent_with_the_receivers_detail(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    receiver.plan = ["422"]
    p = push(receiver)
    with pytest.raises(PermanentDeliveryError) as caught:
        p.adapter.deliver(delivery())
    assert str(caught.value) == (
        f"PUT {receiver.base}/guides/chusheng-dengji：HTTP 422：materials[0].name: 不能为空"
    )
    assert len(receiver.seen) == 1 and p.waits == []


def test_http_a_redirect_is_not_followed(receiver: Receiver, push: Callable[..., Push]) -> None:
    receiver.plan = ["302"]
    with pytest.raises(PermanentDeliveryError, match=r"重定向到 https://elsewhere\.invalid/"):
        push(receiver).adapter.deliver(delivery())
    assert len(receiver.seen) == 1


def test_http_a_guide_id_that_is_no_path_segment_is_refused(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    bad = _fields(delivery(), guide_id="../admin")
    with pytest.raises(PermanentDeliveryError, match="不是有效的指南标识"):
        push(receiver).adapter.deliver(bad)
    assert receiver.seen == []


def test_http_lookup_says_what_the_receiver_holds(
    receiver: Receiver, push: Callable[..., Push]
) -> None:
    p = push(receiver)
    assert p.adapter.lookup(delivery()) is None  # 404: never had it
    p.adapter.deliver(delivery())
    found = p.adapter.lookup(delivery())
    assert found is not None and found["found"] is True and found["method"] == "GET"
    assert p.adapter.lookup(delivery(version=2)) is None
    assert p.adapter.lookup(delivery("withdraw", 2)) is None
    announced = _fields(delivery("announce", 2), guide={**_compiled(), "conditions": ["新条件。"]})
    assert p.adapter.lookup(announced) is None
    p.adapter.deliver(announced)
    assert p.adapter.lookup(announced) is not None
    assert p.adapter.lookup(_fields(announced, action="activate")) is None
    p.adapter.deliver(delivery("withdraw", 3))
    assert p.adapter.lookup(delivery("withdraw", 3)) is not None
    receiver.plan = ["405"]  # a receiver that cannot say: deliver again
    assert p.adapter.lookup(delivery("withdraw", 3)) is None
    gets = [s for s in receiver.seen if s.method == "GET"]
    assert all(s.body == b"" and "idempotency-key" in s.headers for s in gets)


def test_http_no_httpx_exception_escapes(receiver: Receiver, push: Callable[..., Push]) -> None:
    for trouble in ("500", "slow", "drop", "422", "302", "429:3600"):
        receiver.always = trouble
        with pytest.raises(DeliveryError) as caught:
            push(receiver, max_attempts=1, read_timeout=SHORT).adapter.deliver(delivery())
        assert not isinstance(caught.value, httpx.HTTPError), trouble


# --- TLS ---------------------------------------------------------------------------------------


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[Receiver, Path]]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    bundle = tmp_path / "intranet-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    for receiver in _serve(Receiver(), tls=context):
        yield receiver, bundle


def test_http_tls_is_verified_and_a_ca_bundle_is_trusted(
    tls_receiver: tuple[Receiver, Path], push: Callable[..., Push]
) -> None:
    receiver, bundle = tls_receiver
    with pytest.raises(PermanentDeliveryError, match=r"TLS 证书不受信任.*settings\.ca_bundle"):
        push(receiver).adapter.deliver(delivery())
    assert receiver.seen == []  # nothing was sent to an unverified server
    receipt = push(receiver, ca_bundle=str(bundle)).adapter.deliver(delivery())
    assert receipt["status"] == 200 and receipt["url"].startswith("https://")


# --- settings and start-up ---------------------------------------------------------------------


def test_http_settings_are_strict() -> None:
    good = {"base": "https://hall.example.gov.cn/api/", "auth": "hmac", "secret_env": "S"}
    assert HttpSettings.model_validate(good).base == "https://hall.example.gov.cn/api"
    local = {"base": "http://127.0.0.1:8080", "auth": "bearer", "token_env": "T"}
    assert HttpSettings.model_validate(local).auth == "bearer"  # loopback: nothing in clear
    for wrong in (
        {"base": "ftp://hall.example.gov.cn"},
        {"base": "https://hall.example.gov.cn/api?x=1"},
        {"base": "hall.example.gov.cn"},
        {"auth": "basic"},
        {"secret_env": None},
        {"token_env": "T"},
        {"secret_env": "NOT A NAME"},
        {"read_timeout": 0},
        {"max_attempts": "3"},
        {"verify": False},
        {"auth": "bearer", "secret_env": None, "token_env": "T", "base": "http://hall.gov.cn"},
    ):
        with pytest.raises(ValueError):
            HttpSettings.model_validate({**good, **wrong})


def test_http_a_missing_secret_stops_publish_at_start_up(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_hall(library, "http://127.0.0.1:9/api")
    for value in (None, "", "  "):
        if value is None:
            monkeypatch.delenv(SECRET_ENV)
        else:
            monkeypatch.setenv(SECRET_ENV, value)
        run = invoke("publish", str(library.root))
        assert run.exit_code == 2
        assert run.stderr == (
            f"错误：通道 hall：环境变量 {SECRET_ENV}（settings.secret_env）未设置或为空；"
            "它应当保存该通道的密钥\n"
        )


def test_http_a_token_a_header_cannot_carry_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "two\nlines")
    settings = HttpSettings.model_validate(
        {"base": "https://hall.example.gov.cn", "auth": "bearer", "token_env": TOKEN_ENV}
    )
    with pytest.raises(
        ChannelError, match=f"通道 hall：环境变量 {TOKEN_ENV} 含有令牌不能包含的字符"
    ):
        HttpAdapter("hall", settings, tmp_path, read_config(EXAMPLE))


def test_http_settings_are_checked_by_guides_check(library: Library) -> None:
    _add_hall(library, "ftp://hall.example.gov.cn", auth="hmac", secret_env=None)
    run = library.check()
    assert run.exit_code == 1
    assert "channels.hall.settings.base" in run.stdout
    assert "请写以 https:// 或 http:// 开头的完整地址" in run.stdout
    assert "[channel]" in run.stdout


# --- the contract itself -----------------------------------------------------------------------


def test_http_the_contract_is_valid_openapi_3_1() -> None:
    from openapi_spec_validator import validate

    validate(contract())
    assert contract()["openapi"].startswith("3.1")


def test_http_the_contract_check_is_not_vacuous() -> None:
    body = json.dumps({**contract()["components"]["examples"]["Publish"]["value"], "state": "x"})
    found = request_violations(
        "PUT", f"{PREFIX}/guides/Bad.Id", {"content-type": "application/json"}, body.encode()
    )
    assert any(v.startswith("path id:") for v in found)
    assert "header Idempotency-Key is missing" in found
    assert "neither a bearer token nor a signature" in found
    assert any(v.startswith("body ['state']") for v in found)
    assert answer_violations("PUT", 418, "application/json", b"{}") != []
    assert answer_violations("PUT", 409, "application/problem+json", b'{"detail": "x"}') != []


def test_http_the_contracts_examples_follow_its_schemas() -> None:
    examples = contract()["components"]["examples"]
    assert schema_errors("/components/schemas/GuidePut", examples["Publish"]["value"]) == []
    assert schema_errors("/components/schemas/GuidePut", examples["Announce"]["value"]) == []
    assert schema_errors("/components/schemas/Withdrawal", examples["Withdraw"]["value"]) == []
    assert schema_errors("/components/schemas/Held", examples["Held"]["value"]) == []
    # and the schemas refuse what they should
    wrong_state = {**examples["Announce"]["value"], "state": "current"}
    assert schema_errors("/components/schemas/GuidePut", wrong_state) != []
    extra = {**examples["Withdraw"]["value"], "guide": {}}
    assert schema_errors("/components/schemas/Withdrawal", extra) != []


# --- end to end: guides publish, the ledger, guides status (SQLite and PostgreSQL) --------------


def _add_hall(lib: Library, base: str, **settings: Any) -> None:
    values = {
        "base": base,
        "auth": "hmac",
        "secret_env": SECRET_ENV,
        "connect_timeout": 10,
        "read_timeout": 10,
        "backoff": 0,
        "max_attempts": 2,
        **settings,
    }
    lines = "".join(f"      {k}: {json.dumps(v)}\n" for k, v in values.items() if v is not None)
    lib.edit(
        "library.yaml", "rules: {}", f"  hall:\n    type: http\n    settings:\n{lines}rules: {{}}"
    )


def _publication(lib: Library) -> dict[str, Any]:
    """The newest delivery to the hall, as the ledger has it."""
    ledger = open_ledger(lib.root)
    try:
        with ledger.engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT p.status, p.attempts, p.last_error, p.receipt, p.action, v.content_hash"
                    " FROM publication p JOIN guide_version v ON v.id = p.version_id"
                    " WHERE p.channel = 'hall' ORDER BY p.id DESC"
                ).columns(receipt=JSONData())
            ).first()
    finally:
        ledger.close()
    assert row is not None
    status, attempts, error, receipt, action, hashed = row
    return {
        "status": status,
        "attempts": attempts,
        "last_error": error,
        "receipt": receipt,
        "action": action,
        "content_hash": hashed,
    }


def publish(lib: Library, *args: str) -> Run:
    # --wait: PostgreSQL's publish lock is one per database, and other test runs may hold it.
    return invoke("publish", str(lib.root), "--wait", *args)


@pytest.fixture
def hall(library: Library, receiver: Receiver, database: str) -> Library:
    """The `guides init` library with an http channel to the receiver, its guide approved."""
    _add_hall(library, receiver.base)
    run = invoke(
        "approve",
        str(library.root),
        "--effective",
        "today",
        "--note",
        "首次发布",
    )
    assert run.exit_code == 0, run.stderr
    return library


def test_http_publish_records_the_receipt_in_the_ledger(hall: Library, receiver: Receiver) -> None:
    run = publish(hall)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert f"已送达\t{GID} v1\thall\t发布\n" in run.stdout
    pub = _publication(hall)
    assert (pub["status"], pub["attempts"], pub["last_error"]) == ("delivered", 1, None)
    receipt = pub["receipt"]
    assert receipt["status"] == 200 and receipt["request_id"] == "req-1"
    assert receipt["idempotency_key"] == f"{GID}@1:publish:{pub['content_hash']}"
    (put,) = receiver.seen
    assert (
        receipt["body_sha256"]
        == hashlib.sha256(
            json.dumps(
                receiver._replies[receipt["idempotency_key"]][2], ensure_ascii=False
            ).encode()
        ).hexdigest()
    )
    assert receiver.held[GID]["current"]["content_hash"] == pub["content_hash"]
    assert put.json["notice"]["text"]
    assert publish(hall).stdout == ""  # nothing left: no second request
    assert len(receiver.seen) == 1


def test_http_publish_records_a_failing_receiver_and_delivers_once_it_recovers(
    hall: Library, receiver: Receiver
) -> None:
    receiver.always = "500"
    run = publish(hall)
    assert run.exit_code == 1
    error = f"PUT {receiver.base}/guides/{GID}：HTTP 500：database is down（已尝试 2 次）"
    assert f"失败\t{GID} v1\thall\t发布\t{error}\n" in run.stdout
    assert f"已送达\t{GID} v1\tarchive\t发布\n" in run.stdout  # the other channel went on
    pub = _publication(hall)
    assert (pub["status"], pub["attempts"], pub["last_error"], pub["receipt"]) == (
        "failed",
        1,
        error,
        None,
    )
    status = invoke("status", str(hall.root))
    assert any("hall" in line and "失败" in line and error in line for line in status.lines)
    assert len(receiver.seen) == 2  # max_attempts within the delivery
    # Not due yet (backoff): a plain run leaves it alone.
    assert publish(hall).stdout == ""
    receiver.always = None
    run = publish(hall, "--retry-now")
    assert run.exit_code == 0, run.stdout
    assert run.stdout == f"已送达\t{GID} v1\thall\t发布\n"
    pub = _publication(hall)
    assert (pub["status"], pub["attempts"], pub["last_error"]) == ("delivered", 2, None)
    assert [s.method for s in receiver.seen[2:]] == ["GET", "PUT"]  # lookup (404), then once
    assert len(receiver.applied) == 1


def test_http_publish_records_a_timeout(hall: Library, receiver: Receiver) -> None:
    receiver.always = "slow"
    hall.edit("library.yaml", "read_timeout: 10", f"read_timeout: {SHORT}")
    approved = invoke("approve", str(hall.root), "--effective", "today", "--note", "短超时")
    assert approved.exit_code == 0, approved.stderr
    run = publish(hall)
    assert run.exit_code == 1
    pub = _publication(hall)
    assert pub["status"] == "failed"
    assert pub["last_error"] == (
        f"PUT {receiver.base}/guides/{GID}：0.2 秒内没有应答（已尝试 2 次）"
    )


def test_http_publish_records_a_conflict_as_permanent(hall: Library, receiver: Receiver) -> None:
    receiver.held[GID] = {
        "current": {"version": 7, "content_hash": "1" * 64, "effective_date": "2026-01-01"},
        "upcoming": None,
        "withdrawn": None,
    }
    run = publish(hall)
    assert run.exit_code == 1
    pub = _publication(hall)
    assert pub["status"] == "failed" and pub["attempts"] == 1
    assert pub["last_error"].startswith(
        f"PUT {receiver.base}/guides/{GID}：HTTP 409：接收方持有不同的内容（版本 7，"
    )
    assert len(receiver.seen) == 1


def test_http_publish_records_a_rejected_signature(
    hall: Library, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "not the secret")
    assert publish(hall).exit_code == 1
    pub = _publication(hall)
    assert pub["status"] == "failed"
    assert pub["last_error"] == (
        f"PUT {receiver.base}/guides/{GID}：HTTP 401：X-Guides-Signature does not match"
    )
    assert [s.status for s in receiver.seen] == [401]
    assert receiver.held == {}


def test_http_publish_withdraws_with_a_delete(hall: Library, receiver: Receiver) -> None:
    assert publish(hall).exit_code == 0
    run = withdraw(hall.root, GID, "该事项已划转至市公安局办理")
    assert run.exit_code == 0, run.stderr
    run = publish(hall)
    assert run.exit_code == 0, run.stdout
    assert f"已送达\t{GID} v2\thall\t撤回\n" in run.stdout
    delete = receiver.seen[-1]
    assert delete.method == "DELETE" and delete.status == 200
    assert delete.json["reason"] == "该事项已划转至市公安局办理"
    assert delete.headers["idempotency-key"] == f"{GID}@2:withdraw"
    pub = _publication(hall)
    assert (pub["status"], pub["action"], pub["receipt"]["method"]) == (
        "delivered",
        "withdraw",
        "DELETE",
    )
    assert receiver.held[GID]["withdrawn"]["version"] == 2


@pytest.mark.slow
def test_http_publish_after_a_crash_finds_the_put_and_sends_nothing_again(
    hall: Library, receiver: Receiver
) -> None:
    crashed = subprocess.run(
        [sys.executable, "-m", "guidesrc", "publish", str(hall.root), "--wait"],
        capture_output=True,
        text=True,
        env={**os.environ, "GUIDES_FAULT": "http.answered"},
        check=False,
    )
    assert crashed.returncode == -9, crashed.stderr  # killed after the PUT, before the ledger
    assert [(s.method, s.status) for s in receiver.seen] == [("PUT", 200)]
    assert _publication(hall)["status"] == "sending"
    run = publish(hall)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert [(s.method, s.status) for s in receiver.seen] == [("PUT", 200), ("GET", 200)]
    pub = _publication(hall)
    assert (pub["status"], pub["attempts"]) == ("delivered", 2)
    assert pub["receipt"]["found"] is True and pub["receipt"]["method"] == "GET"
