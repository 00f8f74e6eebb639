"""What is left after a takedown: before/after measures of any removal set, with optional recovery."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import networkx as nx

from graph_model.errors import InvalidArgument, NotFound
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.disruption.graph import disruption_graph
from queries.disruption.limits import check_remove
from queries.disruption.measures import Indexed, component_labels, component_sizes, fragmentation_of, pairs
from queries.disruption.recovery import FRAGILE_RETAINED, check_probability, recover, retained
from queries.results import Plan, Target
from queries.scope import Scope


def measure(
    graph: nx.Graph,
    removed: Iterable[Hashable] = (),
    *,
    total: int | None = None,
    indexed: Indexed | None = None,
) -> dict[str, Any]:
    """The measures of ``graph`` without ``removed``; LCC fractions divide by ``total`` (default: N).

    Keys: ``nodes``, ``edges``, ``removed``, ``lcc``, ``lcc_fraction``, ``components``,
    ``fragmentation`` (Borgatti's F), ``pairwise_connectivity`` (connected pairs), ``isolated_actors``,
    ``cashout_reachable`` (money holders with a directed money path to a cash-out service) and
    ``group_links`` (pairs of groups still joined by some path).

    Examples
    --------
    >>> m = measure(nx.path_graph(5), [2])
    >>> m["lcc"], m["components"], round(m["fragmentation"], 3)
    (2, 2, 0.667)
    """
    gone = {v for v in removed if v in graph}
    ix = indexed if indexed is not None else Indexed.of(graph)  # ``indexed``: ``Indexed.of(graph)``
    dead = ix.mask(gone)
    sizes = component_sizes(ix, dead)
    n_total = total if total is not None else graph.number_of_nodes()
    # edges left: all, less those touching a removed node (an edge between two removed ones counted once)
    touching = sum(len(graph.adj[v]) - (1 if v in graph.adj[v] else 0) for v in gone)
    between = sum(1 for v in gone for m in graph.adj[v] if m in gone and m != v) // 2
    loops = sum(1 for v in gone if v in graph.adj[v])
    edges = graph.number_of_edges() - (touching - between) - loops
    # an actor left without a live contact: one that had none, or whose every contact was removed
    maybe = {m for v in gone for m in graph.adj[v] if m not in gone}
    maybe.update(v for v, d in graph.degree() if d == 0 and v not in gone)
    isolated = sum(
        1
        for v in maybe
        if graph.nodes[v].get("kind", "Actor") == "Actor" and not any(m not in gone for m in graph.adj[v])
    )
    return {
        "nodes": graph.number_of_nodes() - len(gone),
        "edges": edges,
        "removed": len(gone),
        "lcc": sizes[0] if sizes else 0,
        "lcc_fraction": (sizes[0] if sizes else 0) / max(1, n_total),
        "components": len(sizes),
        "fragmentation": fragmentation_of(sizes),
        "pairwise_connectivity": pairs(sizes),
        "isolated_actors": isolated,
        "cashout_reachable": _cashout_reachable(graph, gone),
        "group_links": _group_links(graph, ix, dead),
    }


def _cashout_reachable(graph: nx.Graph, gone: set[Hashable]) -> int:
    money: nx.DiGraph = graph.graph.get("money", nx.DiGraph())
    cashout = {c for c in graph.graph.get("cashout", ()) if c not in gone and c in money}
    if not cashout:
        return 0
    reverse = money.reverse(copy=False)
    seen = set(cashout)
    stack = list(cashout)
    while stack:
        v = stack.pop()
        for u in reverse.adj[v]:
            if u not in seen and u not in gone:
                seen.add(u)
                stack.append(u)
    return sum(1 for v in seen if v not in cashout and money.out_degree(v))


def _group_links(graph: nx.Graph, ix: Indexed, dead: bytearray) -> int:
    groups = [
        ix.index[v]
        for v, d in graph.nodes(data=True)
        if d.get("kind") == "Actor" and d.get("type") == "group"
    ]
    if len(groups) < 2:
        return 0
    label = component_labels(ix, dead)
    counts: dict[int, int] = {}
    for g in groups:
        if not dead[g]:
            counts[label[g]] = counts.get(label[g], 0) + 1
    return sum(c * (c - 1) // 2 for c in counts.values())


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``after`` with what changed: cash-out routes cut, group links cut, pairs disconnected."""
    result = dict(after)
    result["cashout_cut"] = before["cashout_reachable"] - after["cashout_reachable"]
    result["group_links_cut"] = before["group_links"] - after["group_links"]
    result["pairs_disconnected"] = before["pairwise_connectivity"] - after["pairwise_connectivity"]
    return result


def simulate(
    graph: nx.Graph, remove: Sequence[Hashable], *, recovery: float | None = None, seed: int = 0
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """Before, after and (when ``recovery`` is a probability) after-recovery measures of a removal.

    ``recovery`` is the share of the ties the recovery model predicts that form
    (:mod:`queries.disruption.recovery`). The recovery measures carry ``retained``: for each effect - the
    largest part's reduction (``lcc``), the fragmentation gain, the money holders cut off cash-out - the
    share that survives the rewiring (None where the removal had no such effect), and ``flag`` when less
    than half of any effect does.

    Examples
    --------
    >>> before, after, rec = simulate(nx.star_graph(5), [0], recovery=1.0)
    >>> before["lcc"], after["lcc"], rec["lcc"], rec["retained"]["lcc"], rec["flag"] is not None
    (6, 1, 5, 0.2, True)
    """
    check_probability(recovery)
    check_remove(len(remove))
    missing = [v for v in remove if v not in graph]
    if missing:
        raise NotFound(f"not in this scope: {', '.join(map(str, missing[:5]))}")
    if len(set(remove)) != len(remove):
        raise InvalidArgument("a node is named twice in the removal set")
    total = graph.number_of_nodes()
    ix = Indexed.cached(graph)
    before = measure(graph, indexed=ix)
    after = compare(before, measure(graph, remove, indexed=ix))
    if recovery is None:
        return before, after, None
    rewired = recover(graph, remove, recovery, seed=seed)
    rewired.graph.update(graph.graph)
    recovered_measures = measure(rewired, total=total)
    # the rewired graph no longer holds the removed nodes, but its money graph is the original one: the
    # recovery model predicts new ties, not new transfers, so routes to cash-out are those left after
    # the removal (the removed wallets stay gone)
    recovered_measures["cashout_reachable"] = after["cashout_reachable"]
    recovered = compare(before, recovered_measures)
    recovered["probability"] = recovery
    recovered["seed"] = seed
    recovered["new_edges"] = rewired.number_of_edges() - after["edges"]
    recovered["retained"] = kept = retained(before, after, recovered)
    fragile = [name for name, share in kept.items() if share is not None and share < FRAGILE_RETAINED]
    recovered["flag"] = (
        "only looks good before the network adapts: less than half of the "
        + " and of the ".join(_EFFECT[name] for name in fragile)
        + " survives recovery"
        if fragile
        else None
    )
    return before, after, recovered


_EFFECT = {
    "lcc": "largest part's reduction",
    "fragmentation": "fragmentation gain",
    "cashout": "cash-out routes cut",
}


def simulate_takedown(
    store: GraphStore,
    clearance: TLP,
    scope: Scope,
    remove: Sequence[str],
    *,
    recovery: float | None = None,
    seed: int = 0,
) -> Plan:
    """Simulate taking down ``remove`` (keys or names of nodes in the scope) and report what is left.

    The plan's targets are the removed nodes in the given order, each with what it cuts in words.

    Examples
    --------
    >>> from graph_model import default_model
    >>> from graph_model.store.embedded import EmbeddedStore
    >>> store = EmbeddedStore(":memory:", default_model())
    >>> simulate_takedown(store, TLP.RED, Scope(), []).after["nodes"]
    0
    """
    check_probability(recovery)
    check_remove(len(remove))
    graph = disruption_graph(store, clearance, scope)
    return simulate_graph(
        graph,
        [_resolve(graph, key) for key in remove],
        recovery=recovery,
        seed=seed,
        scope=graph.graph["scope"].as_dict(),
    )


def simulate_graph(
    graph: nx.Graph,
    nodes: Sequence[Hashable],
    *,
    recovery: float | None = None,
    seed: int = 0,
    scope: dict[str, Any] | None = None,
) -> Plan:
    """:func:`simulate_takedown` on a networkx graph: measures, whys and the verdict.

    Examples
    --------
    >>> print(simulate_graph(nx.path_graph(4), [1]).verdict["text"])  # doctest: +NORMALIZE_WHITESPACE
    Taking down this one splits the largest connected part (4 entities) into 2 parts; the biggest part
    left holds 2 (50% of before). 83% of the pairs of entities that could reach each other no longer can
    (5 of 6). Total cost 2.
    """
    from queries.disruption.explain import explain_targets
    from queries.disruption.verdict import simulation_verdict

    before, after, recovered = simulate(graph, nodes, recovery=recovery, seed=seed)
    targets: list[Target] = explain_targets(graph, nodes, objective="fragmentation")
    for target in targets:
        target.gain = None  # a simulation is not a plan: what each removal adds is in its why
    plan = Plan(
        targets=targets,
        before=before,
        after=after,
        objective="simulation",
        scope=scope or {},
        recovery=recovered,
    )
    plan.verdict = simulation_verdict(graph, plan).as_dict()
    return plan


def _resolve(graph: nx.Graph, key: str) -> Hashable:
    if key in graph:
        return key
    matches: list[Hashable] = [node for node, data in graph.nodes(data=True) if data.get("name") == key]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InvalidArgument(f"{key!r} names {len(matches)} nodes in this scope; use a key")
    raise NotFound(f"{key!r} is not in this scope")
