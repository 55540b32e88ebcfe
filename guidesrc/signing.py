"""Signing keys: the Ed25519 key pair that signs every channel's manifest.

::

    <library>/keys/<key id>.pub.pem     every public key the library ever signed with (committed,
                                        published); key id = the first 16 hex digits of the
                                        SHA-256 of the raw 32-byte public key
    <library>/keys/keys.yaml            per key: created and, once replaced, retired (UTC)
    .guides/signing-key.pem             the private key (PKCS #8 PEM, mode 0600, git-ignored)

The private key is read from ``GUIDES_SIGNING_KEY`` (the PEM text itself, for secret stores and
systemd credentials), else from the file ``GUIDES_SIGNING_KEY_FILE`` names (relative paths are
taken from the library), else from ``.guides/signing-key.pem``. Without any, publishing still
works but writes no manifest (an unsigned one would prove nothing), and ``guides verify`` reports
every file channel's manifest missing (see docs/verify.md).

Rotation: ``guides keys init --force`` makes a new pair; the old public key stays in ``keys/``,
marked ``retired``, so manifests it signed before that moment still verify, and a manifest it
signs afterwards does not.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from guidesrc.errors import SigningKeyError
from guidesrc.fsio import write_atomic
from guidesrc.i18n import _
from guidesrc.library import STATE_DIR

KEY_ENV = "GUIDES_SIGNING_KEY"
KEY_FILE_ENV = "GUIDES_SIGNING_KEY_FILE"
DEFAULT_KEY_FILE = f"{STATE_DIR}/signing-key.pem"
KEYS_DIR = "keys"
KEYS_INDEX = "keys.yaml"
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
_INDEX_HEADER = (
    "# 发布签名公钥：每个渠道的 guides-manifest.json 由其中一个私钥签名（guides keys init 维护）。\n"
    "# Public keys that sign the channels' manifests (kept by guides keys init); retired: UTC.\n"
)


@dataclass(frozen=True, slots=True)
class PublicKey:
    id: str
    key: Ed25519PublicKey
    created: dt.datetime | None = None
    retired: dt.datetime | None = None

    @property
    def pem(self) -> bytes:
        return public_pem(self.key)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The private key configured for this library, and where it came from (for messages)."""

    key: Ed25519PrivateKey
    source: str

    @property
    def id(self) -> str:
        return key_id(self.key.public_key())

    @property
    def public_pem(self) -> bytes:
        return public_pem(self.key.public_key())

    def sign(self, data: bytes) -> bytes:
        """The signature file's content: the base64 Ed25519 signature of ``data``, a line."""
        return base64.b64encode(self.key.sign(data)) + b"\n"


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_pem(data: bytes, where: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise SigningKeyError(
            _("{where}: not a PEM public key: {reason}").format(where=where, reason=exc)
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(_("{where}: not an Ed25519 public key").format(where=where))
    return key


def signature_valid(public: Ed25519PublicKey, data: bytes, signature_file: bytes) -> bool:
    """Whether ``signature_file`` (base64, as :meth:`SigningKey.sign` writes it) signs ``data``."""
    try:
        public.verify(base64.b64decode(signature_file.strip(), validate=True), data)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


# --- the private key ------------------------------------------------------------------------


def key_file(root: Path) -> Path:
    """Where the private key file is: ``GUIDES_SIGNING_KEY_FILE`` or the default."""
    named = os.environ.get(KEY_FILE_ENV, "").strip()
    return root / (named or DEFAULT_KEY_FILE)


def signing_key(root: Path) -> SigningKey | None:
    """The configured private key; None when none is configured (publishing then signs
    nothing); SigningKeyError when one is configured but cannot be used."""
    text = os.environ.get(KEY_ENV, "")
    if text.strip():
        return SigningKey(_load_private(text.encode(), KEY_ENV), KEY_ENV)
    path = key_file(root)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if os.environ.get(KEY_FILE_ENV, "").strip():
            raise SigningKeyError(
                _("{env} names {path}, which does not exist").format(env=KEY_FILE_ENV, path=path)
            ) from None
        return None
    except OSError as exc:
        raise SigningKeyError(
            _("the signing key {path} cannot be read: {reason}").format(
                path=path, reason=exc.strerror
            )
        ) from exc
    return SigningKey(_load_private(data, str(path)), str(path))


class NotEd25519(ValueError):
    """PEM data that is not an unencrypted Ed25519 private key (``reason`` None: another kind
    of key); each caller words the error for its own kind of key."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason)
        self.reason = reason


def ed25519_private(data: bytes) -> Ed25519PrivateKey:
    """The Ed25519 private key in unencrypted PEM ``data``; NotEd25519 otherwise."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise NotEd25519(str(exc)) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise NotEd25519(None)
    return key


def _load_private(data: bytes, where: str) -> Ed25519PrivateKey:
    try:
        return ed25519_private(data)
    except NotEd25519 as exc:
        if exc.reason is None:
            raise SigningKeyError(
                _("{where}: not an Ed25519 key; make one with guides keys init").format(where=where)
            ) from None
        raise SigningKeyError(
            _(
                "{where}: not an unencrypted PEM private key ({reason}); make one with guides keys init"
            ).format(where=where, reason=exc.reason)
        ) from exc


# --- the library's public keys --------------------------------------------------------------


def public_keys(root: Path) -> dict[str, PublicKey]:
    """Every public key in ``keys/``, by key id, with its dates from ``keys/keys.yaml``."""
    folder = root / KEYS_DIR
    dates = _index(folder)
    found: dict[str, PublicKey] = {}
    for path in sorted(folder.glob("*.pub.pem")):
        key = load_public_pem(path.read_bytes(), str(path))
        kid = key_id(key)
        if path.name != f"{kid}.pub.pem":
            raise SigningKeyError(
                _("{path}: the file holds the key {id}; name it {id}.pub.pem").format(
                    path=path, id=kid
                )
            )
        created, retired = dates.get(kid, (None, None))
        found[kid] = PublicKey(kid, key, created, retired)
    return found


def _index(folder: Path) -> dict[str, tuple[dt.datetime | None, dt.datetime | None]]:
    path = folder / KEYS_INDEX
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}
    except (OSError, yaml.YAMLError) as exc:
        raise SigningKeyError(
            _("{path} cannot be read: {reason}").format(path=path, reason=exc)
        ) from exc
    dates: dict[str, tuple[dt.datetime | None, dt.datetime | None]] = {}
    for entry in data.get("keys") or []:
        kid = str(entry.get("id", ""))
        if not _KEY_ID.match(kid):
            raise SigningKeyError(
                _("{path}: {id} is not a key id (16 hex digits)").format(path=path, id=kid)
            )
        dates[kid] = (_when(entry.get("created"), path), _when(entry.get("retired"), path))
    return dates


def _when(value: object, path: Path) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise SigningKeyError(
            _("{path}: {value} is not a time such as 2026-12-01T08:00:00Z").format(
                path=path, value=value
            )
        ) from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class NewKey:
    id: str
    private: Path
    public: Path
    retired: list[str]


def init_keys(root: Path, now: dt.datetime, force: bool) -> NewKey:
    """Make a key pair: the private key into its file (0600), the public key into ``keys/``; with
    ``force``, replace the private key and retire every earlier public key."""
    path = key_file(root)
    current = public_keys(root)
    active = sorted(k.id for k in current.values() if k.retired is None)
    if not force and path.exists():
        raise SigningKeyError(
            _(
                "{path} exists: a key pair is already made. To replace it (rotation), run guides keys init --force"
            ).format(path=path)
        )
    if not force and active:
        raise SigningKeyError(
            _(
                "the library already signs with the key {id} (keys/), whose private key is not here: copy it to {path} (or set {env}), or make a new pair with --force"
            ).format(id=active[-1], path=path, env=KEY_FILE_ENV)
        )
    private = Ed25519PrivateKey.generate()
    kid = key_id(private.public_key())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write(path, pem, 0o600, exclusive=not force)  # first: a refused write leaves keys/ as it was
    folder = root / KEYS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    public_path = folder / f"{kid}.pub.pem"
    _write(public_path, public_pem(private.public_key()), 0o644)
    stamp = now.astimezone(dt.UTC)
    entries = _index_entries(folder)
    for entry in entries:
        if entry.get("retired") is None:
            entry["retired"] = _text(stamp)
    for kid_known in sorted(set(current) - {str(e["id"]) for e in entries}):
        entries.append({"id": kid_known, "created": None, "retired": _text(stamp)})
    entries.append({"id": kid, "created": _text(stamp), "retired": None})
    body = yaml.safe_dump({"keys": entries}, allow_unicode=True, sort_keys=False)
    _write(folder / KEYS_INDEX, (_INDEX_HEADER + body).encode(), 0o644)
    return NewKey(kid, path, public_path, active)


def _index_entries(folder: Path) -> list[dict[str, object]]:
    try:
        data = yaml.safe_load((folder / KEYS_INDEX).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return []
    return [dict(e) for e in data.get("keys") or []]


def _text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _write(path: Path, data: bytes, mode: int, *, exclusive: bool = False) -> None:
    """Write ``data`` with ``mode`` from the start (a private key is never readable by others,
    not even for a moment); ``exclusive``: refuse to replace an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if exclusive:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            return
        write_atomic(path, data, mode)
    except FileExistsError:
        raise SigningKeyError(
            _(
                "{path} exists: a key pair is already made. To replace it (rotation), run guides keys init --force"
            ).format(path=path)
        ) from None
    except OSError as exc:
        raise SigningKeyError(
            _("{path}: cannot write: {error}").format(path=path, error=exc.strerror)
        ) from exc
