"""MISP event files (MISP's JSON: ``{"Event": …}``, a bare event, or a ``response`` list of them).

The event is a Report (``misp-event``, keyed like the STIX report of the same event); each attribute and
object becomes what it names - addresses, domains, URLs, e-mail addresses and AS numbers as
Infrastructure, wallet addresses (``btc``, ``xmr``, MISP's ``btc-wallet`` and ``coin-address`` objects) as
Wallets, hashes as Files, CVEs as Vulnerabilities - with REFERS_TO from the event; objects' references are
edges between what their objects name; sightings are SIGHTED_AT the sighting organisation; galaxy clusters
are actors, malware … by the galaxy table (``loaders.misp_galaxies``). ``tlp:*`` tags give markings: an
attribute's own tag, else its object's, else the event's; an unknown ``tlp:`` label is a warning and TLP:RED.

MISP's transaction objects (``cryptocurrency-transaction``, ``btc-transaction``) are TRANSFERRED links, with
the properties the CSV loader sets (amount in the asset's units, asset, USD value, time, tx id): from each
wallet whose object ``sends`` the transaction to each wallet the transaction ``sends-to`` (MISP's two
relationships: "who sends what", "what sends to who"). A transaction's own address stands for the side no
reference names. One that names no wallet on a side loads no link, and the load's report says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph_model.entities import Edge, Node, make_node
from graph_model.errors import ValidationError
from graph_model.identity import stix_key, uuid_key
from graph_model.provenance import TLP, Provenance, to_iso
from loaders.cti import observable_node
from loaders.json_stream import json_members
from loaders.misp_galaxies import galaxy_kind
from loaders.records import LoadContext, Record, SourceError, location
from loaders.sniff import wrong_format
from loaders.stix_links import RELATIONSHIPS

Item = Node | Edge

# MISP attribute type (or object relation) -> what it names: an observable type, or a wallet chain.
OBSERVABLES = {
    "ip-src": "ipv4-addr", "ip-dst": "ipv4-addr", "ip": "ipv4-addr", "domain": "domain-name",
    "hostname": "domain-name", "url": "url", "link": "url", "uri": "url", "email": "email-addr",
    "email-src": "email-addr", "email-dst": "email-addr", "from": "email-addr", "to": "email-addr",
    "AS": "autonomous-system", "asn": "autonomous-system",
}  # fmt: skip
WALLETS = {"btc": "btc", "xmr": "xmr", "wallet-address": "btc", "address-xmr": "xmr", "address": None}
SYMBOLS = {"BTC": "btc", "BCH": "bch", "LTC": "ltc", "ETH": "eth", "XMR": "xmr", "TRX": "trx"}
HASHES = ("sha256", "sha1", "md5")
UNKNOWN_TLP = "unknown TLP label {label!r}: treated as the most restrictive, TLP:RED"
# MISP's transaction templates -> (the attribute giving the amount, the asset when the template fixes it,
# the attribute giving the transaction's own address).
TRANSACTIONS = {
    "cryptocurrency-transaction": ("value", None, "address"),
    "btc-transaction": ("value_BTC", "BTC", "btc-address"),
}
SENDS, SENDS_TO = "sends", "sends-to"
# The comment ``export misp`` gives a transfer's object: the link's key, then what MISP has no field for.
_CRIMEGRAPH_LINK = re.compile(r"crimegraph link: TRANSFERRED\|([^|]*)\|([^|]*)\|([^|]*?)(?: (\{.*\}))?")


def _event(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, dict) and isinstance(raw.get("Event"), dict):
        return dict(raw["Event"])
    if isinstance(raw, dict) and ("Attribute" in raw or "Object" in raw) and "uuid" in raw:
        return raw
    return None


def events(path: Path) -> Iterator[dict[str, Any]]:
    """The events in a file; SourceError naming the right command when it holds none."""
    header: dict[str, Any] = {}
    found = False
    for member in json_members(path, "response"):
        if member.error is not None:
            raise SourceError(f"{path}: {member.error}")
        if member.key == "response":
            if (event := _event(member.value)) is not None:
                found = True
                yield event
        else:
            header[str(member.key)] = member.value
    if not found and (event := _event(header)) is not None:
        found = True
        yield event
    if not found:
        raise SourceError(wrong_format(path, header, "misp-event", "no 'Event' with attributes or objects"))


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    for event in events(path):
        yield from _event_records(path, event, ctx)


@dataclass(slots=True)
class _Event:
    path: Path
    ctx: LoadContext
    key: str
    tlp: TLP
    warnings: list[str]
    wallets: dict[str, str] = field(default_factory=dict)  # key -> chain of every wallet named so far
    transactions: frozenset[str] = frozenset()  # uuids of the transaction objects
    links: set[tuple[str, str, str]] = field(default_factory=set)  # transfers made: (from, to, discriminator)


def _strings(value: Any) -> list[str]:
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v.strip()]


def _tlp(tags: Any, default: TLP, warnings: list[str]) -> TLP:
    """The marking of ``tlp:*`` tags (the most restrictive one); ``default`` when there is none."""
    levels = []
    for tag in tags if isinstance(tags, list) else ():
        name = tag.get("name") if isinstance(tag, dict) else tag
        if not isinstance(name, str) or not name.lower().startswith("tlp:"):
            continue
        try:
            levels.append(TLP.parse(name))
        except ValueError:
            warnings.append(UNKNOWN_TLP.format(label=name))
            levels.append(TLP.RED)
    return max(levels) if levels else default


def _time(value: Any) -> str | int | None:
    """A MISP time: ISO text, or epoch seconds as text or number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return int(value) if value.strip().isdigit() else value.strip()
    return None


