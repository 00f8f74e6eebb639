"""A takedown plan as requests, one package per receiving party: what to do, to what, by when, why, and the
evidence - everything as data (ids and values) that the templates render in the receiver's language.

Read through the requester's clearance: a target the requester may not see is left out (not counted), the
evidence is the visible graph's, each pick is explained again on that graph. A party receives only what it
needs to act (``need to know``): its own targets and their evidence; a party that is not a law-enforcement
unit never sees another target, an actor (a suspect's name or handle) or the plan's reasoning, and gets
counterparties of transactions as addresses only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import networkx as nx

from backend.export.graph import export_graph
from backend.export.package.parties import Hop, Party, Router, rules
from backend.export.package.paths import critical_paths
from backend.settings import PackageSettings
from graph_model.entities import Edge, Node
from graph_model.errors import CrimegraphError, NotFound
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.base import edge_from_networkx
from queries.disruption.actions import action_table, facts_of
from queries.disruption.explain import explain_targets
from queries.disruption.graph import disruption_graph
from queries.money import parallel_transfers
from queries.results import Plan, Target
from queries.scope import Scope

MAX_FACTS = 15
MAX_FACTS_UNIT = 25
MAX_TRANSFERS = 60
HOSTS = frozenset({"HOSTED_ON", "BELONGS_TO", "RESOLVES_TO"})
# Links that say what a target is and where it runs, shown before the others.
LEADS = frozenset({"COMMUNICATES_WITH", "RESOLVES_TO", "HOSTED_ON", "REGISTERED_WITH", "CUSTOMER_OF", "OWNS"})


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asks (DESIGN.md: who is asking) and how to reach them: the package's point of contact."""

    name: str
    unit: str = "the requesting cybercrime unit"
    email: str | None = None
    phone: str | None = None
    country: str | None = None
    reference: str | None = None
    legal_basis: str | None = None
    nondisclosure_basis: str | None = None
    offence: str | None = None

    @classmethod
    def of(cls, name: str, settings: PackageSettings) -> Requester:
        """The requester ``name`` with the point of contact the settings give."""
        return cls(
            name,
            settings.unit,
            settings.email,
            settings.phone,
            settings.country,
            settings.reference,
            settings.legal_basis,
            settings.nondisclosure_basis,
            settings.offence,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "email": self.email,
            "phone": self.phone,
            "country": self.country,
            "reference": self.reference,
            "legal_basis": self.legal_basis,
            "nondisclosure_basis": self.nondisclosure_basis,
            "offence": self.offence,
        }


@dataclass(slots=True)
class Request:
    """What one party is asked to do about one target."""

    target: str
    actions: list[dict[str, Any]]
    urgency: str
    reply_by: str
    notes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "actions": self.actions,
            "urgency": self.urgency,
            "reply_by": self.reply_by,
            "notes": self.notes,
        }


@dataclass(slots=True)
class PartyPackage:
    """One party's requests, the targets they concern, and every node and edge it is shown."""

    party: Party
    requests: list[Request] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)

    @property
    def tlp(self) -> TLP:
        """The most restrictive marking of anything the package holds."""
        levels = [n.prov.tlp for n in self.nodes.values()] + [e.prov.tlp for e in self.edges.values()]
        return max(levels, default=TLP.CLEAR)

    def items(self) -> list[dict[str, Any]]:
        """Every node and edge the package shares, with its marking: what the report and the bundle hold."""
        found = [
            {
                "key": n.key,
                "item": "entity",
                "kind": n.kind,
                "type": n.type,
                "name": n.name,
                "tlp": n.prov.tlp.label,
            }
            for n in self.nodes.values()
        ]
        for edge in self.edges.values():
            found.append(
                {
                    "key": edge.key,
                    "item": "link",
                    "kind": edge.type,
                    "type": edge.type,
                    "name": f"{self.nodes[edge.source].name} - {self.nodes[edge.target].name}",
                    "tlp": edge.prov.tlp.label,
                }
            )
        return sorted(found, key=lambda i: (i["item"], i["key"]))


