"""The adapter contract: what a channel is, what it is given, and what it answers.

An adapter is a subclass of :class:`Adapter`, generic over its settings model (a subclass of
:class:`AdapterSettings`), that handles :class:`Delivery` values. A channel that publishes into a
folder subclasses :class:`FileAdapter`, whose settings (:class:`FolderSettings`) name the folder.
What a channel is, it declares on the class (:attr:`Adapter.files`, :attr:`Adapter.readable`,
:attr:`Adapter.incremental`, :attr:`Adapter.printable`), so the rest of guidesrc asks the class,
never the settings. ``docs/publishing.md`` describes the contract and a worked third-party adapter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict

from guidesrc.errors import ChannelError
from guidesrc.i18n import _
from guidesrc.statuses import Action as Action  # re-exported: Delivery.action
from guidesrc.urls import is_guide_id

if TYPE_CHECKING:
    from guidesrc.model.library import LibraryConfig

#: Action (re-exported from guidesrc.statuses):
#: publish   the version is in force now: show it as the guide
#: announce  the version takes effect later: show it as upcoming (自 X 起实施), keep the current one
#: activate  the effective date of an announced version has come: it becomes the guide
#: withdraw  the guide is taken down, with the reason

#: A receipt: JSON-able proof of what a delivery did on the channel, kept in the ledger.
Receipt = dict[str, Any]

#: What a channel shows of one guide, in the form of the signed manifests' entries::
#:
#:     {"state": "current", "version": 3, "content_hash": "…", "upcoming": {"version": 4, …}}
#:     {"state": "upcoming", "version": 4, "content_hash": "…"}
#:     {"state": "withdrawn", "version": 5}
Shown = dict[str, Any]


def safe_id(guide_id: str) -> str:
    """``guide_id`` if it can be used as a file or URL name; ChannelError otherwise."""
    if not is_guide_id(guide_id):
        raise ChannelError(_('"{id}" is not a valid guide id').format(id=guide_id))
    return guide_id


class ApprovedVersion(Protocol):
    """An approved version as the ledger keeps it (:class:`guidesrc.ledger.models.GuideVersion`)."""

    @property
    def guide_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def effective_date(self) -> dt.date: ...
    @property
    def content_hash(self) -> str | None: ...
    @property
    def compiled(self) -> str | None: ...
    @property
    def notice(self) -> dict[str, Any]: ...
    @property
    def reason(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """One thing to do on a channel, for one version of one guide."""

    action: Action
    guide_id: str
    version: int
    name: str
    effective_date: dt.date
    approved_at: dt.datetime
    content_hash: str | None  # None for a withdrawal
    guide: dict[str, Any] | None  # the compiled guide (None for a withdrawal)
    notice: dict[str, Any]  # the change notice (Notice.as_dict()): text, items, effective date
    reason: str | None = None  # why the guide is withdrawn
    deadline: dt.datetime | None = None  # when the delivery is due (UTC), from the ledger

    @classmethod
    def of(
        cls,
        action: Action,
        version: ApprovedVersion,
        approved_at: dt.datetime,
        deadline: dt.datetime | None = None,
    ) -> Delivery:
        """The delivery of an approved version of the ledger."""
        return cls(
            action=action,
            guide_id=version.guide_id,
            version=version.version,
            name=version.name,
            effective_date=version.effective_date,
            approved_at=approved_at,
            content_hash=version.content_hash,
            guide=orjson.loads(version.compiled) if version.compiled else None,
            notice=version.notice,
            reason=version.reason,
            deadline=deadline,
        )

    @property
    def key(self) -> str:
        """The same for every attempt at this delivery, different for any other delivery."""
        return f"{self.guide_id}@{self.version}:{self.action}"

    def content(self) -> dict[str, Any]:
        """What the delivery says of the guide (all but the action and the deadline)."""
        return {name: getattr(self, name) for name in _CONTENT}


#: The fields of a delivery that describe the guide's version.
_CONTENT = (
    "guide_id",
    "name",
    "version",
    "effective_date",
    "approved_at",
    "content_hash",
    "guide",
    "notice",
    "reason",
)


class AdapterSettings(BaseModel):
    """Base for an adapter's settings: strict, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FolderSettings(AdapterSettings):
    """Settings of a file channel: the folder it publishes into."""

    path: str  # the output folder; relative paths are taken from the library's folder


S = TypeVar("S", bound=AdapterSettings)
F = TypeVar("F", bound=FolderSettings)


