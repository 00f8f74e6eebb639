"""GraphML for igraph, R, NetworkX, yEd and Gephi: typed ``<key>`` declarations, labels, edge ids.

Every attribute has one declared type (:mod:`backend.export.typed`): booleans, integers (``long``),
numbers (``double``), the rest text - dates as ISO 8601 text, lists joined with ``;``. A value a node or
edge does not have is absent from the file, not written as a default. Edge ids are crimegraph's edge
keys, also given as the edge attribute ``key`` since some readers (igraph, hence R) drop GraphML's
edge ids.
"""

from __future__ import annotations

import networkx as nx

from backend.export.typed import typed_graph
from graph_model.model import Model


def dumps(graph: nx.MultiDiGraph, model: Model) -> bytes:
    """The graph as GraphML (UTF-8); edge ids are crimegraph's edge keys."""
    typed = typed_graph(graph, model)
    for _, _, key, data in typed.edges(keys=True, data=True):
        data["key"] = key
    text = "\n".join(nx.generate_graphml(typed, encoding="utf-8"))
    return (text + "\n").encode("utf-8")
