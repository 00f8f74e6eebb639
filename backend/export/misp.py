"""MISP export: the visible graph of a scope as one MISP event, built with PyMISP.

Every node is a MISP object, so every edge can be a MISP object reference (MISP references join objects,
not bare attributes): wallets as ``btc-wallet`` (Bitcoin) or ``coin-address`` (other chains, with their
``symbol``) objects, addresses as ``ip-port``, domains as ``domain-ip``, URLs as ``url``, e-mail addresses
as ``email``, AS numbers as ``asn``, malware as ``malware``, persons and handles as ``person``, groups,
providers and identities as ``organization``, and anything else as an ``internal-reference`` naming its
kind. Each edge is a reference of its kind in STIX spelling (``member-of``, ``transferred``…) whose comment
carries its TLP (the most restrictive of what it carries) and amount where it has one. Markings are
``tlp:`` tags: each attribute carries the level of what it says (a node seen at several levels: its
value at the node's lowest level, a name only higher sources give at theirs), the event the highest of
all. Each object's comment names its crimegraph key; ids are UUIDv5 of the keys, so exporting the same
graph twice gives the same event.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import networkx as nx
from pymisp import MISPEvent, MISPObject

from backend.export.stix_objects import NAMESPACE
from graph_model.entities import NAME
from graph_model.provenance import TLP
from graph_model.store.base import read_marks

# (kind, type) or kind -> (MISP object template, its attribute naming the value).
OBJECTS: dict[tuple[str, str] | str, tuple[str, str]] = {
    ("Infrastructure", "ip"): ("ip-port", "ip"),
    ("Infrastructure", "cidr"): ("ip-port", "ip"),
    ("Infrastructure", "domain"): ("domain-ip", "domain"),
    ("Infrastructure", "url"): ("url", "url"),
    ("Infrastructure", "email"): ("email", "from"),
    ("Infrastructure", "asn"): ("asn", "asn"),
    ("Infrastructure", "host"): ("ip-port", "hostname"),
    ("Infrastructure", "provider"): ("organization", "name"),
    ("Actor", "person"): ("person", "full-name"),
    ("Actor", "handle"): ("person", "handle"),
    "Actor": ("organization", "name"),
    "Identity": ("organization", "name"),
    "Malware": ("malware", "name"),
}
SYMBOLS = {"bch": "BCH", "ltc": "LTC", "eth": "ETH", "xmr": "XMR", "trx": "TRX"}


def _uuid(text: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"misp:{text}"))


def _tlp_tag(level: TLP) -> str:
    return f"tlp:{level.label.lower()}"


def _value(key: str, attrs: dict[str, Any]) -> str:
    """The value a node's object names: its canonical value (from its key) for observables and wallets."""
    if attrs["kind"] in ("Infrastructure", "Wallet") and attrs["type"] not in ("host", "provider"):
        return key.partition(":")[2]
    return str(attrs.get("name") or key)


def _object(key: str, attrs: dict[str, Any]) -> MISPObject:
    kind, type_ = attrs["kind"], attrs["type"]
    value = _value(key, attrs)
    # Each attribute is tagged at the level of what it carries: the object's own (its lowest level: a
    # value from its key), or its name's where higher sources alone give the name (``stix_granular``).
    marks = read_marks(attrs.get("marked")) or {}
    floor = marks.get("tlp", TLP.parse(attrs["tlp"]))
    named = marks.get(NAME, floor)
    assert isinstance(floor, TLP) and isinstance(named, TLP)
    tags = [_tlp_tag(floor)]
    name_tags = [_tlp_tag(named)]
    if kind == "Wallet" and type_ == "btc":
        obj = MISPObject("btc-wallet", standalone=False)
        obj.add_attribute("wallet-address", value, Tag=tags)
    elif kind == "Wallet":
        obj = MISPObject("coin-address", standalone=False)
        obj.add_attribute("address", value, Tag=tags)
        obj.add_attribute("symbol", SYMBOLS.get(type_, type_.upper()), Tag=tags)
    elif (template := OBJECTS.get((kind, type_)) or OBJECTS.get(kind)) is not None:
        name, relation = template
        obj = MISPObject(name, standalone=False)
        if name == "malware":
            obj.add_attribute("is_family", True, Tag=tags)
        observable = kind == "Infrastructure" and type_ not in ("host", "provider")
        obj.add_attribute(relation, value, Tag=tags if observable else name_tags)
    else:
        obj = MISPObject("internal-reference", standalone=False)
        obj.add_attribute("identifier", key, Tag=tags)
        obj.add_attribute("type", f"{kind}/{type_}", Tag=tags)
        obj.add_attribute("comment", str(attrs.get("name") or key), Tag=name_tags)
    obj.uuid = _uuid(key)
    for attribute in obj.attributes:
        attribute.uuid = _uuid(f"{key}\n{attribute.object_relation}")
    obj.comment = f"crimegraph key: {key}"
    # An object's dates carry no tag of their own: written only where the object's own level gives them.
    if attrs.get("first_seen") and "first_seen" not in marks:
        obj.first_seen = attrs["first_seen"]
    if attrs.get("last_seen") and "last_seen" not in marks:
        obj.last_seen = attrs["last_seen"]
    return obj


def event(graph: nx.MultiDiGraph, clearance: TLP) -> MISPEvent:
    """The graph as one MISP event (see the module docstring)."""
    made = MISPEvent()
    made.info = (
        f"crimegraph export: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} links, "
        f"read at clearance TLP:{clearance.label}"
    )
    made.uuid = _uuid("event\n" + "\n".join(sorted(graph.nodes)))
    made.distribution = 0  # this organisation only: the partner decides how far it goes
    objects: dict[str, MISPObject] = {}
    levels = [TLP.CLEAR]
    for key, attrs in sorted(graph.nodes(data=True)):
        objects[key] = _object(key, attrs)
        levels.append(TLP.parse(attrs["tlp"]))
    for source, target, key, data in sorted(graph.edges(keys=True, data=True), key=lambda e: e[2]):
        level = TLP.parse(data["tlp"])
        levels.append(level)
        note: dict[str, Any] = {"tlp": level.label, "crimegraph_edge": key}
        for name in ("amount", "asset", "time", "tx_id", "relation", "confidence"):
            if data.get(name) is not None:
                note[name] = data[name]
        relation = str(data.get("relation") or data["type"].lower().replace("_", "-"))
        made_ref = objects[source].add_reference(
            objects[target].uuid, relation, json.dumps(note, sort_keys=True)
        )
        made_ref.uuid = _uuid(f"edge\n{key}")
    for obj in objects.values():
        made.add_object(obj)
    made.add_tag(_tlp_tag(max(levels)))
    return made


def dumps(graph: nx.MultiDiGraph, clearance: TLP) -> bytes:
    """The event as MISP's JSON (``{"Event": …}``), as PyMISP writes it."""
    return json.dumps({"Event": json.loads(event(graph, clearance).to_json())}, indent=1).encode("utf-8")
