"""Channel adapters: how an approved guide version reaches one channel.

An adapter is a subclass of :class:`Adapter` that handles :class:`Delivery` values. Built-in and
third-party adapters are found the same way, through the ``guidesrc.adapters`` entry-point group::

    [project.entry-points."guidesrc.adapters"]
    directory = "guidesrc.adapters.directory:DirectoryAdapter"

A channel in ``library.yaml`` names its adapter by that entry-point name (``type``) and gives its
settings, which the adapter's ``Settings`` model checks. Secrets never go in the library: a
setting names the environment variable that holds them.

The publisher guarantees at-least-once delivery through its outbox; adapters make that exactly
once by being idempotent per :attr:`Delivery.key` (delivering the same key twice leaves the
channel as one delivery would) and, where the channel can tell, by answering :meth:`Adapter.lookup`
for a delivery that a crashed run may have completed.

**One guide's failure is its own.** An adapter that takes many deliveries at once
(:meth:`Adapter.deliver_many`) returns one result per delivery, in order: a receipt for each
delivery it made, an exception for each it could not make. It raises only when the channel as a
whole fails (its folder cannot be written, its server is down): then every delivery of the batch
is failed and retried. A failed delivery leaves the channel as it was for that guide (its previous
version stays published); the publisher records the exception (a reason for staff, the full cause
for IT) and retries only that delivery, with backoff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from guidesrc.diagnostics import Diagnostic, RuleId
from guidesrc.errors import ChannelError
from guidesrc.errors import DeliveryError as DeliveryError  # re-exported: adapters raise them
from guidesrc.errors import FailedElsewhere as FailedElsewhere
from guidesrc.errors import PermanentDeliveryError as PermanentDeliveryError
from guidesrc.errors import TransientDeliveryError as TransientDeliveryError
from guidesrc.i18n import N_, _
from guidesrc.statuses import Action as Action  # re-exported: Delivery.action
from guidesrc.urls import is_guide_id

ENTRY_POINT_GROUP = "guidesrc.adapters"


def safe_id(guide_id: str) -> str:
    """``guide_id`` if it can be used as a file or URL name; ChannelError otherwise."""
    if not is_guide_id(guide_id):
        raise ChannelError(_('"{id}" is not a valid guide id').format(id=guide_id))
    return guide_id


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

    @property
    def key(self) -> str:
        """The same for every attempt at this delivery, different for any other delivery."""
        return f"{self.guide_id}@{self.version}:{self.action}"


class AdapterSettings(BaseModel):
    """Base for an adapter's settings: strict, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Adapter:
    """One publishing channel. Subclasses set ``Settings`` and implement :meth:`deliver`."""

    Settings: ClassVar[type[AdapterSettings]] = AdapterSettings
    #: How many deliveries the publisher hands over at once (None: all that are due). An adapter
    #: that builds one whole thing from many deliveries (a site, switched at once) takes them all.
    batch_size: ClassVar[int | None] = 1

    #: The configuration in force (the approved ``library.yaml``), set by :func:`make_adapters`.
    library_settings: Any = None

    def __init__(self, channel: str, settings: AdapterSettings, library: Path) -> None:
        self.channel = channel
        self.settings = settings
        self.library = library

    def library_config(self) -> Any:
        """The library's configuration in force: the approved one given by the publisher, else
        (an adapter made outside a publish run) the working tree's ``library.yaml``."""
        if self.library_settings is None:
            from guidesrc.workdays import read_config

            self.library_settings = read_config(self.library)
        return self.library_settings

    def deliver(self, delivery: Delivery) -> dict[str, Any]:
        """Carry out the delivery; return a receipt (JSON-able) that proves what was delivered.

        Raise any exception to report a failure; the publisher records it and retries later.
        """
        raise NotImplementedError

    def deliver_many(
        self, work: Sequence[tuple[Delivery, bool]]
    ) -> list[dict[str, Any] | Exception]:
        """Carry out deliveries in order: a receipt, or the exception, for each.

        ``work`` pairs each delivery with ``retry``: an earlier attempt may have landed, so the
        channel is asked first (:meth:`lookup`). The default delivers one by one; an adapter with a
        ``batch_size`` above one overrides it to apply a batch at once. An override does each
        guide's own work (rendering, serialising, checking) under its own ``try``, leaves a failed
        guide as it was on the channel, and returns its exception in its place; it raises only
        when nothing of the batch can be delivered (the publisher then fails the whole batch).
        """
        results: list[dict[str, Any] | Exception] = []
        for delivery, retry in work:
            try:
                receipt = self.lookup(delivery) if retry else None
                results.append(receipt if receipt is not None else self.deliver(delivery))
            except Exception as exc:  # reported per delivery; the others go on
                results.append(exc)
        return results

    def lookup(self, delivery: Delivery) -> dict[str, Any] | None:
        """The receipt of this delivery if the channel already has it (after a crash), else None.

        The default says "not known", so the delivery is made again: fine for idempotent adapters.
        """
        return None

    def close(self) -> None:
        """Called once at the end of a publishing run."""


