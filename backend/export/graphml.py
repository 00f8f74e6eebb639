"""GraphML for Gephi, yEd and every graph library: typed ``<key>`` declarations, labels, edge ids."""

from __future__ import annotations

import networkx as nx

from backend.export.typed import typed_graph
from graph_model.model import Model


def dumps(graph: nx.MultiDiGraph, model: Model) -> bytes:
    """The graph as GraphML (UTF-8); edge ids are crimegraph's edge keys."""
    text = "\n".join(nx.generate_graphml(typed_graph(graph, model), encoding="utf-8"))
    return (text + "\n").encode("utf-8")
