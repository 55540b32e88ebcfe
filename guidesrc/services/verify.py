"""Verify: what every channel shows against the ledger and the signed manifests, one file
against a manifest, and the signing keys behind them (docs/verify.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from guidesrc.approval_check import check_approvals
from guidesrc.errors import GuidesError
from guidesrc.i18n import _
from guidesrc.services.library import Library
from guidesrc.signing import (
    NewKey,
    PublicKey,
    SigningKey,
    init_keys,
    load_public_pem,
    public_keys,
    signing_key,
)
from guidesrc.verify import FileCheck, verify_file, verify_library
from guidesrc.verify_checks import ChannelCheck


@dataclass(frozen=True, slots=True)
class Verified:
    """One check per channel (and one over the approvals when every channel is checked)."""

    checks: list[ChannelCheck]

    @property
    def ok(self) -> bool:
        """No finding at all."""
        return not any(c.findings for c in self.checks)

    @property
    def failed(self) -> bool:
        """A check could not run (a channel that cannot be read at all)."""
        return any(c.failed for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "channels": [c.as_dict() for c in self.checks]}


def verify(
    library: Library, *, channels: Sequence[str] = (), urls: Mapping[str, str] | None = None
) -> Verified:
    """Check the channels named (default: all, and every approval against approvers.yaml);
    ``urls``: a file channel's public address to check instead of its folder."""
    addresses = dict(urls or {})
    config = library.config  # the channels as approved, not as edited since
    unknown = sorted((set(channels) | set(addresses)) - set(config.channels))
    if unknown:
        raise GuidesError(
            _("no channel named {names} in library.yaml (channels: {known})").format(
                names="、".join(unknown), known="、".join(config.channels) or "-"
            )
        )
    found = public_keys(library.root)
    if not found:
        raise GuidesError(
            _(
                "keys/ holds no public key, so no signature can be checked: run guides keys init, then guides publish"
            )
        )
    checks = verify_library(library.root, config, library.ledger, found, channels, addresses)
    if not channels and not addresses:
        checks.append(check_approvals(library.root, library.ledger))
    return Verified(checks)


def check_file(file: Path, manifest: Path, key: Path, signature: Path | None = None) -> FileCheck:
    """One file (a downloaded page, a PDF) against a signed manifest and a public key;
    ``signature`` defaults to the manifest's name + ``.sig``."""
    sig_path = signature or manifest.with_name(manifest.name + ".sig")
    try:
        sig = sig_path.read_bytes()
        public = load_public_pem(key.read_bytes(), str(key))
        return verify_file(file, manifest.read_bytes(), sig, public, manifest.parent)
    except FileNotFoundError as exc:
        raise GuidesError(_("{path}: no such file").format(path=exc.filename)) from exc
    except orjson.JSONDecodeError as exc:
        raise GuidesError(_("{path}: not a manifest (invalid JSON)").format(path=manifest)) from exc


def make_keys(root: Path, *, force: bool = False, now: dt.datetime | None = None) -> NewKey:
    """A new signing key pair (``force``: replace the private key and retire the old public key)."""
    return init_keys(root, now or dt.datetime.now(dt.UTC), force)


@dataclass(frozen=True, slots=True)
class Keys:
    """The library's public keys, and the private key that signs (None: none)."""

    public: dict[str, PublicKey]
    signer: SigningKey | None

    @property
    def known(self) -> bool:
        """The signing key's public key is in ``keys/`` (verify accepts its signatures)."""
        return self.signer is not None and self.signer.id in self.public


def keys(root: Path) -> Keys:
    return Keys(public_keys(root), signing_key(root))
