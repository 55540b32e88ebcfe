"""What the ledger says a channel shows, and what changed since the channel was last signed.

:func:`shown_guides` reads every delivered publication of a channel (``guides verify`` uses it).
A publish signs after every run, so :func:`shown_since` starts from what the last signature
listed (kept in the MAC'd stat cache, :mod:`guidesrc.manifest`) and reads again only the guides
the ledger logged an event for since then: an event of this channel or of none (an approval, a
withdrawal), not another channel's deliveries (after a first publish, every guide has those). A
tally of the channel's shown publications (count, sum of ids, a mixed sum of ids) is kept per
guide: the database's tally of the whole channel must equal the kept tally with those guides'
rows replaced, else every publication is read again. So a change the events do not name (a row
changed by another process between the two reads, say) is never missed.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from guidesrc.ledger.models import Event, GuideVersion, Publication
from guidesrc.statuses import Action, PublicationStatus

if TYPE_CHECKING:
    from guidesrc.ledger import Ledger

SHOWN_STATUSES = (
    PublicationStatus.DELIVERED,
    PublicationStatus.AWAITING,
)  # awaiting: the file is written, staff post it
_RANK = {Action.ANNOUNCE: 0, Action.PUBLISH: 1, Action.ACTIVATE: 1, Action.WITHDRAW: 2}
_MIX = (2654435761, 4294967291)  # a multiplier and a prime: the mixed sum of ids

Guides = dict[str, dict[str, Any]]
Tally = list[int]  # [count, sum of ids, mixed sum of ids]


class Overlay(Mapping[str, Any]):
    """``base`` with the entries of ``delta`` put over it (None: the key is gone): what changed
    since the last signature, over what it listed (read only where asked)."""

    def __init__(self, base: Mapping[str, Any], delta: dict[str, Any]) -> None:
        self.base = base
        self.delta = delta

    def __getitem__(self, key: str) -> Any:
        if key in self.delta:
            found = self.delta[key]
            if found is None:
                raise KeyError(key)
            return found
        return self.base[key]

    def __iter__(self) -> Iterator[str]:
        yield from (key for key in self.base if key not in self.delta)
        yield from (key for key, entry in self.delta.items() if entry is not None)

    def __len__(self) -> int:
        count = len(self.base)
        for key, entry in self.delta.items():
            count += (entry is not None) - (key in self.base)
        return count


@dataclass(frozen=True, slots=True)
class Shown:
    """What a channel shows (``guides``, as the manifest lists them), the newest event id read
    before it was computed (``mark``), and the tallies of its shown publications."""

    guides: Mapping[str, Any]
    mark: int
    tallies: Mapping[str, Tally]
    total: Tally

    def head(self) -> dict[str, Any]:
        """The mark and the total (the guides and tallies are kept by shard, apart)."""
        return {"mark": self.mark, "total": self.total}

    @classmethod
    def of(cls, head: Any, guides: Mapping[str, Any], tallies: Mapping[str, Tally]) -> Shown | None:
        """The kept state (from the MAC'd cache, which only this machine's signer writes);
        None if ``head`` is not one."""
        try:
            return cls(guides, int(head["mark"]), tallies, [int(n) for n in head["total"]])
        except (KeyError, TypeError, ValueError):
            return None

    def changes(self, base: Shown | None) -> set[str] | None:
        """The guides whose entry or tally may differ from ``base``'s, when this state was built
        on it (:func:`shown_since`); None when it was not (every guide may differ)."""
        if base is None:
            return None
        if self is base:
            return set()
        guides, tallies = self.guides, self.tallies
        if not (isinstance(guides, Overlay) and isinstance(tallies, Overlay)):
            return None
        if guides.base is not base.guides or tallies.base is not base.tallies:
            return None
        return guides.delta.keys() | tallies.delta.keys()


def shown_guides(ledger: Ledger, channel: str) -> Guides:
    """Per guide, what the channel shows after its delivered publications, as the adapters apply
    them: the version in force, the one announced, or the withdrawal; newer versions win."""
    return _read(ledger, channel, None)[0]


def shown_since(ledger: Ledger, channel: str, last: Shown | None) -> Shown:
    """What the channel shows now: from ``last`` (the state at its last signature) and the
    guides with events since, when the channel's tally agrees; else read whole."""
    with ledger.engine.connect() as conn:
        mark = int(conn.execute(sa.select(sa.func.max(_E.id))).scalar() or 0)
        if last is not None and mark >= last.mark:
            # by the primary key (DISTINCT would walk the whole guide_id index); an event of
            # another channel (its deliveries) changes nothing this channel shows
            query = sa.select(_E.guide_id).where(
                _E.id > last.mark,
                _E.guide_id.is_not(None),
                sa.or_(_E.channel.is_(None), _E.channel == channel),
            )
            changed = {str(g) for (g,) in conn.execute(query)}
            total = _total(conn, channel)
        else:
            changed, total = set(), None
    if last is not None and total is not None:
        if not changed:
            return last if last.total == total else _whole(ledger, channel, mark)
        guides, tallies = _read(ledger, channel, changed)
        before = _sum(last.tallies[g] for g in changed if g in last.tallies)
        after = _sum(tallies.values())
        if [t - b + a for t, b, a in zip(last.total, before, after, strict=True)] == total:
            merged = Overlay(last.guides, {g: guides.get(g) for g in sorted(changed)})
            kept = Overlay(last.tallies, {g: tallies.get(g) for g in sorted(changed)})
            return Shown(merged, mark, kept, total)
    return _whole(ledger, channel, mark)


