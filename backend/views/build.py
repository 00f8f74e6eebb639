"""Each view kind as a :class:`~backend.views.render.View`, from the store through the caller's clearance.

The CLI (``crimegraph view ...``) and the API (``/view/...``) both call these, so a file written by one
and a page served by the other show the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from backend.views.render import RECOVERY, View
from graph_model.errors import InvalidArgument, NotFound
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore, node_attributes, to_networkx
from queries.neighbourhood import neighbourhood
from queries.partition import undirected_simple
from queries.paths import paths
from queries.results import Network, Path, Plan
from queries.scope import Scope, parse_time, scope_graph

DIRECTIONS = ("out", "in")
VIEW_KINDS = ("neighbourhood", "paths", "community", "money", "plan")


def network_graph(network: Network) -> nx.MultiDiGraph:
    """A :class:`~queries.results.Network` as the networkx graph views draw."""
    return to_networkx(network.nodes, network.edges)


def neighbourhood_view(
    store: GraphStore,
    clearance: TLP,
    key: str,
    *,
    depth: int = 2,
    edge_set: str | None = None,
    kinds: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 2000,
    hub_cap: int = 50,
) -> View:
    """Entities within ``depth`` hops of ``key`` (at most ``limit``), hubs collapsed beyond ``hub_cap``."""
    origin = store.get(key, clearance=clearance)
    found = neighbourhood(
        store,
        clearance,
        [origin.key],
        depth=depth,
        edge_set=edge_set,
        kinds=kinds,
        since=since,
        until=until,
        limit=limit,
        hub_cap=hub_cap,
    )
    return View(
        kind="neighbourhood",
        title=f"Neighbourhood of {origin.name} ({depth} hop{'s' if depth != 1 else ''})",
        graph=network_graph(found),
        focus=[origin.key],
        collapsed=dict(found.collapsed),
        truncated=found.truncated,
    )


def paths_view(
    store: GraphStore,
    clearance: TLP,
    source: str,
    target: str,
    *,
    max_length: int = 6,
    k: int = 3,
    edge_set: str | None = None,
    kinds: Sequence[str] | None = None,
) -> View:
    """The ``k`` shortest paths (at most ``max_length`` hops) between two entities."""
    start = store.get(source, clearance=clearance)
    end = store.get(target, clearance=clearance)
    found = paths(
        store, clearance, start.key, end.key, max_length=max_length, k=k, edge_set=edge_set, kinds=kinds
    )
    graph = paths_graph(found)
    for node in (start, end):
        if node.key not in graph:
            graph.add_node(node.key, **node_attributes(node))
    lengths = ", ".join(str(p.length) for p in found)
    notes = (
        [f"{len(found)} path(s) of {lengths} hop(s)."]
        if found
        else [f"No path of at most {max_length} hops between these entities."]
    )
    return View(
        kind="paths",
        title=f"Paths from {start.name} to {end.name}",
        graph=graph,
        focus=[start.key, end.key],
        notes=notes,
    )


def paths_graph(paths: Sequence[Path]) -> nx.MultiDiGraph:
    """The union of paths as one graph."""
    nodes = {n.key: n for p in paths for n in p.nodes}
    edges = {e.key: e for p in paths for e in p.edges}
    return to_networkx(nodes.values(), edges.values())


def community_view(store: GraphStore, clearance: TLP, community: str, scope: Scope | None = None) -> View:
    """One community (an id of :func:`queries.partition.partition` over ``scope``, default the whole
    visible graph)."""
    base = scope or Scope()
    scope = Scope(**{**base.as_dict(), "community": community})
    graph = scope_graph(store, clearance, scope)
    return View(
        kind="community",
        title=f"Community {community} ({graph.number_of_nodes()} entities)",
        graph=graph,
        truncated=bool(graph.graph.get("truncated")),
    )


def money_view(
    store: GraphStore,
    clearance: TLP,
    wallet: str,
    *,
    direction: str = "out",
    max_hops: int = 4,
    min_amount: float = 0.0,
    since: str | None = None,
    until: str | None = None,
    limit: int = 2000,
) -> View:
    """Where money from (``direction="out"``) or to (``"in"``) a wallet went, hop by hop."""
    if direction not in DIRECTIONS:
        raise InvalidArgument(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if not 1 <= max_hops <= 8:
        raise InvalidArgument(f"max_hops must be 1-8, got {max_hops}")
    origin = store.get(wallet, clearance=clearance)
    if origin.kind != "Wallet":
        raise InvalidArgument(f"{wallet!r} is a {origin.kind}, not a Wallet")
    scope = Scope(
        keys=(origin.key,),
        depth=min(max_hops, 4),
        edge_set="money",
        since=parse_time(since, "since"),
        until=parse_time(until, "until"),
        limit=limit,
    )
    around = scope_graph(store, clearance, scope)
    flows = nx.MultiDiGraph()
    flows.add_edges_from(
        (u, v, k, d)
        for u, v, k, d in around.edges(keys=True, data=True)
        if d.get("type") != "TRANSFERRED" or float(d.get("amount") or 0) >= min_amount
    )
    flows.add_nodes_from(around.nodes(data=True))
    walk = flows if direction == "out" else flows.reverse(copy=False)
    reached = nx.single_source_shortest_path_length(walk, origin.key, cutoff=max_hops)
    graph = nx.MultiDiGraph(flows.subgraph(reached))
    arrow = "from" if direction == "out" else "into"
    return View(
        kind="money",
        title=f"Money flow {arrow} {origin.name}",
        graph=graph,
        focus=[origin.key],
        truncated=bool(around.graph.get("truncated")),
    )


def plan_view(store: GraphStore, clearance: TLP, plan: Plan) -> View:
    """A takedown plan on the graph it was made on: before, after removal, and what recovery reconnects."""
    try:
        scope = Scope.from_dict(plan.scope)
    except TypeError as exc:
        raise InvalidArgument(f"plan scope: {exc}") from None
    graph = scope_graph(store, clearance, scope)
    targets = [t.key for t in plan.targets if t.key in graph]
    notes: list[str] = []
    absent = len(plan.targets) - len(targets)
    if absent:
        notes.append(f"{absent} target(s) of the plan are not in this graph at your clearance.")
    if not targets:
        raise NotFound("none of the plan's targets is in its scope at this clearance")
    for u, v, why in recovery_links(graph, targets):
        graph.add_edge(u, v, key=f"recovery:{u}>{v}", type=RECOVERY, why=why)
    gone = set(targets)
    return View(
        kind="plan",
        title=f"Takedown plan: {len(targets)} target(s), objective {plan.objective}",
        graph=graph,
        focus=targets,
        notes=notes,
        measures=plan_measures(plan),
        states={"before": (set(), {RECOVERY}), "after": (gone, {RECOVERY}), "recovery": (gone, set())},
        state_labels={"before": "Before", "after": "After removal", "recovery": "After recovery"},
        badges={key: f"TARGET {number}: " for number, key in enumerate(targets, start=1)},
        truncated=bool(graph.graph.get("truncated")),
    )


def plan_measures(plan: Plan) -> dict[str, object]:
    """The plan's measures as a table: one row per measure, a column per state."""
    columns = ["measure", "before", "after"] + (["recovery"] if plan.recovery else [])
    names = list(dict.fromkeys([*plan.before, *plan.after, *(plan.recovery or {})]))
    rows = []
    for name in names:
        row = [name] + [_measure(state.get(name)) for state in (plan.before, plan.after)]
        if plan.recovery:
            row.append(_measure(plan.recovery.get(name)))
        rows.append(row)
    return {"title": "Measures", "columns": columns, "rows": rows}


