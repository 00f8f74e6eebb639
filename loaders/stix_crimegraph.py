"""crimegraph's own STIX: objects a crimegraph export wrote, read back to the same nodes and edges.

A crimegraph export marks each object it made from a node or edge with crimegraph's extension (a
``toplevel-property-extension`` declared by an ``extension-definition`` in the bundle) and its top-level
``x_crimegraph_*`` properties: ``_key``, ``_kind``, ``_type``, ``_name`` (where the object has no name of its
own), ``_properties`` (every property STIX has no verbatim field for), ``_confidence``, ``_first_seen``,
``_last_seen`` (where the object type has no field for them), ``_dates`` (which of ``created``/``modified``
stand in for something else: ``first_seen``, ``last_seen``, ``date_added``, or nothing at all) and
``_stated`` (what the source object stated that crimegraph keeps verbatim, ``stix_extra``: ``true`` where
the object carries it as stated, for ``external_references`` the number of leading references that are the
source's, else the stated value itself). Read with this extension, an object comes back as the node or edge
it was made from: the same kind, type, key, name, properties, marking, confidence and dates. Objects
without it are read by the type mappers (``loaders.stix_objects``, ``loaders.stix_links``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from graph_model.entities import Edge, Node, make_node
from graph_model.errors import ValidationError
from graph_model.identity import node_key
from graph_model.model import STIX_NAMESPACE, UUID_NAMESPACE, Model
from loaders.markings import Markings, kept
from loaders.stix_objects import Item, StixObject
from loaders.stix_objects import _sectors as sectors

# crimegraph's namespace for deterministic ids of objects that have none of their own.
NAMESPACE = uuid.UUID("8a1c56a4-6c43-5b3e-9d8f-6b1b0b6d2c71")
PROPERTIES_EXTENSION = "extension-definition--" + str(uuid.uuid5(NAMESPACE, "extension:properties"))
# The identity "crimegraph" that writes a bundle's extension definitions (not a statement about the world).
CREATOR = "identity--" + str(uuid.uuid5(NAMESPACE, "identity:crimegraph"))
LINK_TYPES = frozenset({"relationship", "sighting"})


def is_own(raw: dict[str, Any]) -> bool:
    """Whether a crimegraph export made this object from a node or edge (its extension and key)."""
    extensions = raw.get("extensions")
    return (
        isinstance(extensions, dict)
        and PROPERTIES_EXTENSION in extensions
        and isinstance(raw.get("x_crimegraph_key"), str)
        and isinstance(raw.get("x_crimegraph_type"), str)
    )


def stated_extra(raw: dict[str, Any], markings: Markings) -> str | None:
    """The source's own statements (``stix_extra``) an exported object carries, as the node kept them: with
    its non-TLP markings, read from the object's own marking references (``loaders.markings.kept``)."""
    stated = raw.get("x_crimegraph_stated")
    found: dict[str, Any] = {}
    for name, how in stated.items() if isinstance(stated, dict) else ():
        if how is True and name in raw:
            found[name] = raw[name]
        elif name == "external_references" and isinstance(how, int) and not isinstance(how, bool):
            found[name] = list(raw.get(name) or ())[:how]
        elif how is not True:
            found[name] = how
    found.update(kept(raw, markings))
    return json.dumps(found, sort_keys=True, ensure_ascii=False) if found else None


def _properties(raw: dict[str, Any]) -> dict[str, Any]:
    props = raw.get("x_crimegraph_properties")
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise ValidationError("x_crimegraph_properties is not an object")
    return dict(props)


def check_key(model: Model, kind: str, type_: str, key: str) -> None:
    """A node key fits its kind and type: a UUID or STIX id key, or the canonical value of its type."""
    if kind not in model.nodes or type_ not in model.node_kind(kind).types:
        raise ValidationError(f"x_crimegraph_kind/type {kind}/{type_} is not in the schema")
    namespace, sep, value = key.partition(":")
    if not sep or not value:
        raise ValidationError(f"x_crimegraph_key {key!r} is not a key")
    if namespace in (UUID_NAMESPACE, STIX_NAMESPACE):
        return
    types = [t for t, spec in model.node_kind(kind).types.items() if spec.namespace == namespace]
    if not any(node_key(model, kind, t, value) == key for t in types):
        raise ValidationError(f"x_crimegraph_key {key!r} is not the key of a {kind}/{type_}")


def own_node(o: StixObject, derived: list[Item]) -> list[Item]:
    """The node an exported object was made from, with what the object's mapper derives from it
    (``derived``: sectors, what an indicator's pattern matches)."""
    raw = o.raw
    kind, type_ = str(raw.get("x_crimegraph_kind")), str(raw["x_crimegraph_type"])
    key = str(raw["x_crimegraph_key"])
    check_key(o.ctx.model, kind, type_, key)
    props = _properties(raw)
    for name in ("description", "pattern"):
        if isinstance(raw.get(name), str) and name in o.ctx.model.node_kind(kind).properties:
            props[name] = raw[name]
    props["stix_extra"] = stated_extra(raw, o.bundle.markings)
    # Without a name (one marked above this portion's level, ``loaders.markings``) the key stands in for it.
    given = raw.get("x_crimegraph_name", None if "x_crimegraph_sources" in raw else raw.get("name"))
    name = given if isinstance(given, str) else key
    node = make_node(
        o.ctx.model,
        kind,
        type_,
        prov=o.prov,
        key=key,
        name=name,
        props=props,
        ids=o.bundle.merge_ids.get(key, ()),
    )
    matched = [i for i in derived if isinstance(i, Edge) and i.type == "MATCHES" and i.source == key]
    ends = {e.target for e in matched}
    observables = [i for i in derived if isinstance(i, Node) and i.key in ends]
    return [node, *observables, *matched, *sectors(o, key, list(props.get("sectors") or ()))]


def own_link(o: StixObject, keys: dict[str, str]) -> list[Item]:
    """The edge an exported relationship or sighting was made from: its type, ends, discriminator and
    properties as stored (``keys``: the node key of each exported object's id)."""
    raw = o.raw
    edge_type, key = str(raw["x_crimegraph_type"]), str(raw["x_crimegraph_key"])
    if edge_type not in o.ctx.model.edges:
        raise ValidationError(f"x_crimegraph_type {edge_type!r} is not an edge type of the schema")
    if raw["type"] == "sighting":
        where = raw.get("where_sighted_refs") or [None]
        refs = (raw.get("sighting_of_ref"), where[0])
    else:
        refs = (raw.get("source_ref"), raw.get("target_ref"))
    ends = [keys.get(r) if isinstance(r, str) else None for r in refs]
    props = {**_properties(raw), "stix_extra": stated_extra(raw, o.bundle.markings)}
    clean = {k: v for k, v in props.items() if v is not None}
    if ends[0] is not None and ends[1] is not None:
        for source, target in ((ends[0], ends[1]), (ends[1], ends[0])):
            prefix = f"{edge_type}|{source}|{target}|"
            if key.startswith(prefix):
                return [Edge(edge_type, source, target, o.prov, clean, key[len(prefix) :])]
    # An end in another page of a TAXII pull (or another file): the key names it, when it can be read.
    parts = key.split("|")
    if len(parts) == 4 and parts[0] == edge_type and {parts[1], parts[2]} >= {e for e in ends if e}:
        return [Edge(edge_type, parts[1], parts[2], o.prov, clean, parts[3])]
    raise ValidationError(f"x_crimegraph_key {key!r} does not name the ends of this {raw['type']}")
