"""What a takedown of each node costs, and how hard the network finds it to replace.

Cost (effort, in the action table's unit) comes from, first match wins: the costs file's ``nodes``
entry (by key or name), the node's own ``cost`` property, the highest of its ``roles`` in the costs
file, its ``types`` entry, its ``kinds`` entry, then the file's ``default`` - and where the file says
nothing, the action table (:mod:`queries.disruption.actions`: by kind, type, role and condition, e.g. an
address on a bulletproof hoster 0.5, a person 5, a forum's escrow agent 10). A costs file is JSON or YAML::

    {"default": 1, "kinds": {"Actor": 3}, "types": {"group": 10}, "roles": {"admin": 6},
     "nodes": {"actor:handle:kingpin": 20}}

Hardness (substitutability) scales what a pick is worth: 1 is neutral, below 1 replaceable, above 1
hard to replace. Rules: infrastructure whose operator runs other infrastructure of the same type is
replaceable (1 / (1 + siblings), at least 0.25), and more so on a bulletproof hoster (x 0.5); a forum's
only administrator, and a wallet every route to cash-out of other money runs through, are hard (x 2).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from graph_model.errors import InvalidArgument
from graph_model.words import plural
from queries.disruption.actions import action_table, facts_of

COST_SECTIONS = ("default", "kinds", "types", "roles", "nodes")
OPERATES = frozenset({"OPERATES", "CONTROLS"})
HOSTS = frozenset({"HOSTED_ON", "BELONGS_TO"})
MIN_HARDNESS = 0.25
SOLE = 2.0


def read_costs(path: Path) -> dict[str, Any]:
    """A costs file (JSON or YAML) checked for shape; InvalidArgument naming what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidArgument(f"cannot read costs file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidArgument(
            f"costs file {path} is not valid JSON/YAML: {str(exc).splitlines()[0]}"
        ) from None
    try:
        return check_costs(data)
    except InvalidArgument as exc:
        raise InvalidArgument(f"costs file {path}: {exc}") from None


