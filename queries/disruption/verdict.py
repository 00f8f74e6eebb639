"""The verdict of a plan, a simulation or a dismantling: what the removal does, in an investigator's terms.

One :class:`~queries.disruption.words.Message` per result (``Plan.verdict``): the largest connected part
before and after and how many parts it falls into, the share of connected pairs cut, the money holders
that lose every route to a cash-out service, the total cost; for plans why the budget was not all used,
whether a time limit cut the search; with recovery, each measure after the network rewires, as numbers
and as the share of the effect that survives.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import networkx as nx

from queries.disruption.measures import Indexed, component_labels
from queries.disruption.recovery import validated
from queries.disruption.words import Message, say
from queries.results import Plan


def removal_values(
    graph: nx.Graph,
    removed: Sequence[Hashable],
    before: dict[str, Any],
    after: dict[str, Any],
    recovery: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The values of ``takedown.verdict`` (and ``recovery.verdict`` when ``recovery`` is given)."""
    largest_before = int(before.get("lcc", 0))
    largest_after = int(after.get("lcc", 0))
    pairs_before = int(before.get("pairwise_connectivity", 0))
    pairs_cut = int(after.get("pairs_disconnected", 0))
    values: dict[str, Any] = {
        "count": len(removed),
        "names": [str(graph.nodes[v].get("name", v)) for v in list(removed)[:3]],
        "largest_before": largest_before,
        "largest_after": largest_after,
        "largest_share": largest_after / largest_before if largest_before else 0.0,
        "largest_parts": _largest_parts(graph, removed),
        "pairs_before": pairs_before,
        "pairs_cut": pairs_cut,
        "pairs_cut_share": pairs_cut / pairs_before if pairs_before else 0.0,
        "cashout_before": int(before.get("cashout_reachable", 0)),
        "cashout_lost": int(after.get("cashout_cut", 0)),
        "total_cost": None,
        "recovery": recovery is not None,
    }
    if recovery is not None:
        values.update(recovery_values(before, after, recovery))
    return values


def recovery_values(before: dict[str, Any], after: dict[str, Any], rec: dict[str, Any]) -> dict[str, Any]:
    """The values of ``recovery.verdict``: each measure after recovery and the share of the effect kept."""
    retained = rec.get("retained") or {}
    return {
        "probability": rec.get("probability", 0.0),
        "new_edges": int(rec.get("new_edges", 0)),
        "lcc_before": int(before.get("lcc", 0)),
        "lcc_after": int(after.get("lcc", 0)),
        "lcc_recovered": int(rec.get("lcc", 0)),
        "lcc_retained": retained.get("lcc"),
        "fragmentation_after": round(float(after.get("fragmentation", 0.0)), 3),
        "fragmentation_recovered": round(float(rec.get("fragmentation", 0.0)), 3),
        "fragmentation_retained": retained.get("fragmentation"),
        "cashout_cut": int(after.get("cashout_cut", 0)),
        "cashout_cut_recovered": int(rec.get("cashout_cut", 0)),
        "cashout_retained": retained.get("cashout"),
        "validated": validated(),
    }


def _largest_parts(graph: nx.Graph, removed: Sequence[Hashable]) -> int:
    """How many parts the survivors of the (first) largest connected part fall into."""
    ix = Indexed.cached(graph)
    if not len(ix):
        return 0
    labels = component_labels(ix, bytearray(len(ix)))
    counts: dict[int, int] = {}
    for c in labels:
        counts[c] = counts.get(c, 0) + 1
    largest = max(sorted(counts), key=lambda c: counts[c])
    dead = ix.mask(v for v in removed if v in ix.index)
    after = component_labels(ix, dead)
    return len({after[v] for v in range(len(ix)) if labels[v] == largest and not dead[v]})


def simulation_verdict(graph: nx.Graph, plan: Plan) -> Message:
    """The verdict of a simulation (``takedown.verdict``)."""
    values = removal_values(graph, _nodes(graph, plan), plan.before, plan.after, plan.recovery)
    values["total_cost"] = sum(t.cost for t in plan.targets) if plan.targets else None
    return say("takedown.verdict", **values)


def plan_verdict(graph: nx.Graph, plan: Plan) -> Message:
    """The verdict of a plan (``plan.verdict``): the removal, why it stopped early, how it was searched."""
    values = removal_values(graph, _nodes(graph, plan), plan.before, plan.after, plan.recovery)
    budget = plan.budget or {}
    search = plan.search or {}
    values.update(
        total_cost=plan.after.get("total_cost"),
        budget=int(budget.get("targets", len(plan.targets))),
        unused=int(budget.get("unused", 0)),
        objective=plan.objective,
        stop=(budget.get("stop") or {}).get("id"),
        time_limit=search.get("time_limit") if search.get("cut_by_time_limit") else None,
        pool=search.get("pool"),
        candidates=search.get("candidates"),
        one_swap=search.get("one_swap_optimum"),
        swaps_checked=search.get("swaps_checked"),
        swap_moves=search.get("swap_moves"),
        work_budget=search.get("work_budget"),
        one_swap_max=search.get("one_swap_max"),
    )
    stop = budget.get("stop") or {}
    for key, value in (stop.get("values") or {}).items():
        values.setdefault(key, value)
    return say("plan.verdict", **values)


def _nodes(graph: nx.Graph, plan: Plan) -> list[Hashable]:
    by_key = {str(v): v for v in graph}
    return [by_key[t.key] for t in plan.targets if t.key in by_key]
