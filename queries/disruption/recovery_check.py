"""Checking the recovery model on a network observed over time (timestamped ties).

At a time t (a quantile of the tie times) the network is every tie up to t; the nodes with no tie after t
count as removed at t; the survivors are the others. The ties that appear among survivors in the next
period (up to the next quantile) and did not exist at t are the truth. The model
(:func:`queries.disruption.recovery.predicted_ties`, scored by :func:`~queries.disruption.recovery.tie_score`)
is compared with a null model that places the same number of ties at random among the survivors:

- **precision**: the share of the model's predicted ties that appear, against the share of as many random
  survivor pairs that appear;
- **AUC**: the chance that a tie that appears scores higher than a survivor pair that does not (a seeded
  sample of those), against random scores (0.5 expected).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Hashable, Sequence
from typing import Any

import networkx as nx

from queries.disruption.recovery import predicted_ties, tie_score

NEGATIVES = 50_000  # survivor pairs that do not tie up, sampled for the AUC


def read_ratings(path: str) -> list[tuple[str, str, float]]:
    """``SOURCE,TARGET,RATING,TIME`` rows (SNAP soc-sign-bitcoin*) as ``(source, target, time)``."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            parts = line.strip().split(",")
            if len(parts) < 4 or parts[0] == parts[1]:
                continue
            try:
                rows.append((parts[0], parts[1], float(parts[3])))
            except ValueError:  # a header row
                continue
    return rows


QUANTILES = (0.5, 0.6, 0.7, 0.8)  # the times t checked; the truth is the next tenth of the ties
NETWORKS = {
    "Bitcoin OTC": "bitcoin-otc/soc-sign-bitcoinotc.csv",
    "Bitcoin Alpha": "networks/bitcoin-alpha/soc-sign-bitcoinalpha.csv",
}


def check_network(path: str, seed: int = 0) -> list[dict[str, Any]]:
    """:func:`check_at` at every one of :data:`QUANTILES` of a ratings file."""
    ties = read_ratings(path)
    return [check_at(ties, q, round(q + 0.1, 6), seed) for q in QUANTILES]


def check_at(
    ties: Sequence[tuple[Hashable, Hashable, float]], start: float, end: float, seed: int = 0
) -> dict[str, Any]:
    """The model against the null with t at the ``start`` quantile of tie times, truth up to ``end``."""
    ordered = sorted(ties, key=lambda e: e[2])
    times = [e[2] for e in ordered]
    t = times[min(len(times) - 1, int(start * len(times)))]
    t_end = times[min(len(times) - 1, int(end * len(times)))]
    cut = bisect.bisect_right(times, t)
    graph = nx.Graph()
    graph.add_edges_from((u, v) for u, v, _ in ordered[:cut] if u != v)
    active = {x for u, v, _ in ordered[cut:] for x in (u, v)}
    removed = {v for v in graph if v not in active}
    survivors = sorted((v for v in graph if v in active), key=str)
    alive = set(survivors)
    new = {
        frozenset((u, v))
        for u, v, when in ordered[cut:]
        if when <= t_end and u in alive and v in alive and u != v and not graph.has_edge(u, v)
    }
    predicted = predicted_ties(graph, removed)
    hits = sum(1 for u, w, _, _ in predicted if frozenset((u, w)) in new)
    rng = random.Random(seed)
    n = len(survivors)
    unlinked = n * (n - 1) // 2 - graph.subgraph(survivors).number_of_edges()
    null_hits = 0
    for _ in range(len(predicted)):
        u, w = rng.sample(survivors, 2)
        while graph.has_edge(u, w):
            u, w = rng.sample(survivors, 2)
        null_hits += frozenset((u, w)) in new
    brokers = {frozenset((u, w)) for u, w, _, how in predicted if how == "broker"}
    negatives: list[tuple[Hashable, Hashable]] = []
    while len(negatives) < min(NEGATIVES, max(0, unlinked - len(new))):
        u, w = rng.sample(survivors, 2)
        if not graph.has_edge(u, w) and frozenset((u, w)) not in new:
            negatives.append((u, w))
    positives = [tuple(pair) for pair in new]
    score_pos = [tie_score(graph, removed, u, w, frozenset((u, w)) in brokers) for u, w in positives]
    score_neg = [tie_score(graph, removed, u, w, frozenset((u, w)) in brokers) for u, w in negatives]
    random_pos = [rng.random() for _ in positives]
    random_neg = [rng.random() for _ in negatives]
    return {
        "t_quantile": start,
        "until_quantile": end,
        "nodes_at_t": graph.number_of_nodes(),
        "ties_at_t": graph.number_of_edges(),
        "removed": len(removed),
        "survivors": n,
        "new_ties": len(new),
        "predicted": len(predicted),
        "model": {"precision": _ratio(hits, len(predicted)), "auc": round(auc(score_pos, score_neg), 4)},
        "null": {
            "precision": _ratio(null_hits, len(predicted)),
            "auc": round(auc(random_pos, random_neg), 4),
        },
        "null_expected_precision": _ratio(len(new), unlinked),
    }


def _ratio(a: int, b: int) -> float:
    return round(a / b, 6) if b else 0.0


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """The chance a positive scores above a negative (ties count half); 0.5 when either is empty.

    Examples
    --------
    >>> auc([3, 2], [1, 2])
    0.875
    """
    if not positive or not negative:
        return 0.5
    ordered = sorted(negative)
    total = 0.0
    for s in positive:
        below = bisect.bisect_left(ordered, s)
        equal = bisect.bisect_right(ordered, s) - below
        total += below + 0.5 * equal
    return total / (len(positive) * len(negative))
