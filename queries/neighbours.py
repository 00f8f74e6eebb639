"""One entity's links, a page at a time: what an investigator expands, and the "+N more" behind a hub."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph_model.entities import Edge, Node
from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore, Link
from queries.scope import link_filter, resolve_keys


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A link of the entity asked about and the entity at its other end, as the caller sees both.
    ``outgoing``: the link runs from the entity asked about to the other (a self-loop counts as out)."""

    link: Edge
    entity: Node
    outgoing: bool


@dataclass(frozen=True, slots=True)
class NeighbourPage:
    """``total`` visible links (within the filters) and those from ``offset`` on, at most a page;
    ``undated_left_out``: links a time window left out for carrying no observed date."""

    total: int
    offset: int
    items: list[Neighbour]
    undated_left_out: int = 0


def neighbours(
    store: GraphStore,
    clearance: TLP,
    key: str,
    *,
    edge_set: str | None = None,
    kinds: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    offset: int = 0,
    limit: int | None = 50,
    include_undated: bool = False,
) -> NeighbourPage:
    """The links of ``key`` from ``offset`` on (at most ``limit``; None: all), each with the entity at its
    other end, and how many there are in all; only what the caller may see, never crossing a hidden
    entity. Ordered by the other entity's key, then link type, then link key - all things the caller
    sees, so the order reveals nothing hidden.

    Only the page's links and records are read where the store orders on its side (Neo4j), so a hub
    with 50,000 links costs a count and one page.

    Parameters
    ----------
    key : str
        A node key or any identifier; NotFound if missing or above clearance.
    edge_set : str, optional
        A named edge set of the schema (default: every edge type).
    kinds : sequence of str, optional
        Node kinds of the other end (default: every kind).
    since, until : str, optional
        ISO dates: links seen in that window as the caller sees them (links without an observed date
        only with ``include_undated``; ``undated_left_out`` counts those left out).
    offset, limit : int
        Where the page starts and how many it holds at most (``limit`` 0: the count alone).

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> found = neighbours(sample_store(), TLP.CLEAR, "group:lockbit", edge_set="social")
    >>> found.total, [(n.entity.name, n.link.type, n.outgoing) for n in found.items]
    (2, [('bassterlord', 'MEMBER_OF', False), ('wazawaka', 'MEMBER_OF', False)])
    """
    if offset < 0 or (limit is not None and limit < 0):
        raise InvalidArgument(f"offset and limit are not negative (got {offset}, {limit})")
    types, allowed, window = link_filter(store.model, edge_set, kinds, since, until, include_undated)
    (origin,) = resolve_keys(store, [key], clearance)
    total, links = store.neighbour_page(
        origin, clearance=clearance, types=types, window=window, kinds=allowed, offset=offset, limit=limit
    )
    left_out = 0
    if window is not None and not window.include_undated:
        left_out = store.undated_links([origin], clearance=clearance, types=types, kinds=allowed)
    items = read_page(store, clearance, origin, links) if links else []
    return NeighbourPage(total=total, offset=offset, items=items, undated_left_out=left_out)


def read_page(store: GraphStore, clearance: TLP, origin: str, links: Sequence[Link]) -> list[Neighbour]:
    """The records of ``links`` of ``origin`` (from :meth:`GraphStore.neighbour_page`) with the entities
    at their other ends, in the same order; one still visible at both ends is kept."""
    records = {e.key: e for e in store.edges(links, clearance=clearance)}
    others = store.nodes({link.other(origin) for link in links}, clearance=clearance)
    return [
        Neighbour(link=records[link.key], entity=others[link.other(origin)], outgoing=link.source == origin)
        for link in links
        if link.key in records and link.other(origin) in others
    ]
