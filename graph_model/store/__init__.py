"""Where the graph lives: the :class:`GraphStore` contract and its two implementations."""

from graph_model.store.base import GraphStore, Link, Near, Stats, Subgraph, TimeWindow
from graph_model.store.batch import UpsertResult
from graph_model.store.open import open_store

__all__ = ["GraphStore", "Link", "Near", "Stats", "Subgraph", "TimeWindow", "UpsertResult", "open_store"]
