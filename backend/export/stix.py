"""STIX 2.1 export: the visible graph of a scope as one bundle, every object built by the ``stix2`` library.

Nodes become SDOs or SCOs (:mod:`backend.export.stix_objects`), edges relationships - or sightings, where
the edge is a sighting (``SIGHTED_AT`` of an SDO at an identity or location). Each object carries its
TLP as the standard TLP 2.0 marking definition (and beside it the non-TLP markings its source gave, such
as a copyright statement, their definitions as the source wrote them), its confidence, and its provenance
as external references (observables, which STIX gives none of these, carry them as ``x_crimegraph_*``
properties declared by an extension definition). What STIX cannot express, and how a bundle loads back, is in
``docs/export.md``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import partial
from typing import Any

import networkx as nx
import stix2

from backend.export.stix_granular import level_of, marked_object, others
from backend.export.stix_objects import (
    CONTAINERS,
    EPOCH,
    FORUM_EXTENSION,
    FORUM_TYPE,
    NAMESPACE,
    PROPERTIES_EXTENSION,
    SCO_TYPES,
    STANDARD_TYPES,
    TLP2,
    TLP2_EXTENSION,
    WALLET_EXTENSION,
    WALLET_TYPE,
    custom_extension,
    dated,
    marking_definitions,
    node_object,
    object_id,
    provenance_references,
    stix_time,
    stix_type,
    with_stated,
)
from graph_model.errors import ValidationError
from graph_model.provenance import TLP
from graph_model.store.base import PROVENANCE_ATTRIBUTES
from loaders.markings import DEFINITIONS
from loaders.stix_crimegraph import CREATOR as CREATOR

# What an edge carries beside its schema properties (written as STIX's own fields, not as properties).
_EDGE_PROVENANCE = frozenset({"type", "stix_extra", *PROVENANCE_ATTRIBUTES})
# Edge kinds that are STIX relationship types (HOSTED_ON is STIX's "hosts", read the other way).
RELATIONSHIP_TYPES = {
    "USES": "uses",
    "ATTRIBUTED_TO": "attributed-to",
    "INDICATES": "indicates",
    "TARGETS": "targets",
    "REVOKED_BY": "revoked-by",
    "CONTROLS": "controls",
    "CONSISTS_OF": "consists-of",
    "COMMUNICATES_WITH": "communicates-with",
    "IMPERSONATES": "impersonates",
    "VARIANT_OF": "variant-of",
    "HOSTED_ON": "hosts",
}
REVERSED = frozenset({"HOSTED_ON"})
# Where a sighting may have been made (STIX: identities and locations).
SIGHTING_PLACES = frozenset({"identity", "location"})
_STIX_RECORD = re.compile(r"#((?:relationship|sighting)--[0-9a-fA-F-]{36})$")


# Sector identities are derived from the ``sectors`` property of identities and assets (loaders/stix).
SECTOR = ("Identity", "sector")


def bundle(
    graph: nx.MultiDiGraph, *, grouping: Grouping | None = None, added: dict[str, str | None] | None = None
) -> dict[str, Any]:
    """The graph as a STIX 2.1 bundle (a JSON dict); objects in a stable order, the bundle id derived from
    them, so exporting the same graph twice gives the same bytes. ``grouping`` adds a STIX grouping of
    some of the nodes (a takedown package's targets). ``added``, when given, is filled with each
    object's id and the ``date_added`` of the node or edge it was made from (None for the bundle's own
    definitions and markings): what a TAXII collection serves as the object's date added.

    Raises ``ValidationError`` should ``stix2`` refuse an object (naming the node or edge).
    """
    ids: dict[str, str] = {}
    objects: list[dict[str, Any]] = []
    markings: set[TLP] = set()
    nodes = [(k, a) for k, a in sorted(graph.nodes(data=True)) if _written(a)]
    refers = _refers(graph, {k for k, _ in nodes})
    otypes = {k: stix_type(a, bool(refers.get(k))) for k, a in nodes}
    planned = {k: object_id(k, a, otypes[k]) for k, a in nodes}
    for key, attrs in nodes:
        refs = tuple(sorted({planned[t] for t in refers.get(key, ())}))
        made = node_object(key, attrs, otypes[key], refs)
        if attrs.get("marked"):
            made = marked_object(made, attrs, partial(node_object, key, otype=otypes[key], refs=refs), key)
        ids[key] = made["id"]
        if added is not None:
            added[made["id"]] = attrs.get("date_added")
        objects.append(made)
    types = {key: ids[key].partition("--")[0] for key in ids}
    taken = Counter(_stix_record(data.get("sources") or []) for _, _, data in graph.edges(data=True))
    for source, target, key, data in sorted(graph.edges(keys=True, data=True), key=lambda e: e[2]):
        if source not in ids or target not in ids:
            continue  # an edge to a sector: the identity's ``sectors`` say it
        if data["type"] == "MATCHES" and types[source] == "indicator":
            continue  # the indicator's pattern states what it matches; the loader reads it from there
        keep = _stix_record(data.get("sources") or [])
        own_id = keep if keep and taken[keep] == 1 else None
        made = _edge_object(source, target, key, data, ids, types, own_id)
        if data.get("marked"):
            build = partial(_edge_object, source, target, key, ids=ids, types=types, own_id=own_id)
            made = marked_object(made, data, build, key)
        if added is not None:
            added[made["id"]] = data.get("date_added")
        objects.append(made)
    if grouping is not None:
        objects.append(_grouping(grouping, ids, graph))
        markings.add(max(TLP.parse(graph.nodes[k]["tlp"]) for k in grouping.keys))
    used: set[str] = set()  # the non-TLP markings (statements) the objects refer to
    for obj in objects:
        for ref in marking_refs(obj):
            if others([ref]):
                used.add(ref)
            else:
                markings.add(level_of(ref))
    statements = _statement_markings(graph, used)
    if used - statements.keys():  # never a reference to a definition the bundle does not carry
        objects = [_without_markings(o, used - statements.keys()) for o in objects]
    objects.sort(key=lambda o: (o["type"] not in SCO_TYPES and o["type"] != "relationship", o["id"]))
    header = [*_definitions(objects), *(_marking(level) for level in sorted(markings))]
    checked = [_checked(o) for o in [*header, *objects]]
    checked[len(header) : len(header)] = [statements[i] for i in sorted(statements)]
    bundle_id = "bundle--" + str(uuid.uuid5(NAMESPACE, "\n".join(o["id"] for o in checked)))
    return {"type": "bundle", "id": bundle_id, "objects": checked}


def _written(attrs: dict[str, Any]) -> bool:
    """Whether a node is written as an object of its own."""
    if (attrs["kind"], attrs["type"]) == SECTOR:
        return False  # stated by the ``sectors`` of the identities in it, from which readers derive it
    # An indicator whose pattern is marked above this clearance is no STIX indicator (see ``unpatterned``).
    return not (attrs["kind"] == "Indicator" and not attrs.get("pattern"))


def _refers(graph: nx.MultiDiGraph, written: set[str]) -> dict[str, set[str]]:
    """The nodes each report, observed-data, note or opinion refers to (its ``object_refs``): the ends of its
    REFERS_TO or ANNOTATES links that are written too, each by a link at or below the node's own TLP (the
    object's marking covers what it says); an observed-data's observables only (STIX: SCOs and SROs)."""
    found: dict[str, set[str]] = {}
    for source, target, data in graph.edges(data=True):
        attrs = graph.nodes[source]
        standard = STANDARD_TYPES.get((attrs["kind"], attrs["type"]))
        if (
            standard in CONTAINERS
            and data["type"] == CONTAINERS[standard]
            and source != target
            and {source, target} <= written
            and TLP.parse(data["tlp"]) <= TLP.parse(attrs["tlp"])
            and (standard != "observed-data" or stix_type(graph.nodes[target]) in SCO_TYPES)
        ):
            found.setdefault(source, set()).add(target)
    return found


def unpatterned(graph: nx.MultiDiGraph) -> list[str]:
    """The indicators a bundle of ``graph`` leaves out: their pattern is marked above the reader's
    clearance, and a STIX indicator needs one (their links go with them)."""
    return [k for k, a in graph.nodes(data=True) if a["kind"] == "Indicator" and not a.get("pattern")]


def dumps(graph: nx.MultiDiGraph, *, grouping: Grouping | None = None) -> bytes:
    """The bundle as UTF-8 JSON, indented for people who open it."""
    return json.dumps(bundle(graph, grouping=grouping), indent=1, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Grouping:
    """A STIX grouping of some nodes: ``keys`` (at least one), with a name and a description."""

    name: str
    description: str
    keys: tuple[str, ...]
    context: str = "suspicious-activity"


def _grouping(grouping: Grouping, ids: dict[str, str], graph: nx.MultiDiGraph) -> dict[str, Any]:
    level = max(TLP.parse(graph.nodes[k]["tlp"]) for k in grouping.keys)
    return {
        "type": "grouping",
        "spec_version": "2.1",
        "id": _derived("grouping", "grouping|" + "|".join(sorted(grouping.keys))),
        "created": EPOCH,
        "modified": EPOCH,
        "created_by_ref": CREATOR,
        "name": grouping.name,
        "description": grouping.description,
        "context": grouping.context,
        "object_refs": sorted(ids[k] for k in grouping.keys),
        "object_marking_refs": [TLP2[level][0]],
    }


def _stix_record(sources: list[str]) -> str | None:
    """The STIX relationship or sighting an edge was loaded from (the smallest, if several)."""
    found = sorted(m.group(1) for s in sources if (m := _STIX_RECORD.search(s)))
    return found[0] if found else None


def _edge_object(
    source: str,
    target: str,
    key: str,
    data: dict[str, Any],
    ids: dict[str, str],
    types: dict[str, str],
    own_id: str | None,
) -> dict[str, Any]:
    edge_type = data["type"]
    first, last = stix_time(data.get("first_seen")), stix_time(data.get("last_seen"))
    created, modified, said = dated(data)
    props = {k: v for k, v in sorted(data.items()) if k not in _EDGE_PROVENANCE and v not in (None, [], "")}
    extra: dict[str, Any] = {
        "x_crimegraph_key": key,
        "x_crimegraph_type": edge_type,
        "extensions": {PROPERTIES_EXTENSION: {"extension_type": "toplevel-property-extension"}},
    }
    if props:
        extra["x_crimegraph_properties"] = props
    if said:
        extra["x_crimegraph_dates"] = said
    common: dict[str, Any] = {
        "spec_version": "2.1",
        "created": created,
        "modified": modified,
        "confidence": int(data["confidence"]),
        "object_marking_refs": [TLP2[TLP.parse(data["tlp"])][0]],
        "external_references": provenance_references(data.get("sources") or []),
        **extra,
    }
    if not common["external_references"]:
        del common["external_references"]
    sighting = (
        edge_type == "SIGHTED_AT"
        and types[source] not in SCO_TYPES | {"relationship"}
        and types[target] in SIGHTING_PLACES
    )
    if sighting:
        obj = {
            "type": "sighting",
            "id": own_id if own_id and own_id.startswith("sighting--") else _derived("sighting", key),
            "sighting_of_ref": ids[source],
            "where_sighted_refs": [ids[target]],
            **common,
        }
        if first:
            obj["first_seen"] = first
            obj["last_seen"] = max(first, last or first)
        if isinstance(data.get("count"), int):
            obj["count"] = data["count"]
        if isinstance(data.get("summary"), bool):
            obj["summary"] = data["summary"]
        if data.get("description"):
            obj["description"] = data["description"]
        return with_stated(obj, data)
    if edge_type == "RELATED_TO":
        relation = _relationship_word(str(data.get("relation") or "related-to"))
    else:
        relation = RELATIONSHIP_TYPES.get(edge_type) or _relationship_word(edge_type)
    if edge_type in REVERSED:
        source, target = target, source
    obj = {
        "type": "relationship",
        "id": own_id if own_id and own_id.startswith("relationship--") else _derived("relationship", key),
        "relationship_type": relation,
        "source_ref": ids[source],
        "target_ref": ids[target],
        **common,
    }
    if first:
        obj["start_time"] = first
        if last and last > first:
            obj["stop_time"] = last
    if data.get("description"):
        obj["description"] = data["description"]
    return with_stated(obj, data)


def _relationship_word(text: str) -> str:
    """A relationship type in STIX's spelling: lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "related-to"


