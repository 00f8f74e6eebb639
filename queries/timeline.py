"""An entity's history: its edges in the order they were first (then last) seen."""

from __future__ import annotations

from dataclasses import dataclass

from graph_model.errors import InvalidArgument, LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.results import TimelineEntry
from queries.scope import resolve_keys

MAX_LIMIT = 5000


@dataclass(frozen=True, slots=True)
class TimelinePage:
    """``total`` visible links of the entity, and the entries from ``offset`` on."""

    total: int
    offset: int
    entries: list[TimelineEntry]


def timeline_page(
    store: GraphStore, clearance: TLP, key: str, *, offset: int = 0, limit: int = 50
) -> TimelinePage:
    """A page of :func:`timeline`: the entries from ``offset`` on (at most ``limit``, 0-5000) and how many
    there are in all. Only the page's records are read where the store orders on its side (Neo4j), so
    a hub with 50,000 links costs a page, not 50,000 records.

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> page = timeline_page(sample_store(), TLP.CLEAR, "handle:wazawaka", offset=1, limit=5)
    >>> page.total, [(e.edge.type, e.other.name) for e in page.entries]
    (2, [('MEMBER_OF', 'Conti')])
    """
    if offset < 0 or limit < 0:
        raise InvalidArgument(f"offset and limit are not negative (got {offset}, {limit})")
    if limit > MAX_LIMIT:
        raise LimitExceeded(f"limit {limit} is outside 0-{MAX_LIMIT}")
    total, entries = _entries(store, clearance, key, offset, limit)
    return TimelinePage(total=total, offset=offset, entries=entries)


def _entries(
    store: GraphStore, clearance: TLP, key: str, offset: int, limit: int
) -> tuple[int, list[TimelineEntry]]:
    (origin,) = resolve_keys(store, [key], clearance)
    types = frozenset(store.model.edges)
    total, edges = store.timeline_page(origin, clearance=clearance, types=types, offset=offset, limit=limit)
    others = store.nodes({e.target if e.source == origin else e.source for e in edges}, clearance=clearance)
    return total, [
        TimelineEntry(edge=e, other=others[o], first_seen=e.prov.first_seen, last_seen=e.prov.last_seen)
        for e in edges
        if (o := e.target if e.source == origin else e.source) in others
    ]


def timeline(store: GraphStore, clearance: TLP, key: str, *, limit: int | None = 200) -> list[TimelineEntry]:
    """The visible edges of an entity with the entity at their other end, oldest first.

    Ordered by first seen, then last seen, then edge key, as the caller sees the dates; undated edges
    come last. At most ``limit`` (1-5000; None: all) entries. An edge the caller may not see, or whose
    other end they may not see, is left out.

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> entries = timeline(sample_store(), TLP.CLEAR, "handle:wazawaka")
    >>> [(e.first_seen[:10], e.edge.type, e.other.name) for e in entries]
    [('2021-02-01', 'MEMBER_OF', 'LockBit'), ('2021-06-01', 'MEMBER_OF', 'Conti')]
    """
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise LimitExceeded(f"limit {limit} is outside 1-{MAX_LIMIT}")
    return _entries(store, clearance, key, 0, 10**9 if limit is None else limit)[1]
