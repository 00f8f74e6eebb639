"""Full dismantling orders (robustness curves): remove nodes so the giant component shrinks early.

:func:`dismantle_order` runs several attacks and keeps, by default (``by="q10"``), the order that brings
the largest connected part down to 10% of N with the fewest removals (ties: the lowest R, the area under
the LCC curve), or with ``by="r"`` the order with the lowest R - so it is never worse than the best of them
on the network at hand:

- always: static and adaptive degree (HD, HDA) and CoreHD; static betweenness (HB) and CoreHD on the
  giant component (as BASELINES.md runs it, :func:`corehd_giant`) up to 10,000 nodes; collective
  influence (CI2) up to :data:`CI_MAX`;
- small networks (N <= :data:`ADAPTIVE_BETWEENNESS_MAX`): also adaptive betweenness on the whole graph
  (HBA) and on the giant component only;
- every one of them also reordered by reinsertion: the nodes still needed after greedy reinsertion at
  a target LCC go first, so the giant component breaks with fewer removals (at 10% also with the
  reference code's tie rule, the latest removed put back first).

Each attack is also available alone (:data:`ATTACKS`) for the benchmark's baselines.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.disruption.centrality import exact_betweenness
from queries.disruption.explain import label_of
from queries.disruption.graph import disruption_graph
from queries.disruption.measures import Indexed, lcc_curve, reinsert, removals_to, robustness
from queries.disruption.simulate import measure
from queries.disruption.words import say
from queries.results import Plan, Target
from queries.scope import Scope

ADAPTIVE_BETWEENNESS_MAX = 1000
CI_MAX = 50_000
REINSERT_TARGETS = (0.01, 0.02, 0.05, 0.1)
GOALS = ("q10", "r")
SHOWN_PARTS = 4


def _degree_key(ix: Indexed, alive: bytearray) -> list[int]:
    return [sum(1 for w in ix.adj[v] if alive[w]) if alive[v] else -1 for v in range(len(ix))]


def hd(ix: Indexed, seed: int = 0) -> list[int]:
    """Static degree, highest first (ties: node index)."""
    return sorted(range(len(ix)), key=lambda v: (-len(ix.adj[v]), v))


def hda(ix: Indexed, seed: int = 0) -> list[int]:
    """Adaptive degree: the current highest degree goes next (ties: node index); a lazy heap."""
    n = len(ix)
    degree = [len(a) for a in ix.adj]
    alive = bytearray([1]) * n
    heap = [(-degree[v], v) for v in range(n)]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        d, v = heapq.heappop(heap)
        if not alive[v] or -d != degree[v]:
            continue
        alive[v] = 0
        order.append(v)
        for w in ix.adj[v]:
            if alive[w]:
                degree[w] -= 1
                heapq.heappush(heap, (-degree[w], w))
    return order


def _graph_of(ix: Indexed, alive: bytearray, members: list[int] | None = None) -> nx.Graph:
    graph: nx.Graph = nx.Graph()
    keep = members if members is not None else [v for v in range(len(ix)) if alive[v]]
    graph.add_nodes_from(keep)
    graph.add_edges_from((v, w) for v in keep for w in ix.adj[v] if alive[w] and v < w)
    return graph


def hb(ix: Indexed, seed: int = 0) -> list[int]:
    """Static betweenness, highest first (ties: degree, then node index)."""
    values = exact_betweenness(_graph_of(ix, bytearray([1]) * len(ix)))
    return sorted(range(len(ix)), key=lambda v: (-round(values[v], 12), -len(ix.adj[v]), v))


def _adaptive_betweenness(ix: Indexed, giant_only: bool) -> list[int]:
    n = len(ix)
    alive = bytearray([1]) * n
    order: list[int] = []
    while len(order) < n:
        graph = _graph_of(ix, alive)
        if graph.number_of_edges() == 0:
            break
        if giant_only:
            graph = graph.subgraph(max(nx.connected_components(graph), key=len)).copy()
        values = exact_betweenness(graph, normalized=False)
        degree = dict(graph.degree())
        pick = min(graph, key=lambda v: (-round(values[v], 9), -degree[v], v))
        alive[pick] = 0
        order.append(pick)
    left = _degree_key(ix, alive)
    order.extend(sorted((v for v in range(n) if alive[v]), key=lambda v: (-left[v], v)))
    return order


def hba(ix: Indexed, seed: int = 0) -> list[int]:
    """Adaptive betweenness on the whole remaining graph (ties: degree, then node index)."""
    return _adaptive_betweenness(ix, giant_only=False)


def hba_giant(ix: Indexed, seed: int = 0) -> list[int]:
    """Adaptive betweenness inside the current giant component only."""
    return _adaptive_betweenness(ix, giant_only=True)


def ci2(ix: Indexed, seed: int = 0) -> list[int]:
    """Adaptive collective influence, radius 2 (ties: degree, then node index), lazily updated."""
    n = len(ix)
    alive = bytearray([1]) * n
    degree = [len(a) for a in ix.adj]

    def ball2(v: int) -> set[int]:
        first = {w for w in ix.adj[v] if alive[w]}
        second: set[int] = set()
        for w in first:
            second.update(u for u in ix.adj[w] if alive[u])
        second -= first
        second.discard(v)
        return second

    def ci(v: int) -> int:
        if degree[v] <= 1:
            return 0
        return (degree[v] - 1) * sum(degree[u] - 1 for u in ball2(v))

    score = [ci(v) for v in range(n)]
    heap = [(-score[v], -degree[v], v) for v in range(n)]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        s, d, v = heapq.heappop(heap)
        if not alive[v] or -s != score[v] or -d != degree[v]:
            continue
        if score[v] == 0:
            break
        alive[v] = 0
        order.append(v)
        # every node within distance 3 of v may change its CI
        touched: set[int] = set()
        frontier = {v}
        for _ in range(3):
            nxt: set[int] = set()
            for x in frontier:
                nxt.update(w for w in ix.adj[x] if alive[w] and w not in touched)
            touched |= nxt
            frontier = nxt
        for w in ix.adj[v]:
            if alive[w]:
                degree[w] -= 1
        for w in touched:
            score[w] = ci(w)
            heapq.heappush(heap, (-score[w], -degree[w], w))
    rest = [v for v in range(n) if alive[v]]
    return order + _finish(ix, alive, rest)


def _finish(ix: Indexed, alive: bytearray, rest: list[int]) -> list[int]:
    """What is left (trees and isolated nodes): adaptive degree on it."""
    sub = Indexed([ix.nodes[v] for v in rest], {}, [])
    local = {v: i for i, v in enumerate(rest)}
    sub.adj = [[local[w] for w in ix.adj[v] if alive[w]] for v in rest]
    return [rest[i] for i in hda(sub)]


def _peel(ix: Indexed, in_core: bytearray, core_degree: list[int], queue: list[int]) -> None:
    """Take the nodes of ``queue`` out of the 2-core, and with them every node left with fewer than two
    neighbours in it (``in_core`` and ``core_degree`` are updated in place)."""
    while queue:
        v = queue.pop()
        if not in_core[v]:
            continue
        in_core[v] = 0
        for w in ix.adj[v]:
            if in_core[w]:
                core_degree[w] -= 1
                if core_degree[w] < 2:
                    queue.append(w)


def corehd(ix: Indexed, seed: int = 0) -> list[int]:
    """CoreHD: remove the highest-degree node of the 2-core until none is left, then adaptive degree."""
    n = len(ix)
    alive = bytearray([1]) * n
    degree = [len(a) for a in ix.adj]
    in_core = bytearray([1]) * n
    core_degree = degree[:]
    _peel(ix, in_core, core_degree, [v for v in range(n) if core_degree[v] < 2])
    heap = [(-core_degree[v], v) for v in range(n) if in_core[v]]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        d, v = heapq.heappop(heap)
        if not in_core[v] or -d != core_degree[v]:
            continue
        in_core[v] = 0
        alive[v] = 0
        order.append(v)
        touched = []
        for w in ix.adj[v]:
            if in_core[w]:
                core_degree[w] -= 1
                if core_degree[w] < 2:
                    touched.append(w)
                else:
                    heapq.heappush(heap, (-core_degree[w], w))
        _peel(ix, in_core, core_degree, touched)
    rest = [v for v in range(n) if alive[v]]
    return order + _finish(ix, alive, rest)


def corehd_giant(ix: Indexed, seed: int = 0) -> list[int]:
    """CoreHD as BASELINES.md runs it (Zdeborova, Zhang & Zhou 2016): the highest-degree node of the
    2-core *of the largest component* goes next (ties: node index); once the largest component is a tree,
    its centroid (the node leaving the smallest largest piece) goes. Cycles in small components are
    never broken before the giant is, which is what the whole-graph :func:`corehd` spends removals on."""
    n = len(ix)
    alive = bytearray([1]) * n
    in_core = bytearray([1]) * n
    core_degree = [len(a) for a in ix.adj]

    _peel(ix, in_core, core_degree, [v for v in range(n) if core_degree[v] < 2])
    label = [-1] * n
    heap: list[tuple[int, int, int]] = []  # (-size, smallest member, label)
    members_of: dict[int, list[int]] = {}

    def explore(start: int) -> None:
        members = [start]
        label[start] = start
        i = 0
        while i < len(members):
            for w in ix.adj[members[i]]:
                if alive[w] and label[w] != start:
                    label[w] = start
                    members.append(w)
            i += 1
        if len(members) > 1:
            members_of[start] = members
            heapq.heappush(heap, (-len(members), min(members), start))

    for v in range(n):
        if label[v] < 0:
            explore(v)
    order: list[int] = []
    while heap:
        _, _, start = heapq.heappop(heap)
        members = members_of.pop(start)
        core = [v for v in members if in_core[v]]
        if core:
            pick = max(core, key=lambda v: (core_degree[v], -v))
        else:
            pick = _centroid(ix, alive, members)
        alive[pick] = 0
        order.append(pick)
        if in_core[pick]:
            in_core[pick] = 0
            touched = []
            for w in ix.adj[pick]:
                if in_core[w]:
                    core_degree[w] -= 1
                    if core_degree[w] < 2:
                        touched.append(w)
            _peel(ix, in_core, core_degree, touched)
        for v in members:
            label[v] = -1
        for w in ix.adj[pick]:
            if alive[w] and label[w] < 0:
                explore(w)
    order.extend(v for v in range(n) if alive[v])
    return order


def _centroid(ix: Indexed, alive: bytearray, members: list[int]) -> int:
    """The node of a tree (the live ``members``) whose removal leaves the smallest largest piece (ties:
    node index)."""
    root = min(members)
    parent = {root: -1}
    seq = [root]
    for v in seq:
        for w in ix.adj[v]:
            if alive[w] and w not in parent:
                parent[w] = v
                seq.append(w)
    below = dict.fromkeys(seq, 1)
    largest_child = dict.fromkeys(seq, 0)
    for v in reversed(seq):
        up = parent[v]
        if up >= 0:
            below[up] += below[v]
            largest_child[up] = max(largest_child[up], below[v])
    size = len(seq)
    return min(seq, key=lambda v: (max(size - below[v], largest_child[v]), v))


def random_order(ix: Indexed, seed: int = 0) -> list[int]:
    order = list(range(len(ix)))
    random.Random(seed).shuffle(order)
    return order


ATTACKS: dict[str, Callable[[Indexed, int], list[int]]] = {
    "random": random_order,
    "HD": hd,
    "HDA": hda,
    "HB": hb,
    "HBA": hba,
    "HBA-giant": hba_giant,
    "CI2": ci2,
    "CoreHD": corehd,
    "CoreHD-giant": corehd_giant,
}


def reinsertion_order(
    ix: Indexed, order: list[int], fraction: float, *, latest_first: bool = False
) -> list[int]:
    """``order`` with the nodes that reinsertion keeps removed (at LCC <= fraction N) moved first."""
    limit = max(1, int(fraction * len(ix)))
    q = removals_to(ix, order, fraction)
    kept = reinsert(ix, order[:q], limit, latest_first=latest_first)
    chosen = set(kept)
    return kept + [v for v in order if v not in chosen]


def q_reinserted(ix: Indexed, order: list[int], fraction: float = 0.1) -> int:
    """Removals needed for LCC <= fraction N when ``order``'s prefix is pruned by greedy reinsertion
    (the better of the two tie rules of :func:`~queries.disruption.measures.reinsert`)."""
    limit = max(1, int(fraction * len(ix)))
    q = removals_to(ix, order, fraction)
    return min(len(reinsert(ix, order[:q], limit, latest_first=last)) for last in (False, True))


@dataclass(slots=True)
class Dismantling:
    """A full removal order (node indices of ``ix``) and how it and its rivals did."""

    ix: Indexed
    order: list[int]
    method: str
    r: float
    q10: int
    q10_reinserted: int
    rivals: dict[str, float] = field(default_factory=dict)

    @property
    def nodes(self) -> list[Hashable]:
        return [self.ix.nodes[v] for v in self.order]


def dismantle_order(
    graph: nx.Graph, *, reinsertion: bool = True, seed: int = 0, by: str = "q10"
) -> Dismantling:
    """The best removal order among the attacks for this network's size: by default the one reaching
    LCC <= 10% of N with the fewest removals (ties: lowest R); ``by="r"``: the lowest R.

    Examples
    --------
    >>> d = dismantle_order(nx.barbell_graph(5, 1), by="r")
    >>> d.nodes[0], round(d.r, 3)
    (4, 0.223)
    """
    if by not in GOALS:
        raise InvalidArgument(f"dismantle by {by!r}? known: {', '.join(GOALS)}")
    ix = Indexed.of(graph)
    n = len(ix)
    names = ["HD", "HDA", "CoreHD"]
    if n <= ADAPTIVE_BETWEENNESS_MAX * 10:
        names += ["HB", "CoreHD-giant"]
    if n <= CI_MAX:
        names.append("CI2")
    if n <= ADAPTIVE_BETWEENNESS_MAX:
        names += ["HBA", "HBA-giant"]
    rivals: dict[str, float] = {}
    best: tuple[tuple[float, ...], str, list[int]] | None = None
    q_best = n
    for name in names:
        order = ATTACKS[name](ix, seed)
        variants = [(name, order)]
        if reinsertion:
            variants += [
                (f"{name}+R{int(t * 100)}", reinsertion_order(ix, order, t)) for t in REINSERT_TARGETS
            ]
            variants.append((f"{name}+R10-last", reinsertion_order(ix, order, 0.1, latest_first=True)))
            q_best = min(q_best, q_reinserted(ix, order))
        for label, candidate in variants:
            r = robustness(ix, candidate)
            rivals[label] = round(r, 6)
            key = (r,) if by == "r" else (float(removals_to(ix, candidate, 0.1)), r)
            if best is None or key < tuple(k - 1e-12 for k in best[0]):
                best = (key, label, candidate)
    assert best is not None or n == 0
    if best is None:
        return Dismantling(ix, [], "none", 0.0, 0, 0, rivals)
    _, label, order = best
    r = robustness(ix, order)
    q10 = removals_to(ix, order, 0.1)
    q10r = min(q_best, q_reinserted(ix, order)) if reinsertion else q10
    return Dismantling(ix, order, label, r, q10, q10r, rivals)


def dismantle(
    store: GraphStore, clearance: TLP, scope: Scope, *, reinsertion: bool = True, by: str = "q10"
) -> Plan:
    """The removal order for a scope until no link is left, with R and q10 in ``after`` and a verdict.

    Every listed target says what its removal does (``why.dismantle``); its score is the LCC fraction
    left after it goes.

    Examples
    --------
    >>> from graph_model import default_model
    >>> from graph_model.store.embedded import EmbeddedStore
    >>> store = EmbeddedStore(":memory:", default_model())
    >>> dismantle(store, TLP.RED, Scope()).targets
    []
    """
    if by not in GOALS:
        raise InvalidArgument(f"dismantle by {by!r}? known: {', '.join(GOALS)}")
    graph = disruption_graph(store, clearance, scope)
    return dismantle_graph(graph, reinsertion=reinsertion, by=by, scope=graph.graph["scope"].as_dict())


def dismantle_graph(
    graph: nx.Graph, *, reinsertion: bool = True, by: str = "q10", scope: dict[str, Any] | None = None
) -> Plan:
    """:func:`dismantle` on a networkx graph.

    Examples
    --------
    >>> plan = dismantle_graph(nx.path_graph(3))
    >>> [t.key for t in plan.targets], plan.after["q10"], plan.after["listed"]
    (['1'], 3, 1)
    >>> print(plan.targets[0].why)  # doctest: +NORMALIZE_WHITESPACE
    1 (Actor), removal 1: splits the largest connected part of 3 entities into 2 parts (1 and 1
    entities). The largest part is now 1 (33% of the network).
    """
    found = dismantle_order(graph, reinsertion=reinsertion, by=by)
    ix = found.ix
    n = len(ix)
    curve = lcc_curve(ix, found.order)
    listed = _until_no_links(ix, found.order)
    targets = _dismantle_targets(graph, ix, found.order[:listed], curve)
    after = {
        "R": round(found.r, 6),
        "q10": found.q10,
        "q10_fraction": found.q10 / max(1, n),
        "q10_reinserted": found.q10_reinserted,
        "q10_reinserted_fraction": found.q10_reinserted / max(1, n),
        "method": found.method,
        "by": by,
        "listed": listed,
        "rivals": found.rivals,
        "lcc_curve": [round(c / max(1, n), 6) for c in curve],
    }
    plan = Plan(targets, measure(graph), after, "dismantle", scope or {}, None)
    plan.verdict = say(
        "dismantle.verdict",
        count=listed,
        nodes=n,
        share=listed / max(1, n),
        largest_after=curve[listed] if curve else 0,
        largest_after_share=(curve[listed] if curve else 0) / max(1, n),
        r=round(found.r, 3),
        q10=found.q10,
        q10_share=found.q10 / max(1, n),
        q10_reinserted=found.q10_reinserted,
        q10_reinserted_share=found.q10_reinserted / max(1, n),
        left=n - listed,
        reinsertion=reinsertion,
    ).as_dict()
    return plan


def _until_no_links(ix: Indexed, order: list[int]) -> int:
    """How many removals of ``order`` it takes until the remaining nodes have no link between them."""
    links = sum(len(a) for a in ix.adj) // 2
    dead = bytearray(len(ix))
    for q, v in enumerate(order):
        if links == 0:
            return q
        links -= sum(1 for w in ix.adj[v] if not dead[w])
        dead[v] = 1
    return len(order)


def _dismantle_targets(graph: nx.Graph, ix: Indexed, listed: list[int], curve: list[int]) -> list[Target]:
    """A ``why.dismantle`` for every listed removal: the pieces it leaves (found by adding the nodes back
    in reverse order, union-find) and the largest part after it."""
    n = len(ix)
    parent = list(range(n))
    size = [1] * n
    alive = bytearray([1]) * n
    for v in listed:
        alive[v] = 0

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        a, b = find(a), find(b)
        if a != b:
            if size[a] < size[b]:
                a, b = b, a
            parent[b] = a
            size[a] += size[b]

    for v in range(n):
        if alive[v]:
            for w in ix.adj[v]:
                if alive[w] and w < v:
                    union(v, w)
    found: list[Target] = []
    for q in range(len(listed) - 1, -1, -1):
        v = listed[q]
        roots = {find(w) for w in ix.adj[v] if alive[w]}
        pieces = sorted((size[r] for r in roots), reverse=True)
        component = 1 + sum(pieces)
        node = ix.nodes[v]
        attrs = graph.nodes[node]
        words = say(
            "why.dismantle",
            name=str(attrs.get("name", node)),
            label=label_of(attrs),
            step=q + 1,
            component=component,
            parts=pieces[:SHOWN_PARTS],
            parts_count=len(pieces),
            largest_after=curve[q + 1],
            largest_after_share=curve[q + 1] / max(1, n),
            in_largest=component == curve[q],
        )
        found.append(
            Target(
                key=str(node),
                name=str(attrs.get("name", node)),
                kind=str(attrs.get("kind", "")),
                score=round(curve[q + 1] / max(1, n), 6),
                cost=1.0,
                why=words.text,
                type=str(attrs.get("type") or "") or None,
                rank=q + 1,
                why_message=words.as_dict(),
            )
        )
        alive[v] = 1
        for w in ix.adj[v]:
            if alive[w]:
                union(v, w)
    found.reverse()
    return found
