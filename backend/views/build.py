"""Each view kind as a :class:`~backend.views.render.View`, from the store through the caller's clearance.

The CLI (``crimegraph view ...``) and the API (``/view/...``) both call these, so a file written by one
and a page served by the other show the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from backend.views.render import RECOVERY, View
from graph_model.entities import Node
from graph_model.errors import CrimegraphError, InvalidArgument, LimitExceeded, NotFound
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore, node_attributes, to_networkx
from graph_model.words import counted, plural
from queries.disruption.graph import DEFAULT_EDGE_SET, to_disruption_graph
from queries.disruption.recovery import recover
from queries.money import money_flow
from queries.neighbourhood import neighbourhood
from queries.paths import paths
from queries.results import Network, Path, Plan
from queries.scope import Scope, scope_graph
from queries.search import Match, ranked

MAX_CHOICES = 50  # entities a chooser page lists for an ambiguous reference


class Ambiguous(CrimegraphError):
    """A reference names several entities: the caller chooses (a served view lists them)."""

    status = 300

    def __init__(self, param: str, ref: str, exact: Sequence[Node], partial: Sequence[Node] = ()) -> None:
        candidates = [*exact, *partial]
        names = "; ".join(f"{n.key} ({n.kind} {n.name})" for n in candidates[:5])
        more = f" and {len(candidates) - 5} more" if len(candidates) > 5 else ""
        super().__init__(f"{ref!r} names {len(candidates)} entities: {names}{more}. Give a key.")
        self.param = param
        self.ref = ref
        self.candidates = candidates
        self.exact = {n.key for n in exact}


def entity(store: GraphStore, clearance: TLP, ref: str, param: str = "key") -> Node:
    """The one entity ``ref`` names (a key, STIX id, ATT&CK id, address, domain, name or alias: see
    :func:`queries.search.ranked`): the one it identifies, else the one it names exactly, else its only
    match. Several: :class:`Ambiguous`, exact matches first. None, or only above ``clearance``: NotFound,
    the same words either way."""
    hits = ranked(store, clearance, ref)[:MAX_CHOICES]
    # As queries.search.resolve: the best exact rank (an identifier, else a name or alias) decides.
    best = min((h.match for h in hits if h.match <= Match.NAME), default=None)
    exact = [h.node for h in hits if h.match == best]
    if len(exact) == 1:
        return exact[0]
    if len(hits) == 1:
        return hits[0].node
    if hits:
        named = [h.node for h in hits if h.match <= Match.NAME]
        others = [h.node for h in hits if h.match > Match.NAME]
        raise Ambiguous(param, ref, named, others)
    raise NotFound(f"no entity matches {ref!r}")


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
    origin = entity(store, clearance, key)
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
    start = entity(store, clearance, source, "source")
    end = entity(store, clearance, target, "target")
    found = paths(
        store, clearance, start.key, end.key, max_length=max_length, k=k, edge_set=edge_set, kinds=kinds
    )
    graph = paths_graph(found)
    for node in (start, end):
        if node.key not in graph:
            graph.add_node(node.key, **node_attributes(node))
    lengths = ", ".join(str(p.length) for p in found)
    notes = (
        [f"{counted(len(found), 'path')} of {lengths} {plural(found[-1].length, 'hop')}."]
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
        title=f"Community {community} ({counted(graph.number_of_nodes(), 'entity', 'entities')})",
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
    """Where money from (``direction="out"``) or to (``"in"``) a wallet went: time-respecting transfers
    (:func:`queries.money.money_flow`), edge width by amount, the cash-out services it reached highlighted."""
    flow = money_flow(
        store,
        clearance,
        entity(store, clearance, wallet, "wallet").key,
        direction=direction,
        max_hops=max_hops,
        min_amount=min_amount,
        since=since,
        until=until,
        limit=limit,
    )
    services = [d for d in flow.destinations if d.service]
    notes = [
        f"Reached {d.node.name} ({d.service}): {d.total:,.6g}{' ' + d.asset if d.asset else ''} "
        f"in {counted(d.transfers, 'transfer')}, {counted(d.min_hops, 'hop')} at least."
        for d in services[:5]
    ]
    if not flow.destinations:
        notes.append("No visible transfer follows from this wallet in this direction.")
    arrow = "from" if direction == "out" else "into"
    return View(
        kind="money",
        title=f"Money flow {arrow} {flow.origin.name}",
        graph=network_graph(flow.network),
        focus=[flow.origin.key, *(d.node.key for d in services[:5])],
        notes=notes,
        truncated=flow.network.truncated,
    )


def plan_view(store: GraphStore, clearance: TLP, plan: Plan) -> View:
    """A takedown plan on the graph it was made on: before, after removal, and what recovery reconnects."""
    try:
        scope = Scope.from_dict(plan.scope)
    except TypeError as exc:
        raise InvalidArgument(f"plan scope: {exc}") from None
    # The graph the planner worked on: the scope, by default over the operational edge set.
    graph = scope_graph(store, clearance, scope.with_defaults(edge_set=DEFAULT_EDGE_SET))
    targets = [t.key for t in plan.targets if t.key in graph]
    notes: list[str] = [plan.verdict["text"]] if plan.verdict else []
    absent = len(plan.targets) - len(targets)
    if absent:
        notes.append(
            f"{counted(absent, 'target')} of the plan {plural(absent, 'is', 'are')} not in this graph at "
            "your clearance."
        )
    if not targets:
        raise NotFound("none of the plan's targets is in its scope at this clearance")
    probability = float((plan.recovery or {}).get("probability") or 1.0)
    for u, v, why in recovery_links(graph, targets, probability):
        graph.add_edge(u, v, key=f"recovery:{u}>{v}", type=RECOVERY, why=why)
    gone = set(targets)
    return View(
        kind="plan",
        title=f"Takedown plan: {counted(len(targets), 'target')}, objective {plan.objective}",
        graph=graph,
        focus=targets,
        notes=notes,
        measures=plan_measures(plan),
        states={"before": (set(), {RECOVERY}), "after": (gone, {RECOVERY}), "recovery": (gone, set())},
        state_labels={"before": "Before", "after": "After removal", "recovery": "After recovery"},
        badges={key: f"TARGET {number}: " for number, key in enumerate(targets, start=1)},
        truncated=bool(graph.graph.get("truncated")),
    )


INVESTIGATION = "crimegraph-investigation"  # the "format" of a saved investigation (the page's Save)


def saved_keys(saved: object, *, limit: int) -> list[str]:
    """The entity keys a saved investigation holds (drawn ones and the members of its aggregates)."""
    if not isinstance(saved, dict) or saved.get("format") != INVESTIGATION:
        raise InvalidArgument(f'not a saved investigation (a JSON object with "format": "{INVESTIGATION}")')
    keys: list[str] = []
    for item in saved.get("nodes") or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            keys.append(item["key"])
    for group in saved.get("groups") or []:
        if isinstance(group, dict):
            keys.extend(k for k in group.get("members") or [] if isinstance(k, str))
    keys = list(dict.fromkeys(keys))
    if len(keys) > limit:
        raise LimitExceeded(f"a saved investigation of {len(keys)} entities is over the limit of {limit}")
    return keys


def investigation_view(store: GraphStore, clearance: TLP, keys: Sequence[str]) -> View:
    """A saved investigation read again at ``clearance``: the entities it holds that this caller may see
    and the links among them; the others are counted in a note, never named."""
    nodes = store.nodes(keys, clearance=clearance)
    links = store.links(sorted(nodes), clearance=clearance, types=frozenset(store.model.edges))
    inside = [link for link in links if link.source in nodes and link.target in nodes]
    graph = to_networkx(nodes.values(), store.edges(inside, clearance=clearance))
    notes = []
    left = len(set(keys)) - len(nodes)
    if left:
        notes.append(
            f"{left} entit{'y' if left == 1 else 'ies'} of the saved investigation "
            f"{'is' if left == 1 else 'are'} not shown: above your clearance or no longer in the store."
        )
    return View(kind="investigation", title="Saved investigation (reopened)", graph=graph, notes=notes)


def plan_clearance(data: object) -> TLP | None:
    """The clearance a plan's JSON says it was made at (``"clearance"``), None when it says none;
    InvalidArgument when it names no TLP level."""
    value = data.get("clearance") if isinstance(data, dict) else None
    if value in (None, ""):
        return None
    try:
        return TLP.parse(str(value))
    except ValueError as exc:
        raise InvalidArgument(f"plan clearance: {exc}") from None


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


def recovery_links(
    graph: nx.MultiDiGraph, removed: Sequence[str], probability: float = 1.0, *, seed: int = 0
) -> list[tuple[str, str, str]]:
    """The ties the survivors would form after ``removed`` are taken out, by the planner's recovery model
    (:func:`queries.disruption.recovery.recover`: triadic closure and attachment to the best-connected
    surviving contact), with the rewiring ``probability`` the plan used (1: everything that could)."""
    simple = to_disruption_graph(graph)
    rewired = recover(simple, removed, probability, seed=seed)
    why = "a tie the survivors could form to route around the takedown (recovery by rewiring)"
    return sorted(
        (min(str(u), str(v)), max(str(u), str(v)), why)
        for u, v, types in rewired.edges(data="types")
        if types == {"RECOVERED"}
    )
