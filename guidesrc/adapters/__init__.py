"""Channel adapters: how an approved guide version reaches one channel.

An adapter is a subclass of :class:`Adapter` that handles :class:`Delivery` values (the contract:
:mod:`guidesrc.adapters.base`, described with a worked example in ``docs/publishing.md``). Built-in
and third-party adapters are found the same way, through the ``guidesrc.adapters`` entry-point
group (:mod:`guidesrc.adapters.registry`)::

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

from guidesrc.adapters.base import (
    Action,
    Adapter,
    AdapterSettings,
    ApprovedVersion,
    Delivery,
    FileAdapter,
    FolderSettings,
    Receipt,
    Shown,
    safe_id,
)
from guidesrc.adapters.registry import (
    ENTRY_POINT_GROUP,
    adapter_types,
    channel_problems,
    make_adapter,
    make_adapters,
)
from guidesrc.errors import (
    DeliveryError,
    FailedElsewhere,
    PermanentDeliveryError,
    TransientDeliveryError,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Action",
    "Adapter",
    "AdapterSettings",
    "ApprovedVersion",
    "Delivery",
    "DeliveryError",
    "FailedElsewhere",
    "FileAdapter",
    "FolderSettings",
    "PermanentDeliveryError",
    "Receipt",
    "Shown",
    "TransientDeliveryError",
    "adapter_types",
    "channel_problems",
    "make_adapter",
    "make_adapters",
    "safe_id",
]
