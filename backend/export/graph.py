"""The graph an export writes: the scope read through the requester's clearance, and nothing above it."""

from __future__ import annotations

import networkx as nx

from graph_model.provenance import TLP
from graph_model.store import GraphStore
from queries.money import TRANSFER, parallel_transfers
from queries.scope import Scope, scope_graph


def export_graph(store: GraphStore, clearance: TLP, scope: Scope) -> nx.MultiDiGraph:
    """The scope's visible subgraph; any node or edge marked above ``clearance`` is dropped as well.

    The store already reads through the clearance; the second check keeps an export safe should a
    store ever hand back more than it should (a file, once sent, cannot be called back).
    """
    graph = scope_graph(store, clearance, scope)
    above = [n for n, data in graph.nodes(data=True) if TLP.parse(data["tlp"]) > clearance]
    graph.remove_nodes_from(above)
    hidden = [
        (u, v, k) for u, v, k, data in graph.edges(keys=True, data=True) if TLP.parse(data["tlp"]) > clearance
    ]
    graph.remove_edges_from(hidden)
    return graph


def discriminator(edge_key: str, edge_type: str, source: str, target: str) -> str:
    """The discriminator part of an edge key (``TYPE|source|target|discriminator``)."""
    return edge_key[len(f"{edge_type}|{source}|{target}|") :]


def aggregate_transfers(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy of ``graph`` whose parallel transfers (TRANSFERRED edges between the same two wallets, in
    one direction) are one edge each: ``count``, ``total`` and ``asset`` (or ``totals`` per asset when
    assets differ), ``total_usd`` where known, first/last seen the first and last transfer, ``tx_ids``,
    the most restrictive marking and the lowest confidence (:func:`queries.money.parallel_transfers`).

    Its key is ``TRANSFERRED|source|target|*``: no stored edge has ``*`` as its discriminator.
    """
    out = nx.MultiDiGraph(graph)
    pairs = parallel_transfers(graph)
    for pair in pairs:
        source, target = pair.source, pair.target
        parts = [graph.edges[source, target, t.key] for t in pair.transfers]
        out.remove_edges_from([(source, target, t.key) for t in pair.transfers])
        data: dict[str, object] = {
            "type": TRANSFER,
            "count": pair.count,
            "tlp": pair.tlp,
            "confidence": min(int(p.get("confidence") or 0) for p in parts),
            "first_seen": pair.first,
            "last_seen": pair.last,
            "sources": sorted({s for p in parts for s in p.get("sources") or ()}),
            "tx_ids": [t.tx_id for t in pair.transfers if t.tx_id],
        }
        if pair.total is not None:
            data["amount"] = pair.total
        if pair.asset is not None:
            data["asset"] = pair.asset
        if pair.asset is None and pair.totals:
            data["totals"] = [f"{asset or '?'} {value}" for asset, value in pair.totals.items()]
        if pair.total_usd is not None:
            data["amount_usd"] = pair.total_usd
            data["usd_known"] = pair.usd_known
        out.add_edge(source, target, key=f"{TRANSFER}|{source}|{target}|*", **data)
    return out
