"""Who stands out: the most central entities of a scope by degree, betweenness, PageRank or eigenvector."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx

from graph_model.errors import InvalidArgument, LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.partition import undirected_simple
from queries.results import Ranked
from queries.scope import Scope, scope_graph

METRICS = ("degree", "betweenness", "pagerank", "eigenvector")
MAX_TOP = 500
EXACT_BETWEENNESS = 2000  # nodes up to which betweenness is exact; above it, sampled
SAMPLES = 200  # sources of a sampled betweenness, in two independent halves
SEED = 0


def centrality(
    store: GraphStore, clearance: TLP, scope: Scope, *, metric: str = "degree", top: int | None = 20
) -> list[Ranked]:
    """The ``top`` entities (None: all) of the visible graph a scope names by one centrality ``metric``.

    The graph is read undirected and simple (a tie is a tie whichever way it was recorded):

    - ``degree``: how many distinct neighbours (``detail["normalised"]``: over n - 1);
    - ``betweenness``: the share of shortest paths through the entity (normalised). Exact up to 2,000
      nodes; above, estimated from 200 sampled sources (Brandes & Pich 2007) drawn as two independent
      halves of 100, and ``detail["error"]`` is the estimate's standard error from their difference
      (``|b1 - b2| / 2``), ``detail["samples"]`` the number of sources;
    - ``pagerank``: PageRank with damping 0.85;
    - ``eigenvector``: eigenvector centrality (of the largest component's leading eigenvector).

    Ties are broken by key. Nothing above the caller's clearance is in the graph, so nothing hidden
    is ranked, counted or routed through.

    Examples
    --------
    >>> from queries.sample import sample_store
    >>> social = Scope(edge_set="social")
    >>> ranked = centrality(sample_store(), TLP.CLEAR, social, metric="betweenness", top=2)
    >>> [(r.node.name, r.score) for r in ranked]
    [('wazawaka', 0.072727), ('Conti', 0.054545)]
    """
    if metric not in METRICS:
        raise InvalidArgument(f"unknown centrality metric {metric!r}; known: {', '.join(METRICS)}")
    if top is not None and not 1 <= top <= MAX_TOP:
        raise LimitExceeded(f"top {top} is outside 1-{MAX_TOP}")
    graph = undirected_simple(scope_graph(store, clearance, scope))
    n = graph.number_of_nodes()
    if n == 0:
        return []
    scores, details = _scores(graph, metric)
    ranked = sorted(scores, key=lambda key: (-scores[key], key))[:top]
    nodes = store.nodes(ranked, clearance=clearance)
    return [
        Ranked(
            node=nodes[key],
            score=round(scores[key], 6),
            detail=details(key),
            why=f"{metric} {round(scores[key], 6)} in a graph of {n} entities",
        )
        for key in ranked
        if key in nodes
    ]


def _scores(graph: nx.Graph, metric: str) -> tuple[dict[str, float], Any]:
    """Scores by key, and a function giving each key's ``detail``."""
    n = graph.number_of_nodes()
    if metric == "degree":
        degrees = dict(graph.degree())
        norm = max(n - 1, 1)
        return (
            {k: float(d) for k, d in degrees.items()},
            lambda key: {"degree": degrees[key], "normalised": round(degrees[key] / norm, 6)},
        )
    if metric == "betweenness":
        if n <= EXACT_BETWEENNESS:
            exact = nx.betweenness_centrality(graph, normalized=True)
            return exact, lambda key: {"exact": True, "nodes": n}
        half = SAMPLES // 2
        first = nx.betweenness_centrality(graph, k=half, normalized=True, seed=SEED)
        second = nx.betweenness_centrality(graph, k=half, normalized=True, seed=SEED + 1)
        mean = {k: (first[k] + second[k]) / 2 for k in first}
        return mean, lambda key: {
            "exact": False,
            "nodes": n,
            "samples": SAMPLES,
            "error": round(abs(first[key] - second[key]) / 2, 6),
        }
    if metric == "pagerank":
        ranks = nx.pagerank(graph, alpha=0.85)
        return ranks, lambda key: {"alpha": 0.85}
    try:
        vector = nx.eigenvector_centrality_numpy(graph) if graph.number_of_edges() else {}
    except (nx.NetworkXException, ArithmeticError):
        vector = {}
    scores = {k: abs(float(vector.get(k, 0.0))) for k in graph}
    scores = {k: 0.0 if math.isnan(v) else v for k, v in scores.items()}
    return scores, lambda key: {}
