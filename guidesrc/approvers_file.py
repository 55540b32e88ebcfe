"""``approvers.yaml`` read and checked: its entries (name, public key, identities, dates) and
its problems. Apart from :mod:`guidesrc.approvers` so that `guides check` reads the file without
importing the ledger."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from guidesrc.check.schema_errors import validated_file
from guidesrc.diagnostics import Diagnostic, RuleId
from guidesrc.i18n import N_
from guidesrc.identity import Person, display_name, identity_key
from guidesrc.library import APPROVERS_FILE
from guidesrc.model.approvers import ApproversFile
from guidesrc.signing import key_id


@dataclass(frozen=True, slots=True)
class ApproverEntry:
    name: str
    key: Ed25519PublicKey
    key_id: str
    identities: tuple[str, ...]
    since: dt.datetime | None
    retired: dt.datetime | None

    @property
    def person(self) -> Person:
        return Person(self.name, self.identities)


def parse_approvers(source: Any) -> tuple[list[ApproverEntry] | None, list[Diagnostic]]:
    """The entries of a decoded ``approvers.yaml`` and its problems (schema, then rules)."""

    model, refused = validated_file(source, ApproversFile)
    if model is None:
        return None, refused
    entries: list[ApproverEntry] = []
    problems: list[Diagnostic] = []
    for n, a in enumerate(model.approvers):
        public = _public_key(a.key)
        if public is None:
            problems.append(_problem(n, "key", N_("not an Ed25519 public key")))
            continue
        since, retired = _utc(a.since), _utc(a.retired)
        ids = tuple(a.identities)
        entries.append(ApproverEntry(a.name, public, key_id(public), ids, since, retired))
    problems += approvers_rules(model.approvers)
    return entries, problems


def approvers_rules(approvers: list[Any]) -> list[Diagnostic]:
    """What the schema cannot say: one key and one identity belong to one approver only; names
    and identities are visible text."""
    problems: list[Diagnostic] = []
    keys: dict[str, int] = {}
    owners: dict[str, int] = {}
    for n, a in enumerate(approvers):
        if a.key in keys:
            problems.append(
                _problem(n, "key", N_("the same key as approvers[{other}]"), other=keys[a.key])
            )
        keys.setdefault(a.key, n)
        named: list[tuple[tuple[str | int, ...], str]] = [(("name",), a.name)]
        named += [(("identities", i), v) for i, v in enumerate(a.identities)]
        for path, value in named:
            problems += _identity_problems(n, path, value, owners)
    return problems


def _identity_problems(
    n: int, path: tuple[str | int, ...], value: str, owners: dict[str, int]
) -> list[Diagnostic]:
    key = identity_key(value)
    if not key:
        return [_problem(n, path, N_("holds no visible character"))]
    out = []
    if display_name(value) != value.strip() or value != value.strip():
        out.append(
            _problem(
                n,
                path,
                N_("contains invisible or unusual characters; write it as {clean}"),
                clean=display_name(value),
            )
        )
    other = owners.setdefault(key, n)
    if other != n:
        out.append(
            _problem(
                n,
                path,
                N_("{value} is also an identity of approvers[{other}]: one identity is one person"),
                value=display_name(value),
                other=other,
            )
        )
    return out


def _problem(n: int, field: Any, message: str, **args: Any) -> Diagnostic:
    path = field if isinstance(field, tuple) else (field,)
    hint = N_("each approver has a name, a key and their git identities (guides approvers key)")
    return Diagnostic(
        RuleId.APPROVERS, "error", APPROVERS_FILE, ("approvers", n, *path), message, hint, args
    )


def _public_key(text: str) -> Ed25519PublicKey | None:
    try:
        raw = base64.b64decode(text.removeprefix("ed25519:"), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        return None


def _utc(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)
