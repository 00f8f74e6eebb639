"""Who receives each request of a takedown package: the party the action table names, found in the graph by
the rules of ``routing.yaml`` (registrar, registry, network, hosting, service, venue, unit), never a suspect.

Everything is read through the requester's clearance: a registrar known only from an AMBER source is not
named in a GREEN package (the request then goes where the visible data leads, in the end to the requester's
own unit for routing, saying why).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from graph_model.entities import Edge, Node
from graph_model.errors import NotFound
from graph_model.identity import node_key
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.base import edge_from_networkx
from graph_model.words import plural
from queries.disruption.actions import action_table

RULES = Path(__file__).with_name("routing.yaml")
UNIT = "law_enforcement"
VENUES = frozenset({"forum", "marketplace", "channel"})
OPERATED = frozenset({"OPERATES", "CONTROLS"})
VENUE_EDGES = frozenset({"ACTIVE_ON", "ADMINISTERS", "SELLS_ON", "POSTED", "PART_OF"})
MAX_UPSTREAMS = 3


@cache
def rules(path: Path = RULES) -> dict[str, Any]:
    """The routing rules, checked against the action table: every party it names has a rule."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    missing = set(action_table().parties) - set(data["parties"])
    if missing:
        raise ValueError(
            f"routing.yaml has no rule for the party {plural(len(missing), 'kind')} {sorted(missing)}"
        )
    for name, rule in data["parties"].items():
        if rule.get("fallback") and rule["fallback"] not in data["parties"]:
            raise ValueError(f"routing.yaml: {name} falls back to unknown party {rule['fallback']!r}")
    return data


@dataclass(frozen=True, slots=True)
class Party:
    """One addressee. ``kind`` is the action table's party id; ``key`` its node where it is one.

    ``country`` is where the party is (a unit: its jurisdiction); ``routed`` says why the request came here
    rather than to the party the table names (a message id of the language catalogues and its values);
    ``own_unit`` marks the requester's own unit receiving what the data names no party for.
    """

    kind: str
    name: str | None
    key: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None
    own_unit: bool = False

    @property
    def id(self) -> tuple[str, str]:
        return (self.kind, self.key or self.name or self.country or "own unit")

    @property
    def is_unit(self) -> bool:
        return self.kind == UNIT

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "key": self.key,
            "country": self.country,
            "email": self.email,
            "phone": self.phone,
            "own_unit": self.own_unit,
        }


Hop = tuple[str, str, str]  # source, target, edge key


@dataclass(slots=True)
class Routed:
    """The parties one request goes to, the notes on how it got there (message id and values), and per
    party the chain of links from the target to it (``via``: the evidence that it is the one to ask)."""

    parties: list[Party] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    via: dict[tuple[str, str], list[Hop]] = field(default_factory=dict)


def _country(value: Any) -> str | None:
    return str(value) if value else None


def _contact(attrs: dict[str, Any]) -> tuple[str | None, str | None]:
    return _country(attrs.get("abuse_email")), _country(attrs.get("abuse_phone"))


