"""``guides serve``: the site as it will look, built from the working tree, on 127.0.0.1 and ::1.

What the ledger has approved is shown as the site would show it today (versions in force,
upcoming changes, withdrawals); every guide whose working-tree content differs from its latest
approved version (:func:`guidesrc.approve.pending_changes`) is shown as that draft instead, with
a 草稿，未经审核 banner and the redline of each changed field. A library without a ledger shows every
guide as a draft. The library is not changed (only the parse cache ``guides check`` keeps is
used): a library without a ledger gets a temporary one, and the site is built into a temporary
folder.

The server is the shared stack of :mod:`guidesrc.web.server` (uvicorn and Starlette), one socket
per address (127.0.0.1 and ::1, the same port), with its Host allow-list, timeouts, connection cap
and bounded stop; the pages are :mod:`guidesrc.site.preview_app`'s. A withdrawn guide's page
answers ``410 Gone`` with its withdrawal notice, as the generated web-server configuration makes a
real server do. The site is rebuilt when a file of the library or the ledger changes (checked at
most once a second, on page requests); while the library has errors, every page is a page listing
them (``file:line: field: message``, as ``guides check`` prints them).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlmodel import col, select
from starlette.types import ASGIApp

from guidesrc.adapters import Action, Delivery
from guidesrc.ledger import open_ledger
from guidesrc.ledger.models import Approval, GuideVersion
from guidesrc.ledger.store import DATABASE_URL_ENV, LEDGER_FILE
from guidesrc.library import STATE_DIR
from guidesrc.model.codes import field_title
from guidesrc.model.guide import Guide
from guidesrc.services.approve import pending_in
from guidesrc.site.builder import Site
from guidesrc.site.data import (
    Doc,
    Manifest,
    empty_doc,
    notice_summary,
    record,
    take,
)
from guidesrc.site.files import Loader
from guidesrc.site.preview_app import Problem, library_problem, preview_app
from guidesrc.site.settings import site_config, site_settings
from guidesrc.web.server import LOOPBACK, Limits, Served, WebServer, bind
from guidesrc.workdays import read_config

if TYPE_CHECKING:
    from guidesrc.approve import Pending

CHECK_INTERVAL = 1.0  # seconds between checks for changed library files


def build_preview(root: Path, out: Path, base_url: str) -> set[str]:
    """Build the preview of the library at ``root`` into the empty folder ``out``; returns the
    ids of withdrawn guides (their pages answer 410)."""

    config = read_config(root)
    site = Site(
        out / "unused",
        site_config(root, config, site_settings(config), base_url),
        root,  # the forms (files/…), linked from the pages as on the site
    )
    today = dt.datetime.now(ZoneInfo(config.timezone)).date()
    with _ledger_for(root) as url:
        ledger = open_ledger(root, url)
        try:
            docs, notices = approved_docs(ledger, today, site.config.base_url)
            pending = pending_in(root, ledger)
        finally:
            ledger.close()
    drafts = _drafts(pending, docs, today, site.config.base_url)
    manifest = Manifest(
        guides={gid: record(doc) for gid, doc in docs.items()},
        notices={key: notice_summary(n) for key, n in notices.items()},
    )
    site.read_forms(manifest, docs, full=True)
    site.write_all(out, manifest, docs.__getitem__, notices, Loader(None), drafts)
    return {gid for gid, doc in docs.items() if doc["state"] == "withdrawn"}


def _drafts(
    pending: Pending, docs: dict[str, Doc], today: dt.date, base_url: str
) -> dict[str, dict[str, Any]]:
    """Each pending change shown as the guide's next version (a pending removal as withdrawn),
    in ``docs``; returns the changes to mark on each changed guide's page."""
    drafts: dict[str, dict[str, Any]] = {}
    for change in pending.changes.guides:
        doc = dict(docs.get(change.id) or empty_doc(change.id, change.name, base_url))
        newest = max(
            (doc[k]["version"] for k in ("current", "upcoming", "withdrawn") if doc[k]), default=0
        )
        compiled = pending.compiled.get(change.id)
        if compiled is None:  # pending removal: shown as withdrawn
            doc.update(
                state="withdrawn",
                current=None,
                upcoming=None,
                withdrawn={
                    "version": newest + 1,
                    "effective_date": today.isoformat(),
                    "approved_at": "",
                    "reason": "草稿，未经审核：该事项将不再公开（指南已删除或不再主动公开）。",
                    "notice_key": None,
                },
            )
        else:
            doc.update(
                state="current",
                name=compiled["name"],
                current={
                    "version": newest + 1,
                    "effective_date": compiled["effective_date"],
                    "approved_at": "",
                    "content_hash": change.new_hash,
                    "notice_key": None,
                    "guide": compiled,
                },
                upcoming=None,
                withdrawn=None,
            )
            drafts[change.id] = {
                "status": change.status,
                "changes": [_shown_change(c.as_dict()) for c in change.changes],
            }
        docs[change.id] = doc
    return drafts