def _derived(otype: str, key: str) -> str:
    return f"{otype}--{uuid.uuid5(NAMESPACE, key)}"


def _marking(level: TLP) -> dict[str, Any]:
    marking_id, name = TLP2[level]
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": "2022-10-01T00:00:00.000Z",
        "name": f"TLP:{name.upper()}",
        "extensions": {TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": name}},
    }


def marking_refs(obj: dict[str, Any]) -> list[str]:
    """Every marking an object refers to, object and granular (language markings have none)."""
    granular = [g.get("marking_ref") for g in obj.get("granular_markings") or ()]
    return [*(obj.get("object_marking_refs") or ()), *(r for r in granular if isinstance(r, str))]


def _statement_markings(graph: nx.MultiDiGraph, used: set[str]) -> dict[str, dict[str, Any]]:
    """The non-TLP marking definitions the objects refer to, each as its source wrote it (never rewritten
    by ``stix2``). Only what the graph - the caller's view - carries."""
    found: dict[str, dict[str, Any]] = {}
    if not used:
        return found
    edges = sorted(graph.edges(keys=True, data=True), key=lambda e: e[2])
    for attrs in [*(a for _, a in sorted(graph.nodes(data=True))), *(e[3] for e in edges)]:
        if DEFINITIONS not in (attrs.get("stix_extra") or ""):
            continue
        for marking_id, definition in marking_definitions(attrs).items():
            if marking_id in used and _complete(definition):
                found.setdefault(marking_id, definition)
    return found


