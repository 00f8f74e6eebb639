"""STIX 2.1 bundles: one record per object, checked by ``stix2``, mapped to the schema's kinds.

Actors, campaigns, software, techniques and vulnerabilities are keyed by their STIX id; observables
(addresses, domains, URLs, AS numbers, e-mail) by their canonical value, so indicators and SCOs from
any bundle meet on the same Infrastructure node. ATT&CK ids become ``attack:G0007``-style ids and
software names ``software:<name>`` ids, so other sources naming the same group or family join it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from graph_model.entities import Node
from graph_model.errors import ValidationError
from graph_model.identity import node_key, uuid_key
from graph_model.model import STIX_NAMESPACE
from graph_model.provenance import TLP, Provenance
from loaders.cti import ATTACK_ID, AliasIndex, sole_claims
from loaders.json_stream import JsonEntry, json_members
from loaders.markings import Markings, portions
from loaders.records import LoadContext, Record, SourceError, location
from loaders.sniff import wrong_format
from loaders.stix_checks import checked, valid_type_name
from loaders.stix_crimegraph import CREATOR, LINK_TYPES, is_own, own_link, own_node
from loaders.stix_links import MAPPERS, ref_key
from loaders.stix_objects import Bundle, Item, StixObject, Unmodelled, attack_id

# Software also claims its name (``software:<name>``) when not revoked.
SOFTWARE = frozenset({"malware", "tool"})
# Objects that may claim an ATT&CK id (from their kind's id space) and share aliases.
ATTACK_SPACE = {"intrusion-set": "G", "threat-actor": "G", "campaign": "C", "malware": "S", "tool": "S"}


def read(path: Path, ctx: LoadContext, markings: Markings | None = None) -> Iterator[Record]:
    """One record per object of the bundle at ``path``; damage in the file is one rejected record.
    ``markings``: marking definitions known beyond the bundle (earlier pages of a TAXII pull), which the
    bundle's own are added to."""
    bundle = survey(path, ctx, markings)
    for member in _objects(path):
        if member.error is not None:
            yield Record(location(path, member.line), "bundle", error=member.error)
        else:
            yield _record(path, member.line, member.value, ctx, bundle)


def _objects(path: Path) -> Iterator[JsonEntry]:
    """The bundle's objects; a file holding one bare STIX object yields that object."""
    header: dict[str, Any] = {}
    seen = False
    for member in json_members(path, "objects"):
        if member.key == "objects" or member.error is not None:
            seen = True
            yield member
        else:
            header[str(member.key)] = member.value
    if not seen and _stix_object(header):
        yield JsonEntry("objects", 0, 1, header)
    elif not seen:
        raise SourceError(wrong_format(path, header, "stix", "no 'objects', no STIX 'id' and 'type'"))


def _stix_object(raw: dict[str, Any]) -> bool:
    """Whether a lone JSON object is a STIX object: its id is ``<its type>--<uuid>`` (a MISP cluster or
    event, whose ``type`` is a galaxy name and which has no such id, is not)."""
    kind, stix_id = raw.get("type"), raw.get("id")
    return (
        isinstance(kind, str)
        and kind != "bundle"
        and isinstance(stix_id, str)
        and stix_id.startswith(f"{kind}--")
    )


def survey(path: Path, ctx: LoadContext, markings: Markings | None = None) -> Bundle:
    """First pass: bundle-defined TLP markings, ATT&CK ids and software names each claimed once, aliases."""
    bundle = Bundle() if markings is None else Bundle(markings=markings)
    attack: dict[str, set[str]] = {}
    software: dict[str, set[str]] = {}
    index = AliasIndex()
    for member in _objects(path):
        raw = member.value
        if member.error is not None or not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        kind = raw.get("type")
        if kind == "marking-definition":
            bundle.markings.learn(raw)
        if kind not in LINK_TYPES and is_own(raw):
            bundle.own_keys[raw["id"]] = raw["x_crimegraph_key"]
        if kind not in ATTACK_SPACE:
            continue
        try:
            key = uuid_key(raw["id"])
            if (known := attack_id(raw)) and ATTACK_ID.match(known) and known[0] == ATTACK_SPACE[kind]:
                attack.setdefault(key, set()).add(f"attack:{known}")
            if kind in SOFTWARE and not raw.get("revoked") and isinstance(raw.get("name"), str):
                software.setdefault(key, set()).add(node_key(ctx.model, "Malware", "malware", raw["name"]))
        except ValidationError:
            continue
        names = [raw.get("name"), *_listed(raw.get("aliases")), *_listed(raw.get("x_mitre_aliases"))]
        index.add(key, [n for n in names if isinstance(n, str)])
    for claims in (attack, software):
        for key, sole in sole_claims(claims).items():
            bundle.merge_ids.setdefault(key, []).append(sole)
    bundle.aliases = index.collisions()
    return bundle


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _record(path: Path, line: int, raw: Any, ctx: LoadContext, bundle: Bundle) -> Record:
    if not isinstance(raw, dict):
        return Record(location(path, line), "object", error="not a JSON object", raw=raw)
    stix_type = raw["type"] if isinstance(raw.get("type"), str) else "object"
    stix_id = raw.get("id")
    if not isinstance(stix_id, str) or not stix_id.strip():
        return Record(location(path, line), stix_type, error="object has no id", raw=raw)
    where = location(path, stix_id)
    if not valid_type_name(stix_type):
        return Record(where, stix_type, error=f"invalid STIX type name {stix_type!r}", raw=raw)
    if stix_type == "marking-definition":  # read by the survey as the markings of other objects
        return Record(where, stix_type, skipped="marking-definition: read as the marking of the objects")
    if stix_type == "extension-definition":  # what an extension's properties are, not an entity
        skipped = "extension-definition: describes properties other objects carry"
        return Record(where, stix_type, skipped=skipped)
    if stix_id == CREATOR:
        return Record(where, stix_type, skipped="crimegraph's identity: it wrote the bundle's definitions")
    mapper = _own_mapper(stix_type, bundle) if is_own(raw) else MAPPERS.get(stix_type)
    try:
        clean, parsed, warnings = checked(raw)
    except Exception as exc:  # stix2 raises many exception types; one bad object must not stop the load
        return Record(where, stix_type, error=f"invalid {stix_type}: {_first_line(exc)}", raw=raw)
    if mapper is None:
        # Any type stix2 has no class for is a custom object (x- types, new-sdo extensions, bare names
        # such as case-rfi): valid STIX, not modelled here, so skipped rather than rejected.
        what = "custom object type" if isinstance(parsed, dict) else "STIX type"
        return Record(where, stix_type, skipped=f"{what} {stix_type} is not modelled", raw=raw)
    try:
        items = _marked_items(raw, clean, mapper, ctx, bundle, warnings)
        return Record(where, stix_type, items, raw=raw, warnings=tuple(warnings))
    except Unmodelled as exc:
        return Record(where, stix_type, skipped=str(exc), raw=raw)
    except (ValidationError, ValueError, TypeError) as exc:
        return Record(where, stix_type, error=_first_line(exc), raw=raw)


