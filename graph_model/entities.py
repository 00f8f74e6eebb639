"""Nodes and edges as plain records, how they are made, checked against the model, and merged."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from graph_model.errors import ValidationError
from graph_model.identity import node_key, uuid_key
from graph_model.model import Model, Property
from graph_model.provenance import (
    TLP,
    Provenance,
    absorbs,
    merge_properties,
    merge_provenance,
    prefer,
    to_iso,
)

# Stored beside the schema's properties on every node/edge; the schema may not reuse these names.
RESERVED = frozenset(
    {
        "key",
        "kind",
        "type",
        "name",
        "ids",
        "sources",
        "first_seen",
        "last_seen",
        "date_added",
        "created",
        "modified",
        "confidence",
        "tlp",
        "tlp_rank",
        "source",
        "target",
        "discriminator",
        "search_text",
        "levels",
        "stated",
        "marked",
    }
)
# The entry of ``Node.stated`` that credits the node's name (no schema property may be called so).
NAME = "name"
Credit = dict[str, frozenset[str]]
# What a reader's view shows from statements above its lowest level (``graph_model.views``): ``tlp`` that
# lowest level, and each such field (name, property, ``sources``, a date) with the lowest level that gives
# its value - for a list, each such element (by its text) with its level.
Marks = dict[str, TLP | dict[str, TLP]]


@dataclass(slots=True)
class Node:
    """An entity. ``key`` is its identity; ``ids`` are other identifiers that resolve to it."""

    key: str
    kind: str
    type: str
    name: str
    prov: Provenance
    props: dict[str, Any] = field(default_factory=dict)
    ids: tuple[str, ...] = ()
    # As stored: when its sources carry more than one marking, what the sources at each level contributed
    # (single-level nodes, with that level as ``prov.tlp``); the fields above are then the merge of all
    # of them. Reads hand out views (``graph_model.views``), which never have levels.
    levels: dict[TLP, Node] | None = None
    # Which sources stated each property (and the name, under ``NAME``): the sources that gave the value
    # shown. Only where that is not every source of the node (``prov.sources``); None when no entry is.
    stated: Credit | None = None
    # Views only: what the view shows from statements above its lowest level (None when one level).
    marked: Marks | None = None


@dataclass(slots=True)
class Edge:
    """A directed link. ``source``/``target`` are keys or ids; parallel edges differ by ``discriminator``."""

    type: str
    source: str
    target: str
    prov: Provenance
    props: dict[str, Any] = field(default_factory=dict)
    discriminator: str = ""
    levels: dict[TLP, Edge] | None = None  # as for Node.levels
    stated: Credit | None = None  # as for Node.stated, for the link's properties
    marked: Marks | None = None  # as for Node.marked

    @property
    def key(self) -> str:
        return edge_key(self.type, self.source, self.target, self.discriminator)


def edge_key(edge_type: str, source: str, target: str, discriminator: str) -> str:
    """The key of an edge: one per type, pair of ends and discriminator (``Edge.key``)."""
    return f"{edge_type}|{source}|{target}|{discriminator}"


def make_node(
    model: Model,
    kind: str,
    type_: str,
    value: str | None = None,
    *,
    prov: Provenance,
    uuid: str | None = None,
    name: str | None = None,
    props: dict[str, Any] | None = None,
    ids: tuple[str, ...] | list[str] = (),
    key: str | None = None,
) -> Node:
    """Make a node keyed by ``key`` as given, by ``uuid`` (STIX/MISP objects) or by the canonical
    ``value`` of its type."""
    if key:
        pass
    elif uuid:
        key = uuid_key(uuid)
    elif value is not None:
        key = node_key(model, kind, type_, value)
    else:
        raise ValidationError(f"{kind}/{type_} needs a value or a uuid")
    display = (name or value or "").strip() or key
    clean = {k: v for k, v in props.items() if v is not None and v != [] and v != ""} if props else {}
    if "aliases" in clean:
        clean["aliases"] = sorted({a.strip() for a in clean["aliases"] if a and a.strip()} - {display})
        if not clean["aliases"]:
            del clean["aliases"]
    return Node(key, kind, type_, display, prov, clean, tuple(sorted({key, *ids})) if ids else (key,))


def _check_value(prop: Property, value: Any) -> Any:
    """Return the value in its stored form, or raise ValueError."""
    kind = prop.type
    if kind in ("string", "text"):
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {type(value).__name__}")
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"expected a number, got {value!r}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"expected true/false, got {value!r}")
        return value
    if kind == "datetime":
        return to_iso(value)
    item_type = "string" if kind == "string[]" else "integer"
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(f"expected a list, got {type(value).__name__}")
    item = Property(prop.name, item_type)
    return sorted({_check_value(item, v) for v in value})


_TEXT = frozenset({"string", "text"})
_NUMBERS = frozenset({"integer", "number"})


def _check_props(props: dict[str, Any], schema: Mapping[str, Property], what: str) -> None:
    """Put each property value in its stored form, in place; ValueError naming the first that does not fit."""
    for pname, value in props.items():  # replacing the value of a key is safe while iterating
        try:
            spec = schema[pname]
        except KeyError:
            raise ValueError(f"{what} has no property {pname!r}") from None
        # Values already in their stored form need no call (the common case; a bool is never a number).
        held = type(value)
        if held is str:
            if spec.type in _TEXT:
                continue
        elif held is float:
            if spec.type == "number" and math.isfinite(value):
                continue
        elif held is int and spec.type in _NUMBERS:
            continue
        try:
            props[pname] = to_iso(value) if spec.type == "datetime" else _check_value(spec, value)
        except ValueError as exc:
            raise ValueError(f"{what}.{pname}: {exc}") from None


def _check_prov(prov: Provenance) -> None:
    if not isinstance(prov, Provenance) or not prov.sources:
        raise ValueError("provenance with at least one source is required")
    if not 0 <= prov.confidence <= 100:
        raise ValueError(f"confidence {prov.confidence} is outside 0-100")


def validate_node(model: Model, node: Node) -> Node:
    """Check a node against the model (normalising property values in place); ValidationError if bad."""
    kind = model.nodes.get(node.kind)
    if kind is None:
        raise ValidationError(f"unknown node kind {node.kind!r}", node.key or "<node without key>")
    if node.type not in kind.types:
        raise ValidationError(f"{node.kind} has no type {node.type!r}", node.key or "<node without key>")
    if not node.key or ":" not in node.key:
        raise ValidationError("missing key", node.key or "<node without key>")
    if not isinstance(node.name, str) or not node.name:
        raise ValidationError("missing name", node.key)
    try:
        _check_prov(node.prov)
        if node.props:
            _check_props(node.props, kind.properties, node.kind)
    except ValueError as exc:
        raise ValidationError(str(exc), node.key) from None
    return node


def validate_edge(model: Model, edge: Edge) -> Edge:
    kind = model.edges.get(edge.type)
    if kind is None:
        raise ValidationError(f"unknown edge kind {edge.type!r}", _edge_record(edge))
    if not edge.source or not edge.target:
        raise ValidationError("edge needs a source and a target", _edge_record(edge))
    try:
        _check_prov(edge.prov)
        if edge.props:
            _check_props(edge.props, kind.properties, edge.type)
    except ValueError as exc:
        raise ValidationError(str(exc), _edge_record(edge)) from None
    return edge


def _edge_record(edge: Edge) -> str:
    """How an edge is named in a validation error (built only when there is one)."""
    return f"{edge.type} {edge.source} -> {edge.target}"


def adds_nothing(a: Node, b: Node) -> bool:
    """Whether merging ``b`` into ``a`` gives a node equal to ``a`` (the common case of a re-referenced
    node); exactly the conditions under which every rule of :func:`merge_nodes` returns ``a``'s value.
    (Conservative for nodes with several marking levels: it may say False of a merge adding nothing.)"""
    if b.levels is not None:
        return False
    if a.levels is not None:
        level = a.levels.get(b.prov.tlp)
        return level is not None and adds_nothing(level, b)
    if a.prov.tlp is not b.prov.tlp:
        return False
    if a.name != b.name or a.type != b.type or not absorbs(a.prov, b.prov):
        return False
    for pname, value in b.props.items():
        if isinstance(value, list | tuple) or pname not in a.props or a.props[pname] != value:
            return False
    if a.stated is not None and not _credits_cover(a, b):
        return False
    aliases = a.props.get("aliases")
    if aliases is not None and (not aliases or aliases != sorted(set(aliases) - {a.name, a.key, *a.ids})):
        return False
    if b.ids != a.ids and not set(b.ids) <= set(a.ids):
        return False
    return len(a.ids) <= 1 or a.ids == tuple(sorted(set(a.ids)))


def credit(node: Node | Edge, name: str) -> frozenset[str]:
    """The sources that stated property ``name`` (or the name, :data:`NAME`) of ``node`` (or of a link) as
    it holds it."""
    stated = node.stated
    if stated is not None:
        found = stated.get(name)
        if found is not None:
            return found
    return node.prov.sources


def credits(node: Node) -> Credit:
    """Which sources stated the name and each property of ``node``: the name first, then by property."""
    stated = node.stated
    everyone = node.prov.sources
    if stated is None:
        return {NAME: everyone, **dict.fromkeys(sorted(node.props), everyone)}
    return {p: stated.get(p, everyone) for p in (NAME, *sorted(node.props))}


def link_credits(edge: Edge) -> Credit:
    """Which sources stated each property of a link, by property name."""
    stated = edge.stated
    everyone = edge.prov.sources
    if stated is None:
        return dict.fromkeys(sorted(edge.props), everyone)
    return {p: stated.get(p, everyone) for p in sorted(edge.props)}


def _credits_cover(a: Node, b: Node) -> bool:
    """Whether ``a`` credits its name and every property ``b`` states to at least ``b``'s sources."""
    if not credit(b, NAME) <= credit(a, NAME):
        return False
    return all(credit(b, pname) <= credit(a, pname) for pname in b.props)


