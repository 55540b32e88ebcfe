"""What a library's configuration may not ask for, whoever reviews it.

- **Secrets.** A channel reads only the environment variables the deployment allows it
  (:mod:`guidesrc.deployment`): by default ``GUIDES_TOKEN_<CHANNEL>``; never a ``GUIDES_*``
  setting such as ``GUIDES_DATABASE_URL``. Adapters name such settings ``*_env``.
- **Push addresses.** A channel's ``base`` starts with an address the deployment allows (when it
  lists any).
- **Folders.** A file channel's ``path`` is a folder of its own inside the library (under
  ``.guides/``, e.g. ``.guides/published``, or a folder such as ``out/site``) that is neither the
  tool state (ledger, signing key, caches) nor the library's content (``guides/``,
  ``catalogues/``, ``files/``, ``keys/``, the configuration files), or a folder under an output
  root of the deployment file. Nothing outside (``../``, an absolute path) without one.
- **Rule levels that protect the public** (personal data, hidden characters, legal bases; and the
  rules enforcing this module) cannot be switched off or lowered from ``library.yaml``.

Each refusal is a :class:`Diagnostic` with its place in ``library.yaml``: ``guides check`` prints
it with file:line, and ``guides publish`` refuses to start (:func:`guidesrc.adapters.make_adapters`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from guidesrc.deployment import Deployment, under
from guidesrc.diagnostics import Diagnostic, RuleId
from guidesrc.i18n import N_

STATE_DIR = ".guides"
#: What .guides holds of the tool's own state: a channel's folder is none of these.
RESERVED = frozenset({"cache", "import", "keys", "tmp"})
RESERVED_PREFIXES = ("ledger", "signing-key")  # ledger.sqlite, ledger.publish.lock, *.pem
#: The library's own content at its top level: never a channel's folder.
CONTENT = frozenset(
    {"guides", "catalogues", "files", "keys", "library.yaml", "calendar.yaml", "approvers.yaml"}
)
_FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _own_folder(name: str) -> bool:
    """A folder of .guides that a channel may have (``published``, ``site``, ``site.builds``)."""
    return (
        bool(_FOLDER.match(name))
        and name.lower() not in RESERVED
        and not name.lower().startswith(RESERVED_PREFIXES)
    )


#: Rules that protect the public: a library cannot switch them off or lower them.
PROTECTED_RULES = frozenset(
    {
        RuleId.PERSONAL_DATA,
        RuleId.HIDDEN_CHARACTERS,
        RuleId.MATERIAL_LEGAL_BASIS,
        RuleId.LEGAL_BASIS_REPEALED,
        RuleId.LEGAL_BASIS_NOT_IN_FORCE,
        RuleId.FEE_BASIS,
        RuleId.CHANNEL,
        RuleId.PROTECTED_RULE,
    }
)


def rule_level_problems(levels: Mapping[str, str], rel: str) -> list[Diagnostic]:
    """``rules: {personal-data: off}`` and the like: refused."""
    return [
        Diagnostic(
            RuleId.PROTECTED_RULE,
            "error",
            rel,
            ("rules", rule),
            N_("the rule {rule} protects the public: library.yaml cannot set it to {level}"),
            N_("remove this line; {rule} stays an error whatever the library says"),
            {"rule": rule, "level": level},
        )
        for rule, level in levels.items()
        if rule in PROTECTED_RULES and level != "error"
    ]


def allowed_levels(levels: Mapping[str, str]) -> dict[str, str]:
    """The levels a library may set: protected rules left out."""
    return {rule: level for rule, level in levels.items() if rule not in PROTECTED_RULES}


def channel_policy(name: str, settings: Any, rel: str, deployment: Deployment) -> list[Diagnostic]:
    """What one channel's validated settings ask for that the deployment does not allow."""
    here = ("channels", name, "settings")
    problems: list[Diagnostic] = []
    for field, value in _settings(settings):
        if not isinstance(value, str):
            continue
        if field.endswith("_env"):
            problems += _env(name, field, value, rel, here, deployment)
        elif field == "path":
            problems += _path(field, value, rel, here, deployment)
        elif field == "base":
            problems += _push_url(name, field, value, rel, here, deployment)
    return problems


def _settings(settings: Any) -> Iterator[tuple[str, Any]]:
    for field in type(settings).model_fields:
        yield field, getattr(settings, field)


