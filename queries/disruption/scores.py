"""Disruption scores: which single nodes matter most, by several measures and a composite.

Metrics (all pure functions of the undirected simple graph):

- ``cut``: cut vertices, scored by the share of connected pairs their removal alone disconnects, with
  the sizes of the parts they separate;
- ``betweenness``: exact when small, sampled with a stated error when large;
- ``ci``: collective influence (radius 2);
- ``kcore``: the k-core a node sits in;
- ``bridge``: how many communities (Louvain: networkx, or igraph's multilevel past 20,000 nodes) and layers
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
import random
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.disruption.centrality import collective_influence_values, core_numbers, index_betweenness_later
from queries.disruption.costs import cost_of
from queries.disruption.explain import label_of
from queries.disruption.graph import DisruptionArrays, disruption_arrays, disruption_graph
from queries.disruption.limits import check_top
from queries.disruption.measures import Indexed, index_arrays, native_without, pairs, single_removals
from queries.disruption.words import say
from queries.partition import partition
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


@dataclass(slots=True)
class _Input:
    """What the measures read: the index, each node's degree as the graph counts it, and its layer."""

    ix: Indexed
    degree: Any  # numpy int64 array, index order
    layers: list[str]

    @classmethod
    def of_graph(cls, graph: nx.Graph) -> _Input:
        ix = Indexed.cached(graph)
        degree = np.fromiter((d for _, d in graph.degree(ix.nodes)), dtype=np.int64, count=len(ix))
        return cls(ix, degree, [graph.nodes[v].get("layer", "actor") for v in ix.nodes])

    @classmethod
    def of_arrays(cls, arrays: DisruptionArrays) -> _Input:
        return cls(arrays.ix, arrays.degree, arrays.layers)


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
    _check(metric, top)
    if graph.number_of_nodes() == 0:
        return []
    return _score(_Input.of_graph(graph), metric, top, seed)