def _merge_credit(a: Any, b: Any, name: str | None, props: dict[str, Any]) -> Credit | None:
    """The credit of the merge of ``a`` and ``b`` (two nodes, name ``name``, or two links, ``name`` None;
    properties ``props``): a value chosen from one side is credited to the sources that stated it there,
    to both sides' when both stated it, and a list (a union) to every source that gave any of it - any of
    what it holds: an alias that became the name (or an identifier) is no longer given by anyone, and a
    name that lost to another is given by the sources of that name. Order-independent, as the merge is
    (exactly so while each record has a name; see ``tests/graph_model/test_merge.py``)."""
    sources = a.prov.sources | b.prov.sources
    if a.stated is None and b.stated is None and a.prov.sources == b.prov.sources:
        return None  # every value was stated by every source of both
    stated: Credit = {}
    named = () if name is None else ((NAME, name),)
    for pname, value in (*named, *props.items()):
        mine: Any
        theirs: Any
        if pname == NAME:
            mine, theirs = a.name, b.name
        else:
            mine, theirs = a.props.get(pname), b.props.get(pname)
            # An empty list states nothing, as a property that is not there.
            mine = None if mine == [] else mine
            theirs = None if theirs == [] else theirs
        given: frozenset[str]
        if isinstance(value, list):  # each side that gave any of the union (an alias can become the name)
            kept = set(value)
            given = (credit(a, pname) if mine and not kept.isdisjoint(mine) else frozenset()) | (
                credit(b, pname) if theirs and not kept.isdisjoint(theirs) else frozenset()
            )
        elif mine is None:
            given = credit(b, pname)
        elif theirs is None:
            given = credit(a, pname)
        else:
            given = (credit(a, pname) if mine == value else frozenset()) | (
                credit(b, pname) if theirs == value else frozenset()
            )
        if pname == "aliases" and name is not None:  # a name that lost to another becomes an alias
            for node in (a, b):
                if node.name in value:
                    given |= credit(node, NAME)
        if given != sources:
            stated[pname] = given
    return stated or None


