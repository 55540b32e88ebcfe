"""Configuration is content: the library's configuration files are reviewed like guides.

``library.yaml`` (channels, base URL, rule levels), ``calendar.yaml`` (working days, hence
deadlines) and ``approvers.yaml`` (who may approve) decide what the public sees as much as a guide
does. A change to any of them is part of the pending change set: ``guides diff --published`` shows
it field by field, the change-set id covers it, ``guides approve`` approves it under four eyes and
records the files' exact text in the ledger (``config_version``), and ``guides publish`` and the
adapters use that recorded version, never the working tree's (:mod:`guidesrc.config_in_force`).

First use: while the ledger holds no approved configuration, the first approval records the files
as they are (the diff says so, file by file, and lists no field changes: read the files).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from sqlmodel import Session, col, select

from guidesrc.i18n import _
from guidesrc.ledger import Ledger
from guidesrc.ledger.models import ConfigVersion
from guidesrc.markdown import md_escape
from guidesrc.model.library import LibraryConfig
from guidesrc.statuses import ChangeStatus
from guidesrc.yamlio import parse_bytes

LIBRARY_FILE = "library.yaml"
CALENDAR_FILE = "calendar.yaml"
APPROVERS_FILE = "approvers.yaml"
#: Every configuration file of a library, reviewed and approved as content.
CONFIG_FILES = (LIBRARY_FILE, CALENDAR_FILE, APPROVERS_FILE)

#: file → its text; None: the library has no such file.
Snapshot = dict[str, str | None]


class Files(Protocol):
    """Where the files come from: a :class:`guidesrc.state.Tree` (working tree or revision)."""

    def read_many(self, rels: Any) -> dict[str, bytes]: ...


def snapshot(tree: Files) -> Snapshot:
    """The configuration files' text in ``tree`` (None for a file it does not have)."""
    found = tree.read_many(CONFIG_FILES)
    return {
        rel: found[rel].decode("utf-8", "replace") if rel in found else None for rel in CONFIG_FILES
    }


def snapshot_hash(files: Mapping[str, str | None]) -> str:
    """SHA-256 of the files' names and texts: equal exactly when every file is."""
    body = orjson.dumps({rel: files.get(rel) for rel in CONFIG_FILES}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """One setting added, removed or changed in one configuration file."""

    file: str
    path: str  # dotted: channels.hall.settings.base
    status: ChangeStatus
    old: Any = None
    new: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "path": self.path,
            "status": self.status,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True, slots=True)
class ApprovedConfig:
    """The configuration as last approved (a ``config_version`` row)."""

    version: int
    content_hash: str
    files: Snapshot


@dataclass(slots=True)
class ConfigPending:
    """The configuration files as they are, against their approved version."""

    files: Snapshot
    previous: ApprovedConfig | None
    included: bool = True  # False: left out of this approval (guides approve --guide)
    changes: list[ConfigChange] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return snapshot_hash(self.files)

    @property
    def changed(self) -> bool:
        return self.previous is None or self.previous.content_hash != self.content_hash

    @property
    def bootstrap(self) -> bool:
        """No configuration approved yet: this approval records the files as they are."""
        return self.previous is None

    @property
    def to_approve(self) -> bool:
        return self.included and self.changed

    @property
    def changed_files(self) -> list[str]:
        """The files whose text differs from the approved version (every file present, first)."""
        old = self.previous.files if self.previous else {}
        return [
            rel
            for rel in CONFIG_FILES
            if self.files.get(rel) != old.get(rel) and (self.files.get(rel) or old.get(rel))
        ]

    def id_line(self) -> str:
        """What the change-set id covers: the approved configuration and the one to approve."""
        before = self.previous.content_hash if self.previous else None
        return f"config {before} {self.content_hash}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "bootstrap": self.bootstrap,
            "included": self.included,
            "approved_version": self.previous.version if self.previous else None,
            "files": self.changed_files,
            "changes": [c.as_dict() for c in self.changes],
        }


# --- the ledger ---------------------------------------------------------------------------------


def latest_config(ledger: Ledger) -> ApprovedConfig | None:
    """The configuration last approved, or None before the first approval that recorded one."""
    query = select(ConfigVersion).order_by(col(ConfigVersion.version).desc()).limit(1)
    with ledger.session() as session:
        row = session.exec(query).first()
    if row is None:
        return None
    files = row.files
    return ApprovedConfig(
        row.version, row.content_hash, {rel: files.get(rel) for rel in CONFIG_FILES}
    )


def approved_files(ledger: Ledger) -> list[Snapshot]:
    """The files of every approved configuration, oldest first."""
    query = select(ConfigVersion.files).order_by(col(ConfigVersion.version))
    with ledger.session() as session:
        rows = session.exec(query).all()
    return [{rel: files.get(rel) for rel in CONFIG_FILES} for files in rows]


