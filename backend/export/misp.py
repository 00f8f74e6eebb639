"""MISP export: the visible graph of a scope as one MISP event, built with PyMISP.

Every node is a MISP object, so every edge can be a MISP object reference (MISP references join objects,
not bare attributes): wallets as ``btc-wallet`` (Bitcoin) or ``coin-address`` (other chains, with their
``symbol``) objects, addresses as ``ip-port``, domains as ``domain-ip``, URLs as ``url``, e-mail addresses
as ``email``, AS numbers as ``asn``, malware as ``malware``, persons and handles as ``person``, groups,
providers and identities as ``organization``, and anything else as an ``internal-reference`` naming its
kind. Each edge is a reference of its kind in STIX spelling (``member-of``, ``owns``…) whose comment carries
its TLP (the most restrictive of what it carries), except transfers: each transfer is MISP's
``cryptocurrency-transaction`` object (amount, asset, USD value, time and transaction id as its attributes,
tagged at the transfer's level) that its source wallet ``sends`` and that ``sends-to`` its target wallet, so
MISP, misp-stix and ``load misp-event`` read the amounts as MISP's own fields, and parallel transfers between
two wallets stay apart. Markings are ``tlp:`` tags: each attribute carries the level of what it says (a node
seen at several levels: its value at the node's lowest level, a name only higher sources give at theirs),
the event the highest of all. Each object's comment names its crimegraph key; ids are UUIDv5 of the keys,
so exporting the same graph twice gives the same event.

:func:`stix_dumps` writes MISP's own STIX 2.1 for that event (its dialect, made by misp-stix's MISP to STIX
converter), the file to hand to a MISP partner who imports STIX: misp-stix reads it back with its parser for
MISP-made bundles and keeps every object, wallet and link (it keeps one reference per (source, type,
target): transfers as objects keep parallel transfers apart there too).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import networkx as nx
from pymisp import MISPEvent, MISPObject, MISPOrganisation

from backend.export.stix_objects import NAMESPACE
from graph_model.entities import NAME
from graph_model.provenance import TLP
from graph_model.store.base import read_marks
from graph_model.words import counted
from loaders.stix_crimegraph import CREATOR

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


def _transaction(key: str, data: dict[str, Any], level: TLP) -> MISPObject:
    """A transfer as MISP's ``cryptocurrency-transaction`` object, tagged at the transfer's level."""
    tags = [_tlp_tag(level)]
    obj = MISPObject("cryptocurrency-transaction", standalone=False)
    if data.get("tx_id") is not None:
        obj.add_attribute("transaction-number", str(data["tx_id"]), Tag=tags)
    if data.get("time") is not None:
        obj.add_attribute("time", str(data["time"]), Tag=tags)
    if data.get("amount") is not None:
        obj.add_attribute("value", float(data["amount"]), Tag=tags)
    if data.get("asset") is not None:
        obj.add_attribute("symbol", str(data["asset"]).upper(), Tag=tags)
    if data.get("amount_usd") is not None:
        obj.add_attribute("value_USD", float(data["amount_usd"]), Tag=tags)
    obj.uuid = _uuid(f"edge\n{key}")
    for attribute in obj.attributes:
        attribute.uuid = _uuid(f"edge\n{key}\n{attribute.object_relation}")
    rest = {n: data[n] for n in ("output_index", "confidence") if data.get(n) is not None}
    obj.comment = f"crimegraph link: {key}" + (f" {json.dumps(rest, sort_keys=True)}" if rest else "")
    return obj


def event(graph: nx.MultiDiGraph, clearance: TLP) -> MISPEvent:
    """The graph as one MISP event (see the module docstring)."""
    made = MISPEvent()
    made.info = (
        f"crimegraph export: {counted(graph.number_of_nodes(), 'node')}, "
        f"{counted(graph.number_of_edges(), 'link')}, "
        f"read at clearance TLP:{clearance.label}"
    )
    made.uuid = _uuid("event\n" + "\n".join(sorted(graph.nodes)))
    made.distribution = 0  # this organisation only: the partner decides how far it goes
    objects: dict[str, MISPObject] = {}
    levels = [TLP.CLEAR]
    for key, attrs in sorted(graph.nodes(data=True)):
        objects[key] = _object(key, attrs)
        levels.append(TLP.parse(attrs["tlp"]))
    transactions: list[MISPObject] = []
    for source, target, key, data in sorted(graph.edges(keys=True, data=True), key=lambda e: e[2]):
        level = TLP.parse(data["tlp"])
        levels.append(level)
        note: dict[str, Any] = {"tlp": level.label, "crimegraph_edge": key}
        for name in ("amount", "asset", "time", "tx_id", "relation", "confidence"):
            if data.get(name) is not None:
                note[name] = data[name]
        if data["type"] == "TRANSFERRED":
            made_tx = _transaction(key, data, level)
            transactions.append(made_tx)
            sends = objects[source].add_reference(made_tx.uuid, "sends", json.dumps(note, sort_keys=True))
            sends.uuid = _uuid(f"edge\n{key}\nsends")
            sends_to = made_tx.add_reference(objects[target].uuid, "sends-to")
            sends_to.uuid = _uuid(f"edge\n{key}\nsends-to")
            continue
        relation = str(data.get("relation") or data["type"].lower().replace("_", "-"))
        made_ref = objects[source].add_reference(
            objects[target].uuid, relation, json.dumps(note, sort_keys=True)
        )
        made_ref.uuid = _uuid(f"edge\n{key}")
    for obj in [*objects.values(), *transactions]:
        made.add_object(obj)
    made.add_tag(_tlp_tag(max(levels)))
    return made


def dumps(graph: nx.MultiDiGraph, clearance: TLP) -> bytes:
    """The event as MISP's JSON (``{"Event": …}``), as PyMISP writes it."""
    return json.dumps({"Event": json.loads(event(graph, clearance).to_json())}, indent=1).encode("utf-8")


