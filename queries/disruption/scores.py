"""Disruption scores: which single nodes matter most, by several measures and a composite.

Metrics (all pure functions of the undirected simple graph):

- ``cut``: cut vertices, scored by the share of connected pairs their removal alone disconnects, with
  the sizes of the parts they separate;
- ``betweenness``: exact when small, sampled with a stated error when large;
- ``ci``: collective influence (radius 2);
- ``kcore``: the k-core a node sits in;
- ``bridge``: how many communities (Louvain, or label propagation on large graphs) and layers
  (actor / infrastructure / money / forum) a node's ties span beyond its own;
- ``composite``: all five together (cut and betweenness weigh double).

Every scored node has a ``rank``, a **0-100 score** and each component both raw and as a **percentile**
(the share of nodes with a lower raw value). The score mixes, per component, the percentile (where the
node stands) and the raw value's share of the highest (by how much): ``sum_m w_m (percentile_m / 100 +
raw_m / max_m) / 2 / sum_m w_m``, scaled so the first node scores 100 and rounded to 0.1; ties are broken
by degree, then key, and among the listed nodes a score equal to the one above it is set 0.1 below it, so
the listed scores are distinct. :func:`legend` says what each component means. The same graph gives the
same scores on every run and store (sampled betweenness is seeded; nodes are read in key order).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.disruption.centrality import betweenness, collective_influence
from queries.disruption.costs import cost_of
from queries.disruption.explain import label_of
from queries.disruption.graph import disruption_graph
from queries.disruption.limits import check_top
from queries.disruption.measures import Indexed, pairs, single_removals
from queries.disruption.words import say
from queries.partition import membership, partition
from queries.results import Target
from queries.scope import Scope

METRICS: tuple[str, ...] = ("composite", "cut", "betweenness", "ci", "kcore", "bridge")
WEIGHTS = {"cut": 2.0, "betweenness": 2.0, "ci": 1.0, "kcore": 1.0, "bridge": 1.0}
LOUVAIN_MAX = 20_000
STEP = 0.1  # score resolution; a tie among listed nodes is set this much below the node above it
MEANINGS = {
    "cut": "share (0-1) of the connected pairs its removal alone disconnects; 0 unless it is a cut vertex",
    "betweenness": "share (0-1) of the shortest paths between other nodes that run through it "
    "(estimated from 300 seeded sources past 5,000 nodes)",
    "ci": "collective influence, radius 2: (its degree - 1) x the sum of (degree - 1) of the nodes exactly "
    "2 steps away; a count without upper bound, comparable only within one network",
    "kcore": "core number: the largest k such that it sits in a group where everyone has at least k ties",
    "bridge": "how many other communities (Louvain) and other layers (actor, infrastructure, money, forum) "
    "its ties reach",
}


@dataclass(slots=True)
class Scored:
    """One scored node: ``rank`` (1 = first), ``score`` (0-100), ``components`` (raw and percentile)."""

    node: Hashable
    score: float
    detail: dict[str, Any] = field(default_factory=dict)
    rank: int = 0
    components: dict[str, dict[str, float]] = field(default_factory=dict)


def legend(metric: str = "composite") -> dict[str, str]:
    """What the score and each component of ``metric`` mean (the score list's legend).

    Examples
    --------
    >>> sorted(legend("cut"))
    ['cut', 'percentile', 'rank', 'score']
    """
    wanted = list(WEIGHTS) if metric == "composite" else [metric]
    weights = ", ".join(f"{m} x{WEIGHTS[m]:g}" for m in wanted) if metric == "composite" else metric
    return {
        "rank": "position in the list, 1 = most disruptive (ties: higher degree first, then key)",
        "score": f"0-100 ({weights}): per component the mean of its percentile and its share of the highest "
        "value, weighted, scaled so the first node scores 100, rounded to 0.1; a tie among listed nodes is "
        "set 0.1 below the node above it",
        "percentile": "share of the network's nodes with a lower raw value (0-100)",
        **{m: MEANINGS[m] for m in wanted},
    }


def score_graph(
    graph: nx.Graph, metric: str = "composite", *, top: int | None = 20, seed: int = 0
) -> list[Scored]:
    """The ``top`` nodes by ``metric`` (None: all), best first, each with rank, 0-100 score and components.

    Examples
    --------
    >>> found = score_graph(nx.barbell_graph(3, 1), "cut", top=3)
    >>> [(s.node, s.rank, s.score) for s in found]
    [(3, 1, 100.0), (2, 2, 77.8), (4, 3, 77.7)]
    >>> found[0].components["cut"]
    {'raw': 0.428571, 'percentile': 100.0}
    """
    if metric not in METRICS:
        raise InvalidArgument(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    if top is not None:
        check_top(top)
    if graph.number_of_nodes() == 0:
        return []
    wanted = list(WEIGHTS) if metric == "composite" else [metric]
    values: dict[str, dict[Hashable, float]] = {}
    details: dict[Hashable, dict[str, Any]] = {v: {} for v in graph}
    for name in wanted:
        values[name] = _METRIC[name](graph, details, seed)
    ranks = {name: _percentiles(vals) for name, vals in values.items()}
    highest = {name: max(vals.values()) for name, vals in values.items()}
    weights = {name: WEIGHTS[name] if metric == "composite" else 1.0 for name in wanted}
    total = sum(weights.values())
    mixed = {
        v: sum(
            weights[m] * (ranks[m][v] + (values[m][v] / highest[m] if highest[m] > 0 else 0.0)) / 2
            for m in wanted
        )
        / total
        for v in graph
    }
    degree = dict(graph.degree())
    order = sorted(graph, key=lambda v: (-mixed[v], -degree[v], str(v)))[:top]
    best = mixed[order[0]] or 1.0
    result: list[Scored] = []
    previous = math.inf
    for rank, v in enumerate(order, start=1):
        score = round(100.0 * mixed[v] / best, 1)
        if score >= previous:
            score = round(max(0.0, previous - STEP), 1)
        previous = score
        components = {
            m: {"raw": round(values[m][v], 6), "percentile": round(100.0 * ranks[m][v], 1)} for m in wanted
        }
        result.append(Scored(v, score, {"degree": degree[v], **details[v]}, rank, components))
    return result


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
    # a canonical order of nodes and edges: Louvain's result depends on it, and the stores read edges in
    # different orders
    keyed: nx.Graph = nx.Graph()
    keyed.add_nodes_from(sorted(str(v) for v in graph))
    keyed.add_edges_from(sorted(tuple(sorted((str(u), str(v)))) for u, v in graph.edges() if u != v))
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


def why_scored(graph: nx.Graph, item: Scored, metric: str, of: int) -> dict[str, Any]:
    """The reasons behind a score, as a ``why.score`` message (``{"text", "id", "values"}``)."""
    d = item.detail
    c = item.components
    attrs = graph.nodes[item.node]

    def pct(name: str) -> float | None:
        return c[name]["percentile"] / 100 if name in c else None

    values = {
        "name": str(attrs.get("name", item.node)),
        "label": label_of(attrs),
        "rank": item.rank,
        "of": of,
        "score": item.score,
        "metric": metric,
        "parts": list(d.get("separates", []))[:5],
        "cut_share": c["cut"]["raw"] if "cut" in c else 0.0,
        "betweenness": c["betweenness"]["raw"] if "betweenness" in c else None,
        "betweenness_pct": pct("betweenness"),
        "sampled_error": d.get("betweenness_error"),
        "ci": c["ci"]["raw"] if "ci" in c else None,
        "ci_pct": pct("ci"),
        "kcore": int(c["kcore"]["raw"]) if "kcore" in c else None,
        "kcore_pct": pct("kcore"),
        "bridges": int(c["bridge"]["raw"]) if "bridge" in c else 0,
        "bridge_pct": pct("bridge"),
        "degree": d["degree"],
    }
    return say("why.score", **values).as_dict()


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
    if top is not None:
        check_top(top)
    graph = disruption_graph(store, clearance, scope)
    return scored_targets(graph, metric, top=top)


def scored_targets(graph: nx.Graph, metric: str = "composite", *, top: int | None = 20) -> list[Target]:
    """:func:`disruption_scores` on a networkx graph: the score list as targets with their whys."""
    targets = []
    for item in score_graph(graph, metric, top=top):
        attrs = graph.nodes[item.node]
        why = why_scored(graph, item, metric, graph.number_of_nodes())
        targets.append(
            Target(
                key=str(item.node),
                name=str(attrs.get("name", item.node)),
                kind=str(attrs.get("kind", "")),
                score=item.score,
                cost=cost_of(graph, item.node),
                why=why["text"],
                type=str(attrs.get("type") or "") or None,
                rank=item.rank,
                why_message=why,
                components=item.components,
            )
        )
    return targets
