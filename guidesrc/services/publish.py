"""Publish: deliver the approved versions to every channel, or rewrite one file channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any

from guidesrc import publisher
from guidesrc.adapters import Adapter
from guidesrc.channel_audit import Finding
from guidesrc.errors import ChannelError, SigningKeyError
from guidesrc.i18n import _
from guidesrc.publisher import RunReport
from guidesrc.recovery import Rebuilt, rebuild_channel
from guidesrc.services.library import Library
from guidesrc.signing import signing_key


@dataclass(frozen=True, slots=True)
class Refusal:
    """A file channel left unsigned: files in its folder that no publish wrote."""

    channel: str
    folder: str
    findings: list[Finding]


@dataclass(frozen=True, slots=True)
class Published:
    """A publishing run: ``unsigned``, file channels were published without a signing key."""

    run: RunReport
    refusals: list[Refusal] = field(default_factory=list)
    unsigned: bool = False

    @property
    def locked_out(self) -> bool:
        """Another publisher was running: nothing was done."""
        return self.run.locked_out

    @property
    def handed_over(self) -> int:
        """Deliveries printed in reprint batches for hall staff to post."""
        return sum(o.handed_over for o in self.run.outcomes)

    @property
    def ok(self) -> bool:
        return not (self.run.failed or self.refusals)


def adapters(library: Library) -> dict[str, Adapter[Any]]:
    """An adapter per channel of the configuration in force; at least one channel."""
    found = publisher.channel_adapters(
        library.root, library.config, library.settings.library_yaml()
    )
    if not found:
        raise ChannelError(
            _(
                "library.yaml: channels: no channel is configured, so there is nowhere to publish; add one, e.g. a directory channel (see README)"
            )
        )
    return found


def publish(library: Library, *, wait: bool = False, retry_now: bool = False) -> Published:
    """Deliver every approved version not yet delivered to every channel. ``wait``: wait for
    another publisher instead of stopping; ``retry_now``: retry failures without backoff."""
    made = cache(partial(adapters, library))  # under the publisher's lock (see there)
    run = publisher.publish(
        library.ledger,
        made,
        deadline_for=library.deadline,
        timezone=library.config.timezone,
        wait=wait,
        retry_now=retry_now,
        channels=list(library.config.channels),
    )
    if run.locked_out:
        return Published(run)
    channels = made()
    return Published(run, refusals(run.refused, channels), _unsigned(library, channels))


def refusals(refused: dict[str, list[Finding]], channels: dict[str, Adapter[Any]]) -> list[Refusal]:
    return [
        Refusal(name, str(channels[name].folder), findings)
        for name, findings in sorted(refused.items())
    ]


def _unsigned(library: Library, channels: dict[str, Adapter[Any]]) -> bool:
    """File channels get a signed manifest only when a signing key is configured."""
    if not any(a.files for a in channels.values()):
        return False
    try:
        return signing_key(library.root) is None
    except SigningKeyError:
        return False  # the publisher logged the problem; `guides keys status` explains it


@dataclass(frozen=True, slots=True)
class Rebuild:
    """A file channel rewritten from the ledger (``done`` None: another publisher runs)."""

    channel: str
    done: Rebuilt | None
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        done = self.done
        return (
            done is not None and not done.failed and done.signed is not None and not self.refusals
        )


def rebuild(library: Library, channel: str, *, wait: bool = False) -> Rebuild:
    """Rewrite the file channel ``channel`` from the ledger's approved versions and sign it; the
    old folder is moved to ``.guides/quarantine``."""
    channels = adapters(library)
    done = rebuild_channel(library.ledger, channels, channel, library.now, wait)
    if done is None or done.signed is None or not done.signed.refused:
        return Rebuild(channel, done)
    return Rebuild(channel, done, refusals({channel: list(done.signed.findings)}, channels))