@dataclass(slots=True)
class Package:
    """A plan's packages: per party, at one clearance, made at one time by one requester."""

    objective: str
    clearance: TLP
    requester: Requester
    created: str
    data_version: int | None
    parties: list[PartyPackage]
    verdict: dict[str, Any] | None = None

    def party_json(self, item: PartyPackage, language: str) -> dict[str, Any]:
        return {
            "format": "crimegraph takedown package 2",
            "language": language,
            "party": item.party.as_dict(),
            "unit": item.party.is_unit,
            "requester": self.requester.as_dict(),
            "created": self.created,
            "data_version": self.data_version,
            "objective": self.objective,
            "clearance": self.clearance.label,
            "tlp": item.tlp.label,
            "requests": [r.as_dict() for r in item.requests],
            "targets": item.targets,
            "items": item.items(),
        }


def _explained(
    store: GraphStore, clearance: TLP, scope: Scope, plan: Plan, keys: list[str]
) -> dict[str, Target]:
    """The plan's picks explained again on the graph the requester may see (same picks, same order)."""
    graph = disruption_graph(store, clearance, scope)
    order = [k for k in keys if k in graph]
    try:
        found = explain_targets(graph, order, objective=plan.objective)
    except (CrimegraphError, ValueError, KeyError):  # an objective that needs the plan's group
        found = explain_targets(graph, order)
    return {t.key: t for t in found}


def _fact(edge: Edge, nodes: dict[str, Node]) -> dict[str, Any]:
    return {
        "key": edge.key,
        "id": f"fact.{edge.type}",
        "values": {"subject": nodes[edge.source].name, "object": nodes[edge.target].name, "type": edge.type},
        "first_seen": edge.prov.first_seen,
        "last_seen": edge.prov.last_seen,
        "sources": sorted(edge.prov.sources),
        "confidence": edge.prov.confidence,
        "tlp": edge.prov.tlp.label,
    }


def _observed(node: Node) -> dict[str, Any]:
    return {
        "key": node.key,
        "id": "fact.observed",
        "values": {"subject": node.name, "kind": node.kind, "type": node.type},
        "first_seen": node.prov.first_seen,
        "last_seen": node.prov.last_seen,
        "sources": sorted(node.prov.sources),
        "confidence": node.prov.confidence,
        "tlp": node.prov.tlp.label,
    }