def _whole(ledger: Ledger, channel: str, mark: int) -> Shown:
    guides, tallies = _read(ledger, channel, None)
    return Shown(guides, mark, tallies, _sum(tallies.values()))


_P = Publication.__table__.c  # type: ignore[attr-defined]
_V = GuideVersion.__table__.c  # type: ignore[attr-defined]
_E = Event.__table__.c  # type: ignore[attr-defined]


def _mixed(column: Any) -> Any:
    # 64-bit arithmetic on every database: PostgreSQL's INTEGER would overflow
    wide = sa.cast(column, sa.BigInteger)
    return (wide * sa.literal(_MIX[0], sa.BigInteger)) % sa.literal(_MIX[1], sa.BigInteger)


def _shown_unindexed() -> Any:
    """The status is one of :data:`SHOWN_STATUSES`, compared as an expression that no index
    serves (so that the database does not walk the status index)."""
    return _P.status.concat("").in_([str(s) for s in SHOWN_STATUSES])


def _total(conn: sa.Connection, channel: str) -> Tally:
    """The tally of the channel's shown publications: that of all its rows (one pass over the
    table that reads no status, 4 times faster than one that does) less that of the rows in any
    other status (by the status index: the few queued, failed, superseded …)."""
    every = _tally(conn, _P.channel == channel)
    hidden = _tally(conn, _P.channel == channel, _not_shown())
    return [a - b for a, b in zip(every, hidden, strict=True)]


def _tally(conn: sa.Connection, *where: Any) -> Tally:
    query = sa.select(sa.func.count(), sa.func.sum(_P.id), sa.func.sum(_mixed(_P.id)))
    row = conn.execute(query.where(*where)).one()
    return [int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)]


def _not_shown() -> Any:
    """Any status but those of :data:`SHOWN_STATUSES` (even one no code writes), as ranges the
    status index serves."""
    shown = sorted(str(s) for s in SHOWN_STATUSES)
    ranges = [_P.status < shown[0], _P.status > shown[-1]]
    ranges += [sa.and_(_P.status > a, _P.status < b) for a, b in itertools.pairwise(shown)]
    return sa.or_(*ranges)


def _sum(tallies: Iterable[Tally]) -> Tally:
    total = [0, 0, 0]
    for tally in tallies:
        total = [total[0] + tally[0], total[1] + tally[1], total[2] + tally[2]]
    return total


def _read(
    ledger: Ledger, channel: str, guides: Collection[str] | None
) -> tuple[Guides, dict[str, Tally]]:
    """What the channel shows of ``guides`` (None: of every guide), and their tallies."""
    query = (
        sa.select(_P.guide_id, _P.action, _V.version, _V.content_hash, _P.id)
        .join(GuideVersion.__table__, _V.id == _P.version_id)  # type: ignore[attr-defined]
        .where(_P.channel == channel)
    )
    if guides is None:
        query = query.where(_P.status.in_(SHOWN_STATUSES))
    else:  # by the guides' index, never the status index (every shown publication is in it)
        query = query.where(_P.guide_id.in_(sorted(guides)), _shown_unindexed())
    with ledger.engine.connect() as conn:
        rows = sorted(conn.execute(query), key=lambda r: (r[0], r[2], _RANK.get(r[1], 1)))
    states: dict[str, dict[str, Any]] = {}
    tallies: dict[str, Tally] = {}
    for guide_id, action, version, digest, pub_id in rows:
        _apply(states.setdefault(guide_id, {}), action, version, digest)
        tally = tallies.setdefault(guide_id, [0, 0, 0])
        tally[0] += 1
        tally[1] += pub_id
        tally[2] += (pub_id * _MIX[0]) % _MIX[1]
    shown = {gid: entry for gid, state in states.items() if (entry := _entry(state))}
    return shown, tallies


def _apply(state: dict[str, Any], action: str, version: int, digest: str | None) -> None:
    floor = max((state[s]["version"] for s in ("current", "withdrawn") if state.get(s)), default=0)
    if action == Action.ANNOUNCE:
        upcoming = state.get("upcoming")
        if version > floor and (upcoming is None or version >= upcoming["version"]):
            state["upcoming"] = {"version": version, "content_hash": digest}
        return
    if version < floor:
        return  # an older version delivered late: the channel keeps the newer one
    if action == Action.WITHDRAW:
        state.clear()
        state["withdrawn"] = {"version": version}
        return
    state["current"] = {"version": version, "content_hash": digest}
    state.pop("withdrawn", None)
    upcoming = state.get("upcoming")
    if upcoming is not None and upcoming["version"] <= version:
        del state["upcoming"]


def _entry(state: dict[str, Any]) -> dict[str, Any] | None:
    """``{"state", "version", "content_hash"[, "upcoming"]}`` as the manifest lists a guide."""
    if state.get("withdrawn"):
        return {"state": "withdrawn", "version": state["withdrawn"]["version"]}
    current, upcoming = state.get("current"), state.get("upcoming")
    if current is not None:
        entry = {"state": "current", **current}
        if upcoming is not None:
            entry["upcoming"] = upcoming
        return entry
    if upcoming is not None:
        return {"state": "upcoming", **upcoming}
    return None
