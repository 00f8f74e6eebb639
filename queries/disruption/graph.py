"""The graph a takedown acts on: a scope read through the caller's clearance, undirected and simple.

Nodes keep ``kind``, ``type``, ``name``, ``roles``, a ``layer`` (actor / infrastructure / money / forum /
capability, from the node kind) and the node's own ``cost`` property when it has one; each edge keeps the
set of relationship ``types`` it merges. Money is directed, so the transfers and ownerships are kept
beside it as ``graph.graph["money"]`` (a DiGraph) with the cash-out services in ``graph.graph["cashout"]``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import networkx as nx

from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.scope import Scope, scope_graph

DEFAULT_EDGE_SET = "operational"
LAYERS: dict[str, str] = {
    "Actor": "actor",
    "Infrastructure": "infrastructure",
    "Wallet": "money",
    "Forum": "forum",
}
OTHER_LAYER = "capability"
MONEY_EDGES = frozenset({"TRANSFERRED", "COLLECTS_INTO", "OWNS"})
# Wallet services where criminal money leaves the chain for fiat or clean coins.
CASHOUT_SERVICES = frozenset(
    {"exchange", "cash-out", "cashout", "otc", "atm", "gambling", "payment-processor"}
)


# Node properties the graph keeps (besides kind/type/name/roles), and where a money edge's amount is.
NODE_PROPS = ("cost", "bulletproof", "service", "service_type", "escrow")
AMOUNT_PROPS = ("amount_usd", "amount", "value")


def layer_of(kind: str) -> str:
    """The layer of a node kind: actor, infrastructure, money, forum, or capability for the rest."""
    return LAYERS.get(kind, OTHER_LAYER)


def is_cashout(attrs: dict[str, Any]) -> bool:
    """A wallet run by an exchange or another cash-out service."""
    if attrs.get("kind") != "Wallet":
        return False
    service_type = str(attrs.get("service_type") or "").lower()
    return service_type in CASHOUT_SERVICES


def to_disruption_graph(multi: nx.Graph) -> nx.Graph:
    """A store graph (any networkx graph) as the undirected simple graph the disruption functions use.

    Parameters
    ----------
    multi : networkx graph
        Typically :func:`queries.scope.scope_graph`'s MultiDiGraph; plain graphs work too.

    Returns
    -------
    networkx.Graph
        Self-loops dropped, parallel and opposite edges merged (``types`` is their union), node
        attributes ``kind``/``type``/``name``/``roles``/``layer`` (+ ``cost`` where known), and
        ``graph["money"]``/``graph["cashout"]`` for the money questions.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("a", kind="Actor", name="A")
    >>> g.add_node("w", kind="Wallet", name="W", service_type="exchange")
    >>> _ = g.add_edge("a", "w", type="OWNS")
    >>> simple = to_disruption_graph(g)
    >>> simple.nodes["w"]["layer"], sorted(simple.graph["cashout"])
    ('money', ['w'])
    """
    nodes = ((node, attrs) for node, attrs in multi.nodes(data=True))
    edges = ((u, v, str(attrs.get("type") or ""), attrs) for u, v, attrs in _edges(multi))
    return build_disruption_graph(nodes, edges)


def build_disruption_graph(
    nodes: Iterable[tuple[Hashable, dict[str, Any]]],
    edges: Iterable[tuple[Hashable, Hashable, str, dict[str, Any]]],
) -> nx.Graph:
    """:func:`to_disruption_graph` from node ``(key, attrs)`` and edge ``(source, target, type,
    attrs)`` tuples (what :meth:`GraphStore.topology` reads); nodes are added in key order, so every
    store gives the same graph."""
    simple: nx.Graph = nx.Graph()
    money: nx.DiGraph = nx.DiGraph()
    cashout: set[Hashable] = set()
    for node, attrs in sorted(nodes, key=lambda item: str(item[0])):
        kind = str(attrs.get("kind") or "Actor")
        data: dict[str, Any] = {
            "kind": kind,
            "type": str(attrs.get("type") or ""),
            "name": str(attrs.get("name") or node),
            "roles": tuple(attrs.get("roles") or ()),
            "layer": layer_of(kind),
        }
        for extra in NODE_PROPS:
            if attrs.get(extra) is not None:
                data[extra] = attrs[extra]
        simple.add_node(node, **data)
        if is_cashout(attrs):
            cashout.add(node)
    # Straight into the adjacency dicts (what add_edges_from builds, without its per-edge checks).
    adj = simple._adj
    amounts: dict[tuple[Hashable, Hashable], float] = {}
    for u, v, kind, attrs in edges:
        if u == v:
            continue
        if kind in MONEY_EDGES:
            amounts[u, v] = amounts.get((u, v), 0.0) + _amount(attrs)
        near = adj.get(u)
        if near is None:
            simple.add_node(u)
            near = adj[u]
        found = near.get(v)
        if found is None:
            if v not in adj:
                simple.add_node(v)
            near[v] = adj[v][u] = {"types": {kind}}
        else:
            found["types"].add(kind)
    money.add_edges_from((u, v, {"amount": amount}) for (u, v), amount in amounts.items())
    simple.graph["money"] = money
    simple.graph["cashout"] = frozenset(cashout)
    return simple


def disruption_graph(store: GraphStore, clearance: TLP, scope: Scope) -> nx.Graph:
    """The scope's visible graph (default edge set ``operational``) as :func:`to_disruption_graph` makes it.

    Examples
    --------
    >>> from graph_model import default_model
    >>> from graph_model.store.embedded import EmbeddedStore
    >>> store = EmbeddedStore(":memory:", default_model())
    >>> disruption_graph(store, TLP.RED, Scope()).number_of_nodes()
    0
    """
    scope = scope.with_defaults(edge_set=DEFAULT_EDGE_SET).check(store.model)
    if not scope.keys and scope.community is None and scope.window is None:
        # The whole graph (of some kinds and an edge set): a slim read, only what the graph keeps.
        nodes, edges = store.topology(
            clearance=clearance,
            kinds=list(scope.kinds) or None,
            edge_set=scope.edge_set,
            node_props=("roles", *NODE_PROPS),
            edge_props=AMOUNT_PROPS,
            props_of=MONEY_EDGES,
        )
        graph = build_disruption_graph(nodes, edges)
        graph.graph["scope"] = scope
        graph.graph["truncated"] = False
        return graph
    scoped = scope_graph(store, clearance, scope)
    graph = to_disruption_graph(scoped)
    graph.graph["scope"] = scoped.graph["scope"]
    graph.graph["truncated"] = scoped.graph.get("truncated", False)
    return graph


def _edges(graph: nx.Graph) -> Iterable[tuple[Hashable, Hashable, dict[str, Any]]]:
    yield from graph.edges(data=True)


def _amount(attrs: dict[str, Any]) -> float:
    for name in AMOUNT_PROPS:
        value = attrs.get(name)
        if isinstance(value, int | float):
            return float(value)
    return 1.0