def check_costs(data: Any) -> dict[str, Any]:
    """A costs mapping validated: known sections, positive numbers."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InvalidArgument("costs must be a mapping with sections " + ", ".join(COST_SECTIONS))
    unknown = set(data) - set(COST_SECTIONS)
    if unknown:
        raise InvalidArgument(
            f"unknown costs {plural(len(unknown), 'section')}: {', '.join(sorted(map(str, unknown)))}"
        )
    checked: dict[str, Any] = {}
    for section, value in data.items():
        if section == "default":
            checked["default"] = _positive(value, "default")
            continue
        if not isinstance(value, Mapping):
            raise InvalidArgument(f"costs section {section!r} must map names to numbers")
        checked[section] = {str(k): _positive(v, f"{section}.{k}") for k, v in value.items()}
    return checked


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidArgument(f"cost {where} must be a positive number, got {value!r}")
    return float(value)


def node_cost(
    node: Hashable,
    attrs: Mapping[str, Any],
    costs: Mapping[str, Any] | None = None,
    *,
    facts: frozenset[str] = frozenset(),
) -> float:
    """The cost of taking ``node`` down (see the module docstring for the order of rules); ``facts`` are
    the action table's conditions that hold for it (:func:`queries.disruption.actions.facts_of`).

    Examples
    --------
    >>> node_cost("d", {"kind": "Infrastructure", "type": "domain"})
    1.0
    >>> node_cost("a", {"kind": "Actor", "roles": ("admin",)}, {"roles": {"admin": 6}})
    6.0
    >>> node_cost("i", {"kind": "Infrastructure", "type": "ip"}, facts=frozenset({"bulletproof"}))
    0.5
    """
    costs = costs or {}
    named = costs.get("nodes", {})
    for ident in (str(node), str(attrs.get("name", ""))):
        if ident in named:
            return float(named[ident])
    own = attrs.get("cost")
    if isinstance(own, int | float) and not isinstance(own, bool) and own > 0:
        return float(own)
    roles = [costs.get("roles", {}).get(str(r)) for r in attrs.get("roles") or ()]
    role_costs = [float(c) for c in roles if c is not None]
    if role_costs:
        return max(role_costs)
    kind, type_ = str(attrs.get("kind", "")), str(attrs.get("type", ""))
    if type_ in costs.get("types", {}):
        return float(costs["types"][type_])
    if kind in costs.get("kinds", {}):
        return float(costs["kinds"][kind])
    if "default" in costs:
        return float(costs["default"])
    roles_named = [str(r) for r in attrs.get("roles") or ()]
    return action_table().entry(kind, type_, roles=roles_named, facts=facts).cost


def cost_of(graph: nx.Graph, node: Hashable, costs: Mapping[str, Any] | None = None) -> float:
    """:func:`node_cost` of a node of a disruption graph, with the conditions its neighbours imply."""
    return node_cost(node, graph.nodes[node], costs, facts=facts_of(graph, node))


def hardness(
    graph: nx.Graph, node: Hashable, sole_cashout: Mapping[Hashable, int] | None = None
) -> tuple[float, str]:
    """How hard ``node`` is to replace (1 neutral) and the reason in words ("" when neutral).

    Examples
    --------
    >>> g = nx.Graph()
    >>> g.add_node("op", kind="Actor", name="op")
    >>> for s in ("s1", "s2", "s3"):
    ...     g.add_node(s, kind="Infrastructure", type="host", name=s)
    ...     g.add_edge("op", s, types={"OPERATES"})
    >>> hardness(g, "s1")
    (0.33..., 'replaceable: op runs 2 other hosts')
    """
    attrs = graph.nodes[node]
    kind = attrs.get("kind")
    factor = 1.0
    reasons: list[str] = []
    if kind == "Infrastructure":
        siblings, operators = _siblings(graph, node)
        if siblings:
            factor = max(MIN_HARDNESS, 1.0 / (1 + siblings))
            reasons.append(
                f"replaceable: {', '.join(operators)} runs {siblings} other {attrs.get('type')}"
                + ("" if siblings == 1 else "s")
            )
        if _bulletproof(graph, node):
            factor = max(MIN_HARDNESS / 2, factor * 0.5)
            reasons.append("on bulletproof hosting, which re-hosts quickly")
    elif kind == "Actor":
        sole_forums = _sole_admin_of(graph, node)
        if sole_forums:
            factor *= SOLE
            reasons.append(f"the only admin of {', '.join(sole_forums[:3])}")
    if sole_cashout and sole_cashout.get(node):
        factor *= SOLE
        holders = sole_cashout[node]
        reasons.append(f"the only cash-out route for {holders} money holder{'' if holders == 1 else 's'}")
    return factor, "; ".join(reasons)


def _typed_neighbours(graph: nx.Graph, node: Hashable, types: frozenset[str]) -> list[Hashable]:
    return [m for m, data in graph.adj[node].items() if data.get("types", set()) & types]


def _siblings(graph: nx.Graph, node: Hashable) -> tuple[int, list[str]]:
    type_ = graph.nodes[node].get("type")
    operators = [m for m in _typed_neighbours(graph, node, OPERATES) if graph.nodes[m].get("kind") == "Actor"]
    cache: dict[tuple[Hashable, Any], frozenset[Hashable]] = graph.graph.setdefault("_operated", {})
    others: set[Hashable] = set()
    for op in operators:
        run = cache.get((op, type_))
        if run is None:
            run = frozenset(
                other
                for other in _typed_neighbours(graph, op, OPERATES)
                if graph.nodes[other].get("kind") == "Infrastructure"
                and graph.nodes[other].get("type") == type_
            )
            cache[(op, type_)] = run
        others |= run
    others.discard(node)
    return len(others), [str(graph.nodes[op].get("name", op)) for op in operators[:2]]


def _bulletproof(graph: nx.Graph, node: Hashable) -> bool:
    return any(graph.nodes[m].get("bulletproof") is True for m in _typed_neighbours(graph, node, HOSTS))


def _sole_admin_of(graph: nx.Graph, node: Hashable) -> list[str]:
    admin = frozenset({"ADMINISTERS"})
    sole = []
    for forum in _typed_neighbours(graph, node, admin):
        if graph.nodes[forum].get("kind") == "Forum" and len(_typed_neighbours(graph, forum, admin)) == 1:
            sole.append(str(graph.nodes[forum].get("name", forum)))
    return sorted(sole)
