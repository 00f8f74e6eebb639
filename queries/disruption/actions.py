"""The one action table: per node kind, type, role and condition, the default cost of a takedown, what
can replace the target, which actions can be requested and which kind of party can act.

The table is data (``actions.yaml`` beside this module, documented in its header and in
docs/disruption.md); this module reads and checks it once and answers for one node::

    >>> entry = action_table().entry("Infrastructure", "ip", facts={"bulletproof"})
    >>> entry.cost, entry.actions[0].action, entry.actions[0].party
    (0.5, 'takedown', 'network_operator')
    >>> action_table().entry("Actor", "handle", roles=("escrow agent",)).cost
    10.0

The planner takes costs and substitution rules from it; the takedown packages take the requests and the
parties. :func:`facts_of` derives the conditions (``bulletproof``, ``custodial``, ``cashout_service``,
``escrow``) from a disruption graph.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from graph_model.errors import InvalidArgument
from graph_model.words import plural
from queries.disruption.graph import CASHOUT_SERVICES, is_cashout

TABLE = Path(__file__).with_name("actions.yaml")
FACTS = ("bulletproof", "cashout_service", "custodial", "escrow", "pays_into_service")
SAME = ("kind", "type", "role")
HOSTS = frozenset({"HOSTED_ON", "BELONGS_TO"})
_FIELDS = ("cost", "replaced_by", "substitutes", "needs", "actions")


@dataclass(frozen=True, slots=True)
class Action:
    """One request: ``action`` (an id of the table's ``actions``) to a ``party`` (of its ``parties``)."""

    action: str
    party: str
    needs: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "party": self.party, "needs": self.needs}


@dataclass(frozen=True, slots=True)
class Substitutes:
    """How substitutability is measured: live nodes matching on ``same`` within ``within`` steps."""

    same: tuple[str, ...] = ("kind", "type")
    within: int = 2


@dataclass(frozen=True, slots=True)
class ActionEntry:
    """What the table says about one node: cost, replacement, measurement rule, requests.

    ``matched`` names the layers that applied, e.g. ``("Infrastructure", "type:ip", "when:bulletproof")``.
    """

    cost: float
    replaced_by: str
    substitutes: Substitutes
    needs: str | None
    actions: tuple[Action, ...]
    matched: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "cost": self.cost,
            "replaced_by": self.replaced_by,
            "substitutes": {"same": list(self.substitutes.same), "within": self.substitutes.within},
            "needs": self.needs,
            "actions": [a.as_dict() for a in self.actions],
            "matched": list(self.matched),
        }


@dataclass(frozen=True, slots=True)
class ActionTable:
    """The checked table: labels of actions and parties, and entries by kind (see :meth:`entry`)."""

    unit: str
    actions: dict[str, str]
    parties: dict[str, str]
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    other: dict[str, Any] = field(default_factory=dict)

    def entry(
        self,
        kind: str,
        type: str | None = None,
        *,
        roles: Iterable[str] = (),
        facts: Iterable[str] = (),
    ) -> ActionEntry:
        """The entry for a node of ``kind``/``type`` with ``roles`` and the conditions ``facts``.

        Layers, later replacing earlier: the kind's default, its type, its most expensive role, then
        each condition that holds (in the table's order).
        """
        spec = self.kinds.get(kind)
        if spec is None:
            return _entry([self.other], ("other",))
        layers: list[dict[str, Any]] = [spec["default"]]
        matched = [kind]
        typed = spec.get("types", {}).get(type or "")
        if typed:
            layers.append(typed)
            matched.append(f"type:{type}")
        role_entries = [(r, spec.get("roles", {}).get(r)) for r in sorted(set(roles))]
        found = [(r, e) for r, e in role_entries if e]
        if found:
            role, best = max(found, key=lambda item: (float(item[1].get("cost", 0.0)), item[0]))
            layers.append(best)
            matched.append(f"role:{role}")
        holding = set(facts)
        for condition, when in spec.get("when", {}).items():
            if condition in holding:
                layers.append(when)
                matched.append(f"when:{condition}")
        return _entry(layers, tuple(matched))

    def action_label(self, action: str) -> str:
        return self.actions.get(action, action)

    def party_label(self, party: str) -> str:
        return self.parties.get(party, party)


