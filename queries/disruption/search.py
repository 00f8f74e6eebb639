"""The set search behind a takedown plan: starts, 1-swap local search, a deterministic work budget.

A removal set's worth is ``objective(S) x mean hardness(S)`` (:mod:`queries.disruption.costs`). Starts:
greedy (best marginal gain x hardness / cost, recomputed after every pick), greedy on the giant component,
adaptive degree, adaptive and static betweenness, community separators (networks past :data:`SMALL`
nodes) and seeded random starts (networks up to :data:`SMALL` nodes). From each, local search swaps one
pick for one non-pick (or adds one while the budget allows) while that improves the worth: for each pick
``out``, one pass of :meth:`~queries.disruption.objectives.Objective.after_each` on ``S - out`` gives the
exact value of every swap ``S - out + in`` at once, so a full 1-swap neighbourhood costs ``|S| + 1``
passes over the graph, whatever the number of candidates.

The work is counted in passes over the graph (one evaluation of a set or one ``after_each``) and bounded
by :func:`work_budget`, a function of the graph's size only: the same graph, options and seed give the
same plan on any machine and under any load. An optional wall-clock ``time_limit`` may cut the search
short; the result then says so. The best set found is finally searched to a 1-swap optimum (no single
swap or addition improves it) on networks up to :data:`ONE_SWAP_MAX` nodes whatever the budget left.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import networkx as nx

from queries.disruption.centrality import betweenness, betweenness_later, exact_betweenness
from queries.disruption.measures import Indexed, native_without
from queries.disruption.objectives import Objective

SMALL = 400  # networks up to this size: seeded random restarts
ONE_SWAP_MAX = 1000  # networks up to this size always end in a 1-swap optimum
ADAPTIVE_START_MAX = 5_000  # adaptive betweenness as a start up to this many nodes
LARGE = 20_000  # beyond this many nodes: fewer starts
RESTARTS = 24
SEPARATOR_STARTS = 8  # community separators tried as starts
RESOLUTIONS = (1.0, 0.1)  # Louvain resolutions: finer and coarser communities
WORK = 1.2e7  # graph elements (nodes + edges) the search may visit, in passes over the graph
MIN_PASSES = 20
MAX_PASSES = 200_000
EPS = 1e-12


def work_budget(n: int, m: int) -> int:
    """Passes over a graph of ``n`` nodes and ``m`` edges the search may make (deterministic).

    Examples
    --------
    >>> work_budget(62, 159), work_budget(102_281, 427_742)
    (54298, 22)
    """
    return max(MIN_PASSES, min(MAX_PASSES, int(WORK / max(1, n + m))))


@dataclass(slots=True)
class SetResult:
    """An optimised removal set, in pick order, its objective value and how the search went.

    ``work`` counts passes over the graph, ``work_budget`` the passes allowed; ``cut_by_time_limit`` is
    true when the optional time limit stopped the search; ``one_swap_optimum`` when no single swap or
    addition improves the set; ``pool`` is the number of swap candidates (every candidate here).
    ``swap_moves`` is the number of moves of the set's 1-swap neighbourhood (one per pick - all its swaps
    at once - and one for the additions while the budget allows) and ``swaps_checked`` how many of them
    were checked, in a row, without finding an improvement: all of them for a 1-swap optimum.
    """

    order: list[Hashable]
    value: float
    weighted: float
    recovered: float | None = None
    tried: int = 0
    starts: dict[str, float] = field(default_factory=dict)
    work: int = 0
    work_budget: int = 0
    time_limit: float | None = None
    cut_by_time_limit: bool = False
    one_swap_optimum: bool = False
    candidates: int = 0
    swaps_checked: int = 0
    swap_moves: int = 0


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


class Search:
    """One search: the objective, per-node costs and hardness, the budget, the seed and the limits."""

    def __init__(
        self,
        obj: Objective,
        cost: list[float],
        hard: list[float],
        budget: int,
        max_cost: float | None,
        seed: int,
        *,
        time_limit: float | None = None,
        passes: int | None = None,
    ) -> None:
        self.obj = obj
        self.cost = cost
        self.hard = hard
        self.budget = budget
        self.max_cost = max_cost
        self.rng = random.Random(seed)
        edges = sum(len(a) for a in obj.ix.adj) // 2
        self.passes = passes if passes is not None else work_budget(obj.n, edges)
        self.work = 0
        self.time_limit = time_limit
        self.deadline = None if time_limit is None else time.monotonic() + time_limit
        self.cut_by_time = False
        self.cache: dict[frozenset[int], float] = {}
        self.optima: dict[frozenset[int], float] = {}
        self.converged: set[frozenset[int]] = set()
        self.checked: dict[frozenset[int], int] = {}  # moves checked in a row without an improvement
        self.starts: dict[str, float] = {}
        self.static_degree = [len(a) for a in obj.ix.adj]
        self.greedy_order: list[int] = []
        self._betweenness: list[int] | None = None
        self._later: Callable[[], tuple[dict[Hashable, float], float | None]] | None = None
        self.candidates = obj.candidates(bytearray(obj.n))

    # -- limits -------------------------------------------------------------------------------------------
    def spent(self) -> bool:
        """Whether the work budget or the time limit is used up (the time limit is remembered)."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.cut_by_time = True
            return True
        return self.work >= self.passes

    def after_each(self, dead: bytearray, obj: Objective | None = None) -> list[float]:
        self.work += 1
        return (obj or self.obj).after_each(dead)

    # -- evaluation -----------------------------------------------------------------------------------------
    def weighted(self, members: frozenset[int]) -> float:
        found = self.cache.get(members)
        if found is None:
            self.work += 1
            value = self.obj.value(self._dead(members))
            found = value * self._mean_hard(members)
            self.cache[members] = found
        return found

    def _mean_hard(self, members: frozenset[int] | set[int]) -> float:
        return sum(self.hard[v] for v in members) / len(members) if members else 1.0

    def _dead(self, members: frozenset[int] | set[int] | list[int]) -> bytearray:
        dead = bytearray(self.obj.n)
        for v in members:
            dead[v] = 1
        return dead

    def affordable(self, spent: float, v: int) -> bool:
        return self.max_cost is None or spent + self.cost[v] <= self.max_cost + 1e-9

    def feasible(self, members: frozenset[int]) -> bool:
        if len(members) > self.budget:
            return False
        return self.max_cost is None or sum(self.cost[v] for v in members) <= self.max_cost + 1e-9

    # -- starts ---------------------------------------------------------------------------------------------
    def greedy(self, obj: Objective) -> list[int]:
        """Best gain x hardness / cost first, recomputed after every pick; stops when nothing gains."""
        dead = bytearray(self.obj.n)
        chosen: list[int] = []
        spent = 0.0
        current = obj.value(dead)
        while len(chosen) < self.budget:
            after = self.after_each(dead, obj)
            degree = self.static_degree
            best: tuple[float, int, int] | None = None
            pick = -1
            for v in self.obj.candidates(dead):
                if not self.affordable(spent, v) or after[v] - current <= EPS:
                    continue
                key = ((after[v] - current) * self.hard[v] / self.cost[v], degree[v], -v)
                if best is None or key > best:
                    best, pick = key, v
            if pick < 0:
                break
            chosen.append(pick)
            dead[pick] = 1
            spent += self.cost[pick]
            current = after[pick]
        return chosen

    def degree_start(self) -> list[int]:
        dead = bytearray(self.obj.n)
        chosen: list[int] = []
        spent = 0.0
        adj = self.obj.ix.adj
        while len(chosen) < self.budget:
            options = [v for v in self.obj.candidates(dead) if self.affordable(spent, v)]
            if not options:
                break
            degree = {v: sum(1 for w in adj[v] if not dead[w]) for v in options}
            pick = max(options, key=lambda v: (degree[v] / self.cost[v], -v))
            if degree[pick] == 0:
                break
            chosen.append(pick)
            dead[pick] = 1
            spent += self.cost[pick]
        return chosen

    def random_start(self) -> list[int]:
        order = self.candidates[:]
        self.rng.shuffle(order)
        chosen: list[int] = []
        spent = 0.0
        for v in order:
            if len(chosen) == self.budget:
                break
            if self.affordable(spent, v):
                chosen.append(v)
                spent += self.cost[v]
        return chosen

    def by_betweenness(self) -> list[int]:
        """Candidates by betweenness (exact when small, sampled when large): brokers that only
        separate the network together with others are found here, not by single-removal gains."""
        if self._betweenness is None:
            values, _ = self._later() if self._later is not None else betweenness(self.obj.graph)
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
                if index[v] not in self.obj.excluded and self.affordable(spent, index[v]) and values[v] > 0
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
            if self.affordable(spent, v):
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

    # -- local search -------------------------------------------------------------------------------------
    def improve(
        self, start: list[int] | frozenset[int], *, bounded: bool = True
    ) -> tuple[frozenset[int], bool]:
        """Local search from ``start``: swaps (and additions while the budget allows) while the worth
        improves. Returns the set and whether it is a 1-swap optimum (False when the work budget or the
        time limit stopped the search first; ``bounded=False`` ignores the work budget)."""
        current = set(start)
        best = self.weighted(frozenset(current))
        since = 0  # picks tried in a row without an improvement
        while True:
            moves = len(current) + (1 if len(current) < self.budget else 0)
            if since >= moves:
                self.checked[frozenset(current)] = moves
                return frozenset(current), True
            if (bounded and self.spent()) or self.cut_by_time or self._late():
                found = frozenset(current)
                self.checked[found] = max(self.checked.get(found, 0), since)
                return found, False
            outs = sorted(current)
            if since < len(outs):
                out: int | None = outs[since % len(outs)]
            else:
                out = None  # the addition move
            base = set(current)
            if out is not None:
                base.discard(out)
            after = self.after_each(self._dead(base))
            spent = sum(self.cost[v] for v in base)
            hard = sum(self.hard[v] for v in base)
            size = len(base) + 1
            pick = -1
            pick_value = best
            for v in self.candidates:
                if v in current or not self.affordable(spent, v):
                    continue
                value = after[v] * (hard + self.hard[v]) / size
                if value > pick_value + EPS:
                    pick, pick_value = v, value
            if pick >= 0:
                current = base | {pick}
                best = pick_value
                self.cache[frozenset(current)] = best
                since = 0
            else:
                since += 1

    def _late(self) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.cut_by_time = True
        return self.cut_by_time

    def run(self) -> SetResult:
        if self.obj.name in ("fragmentation", "lcc", "reach"):
            # the betweenness start's estimate runs beside the greedy start (another core) when it can
            self._later = betweenness_later(self.obj.graph)
        starts: dict[str, list[int]] = {"greedy": self.greedy(self.obj)}
        self.greedy_order = starts["greedy"]
        name, n = self.obj.name, self.obj.n
        if name in ("fragmentation", "lcc") and n <= ADAPTIVE_START_MAX:
            starts["adaptive-betweenness"] = self.adaptive_betweenness_start()
        large = n > LARGE
        if name == "fragmentation" and not large:
            starts["greedy-lcc"] = self.greedy(Objective(self.obj.graph, "lcc"))
        if name in ("fragmentation", "lcc") and not large:
            starts["degree"] = self.degree_start()
        if name in ("fragmentation", "lcc", "reach"):
            starts["betweenness"] = self.betweenness_start()
        if name in ("fragmentation", "lcc") and n > SMALL:
            starts.update(self.separator_starts())
        if n <= SMALL:
            for r in range(RESTARTS):
                starts[f"random-{r}"] = self.random_start()
        best: frozenset[int] = frozenset()
        best_value = -math.inf
        for label, start in starts.items():
            self.starts[label] = self.weighted(frozenset(start))
            if self.starts[label] > best_value + EPS:
                best, best_value = frozenset(start), self.starts[label]
        optimum = False
        # local search from the most promising starts first, while the work budget lasts
        for label in sorted(starts, key=lambda s: (-self.starts[s], s)):
            if self.spent():
                break
            found, converged = self.improve(starts[label])
            value = self.weighted(found)
            self.optima[found] = value
            if converged:
                self.converged.add(found)
            if value > best_value + EPS or (found == best and converged):
                best, best_value, optimum = found, value, converged
        if not optimum and not self.cut_by_time:
            # the best set is always searched to a 1-swap optimum on networks up to ONE_SWAP_MAX nodes
            best, optimum = self.improve(best, bounded=n > ONE_SWAP_MAX)
            self.optima[best] = self.weighted(best)
            if optimum:
                self.converged.add(best)
        return self.result(best, optimum)

    def result(self, members: frozenset[int], optimum: bool) -> SetResult:
        moves = len(members) + (1 if len(members) < self.budget else 0)
        return SetResult(
            order=sorted(members),  # type: ignore[arg-type]
            value=self.obj.value(self._dead(members)),
            weighted=self.weighted(members),
            tried=len(self.cache),
            starts=dict(self.starts),
            work=self.work,
            work_budget=self.passes,
            time_limit=self.time_limit,
            cut_by_time_limit=self.cut_by_time,
            one_swap_optimum=optimum,
            candidates=len(self.candidates),
            swaps_checked=moves if optimum else min(moves, self.checked.get(members, 0)),
            swap_moves=moves,
        )

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
