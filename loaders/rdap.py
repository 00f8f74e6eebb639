"""RDAP responses (RFC 9083, format ``rdap``): who registered a domain, IP network or AS number, and whom to
tell about abuse.

A file holds one response, a JSON array of responses, or a search result (``domainSearchResults``,
``ipSearchResults``, ``autnumSearchResults``); each object is one record:

- **domain**: the domain (``status``, ``registrant_country``, ``registry_handle``), the registrar entity as
  an Infrastructure ``registrar`` (``iana_id``, the abuse contact of its ``abuse`` entity) and the registry of
  its top-level domain as an Infrastructure ``registry`` (``registry of .tld``), each by REGISTERED_WITH
  (``relation`` registrar / registry);
- **ip network**: the network as CIDR nodes (``cidr0_cidrs`` where given, else its start-end range), with
  ``country`` and the abuse contact; the registrant organisation as a hosting ``provider`` (BELONGS_TO);
  the AS numbers that originate it (``arin_originas0_originautnums``) by BELONGS_TO;
- **autnum**: each AS number of the range (at most :data:`MAX_RANGE`) with ``as_name``, ``country`` and the
  abuse contact; the registrant organisation as its ``provider`` (BELONGS_TO).

The abuse contact (``abuse_email``, ``abuse_phone``) is the first entity with the ``abuse`` role, looked for
under the party it belongs to (a registrar's own abuse entity) and then anywhere in the object. Registrants
who are individuals give only their country: no person enters the graph from registration data. The time
of the registry's "last update of RDAP database" event, where given, is when the source saw the object.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph_model.entities import Edge, Node, make_node
from loaders.records import LoadContext, Record, SourceError, location
from loaders.rows import Items, built
from loaders.tabular import open_source

SEARCH_RESULTS = ("domainSearchResults", "ipSearchResults", "networkSearchResults", "autnumSearchResults")
MAX_RANGE = 256  # AS numbers one autnum object may create
MAX_CIDRS = 16  # CIDR blocks one network range may create
ORGANISATION_KINDS = frozenset({"org", "group"})


class Entity:
    """One RDAP entity: its roles, the vCard fields crimegraph reads, and the entities nested in it."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.roles = {str(r).lower() for r in raw.get("roles") or () if isinstance(r, str)}
        self.handle = str(raw.get("handle") or "")
        self.public_ids = {
            str(p.get("type", "")): str(p.get("identifier", ""))
            for p in raw.get("publicIds") or ()
            if isinstance(p, dict)
        }
        self.fields: dict[str, list[tuple[dict[str, Any], Any]]] = {}
        card = raw.get("vcardArray")
        if isinstance(card, list) and len(card) == 2 and isinstance(card[1], list):
            for prop in card[1]:
                if isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str):
                    params = prop[1] if isinstance(prop[1], dict) else {}
                    self.fields.setdefault(prop[0].lower(), []).append((params, prop[3]))
        self.children = [Entity(e) for e in raw.get("entities") or () if isinstance(e, dict)]

    def text(self, name: str) -> str | None:
        for _, value in self.fields.get(name, ()):
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    @property
    def name(self) -> str | None:
        return self.text("fn") or self.text("org")

    @property
    def is_organisation(self) -> bool:
        return (self.text("kind") or "org").lower() in ORGANISATION_KINDS

    @property
    def phone(self) -> str | None:
        phone = self.text("tel")
        return phone.removeprefix("tel:") if phone else None

    @property
    def country(self) -> str | None:
        """An ISO code where the card gives one (``ISO-3166-1-alpha-2``, ``adr`` ``cc``), else the country
        name of the address (its last element, or the last line of its label)."""
        code = self.text("iso-3166-1-alpha-2")
        if code:
            return code.upper()
        for params, value in self.fields.get("adr", ()):
            if isinstance(params.get("cc"), str) and params["cc"].strip():
                return str(params["cc"]).strip().upper()
            if isinstance(value, list) and len(value) >= 7 and isinstance(value[6], str) and value[6].strip():
                return value[6].strip()
            label = params.get("label")
            if isinstance(label, str) and label.strip():
                return label.strip().splitlines()[-1].strip()
        return None

    def walk(self) -> Iterator[Entity]:
        yield self
        for child in self.children:
            yield from child.walk()