def _complete(definition: dict[str, Any]) -> bool:
    """Whether a source's marking definition has what STIX 2.1 requires of every one (OpenCTI writes
    some without ``spec_version`` and ``created``: those are left out, with the references to them).
    Its ``definition_type`` may be one ``stix2`` does not know (``PAP``): the specification allows it."""
    return (
        definition.get("type") == "marking-definition"
        and definition.get("spec_version") == "2.1"
        and isinstance(definition.get("created"), str)
        and isinstance(definition.get("id"), str)
    )


def _without_markings(obj: dict[str, Any], gone: set[str]) -> dict[str, Any]:
    """``obj`` without its references to the markings ``gone`` (definitions the bundle cannot carry)."""
    made = dict(obj)
    made["object_marking_refs"] = [r for r in obj.get("object_marking_refs") or () if r not in gone]
    if "granular_markings" in obj:
        made["granular_markings"] = [g for g in obj["granular_markings"] if g.get("marking_ref") not in gone]
        if not made["granular_markings"]:
            del made["granular_markings"]
    return made


def _definitions(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """crimegraph's identity and the extension definitions the objects use."""
    used = {ext for o in objects for ext in o.get("extensions", {})}
    # The creator identity is always there: extension definitions and groupings name it.
    created = "2026-01-01T00:00:00.000Z"
    found: list[dict[str, Any]] = [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": CREATOR,
            "created": created,
            "modified": created,
            "name": "crimegraph",
            "description": "The criminal-ecosystem graph explorer that wrote this bundle.",
            "identity_class": "system",
        }
    ]
    described = [
        (
            PROPERTIES_EXTENSION,
            "crimegraph properties",
            "toplevel-property-extension",
            "crimegraph's key, kind and type of each object, its properties STIX has no field for, and "
            "for observables their provenance (sources, confidence, first and last seen).",
        ),
        (WALLET_EXTENSION, "crimegraph wallet", "new-sco", f"{WALLET_TYPE}: a cryptocurrency address."),
        (FORUM_EXTENSION, "crimegraph forum", "new-sdo", f"{FORUM_TYPE}: a forum, marketplace or channel."),
    ]
    for otype in sorted({o["type"] for o in objects if o["type"].startswith("x-crimegraph-")}):
        ext_id = custom_extension(otype)
        if ext_id not in (WALLET_EXTENSION, FORUM_EXTENSION):
            kind = otype.removeprefix("x-crimegraph-")
            described.append((ext_id, f"crimegraph {kind}", "new-sdo", f"{otype}: a crimegraph {kind}."))
    for ext_id, name, ext_type, description in described:
        if ext_id in used:
            found.append(
                {
                    "type": "extension-definition",
                    "spec_version": "2.1",
                    "id": ext_id,
                    "created_by_ref": CREATOR,
                    "created": created,
                    "modified": created,
                    "name": name,
                    "description": description,
                    "schema": "https://github.com/crimegraph/crimegraph/blob/main/docs/export.md",
                    "version": "1.0",
                    "extension_types": [ext_type],
                }
            )
    return found


