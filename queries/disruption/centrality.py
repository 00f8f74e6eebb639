"""The node measures disruption scoring and dismantling share: betweenness (exact or sampled),
collective influence and degree, as pure functions of an undirected simple graph."""

from __future__ import annotations

import math
import random
from collections.abc import Hashable

import networkx as nx

EXACT_BETWEENNESS = 5000  # up to this many nodes betweenness is exact
SAMPLES = 300


def exact_betweenness(graph: nx.Graph, *, normalized: bool = True) -> dict[Hashable, float]:
    """Exact betweenness: igraph's C kernel when installed (it agrees with networkx to 1e-9, as the
    tests check), networkx otherwise.

    Examples
    --------
    >>> exact_betweenness(nx.star_graph(3), normalized=False)[0]
    3.0
    """
    try:
        import igraph
    except ImportError:  # pragma: no cover - igraph is a dependency; networkx is the reference
        return dict(nx.betweenness_centrality(graph, normalized=normalized))
    nodes = list(graph)
    index = {node: i for i, node in enumerate(nodes)}
    fast = igraph.Graph(n=len(nodes), edges=[(index[u], index[v]) for u, v in graph.edges() if u != v])
    values = fast.betweenness(directed=False)
    n = len(nodes)
    scale = 2.0 / ((n - 1) * (n - 2)) if normalized and n > 2 else 1.0
    return {node: float(values[i]) * scale for i, node in enumerate(nodes)}


def betweenness(graph: nx.Graph, *, seed: int = 0) -> tuple[dict[Hashable, float], float | None]:
    """Normalised betweenness and, when sampled, the relative error of the estimate.

    Exact up to :data:`EXACT_BETWEENNESS` nodes; beyond, Brandes' estimator from :data:`SAMPLES` seeded
    source nodes, whose relative standard error for a node with a typical share of paths is about
    ``1/sqrt(samples)`` (returned as the second value; ``None`` when exact).

    Examples
    --------
    >>> values, error = betweenness(nx.path_graph(3))
    >>> values[1], error
    (1.0, None)
    """
    n = graph.number_of_nodes()
    if n <= EXACT_BETWEENNESS:
        return exact_betweenness(graph), None
    return sampled_betweenness(graph, SAMPLES, seed=seed), 1.0 / math.sqrt(SAMPLES)


def sampled_betweenness(graph: nx.Graph, samples: int, *, seed: int = 0) -> dict[Hashable, float]:
    """Brandes' estimate from ``samples`` seeded source nodes, normalised like the exact values.

    Examples
    --------
    >>> values = sampled_betweenness(nx.path_graph(5), 5)
    >>> round(values[2], 3)
    0.667
    """
    nodes = list(graph)
    n = len(nodes)
    k = min(samples, n)
    try:
        import igraph
    except ImportError:  # pragma: no cover - igraph is a dependency
        return dict(nx.betweenness_centrality(graph, k=k, normalized=True, seed=seed))
    index = {node: i for i, node in enumerate(nodes)}
    fast = igraph.Graph(n=n, edges=[(index[u], index[v]) for u, v in graph.edges() if u != v])
    sources = random.Random(seed).sample(range(n), k)
    # paths from the sampled sources to every target, counted once per unordered pair in the full sum
    values = fast.betweenness(directed=False, sources=sources, targets=None)
    scale = (n / k) * (2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0)
    return {node: float(values[i]) * scale for i, node in enumerate(nodes)}


def collective_influence(graph: nx.Graph, radius: int = 2) -> dict[Hashable, float]:
    """Collective influence CI_l(v) = (k_v - 1) * sum of (k_u - 1) over nodes u at distance exactly l.

    Examples
    --------
    >>> collective_influence(nx.path_graph(5))[2]
    0.0
    >>> collective_influence(nx.star_graph(3), radius=1)[0]
    0.0
    """
    degree = dict(graph.degree())
    result: dict[Hashable, float] = {}
    for node in graph:
        if degree[node] <= 1:
            result[node] = 0.0
            continue
        frontier = {node}
        seen = {node}
        for _ in range(radius):
            nxt = set()
            for v in frontier:
                for w in graph.adj[v]:
                    if w not in seen:
                        seen.add(w)
                        nxt.add(w)
            frontier = nxt
        result[node] = float((degree[node] - 1) * sum(degree[u] - 1 for u in frontier))
    return result