def _entities(obj: dict[str, Any]) -> list[Entity]:
    return [Entity(e) for e in obj.get("entities") or () if isinstance(e, dict)]


def _with_role(entities: list[Entity], role: str) -> Entity | None:
    for top in entities:
        for entity in top.walk():
            if role in entity.roles:
                return entity
    return None


def _abuse(entities: list[Entity]) -> dict[str, str | None]:
    found = _with_role(entities, "abuse")
    if found is None:
        return {}
    return {"abuse_email": found.text("email"), "abuse_phone": found.phone}


def _seen(obj: dict[str, Any]) -> str | None:
    for event in obj.get("events") or ():
        if (
            isinstance(event, dict)
            and str(event.get("eventAction", "")).lower() == "last update of rdap database"
        ):
            return str(event.get("eventDate") or "") or None
    return None


def _ref(obj: dict[str, Any], fallback: str) -> str:
    for link in obj.get("links") or ():
        if isinstance(link, dict) and link.get("rel") == "self" and link.get("href"):
            return str(link["href"])
    return str(obj.get("handle") or fallback)


def _status(obj: dict[str, Any]) -> str | None:
    status = [str(s) for s in obj.get("status") or () if isinstance(s, str)]
    return ", ".join(status) or None


def _provider(ctx: LoadContext, prov: Any, entities: list[Entity]) -> Node | None:
    """The registrant organisation (a network's or an AS's holder) as a hosting provider."""
    registrant = _with_role(entities, "registrant")
    if registrant is None or not registrant.is_organisation or not registrant.name:
        return None
    abuse = _abuse(registrant.children) or _abuse(entities)
    props = {"country": registrant.country, **abuse}
    return make_node(ctx.model, "Infrastructure", "provider", registrant.name, prov=prov, props=props)


def _domain(ctx: LoadContext, ref: str, obj: dict[str, Any]) -> Items:
    name = obj.get("ldhName") or obj.get("unicodeName")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a domain object needs an ldhName")
    prov = ctx.prov(ref, first_seen=_seen(obj), last_seen=_seen(obj))
    entities = _entities(obj)
    registrant = _with_role(entities, "registrant")
    props = {
        "status": _status(obj),
        "registrant_country": registrant.country if registrant else None,
        "registry_handle": str(obj.get("handle") or "") or None,
    }
    domain = make_node(ctx.model, "Infrastructure", "domain", name.strip(), prov=prov, props=props)
    items: Items = [domain]
    registrar = _with_role(entities, "registrar")
    if registrar is not None and registrar.name:
        abuse = _abuse(registrar.children)
        if not abuse and "abuse" in registrar.roles:
            abuse = {"abuse_email": registrar.text("email"), "abuse_phone": registrar.phone}
        node = make_node(
            ctx.model,
            "Infrastructure",
            "registrar",
            registrar.name,
            prov=prov,
            props={
                "iana_id": registrar.public_ids.get("IANA Registrar ID"),
                "country": registrar.country,
                **abuse,
            },
        )
        items += [
            node,
            Edge("REGISTERED_WITH", domain.key, node.key, prov, {"relation": "registrar"}, "registrar"),
        ]
    tld = domain.key.rpartition(".")[2]
    if tld and "." in domain.key:
        registry = make_node(
            ctx.model, "Infrastructure", "registry", f"registry of .{tld}", prov=prov, props={"tlds": [tld]}
        )
        items += [
            registry,
            Edge("REGISTERED_WITH", domain.key, registry.key, prov, {"relation": "registry"}, "registry"),
        ]
    return items


def _cidrs(obj: dict[str, Any]) -> list[str]:
    found = []
    for block in obj.get("cidr0_cidrs") or ():
        if isinstance(block, dict) and isinstance(block.get("length"), int):
            prefix = block.get("v4prefix") or block.get("v6prefix")
            if isinstance(prefix, str):
                found.append(f"{prefix}/{block['length']}")
    if found:
        return found
    start, end = obj.get("startAddress"), obj.get("endAddress")
    if not isinstance(start, str) or not isinstance(end, str):
        raise ValueError("an ip network object needs startAddress and endAddress")
    try:
        blocks = list(
            ipaddress.summarize_address_range(ipaddress.ip_address(start), ipaddress.ip_address(end))
        )
    except (ValueError, TypeError) as exc:
        raise ValueError(f"bad address range {start} - {end}: {exc}") from None
    if len(blocks) > MAX_CIDRS:
        raise ValueError(f"range {start} - {end} spans {len(blocks)} CIDR blocks (at most {MAX_CIDRS})")
    return [str(b) for b in blocks]


