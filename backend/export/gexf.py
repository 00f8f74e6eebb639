"""GEXF 1.2 for Gephi: typed node and edge attributes, labels and the schema's colours per kind."""

from __future__ import annotations

import networkx as nx

from backend.export.typed import typed_graph
from graph_model.model import Model


def dumps(graph: nx.MultiDiGraph, model: Model) -> bytes:
    """The graph as GEXF (UTF-8); edge ids are crimegraph's edge keys."""
    typed = typed_graph(graph, model, colours=True)
    for _, _, key, data in typed.edges(keys=True, data=True):
        data["id"] = key
    text = "\n".join(nx.generate_gexf(typed, encoding="utf-8", version="1.2draft"))
    return (text + "\n").encode("utf-8")
