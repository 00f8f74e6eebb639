"""The graph with one scalar type per attribute, as Gephi's GEXF and GraphML readers need.

Types come from the schema (``integer`` -> int, ``number`` -> float, ``boolean`` -> bool, the rest text);
lists are joined with ``;`` as in the CSV tables; an attribute two kinds declare with different types is
text. Nodes carry their ``label`` (the name) and, for GEXF, their kind's colour from the schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from graph_model.model import Model, Property

LIST_SEPARATOR = ";"
NODE_BASE: dict[str, type] = {
    "label": str,
    "kind": str,
    "type": str,
    "tlp": str,
    "confidence": int,
    "first_seen": str,
    "last_seen": str,
    "date_added": str,
    "created": str,
    "modified": str,
    "sources": str,
    "stated": str,  # which sources stated each property, as JSON (graph_model.store.base.stated_text)
    "marked": str,  # what only sources above its lowest level give, as JSON (store.base.marked_text)
}
EDGE_BASE: dict[str, type] = {
    "label": str,
    "edge_type": str,
    # Aggregated transfers (backend.export.graph.aggregate_transfers) carry these too.
    "count": int,
    "usd_known": int,
    "tlp": str,
    "confidence": int,
    "first_seen": str,
    "last_seen": str,
    "date_added": str,
    "created": str,
    "modified": str,
    "sources": str,
    "stated": str,
    "marked": str,
}
_SCALARS: dict[str, type] = {"integer": int, "number": float, "boolean": bool}


def attribute_types(properties: Iterable[Mapping[str, Property]], base: dict[str, type]) -> dict[str, type]:
    """One Python type per attribute name over all the kinds' properties."""
    types = dict(base)
    for declared in properties:
        for name, prop in declared.items():
            wanted = _SCALARS.get(prop.type, str)
            if name in types and types[name] is not wanted:
                wanted = str
            types[name] = wanted
    return types


def _typed(value: Any, wanted: type) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if wanted is str and not isinstance(value, str):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def _hex_rgb(color: str) -> dict[str, int]:
    text = color.lstrip("#")
    return {"r": int(text[0:2], 16), "g": int(text[2:4], 16), "b": int(text[4:6], 16)}


def typed_graph(graph: nx.MultiDiGraph, model: Model, *, colours: bool = False) -> nx.MultiDiGraph:
    """A copy of ``graph`` whose every attribute has one scalar type, plus labels (and viz colours)."""
    node_types = attribute_types((k.properties for k in model.nodes.values()), NODE_BASE)
    edge_types = attribute_types((k.properties for k in model.edges.values()), EDGE_BASE)
    out = nx.MultiDiGraph()
    for key, attrs in sorted(graph.nodes(data=True)):
        data = {"label": attrs["name"]}
        for name, value in attrs.items():
            if name != "name" and value is not None and value != []:
                data[name] = _typed(value, node_types.get(name, str))
        if colours:
            kind = model.nodes.get(attrs["kind"])
            if kind is not None and len(kind.color) == 7:
                data["viz"] = {"color": {**_hex_rgb(kind.color), "a": 1.0}}
        out.add_node(key, **data)
    for source, target, key, attrs in sorted(graph.edges(keys=True, data=True), key=lambda e: e[2]):
        data = {"label": attrs["type"], "edge_type": attrs["type"]}
        for name, value in attrs.items():
            if name != "type" and value is not None and value != []:
                data[name] = _typed(value, edge_types.get(name, str))
        out.add_edge(source, target, key=key, **data)
    return out