def merge_nodes(a: Node, b: Node) -> Node:
    """Merge two records of the same entity; the result keeps ``a``'s key.

    Markings belong to each source's statement: what sources at different TLP levels say is kept apart
    by level (``Node.levels``), so a caller can be shown exactly what the sources within clearance said.
    """
    if a.levels is None and b.levels is None and a.prov.tlp is b.prov.tlp:
        return _merge_nodes(a, b)
    levels = dict(_node_levels(a))
    for level, node in _node_levels(b).items():
        mine = levels.get(level)
        levels[level] = replace(node, key=a.key) if mine is None else _merge_nodes(mine, node)
    return layered_node(levels)


def _node_levels(node: Node) -> dict[TLP, Node]:
    return node.levels if node.levels is not None else {node.prov.tlp: node}


def layered_node(levels: dict[TLP, Node]) -> Node:
    """One node from what each marking level contributed: their merge, holding ``levels`` when several."""
    ordered = [levels[level] for level in sorted(levels)]
    merged = ordered[0]
    for node in ordered[1:]:
        merged = _merge_nodes(merged, node)
    if len(ordered) == 1:
        return merged
    merged.levels = dict(sorted(levels.items()))
    return merged


def _stand_in(node: Node) -> bool:
    """Whether the node's name is only its key (or id) standing in for a name no source gave."""
    return node.name == node.key or node.name in node.ids


