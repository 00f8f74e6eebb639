"""What surrounds some entities: a breadth-first neighbourhood with hubs collapsed.

The walk reads only the topology (:meth:`GraphStore.links`) level by level and fetches the records of
what it keeps at the end, so a hub with 50,000 transfers costs a count, not 50,000 records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from graph_model.entities import Node
from graph_model.errors import InvalidArgument, LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore, Link, TimeWindow
from queries.results import Network
from queries.scope import link_filter, resolve_keys

MAX_DEPTH = 4
MAX_LIMIT = 5000
MAX_SEEDS = 100


@dataclass(slots=True)
class Outline:
    """A neighbourhood before its edges' records are read: the nodes (as the caller sees them) and the
    links between them (keys, types, ends). An API answering only those fields needs no more."""

    nodes: list[Node]
    links: list[Link]
    truncated: bool = False
    collapsed: dict[str, int] = field(default_factory=dict)
    # Links of the entities shown that a time window left out for carrying no observed date.
    undated_left_out: int = 0


@dataclass(slots=True)
class Walk:
    """What a bounded breadth-first walk kept: node keys in the order reached, the links between them."""

    order: list[str]
    links: dict[str, Link] = field(default_factory=dict)
    truncated: bool = False
    collapsed: dict[str, int] = field(default_factory=dict)
    expanded: list[str] = field(default_factory=list)  # the entities whose links the walk asked for


def neighbourhood(
    store: GraphStore,
    clearance: TLP,
    keys: Sequence[str],
    *,
    depth: int = 1,
    edge_set: str | None = None,
    kinds: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 500,
    hub_cap: int = 50,
    include_undated: bool = False,
) -> Network:
    """The entities within ``depth`` hops of ``keys`` (edges in either direction) and the edges between.

    Only what the caller may see is walked: a hidden node or edge is neither returned nor crossed.
    Level by level, entities in key order, their neighbours in key order; the walk stops at ``limit``
    nodes and says ``truncated``. A hub - an entity with more than ``hub_cap`` neighbours the walk could
    take - shows only its first ``hub_cap`` neighbours (by key) and those already in the result when
    it is reached; ``collapsed[hub]`` counts the neighbours not shown, among those the caller may see
    (so the count never reveals a hidden entity). Hubs are counted in the store (see
    :meth:`GraphStore.near`): their links are never all read.

    Parameters
    ----------
    keys : sequence of str
        Node keys or other identifiers (at most 100); NotFound if one is missing or above clearance.
    depth : int
        Hops, 0-4 (LimitExceeded above).
    edge_set : str, optional
        A named edge set of the schema (default: every edge type).
    kinds : sequence of str, optional
        Node kinds the walk may reach (the seeds are always kept).
    since, until : str, optional
        ISO dates: only edges seen in that window, as the caller sees their dates; edges without an
        observed date only with ``include_undated`` (``undated_left_out`` counts those left out).
    limit : int
        Most nodes returned, 1-5000.
    hub_cap : int
        Neighbours shown per entity before it is collapsed (at least 1).

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> store = sample_store()
    >>> near = neighbourhood(store, TLP.CLEAR, ["group:lockbit"], depth=1, edge_set="social")
    >>> sorted(n.name for n in near.nodes)
    ['LockBit', 'bassterlord', 'wazawaka']
    >>> capped = neighbourhood(store, TLP.CLEAR, ["group:lockbit"], depth=1, hub_cap=2)
    >>> len(capped.nodes) - 1, capped.collapsed
    (2, {'group:lockbit': 2})
    """
    found = outline(
        store,
        clearance,
        keys,
        depth=depth,
        edge_set=edge_set,
        kinds=kinds,
        since=since,
        until=until,
        limit=limit,
        hub_cap=hub_cap,
        include_undated=include_undated,
    )
    return Network(
        nodes=found.nodes,
        edges=store.edges(found.links, clearance=clearance),
        truncated=found.truncated,
        collapsed=found.collapsed,
        undated_left_out=found.undated_left_out,
    )


def outline(
    store: GraphStore,
    clearance: TLP,
    keys: Sequence[str],
    *,
    depth: int = 1,
    edge_set: str | None = None,
    kinds: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 500,
    hub_cap: int = 50,
    include_undated: bool = False,
) -> Outline:
    """:func:`neighbourhood` without reading the edges' records (same arguments, same checks).

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> store = sample_store()
    >>> seen = outline(store, TLP.CLEAR, ["group:lockbit"], depth=1, edge_set="social")
    >>> sorted(link.source for link in seen.links)
    ['handle:bassterlord', 'handle:wazawaka']
    """
    if not keys:
        raise InvalidArgument("name at least one entity")
    if len(keys) > MAX_SEEDS:
        raise LimitExceeded(f"at most {MAX_SEEDS} entities at once")
    if not 0 <= depth <= MAX_DEPTH:
        raise LimitExceeded(f"depth {depth} is outside 0-{MAX_DEPTH}")
    if not 1 <= limit <= MAX_LIMIT:
        raise LimitExceeded(f"limit {limit} is outside 1-{MAX_LIMIT}")
    if hub_cap < 1:
        raise InvalidArgument(f"hub_cap must be positive, got {hub_cap}")
    types, allowed, window = link_filter(store.model, edge_set, kinds, since, until, include_undated)
    seeds = resolve_keys(store, keys, clearance)
    walk = walk_out(store, clearance, seeds, depth, types, allowed, window, limit, hub_cap)
    nodes = store.nodes(walk.order, clearance=clearance)
    left_out = 0
    if window is not None and not window.include_undated and walk.expanded:
        # The undated links of the entities whose links the walk took: what the window left out.
        expanded = sorted(set(walk.expanded) & nodes.keys())
        left_out = store.undated_links(expanded, clearance=clearance, types=types, kinds=allowed)
    return Outline(
        nodes=[nodes[k] for k in walk.order if k in nodes],
        links=[link for link in walk.links.values() if link.source in nodes and link.target in nodes],
        truncated=walk.truncated,
        collapsed={hub: n for hub, n in sorted(walk.collapsed.items()) if n},
        undated_left_out=left_out,
    )


def walk_out(
    store: GraphStore,
    clearance: TLP,
    seeds: Sequence[str],
    depth: int,
    types: frozenset[str],
    kinds: frozenset[str] | None,
    window: TimeWindow | None,
    limit: int,
    hub_cap: int,
) -> Walk:
    """The bounded breadth-first walk of :func:`neighbourhood`, on links only.

    A level's frontier is asked for in chunks, in key order, so a walk that reaches ``limit`` early does
    not count the neighbours of the rest of the frontier: the first chunk holds as many entities as could
    fill the room left at ``hub_cap`` new neighbours each, and each next chunk twice as many as the one
    before. What is kept is the same as asking for the whole frontier at once (``keep`` is the level's
    starting set either way).
    """
    order = list(dict.fromkeys(seeds))
    kept = set(order)
    walk = Walk(order)
    if len(order) > limit:
        walk.order, walk.truncated = order[:limit], True
        return walk
    seen: dict[str, Link] = {}
    frontier = sorted(kept)
    for _ in range(depth):
        if not frontier or walk.truncated:
            break
        keep = frozenset(kept)
        nxt: list[str] = []
        start, size = 0, 0
        while start < len(frontier) and not walk.truncated:
            size = max(2 * size, -(-(limit - len(walk.order)) // hub_cap), 1)
            chunk = frontier[start : start + size]
            start += len(chunk)
            around = store.near(
                chunk, clearance=clearance, types=types, window=window, kinds=kinds, keep=keep, cap=hub_cap
            )
            walk.expanded.extend(chunk)
            for key in chunk:
                near = around[key]
                shown = sorted({link.other(key) for link in near.links})
                if near.degree > len(shown):
                    walk.collapsed[key] = near.degree - len(shown)
                seen.update((link.key, link) for link in near.links)
                for other in shown:
                    if other in kept:
                        continue
                    if len(walk.order) >= limit:
                        walk.truncated = True
                        break
                    kept.add(other)
                    walk.order.append(other)
                    nxt.append(other)
                if walk.truncated:
                    break
        frontier = sorted(nxt)
    walk.links = {k: link for k, link in sorted(seen.items()) if link.source in kept and link.target in kept}
    return walk