@cache
def adapter_types() -> dict[str, type[Adapter]]:
    """Every installed adapter by its type name (entry point name)."""
    found: dict[str, type[Adapter]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, _load(ep))
    return found


def _load(ep: Any) -> type[Adapter]:
    try:
        cls = ep.load()
    except Exception as exc:  # a broken third-party package must not look like our bug
        raise ChannelError(
            _("the adapter {name} ({value}) cannot be loaded: {reason}").format(
                name=ep.name, value=ep.value, reason=exc
            )
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise ChannelError(
            _("the adapter {name} ({value}) is not a guidesrc Adapter class").format(
                name=ep.name, value=ep.value
            )
        )
    return cls


def channel_problems(channels: dict[str, Any], rel: str = "library.yaml") -> list[Diagnostic]:
    """What is wrong with the channels of ``library.yaml``: an adapter that is not installed,
    settings its adapter refuses, a secret, address or folder the deployment does not allow
    (:mod:`guidesrc.config_policy`; rule ``channel``; ``guides check`` and ``guides publish``)."""
    from guidesrc.check.schema_errors import diagnostics_from
    from guidesrc.config_policy import channel_policy
    from guidesrc.deployment import load_deployment

    problems: list[Diagnostic] = []
    types = adapter_types()
    deployment = load_deployment()
    for name, channel in channels.items():
        here: tuple[str | int, ...] = ("channels", name)
        if channel.type not in types:
            problems.append(
                Diagnostic(
                    RuleId.CHANNEL,
                    "error",
                    rel,
                    path=(*here, "type"),
                    message=N_('no adapter named "{kind}" is installed'),
                    hint=N_("use one of: {known}; or install the package that provides it"),
                    args={"kind": channel.type, "known": ", ".join(sorted(types)) or "-"},
                )
            )
            continue
        try:
            settings = types[channel.type].Settings.model_validate(channel.settings)
        except ValidationError as exc:
            for d in diagnostics_from(exc, rel, types[channel.type].Settings):
                problems.append(
                    dataclasses.replace(d, rule=RuleId.CHANNEL, path=(*here, "settings", *d.path))
                )
            continue
        problems += channel_policy(name, settings, rel, deployment)
    return problems


def make_adapters(root: Path, config: Any, source: bytes | None = None) -> dict[str, Adapter]:
    """An adapter per channel of ``config`` (the approved configuration: ``source`` is its
    ``library.yaml``; the working tree's when not given); ChannelError listing every problem
    (with its line in ``library.yaml``) before any adapter is made."""
    from guidesrc.diagnostic_lines import located_lines
    from guidesrc.library import CONFIG_FILE, read_file, size_limit
    from guidesrc.yamlio import decode

    problems = channel_problems(config.channels) or _folder_problems(root, config.channels)
    if problems:
        data = source if source is not None else read_file(root, CONFIG_FILE)
        raise ChannelError(
            located_lines(decode(data, CONFIG_FILE, size_limit(CONFIG_FILE)), problems)
        )
    types = adapter_types()
    adapters = {
        name: types[channel.type](
            name, types[channel.type].Settings.model_validate(channel.settings), root
        )
        for name, channel in config.channels.items()
    }
    for adapter in adapters.values():
        adapter.library_settings = config
    return adapters


def _folder_problems(root: Path, channels: dict[str, Any]) -> list[Diagnostic]:
    """Channel folders that lead into the tool state or out of the allowed roots once symbolic
    links are followed (checked where the library is: at publish time)."""
    from guidesrc.config_policy import resolved_refusal
    from guidesrc.deployment import load_deployment

    deployment = load_deployment()
    problems = []
    for name, channel in channels.items():
        value = channel.settings.get("path")
        refusal = resolved_refusal(root, value, deployment) if isinstance(value, str) else None
        if refusal is not None:
            problems.append(
                Diagnostic(
                    RuleId.CHANNEL,
                    "error",
                    "library.yaml",
                    ("channels", name, "settings", "path"),
                    refusal,
                    N_(
                        "a folder of .guides reached through a link is refused too; remove the link"
                    ),
                    {"path": value},
                )
            )
    return problems
