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
    simple: nx.Graph = nx.Graph()
    money: nx.DiGraph = nx.DiGraph()
    cashout: set[Hashable] = set()
    for node, attrs in multi.nodes(data=True):
        kind = str(attrs.get("kind") or "Actor")
        data: dict[str, Any] = {
            "kind": kind,
            "type": str(attrs.get("type") or ""),
            "name": str(attrs.get("name") or node),
            "roles": tuple(attrs.get("roles") or ()),
            "layer": layer_of(kind),
        }
        for extra in ("cost", "bulletproof", "service", "service_type", "escrow"):
            if attrs.get(extra) is not None:
                data[extra] = attrs[extra]
        simple.add_node(node, **data)
        if is_cashout(attrs):
            cashout.add(node)
    for u, v, attrs in _edges(multi):
        if u == v:
            continue
        kind = str(attrs.get("type") or "")
        if simple.has_edge(u, v):
            simple.edges[u, v]["types"].add(kind)
        else:
            simple.add_edge(u, v, types={kind})
        if kind in MONEY_EDGES:
            amount = _amount(attrs)
            if money.has_edge(u, v):
                money.edges[u, v]["amount"] += amount
            else:
                money.add_edge(u, v, amount=amount)
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
    scoped = scope_graph(store, clearance, scope.with_defaults(edge_set=DEFAULT_EDGE_SET))
    graph = to_disruption_graph(scoped)
    graph.graph["scope"] = scoped.graph["scope"]
    graph.graph["truncated"] = scoped.graph.get("truncated", False)
    return graph


def _edges(graph: nx.Graph) -> Iterable[tuple[Hashable, Hashable, dict[str, Any]]]:
    yield from graph.edges(data=True)


def _amount(attrs: dict[str, Any]) -> float:
    for name in ("amount_usd", "amount", "value"):
        value = attrs.get(name)
        if isinstance(value, int | float):
            return float(value)
    return 1.0