def stix_bundle(graph: nx.MultiDiGraph, clearance: TLP) -> dict[str, Any]:
    """The event in MISP's STIX 2.1, as misp-stix's MISP to STIX converter writes it,
    created by crimegraph's identity (the event's creator organisation)."""
    made = event(graph, clearance)
    creator = MISPOrganisation()
    creator.from_dict(name="crimegraph", uuid=CREATOR.partition("--")[2])
    made.Orgc = creator
    parser = _converter()
    parser.parse_misp_event(made)
    bundle: dict[str, Any] = json.loads(parser.bundle.serialize())
    # misp-stix converts a ``person`` object without a name (a handle) to an identity, fails (an identity
    # needs a name) and writes it as its own ``x-misp-object`` instead, with its relationships written a
    # second time: the first ones name the identity it never wrote. They are left out, as is any object
    # written twice.
    ids = {obj["id"] for obj in bundle["objects"]}
    kept: list[dict[str, Any]] = []
    seen: set[str] = set()
    for obj in bundle["objects"]:
        dangling = obj["type"] == "relationship" and not {obj["source_ref"], obj["target_ref"]} <= ids
        if not dangling and obj["id"] not in seen:
            seen.add(obj["id"])
            kept.append(obj)
    for obj in kept:
        if "object_refs" in obj:
            obj["object_refs"] = list(dict.fromkeys(ref for ref in obj["object_refs"] if ref in seen))
    bundle["objects"] = kept
    return bundle


def _converter() -> Any:
    """misp-stix's MISP to STIX 2.1 converter with its lookup of a reference's target indexed: misp-stix
    scans every object written so far for each reference (quadratic: most of the time at 20,000 links)."""
    from misp_stix_converter import MISPtoSTIX21Parser  # imported only when this file is asked for

    class Converter(MISPtoSTIX21Parser):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self._targets: dict[str, str] = {}
            self._indexed = 0

        def _find_target_uuid(self, reference: str) -> str | None:
            # misp-stix: the first object id that holds the UUID (``reference in object_ref``).
            refs: list[str] = self.object_refs
            if len(refs) < self._indexed:
                self._targets, self._indexed = {}, 0
            for ref in refs[self._indexed :]:
                self._targets.setdefault(ref.partition("--")[2], ref)
            self._indexed = len(refs)
            return self._targets.get(reference)

    return Converter()


def stix_dumps(graph: nx.MultiDiGraph, clearance: TLP) -> bytes:
    """:func:`stix_bundle` as JSON."""
    return json.dumps(stix_bundle(graph, clearance), indent=1).encode("utf-8")