def _shown_change(change: Mapping[str, Any]) -> dict[str, Any]:
    head, *rest = str(change["path"]).split(".")
    label = field_title(head)
    where = [_sub_title(head, part) for part in rest]
    # An item's identity (a material id, a step name) helps; a whole condition's text does not.
    if where and sum(map(len, where)) <= 40:
        label += f"（{' › '.join(where)}）"
    return {
        "label": label,
        "redline": change.get("redline"),
        "old": change.get("old"),
        "new": change.get("new"),
    }


def _sub_title(field: str, part: str) -> str:
    """A path part's Chinese title where it names a field of the guide's models (``reason`` →
    必须到现场原因); anything else (an item's identity) as it is."""

    info = Guide.model_fields.get(field)
    todo = [info.annotation] if info else []
    while todo:  # the models in the field's type: Model, list[Model], Model | None …
        kind = todo.pop()
        todo += getattr(kind, "__args__", ())
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            sub = kind.model_fields.get(part)
            if sub is not None and sub.title:
                return sub.title
    return part


@contextmanager
def _ledger_for(root: Path) -> Iterator[str | None]:
    """None: the library's own ledger; else the URL of an empty temporary one (a library that
    has no ledger yet gets none made by a preview)."""

    if os.environ.get(DATABASE_URL_ENV, "").strip() or (root / STATE_DIR / LEDGER_FILE).exists():
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="guides-preview-ledger-") as folder:
        yield f"sqlite:///{folder}/ledger.sqlite"


def approved_docs(
    ledger: Any, today: dt.date, base_url: str
) -> tuple[dict[str, Doc], dict[str, Doc]]:
    """Every guide's document and every notice as the site shows them today."""

    docs: dict[str, Doc] = {}
    notices: dict[str, Doc] = {}
    query = (
        select(GuideVersion, Approval)
        .where(GuideVersion.approval_id == Approval.id)
        .order_by(col(GuideVersion.guide_id), col(GuideVersion.version))
    )
    with ledger.session() as session:
        for version, approval in session.exec(query):
            action: Action = (
                Action.WITHDRAW
                if version.withdrawn
                else Action.PUBLISH
                if version.effective_date <= today
                else Action.ANNOUNCE
            )
            delivery = Delivery.of(action, version, approval.approved_at)
            take(delivery, docs, notices, base_url)
    return docs, notices


def _signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    """What a rebuild depends on: the library's files and the ledger file, by time and size."""

    paths: list[Path] = []
    for top in ("library.yaml", "calendar.yaml", "guides", "catalogues"):
        path = root / top
        paths += sorted(path.rglob("*")) if path.is_dir() else [path]
    ledger = root / STATE_DIR / LEDGER_FILE
    paths += [ledger, ledger.with_name(LEDGER_FILE + "-wal")]
    found = []
    for p in paths:
        try:
            stat = p.stat()
        except FileNotFoundError:
            continue
        if not p.is_dir():
            found.append((str(p), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


@dataclass
class Preview(Served):
    """A preview server: its sockets are bound when made; :meth:`serve` starts answering."""

    root: Path
    sockets: list[socket.socket] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    warnings: list[str] = field(default_factory=list)
    folder: Path | None = None
    withdrawn: set[str] = field(default_factory=set)
    #: While the library does not build: what to show instead of the site.
    problem: Problem | None = None
    _temp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="guides-preview-")))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _signature: tuple[tuple[str, int, int], ...] = ()
    _checked: float = 0.0
    _builds: int = 0
    _server: WebServer | None = None

    def build(self) -> None:
        """Build the site afresh into a new folder, then serve that one; while the library does
        not build, :attr:`problem` says why (and which files, lines) instead."""
        self._builds += 1
        folder = self._temp / f"site-{self._builds}"
        signature = _signature(self.root)
        try:
            withdrawn = build_preview(self.root, folder, self.urls[0])
        except Exception as exc:  # GuidesError: a user's mistake; anything else is logged
            shutil.rmtree(folder, ignore_errors=True)
            self.problem, self._signature = library_problem(self.root, exc), signature
            return
        self.folder, self.withdrawn, self._signature = folder, withdrawn, signature
        self.problem = None
        # The build before stays: a request may still be reading from it.
        shutil.rmtree(self._temp / f"site-{self._builds - 2}", ignore_errors=True)

    def refresh(self) -> None:
        """Build again if the library or the ledger changed (at most one check a second)."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked < CHECK_INTERVAL:
                return
            self._checked = now
            if _signature(self.root) != self._signature:
                self.build()

    def app(self) -> ASGIApp:
        return preview_app(self)

    def close(self) -> None:
        """Stop answering (within a bound, whatever the browsers keep open) and clean up."""
        self.stop_serving()
        shutil.rmtree(self._temp, ignore_errors=True)


def start_preview(root: Path, port: int = 8000, limits: Limits | None = None) -> Preview:
    """Bind 127.0.0.1 and ::1 on ``port`` (0: any free port, the same for both), build the
    site, and return the preview ready to :meth:`~Preview.serve`."""
    sockets, warnings = bind(LOOPBACK, port)
    preview = Preview(root, sockets, limits or Limits(), warnings)
    try:
        preview.build()
    except BaseException:
        preview.close()
        raise
    return preview