def _check(metric: str, top: int | None) -> None:
    if metric not in METRICS:
        raise InvalidArgument(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    if top is not None:
        check_top(top)


def _score(given: _Input, metric: str, top: int | None, seed: int) -> list[Scored]:
    """:func:`score_graph` of a graph's :class:`_Input` (at least one node)."""
    ix = given.ix
    n = len(ix)
    wanted = list(WEIGHTS) if metric == "composite" else [metric]
    # a large graph's sampled betweenness runs beside the other measures (another core) when it can
    later = index_betweenness_later(ix, seed=seed) if "betweenness" in wanted else None
    # (a large graph's communities are computed here: a third process on two cores slows the betweenness)
    groups = (lambda: _communities(ix, seed)) if "bridge" in wanted else None
    found = {name: _METRIC[name](given, seed) for name in wanted if name not in ("betweenness", "bridge")}
    if groups is not None:
        found["bridge"] = _bridge(given, groups())
    if later is not None:
        found["betweenness"] = _betweenness(*later())
    found = {name: found[name] for name in wanted}
    values = {name: measure.values for name, measure in found.items()}
    ranks = {name: _percentiles(vals) for name, vals in values.items()}
    highest = {name: float(vals.max()) for name, vals in values.items()}
    weights = {name: WEIGHTS[name] if metric == "composite" else 1.0 for name in wanted}
    total = sum(weights.values())
    # the same operations in the same order as a per-node sum, so the same floating-point values
    mixed = np.zeros(n)
    for m in wanted:
        share = values[m] / highest[m] if highest[m] > 0 else np.zeros(n)
        mixed = mixed + weights[m] * (ranks[m] + share) / 2
    mixed = mixed / total
    degree = given.degree
    if top is not None and top < n:
        # only nodes at least as high as the top-th can be listed; sort those by the full rule
        floor = np.partition(mixed, n - top)[n - top]
        pool = np.flatnonzero(mixed >= floor).tolist()
    else:
        pool = list(range(n))
    key = {i: str(ix.nodes[i]) for i in pool}
    order = sorted(pool, key=lambda i: (-float(mixed[i]), -int(degree[i]), key[i]))[:top]
    best = float(mixed[order[0]]) or 1.0
    result: list[Scored] = []
    previous = math.inf
    for rank, i in enumerate(order, start=1):
        score = round(100.0 * float(mixed[i]) / best, 1)
        if score >= previous:
            score = round(max(0.0, previous - STEP), 1)
        previous = score
        components = {
            m: {"raw": round(float(values[m][i]), 6), "percentile": round(100.0 * float(ranks[m][i]), 1)}
            for m in wanted
        }
        detail: dict[str, Any] = {"degree": int(degree[i])}
        for measure in found.values():
            detail.update(measure.detail(i))
        result.append(Scored(ix.nodes[i], score, detail, rank, components))
    return result


@dataclass(slots=True)
class _Measure:
    """One component's raw value per node (``Indexed`` order) and what a listed node's why quotes."""

    values: Any  # numpy array of floats
    detail: Callable[[int], dict[str, Any]]


def _cut(given: _Input, seed: int) -> _Measure:
    ix = given.ix
    single = single_removals(ix, bytearray(len(ix)))
    total = max(1, pairs(single.sizes))
    result = np.zeros(len(ix))
    for i in range(len(ix)):
        pieces = single.pieces[i]
        if len(pieces) > 1:
            comp = single.comp[i]
            result[i] = (comp * (comp - 1) // 2 - pairs(pieces) - (comp - 1)) / total

    def detail(i: int) -> dict[str, Any]:
        pieces = sorted(single.pieces[i], reverse=True)
        return {"separates": pieces[:10]} if len(pieces) > 1 else {}

    return _Measure(result, detail)


def _betweenness(found: list[float], error: float | None) -> _Measure:
    values = np.fromiter(found, dtype=float, count=len(found))

    def detail(i: int) -> dict[str, Any]:
        d: dict[str, Any] = {"betweenness": round(float(values[i]), 6)}
        if error is not None:
            d["betweenness_error"] = round(error, 3)
        return d

    return _Measure(values, detail)


def _ci(given: _Input, seed: int) -> _Measure:
    values = collective_influence_values(given.ix, given.degree).astype(float)
    return _Measure(values, lambda i: {"ci": float(values[i])})


def _kcore(given: _Input, seed: int) -> _Measure:
    values = np.asarray(core_numbers(None, given.ix), dtype=float)
    return _Measure(values, lambda i: {"kcore": int(values[i])})


def _bridge(given: _Input, community: Any) -> _Measure:
    """The bridge counts of every node, given each node's community (:func:`_communities`)."""
    ix = given.ix
    n = len(ix)
    layer_names = sorted(set(given.layers))
    layer_code = {name: c for c, name in enumerate(layer_names)}
    layer = np.fromiter((layer_code[name] for name in given.layers), dtype=np.int64, count=n)
    source, target = (a.astype(np.int64) for a in index_arrays(ix))

    def distinct_other(label: Any, width: int) -> Any:
        """Per node, how many distinct labels other than its own its neighbours carry."""
        other = label[target] != label[source]
        pairs_ = np.unique(source[other] * width + label[target][other])
        return np.bincount(pairs_ // width, minlength=n)

    width_c = int(community.max()) + 1 if n else 1
    others_c = distinct_other(community, width_c)
    others_l = distinct_other(layer, len(layer_names))
    values = (others_c + others_l).astype(float)

    def detail(i: int) -> dict[str, Any]:
        d: dict[str, Any] = {"community": str(int(community[i]))}
        if others_c[i]:
            d["bridges_communities"] = int(others_c[i])
        if others_l[i]:
            own = layer[i]
            d["bridges_layers"] = sorted({layer_names[int(layer[w])] for w in ix.adj[i]} - {layer_names[own]})
        return d

    return _Measure(values, detail)


def _communities(ix: Indexed, seed: int) -> Any:
    """A community id per node (``Indexed`` order): Louvain (networkx) up to :data:`LOUVAIN_MAX` nodes,
    igraph's multilevel Louvain beyond, both seeded and on the nodes and edges in key order (the result
    depends on the order, and the stores read edges in different orders). Ids are the community's place
    when the communities are sorted largest first (ties: smallest member key)."""
    keys = sorted(str(v) for v in ix.nodes)
    position = {k: i for i, k in enumerate(keys)}
    if len(keys) <= LOUVAIN_MAX:
        keyed: nx.Graph = nx.Graph()
        keyed.add_nodes_from(keys)
        names = [str(v) for v in ix.nodes]
        keyed.add_edges_from(
            sorted(
                (names[v], names[w]) if names[v] <= names[w] else (names[w], names[v])
                for v in range(len(ix))
                for w in ix.adj[v]
                if v < w
            )
        )
        groups = partition(keyed, "louvain", seed=seed)
    else:
        import igraph

        in_order = all(str(v) == k for v, k in zip(ix.nodes, keys, strict=True))
        if in_order:
            # nodes already in key order (as the stores' graphs are): the index's edges are in key order
            if ix.native is None:
                native_without(ix, bytearray(len(ix)))
            native = ix.native
        else:
            at = [position[str(v)] for v in ix.nodes]
            edges = sorted(
                {(min(at[v], at[w]), max(at[v], at[w])) for v in range(len(ix)) for w in ix.adj[v]}
            )
            native = igraph.Graph(n=len(keys), edges=edges)
        igraph.set_random_number_generator(random.Random(seed))
        try:
            labels = native.community_multilevel().membership
        finally:
            igraph.set_random_number_generator(random)
        if len(position) == len(keys):  # distinct keys: a community's smallest key is its first place
            label = np.asarray(labels, dtype=np.int64)
            found, first, size = np.unique(label, return_index=True, return_counts=True)
            place = np.empty(int(found.max()) + 1 if len(found) else 0, dtype=np.int64)
            place[found[np.lexsort((first, -size))]] = np.arange(len(found))
            where = (
                np.arange(len(keys))
                if in_order
                else np.fromiter((position[str(v)] for v in ix.nodes), dtype=np.int64, count=len(ix))
            )
            return place[label][where]
        members: dict[int, list[str]] = {}
        for i, c in enumerate(labels):
            members.setdefault(c, []).append(keys[i])
        groups = sorted(members.values(), key=lambda m: (-len(m), m[0]))
    community_of = {key: c for c, group in enumerate(groups) for key in group}
    return np.fromiter((community_of[str(v)] for v in ix.nodes), dtype=np.int64, count=len(ix))


_METRIC: dict[str, Callable[[_Input, int], _Measure]] = {
    "cut": _cut,
    "betweenness": lambda given, seed: _betweenness(*index_betweenness_later(given.ix, seed=seed)()),
    "ci": _ci,
    "kcore": _kcore,
    "bridge": lambda given, seed: _bridge(given, _communities(given.ix, seed)),
}


def _percentiles(values: Any) -> Any:
    """Each value's share of nodes scoring strictly lower (ties share a rank)."""
    n = len(values)
    return np.searchsorted(np.sort(values), values, side="left") / max(1, n - 1)


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
    _check(metric, top)
    arrays = disruption_arrays(store, clearance, scope)
    if arrays is None:  # a scope read through its keys, community or window
        return scored_targets(disruption_graph(store, clearance, scope), metric, top=top)
    n = len(arrays.ix)
    found = _score(_Input.of_arrays(arrays), metric, top, 0) if n else []
    return _targets(arrays.local_graph(item.node for item in found), found, metric, n)


def scored_targets(graph: nx.Graph, metric: str = "composite", *, top: int | None = 20) -> list[Target]:
    """:func:`disruption_scores` on a networkx graph: the score list as targets with their whys."""
    return _targets(graph, score_graph(graph, metric, top=top), metric, graph.number_of_nodes())


def _targets(graph: nx.Graph, found: list[Scored], metric: str, of: int) -> list[Target]:
    """The scored nodes as targets; ``graph`` holds them with their neighbours, ``of`` nodes were scored."""
    targets = []
    for item in found:
        attrs = graph.nodes[item.node]
        why = why_scored(graph, item, metric, of)
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
