"""The networks of ``../shared/data/networks/BASELINES.md``, loaded undirected and simple with the
``edgelist`` loader (names = the ids in the files), and BASELINES.md's published figures."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import networkx as nx

from graph_model.entities import Edge, Node
from graph_model.model import default_model
from loaders import LoadContext, reader

# name in BASELINES.md -> files under networks/ (several files: the layers of one network, merged by name)
NETWORKS: dict[str, tuple[str, ...]] = {
    "Crime (KONECT)": ("crime-konect/Crime_Gcc.txt",),
    "Corruption (BR)": ("corruption-brazil/Corruption_Gcc.txt",),
    "'Ndrangheta Oversize": ("ucinet-covert-matrices/berlusconietal_oversize.csv",),
    "9/11 Krebs": ("hijackers-911/911.txt",),
    "London gang": ("ucinet-covert-matrices/LONDON_GANG.csv",),
    "Italian gangs": ("ucinet-covert-matrices/ITALIAN_GANGS.csv",),
    "Montreal gangs": ("ucinet-covert-matrices/MONTREALGANG.csv",),
    "Noordin Top (all 10 layers)": tuple(
        f"ucinet-covert-graphs/covert_34__0{i}__{layer}__edges.csv"
        for i, layer in enumerate(
            (
                "NOORDINTOP_BUSINESS_FINANCE",
                "NOORDINTOP_CLASSMATES",
                "NOORDINTOP_COMMUNICATIONS",
                "NOORDINTOP_FRIENDSHIP",
                "NOORDINTOP_KINSHIP",
                "NOORDINTOP_LOGISTICS",
                "NOORDINTOP_MEETINGS",
                "NOORDINTOP_OPERATIONS",
                "NOORDINTOP_SOULMATES",
                "NOORDINTOP_TRAININGEVENTS",
            )
        )
    ),
    "Madrid bombing (operation ties)": (
        "ucinet-covert-graphs/covert_30__22__MADRID_OPERATION_ID__edges.csv",
    ),
    "Siren (auto theft)": ("ucinet-covert-matrices/morselli_siren.csv",),
    "NYC heroin": ("ucinet-covert-matrices/natajaran_heroin.csv",),
    "Bitcoin Alpha (undirected)": ("bitcoin-alpha/soc-sign-bitcoinalpha.csv",),
    "Bitcoin OTC (undirected)": ("../bitcoin-otc/soc-sign-bitcoinotc.csv",),
}
CRIMINAL_SMALL = tuple(list(NETWORKS)[:11])

# BASELINES.md, per network: R of HBA/HDA/CI2/CoreHD, best q10+R, exact max F (k) where enumerated
BASELINE_R = {
    "Crime (KONECT)": {"HDA": 0.034, "HBA": 0.014, "CI2": 0.027, "CoreHD": 0.035, "GND": 0.026},
    "Corruption (BR)": {"HDA": 0.083, "HBA": 0.061, "CI2": 0.145, "CoreHD": 0.084, "GND": 0.101},
    "'Ndrangheta Oversize": {"HDA": 0.074, "HBA": 0.069, "CI2": 0.085, "CoreHD": 0.082, "GND": 0.073},
    "9/11 Krebs": {"HDA": 0.167, "HBA": 0.122, "CI2": 0.156, "CoreHD": 0.168, "GND": 0.135},
    "London gang": {"HDA": 0.295, "HBA": 0.259, "CI2": 0.288, "CoreHD": 0.315},
    "Italian gangs": {"HDA": 0.064, "HBA": 0.056, "CI2": 0.070, "CoreHD": 0.068, "GND": 0.160},
    "Montreal gangs": {"HDA": 0.140, "HBA": 0.134, "CI2": 0.194, "CoreHD": 0.143},
    "Noordin Top (all 10 layers)": {"HDA": 0.335, "HBA": 0.259, "CI2": 0.359, "CoreHD": 0.351, "GND": 0.370},
    "Madrid bombing (operation ties)": {
        "HDA": 0.266,
        "HBA": 0.223,
        "CI2": 0.279,
        "CoreHD": 0.279,
        "GND": 0.268,
    },
    "Siren (auto theft)": {"HDA": 0.077, "HBA": 0.071, "CI2": 0.087, "CoreHD": 0.091, "GND": 0.091},
    "NYC heroin": {"HDA": 0.145, "HBA": 0.136, "CI2": 0.197, "CoreHD": 0.152},
    "Bitcoin Alpha (undirected)": {"HDA": 0.061, "CI2": 0.061, "CoreHD": 0.061, "GND": 0.067},
    "Bitcoin OTC (undirected)": {"HDA": 0.051, "CI2": 0.051, "CoreHD": 0.051, "GND": 0.072},
}
BEST_Q10 = {  # q10 without reinsertion: the best column of BASELINES.md (random excluded)
    "Crime (KONECT)": 0.022,
    "Corruption (BR)": 0.094,
    "'Ndrangheta Oversize": 0.124,
    "9/11 Krebs": 0.226,
    "London gang": 0.444,
    "Italian gangs": 0.119,
    "Montreal gangs": 0.286,
    "Noordin Top (all 10 layers)": 0.468,
    "Madrid bombing (operation ties)": 0.370,
    "Siren (auto theft)": 0.204,
    "NYC heroin": 0.263,
    "Bitcoin Alpha (undirected)": 0.097,
    "Bitcoin OTC (undirected)": 0.083,
}


def published_nodes(fraction: float, n: int) -> int:
    """The node count a published 3-decimal fraction of ``n`` allows, rounded up: the smallest whole number
    of nodes not below what the figure can stand for (``(fraction - 0.0005) * n``).

    >>> published_nodes(0.286, 35), published_nodes(0.022, 754)
    (10, 17)
    """
    return math.ceil((fraction - 0.0005) * n - 1e-9)


BEST_Q10_REINSERTED = {
    "Crime (KONECT)": 0.022,
    "Corruption (BR)": 0.094,
    "'Ndrangheta Oversize": 0.112,
    "9/11 Krebs": 0.226,
    "London gang": 0.426,
    "Italian gangs": 0.119,
    "Montreal gangs": 0.286,
    "Noordin Top (all 10 layers)": 0.430,
    "Madrid bombing (operation ties)": 0.370,
    "Siren (auto theft)": 0.204,
    "NYC heroin": 0.263,
    "Bitcoin Alpha (undirected)": 0.095,
    "Bitcoin OTC (undirected)": 0.081,
}
EXACT_F = {
    "9/11 Krebs": (3, 0.504),
    "London gang": (3, 0.078),
    "Italian gangs": (3, 0.782),
    "Montreal gangs": (2, 0.509),
    "Noordin Top (all 10 layers)": (4, 0.155),
    "Madrid bombing (operation ties)": (3, 0.180),
    "Siren (auto theft)": (2, 0.841),
    "NYC heroin": (2, 0.354),
}
BASELINE_LCC5 = {  # LCC/N after 5% of N: best heuristic in BASELINES.md
    "Crime (KONECT)": 0.032,
    "Corruption (BR)": 0.362,
    "'Ndrangheta Oversize": 0.607,
    "9/11 Krebs": 0.581,
    "London gang": 0.926,
    "Italian gangs": 0.358,
    "Montreal gangs": 0.657,
    "Noordin Top (all 10 layers)": 0.873,
    "Madrid bombing (operation ties)": 0.889,
    "Siren (auto theft)": 0.341,
    "NYC heroin": 0.763,
    "Bitcoin Alpha (undirected)": 0.554,
    "Bitcoin OTC (undirected)": 0.498,
}


def load_network(root: Path, name: str) -> nx.Graph:
    """One network as an undirected simple graph keyed by the ids (or names) in its files."""
    graph: nx.Graph = nx.Graph()
    files = NETWORKS[name]
    for rel in files:
        path = (root / rel).resolve()
        if path.suffix == ".csv" and not _has_header(path):
            _read_plain_csv(graph, path)
            continue
        ctx = LoadContext(default_model(), path.stem)
        names: dict[str, str] = {}
        for record in reader("edgelist")(path, ctx):
            for item in record.items:
                if isinstance(item, Node):
                    names[item.key] = item.name
                    graph.add_node(item.name if len(files) > 1 else item.key, name=item.name)
            for item in record.items:
                if isinstance(item, Edge):
                    u, v = item.source, item.target
                    if len(files) > 1:
                        u, v = names[u], names[v]
                    if u != v:
                        graph.add_edge(u, v)
    return graph


def _has_header(path: Path) -> bool:
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    return not first.split(",")[0].strip().lstrip("-").isdigit()


def _read_plain_csv(graph: nx.Graph, path: Path) -> None:
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if len(row) >= 2 and row[0] != row[1]:
                graph.add_edge(row[0], row[1])
            elif len(row) >= 2:
                graph.add_node(row[0])