def _network(ctx: LoadContext, ref: str, obj: dict[str, Any]) -> Items:
    prov = ctx.prov(ref, first_seen=_seen(obj), last_seen=_seen(obj))
    entities = _entities(obj)
    name = str(obj.get("name") or "") or None
    props = {
        "country": str(obj.get("country") or "").upper() or None,
        "status": _status(obj),
        "registry_handle": str(obj.get("handle") or "") or None,
        "description": name,
        **_abuse(entities),
    }
    items: Items = []
    provider = _provider(ctx, prov, entities)
    origins = [
        make_node(ctx.model, "Infrastructure", "asn", str(n), prov=prov, name=f"AS{n}")
        for n in obj.get("arin_originas0_originautnums") or ()
        if isinstance(n, int) and not isinstance(n, bool)
    ]
    items += origins
    if provider is not None:
        items.append(provider)
    for block in _cidrs(obj):
        cidr = make_node(ctx.model, "Infrastructure", "cidr", block, prov=prov, props=props)
        items.append(cidr)
        if provider is not None:
            items.append(Edge("BELONGS_TO", cidr.key, provider.key, prov, {"relation": "registrant"}))
        for asn in origins:
            items.append(Edge("BELONGS_TO", cidr.key, asn.key, prov, {"relation": "originated by"}))
    return items


def _autnum(ctx: LoadContext, ref: str, obj: dict[str, Any]) -> Items:
    start, end = obj.get("startAutnum"), obj.get("endAutnum", obj.get("startAutnum"))
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or end < start:
        raise ValueError("an autnum object needs startAutnum (and endAutnum not below it)")
    if end - start + 1 > MAX_RANGE:
        raise ValueError(f"AS range {start}-{end} holds {end - start + 1} numbers (at most {MAX_RANGE})")
    prov = ctx.prov(ref, first_seen=_seen(obj), last_seen=_seen(obj))
    entities = _entities(obj)
    props = {
        "as_name": str(obj.get("name") or "") or None,
        "country": str(obj.get("country") or "").upper() or None,
        "status": _status(obj),
        "registry_handle": str(obj.get("handle") or "") or None,
        **_abuse(entities),
    }
    provider = _provider(ctx, prov, entities)
    items: Items = [provider] if provider is not None else []
    for number in range(start, end + 1):
        asn = make_node(
            ctx.model, "Infrastructure", "asn", str(number), prov=prov, name=f"AS{number}", props=props
        )
        items.append(asn)
        if provider is not None:
            items.append(Edge("BELONGS_TO", asn.key, provider.key, prov, {"relation": "registrant"}))
    return items


BUILDERS = {"domain": _domain, "ip network": _network, "autnum": _autnum}


def _objects(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for name in SEARCH_RESULTS:
            if isinstance(data.get(name), list):
                return list(data[name])
        return [data]
    raise SourceError("an RDAP response is a JSON object (or an array of them)")


def _record(ctx: LoadContext, where: str, obj: Any) -> Record:
    if not isinstance(obj, dict):
        return Record(where, "rdap", error="not an RDAP object (expected a JSON object)", raw=obj)
    cls = str(obj.get("objectClassName") or "")
    if "errorCode" in obj and not cls:
        return Record(where, "error", skipped=f"an RDAP error response ({obj.get('errorCode')})", raw=obj)
    build = BUILDERS.get(cls)
    if build is None:
        return Record(
            where, cls or "rdap", skipped=f"RDAP {cls or 'object'} (not a domain, ip network or autnum)"
        )
    return built(where, cls, obj, build, ctx, _ref(obj, where), obj)


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per RDAP object of the file."""
    with open_source(path) as handle:
        raw = handle.read()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SourceError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    objects = _objects(data)
    for index, obj in enumerate(objects):
        yield _record(ctx, location(path, str(index)) if len(objects) > 1 else path.name, obj)