class Adapter(Generic[S]):
    """One publishing channel. A subclass names its settings model twice, as the type parameter
    (for ``self.settings``) and as ``Settings`` (read by guidesrc to check ``library.yaml``), and
    implements :meth:`deliver` or :meth:`deliver_many`::

        class JournalAdapter(Adapter[JournalSettings]):
            Settings = JournalSettings
    """

    Settings: ClassVar[type[AdapterSettings]] = AdapterSettings
    #: How many deliveries the publisher hands over at once (None: all that are due). An adapter
    #: that builds one whole thing from many deliveries (a site, switched at once) takes them all.
    batch_size: ClassVar[int | None] = 1

    # --- what the channel is (asked of the class, before any adapter is made) ------------------

    #: A file channel: it publishes into a folder (:attr:`folder`), which ``guides publish`` signs
    #: (a manifest of every file) and ``guides verify`` reads back file by file.
    files: ClassVar[bool] = False
    #: :meth:`read_back` says what the channel shows of a guide (``guides verify`` asks it).
    readable: ClassVar[bool] = False
    #: A run renders only what its deliveries change; the rest of the channel is kept from earlier
    #: runs (so the work of a publish follows the change more than the size of the library).
    incremental: ClassVar[bool] = False
    #: Its folder holds a sheet to print per guide (``current/``, ``upcoming/``, ``withdrawn/``
    #: with a manifest): the printer channel and the kiosk print from it.
    printable: ClassVar[bool] = False
    #: Delivering it takes much of this process's CPU (a site's pages, lists and search index):
    #: ``guides publish`` delivers and signs it in a process of its own, beside the other
    #: channels, where it can fork (:mod:`guidesrc.lanes`). Its adapter must hold nothing a fork
    #: cannot share (threads, open sockets) before :meth:`deliver_many`.
    heavy: ClassVar[bool] = False

    def __init__(self, channel: str, settings: S, library: Path, config: LibraryConfig) -> None:
        """``channel``: its name in ``library.yaml``; ``settings``: checked by ``Settings``;
        ``library``: the library's folder; ``config``: the library's configuration in force (the
        approved ``library.yaml``), handed in once by whoever makes the adapter."""
        self.channel = channel
        self.settings: S = settings
        self.library = library
        self.config = config

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        """A channel class implements :meth:`deliver` or :meth:`deliver_many` (each defaults to
        the other; a base class for channels says ``abstract=True``), and a printable channel is
        a file channel."""
        super().__init_subclass__(**kwargs)
        default = cls.deliver is Adapter.deliver and cls.deliver_many is Adapter.deliver_many
        if default and not abstract:
            raise TypeError(f"{cls.__name__} implements neither deliver nor deliver_many")
        if cls.printable and not cls.files:
            raise TypeError(f"{cls.__name__} is printable but not a file channel (FileAdapter)")

    # --- where --------------------------------------------------------------------------------

    @property
    def where(self) -> str:
        """Where the channel publishes, for people (a folder as written, an address)."""
        return ""

    @classmethod
    def folder_for(cls, library: Path, settings: S) -> Path | None:
        """The folder a channel of this type publishes into with ``settings`` (relative paths
        from ``library``); None when it is not a file channel."""
        return None

    @property
    def folder(self) -> Path | None:
        """The folder this channel publishes into; None when it is not a file channel."""
        return self.folder_for(self.library, self.settings)

    # --- delivering ---------------------------------------------------------------------------

    def deliver(self, delivery: Delivery) -> Receipt:
        """Carry out the delivery; return a receipt (JSON-able) that proves what was delivered.

        Raise any exception to report a failure; the publisher records it and retries later.
        The default hands the one delivery to :meth:`deliver_many` (for an adapter that
        overrides that one).
        """
        (result,) = self.deliver_many([(delivery, False)])
        if isinstance(result, Exception):
            raise result
        return result

    def deliver_many(self, work: Sequence[tuple[Delivery, bool]]) -> list[Receipt | Exception]:
        """Carry out deliveries in order: a receipt, or the exception, for each.

        ``work`` pairs each delivery with ``retry``: an earlier attempt may have landed, so the
        channel is asked first (:meth:`lookup`). The default delivers one by one; an adapter with a
        ``batch_size`` above one overrides it to apply a batch at once. An override does each
        guide's own work (rendering, serialising, checking) under its own ``try``, leaves a failed
        guide as it was on the channel, and returns its exception in its place; it raises only
        when nothing of the batch can be delivered (the publisher then fails the whole batch).
        """
        results: list[Receipt | Exception] = []
        for delivery, retry in work:
            try:
                receipt = self.lookup(delivery) if retry else None
                results.append(receipt if receipt is not None else self.deliver(delivery))
            except Exception as exc:  # reported per delivery; the others go on
                results.append(exc)
        return results

    def lookup(self, delivery: Delivery) -> Receipt | None:
        """The receipt of this delivery if the channel already has it (after a crash), else None.

        The default says "not known", so the delivery is made again: fine for idempotent adapters.
        """
        return None

    def read_back(self, guide_id: str, expected: Shown | None = None) -> Shown | None:
        """What the channel shows of a guide now, read from the channel itself (never from what
        this adapter remembers): a :data:`Shown`, or None when it shows nothing of the guide.

        Only for a ``readable`` channel. ``expected`` is what the ledger says the channel shows
        (a channel whose requests name a delivery, as the http channel's do, may name that one).
        Raise a :class:`~guidesrc.adapters.DeliveryError` when the channel cannot be read.
        """
        raise NotImplementedError(f"the {type(self).__name__} channel cannot be read back")

    def close(self) -> None:
        """Called once at the end of a publishing run (or of a verify)."""


class FileAdapter(Adapter[F], abstract=True):
    """A channel that publishes into a folder of its own (``settings.path``)."""

    files: ClassVar[bool] = True

    @classmethod
    def folder_for(cls, library: Path, settings: F) -> Path:
        return library / settings.path

    @property
    def folder(self) -> Path:
        return self.folder_for(self.library, self.settings)

    @property
    def where(self) -> str:
        return self.settings.path
