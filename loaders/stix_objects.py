"""STIX objects as nodes and edges: one small mapping function per object type.

SDOs are keyed by their STIX id; ATT&CK ids and software names a bundle gives to only one object
become extra ids of its node (``attack:G0007``, ``software:cobalt strike``). Observables are keyed
by canonical value with their STIX id as an extra id, so relationships by SCO id still resolve.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from graph_model.entities import Edge, Node, make_node
from graph_model.errors import ValidationError
from graph_model.identity import node_key
from graph_model.provenance import Provenance
from loaders.cti import (
    ALIAS_CONFIDENCE,
    alias_candidate,
    observable_node,
    pattern_observables,
)
from loaders.markings import Markings, kept
from loaders.records import LoadContext

Item = Node | Edge

ATTACK_SOURCES = frozenset({"mitre-attack", "mitre-mobile-attack", "mitre-ics-attack"})
# identity_class -> Identity type; 'group' and 'unknown' are kept as organisations.
# threat_actor_types naming one person (the STIX vocabulary has the insiders; producers also write these).
INDIVIDUAL_TYPES = frozenset(
    {"individual", "insider", "insider-accidental", "insider-disgruntled", "lone-wolf"}
)
IDENTITY_TYPES = {
    "individual": "individual",
    "organization": "organization",
    "class": "class",
    "system": "system",
}


@dataclass(slots=True)
class Bundle:
    """What a first pass over the bundle learns before any object is mapped."""

    markings: Markings = field(default_factory=Markings)
    merge_ids: dict[str, list[str]] = field(default_factory=dict)
    aliases: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Objects a crimegraph export made from nodes: their id -> the node key they came from.
    own_keys: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StixObject:
    """One STIX object being mapped: its JSON, key, provenance and the bundle it came in."""

    raw: dict[str, Any]
    key: str
    prov: Provenance
    ctx: LoadContext
    bundle: Bundle
    # What was left out of this object, for the record's warnings.
    warnings: list[str] = field(default_factory=list)

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


# What the SDO mappers express themselves (or crimegraph writes back itself); every other property an object
# has - its created/modified at the source's precision, external_references with their citations,
# created_by_ref, labels, lang, kill_chain_phases, custom properties - is kept verbatim in ``stix_extra``.
EXPRESSED = frozenset(
    {
        "type", "id", "spec_version", "name", "description", "aliases", "x_mitre_aliases", "confidence",
        "object_marking_refs", "granular_markings", "first_seen", "last_seen", "revoked",
        "x_mitre_deprecated", "x_mitre_platforms", "is_family", "pattern", "pattern_type", "object_refs",
        "identity_class", "sectors", "contact_information", "threat_actor_types", "primary_motivation",
        "roles", "malware_types", "tool_types", "infrastructure_types", "published", "report_types",
        "number_observed", "first_observed", "last_observed", "content", "abstract", "authors", "opinion",
        "explanation", "region", "country", "city", "latitude", "longitude", "objective", "resource_level",
        "indicator_types", "x_mitre_sectors", "x_mitre_related_assets", "x_mitre_data_source_ref",
    }
)  # fmt: skip


def stix_extra(raw: dict[str, Any], markings: Markings | None = None) -> str | None:
    """The object's properties no mapper expresses, as JSON (crimegraph's own ``x_crimegraph_*`` left out:
    an export read back is not its own source), with its non-TLP markings (``loaders.markings.kept``)."""
    extra = {
        k: v
        for k, v in raw.items()
        if k not in EXPRESSED and not k.startswith("x_crimegraph_") and k != "extensions"
    }
    # A producer's extensions are kept; an object crimegraph exported carries only crimegraph's own.
    if isinstance(raw.get("extensions"), dict) and "x_crimegraph_key" not in raw:
        extra["extensions"] = raw["extensions"]
    if markings is not None:
        extra.update(kept(raw, markings))
    return json.dumps(extra, sort_keys=True, ensure_ascii=False) if extra else None


def _common(o: StixObject) -> dict[str, Any]:
    return {
        "description": o.text("description"),
        "stix_id": o.raw["id"],
        "stix_extra": stix_extra(o.raw, o.bundle.markings),
    }


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
        key=o.key,
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
    return [_node(o, "Actor", "person" if is_individual(o) else "group", props), *_alias_edges(o)]


def is_individual(o: StixObject) -> bool:
    """A threat actor that is one person: ``resource_level: individual`` or an individual/insider type."""
    if o.raw["type"] != "threat-actor":
        return False
    types = {t.lower() for t in o.texts("threat_actor_types")}
    return o.text("resource_level") == "individual" or bool(types & INDIVIDUAL_TYPES)


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
    node = _node(
        o, "Identity", type_, {"sectors": o.texts("sectors"), "contact": o.text("contact_information")}
    )
    return [node, *_sectors(o, node.key, o.texts("sectors"))]


def _sectors(o: StixObject, key: str, sectors: list[str]) -> list[Item]:
    """Each named industry sector as an Identity of type sector, joined by IN_SECTOR: which sectors are
    targeted is then a path (TARGETS an organisation IN_SECTOR energy), and one sector is one node."""
    items: list[Item] = []
    for sector in dict.fromkeys(s.strip() for s in sectors if s.strip()):
        node = make_node(o.ctx.model, "Identity", "sector", sector, prov=o.prov, name=sector)
        items += [node, Edge("IN_SECTOR", key, node.key, o.prov)]
    return items


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


def _mitigation(o: StixObject) -> list[Item]:
    return [_node(o, "Mitigation", "course-of-action", {**_status(o), "attack_id": attack_id(o.raw)})]


def _detection(o: StixObject) -> list[Item]:
    type_ = o.raw["type"].removeprefix("x-mitre-")
    props = {**_status(o), "attack_id": attack_id(o.raw), "data_source": o.text("x_mitre_data_source_ref")}
    return [_node(o, "Detection", type_, props)]


def _asset(o: StixObject) -> list[Item]:
    props = {
        **_status(o),
        "attack_id": attack_id(o.raw),
        "platforms": o.texts("x_mitre_platforms"),
        "sectors": o.texts("x_mitre_sectors"),
        "aliases": [r["name"] for r in o.raw.get("x_mitre_related_assets") or () if _named(r)],
    }
    node = _node(o, "Asset", "ics-asset", props)
    return [node, *_sectors(o, node.key, o.texts("x_mitre_sectors"))]


def _named(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("name"), str) and bool(value["name"].strip())


def _location(o: StixObject) -> list[Item]:
    region, country, city = o.text("region"), o.text("country"), o.text("city")
    type_ = "city" if city else "country" if country else "region" if region else "place"
    name = o.text("name") or city or country or region
    props: dict[str, Any] = {"region": region, "country": country, "city": city}
    for axis in ("latitude", "longitude"):
        value = o.raw.get(axis)
        props[axis] = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    return [_node(o, "Location", type_, props, name=name)]


def _incident(o: StixObject) -> list[Item]:
    return [_node(o, "Incident", "incident", {"aliases": o.texts("aliases")})]


# File hashes from the strongest down: a file is keyed by the first it has.
HASHES = (("SHA-256", "sha256"), ("SHA-1", "sha1"), ("MD5", "md5"))


def _file(o: StixObject) -> list[Item]:
    given = o.raw.get("hashes")
    hashes: dict[str, Any] = given if isinstance(given, dict) else {}
    found = {prop: str(hashes[name]).lower() for name, prop in HASHES if isinstance(hashes.get(name), str)}
    size = o.raw.get("size")
    props: dict[str, Any] = {
        **found,
        "stix_id": o.raw["id"],
        "file_name": o.text("name"),
        "size": size if isinstance(size, int) and not isinstance(size, bool) else None,
    }
    name = o.text("name") or next(iter(found.values()), None)
    if not found:  # no hash: the STIX id (derived from the name) is the only identity
        return [make_node(o.ctx.model, "File", "file", prov=o.prov, key=o.key, name=name, props=props)]
    value = next(iter(found.values()))
    return [make_node(o.ctx.model, "File", "file", value, prov=o.prov, name=name, props=props, ids=(o.key,))]


def _software_sco(o: StixObject) -> list[Item]:
    props = {"cpe": o.text("cpe"), "vendor": o.text("vendor"), "version": o.text("version")}
    return [_node(o, "File", "software", props)]
