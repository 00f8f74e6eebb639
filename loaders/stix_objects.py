"""STIX objects as nodes and edges: one small mapping function per object type.

SDOs are keyed by their STIX id; ATT&CK ids and software names a bundle gives to only one object
become extra ids of its node (``attack:G0007``, ``software:cobalt strike``). Observables are keyed
by canonical value with their STIX id as an extra id, so relationships by SCO id still resolve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from graph_model.entities import Edge, Node, make_node
from graph_model.errors import ValidationError
from graph_model.identity import node_key, uuid_key
from graph_model.provenance import TLP, Provenance
from loaders.cti import (
    ALIAS_CONFIDENCE,
    OBSERVABLE_TYPES,
    alias_candidate,
    observable_node,
    pattern_observables,
)
from loaders.records import LoadContext

Item = Node | Edge

# relationship_type -> (edge type, reversed?); any other type becomes RELATED_TO with ``relation``.
RELATIONSHIPS: dict[str, tuple[str, bool]] = {
    "uses": ("USES", False),
    "attributed-to": ("ATTRIBUTED_TO", False),
    "indicates": ("INDICATES", False),
    "targets": ("TARGETS", False),
    "revoked-by": ("REVOKED_BY", False),
    "controls": ("CONTROLS", False),
    "consists-of": ("CONSISTS_OF", False),
    "communicates-with": ("COMMUNICATES_WITH", False),
    "hosts": ("HOSTED_ON", True),
    "impersonates": ("IMPERSONATES", False),
    "variant-of": ("VARIANT_OF", False),
}
ATTACK_SOURCES = frozenset({"mitre-attack", "mitre-mobile-attack", "mitre-ics-attack"})
# identity_class -> Identity type; 'group' and 'unknown' are kept as organisations.
IDENTITY_TYPES = {
    "individual": "individual",
    "organization": "organization",
    "class": "class",
    "system": "system",
}


@dataclass(slots=True)
class Bundle:
    """What a first pass over the bundle learns before any object is mapped."""

    markings: dict[str, TLP] = field(default_factory=dict)
    merge_ids: dict[str, list[str]] = field(default_factory=dict)
    aliases: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StixObject:
    """One STIX object being mapped: its JSON, key, provenance and the bundle it came in."""

    raw: dict[str, Any]
    key: str
    prov: Provenance
    ctx: LoadContext
    bundle: Bundle

    def text(self, name: str) -> str | None:
        value = self.raw.get(name)
        return value if isinstance(value, str) and value.strip() else None

    def texts(self, *names: str) -> list[str]:
        """Strings of list properties (a lone string counts as a list of one, as stix2 takes it)."""
        values = [self.raw.get(n) for n in names]
        items = [v for value in values for v in (value if isinstance(value, list) else [value])]
        return [v for v in items if isinstance(v, str)]


class Unmodelled(Exception):
    """A good object this loader deliberately does not load; the message is the skip reason."""


def attack_id(raw: dict[str, Any]) -> str | None:
    """The ATT&CK id (``G0007``, ``S0154``, ``C0022``, ``T1059``) in an object's external references."""
    for ref in raw.get("external_references") or ():
        if isinstance(ref, dict) and ref.get("source_name") in ATTACK_SOURCES:
            value = ref.get("external_id")
            return value if isinstance(value, str) else None
    return None


def _common(o: StixObject) -> dict[str, Any]:
    return {"description": o.text("description"), "stix_id": o.raw["id"]}


def _status(o: StixObject) -> dict[str, Any]:
    """``revoked``/``deprecated`` only when true: revoked ATT&CK objects are kept, as shells."""
    return {
        "revoked": True if o.raw.get("revoked") is True else None,
        "deprecated": True if o.raw.get("x_mitre_deprecated") is True else None,
    }


def _refs(o: StixObject) -> list[str]:
    refs = o.raw.get("external_references") or ()
    return sorted({r["url"] for r in refs if isinstance(r, dict) and isinstance(r.get("url"), str)})


def _external_id(o: StixObject, source: str) -> str | None:
    for ref in o.raw.get("external_references") or ():
        if (
            isinstance(ref, dict)
            and ref.get("source_name") == source
            and isinstance(ref.get("external_id"), str)
        ):
            return str(ref["external_id"])
    return None


def _alias_edges(o: StixObject) -> list[Item]:
    prov = replace(o.prov, confidence=ALIAS_CONFIDENCE)
    return [
        alias_candidate(o.key, other, alias, prov, "the same source lists this alias for both")
        for other, alias in o.bundle.aliases.get(o.key, ())
    ]


def _node(o: StixObject, kind: str, type_: str, props: dict[str, Any], name: str | None = None) -> Node:
    return make_node(
        o.ctx.model,
        kind,
        type_,
        prov=o.prov,
        uuid=o.raw["id"],
        name=name or o.text("name"),
        props={**_common(o), **props},
        ids=o.bundle.merge_ids.get(o.key, ()),
    )


def _actor(o: StixObject) -> list[Item]:
    props = {
        **_status(o),
        "aliases": o.texts("aliases"),
        "attack_id": attack_id(o.raw),
        "stix_type": o.raw["type"],
        "refs": _refs(o),
        "classification": o.texts("threat_actor_types"),
        "motive": o.text("primary_motivation"),
        "roles": o.texts("roles"),
    }
    return [_node(o, "Actor", "group", props), *_alias_edges(o)]


def _campaign(o: StixObject) -> list[Item]:
    props = {
        **_status(o),
        "aliases": o.texts("aliases"),
        "attack_id": attack_id(o.raw),
        "objective": o.text("objective"),
    }
    return [_node(o, "Campaign", "campaign", props), *_alias_edges(o)]


