"""Which entities form groups: communities of a scope, each with its members and make-up."""

from __future__ import annotations

from collections import Counter

import networkx as nx

from graph_model.errors import InvalidArgument, LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.partition import ALGORITHMS, partition
from queries.results import Community
from queries.scope import Scope, scope_graph

MAX_LIMIT = 500
TOP = 5  # best-linked members listed per community


def communities(
    store: GraphStore, clearance: TLP, scope: Scope, *, algorithm: str = "louvain", limit: int | None = 50
) -> list[Community]:
    """The communities of the visible graph a scope names, largest first, at most ``limit`` (None: all).

    Detection reads the graph undirected and simple, nodes and edges in key order
    (:func:`queries.partition.partition`, seeded): the same data gives the same ids whatever order it was
    loaded in and whichever store holds it. ``algorithm`` is ``louvain`` or ``label_propagation``. Each
    community lists its members (records through the caller's clearance), its size, the edges inside
    it, how many members of each kind it has and its best-linked members (most ties inside, then key).
    Nothing above the caller's clearance is read, so
    nothing hidden is a member or is counted.

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> found = communities(sample_store(), TLP.CLEAR, Scope(edge_set="social"))
    >>> [(c.id, sorted(m.name for m in c.members)) for c in found]
    [('0', ['Conti', 'stern', 'wazawaka']), ('1', ['LockBit', 'bassterlord'])]
    """
    if algorithm not in ALGORITHMS:
        raise InvalidArgument(f"unknown community algorithm {algorithm!r}; known: {', '.join(ALGORITHMS)}")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise LimitExceeded(f"limit {limit} is outside 1-{MAX_LIMIT}")
    graph = scope_graph(store, clearance, scope)
    # Isolated entities are communities of one: listing them tells nothing. Ids are the partition's.
    groups = [(str(i), group) for i, group in enumerate(partition(graph, algorithm)) if len(group) > 1]
    groups = groups[:limit]
    nodes = store.nodes([key for _, group in groups for key in group], clearance=clearance)
    found: list[Community] = []
    for index, group in groups:
        members = [nodes[key] for key in group if key in nodes]
        inside = graph.subgraph(group)
        degree = dict(nx.Graph(inside).degree())
        best = sorted(members, key=lambda m: (-degree.get(m.key, 0), m.key))[:TOP]
        found.append(
            Community(
                id=index,
                size=len(members),
                members=members,
                internal_edges=inside.number_of_edges(),
                kinds=dict(sorted(Counter(m.kind for m in members).items())),
                top=best,
            )
        )
    return found
