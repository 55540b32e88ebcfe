"""Who may approve, and how they prove it: ``approvers.yaml`` and the approvers' keys.

Two modes (docs/security.md):

- **key mode** (``approvers.yaml`` present): each approver holds an Ed25519 private key outside
  the library (``GUIDES_APPROVER_KEY``, default ``~/.config/guidesrc/approver-key.pem``, mode
  0600). ``guides approve`` finds the entry whose public key matches, signs the approval's fields
  with the key, and the ledger keeps the key id and signature; ``guides verify`` checks them all.
- **OS-account mode** (no ``approvers.yaml``): the approver is the operating-system account that
  runs the command (its effective uid). For one machine where OS accounts are the authentication.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from guidesrc.approvers_file import ApproverEntry, parse_approvers
from guidesrc.config_changes import approved_files, latest_config
from guidesrc.diagnostic_lines import located_lines
from guidesrc.errors import ApprovalError, LibraryConfigError
from guidesrc.i18n import _
from guidesrc.identity import Person, os_account
from guidesrc.library import APPROVERS_FILE, read_file
from guidesrc.signing import NotEd25519, ed25519_private, key_id, signature_valid
from guidesrc.yamlio import decode

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger

KEY_ENV = "GUIDES_APPROVER_KEY"
DEFAULT_KEY = Path("~/.config/guidesrc/approver-key.pem")
MAX_BYTES = 1024 * 1024
SIGNATURE_PURPOSE = "guidesrc-approval/1"


@dataclass(frozen=True, slots=True)
class Approver:
    """Who runs ``guides approve`` or ``guides withdraw``: a person, and in key mode the key
    that proves it."""

    person: Person
    key: Ed25519PrivateKey | None = None

    @property
    def name(self) -> str:
        return self.person.name

    @property
    def key_id(self) -> str | None:
        return key_id(self.key.public_key()) if self.key is not None else None

    def sign(self, fields: dict[str, Any]) -> str | None:
        if self.key is None:
            return None
        return base64.b64encode(self.key.sign(signed_bytes(fields))).decode()


def signed_bytes(fields: dict[str, Any]) -> bytes:
    """What an approver's key signs: the approval's fields as canonical JSON."""
    return orjson.dumps({"purpose": SIGNATURE_PURPOSE, **fields}, option=orjson.OPT_SORT_KEYS)


def approval_fields(approval: Any) -> dict[str, Any]:
    """The fields of a ledger approval that its approver's key signs."""
    return {
        "kind": approval.kind,
        "change_set": approval.change_set_id,
        "effective_date": approval.effective_date.isoformat(),
        "approved_at": approval.approved_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "note": approval.note,
        "approved_by": approval.approved_by,
        "forced_reason": approval.forced_reason,
        "source": approval.source,
        "key_id": approval.key_id,
    }


def signature_matches(entry: ApproverEntry, fields: dict[str, Any], signature: str) -> bool:
    return signature_valid(entry.key, signed_bytes(fields), signature.encode())


# --- approvers.yaml -------------------------------------------------------------------------


def load_approvers(root: Path) -> list[ApproverEntry] | None:
    """The working tree's approvers list, or None without ``approvers.yaml``; a list that does
    not pass :func:`approvers_problems` is refused with every problem as file:line. Who may
    approve is decided by :func:`approvers_in_force` (the approved list), never by this one."""

    try:
        data = read_file(root, APPROVERS_FILE)  # refuses links, devices, oversized files
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LibraryConfigError(
            _("{file}: cannot read: {error}").format(file=APPROVERS_FILE, error=exc.strerror)
        ) from exc
    return approvers_from(data)


def approvers_from(data: bytes) -> list[ApproverEntry]:
    """The entries of an ``approvers.yaml`` given as bytes, refused whole with its problems."""

    source = decode(data, APPROVERS_FILE, MAX_BYTES)
    entries, problems = parse_approvers(source)
    errors = [d for d in problems if d.severity == "error"]
    if errors or entries is None:
        raise LibraryConfigError(
            located_lines(source, errors)
            + "\n"
            + _("{file} has errors: no approval can be checked against it; fix it first").format(
                file=APPROVERS_FILE
            )
        )
    return entries


