"""Big networks made readable: hubs collapsed to "+N more", aggregation above a node cap, precomputed layout.

Pure functions of networkx graphs (node attributes as :func:`queries.scope.scope_graph` gives them).
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph
import networkx as nx

MORE = "__more__"  # the kind of a "+N more" marker
GROUP = "__group__"  # the kind of an aggregate node
AGGREGATE = "AGGREGATE"  # the type of an edge between groups
AGGREGATE_BY = ("community", "kind")
SEED = 42
_RNG_LOCK = threading.Lock()


def more_key(hub: str) -> str:
    return f"more:{hub}"


def collapse_hubs(
    graph: nx.MultiDiGraph, hub_cap: int, *, keep: Collection[str] = (), hidden: dict[str, int] | None = None
) -> dict[str, int]:
    """Hide all but ``hub_cap`` of each hub's leaf neighbours behind one "+N more" marker, in place.

    A leaf is a node whose only neighbour is the hub (it adds nothing but its own label). ``hidden``
    (e.g. :attr:`queries.results.Network.collapsed` from the query) adds what was already left out.
    Returns hub -> number of neighbours hidden.
    """
    leaves: dict[str, list[str]] = defaultdict(list)
    for node in graph.nodes:
        if node in keep:
            continue
        others = set(graph.predecessors(node)) | set(graph.successors(node))
        others.discard(node)
        if len(others) == 1:
            leaves[next(iter(others))].append(node)
    result: dict[str, int] = {hub: n for hub, n in (hidden or {}).items() if hub in graph and n > 0}
    for hub, found in leaves.items():
        if len(found) <= hub_cap:
            continue
        drop = sorted(found)[hub_cap:]
        graph.remove_nodes_from(drop)
        result[hub] = result.get(hub, 0) + len(drop)
    for hub, count in result.items():
        marker = more_key(hub)
        graph.add_node(marker, kind=MORE, type=MORE, name=f"+{count} more", count=count, hub=hub)
        graph.add_edge(hub, marker, key=marker, type=MORE)
    return result


@dataclass(slots=True)
class Aggregate:
    """An aggregated view: the group graph, and which group each original node went into."""

    graph: nx.MultiDiGraph
    group_of: dict[str, str] = field(default_factory=dict)
    by: str = "community"
    original_nodes: int = 0
    original_edges: int = 0


def aggregate(
    graph: nx.MultiDiGraph,
    *,
    by: str = "community",
    cap: int = 500,
    keep: Iterable[str] = (),
) -> Aggregate:
    """One node per community (or per node kind) of ``graph``; nodes in ``keep`` stay themselves.

    Edges between groups become one edge per pair with ``count`` the number of edges they stand for. If
    there are more groups than ``cap``, the smallest are merged into one "other" group.
    """
    if by not in AGGREGATE_BY:
        raise ValueError(f"aggregate by one of {AGGREGATE_BY}, not {by!r}")
    # Plain lists and sets throughout: networkx subgraph views cost seconds at 5,000 nodes.
    kept = [k for k in keep if k in graph]
    attrs_of = dict(graph.nodes(data=True))
    hidden = {str(a["hub"]): int(a["count"]) for a in attrs_of.values() if a.get("kind") == MORE}
    shown = {n for n, a in attrs_of.items() if a.get("kind") != MORE}
    rest = sorted(shown - set(kept), key=str)
    pairs = [(u, v) for u, v in graph.edges() if u in shown and v in shown]
    degree: Counter[str] = Counter()
    for u, v in pairs:
        degree[u] += 1
        degree[v] += 1
    if by == "kind":
        by_kind: dict[str, list[str]] = defaultdict(list)
        for node in rest:
            by_kind[str(attrs_of[node].get("kind", "?"))].append(node)
        groups = sorted((sorted(m) for m in by_kind.values()), key=lambda m: (-len(m), m[0]))
    else:
        inside = set(rest)
        groups = communities(rest, [(u, v) for u, v in pairs if u in inside and v in inside])
    room = max(cap - len(kept) - 1, 1)
    if len(groups) > room:
        groups = [*groups[: room - 1], sorted(k for g in groups[room - 1 :] for k in g)]
        small = True
    else:
        small = False
    result = Aggregate(nx.MultiDiGraph(), by=by)
    result.original_nodes = len(shown)
    result.original_edges = len(pairs)
    for key in kept:
        result.graph.add_node(key, **attrs_of[key])
        result.group_of[key] = key
    for index, members in enumerate(groups):
        gid = f"group:{index}"
        kinds = Counter(str(attrs_of[m].get("kind", "?")) for m in members)
        top = sorted(members, key=lambda m: (-degree[m], m))[:5]
        other = small and index == len(groups) - 1
        if by == "kind":
            label = f"{kinds.most_common(1)[0][0]}: {len(members)}"
        elif other:
            label = f"other small communities: {len(members)}"
        else:
            label = f"community {index}: {len(members)}"
        result.graph.add_node(
            gid,
            kind=GROUP,
            type=GROUP,
            name=label,
            size=len(members),
            kinds=dict(kinds.most_common()),
            top=[str(attrs_of[m].get("name", m)) for m in top],
            main_kind=kinds.most_common(1)[0][0],
            hidden=sum(hidden.get(m, 0) for m in members),
        )
        for member in members:
            result.group_of[member] = gid
    # One edge per pair of groups, whatever the direction: it says how many edges join them.
    counts: Counter[tuple[str, str]] = Counter()
    types: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for u, v, attrs in graph.edges(data=True):
        if u not in shown or v not in shown:
            continue
        gu, gv = result.group_of.get(u), result.group_of.get(v)
        if gu is None or gv is None or gu == gv:
            continue
        pair = (gu, gv) if gu < gv else (gv, gu)
        counts[pair] += 1
        types[pair][str(attrs.get("type", "?"))] += 1
    for (gu, gv), count in counts.items():
        result.graph.add_edge(
            gu, gv, key=f"{gu}~{gv}", type=AGGREGATE, count=count, types=dict(types[(gu, gv)].most_common())
        )
    return result


def communities(nodes: Sequence[str], pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Louvain communities (igraph's multilevel: a second where networkx takes half a minute on 5,000
    nodes), largest first. Only for drawing: community ids of ``crimegraph communities`` and of scopes
    come from :mod:`queries.partition`."""
    if not nodes:
        return []
    index = {n: i for i, n in enumerate(nodes)}
    edges = {(min(index[u], index[v]), max(index[u], index[v])) for u, v in pairs if u != v}
    g = igraph.Graph(n=len(nodes), edges=sorted(edges))
    with _RNG_LOCK:
        igraph.set_random_number_generator(random.Random(SEED))
        membership = g.community_multilevel().membership
    groups: dict[int, list[str]] = defaultdict(list)
    for node, group in zip(nodes, membership, strict=True):
        groups[group].append(str(node))
    return sorted((sorted(m) for m in groups.values()), key=lambda m: (-len(m), m[0]))


