"""Where the graph lives: the :class:`GraphStore` contract and its two implementations."""

from graph_model.store.base import GraphStore, Link, Stats, Subgraph, TimeWindow
from graph_model.store.batch import UpsertResult
from graph_model.store.open import open_store

__all__ = ["GraphStore", "Link", "Stats", "Subgraph", "TimeWindow", "UpsertResult", "open_store"]