def _in_stable_order(result: dict[str, Any], made: type) -> dict[str, Any]:
    """``result``'s properties in the specification's order, then the others (our extension's) sorted:
    ``stix2`` writes the properties of an extension it does not know in a set's order, which changes with
    Python's hash seed, so the same graph would not give the same bytes from one run to the next."""
    spec = [name for name in getattr(made, "_properties", {}) if name in result]
    return {name: result[name] for name in [*spec, *sorted(result.keys() - set(spec))]}


def _checked(obj: dict[str, Any]) -> dict[str, Any]:
    """The object built and checked by ``stix2`` (custom types stay dicts), back as JSON."""
    try:
        parsed = stix2.parse(obj, allow_custom=True, version="2.1")
    except Exception as exc:  # stix2 raises many exception types; name the object instead
        what = obj.get("x_crimegraph_key") or obj["id"]
        raise ValidationError(f"cannot express {what} in STIX: {str(exc).splitlines()[0]}") from None
    if isinstance(parsed, dict):
        return parsed
    result: dict[str, Any] = _in_stable_order(json.loads(parsed.serialize()), type(parsed))
    stated = result.get("x_crimegraph_stated")
    if isinstance(stated, dict):  # what stix2 wrote in its own form (a timestamp's precision) is stated apart
        for name, how in stated.items():
            if how is True and result.get(name) != obj.get(name):
                stated[name] = obj.get(name)
    return result
