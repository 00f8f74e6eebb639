"""Community detection as a pure function of a networkx graph, with stable community ids.

Both :mod:`queries.scope` (a scope naming a community) and :mod:`queries.communities` (listing them)
read communities through here, so an id printed by one is understood by the other.
"""

from __future__ import annotations

import networkx as nx

ALGORITHMS: tuple[str, ...] = ("louvain", "label_propagation")
SEED = 42


def partition(graph: nx.Graph, algorithm: str = "louvain", *, seed: int = SEED) -> list[list[str]]:
    """Communities of ``graph`` as sorted member lists, largest first (ties: smallest first member).

    The graph is read undirected and simple. A community's id is its index in this list, as text:
    deterministic for a given graph, algorithm and seed.

    Examples
    --------
    >>> g = nx.barbell_graph(4, 0)
    >>> [len(c) for c in partition(g)]
    [4, 4]
    """
    simple = _simple(graph)
    if simple.number_of_nodes() == 0:
        return []
    if algorithm == "label_propagation":
        groups = list(nx.community.asyn_lpa_communities(simple, seed=seed))
    elif algorithm == "louvain":
        groups = list(nx.community.louvain_communities(simple, seed=seed))
    else:
        raise ValueError(f"unknown community algorithm {algorithm!r}; known: {', '.join(ALGORITHMS)}")
    members = [sorted(str(n) for n in group) for group in groups]
    members.sort(key=lambda m: (-len(m), m[0]))
    return members


def membership(communities: list[list[str]]) -> dict[str, str]:
    """Node key -> community id (its index as text)."""
    return {key: str(index) for index, group in enumerate(communities) for key in group}


def _simple(graph: nx.Graph) -> nx.Graph:
    if not graph.is_directed() and not graph.is_multigraph():
        return graph
    # In key order: seeded detection still depends on the order it meets nodes in, and the stores
    # return the same graph in different orders.
    simple: nx.Graph = nx.Graph()
    simple.add_nodes_from(sorted(graph.nodes))
    simple.add_edges_from(sorted({(u, v) if u < v else (v, u) for u, v in graph.edges() if u != v}))
    return simple


def undirected_simple(graph: nx.Graph) -> nx.Graph:
    """``graph`` as an undirected simple graph with its node attributes, self-loops dropped, nodes and
    edges in key order (so what is computed on it does not depend on the order a store returned)."""
    simple: nx.Graph = nx.Graph()
    simple.add_nodes_from(sorted(graph.nodes(data=True), key=lambda item: item[0]))
    simple.add_edges_from(sorted({(u, v) if u < v else (v, u) for u, v in graph.edges() if u != v}))
    return simple
