"""The answers of ``queries/``: one vocabulary shared by the API, the views, the CLI and the exports.

Results hold the store's own :class:`~graph_model.entities.Node` and :class:`~graph_model.entities.Edge`
records (already filtered by the caller's clearance), so every surface shows the same provenance.
``as_dict`` gives the JSON form the CLI prints and files carry; :class:`Plan` also reads it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graph_model.entities import Edge, Node
from graph_model.errors import InvalidArgument
from graph_model.store.base import Link


def node_dict(node: Node) -> dict[str, Any]:
    """A node as JSON: identity, display, properties and provenance."""
    return {
        "key": node.key,
        "kind": node.kind,
        "type": node.type,
        "name": node.name,
        "aliases": list(node.props.get("aliases", ())),
        "properties": {k: v for k, v in node.props.items() if k != "aliases"},
        "provenance": prov_dict(node),
    }


def edge_dict(edge: Edge) -> dict[str, Any]:
    """An edge as JSON: type, ends (node keys), properties and provenance."""
    return {
        "key": edge.key,
        "type": edge.type,
        "source": edge.source,
        "target": edge.target,
        "properties": dict(edge.props),
        "provenance": prov_dict(edge),
    }


def prov_dict(item: Node | Edge) -> dict[str, Any]:
    prov = item.prov
    return {
        "sources": sorted(prov.sources),
        "first_seen": prov.first_seen,
        "last_seen": prov.last_seen,
        "confidence": prov.confidence,
        "tlp": prov.tlp.label,
    }


@dataclass(slots=True)
class Network:
    """Nodes and edges to show together (a neighbourhood, a community, a money flow).

    ``truncated`` says a limit cut the result short; ``collapsed`` maps each hub whose neighbours were
    left out to how many were hidden, and ``hidden_count`` is their total.
    """

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False
    collapsed: dict[str, int] = field(default_factory=dict)
    # Links a time window left out for carrying no observed date (0 without a window).
    undated_left_out: int = 0

    @property
    def hidden_count(self) -> int:
        return sum(self.collapsed.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "nodes": [node_dict(n) for n in self.nodes],
            "edges": [edge_dict(e) for e in self.edges],
            "truncated": self.truncated,
            "hidden_count": self.hidden_count,
            "collapsed": dict(self.collapsed),
        }


@dataclass(slots=True)
class Path:
    """One path: ``nodes[i]`` and ``nodes[i + 1]`` are joined by ``edges[i]`` (in either direction)."""

    nodes: list[Node]
    edges: list[Edge]

    @property
    def length(self) -> int:
        return len(self.edges)

    def as_dict(self) -> dict[str, Any]:
        return {
            "length": self.length,
            "nodes": [node_dict(n) for n in self.nodes],
            "edges": [edge_dict(e) for e in self.edges],
        }


@dataclass(slots=True)
class Ranked:
    """A node with a score (centrality, shared infrastructure, common associates, disruption).

    ``detail`` holds the numbers behind the score (e.g. ``{"shared": 3, "linked_to": 2}``); ``why`` says
    it in words where the question calls for it.
    """

    node: Node
    score: float
    detail: dict[str, Any] = field(default_factory=dict)
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"node": node_dict(self.node), "score": self.score, "detail": self.detail, "why": self.why}


@dataclass(slots=True)
class Community:
    """One community: its id (see :func:`queries.partition.partition`), size and its members."""

    id: str
    size: int
    members: list[Node]
    internal_edges: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    top: list[Node] = field(default_factory=list)  # the best-linked members (degree inside), best first

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "size": self.size,
            "internal_edges": self.internal_edges,
            "kinds": dict(self.kinds),
            "top": [node_dict(n) for n in self.top],
            "members": [node_dict(n) for n in self.members],
        }


@dataclass(slots=True)
class Destination:
    """Where money from a wallet ended up: totals over the time-respecting transfers that reach it."""

    node: Node
    total: float
    transfers: int
    min_hops: int
    asset: str | None = None
    service: str | None = None  # exchange, mixer, cash-out ... where the data knows it

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": node_dict(self.node),
            "total": self.total,
            "transfers": self.transfers,
            "min_hops": self.min_hops,
            "asset": self.asset,
            "service": self.service,
        }


@dataclass(frozen=True, slots=True)
class Transfer:
    """One transfer among parallel ones: its edge key, transaction, time, amount and marking."""

    key: str
    tx_id: str | None
    time: str | None  # the transfer's ``time``, else its first seen; None when undated
    amount: float | None
    asset: str | None
    amount_usd: float | None
    tlp: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "tx_id": self.tx_id,
            "time": self.time,
            "amount": self.amount,
            "asset": self.asset,
            "amount_usd": self.amount_usd,
            "tlp": self.tlp,
        }


@dataclass(frozen=True, slots=True)
class ParallelTransfers:
    """The transfers from one wallet to another, taken together (:func:`queries.money.parallel_transfers`).

    ``total`` adds the known amounts when they are all of one asset (``asset``; None when assets differ,
    then ``totals`` per asset is the answer); ``total_usd`` adds the USD values where known, and
    ``usd_known`` says of how many transfers. ``first``/``last`` span the dated transfers; ``undated``
    counts the others. ``tlp`` is the most restrictive marking among them.
    """

    source: str
    target: str
    count: int
    total: float | None
    asset: str | None
    totals: dict[str, float]
    total_usd: float | None
    usd_known: int
    first: str | None
    last: str | None
    undated: int
    tlp: str
    transfers: tuple[Transfer, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "count": self.count,
            "total": self.total,
            "asset": self.asset,
            "totals": dict(self.totals),
            "total_usd": self.total_usd,
            "usd_known": self.usd_known,
            "first": self.first,
            "last": self.last,
            "undated": self.undated,
            "tlp": self.tlp,
            "transfers": [t.as_dict() for t in self.transfers],
        }


@dataclass(slots=True)
class MoneyFlow:
    """Time-respecting transfers from (or to) a wallet, and totals per destination."""

    origin: Node
    direction: str
    network: Network
    destinations: list[Destination]
    # The network's transfers as links (keys, types, ends), in the order of ``network.edges``; with
    # ``money_flow(records=False)`` the network holds no records and these alone.
    links: list[Link] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": node_dict(self.origin),
            "direction": self.direction,
            "network": self.network.as_dict(),
            "destinations": [d.as_dict() for d in self.destinations],
        }


@dataclass(slots=True)
class TimelineEntry:
    """One edge of an entity, with the entity at its other end, in time order."""

    edge: Edge
    other: Node
    first_seen: str | None
    last_seen: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "edge": edge_dict(self.edge),
            "other": node_dict(self.other),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }


@dataclass(slots=True)
class Target:
    """One takedown target in a plan or a score list: the JSON shape the planner's interfaces fix.

    ``why`` is the English text; ``why_message`` the same as data (``{"text", "id", "values"}``, see
    :mod:`queries.disruption.words`). In a plan ``gain`` is what the pick adds to the objective given the
    picks before it (always positive) and ``rank`` its position; in a score list ``rank`` is the node's
    rank, ``score`` its 0-100 score and ``components`` each measure raw and as a percentile. ``actions``
    are the requests the action table allows (:mod:`queries.disruption.actions`), ``substitutes`` the
    measured substitutability. Optional fields are left out of the JSON when unset.
    """

    key: str
    name: str
    kind: str
    score: float
    cost: float = 1.0
    why: str = ""
    type: str | None = None
    rank: int | None = None
    gain: float | None = None
    why_message: dict[str, Any] | None = None
    actions: list[dict[str, Any]] | None = None
    substitutes: dict[str, Any] | None = None
    components: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.rank is not None:
            data["rank"] = self.rank
        data.update(key=self.key, name=self.name, kind=self.kind)
        if self.type is not None:
            data["type"] = self.type
        data["score"] = self.score
        if self.gain is not None:
            data["gain"] = self.gain
        data["cost"] = self.cost
        data["why"] = self.why
        for name in ("why_message", "actions", "substitutes", "components"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


@dataclass(slots=True)
class Plan:
    """Targets in order with the network's measures before and after their removal.

    JSON: ``{"verdict": {"text", "id", "values"}, "targets": [{"rank", "key", "name", "kind", "type",
    "score", "gain", "cost", "why", "why_message", "actions", "substitutes"}, ...], "before": {...},
    "after": {...}}`` plus ``objective``, ``scope`` (a :meth:`queries.scope.Scope.as_dict`) and, where
    computed, ``recovery`` (the measures after the network rewires), ``budget`` (what was asked, used and
    left unused, and why) and ``search`` (the deterministic work budget, the candidate pool, whether a
    time limit cut it). Views and takedown packages read plans back with :meth:`from_dict`; the format
    is documented in docs/disruption.md ("Output").
    """

    targets: list[Target]
    before: dict[str, Any]
    after: dict[str, Any]
    objective: str = "fragmentation"
    scope: dict[str, Any] = field(default_factory=dict)
    recovery: dict[str, Any] | None = None
    verdict: dict[str, Any] | None = None
    budget: dict[str, Any] | None = None
    search: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.verdict is not None:
            data["verdict"] = self.verdict
        data.update(
            targets=[t.as_dict() for t in self.targets],
            before=self.before,
            after=self.after,
            objective=self.objective,
            scope=self.scope,
        )
        for name in ("recovery", "budget", "search"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """A plan from its JSON; InvalidArgument naming what is missing or malformed."""
        if not isinstance(data, Mapping) or not isinstance(data.get("targets"), list):
            raise InvalidArgument('a plan is a JSON object with a "targets" list')
        targets: list[Target] = []
        for index, item in enumerate(data["targets"]):
            if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
                raise InvalidArgument(f"plan target {index} has no key")
            try:
                targets.append(
                    Target(
                        key=item["key"],
                        name=str(item.get("name", item["key"])),
                        kind=str(item.get("kind", "")),
                        score=float(item.get("score", 0.0)),
                        cost=float(item.get("cost", 1.0)),
                        why=str(item.get("why", "")),
                        type=_text_or_none(item.get("type")),
                        rank=int(item["rank"]) if item.get("rank") is not None else None,
                        gain=float(item["gain"]) if item.get("gain") is not None else None,
                        why_message=_message_or_none(item.get("why_message")),
                        actions=_list_or_none(item.get("actions")),
                        substitutes=_mapping_or_none(item.get("substitutes")),
                    )
                )
            except (TypeError, ValueError):
                raise InvalidArgument(
                    f"plan target {index}: rank, score, gain and cost must be numbers"
                ) from None
        return cls(
            targets=targets,
            before=dict(data.get("before") or {}),
            after=dict(data.get("after") or {}),
            objective=str(data.get("objective", "fragmentation")),
            scope=dict(data.get("scope") or {}),
            recovery=dict(data["recovery"]) if data.get("recovery") else None,
            verdict=_message_or_none(data.get("verdict")),
            budget=_mapping_or_none(data.get("budget")),
            search=_mapping_or_none(data.get("search")),
        )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _mapping_or_none(value: Any) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None


def _list_or_none(value: Any) -> list[Any] | None:
    return list(value) if isinstance(value, list) else None


def _message_or_none(value: Any) -> dict[str, Any] | None:
    """A ``{"text", "id", "values"}`` message as read from JSON (None when it is not one)."""
    if not isinstance(value, Mapping) or not isinstance(value.get("id"), str):
        return None
    values = value.get("values")
    return {
        "text": str(value.get("text", "")),
        "id": value["id"],
        "values": dict(values) if isinstance(values, Mapping) else {},
    }
