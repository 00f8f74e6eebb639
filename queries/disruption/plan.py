"""Takedown plans: the best *set* of targets for a budget, not the top of a ranking.

:func:`optimise` searches removal sets (:mod:`queries.disruption.search`: greedy and other starts, 1-swap
local search within a deterministic work budget, an optional time limit); with ``recovery`` the local
optima are re-ranked by their value after the network rewires. The worth searched is the objective
itself; each pick's measured substitutability is stated in its why.

Every target of a plan has a strictly positive gain on the objective given the picks before it: picks
that gain nothing are dropped, the rest of the budget is filled with the best positive picks, and when
nothing more helps the plan stops and says how much budget is unused and why (``Plan.budget``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import networkx as nx

from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.disruption.costs import check_costs, cost_of
from queries.disruption.explain import explain_targets
from queries.disruption.graph import disruption_graph
from queries.disruption.limits import MAX_BUDGET, check_budget, check_time_limit
from queries.disruption.objectives import OBJECTIVES, Objective
from queries.disruption.recovery import check_probability
from queries.disruption.search import EPS, ONE_SWAP_MAX, Search, SetResult
from queries.disruption.simulate import simulate
from queries.disruption.verdict import plan_verdict
from queries.results import Plan
from queries.scope import Scope

__all__ = ["MAX_BUDGET", "SetResult", "check_request", "optimise", "plan_graph", "takedown_plan"]


def sole_cashout_routes(graph: nx.Graph) -> dict[Hashable, int]:
    """Money nodes every cash-out route of other money holders runs through, with how many they carry."""
    if not graph.graph.get("cashout"):
        return {}
    objective = Objective(graph, "cashout")
    cut, _ = objective._dominated(bytearray(objective.n))  # noqa: SLF001 - same module family
    nodes = objective.ix.nodes
    return {
        nodes[v]: w - (1 if v in objective._source_set else 0)
        for v, w in cut.items()
        if w > 1 and v not in objective.excluded
    }


def check_request(
    budget: int,
    max_cost: float | None,
    objective: str,
    group: str | None,
    recovery: float | None,
    time_limit: float | None = None,
) -> None:
    """InvalidArgument naming what is wrong with a plan request, before any work is done."""
    check_budget(budget, max_cost)
    check_time_limit(time_limit)
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
    time_limit: float | None = None,
    passes: int | None = None,
    sole: Mapping[Hashable, int] | None = None,
) -> SetResult:
    """The best removal set found for the budget (k targets and/or a total cost), in pick order, every
    pick with a strictly positive gain given the ones before it.

    ``passes`` overrides the deterministic work budget (:func:`queries.disruption.search.work_budget`);
    ``time_limit`` (seconds) may cut the search, which the result then says.

    Examples
    --------
    >>> g = nx.barbell_graph(5, 1)
    >>> optimise(g, budget=1).order
    [5]
    >>> optimise(g, budget=2, max_cost=3).order  # unknown kinds cost 2 each
    [5]
    >>> optimise(nx.path_graph(4), budget=3).order  # a third pick would cut nothing
    [1, 2]
    """
    check_request(budget, max_cost, objective, group, recovery, time_limit)
    costs = check_costs(costs)
    obj = Objective(graph, objective, group=group)
    n = obj.n
    nodes = obj.ix.nodes
    # Costs steer the choice only under a cost budget; a budget of k targets counts targets.
    cost = [cost_of(graph, v, costs) for v in nodes] if max_cost is not None else [1.0] * n
    # The worth searched is the objective itself: every pick is defended by what it cuts; how hard a
    # target is to replace is measured and stated in its why, not folded into the choice.
    hard = [1.0] * n
    search = Search(obj, cost, hard, budget, max_cost, seed, time_limit=time_limit, passes=passes)
    result = search.run()
    if recovery is not None and search.optima:
        result = _recovery_aware(search, graph, recovery)
    order = _positive(obj, search.ordered(result.order), cost, budget, max_cost)  # type: ignore[arg-type]
    order = _fill(obj, order, cost, hard, budget, max_cost)
    dead = bytearray(n)
    for v in order:
        dead[v] = 1
    result.order = [nodes[v] for v in order]
    result.value = obj.value(dead)
    result.weighted = result.value * (sum(hard[v] for v in order) / len(order) if order else 1.0)
    return result


def _positive(
    obj: Objective, order: list[int], cost: list[float], budget: int, max_cost: float | None
) -> list[int]:
    """``order`` without the picks that gain nothing given the (kept) picks before them."""
    dead = bytearray(obj.n)
    value = obj.value(dead)
    kept: list[int] = []
    for v in order:
        dead[v] = 1
        new = obj.value(dead)
        if new - value <= EPS:
            dead[v] = 0
            continue
        kept.append(v)
        value = new
    return kept


def _fill(
    obj: Objective,
    order: list[int],
    cost: list[float],
    hard: list[float],
    budget: int,
    max_cost: float | None,
) -> list[int]:
    """The budget left filled with the best positive picks (gain x hardness / cost), while any helps."""
    chosen = list(order)
    dead = bytearray(obj.n)
    for v in chosen:
        dead[v] = 1
    spent = sum(cost[v] for v in chosen)
    value = obj.value(dead)
    while len(chosen) < budget:
        after = obj.after_each(dead)
        best: tuple[float, int] | None = None
        pick = -1
        for v in obj.candidates(dead):
            if after[v] - value <= EPS or (max_cost is not None and spent + cost[v] > max_cost + 1e-9):
                continue
            key = ((after[v] - value) * hard[v] / cost[v], -v)
            if best is None or key > best:
                best, pick = key, v
        if pick < 0:
            break
        dead[pick] = 1
        new = obj.value(dead)
        if new - value <= EPS:  # after_each and value agree; this guards a float tie
            dead[pick] = 0
            break
        chosen.append(pick)
        spent += cost[pick]
        value = new
    return chosen


def _recovery_aware(search: Search, graph: nx.Graph, p: float) -> SetResult:
    """The local optimum whose fragmentation survives rewiring best (mean over three seeds)."""
    nodes = search.obj.ix.nodes
    ranked = sorted(search.optima.items(), key=lambda kv: (-kv[1], sorted(kv[0])))[:8]
    best: tuple[float, float, frozenset[int]] | None = None
    for members, value in ranked:
        remove = [nodes[v] for v in sorted(members)]
        kept = 0.0
        for s in range(3):
            _, _, rec = simulate(graph, remove, recovery=p, seed=search.rng.randrange(1 << 30) + s)
            assert rec is not None
            kept += rec["fragmentation"] / 3
        key = (kept, value, members)
        if best is None or key[:2] > best[:2]:
            best = key
    assert best is not None
    result = search.result(best[2], best[2] in search.converged)
    result.recovered = best[0]
    return result


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
    time_limit: float | None = None,
) -> Plan:
    """The takedown plan for a scope: the best set of at most ``budget`` targets (and ``max_cost``).

    ``objective`` is one of ``fragmentation``, ``lcc``, ``cashout``, ``reach`` (with ``group``, a key
    or name); ``costs`` a costs mapping (see :mod:`queries.disruption.costs`); ``recovery`` the share of
    the ties the recovery model predicts that form (the plan is then chosen for what survives recovery,
    and flagged if little does); ``time_limit`` seconds may cut the search (the plan then says so).

    Examples
    --------
    >>> from graph_model import default_model
    >>> from graph_model.store.embedded import EmbeddedStore
    >>> store = EmbeddedStore(":memory:", default_model())
    >>> takedown_plan(store, TLP.RED, Scope(), budget=3).targets
    []
    """
    check_request(budget, max_cost, objective, group, recovery, time_limit)
    costs = check_costs(costs)
    graph = disruption_graph(store, clearance, scope)
    return plan_graph(
        graph,
        budget=budget,
        max_cost=max_cost,
        objective=objective,
        costs=costs,
        group=group,
        recovery=recovery,
        seed=seed,
        time_limit=time_limit,
        scope=graph.graph["scope"].as_dict(),
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
    time_limit: float | None = None,
    passes: int | None = None,
    scope: dict[str, Any] | None = None,
) -> Plan:
    """:func:`takedown_plan` on a networkx graph: optimise, explain, simulate before/after/recovery, and
    say what it all means (``verdict``) and why the plan stopped early where it did (``budget``).

    Examples
    --------
    >>> plan = plan_graph(nx.barbell_graph(4, 1), budget=1)
    >>> [t.key for t in plan.targets], round(plan.after["fragmentation"], 3)
    (['4'], 0.571)
    >>> plan = plan_graph(nx.path_graph(4), budget=3)
    >>> [t.key for t in plan.targets], plan.budget["unused"], plan.budget["stop"]["id"]
    (['1', '2'], 1, 'plan.stopped_no_links')
    """
    check_request(budget, max_cost, objective, group, recovery, time_limit)
    costs = check_costs(costs)
    if graph.number_of_nodes() == 0:
        found = SetResult([], 0.0, 0.0)
    else:
        found = optimise(
            graph,
            budget=budget,
            max_cost=max_cost,
            objective=objective,
            costs=costs,
            group=group,
            recovery=recovery,
            seed=seed,
            time_limit=time_limit,
            passes=passes,
        )
    targets = explain_targets(graph, found.order, objective=objective, group=group, costs=costs)
    before, after, rec = simulate(graph, found.order, recovery=recovery, seed=seed)
    total_cost = sum(t.cost for t in targets)
    after = {
        **after,
        "objective_value": found.value,
        "weighted_value": found.weighted,
        "total_cost": total_cost,
        "sets_evaluated": found.tried,
    }
    spent = len(found.order)
    stop = (
        _stop(graph, found.order, objective, budget, max_cost, total_cost, costs) if spent < budget else None
    )
    budget_block = {
        "targets": budget,
        "max_cost": max_cost,
        "used": spent,
        "unused": budget - spent,
        "cost_used": total_cost,
        "stop": stop,
    }
    search = {
        "work_budget": found.work_budget,
        "work_used": found.work,
        "work_unit": "one pass over the graph (one removal set evaluated, or every single addition at once)",
        "time_limit": found.time_limit,
        "cut_by_time_limit": found.cut_by_time_limit,
        "candidates": found.candidates,
        "pool": None,
        "one_swap_optimum": found.one_swap_optimum,
        "swap_moves": found.swap_moves,
        "swaps_checked": found.swaps_checked,
        "one_swap_max": ONE_SWAP_MAX,
        "seed": seed,
    }
    plan = Plan(targets, before, after, objective, scope or {}, rec, budget=budget_block, search=search)
    plan.verdict = plan_verdict(graph, plan).as_dict()
    return plan


def _stop(
    graph: nx.Graph,
    order: list[Hashable],
    objective: str,
    budget: int,
    max_cost: float | None,
    spent: float,
    costs: Mapping[str, Any],
) -> dict[str, Any]:
    """Why a plan used fewer picks than its budget, as a message."""
    from queries.disruption.words import say

    unused = budget - len(order)
    gone = set(order)
    links_left = any(u not in gone and v not in gone for u, v in graph.edges())
    if not links_left and objective in ("fragmentation", "lcc"):
        return say("plan.stopped_no_links", unused=unused, budget=budget).as_dict()
    if max_cost is not None:
        cheapest = min((cost_of(graph, v, costs) for v in graph if v not in gone), default=math.inf)
        if spent + cheapest > max_cost + 1e-9:
            return say(
                "plan.stopped_cost", unused=unused, budget=budget, max_cost=max_cost, spent=spent
            ).as_dict()
    return say("plan.stopped_no_gain", unused=unused, budget=budget, objective=objective).as_dict()
