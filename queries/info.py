"""What the graph can hold: the schema as data, for clients that build forms, filters and legends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph_model.model import ANY, Model, Property


def schema_info(model: Model) -> dict[str, Any]:
    """Node kinds (types, properties, colour, shape), edge kinds (ends, properties) and named edge sets.

    Examples
    --------
    >>> from graph_model.model import default_model
    >>> info = schema_info(default_model())
    >>> info["edge_sets"]["money"]
    ['COLLECTS_INTO', 'OWNS', 'TRANSFERRED']
    >>> "Wallet" in [kind["name"] for kind in info["node_kinds"]]
    True
    """
    every = sorted(model.nodes)
    return {
        "node_kinds": [
            {
                "name": kind.name,
                "description": kind.description,
                "types": sorted(kind.types),
                "properties": _properties(kind.properties),
                "color": kind.color,
                "shape": kind.shape,
            }
            for kind in (model.nodes[name] for name in every)
        ],
        "edge_kinds": [
            {
                "name": edge.name,
                "description": edge.description,
                "sources": every if ANY in edge.source else sorted(edge.source),
                "targets": every if ANY in edge.target else sorted(edge.target),
                "properties": _properties(edge.properties),
            }
            for edge in (model.edges[name] for name in sorted(model.edges))
        ],
        "edge_sets": {name: sorted(types) for name, types in sorted(model.edge_sets.items())},
    }


def _properties(properties: Mapping[str, Property]) -> list[dict[str, Any]]:
    return [
        {"name": p.name, "type": p.type, "search": p.search, "description": p.description}
        for p in (properties[name] for name in sorted(properties))
    ]