def _measure(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, dict | list):
        return str(len(value))
    return str(value)


def recovery_links(graph: nx.MultiDiGraph, removed: Sequence[str]) -> list[tuple[str, str, str]]:
    """Links by which the network could route around the removed nodes (rewiring through a substitute).

    For each removed node whose neighbours fall into different components once it is gone, its
    best-connected surviving neighbour links to the best-connected neighbour in each other component.
    """
    gone = set(removed)
    after = undirected_simple(graph)
    whole = undirected_simple(graph)
    after.remove_nodes_from(gone)
    component = {n: i for i, comp in enumerate(nx.connected_components(after)) for n in comp}
    degree = dict(after.degree())
    links: list[tuple[str, str, str]] = []
    for node in removed:
        if node not in whole:
            continue
        by_component: dict[int, list[str]] = {}
        for other in whole.neighbors(node):
            if other in component:
                by_component.setdefault(component[other], []).append(other)
        if len(by_component) < 2:
            continue
        heads = sorted(
            (max(sorted(members), key=lambda m: degree[m]) for members in by_component.values()),
            key=lambda m: (-degree[m], m),
        )
        name = str(graph.nodes[node].get("name", node))
        for other in heads[1:]:
            links.append((heads[0], other, f"replaces {name} between these two parts"))
    return links
