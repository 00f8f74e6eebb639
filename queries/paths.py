"""How two entities are connected: the shortest paths between them, through what the caller may see.

The search grows two balls, one around each end, always the one whose frontier has fewer neighbours
(as the store counts them), reading only links (:meth:`GraphStore.links`), until the k shortest paths
are proven or the length bound is reached: a path of length L is wholly inside the explored links once
the two radii add up to L (each of its edges has an end within the radius of one side), so the k
shortest simple paths of the explored graph (Yen's algorithm, networkx) are the k shortest of the
whole visible graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import networkx as nx

from graph_model.errors import LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore, Link
from queries.results import Path
from queries.scope import check_edge_set, check_kinds, resolve_keys

MAX_LENGTH = 8
MAX_K = 20
MAX_LINKS = 200_000  # links read before the search gives up (hubs make balls grow fast)


def paths(
    store: GraphStore,
    clearance: TLP,
    source: str,
    target: str,
    *,
    max_length: int = 6,
    k: int = 1,
    edge_set: str | None = None,
    kinds: Sequence[str] | None = None,
) -> list[Path]:
    """The ``k`` shortest simple paths from ``source`` to ``target``, edges taken in either direction.

    Only visible nodes and edges are crossed: a route through an entity above the caller's clearance
    does not exist for that caller. Paths are distinct node sequences, shortest first (ties in a fixed
    order); where two entities are joined by several edges a path shows the one with the smallest key.

    Parameters
    ----------
    source, target : str
        Node keys or other identifiers; NotFound if missing or above clearance.
    max_length : int
        Longest path in edges, 1-8 (LimitExceeded above).
    k : int
        How many paths, 1-20 (LimitExceeded above). Fewer come back when fewer exist.
    edge_set : str, optional
        A named edge set of the schema the paths may use (default: every edge type).
    kinds : sequence of str, optional
        Node kinds a path may pass through (its two ends are always allowed).

    Raises
    ------
    LimitExceeded
        Also when the search reads more than 200,000 links before it proves any path (narrow it with
        ``edge_set``, ``kinds`` or a shorter ``max_length``).

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> store = sample_store()
    >>> found = paths(store, TLP.CLEAR, "handle:bassterlord", "handle:stern", k=2)
    >>> [n.name for n in found[0].nodes], [p.length for p in found]
    (['bassterlord', 'LockBit', 'wazawaka', 'Conti', 'stern'], [4, 6])
    >>> [[n.name for n in p.nodes] for p in paths(store, TLP.RED, "handle:bassterlord", "handle:stern")]
    [['bassterlord', 'Insider', 'stern']]
    """
    if not 1 <= max_length <= MAX_LENGTH:
        raise LimitExceeded(f"max_length {max_length} is outside 1-{MAX_LENGTH}")
    if not 1 <= k <= MAX_K:
        raise LimitExceeded(f"k {k} is outside 1-{MAX_K}")
    types = check_edge_set(store.model, edge_set)
    allowed = check_kinds(store.model, kinds)
    start, end = resolve_keys(store, [source, target], clearance)
    if start == end:
        return [Path(list(store.nodes([start], clearance=clearance).values()), [])]
    routes = _search(store, clearance, start, end, max_length, k, types, allowed)
    return _records(store, clearance, routes)


def _search(
    store: GraphStore,
    clearance: TLP,
    start: str,
    end: str,
    max_length: int,
    k: int,
    types: frozenset[str],
    kinds: frozenset[str] | None,
) -> list[list[tuple[str, Link | None]]]:
    """Node sequences (with the link reaching each node) of the k shortest paths, proven complete."""
    reached: tuple[set[str], set[str]] = ({start}, {end})
    frontiers: tuple[list[str], list[str]] = ([start], [end])
    radius = [0, 0]
    # The explored graph, one link per pair of entities (the one with the smallest key), grown in place
    # as plain dicts (``joined``: the pairs in the order first joined); only its part that can hold a
    # short enough path becomes a networkx graph (see _shortest).
    best: dict[str, dict[str, Link]] = {}
    joined: list[tuple[str, str]] = []
    cost: list[int | None] = [None, None]  # links each frontier would read, while it is unchanged
    read = 0
    while True:
        proven = radius[0] + radius[1]
        exhausted = not frontiers[0] or not frontiers[1]
        if reached[0] & reached[1] or exhausted:
            bound = max_length if exhausted else min(proven, max_length)
            found = _shortest(best, joined, start, end, k, bound)
            if len(found) >= k or exhausted or proven >= max_length:
                return found
        elif proven >= max_length:
            return []
        for each in (0, 1):
            if cost[each] is None:
                # Neighbours the store counts (a hub's links are not read to weigh them).
                counted = store.near(frontiers[each], clearance=clearance, types=types, cap=0)
                cost[each] = sum(near.degree for near in counted.values())
        side = 0 if (cost[0], len(frontiers[0])) <= (cost[1], len(frontiers[1])) else 1
        cost[side] = None
        frontier = frontiers[side]
        links = store.links(frontier, clearance=clearance, types=types)
        read += len(links)
        if read > MAX_LINKS:
            found = _shortest(best, joined, start, end, k, min(proven, max_length))
            if found:
                return found
            raise LimitExceeded(
                f"no path proven after reading {MAX_LINKS:,} links; narrow the search with an edge set, "
                "node kinds or a shorter max_length"
            )
        expanding = set(frontier)
        mine = reached[side]
        nxt: set[str] = set()
        for link in links:
            for here in (link.source, link.target):
                if here not in expanding:
                    continue
                there = link.other(here)
                if there == here:
                    continue
                if kinds is not None and there not in (start, end) and link.other_kind(here) not in kinds:
                    continue
                near = best.get(here)
                if near is None:
                    near = best[here] = {}
                known = near.get(there)
                if known is None:  # _join, inlined: this loop runs for every link read
                    near[there] = link
                    far = best.get(there)
                    if far is None:
                        far = best[there] = {}
                    far[here] = link
                    joined.append((here, there))
                elif link.key < known.key:
                    near[there] = best[there][here] = link
                if there not in mine:
                    mine.add(there)
                    nxt.add(there)
        # The ends are never crossed, so a side does not walk on from the other end.
        frontiers[side][:] = sorted(nxt - {start, end})
        radius[side] += 1


def _distances(best: dict[str, dict[str, Link]], origin: str, bound: int) -> dict[str, int]:
    """Hops from ``origin`` in the explored graph, up to ``bound``."""
    found = {origin: 0}
    frontier = [origin]
    for hops in range(1, bound + 1):
        nxt = []
        for here in frontier:
            for there in best.get(here, ()):
                if there not in found:
                    found[there] = hops
                    nxt.append(there)
        frontier = nxt
    return found


def _shortest(
    best: dict[str, dict[str, Link]], joined: list[tuple[str, str]], start: str, end: str, k: int, bound: int
) -> list[list[tuple[str, Link | None]]]:
    """The k shortest simple paths of at most ``bound`` edges in the explored graph.

    Only entities that lie on some walk of at most ``bound`` edges between the ends (hops from the start
    plus hops to the end within ``bound``) can be on such a path: Yen's algorithm runs on those alone,
    with the entities and links added in the order they were first read, as a graph grown while reading
    would hold them (so ties fall as they did, and alike on every store).
    """
    if start not in best or end not in best:
        return []
    ahead, behind = _distances(best, start, bound), _distances(best, end, bound)
    on_way = {n for n, hops in ahead.items() if n in behind and hops + behind[n] <= bound}
    if end not in on_way:
        return []
    graph = nx.Graph()  # its entities come in the order first read, with the links
    graph.add_edges_from((a, b, {"link": best[a][b]}) for a, b in joined if a in on_way and b in on_way)
    found: list[list[tuple[str, Link | None]]] = []
    try:
        for route in nx.shortest_simple_paths(graph, start, end):
            if len(route) - 1 > bound or len(found) >= k:
                break
            steps: list[tuple[str, Link | None]] = [(start, None)]
            steps += [(b, graph.edges[a, b]["link"]) for a, b in pairwise(route)]
            found.append(steps)
    except nx.NetworkXNoPath:
        return []
    return found


def _records(store: GraphStore, clearance: TLP, routes: list[list[tuple[str, Link | None]]]) -> list[Path]:
    keys = {key for route in routes for key, _ in route}
    links = {link.key: link for route in routes for _, link in route if link is not None}
    nodes = store.nodes(sorted(keys), clearance=clearance)
    edges = {e.key: e for e in store.edges([links[k] for k in sorted(links)], clearance=clearance)}
    found: list[Path] = []
    for route in routes:
        if all(key in nodes for key, _ in route) and all(
            link is None or link.key in edges for _, link in route
        ):
            found.append(
                Path([nodes[key] for key, _ in route], [edges[link.key] for _, link in route if link])
            )
    return found
