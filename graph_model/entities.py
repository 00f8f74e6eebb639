"""Nodes and edges as plain records, how they are made, checked against the model, and merged."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from graph_model.errors import ValidationError
from graph_model.identity import node_key, uuid_key
from graph_model.model import Model, Property
from graph_model.provenance import Provenance, absorbs, merge_properties, merge_provenance, prefer, to_iso

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
        "confidence",
        "tlp",
        "tlp_rank",
        "source",
        "target",
        "discriminator",
        "search_text",
    }
)


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


@dataclass(slots=True)
class Edge:
    """A directed link. ``source``/``target`` are keys or ids; parallel edges differ by ``discriminator``."""

    type: str
    source: str
    target: str
    prov: Provenance
    props: dict[str, Any] = field(default_factory=dict)
    discriminator: str = ""

    def key_for(self, source_key: str, target_key: str) -> str:
        return f"{self.type}|{source_key}|{target_key}|{self.discriminator}"

    @property
    def key(self) -> str:
        return self.key_for(self.source, self.target)


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
) -> Node:
    """Make a node keyed by ``uuid`` (STIX/MISP objects) or by the canonical ``value`` of its type."""
    if uuid:
        key = uuid_key(uuid)
    elif value is not None:
        key = node_key(model, kind, type_, value)
    else:
        raise ValidationError(f"{kind}/{type_} needs a value or a uuid")
    display = (name or value or "").strip() or key
    clean = {k: v for k, v in (props or {}).items() if v is not None and v != [] and v != ""}
    if "aliases" in clean:
        clean["aliases"] = sorted({a.strip() for a in clean["aliases"] if a and a.strip()} - {display})
        if not clean["aliases"]:
            del clean["aliases"]
    return Node(key, kind, type_, display, prov, clean, tuple(sorted({key, *ids})))


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


def _check_props(props: dict[str, Any], schema: dict[str, Property] | Any, what: str, record: str) -> None:
    for pname, value in list(props.items()):
        spec = schema.get(pname)
        if spec is None:
            raise ValidationError(f"{what} has no property {pname!r}", record)
        if isinstance(value, str) and spec.type in _TEXT:
            continue  # already in its stored form (the common case)
        try:
            props[pname] = _check_value(spec, value)
        except ValueError as exc:
            raise ValidationError(f"{what}.{pname}: {exc}", record) from None


def _check_prov(prov: Provenance, record: str) -> None:
    if not isinstance(prov, Provenance) or not prov.sources:
        raise ValidationError("provenance with at least one source is required", record)
    if not 0 <= prov.confidence <= 100:
        raise ValidationError(f"confidence {prov.confidence} is outside 0-100", record)


def validate_node(model: Model, node: Node) -> Node:
    """Check a node against the model (normalising property values in place); ValidationError if bad."""
    record = node.key or "<node without key>"
    if node.kind not in model.nodes:
        raise ValidationError(f"unknown node kind {node.kind!r}", record)
    kind = model.nodes[node.kind]
    if node.type not in kind.types:
        raise ValidationError(f"{node.kind} has no type {node.type!r}", record)
    if not node.key or ":" not in node.key:
        raise ValidationError("missing key", record)
    if not isinstance(node.name, str) or not node.name:
        raise ValidationError("missing name", record)
    _check_prov(node.prov, record)
    _check_props(node.props, kind.properties, node.kind, record)
    return node


def validate_edge(model: Model, edge: Edge) -> Edge:
    record = f"{edge.type} {edge.source} -> {edge.target}"
    if edge.type not in model.edges:
        raise ValidationError(f"unknown edge kind {edge.type!r}", record)
    if not edge.source or not edge.target:
        raise ValidationError("edge needs a source and a target", record)
    _check_prov(edge.prov, record)
    _check_props(edge.props, model.edges[edge.type].properties, edge.type, record)
    return edge


def adds_nothing(a: Node, b: Node) -> bool:
    """Whether merging ``b`` into ``a`` gives a node equal to ``a`` (the common case of a re-referenced
    node); exactly the conditions under which every rule of :func:`merge_nodes` returns ``a``'s value."""
    if a.name != b.name or a.type != b.type or not absorbs(a.prov, b.prov):
        return False
    for pname, value in b.props.items():
        if isinstance(value, list | tuple) or pname not in a.props or a.props[pname] != value:
            return False
    aliases = a.props.get("aliases")
    if aliases is not None and (not aliases or aliases != sorted(set(aliases) - {a.name})):
        return False
    if b.ids != a.ids and not set(b.ids) <= set(a.ids):
        return False
    return len(a.ids) <= 1 or a.ids == tuple(sorted(set(a.ids)))


def merge_nodes(a: Node, b: Node) -> Node:
    """Merge two records of the same entity; the result keeps ``a``'s key."""
    if adds_nothing(a, b):
        props = dict(a.props)
        if "aliases" in props:
            props["aliases"] = list(props["aliases"])
        return Node(a.key, a.kind, a.type, a.name, a.prov, props, a.ids)
    name = prefer(a.name, b.name)
    props = merge_properties(a.props, b.props)
    if name != a.name or name != b.name or "aliases" in props:
        aliases = set(props.get("aliases", ())) | {a.name, b.name}
        aliases.discard(name)
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
        ids=tuple(sorted(set(a.ids) | set(b.ids))),
    )


def merge_edges(a: Edge, b: Edge) -> Edge:
    return Edge(
        type=a.type,
        source=a.source,
        target=a.target,
        prov=merge_provenance(a.prov, b.prov),
        props=merge_properties(a.props, b.props),
        discriminator=a.discriminator,
    )
