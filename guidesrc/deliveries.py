"""A :class:`~guidesrc.adapters.Delivery` made from the ledger's rows: what an adapter is handed
for one approved version (the publisher, a channel rebuilt, the preview)."""

from __future__ import annotations

import datetime as dt

import orjson

from guidesrc.adapters import Action, Delivery
from guidesrc.ledger.models import Approval, GuideVersion


def delivery_of(
    version: GuideVersion,
    approval: Approval,
    action: Action,
    deadline: dt.datetime | None = None,
) -> Delivery:
    return Delivery(
        action=action,
        guide_id=version.guide_id,
        version=version.version,
        name=version.name,
        effective_date=version.effective_date,
        approved_at=approval.approved_at,
        content_hash=version.content_hash,
        guide=orjson.loads(version.compiled) if version.compiled else None,
        notice=orjson.loads(version.notice),
        reason=version.reason,
        deadline=deadline,
    )
