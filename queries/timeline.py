"""An entity's history: its edges in the order they were first (then last) seen."""

from __future__ import annotations

from graph_model.errors import LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.results import TimelineEntry
from queries.scope import resolve_keys

MAX_LIMIT = 5000


def timeline(store: GraphStore, clearance: TLP, key: str, *, limit: int | None = 200) -> list[TimelineEntry]:
    """The visible edges of an entity with the entity at their other end, oldest first.

    Ordered by first seen, then last seen, then edge key; undated edges come last. At most ``limit``
    (1-5000) entries. An edge the caller may not see, or whose other end they may not see, is left out.

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> entries = timeline(sample_store(), TLP.CLEAR, "handle:wazawaka")
    >>> [(e.first_seen[:10], e.edge.type, e.other.name) for e in entries]
    [('2021-02-01', 'MEMBER_OF', 'LockBit'), ('2021-06-01', 'MEMBER_OF', 'Conti')]
    """
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise LimitExceeded(f"limit {limit} is outside 1-{MAX_LIMIT}")
    (origin,) = resolve_keys(store, [key], clearance)
    links = store.links([origin], clearance=clearance, types=frozenset(store.model.edges))
    edges = store.edges(links, clearance=clearance)
    edges.sort(
        key=lambda e: (
            e.prov.first_seen is None and e.prov.last_seen is None,
            e.prov.first_seen or e.prov.last_seen or "",
            e.prov.last_seen or "",
            e.key,
        )
    )
    edges = edges[:limit]
    others = store.nodes({e.target if e.source == origin else e.source for e in edges}, clearance=clearance)
    return [
        TimelineEntry(edge=e, other=others[o], first_seen=e.prov.first_seen, last_seen=e.prov.last_seen)
        for e in edges
        if (o := e.target if e.source == origin else e.source) in others
    ]
