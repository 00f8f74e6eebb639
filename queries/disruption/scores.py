"""Disruption scores: which single nodes matter most, by several measures and a composite.

Metrics (all pure functions of the undirected simple graph):

- ``cut``: cut vertices, scored by the share of connected pairs their removal alone disconnects, with
  the sizes of the parts they separate;
- ``betweenness``: exact when small, sampled with a stated error when large;
- ``ci``: collective influence (radius 2);
- ``kcore``: the k-core a node sits in;
- ``bridge``: how many communities (Louvain, or label propagation on large graphs) and layers
  (actor / infrastructure / money / forum) a node's ties span beyond its own;
- ``composite``: the mean of the five, each as a percentile rank (cut and betweenness weigh double).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graph_model.errors import InvalidArgument, LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.disruption.centrality import betweenness, collective_influence
from queries.disruption.costs import node_cost
from queries.disruption.graph import disruption_graph
from queries.disruption.measures import Indexed, pairs, single_removals
from queries.partition import membership, partition
from queries.results import Target
from queries.scope import Scope

METRICS: tuple[str, ...] = ("composite", "cut", "betweenness", "ci", "kcore", "bridge")
WEIGHTS = {"cut": 2.0, "betweenness": 2.0, "ci": 1.0, "kcore": 1.0, "bridge": 1.0}
MAX_TOP = 1000
LOUVAIN_MAX = 20_000


@dataclass(slots=True)
class Scored:
    node: Hashable
    score: float
    detail: dict[str, Any] = field(default_factory=dict)


def score_graph(
    graph: nx.Graph, metric: str = "composite", *, top: int | None = 20, seed: int = 0
) -> list[Scored]:
    """The ``top`` nodes by ``metric`` (None: all), best first (ties: higher degree, then node order).

    Examples
    --------
    >>> [s.node for s in score_graph(nx.barbell_graph(3, 1), "cut", top=3)]
    [3, 2, 4]
    """
    if metric not in METRICS:
        raise InvalidArgument(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    if top is not None and not 1 <= top <= MAX_TOP:
        raise LimitExceeded(f"top must be within 1-{MAX_TOP}, got {top}")
    if graph.number_of_nodes() == 0:
        return []
    wanted = list(WEIGHTS) if metric == "composite" else [metric]
    values: dict[str, dict[Hashable, float]] = {}
    details: dict[Hashable, dict[str, Any]] = {v: {} for v in graph}
    for name in wanted:
        values[name] = _METRIC[name](graph, details, seed)
    if metric == "composite":
        ranks = {name: _percentiles(vals) for name, vals in values.items()}
        total = sum(WEIGHTS.values())
        final = {v: sum(WEIGHTS[m] * ranks[m][v] for m in WEIGHTS) / total for v in graph}
    else:
        final = values[metric]
    degree = dict(graph.degree())
    order = sorted(graph, key=lambda v: (-final[v], -degree[v], str(v)))[:top]
    return [Scored(v, round(final[v], 6), {"degree": degree[v], **details[v]}) for v in order]


def _cut(graph: nx.Graph, details: dict[Hashable, dict[str, Any]], seed: int) -> dict[Hashable, float]:
    ix = Indexed.of(graph)
    single = single_removals(ix, bytearray(len(ix)))
    total = max(1, pairs(single.sizes))
    result: dict[Hashable, float] = {}
    for i, node in enumerate(ix.nodes):
        pieces = sorted(single.pieces[i], reverse=True)
        comp = single.comp[i]
        cut = comp * (comp - 1) // 2 - pairs(pieces) - (comp - 1)
        result[node] = cut / total
        if len(pieces) > 1:
            details[node]["separates"] = pieces[:10]
    return result


def _betweenness(
    graph: nx.Graph, details: dict[Hashable, dict[str, Any]], seed: int
) -> dict[Hashable, float]:
    values, error = betweenness(graph, seed=seed)
    for node in graph:
        details[node]["betweenness"] = round(values[node], 6)
        if error is not None:
            details[node]["betweenness_error"] = round(error, 3)
    return dict(values)


def _ci(graph: nx.Graph, details: dict[Hashable, dict[str, Any]], seed: int) -> dict[Hashable, float]:
    values = collective_influence(graph)
    for node, value in values.items():
        details[node]["ci"] = value
    return values


def _kcore(graph: nx.Graph, details: dict[Hashable, dict[str, Any]], seed: int) -> dict[Hashable, float]:
    core = nx.core_number(graph)
    for node, value in core.items():
        details[node]["kcore"] = value
    return {v: float(c) for v, c in core.items()}


def _bridge(graph: nx.Graph, details: dict[Hashable, dict[str, Any]], seed: int) -> dict[Hashable, float]:
    algorithm = "louvain" if graph.number_of_nodes() <= LOUVAIN_MAX else "label_propagation"
    keyed = nx.relabel_nodes(graph, {v: str(v) for v in graph}, copy=True)
    community = membership(partition(keyed, algorithm, seed=seed))
    result: dict[Hashable, float] = {}
    for node in graph:
        own_c = community.get(str(node))
        own_l = graph.nodes[node].get("layer", "actor")
        others_c = {community.get(str(m)) for m in graph.adj[node]} - {own_c}
        others_l = {graph.nodes[m].get("layer", "actor") for m in graph.adj[node]} - {own_l}
        result[node] = float(len(others_c) + len(others_l))
        details[node]["community"] = own_c
        if others_c:
            details[node]["bridges_communities"] = len(others_c)
        if others_l:
            details[node]["bridges_layers"] = sorted(others_l)
    return result


_METRIC = {"cut": _cut, "betweenness": _betweenness, "ci": _ci, "kcore": _kcore, "bridge": _bridge}


def _percentiles(values: dict[Hashable, float]) -> dict[Hashable, float]:
    """Each value's share of nodes scoring strictly lower (ties share a rank)."""
    ordered = sorted(values.values())
    n = len(ordered)
    result: dict[Hashable, float] = {}
    position: dict[float, int] = {}
    for i, value in enumerate(ordered):
        position.setdefault(value, i)
    for node, value in values.items():
        result[node] = position[value] / max(1, n - 1)
    return result