def _event_records(path: Path, raw: dict[str, Any], ctx: LoadContext) -> Iterator[Record]:
    event_uuid = raw.get("uuid")
    if not isinstance(event_uuid, str):
        yield Record(location(path, 0), "misp-event", error="event has no uuid")
        return
    warnings: list[str] = []
    try:
        key = stix_key(f"report--{event_uuid}")
    except ValidationError as exc:
        yield Record(location(path, event_uuid), "misp-event", error=str(exc))
        return
    level = _tlp(raw.get("Tag"), ctx.tlp, warnings)
    event = _Event(path, ctx, key, max(level, ctx.tlp), warnings)
    prov = ctx.prov(event_uuid, first_seen=_time(raw.get("date")), tlp=event.tlp)
    report = make_node(
        ctx.model, "Report", "misp-event", prov=prov, key=key, name=str(raw.get("info") or event_uuid),
        props={"stix_id": f"report--{event_uuid}", "published": _published(raw)},
    )  # fmt: skip
    yield Record(location(path, event_uuid), "misp-event", [report], raw=raw, warnings=tuple(warnings))
    owners: dict[str, str] = {}  # attribute / object uuid -> key of the node it names
    held: list[tuple[dict[str, Any], TLP]] = []
    levels: dict[str, TLP] = {}  # object uuid -> its marking
    objects = list(raw.get("Object") or ())
    transactions = [o for o in objects if _is_transaction(o)]
    event.transactions = frozenset(o["uuid"] for o in transactions)
    for attribute in raw.get("Attribute") or ():
        yield _attribute_record(event, attribute, owners)
    for obj in objects:
        if _is_transaction(obj):
            continue
        record, items, tlp = _object_record(event, obj, owners)
        yield record
        if items:
            held.append((obj, tlp))
            levels[obj["uuid"]] = tlp
    senders = _senders(event, objects)
    for obj in transactions:
        record, tlp = _transaction_record(event, obj, owners, senders, levels)
        yield record
        held.append((obj, tlp))
    for obj, tlp in held:
        if (references := _references(event, obj, owners, tlp)) is not None:
            yield references
    for galaxy in raw.get("Galaxy") or ():
        for cluster in (galaxy.get("GalaxyCluster") or ()) if isinstance(galaxy, dict) else ():
            yield _cluster_record(event, galaxy, cluster)


def _published(raw: dict[str, Any]) -> int | None:
    stamp = raw.get("publish_timestamp")
    if raw.get("published") and isinstance(stamp, str | int) and str(stamp).isdigit() and int(stamp) > 0:
        return int(stamp)
    return None


def _node_of(event: _Event, kind: str, value: str, prov: Provenance, symbol: str | None = None) -> Node:
    """The node an attribute (or an object's attribute) of MISP ``kind`` names; ValueError if none."""
    model = event.ctx.model
    if kind in OBSERVABLES:
        return observable_node(model, OBSERVABLES[kind], value.split("|")[0], prov)
    if kind in WALLETS:
        chain = WALLETS[kind] or SYMBOLS.get((symbol or "BTC").upper())
        if chain is None:
            raise ValueError(f"wallet of an unknown chain {symbol!r}")
        return make_node(model, "Wallet", chain, value, prov=prov)
    if kind in HASHES:
        return make_node(model, "File", "file", value, prov=prov, props={kind: value.lower()})
    if kind == "vulnerability":
        return make_node(model, "Vulnerability", "cve", value, prov=prov, props={"cve": value.upper()})
    raise ValueError(f"MISP attribute type {kind} is not modelled")