def _software(o: StixObject) -> list[Item]:
    props = {
        **_status(o),
        "aliases": o.texts("aliases", "x_mitre_aliases"),
        "attack_id": attack_id(o.raw),
        "refs": _refs(o),
        "categories": o.texts("malware_types", "tool_types"),
        "platforms": o.texts("x_mitre_platforms"),
    }
    return [_node(o, "Malware", o.raw["type"], props), *_alias_edges(o)]


def _identity(o: StixObject) -> list[Item]:
    type_ = IDENTITY_TYPES.get(o.text("identity_class") or "", "organization")
    return [
        _node(o, "Identity", type_, {"sectors": o.texts("sectors"), "contact": o.text("contact_information")})
    ]


def _infrastructure(o: StixObject) -> list[Item]:
    # A STIX infrastructure object is a named system (a C2 server, a botnet's hosts), not an address.
    props = {"infrastructure_types": o.texts("infrastructure_types"), "aliases": o.texts("aliases")}
    return [_node(o, "Infrastructure", "host", props)]


def _technique(o: StixObject) -> list[Item]:
    props = {**_status(o), "attack_id": attack_id(o.raw), "capec_id": _external_id(o, "capec")}
    return [_node(o, "Technique", "attack-pattern", props)]


def _vulnerability(o: StixObject) -> list[Item]:
    cve = _external_id(o, "cve")
    node = _node(o, "Vulnerability", "cve", {"cve": cve})
    if cve:
        node.ids = tuple(sorted({*node.ids, node_key(o.ctx.model, "Vulnerability", "cve", cve)}))
    return [node]


def _indicator(o: StixObject) -> list[Item]:
    pattern = o.text("pattern") or ""
    props = {
        "revoked": _status(o)["revoked"],
        "pattern": pattern,
        "pattern_type": o.text("pattern_type"),
        "indicator_types": o.texts("indicator_types"),
    }
    items: list[Item] = [_node(o, "Indicator", "pattern", props, name=o.text("name") or pattern)]
    if (o.text("pattern_type") or "stix") != "stix":
        return items
    for stix_type, value in pattern_observables(pattern, o.text("pattern_version") or o.text("spec_version")):
        try:
            node = observable_node(o.ctx.model, stix_type, value, o.prov)
        except (ValidationError, ValueError):
            continue  # a malformed value stays in the pattern text only
        items += [node, Edge("MATCHES", o.key, node.key, o.prov)]
    return items


def _observable(o: StixObject) -> list[Item]:
    value = o.raw.get("number") if o.raw["type"] == "autonomous-system" else o.raw.get("value")
    props = {"stix_id": o.raw["id"], "as_name": o.text("name")}
    node = observable_node(o.ctx.model, o.raw["type"], str(value), o.prov, ids=(o.key,), props=props)
    links = [("RESOLVES_TO", r) for r in o.texts("resolves_to_refs")]
    links += [("BELONGS_TO", r) for r in o.texts("belongs_to_refs")]
    return [node, *(Edge(t, node.key, uuid_key(r), o.prov) for t, r in links if _modelled(r))]


def _modelled(ref: str) -> bool:
    return ref.partition("--")[0] in ENDPOINTS


def _require_modelled(what: str, *refs: str) -> None:
    for ref in refs:
        if not _modelled(ref):
            raise Unmodelled(f"{what} with a {ref.partition('--')[0]}, which is not modelled")


def _relationship(o: StixObject) -> list[Item]:
    relation = o.raw["relationship_type"]
    source, target = o.raw["source_ref"], o.raw["target_ref"]
    _require_modelled("relationship", source, target)
    edge_type, reverse = RELATIONSHIPS.get(relation, ("RELATED_TO", False))
    if reverse:
        source, target = target, source
    props: dict[str, Any] = {}
    if edge_type == "RELATED_TO":
        props["relation"] = relation
    elif edge_type == "USES":
        props["description"] = o.text("description")
    props = {k: v for k, v in props.items() if v is not None}
    # No discriminator: the same fact from two sources is one edge; RELATED_TO keeps each relation apart.
    discriminator = relation if edge_type == "RELATED_TO" else ""
    return [Edge(edge_type, uuid_key(source), uuid_key(target), o.prov, props, discriminator)]


def _sighting(o: StixObject) -> list[Item]:
    sighted = o.raw["sighting_of_ref"]
    _require_modelled("sighting", sighted)
    where = [r for r in o.texts("where_sighted_refs") if _modelled(r)]
    if not where:
        raise Unmodelled("sighting without a modelled where_sighted_refs")
    count = o.raw.get("count")
    props = {"count": count} if isinstance(count, int) and not isinstance(count, bool) else {}
    return [Edge("SIGHTED_AT", uuid_key(sighted), uuid_key(w), o.prov, dict(props)) for w in where]


MAPPERS: dict[str, Callable[[StixObject], list[Item]]] = {
    "intrusion-set": _actor,
    "threat-actor": _actor,
    "campaign": _campaign,
    "malware": _software,
    "tool": _software,
    "identity": _identity,
    "infrastructure": _infrastructure,
    "attack-pattern": _technique,
    "vulnerability": _vulnerability,
    "indicator": _indicator,
    "relationship": _relationship,
    "sighting": _sighting,
    **dict.fromkeys(OBSERVABLE_TYPES, _observable),
}
# Object types an edge may end on.
ENDPOINTS = frozenset(MAPPERS) - {"relationship", "sighting"}
