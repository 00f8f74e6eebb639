"""Networks for the disruption tests, read with the ``edgelist`` loader as the store would hold them."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from graph_model.entities import Edge, Node
from graph_model.model import Model
from graph_model.store.base import to_networkx
from loaders import LoadContext, reader
from queries.disruption.graph import to_disruption_graph

# BASELINES.md: exact max F for k = 5% of N, and the networks' files under networks/
EXACT_F = {
    "9/11 Krebs": ("hijackers-911/911.txt", 3, 0.504),
    "London gang": ("ucinet-covert-matrices/LONDON_GANG.csv", 3, 0.078),
    "Italian gangs": ("ucinet-covert-matrices/ITALIAN_GANGS.csv", 3, 0.782),
    "Montreal gangs": ("ucinet-covert-matrices/MONTREALGANG.csv", 2, 0.509),
    "Madrid bombing": ("ucinet-covert-graphs/covert_30__22__MADRID_OPERATION_ID__edges.csv", 3, 0.180),
    "Siren": ("ucinet-covert-matrices/morselli_siren.csv", 2, 0.841),
    "NYC heroin": ("ucinet-covert-matrices/natajaran_heroin.csv", 2, 0.354),
}
# BASELINES.md: published R of adaptive betweenness (HBA)
HBA_R = {
    "ucinet-covert-matrices/berlusconietal_oversize.csv": 0.069,
    "hijackers-911/911.txt": 0.122,
    "ucinet-covert-matrices/LONDON_GANG.csv": 0.259,
    "ucinet-covert-matrices/ITALIAN_GANGS.csv": 0.056,
    "ucinet-covert-matrices/MONTREALGANG.csv": 0.134,
    "ucinet-covert-graphs/covert_30__22__MADRID_OPERATION_ID__edges.csv": 0.223,
    "ucinet-covert-matrices/morselli_siren.csv": 0.071,
    "ucinet-covert-matrices/natajaran_heroin.csv": 0.136,
}


def network(path: Path, model: Model) -> nx.Graph:
    """A network file as the disruption graph (node keys as the loader makes them, names = file ids)."""
    nodes: dict[str, Node] = {}
    edges: dict[str, Edge] = {}
    for record in reader("edgelist")(path, LoadContext(model, path.stem)):
        for item in record.items:
            if isinstance(item, Node):
                nodes[item.key] = item
            else:
                edges[item.key] = item
    return to_disruption_graph(to_networkx(nodes.values(), edges.values()))
