"""Records without their ``date_added``: the time a store first loaded them differs between two loads (two
stores, or a store and what a test expects), while everything else must be equal."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from graph_model.entities import Edge, Node
from graph_model.provenance import Provenance

T = TypeVar("T", Node, Edge)


def undated_prov(prov: Provenance) -> Provenance:
    return replace(prov, date_added=None)


def undated(item: T) -> T:
    """``item`` (a node or an edge, with its levels) with no ``date_added`` anywhere."""
    levels = None if item.levels is None else {k: undated(v) for k, v in item.levels.items()}
    return replace(item, prov=undated_prov(item.prov), levels=levels)  # type: ignore[arg-type]


def undated_all(items: dict[str, T]) -> dict[str, T]:
    return {key: undated(item) for key, item in items.items()}
