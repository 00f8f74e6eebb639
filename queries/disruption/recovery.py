"""How a network adapts after a takedown (Duijn, Kashirin and Sloot, Sci. Rep. 4:4238, 2014).

Criminal networks are not static: after a removal, the survivors rewire. Two mechanisms, each tie
formed with probability ``p`` from a seeded generator:

- **triadic closure** - each pair of surviving neighbours of a removed node that already share another
  surviving contact closes the triangle (trusted introductions through a common contact);
- **attachment to surviving brokers** - the other surviving neighbours of a removed node attach to its
  best-connected surviving neighbour, which takes over the removed node's brokerage role.

A plan whose fragmentation mostly disappears after recovery only looks good before the network adapts;
:func:`recover` gives the rewired graph and :func:`queries.disruption.simulate.measure` the measures.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable

import networkx as nx

from graph_model.errors import InvalidArgument

FRAGILE_RETAINED = 0.5  # a plan keeping less than half of its effect after recovery is flagged


def check_probability(p: float | None) -> float | None:
    if p is not None and not 0.0 <= p <= 1.0:
        raise InvalidArgument(f"recovery probability must be within 0-1, got {p}")
    return p


def recover(graph: nx.Graph, removed: Iterable[Hashable], p: float, *, seed: int = 0) -> nx.Graph:
    """The graph without ``removed`` after the survivors rewire with probability ``p``.

    New edges carry ``types={"RECOVERED"}``. Deterministic for a given ``seed``.

    Examples
    --------
    >>> star = nx.star_graph(4)
    >>> after = recover(star, [0], 1.0)
    >>> nx.is_connected(after), after.number_of_nodes()
    (True, 4)
    >>> recover(star, [0], 0.0).number_of_edges()
    0
    """
    check_probability(p)
    gone = set(removed)
    rng = random.Random(seed)
    after = graph.copy()
    after.remove_nodes_from(gone)
    for node in sorted(gone, key=str):
        if node not in graph:
            continue
        survivors = sorted((m for m in graph.adj[node] if m not in gone), key=str)
        if len(survivors) < 2:
            continue
        # triadic closure among the removed node's surviving contacts
        for i, u in enumerate(survivors):
            for w in survivors[i + 1 :]:
                if after.has_edge(u, w):
                    continue
                shared = any(m in after.adj[w] for m in after.adj[u])
                if shared and rng.random() < p:
                    after.add_edge(u, w, types={"RECOVERED"})
        # the best-connected surviving contact becomes the broker the rest attach to
        broker = max(survivors, key=lambda m: (after.degree(m), str(m)))
        for u in survivors:
            if u != broker and not after.has_edge(u, broker) and rng.random() < p:
                after.add_edge(u, broker, types={"RECOVERED"})
    return after
