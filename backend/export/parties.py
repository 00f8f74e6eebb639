"""Who can act on a takedown target: its hosting provider or AS, its registrar, the exchange or wallet service
holding it, the operator of the forum it lives on - and where that party sits, when the data knows.

Everything is read through the requester's clearance: a provider known only from an AMBER report is not
named in a GREEN package (the target then goes to the next party the visible data supports).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from graph_model.entities import Node
from graph_model.provenance import TLP
from graph_model.store import GraphStore

HOSTING = "hosting provider"
NETWORK = "network operator (AS)"
REGISTRAR = "domain registrar"
WALLET_SERVICE = "exchange or wallet service"
FORUM_OPERATOR = "forum operator"
LAW_ENFORCEMENT = "law enforcement"
VENUES = frozenset({"forum", "marketplace", "channel"})
# What a target's party is looked for along, and how far.
HOSTING_EDGES = ("HOSTED_ON", "RESOLVES_TO", "BELONGS_TO")


@dataclass(frozen=True, slots=True)
class Party:
    """One party that can act; ``key`` is its node where it is one (a provider, an AS, a forum)."""

    kind: str
    name: str
    jurisdiction: str | None = None
    key: str | None = None

    @property
    def id(self) -> tuple[str, str]:
        return (self.kind, self.key or self.name)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "jurisdiction": self.jurisdiction, "key": self.key}


def _around(store: GraphStore, clearance: TLP, key: str, depth: int, edge_set: str | None) -> nx.MultiDiGraph:
    found = store.neighbourhood([key], clearance=clearance, depth=depth, edge_set=edge_set, limit=300)
    return found.to_networkx()


def _country(attrs: dict[str, Any]) -> str | None:
    country = attrs.get("country")
    return str(country) if country else None


def _hosting(graph: nx.MultiDiGraph, key: str) -> Party | None:
    """The provider (else the AS) reached from ``key`` along hosting links, nearest first."""
    seen = {key}
    frontier = [key]
    first_as: tuple[str, dict[str, Any]] | None = None
    jurisdiction = _country(graph.nodes[key])
    for _ in range(4):
        nxt = []
        for node in frontier:
            for _, target, data in sorted(graph.out_edges(node, data=True), key=lambda e: str(e[1])):
                if data["type"] not in HOSTING_EDGES or target in seen:
                    continue
                seen.add(target)
                attrs = graph.nodes[target]
                if attrs["kind"] != "Infrastructure":
                    continue
                jurisdiction = jurisdiction or _country(attrs)
                if attrs["type"] == "provider":
                    return Party(HOSTING, attrs["name"], _country(attrs) or jurisdiction, target)
                if attrs["type"] == "asn" and first_as is None:
                    first_as = (target, attrs)
                nxt.append(target)
        frontier = sorted(nxt)
    if first_as is not None:
        as_key, attrs = first_as
        label = f"AS{as_key.partition(':')[2]}" + (f" {attrs['as_name']}" if attrs.get("as_name") else "")
        return Party(NETWORK, label, _country(attrs) or jurisdiction, as_key)
    return None


def _registrar(node: Node) -> Party:
    domain = node.key.partition(":")[2]
    if node.type == "email":
        domain = domain.rpartition("@")[2]
    tld = domain.rpartition(".")[2] or domain
    return Party(REGISTRAR, f"registrar of .{tld} domains (registry of .{tld})", None)


def _infrastructure(store: GraphStore, clearance: TLP, node: Node) -> Party:
    if node.type == "provider":
        return Party(HOSTING, node.name, _country(node.props), node.key)
    if node.type in ("domain", "email"):
        return _registrar(node)
    graph = _around(store, clearance, node.key, 3, "infrastructure")
    if node.type == "asn":
        hosting = _hosting(graph, node.key)
        if hosting is not None and hosting.kind == HOSTING:
            return hosting
        label = f"AS{node.key.partition(':')[2]}" + (
            f" {node.props['as_name']}" if node.props.get("as_name") else ""
        )
        return Party(NETWORK, label, _country(node.props), node.key)
    hosting = _hosting(graph, node.key)
    if hosting is not None:
        return hosting
    return Party(HOSTING, "hosting provider not known", _country(node.props))


def _wallet(store: GraphStore, clearance: TLP, node: Node) -> Party:
    service = node.props.get("service")
    if service:
        return Party(WALLET_SERVICE, str(service), None)
    graph = _around(store, clearance, node.key, 1, "money")
    received: dict[str, float] = {}
    for _, target, data in graph.out_edges(node.key, data=True):
        attrs = graph.nodes[target]
        if data["type"] == "TRANSFERRED" and attrs.get("service"):
            received[str(attrs["service"])] = received.get(str(attrs["service"]), 0.0) + float(
                data.get("amount") or 0.0
            )
    if received:  # the service it cashes out to can freeze what arrives
        best = max(sorted(received), key=lambda s: received[s])
        return Party(WALLET_SERVICE, best, None)
    return Party(WALLET_SERVICE, f"unknown {node.type.upper()} service", None)


def _venue(graph: nx.MultiDiGraph, key: str) -> str | None:
    """The forum a handle is most active on, or the forum a thread or post belongs to."""
    counts: dict[str, float] = {}
    for source, target, data in graph.edges(data=True):
        other = target if source == key else source if target == key else None
        if (
            other is None
            and data["type"] == "PART_OF"
            and source in graph
            and graph.nodes[source]["type"]
            in (
                "thread",
                "post",
            )
        ):
            other = target
        if other is None or graph.nodes[other]["kind"] != "Forum" or graph.nodes[other]["type"] not in VENUES:
            continue
        counts[other] = counts.get(other, 0.0) + 1.0 + float(data.get("posts") or 0)
    return max(sorted(counts), key=lambda k: counts[k]) if counts else None


def _forum_operator(graph: nx.MultiDiGraph, venue: str) -> Party:
    attrs = graph.nodes[venue]
    return Party(FORUM_OPERATOR, f"operator of {attrs['name']}", None, venue)


def party_of(store: GraphStore, clearance: TLP, node: Node) -> Party:
    """The party that can act on ``node`` (see the module docstring)."""
    if node.kind == "Infrastructure":
        return _infrastructure(store, clearance, node)
    if node.kind == "Wallet":
        return _wallet(store, clearance, node)
    if node.kind == "Forum" and node.type in VENUES:
        graph = _around(store, clearance, node.key, 3, "infrastructure")
        hosting = _hosting(graph, node.key)
        if hosting is not None:
            return hosting
        return Party(LAW_ENFORCEMENT, "law enforcement", None)
    if node.kind == "Forum" or (node.kind == "Actor" and node.type == "handle"):
        graph = _around(store, clearance, node.key, 2, "forum")
        venue = _venue(graph, node.key)
        if venue is not None:
            return _forum_operator(graph, venue)
    country = _country(node.props)
    return Party(LAW_ENFORCEMENT, "law enforcement" + (f" ({country})" if country else ""), country)