def why_scored(graph: nx.Graph, item: Scored, metric: str) -> str:
    """The reasons behind a score in words."""
    d = item.detail
    name = graph.nodes[item.node].get("name", item.node)
    parts = [f"{name}: {metric} {item.score:.3f}"]
    if "separates" in d:
        parts.append(f"a cut vertex separating parts of {', '.join(map(str, d['separates'][:5]))} nodes")
    if "betweenness" in d:
        err = f" (sampled, +/-{d['betweenness_error']:.0%})" if "betweenness_error" in d else ""
        parts.append(f"betweenness {d['betweenness']:.3f}{err}")
    if "ci" in d:
        parts.append(f"collective influence {d['ci']:.0f}")
    if "kcore" in d:
        parts.append(f"in the {d['kcore']}-core")
    if d.get("bridges_communities"):
        parts.append(f"ties into {d['bridges_communities']} other communit(ies)")
    if d.get("bridges_layers"):
        parts.append(f"bridges to the {', '.join(d['bridges_layers'])} layer(s)")
    parts.append(f"degree {d['degree']}")
    return "; ".join(parts)


def disruption_scores(
    store: GraphStore, clearance: TLP, scope: Scope, *, metric: str = "composite", top: int | None = 20
) -> list[Target]:
    """The ``top`` nodes (None: all) whose removal would hurt the scope's network most, by ``metric``,
    best first.

    Examples
    --------
    >>> from graph_model import default_model
    >>> from graph_model.store.embedded import EmbeddedStore
    >>> store = EmbeddedStore(":memory:", default_model())
    >>> disruption_scores(store, TLP.RED, Scope(), metric="cut")
    []
    """
    if metric not in METRICS:
        raise InvalidArgument(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    graph = disruption_graph(store, clearance, scope)
    return [
        Target(
            key=str(item.node),
            name=str(graph.nodes[item.node].get("name", item.node)),
            kind=str(graph.nodes[item.node].get("kind", "")),
            score=item.score,
            cost=node_cost(item.node, graph.nodes[item.node]),
            why=why_scored(graph, item, metric),
        )
        for item in score_graph(graph, metric, top=top)
    ]