def approvers_in_force(root: Path, ledger: Ledger | None) -> list[ApproverEntry] | None:
    """Who may approve: the ``approvers.yaml`` of the configuration last approved (None: that
    configuration had none, so OS-account mode). Before any configuration is approved, the
    working tree's list (the first approval records it). An edit of ``approvers.yaml`` — a new
    key, say — counts only once someone on the approved list has approved it."""

    approved = latest_config(ledger) if ledger is not None else None
    if approved is None:
        return load_approvers(root)
    text = approved.files.get(APPROVERS_FILE)
    return None if text is None else approvers_from(text.encode("utf-8"))


def approvers_ever_approved(root: Path, ledger: Ledger) -> list[ApproverEntry]:
    """Every entry of every approved ``approvers.yaml`` (the newest entry per key, which carries
    its retirement), or the working tree's list before any configuration is approved: the keys
    ``guides verify`` accepts for recorded approvals."""

    texts = [files.get(APPROVERS_FILE) for files in approved_files(ledger)]
    if not texts:
        return load_approvers(root) or []
    by_key: dict[str, ApproverEntry] = {}
    for text in texts:  # oldest first: a later entry of the same key wins
        for entry in approvers_from(text.encode("utf-8")) if text is not None else []:
            by_key[entry.key_id] = entry
    return list(by_key.values())


def public_key_text(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + base64.b64encode(raw).decode()


# --- the approver's private key -------------------------------------------------------------


def key_path() -> Path:
    named = os.environ.get(KEY_ENV, "").strip()
    return Path(named).expanduser() if named else DEFAULT_KEY.expanduser()


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def read_private_key(root: Path) -> Ed25519PrivateKey:
    """The approver's private key; refused inside the library, readable by others, or missing."""
    path = key_path()
    if _inside(path, root):
        raise ApprovalError(
            _(
                "{path}: the approver key is inside the library, where others can read or commit it; move it outside (default {default}) and set {env}"
            ).format(path=path, default=DEFAULT_KEY, env=KEY_ENV)
        )
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise ApprovalError(
            _(
                "no approver key at {path}: approvers.yaml lists who may approve, and each approver signs with their own key; create yours with guides approvers key and ask for the printed line to be added to approvers.yaml ({env} names another file)"
            ).format(path=path, env=KEY_ENV)
        ) from None
    except OSError as exc:
        raise ApprovalError(
            _("the approver key {path} cannot be read: {reason}").format(
                path=path, reason=exc.strerror
            )
        ) from exc
    if mode & 0o077:
        raise ApprovalError(
            _(
                "{path}: others can read the approver key; make it private with chmod 600 {path}"
            ).format(path=path)
        )
    try:
        return ed25519_private(data)
    except NotEd25519 as exc:
        if exc.reason is None:
            raise ApprovalError(
                _("{path}: not an Ed25519 key; create one with guides approvers key").format(
                    path=path
                )
            ) from None
        raise ApprovalError(
            _(
                "{path}: not an approver key ({reason}); create one with guides approvers key"
            ).format(path=path, reason=exc.reason)
        ) from exc


def current_approver(root: Path, now: dt.datetime, ledger: Ledger | None = None) -> Approver:
    """Who runs this command, authenticated: the entry of the approved approvers list
    (:func:`approvers_in_force`) matching the private key (key mode), or the operating-system
    account (no approvers list in force)."""
    entries = approvers_in_force(root, ledger)
    if entries is None:
        return Approver(os_account())
    private = read_private_key(root)
    kid = key_id(private.public_key())
    for entry in entries:
        if entry.key_id == kid:
            if entry.retired is not None and entry.retired <= now:
                raise ApprovalError(
                    _(
                        "the approver key {id} of {name} is retired in approvers.yaml; create a new key with guides approvers key"
                    ).format(id=kid, name=entry.name)
                )
            return Approver(entry.person, private)
    raise ApprovalError(
        _(
            "the key {id} ({path}) is not in approvers.yaml: only the approvers listed there may approve. Ask for your line (guides approvers key --show) to be added through review"
        ).format(id=kid, path=key_path())
    )
