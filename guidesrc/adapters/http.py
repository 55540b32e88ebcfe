"""The http channel: push every delivery to an online hall's API, by the push contract.

::

    PUT    {base}/guides/{id}   publish, announce, activate: the compiled guide with its version,
                                content hash, effective date, state (current | upcoming), notice
    DELETE {base}/guides/{id}   withdraw, with the reason (JSON body)
    GET    {base}/guides/{id}   what the receiver holds: the lookup after a crash

The contract is ``schemas/push-api.openapi.yaml``; ``docs/push.md`` explains it to integrators.
Bodies are null-free (format 2): a value the guide does not state is left out and named in the
compiled guide's ``gaps`` list (:func:`guidesrc.gaps.null_free`, as in the mobile feed).
Every request carries ``Idempotency-Key`` (the delivery key and the content hash) and is
authenticated by a bearer token or an HMAC-SHA256 signature, the secret read from the environment
variable the settings name. Failures are classified here, at the boundary; no httpx exception
leaves this module::

    DeliveryError
    ├── TransientDeliveryError   refused or dropped connection, timeout, HTTP 5xx, 408, 429:
    │                            retried within the delivery (max_attempts, a short backoff), then
    │                            left to the publisher's schedule
    └── PermanentDeliveryError   any other 4xx, 409 for other content, a redirect, an untrusted
                                 TLS certificate: not retried within the delivery
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import os
import re
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit

import httpx
import orjson
from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from guidesrc import __version__, faults
from guidesrc.adapters import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from guidesrc.adapters.base import Adapter, AdapterSettings, Delivery, Receipt, Shown
from guidesrc.errors import ChannelError
from guidesrc.gaps import null_free
from guidesrc.i18n import _
from guidesrc.model.common import ID_RE
from guidesrc.statuses import Action

if TYPE_CHECKING:
    from guidesrc.model.library import LibraryConfig

#: The bodies' format. 2: no nulls; unknown facts left out and named in the guide's "gaps".
FORMAT = 2
TIMESTAMP = "X-Guides-Timestamp"
SIGNATURE = "X-Guides-Signature"
REQUEST_ID = "X-Request-Id"
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # what a bearer token may hold: visible ASCII


class HttpSettings(AdapterSettings):
    base: str  # https://hall.example.gov.cn/api/v1 — the guides live under {base}/guides/
    auth: Literal["bearer", "hmac"]
    token_env: str | None = Field(default=None, pattern=_ENV_NAME)  # for bearer
    secret_env: str | None = Field(default=None, pattern=_ENV_NAME)  # for hmac
    connect_timeout: float = Field(default=5.0, gt=0, le=60)  # seconds
    read_timeout: float = Field(default=30.0, gt=0, le=300)  # seconds, between bytes
    max_attempts: int = Field(default=3, ge=1, le=10)  # within one delivery
    backoff: float = Field(default=1.0, ge=0, le=10)  # first wait between attempts; doubles
    max_wait: float = Field(default=10.0, ge=0, le=60)  # longest wait within a delivery
    ca_bundle: str | None = None  # PEM file trusted instead of the public CAs (an intranet CA)

    @field_validator("base")
    @classmethod
    def _base(cls, value: str) -> str:
        parts = urlsplit(value)
        if (
            parts.scheme not in ("https", "http")
            or not parts.hostname
            or parts.query
            or parts.fragment
            or parts.username
            or any(c.isspace() for c in value)
        ):
            raise PydanticCustomError(
                "base_url",
                _("write a full address starting with https:// or http://, without ? or #"),
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _secret_named(self) -> HttpSettings:
        wanted = "token_env" if self.auth == "bearer" else "secret_env"
        unused = "secret_env" if self.auth == "bearer" else "token_env"
        if getattr(self, wanted) is None:
            raise PydanticCustomError(
                "auth_secret",
                _(
                    "auth {auth} needs {setting}: the name of the environment variable that holds the secret"
                ),
                {"auth": self.auth, "setting": wanted},
            )
        if getattr(self, unused) is not None:
            raise PydanticCustomError(
                "auth_secret",
                _("auth {auth} does not use {setting}; remove it"),
                {"auth": self.auth, "setting": unused},
            )
        parts = urlsplit(self.base)
        if self.auth == "bearer" and parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise PydanticCustomError(
                "auth_in_clear",
                _(
                    "a bearer token would travel in clear over http://; use https://, or auth hmac (a signature does not reveal the secret)"
                ),
            )
        return self


class HttpAdapter(Adapter[HttpSettings]):
    Settings = HttpSettings
    readable = True  # GET {base}/guides/{id}
    incremental = True  # a request per delivery

    def __init__(
        self,
        channel: str,
        settings: HttpSettings,
        library: Path,
        config: LibraryConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(channel, settings, library, config)
        self._sleep = sleep  # the wait between attempts (tests pass one that records)
        self._clock = clock  # the signature's timestamp
        self._secret = self._read_secret()
        self._client = httpx.Client(
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            verify=self._trust(),
            follow_redirects=False,
            headers={"User-Agent": f"guidesrc/{__version__}", "Accept": "application/json"},
        )

    @property
    def where(self) -> str:
        return self.settings.base

    def deliver(self, delivery: Delivery) -> Receipt:
        if delivery.action == Action.WITHDRAW:
            response, attempts = self._deliver("DELETE", delivery, withdrawal_body(delivery))
        else:
            response, attempts = self._deliver("PUT", delivery, guide_body(delivery))
        faults.point("http.answered")
        if response.is_success:
            return receipt(response, attempts)
        if response.status_code == 409 and delivery.action != Action.WITHDRAW:
            held = _json(response)
            if held.get("version") == delivery.version and (
                held.get("content_hash") == delivery.content_hash
            ):
                return receipt(response, attempts, already=True)  # it has exactly this
            raise PermanentDeliveryError(conflict_message(response, held))
        raise refusal(response)

    def lookup(self, delivery: Delivery) -> Receipt | None:
        response, attempts = self._deliver("GET", delivery, None)
        if response.status_code in (404, 405, 501):
            return None  # never had this guide, or cannot say: deliver again (idempotent)
        if not response.is_success:
            raise refusal(response)
        if holds(_json(response), delivery):
            return receipt(response, attempts, found=True)
        return None

    def read_back(self, guide_id: str, expected: Shown | None = None) -> Shown | None:
        """What the receiver holds for the guide (``GET``), None for 404 or 410. The request's
        Idempotency-Key names ``expected``, the delivery the ledger says the receiver has."""
        want = expected or {}
        withdrawn = want.get("state") == "withdrawn"
        key = delivery_key(
            guide_id,
            int(want.get("version", 0)),
            "withdraw" if withdrawn else "publish",
            None if withdrawn else want.get("content_hash"),
        )
        response, _attempts = self._send("GET", guide_id, key, None)
        if response.status_code in (404, 410):
            return None
        if not response.is_success:
            raise refusal(response)
        return shown_entry(_json(response))

    def close(self) -> None:
        self._client.close()

    # --- requests ---------------------------------------------------------------------------

    def _deliver(
        self, method: str, delivery: Delivery, body: dict[str, Any] | None
    ) -> tuple[httpx.Response, int]:
        return self._send(method, delivery.guide_id, idempotency_key(delivery), body)

    def _send(
        self, method: str, guide_id: str, key: str, body: dict[str, Any] | None
    ) -> tuple[httpx.Response, int]:
        """The first answer that is not worth repeating, and the attempts it took; a
        TransientDeliveryError when every attempt failed."""
        url = f"{self.settings.base}/guides/{path_segment(guide_id)}"
        content = orjson.dumps(body) if body is not None else b""
        attempts = self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            wait: float | None = None
            try:
                response = self._client.send(self._request(method, url, key, content))
            except httpx.HTTPError as exc:
                failure = transport_failure(method, url, exc, self.settings)
                failure.__cause__ = exc
            else:
                if not retryable(response.status_code):
                    return response, attempt
                failure = refusal(response, TransientDeliveryError)
                wait = retry_after(response, self._clock())
                if wait is not None and wait > self.settings.max_wait:
                    raise TransientDeliveryError(
                        _(
                            "{error}; the receiver asks to wait {seconds} s, longer than max_wait ({limit} s): guides publish tries again later"
                        ).format(error=failure, seconds=round(wait), limit=self.settings.max_wait)
                    )
            if isinstance(failure, PermanentDeliveryError):
                raise failure
            if attempt == attempts:
                break
            self._sleep(wait if wait is not None else self._backoff(attempt))
        raise TransientDeliveryError(
            _("{error} (tried {attempts} times)").format(error=failure, attempts=attempts)
        ) from failure.__cause__

    def _backoff(self, attempt: int) -> float:
        return min(self.settings.backoff * 2.0 ** (attempt - 1), self.settings.max_wait)

    def _request(self, method: str, url: str, key: str, content: bytes) -> httpx.Request:
        headers = {"Idempotency-Key": key}
        if content:
            headers["Content-Type"] = "application/json"
        request = self._client.build_request(method, url, content=content or None, headers=headers)
        if self.settings.auth == "bearer":
            request.headers["Authorization"] = f"Bearer {self._secret}"
        else:  # signed afresh for every attempt: a retry stays inside the replay window
            timestamp = str(int(self._clock()))
            path = request.url.raw_path.decode("ascii")
            digest = signature(self._secret, method, path, timestamp, key, content)
            request.headers[TIMESTAMP] = timestamp
            request.headers[SIGNATURE] = f"sha256={digest}"
        return request

    # --- start-up ---------------------------------------------------------------------------

    def _read_secret(self) -> str:
        setting = "token_env" if self.settings.auth == "bearer" else "secret_env"
        name = getattr(self.settings, setting)
        value = os.environ.get(name, "")
        if not value.strip():
            raise ChannelError(
                _(
                    "channel {channel}: the environment variable {name} (settings.{setting}) is not set or empty; it must hold the channel's secret"
                ).format(channel=self.channel, name=name, setting=setting)
            )
        if self.settings.auth == "bearer" and not _HEADER_SAFE.fullmatch(value):
            raise ChannelError(
                _(
                    "channel {channel}: the environment variable {name} holds characters a token cannot have (spaces, line breaks or non-ASCII)"
                ).format(channel=self.channel, name=name)
            )
        return value

    def _trust(self) -> ssl.SSLContext | bool:
        if self.settings.ca_bundle is None:
            return True  # the public CAs (certifi); verification is never switched off
        path = self.library / self.settings.ca_bundle
        try:
            return ssl.create_default_context(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise ChannelError(
                _(
                    "channel {channel}: settings.ca_bundle: {path} cannot be read as PEM certificates: {error}"
                ).format(channel=self.channel, path=path, error=exc)
            ) from exc


# --- the contract ---------------------------------------------------------------------------


def guide_body(delivery: Delivery) -> dict[str, Any]:
    """The PUT body: this version is the guide now (current) or from its effective date (upcoming).

    ``content_hash`` names the approved version (taken over the compiled guide as the ledger
    holds it, where an unknown is a null): receivers compare it, they do not recompute it from
    the null-free ``guide``."""
    guide = delivery.guide or {}
    return null_free(
        {
            **_common(delivery),
            "state": "upcoming" if delivery.action == Action.ANNOUNCE else "current",
            "content_hash": delivery.content_hash,
            "implementation_code": guide.get("implementation_code"),
            "basic_code": guide.get("basic_code"),
            "guide": delivery.guide,
        }
    )


def withdrawal_body(delivery: Delivery) -> dict[str, Any]:
    """The DELETE body: the guide is taken down, with the reason shown to the public."""
    return null_free({**_common(delivery), "state": "withdrawn", "reason": delivery.reason})


def _common(delivery: Delivery) -> dict[str, Any]:
    approved = delivery.approved_at
    if approved.tzinfo is None:
        approved = approved.replace(tzinfo=dt.UTC)
    return {
        "format": FORMAT,
        "id": delivery.guide_id,
        "name": delivery.name,
        "action": delivery.action,
        "version": delivery.version,
        "effective_date": delivery.effective_date.isoformat(),
        "approved_at": approved.isoformat(),
        "notice": delivery.notice,
    }


def idempotency_key(delivery: Delivery) -> str:
    """The delivery key and the content hash: ``hukou-qianru@3:publish:<sha256>``."""
    return delivery_key(delivery.guide_id, delivery.version, delivery.action, delivery.content_hash)


def delivery_key(guide_id: str, version: int, action: str, content_hash: str | None) -> str:
    """``{id}@{version}:{action}[:{content_hash}]``, as :attr:`Delivery.key` with the hash."""
    key = f"{guide_id}@{version}:{action}"
    return key if content_hash is None else f"{key}:{content_hash}"


def signature(secret: str, method: str, path: str, timestamp: str, key: str, body: bytes) -> str:
    """HMAC-SHA256 (hex) over method, path, timestamp, idempotency key and the body's SHA-256."""
    message = "\n".join([method, path, timestamp, key, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def path_segment(guide_id: str) -> str:
    """The guide id as a path segment: ids are ``[a-z0-9_-]``; anything else is refused."""
    if not ID_RE.match(guide_id):
        raise PermanentDeliveryError(_('"{id}" is not a valid guide id').format(id=guide_id))
    return quote(guide_id, safe="")


def holds(held: dict[str, Any], delivery: Delivery) -> bool:
    """Whether a GET answer shows that the receiver already has this delivery."""

    def has(slot: str) -> bool:
        entry = held.get(slot)
        return (
            isinstance(entry, dict)
            and entry.get("version") == delivery.version
            and entry.get("content_hash") == delivery.content_hash
        )

    if delivery.action == Action.WITHDRAW:
        gone = held.get("withdrawn")
        return isinstance(gone, dict) and gone.get("version") == delivery.version
    if delivery.action == Action.ANNOUNCE:
        return has("upcoming") or has("current")  # announced, or even in force already
    return has("current")


def shown_entry(held: dict[str, Any]) -> Shown | None:
    """A GET answer (``{current, upcoming, withdrawn}``) as what the channel shows of the guide,
    in the form of the signed manifests' entries; None when it holds nothing for it."""

    def slot(name: str) -> dict[str, Any] | None:
        value = held.get(name)
        return value if isinstance(value, dict) else None

    current, upcoming, withdrawn = slot("current"), slot("upcoming"), slot("withdrawn")
    entry: Shown
    if current is not None:
        entry = {
            "state": "current",
            "version": current.get("version"),
            "content_hash": current.get("content_hash"),
        }
        if upcoming is not None:
            entry["upcoming"] = {
                "version": upcoming.get("version"),
                "content_hash": upcoming.get("content_hash"),
            }
        return entry
    if upcoming is not None:
        return {
            "state": "upcoming",
            "version": upcoming.get("version"),
            "content_hash": upcoming.get("content_hash"),
        }
    if withdrawn is not None:
        return {"state": "withdrawn", "version": withdrawn.get("version")}
    return None


def retryable(status: int) -> bool:
    return status in (408, 429) or status >= 500


def retry_after(response: httpx.Response, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def receipt(response: httpx.Response, attempts: int, **extra: Any) -> dict[str, Any]:
    return {
        "status": response.status_code,
        "method": response.request.method,
        "url": str(response.request.url),
        "request_id": response.headers.get(REQUEST_ID),
        "body_sha256": hashlib.sha256(response.content).hexdigest(),
        "idempotency_key": response.request.headers["Idempotency-Key"],
        "attempts": attempts,
        **extra,
    }


# --- failures -------------------------------------------------------------------------------


def refusal(
    response: httpx.Response, kind: type[DeliveryError] = PermanentDeliveryError
) -> DeliveryError:
    request = response.request
    if response.is_redirect:
        return kind(
            _(
                "{method} {url}: HTTP {status}: redirected to {location}; set base to the final address"
            ).format(
                method=request.method,
                url=request.url,
                status=response.status_code,
                location=response.headers.get("Location", "?"),
            )
        )
    return kind(
        _("{method} {url}: HTTP {status}: {message}").format(
            method=request.method,
            url=request.url,
            status=response.status_code,
            message=_message(response),
        )
    )


def conflict_message(response: httpx.Response, held: dict[str, Any]) -> str:
    return _(
        "{method} {url}: HTTP 409: the receiver holds other content (version {version}, content hash {hash}): {message}"
    ).format(
        method=response.request.method,
        url=response.request.url,
        version=held.get("version", "?"),
        hash=held.get("content_hash", "?"),
        message=_message(response),
    )


def transport_failure(
    method: str, url: str, exc: httpx.HTTPError, config: HttpSettings
) -> DeliveryError:
    """An httpx exception as a delivery error: transient unless it cannot fix itself."""
    where = f"{method} {url}"
    if isinstance(exc, httpx.TimeoutException):
        connecting = isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
        return TransientDeliveryError(
            _("{where}: no answer within {seconds} s").format(
                where=where,
                seconds=config.connect_timeout if connecting else config.read_timeout,
            )
        )
    if _caused_by(exc, ssl.SSLCertVerificationError):
        return PermanentDeliveryError(
            _(
                "{where}: the server's TLS certificate is not trusted ({error}); if it is issued by an intranet CA, name its PEM file in settings.ca_bundle"
            ).format(where=where, error=_one_line(str(exc)))
        )
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError | httpx.ProxyError):
        return TransientDeliveryError(
            _("{where}: the connection failed: {error}").format(
                where=where, error=_one_line(str(exc)) or type(exc).__name__
            )
        )
    return PermanentDeliveryError(
        _("{where}: the request cannot be sent: {error}").format(
            where=where, error=_one_line(str(exc)) or type(exc).__name__
        )
    )


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def _message(response: httpx.Response) -> str:
    """What the receiver said: a problem document's detail or title, else the start of the body."""
    body = _json(response)
    for field in ("detail", "title"):
        if isinstance(body.get(field), str) and body[field].strip():
            return _one_line(body[field])
    return _one_line(response.text) or response.reason_phrase or "-"


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