def positions(graph: nx.Graph, *, seed: int = 0, spread: float = 90.0) -> dict[str, tuple[float, float]]:
    """A force-directed layout (igraph's Fruchterman-Reingold), scaled to vis-network pixels.

    Deterministic for a given graph and seed.
    """
    nodes = sorted(graph.nodes, key=str)
    if not nodes:
        return {}
    index = {n: i for i, n in enumerate(nodes)}
    pairs = {(min(index[u], index[v]), max(index[u], index[v])) for u, v in graph.edges() if u != v}
    rng = random.Random(seed)
    # Start spread like igraph's own random start: squeezed into a unit box, its grid would not help.
    half = math.sqrt(len(nodes)) / 2
    start = [[rng.uniform(-half, half), rng.uniform(-half, half)] for _ in nodes]
    g = igraph.Graph(n=len(nodes), edges=sorted(pairs))
    with _RNG_LOCK:  # igraph draws from one process-wide generator
        igraph.set_random_number_generator(random.Random(seed))
        # The grid approximation of repulsion: exact below 200 nodes, ~8x faster above at no visible cost.
        # Above 500 nodes (only when the node cap is raised) 200 iterations: the same spread (mean link
        # length 0.454 of the mean distance, against 0.446 at 400, on the 1,000-node benchmark) in half
        # the time.
        niter = 400 if len(nodes) <= 500 else 200
        layout: Any = g.layout_fruchterman_reingold(niter=niter, seed=start, grid=len(nodes) > 200)
    coords = [tuple(p) for p in layout.coords]
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    width = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    target = spread * math.sqrt(len(nodes))
    scale = target / width
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return {
        n: (round((coords[i][0] - cx) * scale, 1), round((coords[i][1] - cy) * scale, 1))
        for n, i in index.items()
    }
