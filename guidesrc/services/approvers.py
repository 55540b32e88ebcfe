"""Approvers: an approver's own key (kept outside the library), its approvers.yaml entry, and
who this machine approves as."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guidesrc.approvers import (
    DEFAULT_KEY,
    KEY_ENV,
    Approver,
    current_approver,
    key_path,
    public_key_text,
    read_private_key,
)
from guidesrc.errors import ApprovalError
from guidesrc.i18n import _
from guidesrc.identity import display_name
from guidesrc.services.library import Library


@dataclass(frozen=True, slots=True)
class ApproverKey:
    """An approver's key: where it is, and whether it was just created."""

    path: Path
    private: Ed25519PrivateKey
    created: bool

    def entry(self, name: str | None, identities: Sequence[str], now: dt.datetime) -> list[str]:
        """The lines to add under ``approvers:`` in approvers.yaml (without ``name``, a
        placeholder for it)."""
        return [
            f"  - name: {display_name(name) if name else _('YOUR NAME')}",
            f"    key: {public_key_text(self.private.public_key())}",
            "    identities: [" + ", ".join(display_name(i) for i in identities) + "]",
            f"    since: {now.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        ]


def own_key(root: Path) -> ApproverKey:
    """The approver key this machine has (``GUIDES_APPROVER_KEY``, or the default file)."""
    return ApproverKey(key_path(), read_private_key(root), False)


def create_key(root: Path) -> ApproverKey:
    """Create this approver's key, outside the library and readable by its owner only."""
    path = key_path()
    if path.resolve().is_relative_to(root.resolve()):
        raise ApprovalError(
            _(
                "{path}: the approver key is inside the library, where others can read or commit it; move it outside (default {default}) and set {env}"
            ).format(path=path, default=DEFAULT_KEY, env=KEY_ENV)
        )
    if path.exists():
        raise ApprovalError(
            _(
                "{path} exists: you have an approver key already; show its entry with guides approvers key --show"
            ).format(path=path)
        )
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return ApproverKey(path, read_private_key(root), True)


def whoami(library: Library) -> Approver:
    """Who ``approve`` would record: the approvers.yaml entry of this machine's key, or the
    operating-system account (without approvers.yaml)."""
    return current_approver(library.root, library.now, library.ledger)
