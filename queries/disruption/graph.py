"""The graph a takedown acts on: a scope read through the caller's clearance, undirected and simple.

Nodes keep ``kind``, ``type``, ``name``, ``roles``, a ``layer`` (actor / infrastructure / money / forum /
capability, from the node kind) and the node's own ``cost`` property when it has one; each edge keeps the
set of relationship ``types`` it merges. Money is directed, so the transfers and ownerships are kept
beside it as ``graph.graph["money"]`` (a DiGraph) with the cash-out services in ``graph.graph["cashout"]``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
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


@dataclass(slots=True)
class DisruptionArrays:
    """The graph :func:`disruption_graph` reads, as arrays: what scoring every node needs, without a
    networkx object per node and edge (a whole-graph read at 100,000 nodes builds in a tenth of the
    time).

    ``ix`` is the :class:`~queries.disruption.measures.Indexed` the disruption graph's ``Indexed.of``
    gives (nodes in key order, sorted neighbours), ``layers`` each node's layer, ``degree`` its degree;
    :meth:`local_graph` is the disruption graph around a few nodes, for their costs and explanations.
    """

    ix: Any  # Indexed
    layers: list[str]
    degree: Any  # numpy int64 array
    rows: dict[Hashable, dict[str, Any]]  # each read node's attributes, as the store gave them
    ends: Any  # (source, target, type code) of every edge read but self-loops, numpy arrays
    types: list[str]  # the relationship type of each code
    scope: Scope

    def local_graph(self, around: Iterable[Hashable]) -> nx.Graph:
        """The disruption graph restricted to ``around``, their neighbours and every edge that touches
        ``around``: the nodes of ``around`` have there the attributes, ties, relationship types and money
        edges they have in :func:`build_disruption_graph`'s whole graph (amounts aside), so their costs,
        conditions and labels are the same."""
        import numpy as np

        ix = self.ix
        listed = np.zeros(len(ix), dtype=np.bool_)
        for node in around:
            listed[ix.index[node]] = True
        near = listed.copy()
        for i in np.flatnonzero(listed).tolist():
            near[ix.adj[i]] = True
        source, target, code = self.ends
        touching = np.flatnonzero(listed[source] | listed[target]).tolist()
        nodes = ix.nodes
        rows = self.rows
        graph = build_disruption_graph(
            ((nodes[i], rows[nodes[i]]) for i in np.flatnonzero(near).tolist() if nodes[i] in rows),
            ((nodes[source[e]], nodes[target[e]], self.types[code[e]], {}) for e in touching),
        )
        graph.graph["scope"] = self.scope
        graph.graph["truncated"] = False
        return graph


def arrays_of(
    nodes: Iterable[tuple[Hashable, dict[str, Any]]],
    edges: Iterable[tuple[Hashable, Hashable, str, dict[str, Any]]],
    scope: Scope | None = None,
) -> DisruptionArrays:
    """:class:`DisruptionArrays` from node and edge tuples, as :func:`build_disruption_graph` takes them:
    the same nodes in the same order (key order, then edge ends not among the nodes as they come), the
    same ties (the tests compare).

    Examples
    --------
    >>> nodes = [("b", {"kind": "Wallet"}), ("a", {})]
    >>> found = arrays_of(nodes, [("a", "b", "OWNS", {}), ("b", "b", "OWNS", {})])
    >>> found.ix.nodes, found.ix.adj, found.layers, found.degree.tolist()
    (['a', 'b'], [[1], [0]], ['actor', 'money'], [1, 1])
    >>> arrays_of([("a", {}), ("b", {}), ("a", {"kind": "Wallet"})], [])
    Traceback (most recent call last):
    ...
    ValueError: node 'a' read more than once: GraphStore.topology gives each node once
    """
    import numpy as np

    from queries.disruption.measures import Indexed

    ordered = sorted(nodes, key=lambda item: str(item[0]))
    rows = dict(ordered)
    if len(rows) < len(ordered):  # a store gives each node once (GraphStore.topology): say which it repeated
        again = next(a for a, b in zip(ordered, ordered[1:], strict=False) if a[0] == b[0])[0]
        raise ValueError(f"node {again!r} read more than once: GraphStore.topology gives each node once")
    keys = list(rows)
    index = {key: i for i, key in enumerate(keys)}
    edges = edges if isinstance(edges, list) else list(edges)
    count = len(edges)
    ends: tuple[Any, ...] = tuple(zip(*edges, strict=True)) if edges else ((), (), (), ())
    try:  # every edge's ends among the read nodes, as the stores read them: mapped in one pass
        source = np.fromiter(map(index.__getitem__, ends[0]), dtype=np.int64, count=count)
        target = np.fromiter(map(index.__getitem__, ends[1]), dtype=np.int64, count=count)
    except KeyError:
        # an edge's end that is no read node: added as build_disruption_graph adds it (not through a
        # self-loop, which it skips)
        edges = [edge for edge in edges if edge[0] != edge[1]]
        for u, v, _, _ in edges:
            for end in (u, v):
                if end not in index:
                    index[end] = len(keys)
                    keys.append(end)
        count = len(edges)
        ends = tuple(zip(*edges, strict=True)) if edges else ((), (), (), ())
        source = np.fromiter(map(index.__getitem__, ends[0]), dtype=np.int64, count=count)
        target = np.fromiter(map(index.__getitem__, ends[1]), dtype=np.int64, count=count)
    kinds = sorted(set(ends[2]))
    codes = {kind: c for c, kind in enumerate(kinds)}
    code = np.fromiter(map(codes.__getitem__, ends[2]), dtype=np.int32, count=count)
    keep = source != target  # self-loops are no ties
    source, target, code = source[keep], target[keep], code[keep]
    n = len(keys)
    pair = np.sort(np.minimum(source, target) * n + np.maximum(source, target))
    pair = pair[np.concatenate([[True], pair[1:] != pair[:-1]])] if len(pair) else pair  # each tie once
    low, high = pair // n, pair % n
    entry = np.sort(np.concatenate([low * n + high, high * n + low]))
    ix = Indexed.from_arrays(keys, entry // n, entry % n)
    layers = [layer_of(str(attrs.get("kind") or "Actor")) for attrs in rows.values()]
    layers += ["actor"] * (n - len(layers))  # ends read only through an edge have no attributes
    degree = np.bincount(entry // n, minlength=n).astype(np.int64)
    typed = (source.astype(np.int32), target.astype(np.int32), code)
    return DisruptionArrays(ix, layers, degree, rows, typed, kinds, scope or Scope())


def disruption_arrays(store: GraphStore, clearance: TLP, scope: Scope) -> DisruptionArrays | None:
    """:func:`disruption_graph` as :class:`DisruptionArrays` when the scope is read whole (kinds and an
    edge set, no keys, community or time window); ``None`` otherwise. Money amounts are not read."""
    scope = scope.with_defaults(edge_set=DEFAULT_EDGE_SET).check(store.model)
    if scope.keys or scope.community is not None or scope.window is not None:
        return None
    nodes, edges = store.topology(
        clearance=clearance,
        kinds=list(scope.kinds) or None,
        edge_set=scope.edge_set,
        node_props=("roles", *NODE_PROPS),
    )
    return arrays_of(nodes, edges, scope)


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
