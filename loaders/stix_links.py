"""STIX objects that link others: relationships, sightings, observables' refs, reports, notes, observed-data.

Every STIX type the loader maps is registered here (``MAPPERS``), with the node kind it becomes
(``KINDS``), so a reference's kind is known from its id alone (``malware--…`` is Malware). An edge
whose type the schema does not allow between those kinds is kept as RELATED_TO with the source's
word in ``relation``: the fact is not lost and no edge breaks the schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from graph_model.entities import Edge, make_node
from graph_model.identity import stix_key, uuid_key
from graph_model.model import Model
from loaders.cti import OBSERVABLE_TYPES, observable_node
from loaders.markings import kept
from loaders.stix_objects import (
    Item,
    StixObject,
    Unmodelled,
    _actor,
    _asset,
    _campaign,
    _detection,
    _file,
    _identity,
    _incident,
    _indicator,
    _infrastructure,
    _location,
    _mitigation,
    _node,
    _software,
    _software_sco,
    _technique,
    _vulnerability,
)

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
    "mitigates": ("MITIGATES", False),
    "remediates": ("MITIGATES", False),
    "detects": ("DETECTS", False),
    "subtechnique-of": ("SUBTECHNIQUE_OF", False),
    "located-at": ("LOCATED_AT", False),
    "originates-from": ("LOCATED_AT", False),
    "resolves-to": ("RESOLVES_TO", False),
    "belongs-to": ("BELONGS_TO", False),
}
# Edge types whose ``relation`` keeps the source's word, because several words share the type.
WORDED = frozenset({"RELATED_TO", "LOCATED_AT", "MITIGATES"})

# STIX type -> the node kind its mapper makes.
KINDS: dict[str, str] = {
    "intrusion-set": "Actor",
    "threat-actor": "Actor",
    "campaign": "Campaign",
    "malware": "Malware",
    "tool": "Malware",
    "identity": "Identity",
    "infrastructure": "Infrastructure",
    "attack-pattern": "Technique",
    "vulnerability": "Vulnerability",
    "indicator": "Indicator",
    "course-of-action": "Mitigation",
    "x-mitre-data-component": "Detection",
    "x-mitre-detection-strategy": "Detection",
    "x-mitre-asset": "Asset",
    "location": "Location",
    "incident": "Incident",
    "report": "Report",
    "observed-data": "Report",
    "note": "Note",
    "opinion": "Note",
    "file": "File",
    "software": "File",
    **dict.fromkeys(OBSERVABLE_TYPES, "Infrastructure"),
}


# Kinds whose STIX objects name an entity that other producers name by the same UUID (MISP's mitre-*
# galaxies reuse ATT&CK's UUIDs; a galaxy cluster is exported as an intrusion-set or a threat-actor):
# keyed ``uuid:<uuid>``. Every other type (observations, containers, observables' ids) is keyed by its
# whole STIX id, so objects of different types sharing a UUID stay distinct.
ENTITY_KINDS = frozenset(
    {
        "Actor",
        "Campaign",
        "Malware",
        "Identity",
        "Technique",
        "Vulnerability",
        "Mitigation",
        "Detection",
        "Asset",
        "Location",
        "Incident",
    }
)
ENTITY_TYPES = frozenset({*(t for t, k in KINDS.items() if k in ENTITY_KINDS), "infrastructure"})


def ref_key(ref: str) -> str:
    """The key a STIX id (an object's own, or a reference to one) lands on."""
    if ref.partition("--")[0] in ENTITY_TYPES:
        return uuid_key(ref)
    return stix_key(ref)


def ref_kind(ref: str) -> str | None:
    """The node kind a STIX reference lands on, from its type prefix; None when it is not modelled."""
    return KINDS.get(ref.partition("--")[0])


def fit(model: Model, edge_type: str, source: str, target: str) -> str:
    """``edge_type`` if the schema allows it between the kinds of these refs, else RELATED_TO."""
    kinds = ref_kind(source), ref_kind(target)
    if kinds[0] and kinds[1] and not model.edges[edge_type].allows(kinds[0], kinds[1]):
        return "RELATED_TO"
    return edge_type


def _require_modelled(what: str, *refs: str) -> None:
    for ref in refs:
        if ref_kind(ref) is None:
            kind = ref.partition("--")[0]
            article = "an" if kind[:1] in ("a", "e", "i", "o", "u") else "a"
            raise Unmodelled(f"{what} with {article} {kind}, which is not modelled")


def _observable(o: StixObject) -> list[Item]:
    value = o.raw.get("number") if o.raw["type"] == "autonomous-system" else o.raw.get("value")
    props = {"stix_id": o.raw["id"], "as_name": o.text("name")}
    node = observable_node(o.ctx.model, o.raw["type"], str(value), o.prov, ids=(o.key,), props=props)
    links = [("RESOLVES_TO", r) for r in o.texts("resolves_to_refs")]
    links += [("BELONGS_TO", r) for r in o.texts("belongs_to_refs")]
    return [
        node,
        *(
            Edge(fit(o.ctx.model, t, o.raw["id"], r), node.key, ref_key(r), o.prov, _word(t, r, o))
            for t, r in links
            if ref_kind(r)
        ),
    ]


def _word(edge_type: str, ref: str, o: StixObject) -> dict[str, Any]:
    if fit(o.ctx.model, edge_type, o.raw["id"], ref) == "RELATED_TO":
        return {"relation": edge_type.lower().replace("_", "-")}
    return {}


# What the relationship and sighting mappers express themselves; every other property the object has
# (created/modified at the source's precision, labels, lang, external_references, created_by_ref,
# observed_data_refs, custom ones) is kept verbatim in
# ``stix_extra`` (JSON), so nothing a producer stated on a link is refused or lost.
LINK_FIELDS = frozenset(
    {
        "type",
        "id",
        "spec_version",
        "relationship_type",
        "source_ref",
        "target_ref",
        "sighting_of_ref",
        "where_sighted_refs",
        "start_time",
        "stop_time",
        "first_seen",
        "last_seen",
        "confidence",
        "object_marking_refs",
        "granular_markings",
        "description",
        "count",
        "summary",
    }
)


def _link_props(o: StixObject) -> dict[str, Any]:
    """``description``, ``count``, ``summary`` and the rest as ``stix_extra``, as the edge keeps them."""
    count, summary = o.raw.get("count"), o.raw.get("summary")
    extra = {k: v for k, v in o.raw.items() if k not in LINK_FIELDS}
    extra.update(kept(o.raw, o.bundle.markings))
    props: dict[str, Any] = {
        "description": o.text("description"),
        "count": count if isinstance(count, int) and not isinstance(count, bool) else None,
        "summary": summary if isinstance(summary, bool) else None,
        "stix_extra": json.dumps(extra, sort_keys=True, ensure_ascii=False) if extra else None,
    }
    return {k: v for k, v in props.items() if v is not None}


def _relationship(o: StixObject) -> list[Item]:
    relation = o.raw["relationship_type"]
    source, target = o.raw["source_ref"], o.raw["target_ref"]
    _require_modelled("relationship", source, target)
    edge_type, reverse = RELATIONSHIPS.get(relation, ("RELATED_TO", False))
    if reverse:
        source, target = target, source
    edge_type = fit(o.ctx.model, edge_type, source, target)
    props = _link_props(o)
    if edge_type in WORDED:
        props["relation"] = relation
    # No discriminator: the same fact from two sources is one edge; RELATED_TO keeps each relation apart.
    discriminator = relation if edge_type == "RELATED_TO" else ""
    return [Edge(edge_type, ref_key(source), ref_key(target), o.prov, props, discriminator)]


def _sighting(o: StixObject) -> list[Item]:
    sighted = o.raw["sighting_of_ref"]
    _require_modelled("sighting", sighted)
    where = [r for r in o.texts("where_sighted_refs") if ref_kind(r)]
    if not where:
        raise Unmodelled("sighting without a modelled where_sighted_refs")
    props = _link_props(o)
    edges: list[Item] = []
    for place in where:
        edge_type = fit(o.ctx.model, "SIGHTED_AT", sighted, place)
        word = {"relation": "sighted-at"} if edge_type == "RELATED_TO" else {}
        edges.append(Edge(edge_type, ref_key(sighted), ref_key(place), o.prov, {**props, **word}))
    return edges


def _refers(o: StixObject, edge_type: str, source: str) -> list[Item]:
    """Edges to the modelled objects of ``object_refs`` (relationships and unmodelled types are left out)."""
    refs = dict.fromkeys(r for r in o.texts("object_refs") if ref_kind(r))
    return [Edge(edge_type, source, ref_key(r), o.prov) for r in refs if ref_key(r) != source]


def _report(o: StixObject) -> list[Item]:
    props = {
        "report_types": o.texts("report_types"),
        "published": o.text("published"),
        "refs": sorted(
            {r["url"] for r in o.raw.get("external_references") or () if isinstance(r, dict) and "url" in r}
        ),
    }
    node = _node(o, "Report", "report", props)
    return [node, *_refers(o, "REFERS_TO", node.key)]


def _observed_data(o: StixObject) -> list[Item]:
    count = o.raw.get("number_observed")
    props = {"number_observed": count if isinstance(count, int) and not isinstance(count, bool) else None}
    first, last = o.text("first_observed"), o.text("last_observed")
    name = f"observed {first}" + (f" to {last}" if last and last != first else "") if first else None
    node = _node(o, "Report", "observed-data", props, name=name)
    items: list[Item] = [node, *_refers(o, "REFERS_TO", node.key)]
    if isinstance(o.raw.get("objects"), dict):  # STIX 2.0 style: SCOs inside, without ids of their own
        o.warnings.append("observed-data 'objects' (STIX 2.0 embedded observables) not loaded")
    return items


def _note(o: StixObject) -> list[Item]:
    is_note = o.raw["type"] == "note"
    text = o.text("content") if is_note else o.text("explanation")
    props = {
        "content": text,
        "authors": o.texts("authors"),
        "opinion": None if is_note else o.text("opinion"),
    }
    name = (o.text("abstract") if is_note else o.text("opinion")) or (text or "")[:80] or None
    node = make_node(
        o.ctx.model,
        "Note",
        o.raw["type"],
        prov=o.prov,
        key=o.key,
        name=name,
        props={"stix_id": o.raw["id"], **props},
    )
    return [node, *_refers(o, "ANNOTATES", node.key)]


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
    "course-of-action": _mitigation,
    "x-mitre-data-component": _detection,
    "x-mitre-detection-strategy": _detection,
    "x-mitre-asset": _asset,
    "location": _location,
    "incident": _incident,
    "report": _report,
    "observed-data": _observed_data,
    "note": _note,
    "opinion": _note,
    "file": _file,
    "software": _software_sco,
    "relationship": _relationship,
    "sighting": _sighting,
    **dict.fromkeys(OBSERVABLE_TYPES, _observable),
}