def _own_mapper(stix_type: str, bundle: Bundle) -> Callable[[StixObject], list[Item]]:
    """The mapper of an object a crimegraph export made (``loaders.stix_crimegraph``)."""
    if stix_type in LINK_TYPES:
        return partial(own_link, keys=bundle.own_keys)
    native = MAPPERS.get(stix_type)

    def mapped(o: StixObject) -> list[Item]:
        derived: list[Item] = []
        if native is not None:
            try:
                derived = native(replace(o, key=str(o.raw["x_crimegraph_key"]), warnings=[]))
            except (Unmodelled, ValidationError, ValueError, TypeError, KeyError):
                derived = []  # nothing derived: the node itself is what the object says
        return own_node(o, derived)

    return mapped


def _marked_items(
    raw: dict[str, Any],
    clean: dict[str, Any],
    mapper: Callable[[StixObject], list[Item]],
    ctx: LoadContext,
    bundle: Bundle,
    warnings: list[str],
) -> list[Item]:
    """The object's nodes and edges at each level its markings share it at (``loaders.markings``).

    The object as a whole is mapped at its most restrictive level (errors there reject the record); a
    less restrictive portion that cannot be mapped without the properties marked above it is left out.
    """
    key = ref_key(raw["id"])
    parts, notes = portions(raw, clean, bundle.markings, ctx.tlp)
    warnings.extend(notes)
    items: list[Item] = []
    for i, (level, part) in enumerate(parts):
        obj = StixObject(part, key, _prov(part, ctx, level), ctx, bundle, warnings if i == 0 else [])
        try:
            items.extend(mapper(obj))
        except (Unmodelled, ValidationError, ValueError, TypeError, KeyError):
            if i == 0:
                raise
            warnings.append(f"not shared below {level.label}: what remains unmarked is not a whole object")
            break
    for item in items:
        if isinstance(item, Node):
            item.ids = legacy_ids(item.key, item.ids)
    return items


def legacy_ids(key: str, ids: tuple[str, ...]) -> tuple[str, ...]:
    """``ids`` with the identifier each STIX-id-keyed identity had before STIX ids were typed
    (``stix:indicator--X`` was ``uuid:X``): plans and investigations saved then still name the node. Where
    two objects of different types share the UUID (MISP), the old identifier names the first one loaded."""
    old = {uuid_key(i.partition(":")[2]) for i in (key, *ids) if i.startswith(f"{STIX_NAMESPACE}:")}
    return tuple(sorted({*ids, *old} - {key})) if old else ids


def _prov(raw: dict[str, Any], ctx: LoadContext, level: TLP) -> Provenance:
    confidence = raw.get("confidence", raw.get("x_crimegraph_confidence"))
    if isinstance(confidence, bool) or not isinstance(confidence, int) or not 0 <= confidence <= 100:
        confidence = None
    # Observed dates only: an object's created/modified say when its producer wrote the record, not when
    # anything was seen, so an object without first_seen (or first_observed, or a relationship's
    # start_time) has no first_seen. A crimegraph export says which of its dates stand in for others.
    dates = raw.get("x_crimegraph_dates")
    stand_ins: dict[str, Any] = dates if isinstance(dates, dict) else {}
    return ctx.prov(
        raw["id"],
        first_seen=raw.get("first_seen")
        or raw.get("first_observed")
        or raw.get("start_time")
        or raw.get("x_crimegraph_first_seen"),
        last_seen=raw.get("last_seen")
        or raw.get("last_observed")
        or raw.get("stop_time")
        or raw.get("x_crimegraph_last_seen"),
        confidence=confidence,
        tlp=level,
        # (an observable has no created/modified of its own: a crimegraph export writes the node's as its own)
        created=None if "created" in stand_ins else raw.get("created", raw.get("x_crimegraph_created")),
        modified=None if "modified" in stand_ins else raw.get("modified", raw.get("x_crimegraph_modified")),
    )
