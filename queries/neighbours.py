"""One entity's links, a page at a time: what an investigator expands, and the "+N more" behind a hub."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph_model.entities import Edge, Node
from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore, Link, TimeWindow
from queries.scope import check_edge_set, check_kinds, parse_time, resolve_keys


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A link of the entity asked about and the entity at its other end, as the caller sees both.
    ``outgoing``: the link runs from the entity asked about to the other (a self-loop counts as out)."""

    link: Edge
    entity: Node
    outgoing: bool


@dataclass(frozen=True, slots=True)
class NeighbourPage:
    """``total`` visible links (within the filters) and those from ``offset`` on, at most a page."""

    total: int
    offset: int
    items: list[Neighbour]


def neighbour_links(
    store: GraphStore,
    clearance: TLP,
    key: str,
    *,
    edge_set: str | None = None,
    kinds: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    include_undated: bool = False,
) -> tuple[str, list[Link]]:
    """The entity's node key and its visible links (both ends visible, admitted by the window, the
    other end of ``kinds``) in the order :func:`neighbours` pages them: by the other entity's key, then
    link type, then link key - all things the caller sees, so the order reveals nothing hidden."""
    types = check_edge_set(store.model, edge_set)
    allowed = check_kinds(store.model, kinds)
    start, end = parse_time(since, "since"), parse_time(until, "until")
    if start and end and start > end:
        raise InvalidArgument(f"since {start} is after until {end}")
    window = TimeWindow(start, end, include_undated) if start or end else None
    (origin,) = resolve_keys(store, [key], clearance)
    links = store.links([origin], clearance=clearance, types=types, window=window)
    if allowed is not None:
        links = [link for link in links if link.other_kind(origin) in allowed]
    links.sort(key=lambda link: (link.other(origin), link.type, link.key))
    return origin, links


def undated_left_out(
    store: GraphStore,
    clearance: TLP,
    key: str,
    *,
    edge_set: str | None = None,
    kinds: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    include_undated: bool = False,
) -> int:
    """How many of the links :func:`neighbour_links` would give with ``include_undated`` that it leaves
    out without (links with no observed date, as the caller sees them); 0 without a window."""
    if include_undated or not (since or until):
        return 0
    _, every = neighbour_links(
        store, clearance, key, edge_set=edge_set, kinds=kinds, since=since, until=until, include_undated=True
    )
    _, dated = neighbour_links(
        store, clearance, key, edge_set=edge_set, kinds=kinds, since=since, until=until
    )
    return len(every) - len(dated)


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
    limit: int = 50,
    include_undated: bool = False,
) -> NeighbourPage:
    """The links of ``key`` from ``offset`` on (at most ``limit``), each with the entity at its other end,
    and how many there are in all; only what the caller may see, never crossing a hidden entity.

    Records are read for the page only, so a hub with 50,000 links costs its topology and one page.

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
        only with ``include_undated``).
    offset, limit : int
        Where the page starts and how many it holds at most.

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> found = neighbours(sample_store(), TLP.CLEAR, "group:lockbit", edge_set="social")
    >>> found.total, [(n.entity.name, n.link.type, n.outgoing) for n in found.items]
    (2, [('bassterlord', 'MEMBER_OF', False), ('wazawaka', 'MEMBER_OF', False)])
    """
    if offset < 0 or limit < 0:
        raise InvalidArgument(f"offset and limit are not negative (got {offset}, {limit})")
    origin, links = neighbour_links(
        store,
        clearance,
        key,
        edge_set=edge_set,
        kinds=kinds,
        since=since,
        until=until,
        include_undated=include_undated,
    )
    items = read_page(store, clearance, origin, links[offset : offset + limit])
    return NeighbourPage(total=len(links), offset=offset, items=items)


def read_page(store: GraphStore, clearance: TLP, origin: str, links: Sequence[Link]) -> list[Neighbour]:
    """The records of ``links`` of ``origin`` (from :func:`neighbour_links`) with the entities at their
    other ends, in the same order; one still visible at both ends is kept."""
    records = {e.key: e for e in store.edges(links, clearance=clearance)}
    others = store.nodes({link.other(origin) for link in links}, clearance=clearance)
    return [
        Neighbour(link=records[link.key], entity=others[link.other(origin)], outgoing=link.source == origin)
        for link in links
        if link.key in records and link.other(origin) in others
    ]