def _entry(layers: list[dict[str, Any]], matched: tuple[str, ...]) -> ActionEntry:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer)
    rule = merged.get("substitutes") or {}
    return ActionEntry(
        cost=float(merged["cost"]),
        replaced_by=str(merged.get("replaced_by", "")),
        substitutes=Substitutes(tuple(rule.get("same", ("kind", "type"))), int(rule.get("within", 2))),
        needs=merged.get("needs"),
        actions=tuple(Action(a["action"], a["party"], a.get("needs")) for a in merged.get("actions", ())),
        matched=matched,
    )


@cache
def action_table(path: Path = TABLE) -> ActionTable:
    """The action table at ``path`` (default: the one shipped beside this module), read and checked once."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidArgument(f"cannot read action table {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise InvalidArgument(f"action table {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    return check_table(data)


def check_table(data: Any) -> ActionTable:
    """An action table checked for shape: known fields, positive costs, actions and parties declared."""
    if not isinstance(data, Mapping):
        raise InvalidArgument("an action table is a mapping with unit, actions, parties, kinds and other")
    actions = _labels(data.get("actions"), "actions")
    parties = _labels(data.get("parties"), "parties")
    kinds: dict[str, dict[str, Any]] = {}
    for kind, spec in (data.get("kinds") or {}).items():
        if not isinstance(spec, Mapping) or "default" not in spec:
            raise InvalidArgument(f"action table kind {kind!r} needs a default entry")
        unknown = set(spec) - {"default", "types", "roles", "when"}
        if unknown:
            raise InvalidArgument(
                f"action table kind {kind!r}: unknown {plural(len(unknown), 'section')} {sorted(unknown)}"
            )
        checked: dict[str, Any] = {"default": _layer(spec["default"], f"{kind}.default", actions, parties)}
        if "cost" not in checked["default"]:
            raise InvalidArgument(f"action table {kind}.default needs a cost")
        for section in ("types", "roles", "when"):
            entries = spec.get(section) or {}
            if section == "when" and set(entries) - set(FACTS):
                raise InvalidArgument(f"action table {kind}.when: conditions are {', '.join(FACTS)}")
            checked[section] = {
                str(name): _layer(layer, f"{kind}.{section}.{name}", actions, parties)
                for name, layer in entries.items()
            }
        kinds[str(kind)] = checked
    other = _layer(data.get("other") or {"cost": 2}, "other", actions, parties)
    if "cost" not in other:
        raise InvalidArgument("action table other needs a cost")
    return ActionTable(str(data.get("unit", "")), actions, parties, kinds, other)


def _labels(value: Any, section: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise InvalidArgument(f"action table section {section!r} must map ids to labels")
    return {str(k): str(v) for k, v in value.items()}


def _layer(value: Any, where: str, actions: Mapping[str, str], parties: Mapping[str, str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"action table {where} must be a mapping")
    unknown = set(value) - set(_FIELDS)
    if unknown:
        raise InvalidArgument(
            f"action table {where}: unknown {plural(len(unknown), 'field')} {sorted(unknown)}"
        )
    layer = dict(value)
    if "cost" in layer:
        cost = layer["cost"]
        if isinstance(cost, bool) or not isinstance(cost, int | float) or cost <= 0:
            raise InvalidArgument(f"action table {where}.cost must be a positive number, got {cost!r}")
        layer["cost"] = float(cost)
    rule = layer.get("substitutes")
    if rule is not None:
        if not isinstance(rule, Mapping) or set(rule.get("same", ())) - set(SAME):
            raise InvalidArgument(f"action table {where}.substitutes: same is a list of {', '.join(SAME)}")
        within = rule.get("within", 2)
        if not isinstance(within, int) or not 1 <= within <= 3:
            raise InvalidArgument(f"action table {where}.substitutes.within must be 1-3")
    for item in layer.get("actions", ()):
        if (
            not isinstance(item, Mapping)
            or item.get("action") not in actions
            or item.get("party") not in parties
        ):
            raise InvalidArgument(f"action table {where}: every action names a known action and party")
    return layer


def facts_of(graph: nx.Graph, node: Hashable) -> frozenset[str]:
    """The table's conditions that hold for ``node`` of a disruption graph.

    Examples
    --------
    >>> g = nx.Graph()
    >>> g.add_node("ip", kind="Infrastructure", type="ip")
    >>> g.add_node("bp", kind="Infrastructure", type="provider", bulletproof=True)
    >>> g.add_edge("ip", "bp", types={"HOSTED_ON"})
    >>> sorted(facts_of(g, "ip"))
    ['bulletproof']
    >>> g.add_node("w", kind="Wallet")
    >>> g.add_node("x", kind="Wallet", service="Exch", service_type="exchange")
    >>> g.add_edge("w", "x", types={"TRANSFERRED"})
    >>> g.graph["money"] = nx.DiGraph([("w", "x")])
    >>> sorted(facts_of(g, "w")), sorted(facts_of(g, "x"))
    (['pays_into_service'], ['cashout_service', 'custodial'])
    """
    attrs = graph.nodes[node]
    kind = attrs.get("kind")
    facts: set[str] = set()
    if kind == "Infrastructure":
        hosted = any(
            graph.nodes[m].get("bulletproof") is True
            for m, data in graph.adj[node].items()
            if data.get("types", set()) & HOSTS
        )
        # a bulletproof hoster's (or its network's) own takedown is a court case or a de-peering, not a
        # cheap request: only the addresses, hosts and names it hosts are cheap
        if attrs.get("type") not in ("provider", "asn") and (attrs.get("bulletproof") is True or hosted):
            facts.add("bulletproof")
    elif kind == "Wallet":
        money = graph.graph.get("money")
        if isinstance(money, nx.DiGraph) and node in money and not is_cashout(dict(attrs)):
            if any(
                m != node and is_cashout(dict(graph.nodes[m])) for m in money.successors(node) if m in graph
            ):
                facts.add("pays_into_service")
        if attrs.get("service"):
            facts.add("custodial")
        if str(attrs.get("service_type") or "").lower() in CASHOUT_SERVICES:
            facts.add("cashout_service")
    elif kind == "Forum" and attrs.get("escrow") is True:
        facts.add("escrow")
    return frozenset(facts)


def entry_of(graph: nx.Graph, node: Hashable, table: ActionTable | None = None) -> ActionEntry:
    """The table's entry for ``node`` of a disruption graph (kind, type, roles and derived conditions)."""
    attrs = graph.nodes[node]
    found = table or action_table()
    return found.entry(
        str(attrs.get("kind") or ""),
        str(attrs.get("type") or ""),
        roles=[str(r) for r in attrs.get("roles") or ()],
        facts=facts_of(graph, node),
    )


def notes(path: Path = TABLE) -> list[str]:
    """Every note (``needs``) the action table ``path`` holds, as written there."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "needs" and isinstance(item, str):
                    found.add(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return sorted(found)


@cache
def _note_catalogue(language: str) -> dict[str, str]:
    path = TABLE.with_name(f"actions.{language}.yaml")
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in raw.items()}


def note_languages() -> list[str]:
    """The languages with a translation of the action table's notes (``actions.<code>.yaml``), and English."""
    return sorted({"en", *(p.name.split(".")[1] for p in TABLE.parent.glob("actions.*.yaml"))})


def note_in(text: str, language: str) -> str | None:
    """An action-table note in ``language``: itself in English, else its translation (``None`` if none)."""
    if language == "en":
        return text
    return _note_catalogue(language).get(text)