def _pick_name(a: Node, b: Node) -> str:
    """The display name: a key stands in for a name only while no source gave one."""
    a_stands_in, b_stands_in = _stand_in(a), _stand_in(b)
    if a_stands_in != b_stands_in:
        return b.name if a_stands_in else a.name
    return str(prefer(a.name, b.name))


def _merge_nodes(a: Node, b: Node) -> Node:
    if adds_nothing(a, b):
        props = dict(a.props)
        if "aliases" in props:
            props["aliases"] = list(props["aliases"])
        return Node(a.key, a.kind, a.type, a.name, a.prov, props, a.ids, stated=a.stated)
    name = _pick_name(a, b)
    props = merge_properties(a.props, b.props)
    ids = tuple(sorted(set(a.ids) | set(b.ids)))
    if name != a.name or name != b.name or "aliases" in props:
        aliases = set(props.get("aliases", ())) | {n.name for n in (a, b) if not _stand_in(n)}
        # Neither the name nor the key or an identifier (which stand in for a name) is an alias.
        aliases -= {name, a.key, *ids}
        if aliases:
            props["aliases"] = sorted(aliases)
        else:
            props.pop("aliases", None)
    return Node(
        key=a.key,
        kind=a.kind,
        type=prefer(a.type, b.type),
        name=name,
        prov=merge_provenance(a.prov, b.prov),
        props=props,
        ids=ids,
        stated=_merge_credit(a, b, name, props),
    )


def merge_edges(a: Edge, b: Edge) -> Edge:
    """Merge two records of the same link, keeping apart what sources at each marking level said."""
    if a.levels is None and b.levels is None and a.prov.tlp is b.prov.tlp:
        return _merge_edges(a, b)
    levels = dict(_edge_levels(a))
    for level, edge in _edge_levels(b).items():
        mine = levels.get(level)
        levels[level] = _same_ends(edge, a) if mine is None else _merge_edges(mine, edge)
    return layered_edge(levels)


def _edge_levels(edge: Edge) -> dict[TLP, Edge]:
    return edge.levels if edge.levels is not None else {edge.prov.tlp: edge}


def _same_ends(edge: Edge, like: Edge) -> Edge:
    if (edge.source, edge.target) == (like.source, like.target):
        return edge
    return Edge(
        edge.type, like.source, like.target, edge.prov, edge.props, edge.discriminator, stated=edge.stated
    )


def layered_edge(levels: dict[TLP, Edge]) -> Edge:
    """One edge from what each marking level contributed (as :func:`layered_node`)."""
    ordered = [levels[level] for level in sorted(levels)]
    merged = ordered[0]
    for edge in ordered[1:]:
        merged = _merge_edges(merged, edge)
    if len(ordered) == 1:
        return merged
    merged.levels = dict(sorted(levels.items()))
    return merged


def _merge_edges(a: Edge, b: Edge) -> Edge:
    props = merge_properties(a.props, b.props)
    return Edge(
        type=a.type,
        source=a.source,
        target=a.target,
        prov=merge_provenance(a.prov, b.prov),
        props=props,
        discriminator=a.discriminator,
        # Which sources stated each property (as for nodes), where the two had different sources.
        stated=_merge_credit(a, b, None, props),
    )