def pending_config(tree: Files, ledger: Ledger, *, included: bool = True) -> ConfigPending:
    """The configuration files of ``tree`` against the approved ones. ``included``: part of
    the approval being prepared (a first approval always records the configuration)."""
    previous = latest_config(ledger)
    pending = ConfigPending(snapshot(tree), previous, included or previous is None)
    if previous is not None and pending.changed:
        pending.changes = list(config_changes(previous.files, pending.files))
    return pending


def record_config(session: Session, approval_id: int, pending: ConfigPending) -> int | None:
    """Record the configuration this approval approves; its version number (None: unchanged).
    Two approvals recording the same number collide on ``uq_config_version``: one wins."""
    if not pending.to_approve:
        return None
    number = (pending.previous.version if pending.previous else 0) + 1
    session.add(
        ConfigVersion(
            version=number,
            approval_id=approval_id,
            content_hash=pending.content_hash,
            files=dict(pending.files),
            changes=[c.as_dict() for c in pending.changes],
        )
    )
    return number


# --- field changes ------------------------------------------------------------------------------


def config_changes(
    old: Mapping[str, str | None], new: Mapping[str, str | None]
) -> Iterator[ConfigChange]:
    """Setting by setting, file by file, what differs between two snapshots."""
    for rel in CONFIG_FILES:
        before, after = old.get(rel), new.get(rel)
        if before == after:
            continue
        flat_old, flat_new = _flat_file(before), _flat_file(after)
        for path in sorted(flat_old.keys() | flat_new.keys(), key=_path_order):
            a, b = flat_old.get(path, _MISSING), flat_new.get(path, _MISSING)
            if a is _MISSING:
                yield ConfigChange(rel, path, ChangeStatus.ADDED, None, b)
            elif b is _MISSING:
                yield ConfigChange(rel, path, ChangeStatus.REMOVED, a, None)
            elif a != b:
                yield ConfigChange(rel, path, ChangeStatus.CHANGED, a, b)
        if flat_old == flat_new:  # comments, order or layout only
            yield ConfigChange(rel, "", ChangeStatus.CHANGED, None, None)


_MISSING: Any = object()


def _path_order(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def _flat_file(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}

    try:
        data = parse_bytes(text.encode())
    except Exception:  # not YAML: compared as text (`guides check` reports why)
        return {"": text}
    return dict(_flatten(data, ""))


def _flatten(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """Mappings become dotted paths; lists and scalars are values (a list shown whole)."""
    if isinstance(value, dict):  # an empty mapping is no setting (rules: {} as no rules)
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


# --- rendering ----------------------------------------------------------------------------------


def describe(change: ConfigChange) -> str:
    """``修改 网站地址 base_url：旧 → 新`` and the like, in the current language."""
    where = _field_name(change)
    if not change.path:
        return _("{file}: comments or layout changed, no setting").format(file=change.file)
    if change.status == ChangeStatus.ADDED:
        return _("added {field}: {new}").format(field=where, new=_shown(change.new))
    if change.status == ChangeStatus.REMOVED:
        return _("removed {field}: {old}").format(field=where, old=_shown(change.old))
    return _("changed {field}: {old} → {new}").format(
        field=where, old=_shown(change.old), new=_shown(change.new)
    )


def _field_name(change: ConfigChange) -> str:
    """The setting's title from the schema where it has one: ``网站地址 base_url``."""
    if change.file != LIBRARY_FILE:
        return change.path

    top = LibraryConfig.model_fields.get(change.path.split(".", 1)[0])
    return f"{top.title} {change.path}" if top is not None and top.title else change.path


def _shown(value: Any) -> str:
    if value is None:
        return _("(none)")
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def text_lines(pending: ConfigPending) -> list[str]:
    """The configuration part of ``guides diff --published``: one line per setting."""
    if not pending.changed:
        return []
    lines = [_("configuration changes (publishing uses them only once approved):")]
    if pending.bootstrap:
        for rel in pending.changed_files:
            lines.append(
                "  "
                + _(
                    "{file}: no configuration approved yet; the first approval records this file as it is ({count} setting(s)): read it before approving"
                ).format(file=rel, count=len(_flat_file(pending.files.get(rel))))
            )
    else:
        for change in pending.changes:
            lines.append(
                f"  {change.file}: {describe(change)}" if change.path else f"  {describe(change)}"
            )
    if not pending.included:
        lines.append(
            "  "
            + _(
                "not part of an approval with --guide: approve without --guide to apply the configuration"
            )
        )
    return lines


def markdown_lines(pending: ConfigPending) -> list[str]:
    """The same for a merge request."""

    lines = text_lines(pending)
    if not lines:
        return []
    return [
        f"### {md_escape(lines[0])}",
        "",
        *(f"- {md_escape(line.strip())}" for line in lines[1:]),
    ]
