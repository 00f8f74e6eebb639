"""Helpers shared by the loader tests: load a file through the registry, count what a store holds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from graph_model.provenance import TLP
from graph_model.store import GraphStore
from loaders import IngestSummary, LoadContext, ingest, reader


def load(store: GraphStore, fmt: str, path: Path, dataset: str) -> IngestSummary:
    """Read ``path`` as ``fmt`` under the dataset name ``dataset`` and ingest it into ``store``."""
    return ingest(store, reader(fmt)(path, LoadContext(store.model, dataset)))


def kinds(store: GraphStore) -> Counter[str]:
    """Node counts by ``Kind/type`` (e.g. ``Wallet/btc``)."""
    graph = store.subgraph(clearance=TLP.RED, edge_types=[])
    return Counter(f"{a['kind']}/{a['type']}" for _, a in graph.nodes(data=True))


def edge_types(store: GraphStore) -> Counter[str]:
    graph = store.subgraph(clearance=TLP.RED)
    return Counter(a["type"] for _, _, a in graph.edges(data=True))


def undirected_pairs(store: GraphStore, edge_type: str) -> int:
    """Distinct unordered endpoint pairs among the stored edges of ``edge_type``."""
    graph = store.subgraph(clearance=TLP.RED, edge_types=[edge_type])
    return len({frozenset((s, t)) for s, t in graph.edges()})


def nothing_new(summary: IngestSummary) -> bool:
    return summary.store.nodes_new == 0 and summary.store.edges_new == 0 and summary.rejected == 0