def _env(
    name: str, field: str, value: str, rel: str, here: tuple[str, ...], deployment: Deployment
) -> list[Diagnostic]:
    allowed = deployment.env_allowed(name)
    if value in allowed:
        return []
    return _refused(
        rel,
        (*here, field),
        N_(
            "channel {channel} may not read the environment variable {name}: which secrets a channel reads is decided by the deployment, not the library"
        ),
        N_(
            "write {allowed} and set that variable on the publishing machine, or allow another one for this channel in the deployment file (GUIDES_DEPLOYMENT); guidesrc's own GUIDES_* settings (GUIDES_DATABASE_URL …) are never a token"
        ),
        {"channel": name, "name": value, "allowed": " / ".join(allowed)},
    )


def _refused(
    rel: str, path: tuple[str, ...], message: str, hint: str, args: dict[str, Any]
) -> list[Diagnostic]:
    """A channel setting the deployment does not allow: one ``channel`` error."""
    return [Diagnostic(RuleId.CHANNEL, "error", rel, path, message, hint, args)]


def _push_url(
    name: str, field: str, value: str, rel: str, here: tuple[str, ...], deployment: Deployment
) -> list[Diagnostic]:
    allowed = deployment.urls_allowed(name)
    if allowed is None or any(_within(value, prefix) for prefix in allowed):
        return []
    return _refused(
        rel,
        (*here, field),
        N_("channel {channel} pushes to {url}, an address the deployment does not allow"),
        N_(
            "use one of {allowed}, or ask the administrator to allow the address in the deployment file (GUIDES_DEPLOYMENT)"
        ),
        {"channel": name, "url": value, "allowed": "、".join(allowed)},
    )


def _within(url: str, prefix: str) -> bool:
    a, b = urlsplit(url), urlsplit(prefix)
    path, root = a.path.rstrip("/") + "/", b.path.rstrip("/") + "/"
    return (
        a.scheme == b.scheme
        and (a.hostname or "") == (b.hostname or "")
        and a.port == b.port
        and path.startswith(root)
    )


def _path(
    field: str, value: str, rel: str, here: tuple[str, ...], deployment: Deployment
) -> list[Diagnostic]:
    message = path_refusal(value, deployment)
    if message is None:
        return []
    return _refused(
        rel,
        (*here, field),
        message,
        N_(
            "give the channel a folder of its own under .guides, e.g. .guides/published, or under an output root of the deployment file (GUIDES_DEPLOYMENT)"
        ),
        {"path": value},
    )


def path_refusal(value: str, deployment: Deployment) -> str | None:
    """Why a channel may not write to the folder ``value`` (a msgid), or None."""
    if os.path.isabs(value):
        if under(value, deployment.output_roots):
            return None
        return N_("{path} is outside the folders a channel may write to")
    parts = os.path.normpath(value).replace("\\", "/").split("/")
    if parts[0] != STATE_DIR:
        return _library_folder(parts)
    if len(parts) < 2 or not _own_folder(parts[1]):
        return N_(
            "{path} points into the tool folder .guides (ledger, signing key, caches): the channel would publish them"
        )
    return None


def _library_folder(parts: list[str]) -> str | None:
    """A folder of the library outside .guides: allowed unless it is the library itself, its
    content, another hidden folder, or outside it."""
    first = parts[0]
    if first in ("", ".", "..") or first.startswith(".") or first.lower() in CONTENT:
        if first.lower() in CONTENT:
            return N_("{path} is the library's own content: a channel would overwrite it")
        return N_("{path} is outside the folders a channel may write to")
    return None


def resolved_refusal(root: Path, value: str, deployment: Deployment) -> str | None:
    """:func:`path_refusal` after following symbolic links (at publish time): a folder that
    leads into the tool state or out of the allowed roots is refused too."""
    target = Path(os.path.realpath(value if os.path.isabs(value) else root / value))
    tool = Path(os.path.realpath(root / STATE_DIR))
    if target == tool or tool.is_relative_to(target):
        return N_(
            "{path} points into the tool folder .guides (ledger, signing key, caches): the channel would publish them"
        )
    roots = [os.path.realpath(r) for r in deployment.output_roots]
    if under(str(target), roots):
        return None
    if target.is_relative_to(tool):
        inside = target.relative_to(tool).parts
        if _own_folder(inside[0]):
            return None
        return N_(
            "{path} points into the tool folder .guides (ledger, signing key, caches): the channel would publish them"
        )
    library = Path(os.path.realpath(root))
    if target.is_relative_to(library) and target != library:
        return _library_folder(list(target.relative_to(library).parts))
    return N_("{path} is outside the folders a channel may write to")