class _Builder:
    def __init__(
        self, store: GraphStore, clearance: TLP, plan: Plan, targets: dict[str, Node], created: datetime
    ):
        self.store, self.clearance, self.plan, self.targets = store, clearance, plan, targets
        self.router = Router(store, clearance, targets)
        self.created = created
        self.routing = rules()
        self.table = action_table()
        self.layers = store.model.edge_types("infrastructure") | store.model.edge_types("money")

    def reply_by(self, urgency: str) -> str:
        days = int(self.routing["reply_days"].get(urgency, 10))
        return (self.created + timedelta(days=days)).strftime("%Y-%m-%d")

    def around(self, key: str) -> tuple[dict[str, Node], list[Edge]]:
        sub = self.store.neighbourhood([key], clearance=self.clearance, depth=1, limit=300)
        return dict(sub.nodes), sorted(sub.edges.values(), key=lambda e: e.key)

    def facts(self, node: Node) -> frozenset[str]:
        nodes, edges = self.around(node.key)
        graph = nx.Graph()
        money = nx.DiGraph()  # money is directed: whether the wallet pays into a service (facts_of)
        graph.graph["money"] = money
        for key, other in nodes.items():
            graph.add_node(key, kind=other.kind, type=other.type, **other.props)
        for edge in edges:
            if edge.type in ("TRANSFERRED", "COLLECTS_INTO"):
                money.add_edge(edge.source, edge.target)
            if graph.has_edge(edge.source, edge.target):
                graph.edges[edge.source, edge.target]["types"].add(edge.type)
            else:
                graph.add_edge(edge.source, edge.target, types={edge.type})
        return facts_of(graph, node.key)

    def reasons(self, node: Node) -> list[dict[str, Any]]:
        """Why an abuse desk should act, in plain words, naming no suspect: what the target is used for."""
        nodes, edges = self.around(node.key)
        found: list[dict[str, Any]] = []
        families = sorted(
            {nodes[e.source].name for e in edges if e.type == "COMMUNICATES_WITH" and e.target == node.key}
        )
        if families:
            found.append({"id": "reason.c2", "values": {"families": families}})
        if any(e.type in ("OPERATES", "CONTROLS") and nodes[e.source].kind == "Actor" for e in edges):
            found.append({"id": "reason.operated", "values": {}})
        if any(e.type in HOSTS and e.target == node.key and e.source in self.targets for e in edges):
            found.append({"id": "reason.hosts_target", "values": {}})
        if node.kind == "Wallet" and any(e.type == "OWNS" and nodes[e.source].kind == "Actor" for e in edges):
            found.append({"id": "reason.wallet_owned", "values": {}})
        if node.kind == "Forum":
            found.append({"id": "reason.venue", "values": {"type": node.type}})
        if node.props.get("bulletproof") is True:
            found.append({"id": "reason.bulletproof", "values": {}})
        return found or [{"id": "reason.plan", "values": {}}]

    def evidence(self, entry: PartyPackage, node: Node, unit: bool, via: list[Hop]) -> list[dict[str, Any]]:
        """Facts about ``node`` the party may see: statements with times, sources, confidence, marking.

        First the links that lead from the target to the party (why it is the one to ask), then the
        target's own links: for a party that is no unit only links of the infrastructure and money layers,
        none to an actor or another target."""
        nodes, edges = self.around(node.key)
        entry.nodes[node.key] = node
        facts = [_observed(node)]
        shown: set[str] = set()
        for edge, source, target in self.router.hops(via):
            entry.nodes[source.key], entry.nodes[target.key] = source, target
            entry.edges[edge.key] = edge
            facts.append(_fact(edge, {source.key: source, target.key: target}))
            shown.add(edge.key)
        chosen = []
        for edge in edges:
            if edge.type == "TRANSFERRED" or edge.key in shown:
                continue  # the transactions table shows transfers
            other = nodes[edge.target if edge.source == node.key else edge.source]
            if not unit and (
                other.kind == "Actor" or other.key in self.targets or edge.type not in self.layers
            ):
                continue  # need to know: no suspect's name, no other target, nothing of the forums' talk
            chosen.append(edge)
        chosen.sort(key=lambda e: (e.type not in LEADS, e.prov.last_seen or "", e.key))
        for edge in chosen[: (MAX_FACTS_UNIT if unit else MAX_FACTS) - len(shown)]:
            entry.nodes[edge.source] = nodes[edge.source]
            entry.nodes[edge.target] = nodes[edge.target]
            entry.edges[edge.key] = edge
            facts.append(_fact(edge, nodes))
        return facts

    def transactions(self, entry: PartyPackage, node: Node, unit: bool) -> dict[str, Any] | None:
        if node.kind != "Wallet":
            return None
        sub = self.store.neighbourhood(
            [node.key], clearance=self.clearance, depth=1, edge_set="money", limit=2000
        )
        transfers = [e for e in sub.edges.values() if e.type == "TRANSFERRED"]
        graph = nx.MultiDiGraph()
        for key, other in sub.nodes.items():
            graph.add_node(key, name=other.name, kind=other.kind)
        for edge in transfers:
            graph.add_edge(
                edge.source,
                edge.target,
                key=edge.key,
                type=edge.type,
                tlp=edge.prov.tlp.label,
                first_seen=edge.prov.first_seen,
                **edge.props,
            )
        rows: list[dict[str, Any]] = []
        totals: dict[str, dict[str, float]] = {"in": {}, "out": {}}
        usd = {"in": 0.0, "out": 0.0}
        for pair in parallel_transfers(graph):
            direction = "out" if pair.source == node.key else "in"
            counterparty = sub.nodes[pair.target if direction == "out" else pair.source]
            for transfer in pair.transfers:
                rows.append(
                    {
                        "key": transfer.key,
                        "tx_id": transfer.tx_id,
                        "time": transfer.time,
                        "direction": direction,
                        "amount": transfer.amount,
                        "asset": transfer.asset,
                        "amount_usd": transfer.amount_usd,
                        "counterparty": counterparty.name,  # an address: wallets are named by it
                        "tlp": transfer.tlp,
                    }
                )
                if transfer.amount is not None and transfer.asset:
                    bucket = totals[direction]
                    bucket[transfer.asset] = bucket.get(transfer.asset, 0.0) + transfer.amount
                usd[direction] += transfer.amount_usd or 0.0
        rows.sort(key=lambda r: (r["time"] or "", r["key"]), reverse=True)
        shown = rows[:MAX_TRANSFERS]
        by_key = {e.key: e for e in transfers}
        deposits = self.deposits(entry, node, transfers, sub.nodes)
        for row in shown + [r for r in rows if r["key"] in deposits["keys"] and r not in shown]:
            edge = by_key[str(row["key"])]
            for end in (edge.source, edge.target):
                entry.nodes[end] = sub.nodes[end]
            entry.edges[edge.key] = edge
            if row not in shown:
                shown.append(row)  # every payment into the receiving service's own addresses is listed
        shown.sort(key=lambda r: (r["time"] or "", r["key"]), reverse=True)
        times = [r["time"] for r in rows if r["time"]]
        return {
            "count": len(rows),
            "shown": len(shown),
            "received": totals["in"],
            "sent": totals["out"],
            "received_usd": round(usd["in"], 2),
            "sent_usd": round(usd["out"], 2),
            "first": min(times) if times else None,
            "last": max(times) if times else None,
            "list": shown,
            "deposits": deposits["addresses"],
        }

    def deposits(
        self, entry: PartyPackage, node: Node, transfers: list[Edge], nodes: Mapping[str, Node]
    ) -> dict[str, Any]:
        """For an exchange or wallet service receiving the package: its own addresses the target paid
        into (address, count, amounts per asset, USD, first and last time) and the transfers' keys. Other
        parties get none (an address of a service is not theirs to act on)."""
        party = entry.party
        found: dict[str, dict[str, Any]] = {}
        keys: set[str] = set()
        if party.kind != "wallet_service" or not party.name:
            return {"addresses": [], "keys": keys}
        for edge in transfers:
            other = nodes.get(edge.target)
            if edge.source != node.key or other is None or other.props.get("service") != party.name:
                continue
            keys.add(edge.key)
            row = found.setdefault(
                other.key,
                {"address": other.name, "count": 0, "amounts": {}, "usd": 0.0, "first": None, "last": None},
            )
            row["count"] += 1
            amount, asset = edge.props.get("amount"), edge.props.get("asset")
            if isinstance(amount, int | float) and asset:
                row["amounts"][str(asset)] = row["amounts"].get(str(asset), 0.0) + float(amount)
            usd = edge.props.get("amount_usd")
            row["usd"] = round(row["usd"] + (float(usd) if isinstance(usd, int | float) else 0.0), 2)
            when = edge.props.get("time") or edge.prov.first_seen
            if when:
                row["first"] = min(row["first"] or str(when), str(when))
                row["last"] = max(row["last"] or str(when), str(when))
        return {"addresses": sorted(found.values(), key=lambda r: r["address"]), "keys": keys}

    def paths(self, entry: PartyPackage, node: Node, graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
        """For units only: the paths through the target that the takedown cuts."""
        found = critical_paths(graph, node.key)
        keys = {n["key"] for p in found for n in p["nodes"]}
        nodes = self.store.get_many(sorted(keys), clearance=self.clearance)
        for path in found:
            members = [n["key"] for n in path["nodes"]]
            for a, b in zip(members, members[1:], strict=False):
                for u, v in ((a, b), (b, a)):
                    for key in sorted(graph.get_edge_data(u, v) or {}):
                        edge = edge_from_networkx(graph, u, v, key)
                        if u in nodes and v in nodes:
                            entry.nodes[u], entry.nodes[v] = nodes[u], nodes[v]
                            entry.edges[key] = edge
                            break
        return found


def takedown_package(
    store: GraphStore,
    clearance: TLP,
    plan: Plan,
    *,
    requester: Requester | None = None,
    created: datetime | None = None,
) -> Package:
    """Route every visible target's requests to the parties that can act (never a suspect) with evidence."""
    when = (created or datetime.now(UTC)).replace(microsecond=0)
    version = store.data_version()  # what the package is made from: read before anything else
    asking = requester or Requester("unknown")
    scope = Scope.from_dict(plan.scope) if plan.scope else Scope()
    visible: dict[str, tuple[Target, Node]] = {}
    for target in plan.targets:
        try:
            node = store.get(target.key, clearance=clearance)
        except NotFound:
            continue  # above the requester's clearance (or gone): not named, not counted
        visible.setdefault(node.key, (target, node))
    nodes = {key: node for key, (_, node) in visible.items()}
    builder = _Builder(store, clearance, plan, nodes, when)
    explained = _explained(store, clearance, scope, plan, list(visible))
    graph = export_graph(store, clearance, scope)
    packages: dict[tuple[str, str], PartyPackage] = {}
    for key, (target, node) in visible.items():
        entry_spec = builder.table.entry(
            node.kind,
            node.type,
            roles=[str(r) for r in node.props.get("roles") or ()],
            facts=builder.facts(node),
        )
        by_party: dict[
            tuple[str, str], tuple[Party, list[dict[str, Any]], list[dict[str, Any]], list[Hop]]
        ] = {}
        for action in entry_spec.actions:
            routed = builder.router.find(node, action.party)
            for party in routed.parties:
                slot = by_party.setdefault(party.id, (party, [], [], routed.via.get(party.id, [])))
                wanted = {"action": action.action, "needs": action.needs, "asked_of": action.party}
                if wanted not in slot[1]:
                    slot[1].append(wanted)
                for note in routed.notes:
                    if note not in slot[2]:
                        slot[2].append(note)
        for party_id, (party, actions, notes, via) in sorted(by_party.items()):
            entry = packages.setdefault(party_id, PartyPackage(party))
            urgency = (
                "urgent"
                if any(builder.routing["urgency"].get(a["action"]) == "urgent" for a in actions)
                else "normal"
            )
            entry.requests.append(Request(key, actions, urgency, builder.reply_by(urgency), notes))
            again = explained.get(key)
            unit = party.is_unit
            record: dict[str, Any] = {
                "key": key,
                "name": node.name,
                "kind": node.kind,
                "type": node.type,
                "tlp": node.prov.tlp.label,
                "confidence": node.prov.confidence,
                "first_seen": node.prov.first_seen,
                "last_seen": node.prov.last_seen,
                "sources": sorted(node.prov.sources),
                "reasons": builder.reasons(node),
                "via": [
                    {"key": end.key, "name": end.name, "kind": end.kind, "type": end.type}
                    for _, _, end in builder.router.hops(via)
                ],
                "facts": builder.evidence(entry, node, unit, via),
                "transactions": builder.transactions(entry, node, unit),
            }
            if unit:
                record["why"] = _why(again)
                record["rank"] = target.rank
                record["paths"] = builder.paths(entry, node, graph)
            entry.targets.append(record)
    ordered = sorted(
        packages.values(),
        key=lambda p: (p.party.kind, p.party.name or "", p.party.key or "", p.party.country or ""),
    )
    return Package(
        plan.objective,
        clearance,
        asking,
        when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        version,
        ordered,
        plan.verdict,
    )


def _why(target: Target | None) -> dict[str, Any]:
    if target is None:
        return {"id": "why.outside_scope", "values": {}, "text": ""}
    if target.why_message:
        return dict(target.why_message)
    return {"id": "why.text", "values": {}, "text": target.why}