class Router:
    """Finds parties for one plan: ``targets`` are the plan's visible target keys (never addressees)."""

    def __init__(self, store: GraphStore, clearance: TLP, targets: Iterable[str]) -> None:
        self.store, self.clearance, self.targets = store, clearance, frozenset(targets)
        self.rules = rules()
        self._graphs: dict[tuple[str, str], nx.MultiDiGraph] = {}
        self._via: dict[str, list[Hop]] = {}  # the chain to each party the last find() found

    # -- the graph around a target -----------------------------------------------------------------
    def around(self, key: str, edge_set: str, depth: int) -> nx.MultiDiGraph:
        found = self._graphs.get((key, edge_set))
        if found is None:
            sub = self.store.neighbourhood(
                [key], clearance=self.clearance, depth=depth, edge_set=edge_set, limit=400
            )
            found = self._graphs[key, edge_set] = sub.to_networkx()
        return found

    def suspect(self, graph: nx.MultiDiGraph, key: str) -> bool:
        """A target of the plan, an actor, bulletproof, or run by an actor: never asked to act."""
        attrs = graph.nodes[key]
        if key in self.targets or attrs.get("kind") == "Actor" or attrs.get("bulletproof") is True:
            return True
        return any(
            data["type"] in OPERATED and graph.nodes[source].get("kind") == "Actor"
            for source, _, data in graph.in_edges(key, data=True)
        )

    def _walk(
        self,
        graph: nx.MultiDiGraph,
        start: str,
        follow: set[str],
        wanted: set[str],
        depth: int,
        parents: dict[str, Hop] | None = None,
    ) -> list[str]:
        """Nodes of the ``wanted`` types reached from ``start`` along ``follow`` edges, nearest first;
        ``parents`` receives the link each node was reached by."""
        seen, frontier, found = {start}, [start], []
        for _ in range(depth):
            step = []
            for node in frontier:
                edges = sorted(graph.out_edges(node, keys=True, data=True), key=lambda e: (str(e[1]), e[2]))
                for _, target, key, data in edges:
                    if data["type"] not in follow or target in seen:
                        continue
                    seen.add(target)
                    if parents is not None:
                        parents[target] = (node, target, key)
                    if graph.nodes[target].get("kind") != "Infrastructure":
                        continue
                    if graph.nodes[target].get("type") in wanted:
                        found.append(target)
                    step.append(target)
            frontier = sorted(step)
        return found

    def _party_node(self, graph: nx.MultiDiGraph, kind: str, key: str) -> Party:
        attrs = graph.nodes[key]
        email, phone = _contact(attrs)
        country = _country(attrs.get("country"))
        if country is None:  # an AS is where the organisation holding it is
            holders = [v for _, v, d in graph.out_edges(key, data=True) if d["type"] == "BELONGS_TO"]
            country = next((_country(graph.nodes[h].get("country")) for h in sorted(holders)), None)
        return Party(kind, str(attrs.get("name") or key), key, country, email, phone)

    @staticmethod
    def _chain(parents: dict[str, Hop], end: str) -> list[Hop]:
        chain: list[Hop] = []
        while end in parents:
            chain.append(parents[end])
            end = parents[end][0]
        return chain[::-1]

    def hops(self, chain: list[Hop]) -> list[tuple[Edge, Node, Node]]:
        """The links of a chain as the requester sees them, with their ends."""
        keys = sorted({end for hop in chain for end in hop[:2]})
        nodes = self.store.get_many(keys, clearance=self.clearance)
        found = []
        for source, target, key in chain:
            for graph in self._graphs.values():
                if graph.has_edge(source, target, key) and source in nodes and target in nodes:
                    found.append(
                        (edge_from_networkx(graph, source, target, key), nodes[source], nodes[target])
                    )
                    break
        return found

    # -- one party kind for one target -------------------------------------------------------------
    def find(self, target: Node, kind: str, *, seen: frozenset[str] = frozenset()) -> Routed:
        """The parties of ``kind`` that can act on ``target``, falling back as the rules say."""
        rule = self.rules["parties"][kind]
        routed = Routed()
        if rule.get("unit"):
            routed.parties.append(self.unit(target))
            return routed
        if rule.get("service"):
            found, note = self._service(target)
        elif rule.get("venue"):
            found, note = self._venue(target)
        else:
            found, note = self._infrastructure(target, kind, rule)
        if note:
            routed.notes.append(note)
        if found:
            routed.parties += found
            for party in found:
                routed.via[party.id] = list(self._via.get(party.key or "", []))
            return routed
        fallback = rule.get("fallback") or UNIT
        if fallback in seen or fallback == kind:
            fallback = UNIT
        if fallback == UNIT and UNIT in seen:
            return routed  # asked for a jurisdiction: a unit is no answer
        more = self.find(target, fallback, seen=seen | {kind})
        routed.parties += more.parties
        routed.notes += more.notes
        routed.via.update(more.via)
        return routed

    def _infrastructure(
        self, target: Node, kind: str, rule: dict[str, Any]
    ) -> tuple[list[Party], dict[str, Any] | None]:
        if target.kind not in ("Infrastructure", "Forum"):
            return [], {"id": "route.not_applicable", "values": {"party": kind}}
        graph = self.around(target.key, "infrastructure", int(rule.get("depth", 3)))
        if target.key not in graph:
            return [], None
        wanted = set(rule.get("to", ()))
        parents: dict[str, Hop] = {}
        if target.type in set(rule.get("self", ())):
            candidates = [target.key]
        else:
            follow = set(rule.get("follow", ()))
            candidates = self._walk(graph, target.key, follow, wanted, int(rule["depth"]), parents)
        if not candidates:
            return [], {"id": "route.none_found", "values": {"party": kind}}
        nearest = candidates[0]
        chain = self._chain(parents, nearest)
        if not self.suspect(graph, nearest):
            self._via[nearest] = chain
            return [self._party_node(graph, kind, nearest)], None
        name = str(graph.nodes[nearest].get("name") or nearest)
        if rule.get("upstreams"):
            upstreams = self._upstreams(nearest, chain)
            if upstreams:
                note = {"id": "route.upstream", "values": {"network": name, "count": len(upstreams)}}
                return upstreams, note
        return [], {"id": "route.suspect", "values": {"party": kind, "name": name}}

    def _upstreams(self, asn: str, chain: list[Hop]) -> list[Party]:
        graph = self.around(asn, "infrastructure", 1)
        found = []
        edges = sorted(graph.out_edges(asn, keys=True, data=True), key=lambda e: (str(e[1]), e[2]))
        for _, upstream, key, data in edges:
            if data["type"] == "CUSTOMER_OF" and upstream != asn:
                around = self.around(upstream, "infrastructure", 1)
                if not self.suspect(around, upstream):
                    found.append(self._party_node(around, "network_operator", upstream))
                    self._via[upstream] = [*chain, (asn, upstream, key)]
        return found[:MAX_UPSTREAMS]

    def _service(self, target: Node) -> tuple[list[Party], dict[str, Any] | None]:
        if target.kind != "Wallet":
            return [], {"id": "route.not_applicable", "values": {"party": "wallet_service"}}
        service = target.props.get("service")
        note = None
        if not service:
            service = self._cash_out(target)
            if not service:
                return [], {"id": "route.no_service", "values": {}}
            note = {"id": "route.cash_out", "values": {"service": service}}
        try:
            org = self.store.get(
                node_key(self.store.model, "Identity", "organization", str(service)), clearance=self.clearance
            )
        except NotFound:
            org = None
        service_type = str(
            (org.props.get("service_type") if org else None) or target.props.get("service_type") or ""
        )
        if service_type and service_type not in self.rules["cooperative_services"]:
            return [], {
                "id": "route.suspect_service",
                "values": {"service": str(service), "type": service_type},
            }
        if org is None:
            return [Party("wallet_service", str(service))], note
        email, phone = _contact(org.props)
        party = Party("wallet_service", org.name, org.key, _country(org.props.get("country")), email, phone)
        return [party], note

    def _cash_out(self, target: Node) -> str | None:
        """The cooperative service the wallet pays into most (it can freeze what arrives there)."""
        graph = self.around(target.key, "money", 1)
        received: dict[str, float] = {}
        for _, other, data in graph.out_edges(target.key, data=True):
            attrs = graph.nodes[other]
            kind = str(attrs.get("service_type") or "")
            if (
                data["type"] == "TRANSFERRED"
                and attrs.get("service")
                and kind in self.rules["cooperative_services"]
            ):
                name = str(attrs["service"])
                received[name] = received.get(name, 0.0) + float(data.get("amount") or 0.0)
        return max(sorted(received), key=lambda s: received[s]) if received else None

    def _venue(self, target: Node) -> tuple[list[Party], dict[str, Any] | None]:
        if target.kind == "Forum" and target.type in VENUES:
            venue = target.key
            graph = self.around(venue, "forum", 1)
        else:
            graph = self.around(target.key, "forum", 2)
            venue = self._venue_of(graph, target.key) or ""
        if not venue:
            return [], {"id": "route.no_venue", "values": {}}
        name = str(graph.nodes[venue].get("name") or venue)
        run_by_actors = any(
            data["type"] == "ADMINISTERS" and graph.nodes[source].get("kind") == "Actor"
            for source, _, data in graph.in_edges(venue, data=True)
        )
        if run_by_actors or venue in self.targets:
            return [], {"id": "route.criminal_venue", "values": {"venue": name}}
        return [Party("forum_operator", name, venue)], None

    @staticmethod
    def _venue_of(graph: nx.MultiDiGraph, key: str) -> str | None:
        """The venue a handle is most active on, or the venue a thread or post belongs to."""
        counts: dict[str, float] = {}
        for source, target, data in graph.edges(data=True):
            if data["type"] not in VENUE_EDGES:
                continue
            other = target if source == key else source if target == key else None
            if (
                other is None
                and data["type"] == "PART_OF"
                and graph.nodes[source].get("type") in ("thread", "post")
            ):
                other = target
            if (
                other is None
                or graph.nodes[other].get("kind") != "Forum"
                or graph.nodes[other].get("type") not in VENUES
            ):
                continue
            counts[other] = counts.get(other, 0.0) + 1.0 + float(data.get("posts") or 0)
        return max(sorted(counts), key=lambda k: counts[k]) if counts else None

    # -- units -----------------------------------------------------------------------------------------
    def unit(self, target: Node) -> Party:
        """The cybercrime unit of the target's jurisdiction, else the requester's own unit (for routing)."""
        country = self.jurisdiction(target)
        if country:
            return Party(UNIT, None, None, country)
        return Party(UNIT, None, None, None, own_unit=True)

    def jurisdiction(self, target: Node) -> str | None:
        steps = self.rules["jurisdiction"].get(target.kind, self.rules["jurisdiction"]["other"])
        for step in steps:
            if "property" in step:
                value = target.props.get(step["property"])
                if value:
                    return str(value)
            elif "party" in step:
                country = self._located(target, step["party"])
                if country:
                    return country
        return None

    def _located(self, target: Node, kind: str) -> str | None:
        """The country of the party of ``kind`` the data names for ``target``, suspect or not: a bulletproof
        hoster's country is where the unit that can act on it sits."""
        rule = self.rules["parties"][kind]
        if rule.get("service") and target.kind == "Wallet":
            service = target.props.get("service") or self._cash_out(target)
            if not service:
                return None
            try:
                org = self.store.get(
                    node_key(self.store.model, "Identity", "organization", str(service)),
                    clearance=self.clearance,
                )
            except NotFound:
                return None
            return _country(org.props.get("country"))
        if "to" not in rule or target.kind not in ("Infrastructure", "Forum"):
            return None
        graph = self.around(target.key, "infrastructure", int(rule.get("depth", 3)))
        if target.key not in graph:
            return None
        if target.type in set(rule.get("self", ())):
            candidates = [target.key]
        else:
            candidates = self._walk(
                graph, target.key, set(rule["follow"]), set(rule["to"]), int(rule["depth"])
            )
        for key in candidates:
            country = _country(graph.nodes[key].get("country"))
            if country:
                return country
        return None