def _attribute_record(event: _Event, raw: Any, owners: dict[str, str]) -> Record:
    where = location(event.path, raw.get("uuid", "attribute") if isinstance(raw, dict) else "attribute")
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("value"), str)
        or not isinstance(raw.get("type"), str)
    ):
        return Record(where, "attribute", error="attribute without a type and a value", raw=raw)
    warnings: list[str] = []
    tlp = max(_tlp(raw.get("Tag"), event.tlp, warnings), event.ctx.tlp)
    prov = event.ctx.prov(
        raw.get("uuid"),
        first_seen=_time(raw.get("first_seen")),
        last_seen=_time(raw.get("last_seen")),
        tlp=tlp,
    )
    try:
        node = _node_of(event, raw["type"], raw["value"], prov)
    except ValueError as exc:
        if "not modelled" in str(exc):
            return Record(where, "attribute", skipped=str(exc), raw=raw)
        return Record(where, "attribute", error=str(exc), raw=raw)
    except ValidationError as exc:
        return Record(where, "attribute", error=str(exc), raw=raw)
    if isinstance(raw.get("uuid"), str):
        owners[raw["uuid"]] = node.key
    if node.kind == "Wallet":
        event.wallets[node.key] = node.type
    items: list[Item] = [node, Edge("REFERS_TO", event.key, node.key, prov)]
    items += _sightings(event, raw, node.key, tlp)
    return Record(where, "attribute", items, raw=raw, warnings=tuple(warnings))


def _sightings(event: _Event, raw: dict[str, Any], key: str, tlp: TLP) -> list[Item]:
    items: list[Item] = []
    for sighting in raw.get("Sighting") or ():
        org = sighting.get("Organisation") if isinstance(sighting, dict) else None
        if (
            not isinstance(org, dict)
            or not isinstance(org.get("uuid"), str)
            or str(sighting.get("type")) != "0"
        ):
            continue  # a false positive (type 1) or an expiration (type 2) is no sighting
        try:
            org_key = uuid_key(org["uuid"])
        except ValidationError:
            continue
        prov = event.ctx.prov(sighting.get("uuid"), first_seen=_time(sighting.get("date_sighting")), tlp=tlp)
        name = str(org.get("name") or org["uuid"])
        items.append(
            make_node(event.ctx.model, "Identity", "organization", prov=prov, key=org_key, name=name)
        )
        items.append(
            Edge("SIGHTED_AT", key, org_key, prov, {"count": 1}, discriminator=str(sighting.get("uuid")))
        )
    return items


def _object_record(event: _Event, raw: Any, owners: dict[str, str]) -> tuple[Record, list[Item], TLP]:
    where = location(event.path, raw.get("uuid", "object") if isinstance(raw, dict) else "object")
    if not isinstance(raw, dict) or not isinstance(raw.get("uuid"), str):
        return Record(where, "object", error="object without a uuid", raw=raw), [], event.tlp
    name = str(raw.get("name") or "object")
    warnings: list[str] = []
    attributes = [a for a in raw.get("Attribute") or () if isinstance(a, dict)]
    object_tlp = max([event.tlp, *(_tlp(a.get("Tag"), event.tlp, warnings) for a in attributes)])
    symbol = next((a.get("value") for a in attributes if a.get("object_relation") == "symbol"), None)
    items: list[Item] = []
    for attribute in attributes:
        relation = str(attribute.get("object_relation") or attribute.get("type") or "")
        value = attribute.get("value")
        if not isinstance(value, str) or relation not in (*OBSERVABLES, *WALLETS, *HASHES, "vulnerability"):
            continue
        tlp = max(_tlp(attribute.get("Tag"), event.tlp, warnings), event.ctx.tlp)
        prov = event.ctx.prov(attribute.get("uuid") or raw["uuid"], tlp=tlp)
        try:
            node = _node_of(event, relation, value, prov, symbol if isinstance(symbol, str) else None)
        except (ValueError, ValidationError) as exc:
            warnings.append(f"{name} {relation} left out: {exc}")
            continue
        if isinstance(attribute.get("uuid"), str):
            owners[attribute["uuid"]] = node.key
        if node.kind == "Wallet":
            event.wallets[node.key] = node.type
        items += [node, Edge("REFERS_TO", event.key, node.key, prov)]
    nodes = [i for i in items if isinstance(i, Node)]
    if not nodes:
        return (
            Record(where, name, skipped=f"MISP object {name} names nothing modelled", raw=raw),
            [],
            object_tlp,
        )
    owners[raw["uuid"]] = nodes[0].key
    prov = event.ctx.prov(raw["uuid"], tlp=object_tlp)
    # What one object names together: a domain-ip's domain resolves to its ip.
    domains = [n for n in nodes if n.type == "domain"]
    ips = [n for n in nodes if n.type == "ip"]
    items += [Edge("RESOLVES_TO", d.key, i.key, prov) for d in domains for i in ips]
    return Record(where, name, items, raw=raw, warnings=tuple(warnings)), items, object_tlp


