"""The graph an export writes: the scope read through the requester's clearance, and nothing above it."""

from __future__ import annotations

import networkx as nx

from graph_model.provenance import TLP
from graph_model.store import GraphStore
from queries.scope import Scope, scope_graph


def export_graph(store: GraphStore, clearance: TLP, scope: Scope) -> nx.MultiDiGraph:
    """The scope's visible subgraph; any node or edge marked above ``clearance`` is dropped as well.

    The store already reads through the clearance; the second check keeps an export safe should a
    store ever hand back more than it should (a file, once sent, cannot be called back).
    """
    graph = scope_graph(store, clearance, scope)
    above = [n for n, data in graph.nodes(data=True) if TLP.parse(data["tlp"]) > clearance]
    graph.remove_nodes_from(above)
    hidden = [
        (u, v, k) for u, v, k, data in graph.edges(keys=True, data=True) if TLP.parse(data["tlp"]) > clearance
    ]
    graph.remove_edges_from(hidden)
    return graph


def discriminator(edge_key: str, edge_type: str, source: str, target: str) -> str:
    """The discriminator part of an edge key (``TYPE|source|target|discriminator``)."""
    return edge_key[len(f"{edge_type}|{source}|{target}|") :]
