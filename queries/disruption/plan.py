"""Takedown plans: the best *set* of targets for a budget, not the top of a ranking.

The optimiser (:func:`optimise`) works on removal sets:

1. greedy starts - the node whose removal most improves the objective (weighted by how hard it is to
   replace, divided by its cost), recomputed after every pick; for ``fragmentation`` also the greedy
   of the giant component, and adaptive degree;
2. seeded random starts on small networks;
3. local search from every start - swap one target for one outside the plan while the weighted
   objective improves (first improvement, a candidate pool of the most promising nodes on large
   networks, within a time budget);
4. with ``recovery``, the local optima are re-ranked by their value after the network rewires.

A plan's worth is ``objective(S) x mean hardness(S)``: a set of easily replaced targets is discounted.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.disruption.centrality import betweenness, exact_betweenness
from queries.disruption.costs import check_costs, hardness, node_cost
from queries.disruption.explain import explain_targets
from queries.disruption.graph import disruption_graph
from queries.disruption.measures import Indexed, native_without
from queries.disruption.objectives import OBJECTIVES, Objective
from queries.disruption.recovery import check_probability
from queries.disruption.simulate import simulate
from queries.results import Plan
from queries.scope import Scope

MAX_BUDGET = 500
SMALL = 400  # networks up to this size: every node is a swap candidate, random restarts
POOL = 40  # swap candidates on larger networks
ADAPTIVE_START_MAX = 5_000  # adaptive betweenness as a start up to this many nodes
LARGE = 20_000  # beyond this many nodes: one greedy start and a smaller pool
RESTARTS = 24
TIME_BUDGET = 20.0  # seconds of local search
SEPARATOR_STARTS = 8  # community separators tried as starts
RESOLUTIONS = (1.0, 0.1)  # Louvain resolutions: finer and coarser communities


def _louvain(ix: Indexed, seed: int, resolution: float = 1.0) -> list[int]:
    """Community of each node (igraph's multilevel Louvain at ``resolution``, seeded)."""
    import igraph

    if ix.native is None:
        native_without(ix, bytearray(len(ix)))
    igraph.set_random_number_generator(random.Random(seed))
    try:
        return list(ix.native.community_multilevel(resolution=resolution).membership)
    finally:
        igraph.set_random_number_generator(random)


@dataclass(slots=True)
class SetResult:
    """An optimised removal set, in pick order, and its (weighted) objective value."""

    order: list[Hashable]
    value: float
    weighted: float
    recovered: float | None = None
    tried: int = 0
    starts: dict[str, float] = field(default_factory=dict)


def sole_cashout_routes(graph: nx.Graph) -> dict[Hashable, int]:
    """Money nodes every cash-out route of other money holders runs through, with how many they carry."""
    if not graph.graph.get("cashout"):
        return {}
    objective = Objective(graph, "cashout")
    cut = objective._dominated(bytearray(objective.n))  # noqa: SLF001 - same module family
    nodes = objective.ix.nodes
    return {
        nodes[v]: w - (1 if v in objective._source_set else 0)
        for v, w in cut.items()
        if w > 1 and v not in objective.excluded
    }


def check_request(
    budget: int, max_cost: float | None, objective: str, group: str | None, recovery: float | None
) -> None:
    """InvalidArgument naming what is wrong with a plan request, before any work is done."""
    if budget < 1 or budget > MAX_BUDGET:
        raise InvalidArgument(f"budget must be within 1-{MAX_BUDGET}, got {budget}")
    if max_cost is not None and max_cost <= 0:
        raise InvalidArgument(f"max cost must be positive, got {max_cost}")
    if objective not in OBJECTIVES:
        raise InvalidArgument(f"unknown objective {objective!r}; known: {', '.join(OBJECTIVES)}")
    if objective == "reach" and not group:
        raise InvalidArgument("the reach objective needs a group (--group KEY)")
    check_probability(recovery)


def optimise(
    graph: nx.Graph,
    *,
    budget: int = 5,
    max_cost: float | None = None,
    objective: str = "fragmentation",
    costs: Mapping[str, Any] | None = None,
    group: str | None = None,
    recovery: float | None = None,
    seed: int = 0,
    time_budget: float = TIME_BUDGET,
    sole: Mapping[Hashable, int] | None = None,
) -> SetResult:
    """The best removal set found for the budget (k targets and/or a total cost).

    Examples
    --------
    >>> g = nx.barbell_graph(5, 1)
    >>> optimise(g, budget=1).order
    [5]
    >>> optimise(g, budget=2, max_cost=3).order  # unknown kinds cost 2 each
    [5]
    """
    check_request(budget, max_cost, objective, group, recovery)
    costs = check_costs(costs)
    obj = Objective(graph, objective, group=group)
    n = obj.n
    nodes = obj.ix.nodes
    sole = sole_cashout_routes(graph) if sole is None else sole
    # Costs steer the choice only under a cost budget; a budget of k targets counts targets.
    cost = [node_cost(v, graph.nodes[v], costs) for v in nodes] if max_cost is not None else [1.0] * n
    hard = [hardness(graph, v, sole)[0] for v in nodes]
    search = _Search(obj, cost, hard, budget, max_cost, seed, time_budget)
    result = search.run()
    if recovery is not None and search.optima:
        result = search.recovery_aware(graph, recovery)
    result.order = [nodes[v] for v in search.ordered(result.order)]  # type: ignore[arg-type]
    return result


class _Search:
    def __init__(
        self,
        obj: Objective,
        cost: list[float],
        hard: list[float],
        budget: int,
        max_cost: float | None,
        seed: int,
        time_budget: float,
    ) -> None:
        self.obj = obj
        self.cost = cost
        self.hard = hard
        self.budget = budget
        self.max_cost = max_cost
        self.rng = random.Random(seed)
        self.deadline = time.monotonic() + time_budget
        self.cache: dict[frozenset[int], float] = {}
        self.optima: dict[frozenset[int], float] = {}
        self.starts: dict[str, float] = {}
        self.first_after: list[float] | None = None
        self.static_degree = [len(a) for a in obj.ix.adj]
        self.greedy_order: list[int] = []
        self._betweenness: list[int] | None = None

    # -- evaluation -------------------------------------------------------------------------------------
    def weighted(self, members: frozenset[int]) -> float:
        found = self.cache.get(members)
        if found is None:
            dead = bytearray(self.obj.n)
            for v in members:
                dead[v] = 1
            value = self.obj.value(dead)
            mean_hard = sum(self.hard[v] for v in members) / len(members) if members else 1.0
            found = value * mean_hard
            self.cache[members] = found
        return found

    def feasible(self, members: frozenset[int]) -> bool:
        if len(members) > self.budget:
            return False
        return self.max_cost is None or sum(self.cost[v] for v in members) <= self.max_cost + 1e-9

    # -- starts -------------------------------------------------------------------------------------------
    def greedy(self, obj: Objective) -> list[int]:
        dead = bytearray(self.obj.n)
        chosen: list[int] = []
        spent = 0.0
        current = obj.value(dead)
        while len(chosen) < self.budget:
            after = obj.after_each(dead)
            if not chosen and obj is self.obj:
                self.first_after = after
            degree = self.static_degree
            best: tuple[float, int, int] | None = None
            pick = -1
            for v in self.obj.candidates(dead):
                if self.max_cost is not None and spent + self.cost[v] > self.max_cost + 1e-9:
                    continue
                gain = (after[v] - current) * self.hard[v] / self.cost[v]
                key = (gain, degree[v], -v)
                if best is None or key > best:
                    best, pick = key, v
            if pick < 0:
                break
            chosen.append(pick)
            dead[pick] = 1
            spent += self.cost[pick]
            current = obj.value(dead)
        return chosen

    def degree_start(self) -> list[int]:
        dead = bytearray(self.obj.n)
        chosen: list[int] = []
        spent = 0.0
        while len(chosen) < self.budget:
            degree = self._degrees(dead)
            options = [
                v
                for v in self.obj.candidates(dead)
                if self.max_cost is None or spent + self.cost[v] <= self.max_cost + 1e-9
            ]
            if not options:
                break
            pick = max(options, key=lambda v: (degree[v] / self.cost[v], -v))
            chosen.append(pick)
            dead[pick] = 1
            spent += self.cost[pick]
        return chosen

    def random_start(self, pool: list[int]) -> list[int]:
        order = pool[:]
        self.rng.shuffle(order)
        chosen: list[int] = []
        spent = 0.0
        for v in order:
            if len(chosen) == self.budget:
                break
            if self.max_cost is None or spent + self.cost[v] <= self.max_cost + 1e-9:
                chosen.append(v)
                spent += self.cost[v]
        return chosen

    def _degrees(self, dead: bytearray) -> list[int]:
        adj = self.obj.ix.adj
        return [0 if dead[v] else sum(1 for w in adj[v] if not dead[w]) for v in range(self.obj.n)]

    # -- local search --
    def pool(self, start_sets: list[list[int]]) -> list[int]:
        candidates = self.obj.candidates(bytearray(self.obj.n))
        if self.obj.n <= SMALL:
            return candidates
        after = self.first_after or self.obj.after_each(bytearray(self.obj.n))
        degree = self.static_degree
        size = POOL if self.obj.n <= LARGE else POOL // 2
        by_gain = sorted(candidates, key=lambda v: (-after[v], -degree[v], v))[:size]
        by_degree = sorted(candidates, key=lambda v: (-degree[v], v))[: size // 2]
        # betweenness of the undirected graph says nothing about directed money routes
        by_betweenness = self.by_betweenness()[:size] if self.obj.name != "cashout" else []
        chosen = {v for s in start_sets for v in s}
        return sorted(set(by_gain) | set(by_degree) | set(by_betweenness) | chosen)

    def by_betweenness(self) -> list[int]:
        """Candidates by betweenness (exact when small, sampled when large): brokers that only
        separate the network together with others are found here, not by single-removal gains."""
        if self._betweenness is None:
            values, _ = betweenness(self.obj.graph)
            index = self.obj.ix.index
            ranked = sorted(values, key=lambda node: (-values[node], index[node]))
            excluded = self.obj.excluded
            self._betweenness = [index[node] for node in ranked if index[node] not in excluded]
        return self._betweenness

    def adaptive_betweenness_start(self) -> list[int]:
        """k steps of adaptive betweenness (recomputed after every pick), within the cost budget."""
        graph = self.obj.graph
        index = self.obj.ix.index
        gone: set[Hashable] = set()
        chosen: list[int] = []
        spent = 0.0
        while len(chosen) < self.budget:
            live = graph.subgraph(v for v in graph if v not in gone)
            values = exact_betweenness(live, normalized=False)
            options = [
                v
                for v in values
                if index[v] not in self.obj.excluded
                and (self.max_cost is None or spent + self.cost[index[v]] <= self.max_cost + 1e-9)
            ]
            if not options:
                break
            pick = max(options, key=lambda v: (round(values[v], 9), live.degree(v), -index[v]))
            gone.add(pick)
            chosen.append(index[pick])
            spent += self.cost[index[pick]]
        return chosen

    def betweenness_start(self) -> list[int]:
        chosen: list[int] = []
        spent = 0.0
        for v in self.by_betweenness():
            if len(chosen) == self.budget:
                break
            if self.max_cost is None or spent + self.cost[v] <= self.max_cost + 1e-9:
                chosen.append(v)
                spent += self.cost[v]
        return chosen

    def separator_starts(self) -> dict[str, list[int]]:
        """Community separators: for each community of the graph (Louvain, igraph's multilevel kernel,
        seeded, at the :data:`RESOLUTIONS`), a minimum set of nodes covering every edge that leaves it
        (König's theorem: a maximum bipartite matching of those edges), when it fits the budget -
        brokers that separate a community only together, which no single-removal gain sees. The ones
        separating most pairs first, at most :data:`SEPARATOR_STARTS`."""
        from networkx.algorithms import bipartite

        ix = self.obj.ix
        n = len(ix)
        found: dict[tuple[int, ...], int] = {}
        seed = self.rng.randrange(1 << 30)
        for resolution in RESOLUTIONS:
            membership = _louvain(ix, seed, resolution)
            members: dict[int, list[int]] = {}
            for v, c in enumerate(membership):
                members.setdefault(c, []).append(v)
            for c, inside in members.items():
                if len(inside) * 2 > n:
                    continue  # separating the rest from it is the smaller community's start
                cut = [(v, w) for v in inside for w in ix.adj[v] if membership[w] != c]
                if not cut:
                    continue
                edges = nx.Graph()
                edges.add_edges_from((("in", v), ("out", w)) for v, w in cut)
                top = {("in", v) for v, _ in cut}
                matching = bipartite.hopcroft_karp_matching(edges, top)
                if len(matching) // 2 > self.budget:
                    continue
                cover = tuple(sorted(v for _, v in bipartite.to_vertex_cover(edges, matching, top)))
                if any(v in self.obj.excluded for v in cover) or not self.feasible(frozenset(cover)):
                    continue
                found[cover] = max(found.get(cover, 0), len(inside) * (n - len(inside)))
        ranked = sorted(found, key=lambda cover: (-found[cover], cover))[:SEPARATOR_STARTS]
        return {f"separator-{i}": list(cover) for i, cover in enumerate(ranked)}

    def local_search(self, start: list[int], pool: list[int]) -> frozenset[int]:
        current = frozenset(start)
        best = self.weighted(current)
        improved = True
        while improved and time.monotonic() < self.deadline:
            improved = False
            for out in sorted(current):
                for into in pool:
                    if into in current:
                        continue
                    trial = (current - {out}) | {into}
                    if not self.feasible(trial):
                        continue
                    value = self.weighted(trial)
                    if value > best + 1e-12:
                        current, best, improved = trial, value, True
                        break
                if improved or time.monotonic() >= self.deadline:
                    break
            if not improved and len(current) < self.budget:
                for into in pool:
                    trial = current | {into}
                    if into not in current and self.feasible(trial) and self.weighted(trial) > best + 1e-12:
                        current, best, improved = trial, self.weighted(trial), True
                        break
        return current

    def run(self) -> SetResult:
        starts: dict[str, list[int]] = {"greedy": self.greedy(self.obj)}
        self.greedy_order = starts["greedy"]
        if self.obj.name in ("fragmentation", "lcc") and self.obj.n <= ADAPTIVE_START_MAX:
            starts["adaptive-betweenness"] = self.adaptive_betweenness_start()
        large = self.obj.n > LARGE
        if self.obj.name == "fragmentation" and not large:
            starts["greedy-lcc"] = self.greedy(Objective(self.obj.graph, "lcc"))
        if self.obj.name in ("fragmentation", "lcc") and not large:
            starts["degree"] = self.degree_start()
        if self.obj.name in ("fragmentation", "lcc", "reach"):
            starts["betweenness"] = self.betweenness_start()
        if self.obj.name in ("fragmentation", "lcc") and self.obj.n > SMALL:
            starts.update(self.separator_starts())
        pool = self.pool(list(starts.values()))
        if self.obj.n <= SMALL:
            for r in range(RESTARTS):
                starts[f"random-{r}"] = self.random_start(pool)
        best: frozenset[int] | None = None
        best_value = -math.inf
        for name, start in starts.items():
            self.starts[name] = self.weighted(frozenset(start))
            if self.starts[name] > best_value + 1e-12:
                best, best_value = frozenset(start), self.starts[name]
        # local search from the most promising starts first, while the time budget lasts
        for name in sorted(starts, key=lambda s: -self.starts[s]):
            if time.monotonic() >= self.deadline and best is not None:
                break
            start = starts[name]
            found = self.local_search(start, pool)
            value = self.weighted(found)
            self.optima[found] = value
            if value > best_value + 1e-12:
                best, best_value = found, value
        assert best is not None
        return self._result(best)

    def _result(self, members: frozenset[int]) -> SetResult:
        dead = bytearray(self.obj.n)
        for v in members:
            dead[v] = 1
        return SetResult(
            order=sorted(members),  # type: ignore[arg-type]
            value=self.obj.value(dead),
            weighted=self.weighted(members),
            tried=len(self.cache),
            starts=dict(self.starts),
        )

    def recovery_aware(self, graph: nx.Graph, p: float) -> SetResult:
        """The local optimum whose value survives rewiring best (mean over three seeds)."""
        nodes = self.obj.ix.nodes
        ranked = sorted(self.optima.items(), key=lambda kv: -kv[1])[:8]
        best: tuple[float, float, frozenset[int]] | None = None
        for members, value in ranked:
            remove = [nodes[v] for v in sorted(members)]
            kept = 0.0
            for s in range(3):
                _, _, rec = simulate(graph, remove, recovery=p, seed=self.rng.randrange(1 << 30) + s)
                assert rec is not None
                kept += rec["fragmentation"] / 3
            key = (kept, value, members)
            if best is None or key[:2] > best[:2]:
                best = key
        assert best is not None
        result = self._result(best[2])
        result.recovered = best[0]
        return result

    def ordered(self, members: list[int]) -> list[int]:
        """The set in the order that gains most first (each pick given the ones before it)."""
        if set(members) == set(self.greedy_order):
            return list(self.greedy_order)
        left = set(members)
        dead = bytearray(self.obj.n)
        order: list[int] = []
        while left:
            after = self.obj.after_each(dead) if len(left) > 1 else [0.0] * self.obj.n
            pick = max(sorted(left), key=lambda v: (after[v] * self.hard[v] / self.cost[v], -v))
            order.append(pick)
            dead[pick] = 1
            left.discard(pick)
        return order


def takedown_plan(
    store: GraphStore,
    clearance: TLP,
    scope: Scope,
    *,
    budget: int = 5,
    max_cost: float | None = None,
    objective: str = "fragmentation",
    costs: Mapping[str, Any] | None = None,
    group: str | None = None,
    recovery: float | None = None,
    seed: int = 0,
) -> Plan:
    """The takedown plan for a scope: the best set of at most ``budget`` targets (and ``max_cost``).

    ``objective`` is one of ``fragmentation``, ``lcc``, ``cashout``, ``reach`` (with ``group``, a key
    or name); ``costs`` a costs mapping (see :mod:`queries.disruption.costs`); ``recovery`` a rewiring
    probability (the plan is then chosen for what survives recovery, and flagged if little does).

    Examples
    --------
    >>> from graph_model import default_model
    >>> from graph_model.store.embedded import EmbeddedStore
    >>> store = EmbeddedStore(":memory:", default_model())
    >>> takedown_plan(store, TLP.RED, Scope(), budget=3).targets
    []
    """
    check_request(budget, max_cost, objective, group, recovery)
    graph = disruption_graph(store, clearance, scope)
    scope_dict = graph.graph["scope"].as_dict()
    if graph.number_of_nodes() == 0:
        before, after, rec = simulate(graph, [], recovery=recovery, seed=seed)
        return Plan([], before, after, objective, scope_dict, rec)
    return plan_graph(
        graph,
        budget=budget,
        max_cost=max_cost,
        objective=objective,
        costs=costs,
        group=group,
        recovery=recovery,
        seed=seed,
        scope=scope_dict,
    )


def plan_graph(
    graph: nx.Graph,
    *,
    budget: int = 5,
    max_cost: float | None = None,
    objective: str = "fragmentation",
    costs: Mapping[str, Any] | None = None,
    group: str | None = None,
    recovery: float | None = None,
    seed: int = 0,
    scope: dict[str, Any] | None = None,
) -> Plan:
    """:func:`takedown_plan` on a networkx graph: optimise, explain, simulate before/after/recovery.

    Examples
    --------
    >>> plan = plan_graph(nx.barbell_graph(4, 1), budget=1)
    >>> [t.key for t in plan.targets], round(plan.after["fragmentation"], 3)
    (['4'], 0.571)
    """
    costs = check_costs(costs)
    sole = sole_cashout_routes(graph)
    found = optimise(
        graph,
        budget=budget,
        max_cost=max_cost,
        objective=objective,
        costs=costs,
        group=group,
        recovery=recovery,
        seed=seed,
        sole=sole,
    )
    targets = explain_targets(
        graph, found.order, objective=objective, group=group, costs=costs, sole_cashout=sole
    )
    before, after, rec = simulate(graph, found.order, recovery=recovery, seed=seed)
    after = {
        **after,
        "objective_value": found.value,
        "weighted_value": found.weighted,
        "total_cost": sum(t.cost for t in targets),
        "sets_evaluated": found.tried,
    }
    return Plan(targets, before, after, objective, scope or {}, rec)
