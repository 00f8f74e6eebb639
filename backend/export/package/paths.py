"""Why a takedown target matters, shown on the graph: the paths through it that the takedown cuts.

For a cut vertex, one path through the target between the biggest pieces it holds together (and their
sizes); otherwise paths through it between its best-connected neighbours, with how long the way round
is without it. Computed on the plan's scope read through the requester's clearance, so every hop shown
is one the requester may see.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import networkx as nx

from queries.partition import undirected_simple


def _hop(graph: nx.MultiDiGraph, a: str, b: str) -> dict[str, Any]:
    """The edge kind between two adjacent nodes (in either direction), the first by key."""
    found = sorted(
        [(k, d, "out") for k, d in (graph.get_edge_data(a, b) or {}).items()]
        + [(k, d, "in") for k, d in (graph.get_edge_data(b, a) or {}).items()]
    )
    key, data, direction = found[0]
    return {
        "type": data["type"],
        "direction": direction,
        "tlp": data["tlp"],
        "confidence": data["confidence"],
    }


def _path(graph: nx.MultiDiGraph, nodes: list[str]) -> dict[str, Any]:
    return {
        "nodes": [{"key": n, "name": graph.nodes[n]["name"], "kind": graph.nodes[n]["kind"]} for n in nodes],
        "edges": [_hop(graph, a, b) for a, b in zip(nodes, nodes[1:], strict=False)],
    }


def critical_paths(graph: nx.MultiDiGraph, key: str, *, limit: int = 3) -> list[dict[str, Any]]:
    """Up to ``limit`` paths through ``key`` that its removal cuts or lengthens (see the module docstring)."""
    if key not in graph:
        return []
    simple = undirected_simple(graph)
    component = simple.subgraph(nx.node_connected_component(simple, key))
    rest = nx.Graph(component)
    rest.remove_node(key)
    pieces = sorted(nx.connected_components(rest), key=lambda c: (-len(c), min(c)))
    found: list[dict[str, Any]] = []
    if len(pieces) >= 2:
        anchors = [max(sorted(p), key=component.degree) for p in pieces[: limit + 1]]
        sizes = [len(p) for p in pieces[: limit + 1]]
        for i, j in list(combinations(range(len(anchors)), 2))[:limit]:
            path = _path(graph, nx.shortest_path(component, anchors[i], anchors[j]))
            path["separates"] = [sizes[i], sizes[j]]
            path["detour"] = None
            found.append(path)
        return found
    neighbours = sorted(component.neighbors(key), key=lambda n: (-component.degree(n), n))[: limit + 1]
    for a, b in list(combinations(neighbours, 2))[:limit]:
        path = _path(graph, [a, key, b])
        path["separates"] = []
        path["detour"] = nx.shortest_path_length(rest, a, b) if nx.has_path(rest, a, b) else None
        found.append(path)
    return found