def _is_transaction(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("name") in TRANSACTIONS and isinstance(raw.get("uuid"), str)


def _relation(ref: Any) -> str:
    return str(ref.get("relationship_type") or "") if isinstance(ref, dict) else ""


def _places_transaction(event: _Event, raw: dict[str, Any], ref: Any) -> bool:
    """Whether an object reference says who sends a transaction, or to whom it is sent."""
    if raw["uuid"] in event.transactions:
        return _relation(ref) == SENDS_TO
    return _relation(ref) == SENDS and str(ref.get("referenced_uuid")) in event.transactions


def _senders(event: _Event, objects: list[Any]) -> dict[str, list[str]]:
    """Transaction uuid -> the uuids of the objects that ``sends`` it, in the event's order."""
    senders: dict[str, list[str]] = {}
    for obj in objects:
        if isinstance(obj, dict) and isinstance(obj.get("uuid"), str):
            for ref in obj.get("ObjectReference") or ():
                if _places_transaction(event, obj, ref) and _relation(ref) == SENDS:
                    senders.setdefault(str(ref["referenced_uuid"]), []).append(obj["uuid"])
    return senders


def _wallet_side(
    event: _Event, uuids: list[str], owners: dict[str, str], role: str, problems: list[str]
) -> list[str]:
    """The wallets the objects (or attributes) ``uuids`` name; what names no wallet is a problem."""
    wallets: list[str] = []
    for ref in uuids:
        key = owners.get(ref)
        if key is None:
            problems.append(f"{role} was not loaded")
        elif key not in event.wallets:
            problems.append(f"{role} is not a wallet")
        elif key not in wallets:
            wallets.append(key)
    return wallets


def _wallets(count: int, role: str) -> str:
    return f"{count} {role} wallet{'' if count == 1 else 's'}"


def _values(attributes: list[dict[str, Any]], relation: str) -> list[Any]:
    return [a.get("value") for a in attributes if a.get("object_relation") == relation]


def _amount(values: list[Any], relation: str, name: str, warnings: list[str]) -> float | None:
    """A MISP float attribute's value (its first); a value that is no finite number is a warning."""
    if not values or values[0] is None or values[0] == "":
        return None
    try:
        number = float(values[0])
    except (TypeError, ValueError):
        number = float("nan")
    if number != number or number in (float("inf"), float("-inf")):
        warnings.append(f"{name}: {relation} left out: not a number: {str(values[0])!r}")
        return None
    return number


def _transaction_record(
    event: _Event,
    raw: dict[str, Any],
    owners: dict[str, str],
    senders: dict[str, list[str]],
    levels: dict[str, TLP],
) -> tuple[Record, TLP]:
    """A transaction object as TRANSFERRED links from the wallets that ``sends`` it to those it ``sends-to``
    (its own address standing for a side no reference names), marked at the most restrictive of its own
    tags and of the objects whose references place it; its address, when it has one, is a wallet of its
    own. With a side without a wallet, no link: the record says why."""
    name, uuid = str(raw["name"]), str(raw["uuid"])
    where = location(event.path, uuid)
    amount_relation, fixed_asset, address_relation = TRANSACTIONS[name]
    attributes = [a for a in raw.get("Attribute") or () if isinstance(a, dict)]
    warnings: list[str] = []
    sending = senders.get(uuid, [])
    level = max(
        [
            event.tlp,
            event.ctx.tlp,
            *(_tlp(a.get("Tag"), event.tlp, warnings) for a in attributes),
            *(levels[s] for s in sending if s in levels),
        ]
    )
    prov = event.ctx.prov(uuid, tlp=level)
    symbols = [v.strip().upper() for v in _values(attributes, "symbol") if isinstance(v, str) and v.strip()]
    asset = fixed_asset or (symbols[0] if symbols else None)
    items: list[Item] = []
    addresses: list[str] = []
    for attribute in (a for a in attributes if a.get("object_relation") == address_relation):
        value = attribute.get("value")
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            node = _node_of(event, "btc" if fixed_asset else "address", value.strip(), prov, asset)
        except (ValueError, ValidationError) as exc:
            warnings.append(f"{name} {address_relation} left out: {exc}")
            continue
        event.wallets[node.key] = node.type
        owners[uuid] = node.key
        if isinstance(attribute.get("uuid"), str):
            owners[attribute["uuid"]] = node.key
        addresses.append(node.key)
        items += [node, Edge("REFERS_TO", event.key, node.key, prov)]
    unsent: list[str] = []
    sources = _wallet_side(event, sending, owners, "the object that 'sends' it", unsent)
    receiving = [
        str(r.get("referenced_uuid")) for r in raw.get("ObjectReference") or () if _relation(r) == SENDS_TO
    ]
    unreceived: list[str] = []
    targets = _wallet_side(event, receiving, owners, "what it 'sends-to'", unreceived)
    # The transaction's own address: the side no reference names (when it is not the other side).
    if len(addresses) == 1 and bool(sources) != bool(targets) and addresses[0] not in sources + targets:
        (sources if not sources else targets).append(addresses[0])
    missing: list[str] = []
    for side, found, problems, default in (
        ("sending", sources, unsent, "no wallet object 'sends' it"),
        ("receiving", targets, unreceived, "no 'sends-to' reference from it to a wallet object"),
    ):
        if not found:
            missing.append(f"no {side} wallet ({'; '.join(dict.fromkeys(problems)) or default})")
        else:
            warnings += [f"{name}: {problem}, left out" for problem in problems]
    if missing:
        reason = f"{name} names {' and '.join(missing)}: no transfer loaded"
        if not items:
            return Record(where, name, skipped=reason, raw=raw, warnings=tuple(warnings)), level
        reason += f"; its {address_relation} is loaded as a wallet"
        return Record(where, name, items, raw=raw, warnings=(*warnings, reason)), level
    props = _transfer_props(attributes, name, amount_relation, asset, warnings)
    if props.get("asset") is None and event.wallets[sources[0]] in SYMBOLS.values():
        props["asset"] = event.wallets[sources[0]].upper()  # no symbol: the asset of the sender's chain
    pairs = [(s, t) for s in sources for t in targets]
    if len(pairs) > 1 and (props.get("amount") is not None or props.get("amount_usd") is not None):
        props.pop("amount", None)
        props.pop("amount_usd", None)
        warnings.append(
            f"{name} from {_wallets(len(sources), 'sending')} to {_wallets(len(targets), 'receiving')}: "
            "its value is not split between them, so its transfers are loaded without an amount"
        )
    made = _CRIMEGRAPH_LINK.fullmatch(str(raw.get("comment") or ""))
    for source, target in pairs:
        if made is not None and len(pairs) == 1 and made.group(1, 2) == (source, target):
            discriminator = made.group(3)  # the link's own key, as crimegraph exported it
            index = _extra(made.group(4)).get("output_index")
            if isinstance(index, int) and not isinstance(index, bool):
                props["output_index"] = index
        else:
            # Keyed by its tx id, as the CSV loader keys a transfer: the same transfer from another source
            # merges with it. Two objects of this event with one tx id between the same wallets stay apart.
            discriminator = str(props.get("tx_id") or f"misp:{uuid}")
            if (source, target, discriminator) in event.links:
                discriminator += f":misp:{uuid}"
        event.links.add((source, target, discriminator))
        items.append(Edge("TRANSFERRED", source, target, prov, props, discriminator))
    return Record(where, name, items, raw=raw, warnings=tuple(warnings)), level


def _transfer_props(
    attributes: list[dict[str, Any]], name: str, amount_relation: str, asset: str | None, warnings: list[str]
) -> dict[str, Any]:
    """A transfer's properties as the CSV loader sets them: amount in the asset's units, asset (upper
    case), USD value, time (UTC ISO), tx id."""
    props: dict[str, Any] = {
        "amount": _amount(_values(attributes, amount_relation), amount_relation, name, warnings),
        "asset": asset,
        "amount_usd": _amount(_values(attributes, "value_USD"), "value_USD", name, warnings),
    }
    times = [v for v in _values(attributes, "time") if v not in (None, "")]
    if times:
        try:
            props["time"] = to_iso(_time(times[0]))  # ISO text, or epoch seconds
        except (TypeError, ValueError):
            warnings.append(f"{name}: time left out: not a date/time: {str(times[0])!r}")
    numbers = [
        v.strip() for v in _values(attributes, "transaction-number") if isinstance(v, str) and v.strip()
    ]
    if numbers:
        props["tx_id"] = numbers[0]
    if len(numbers) > 1:
        warnings.append(f"{name} with {len(numbers)} transaction numbers: the first is its tx id")
    return {k: v for k, v in props.items() if v is not None}


def _extra(text: str | None) -> dict[str, Any]:
    try:
        found = json.loads(text) if text else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _references(event: _Event, raw: dict[str, Any], owners: dict[str, str], tlp: TLP) -> Record | None:
    """The object's references as edges between what the objects name (by the STIX relationship table);
    None when it has none but those that place a transaction (read by :func:`_transaction_record`)."""
    where = location(event.path, f"{raw['uuid']}/references")
    source = owners.get(raw["uuid"])
    prov = event.ctx.prov(f"{raw['uuid']}/references", tlp=tlp)
    items: list[Item] = []
    warnings: list[str] = []
    refs = [ref for ref in raw.get("ObjectReference") or () if not _places_transaction(event, raw, ref)]
    if not refs:
        return None
    for ref in refs:
        target = owners.get(str(ref.get("referenced_uuid"))) if isinstance(ref, dict) else None
        relation = str(ref.get("relationship_type") or "related-to") if isinstance(ref, dict) else ""
        if source is None or target is None or target == source:
            warnings.append("object reference to something not loaded left out")
            continue
        edge_type, reverse = RELATIONSHIPS.get(relation, ("RELATED_TO", False))
        ends = (target, source) if reverse else (source, target)
        props = {"relation": relation} if edge_type == "RELATED_TO" else {}
        discriminator = relation if edge_type == "RELATED_TO" else ""
        items.append(Edge(edge_type, *ends, prov, props, discriminator))
    if not items:
        return Record(where, "object-reference", skipped="no object references between loaded objects")
    return Record(where, "object-reference", items, warnings=tuple(warnings))


def _cluster_record(event: _Event, galaxy: dict[str, Any], raw: Any) -> Record:
    where = location(event.path, raw.get("uuid", "cluster") if isinstance(raw, dict) else "cluster")
    if not isinstance(raw, dict) or not isinstance(raw.get("value"), str):
        return Record(where, "galaxy-cluster", error="galaxy cluster without a value", raw=raw)
    galaxy_type = str(raw.get("type") or galaxy.get("type") or "")
    meta: dict[str, Any] = raw["meta"] if isinstance(raw.get("meta"), dict) else {}
    kind, node_type = galaxy_kind(galaxy_type, meta=dict.fromkeys(meta, 1), values=1)
    prov = event.ctx.prov(raw.get("uuid"), tlp=event.tlp)
    try:
        node = make_node(
            event.ctx.model, kind, node_type, prov=prov, uuid=str(raw.get("uuid")), name=raw["value"],
            props=_cluster_props(event, kind, raw, meta, galaxy_type),
        )  # fmt: skip
    except ValidationError as exc:
        return Record(where, "galaxy-cluster", error=str(exc), raw=raw)
    return Record(where, "galaxy-cluster", [node, Edge("REFERS_TO", event.key, node.key, prov)], raw=raw)


def _cluster_props(
    event: _Event, kind: str, raw: dict[str, Any], meta: dict[str, Any], galaxy_type: str
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "description": raw.get("description") or None,
        "aliases": _strings(meta.get("synonyms")),
        "galaxy": galaxy_type,
        "misp_uuid": raw.get("uuid"),
    }
    allowed = event.ctx.model.nodes[kind].properties
    return {k: v for k, v in props.items() if k in allowed}
