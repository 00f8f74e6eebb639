"""STIX 2.1 bundles: one record per object, checked by ``stix2``, mapped to the schema's kinds.

Actors, campaigns, software, techniques and vulnerabilities are keyed by their STIX id; observables
(addresses, domains, URLs, AS numbers, e-mail) by their canonical value, so indicators and SCOs from
any bundle meet on the same Infrastructure node. ATT&CK ids become ``attack:G0007``-style ids and
software names ``software:<name>`` ids, so other sources naming the same group or family join it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph_model.errors import ValidationError
from graph_model.identity import node_key, uuid_key
from graph_model.provenance import TLP, Provenance
from loaders.cti import ATTACK_ID, AliasIndex, sole_claims
from loaders.json_stream import JsonEntry, json_members
from loaders.records import LoadContext, Record, SourceError, location
from loaders.stix_checks import checked, valid_type_name
from loaders.stix_links import MAPPERS
from loaders.stix_objects import Bundle, StixObject, Unmodelled, attack_id

# The standard TLP 1.0 and 2.0 marking-definition ids.
STANDARD_TLP: dict[str, TLP] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": TLP.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": TLP.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": TLP.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": TLP.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": TLP.RED,
}
# Software also claims its name (``software:<name>``) when not revoked.
SOFTWARE = frozenset({"malware", "tool"})
# Objects that may claim an ATT&CK id (from their kind's id space) and share aliases.
ATTACK_SPACE = {"intrusion-set": "G", "threat-actor": "G", "campaign": "C", "malware": "S", "tool": "S"}


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per object of the bundle at ``path``; damage in the file is one rejected record."""
    bundle = survey(path, ctx)
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
        raise SourceError(f"{path}: not a STIX bundle or object (no 'objects', no STIX 'id' and 'type')")


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


def survey(path: Path, ctx: LoadContext) -> Bundle:
    """First pass: bundle-defined TLP markings, ATT&CK ids and software names each claimed once, aliases."""
    bundle = Bundle(markings=dict(STANDARD_TLP))
    attack: dict[str, set[str]] = {}
    software: dict[str, set[str]] = {}
    index = AliasIndex()
    for member in _objects(path):
        raw = member.value
        if member.error is not None or not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        kind = raw.get("type")
        if kind == "marking-definition" and (tlp := _marking_tlp(raw)) is not None:
            bundle.markings[raw["id"]] = tlp
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


def _marking_tlp(raw: dict[str, Any]) -> TLP | None:
    """The TLP level of a marking definition: TLP 1.0 ``definition``, a ``TLP:`` name or the 2.0 extension."""
    level: Any = None
    extensions = raw.get("extensions")
    if raw.get("definition_type") == "tlp" and isinstance(raw.get("definition"), dict):
        level = raw["definition"].get("tlp")
    elif isinstance(raw.get("name"), str) and raw["name"].upper().startswith("TLP:"):
        level = raw["name"]
    else:
        for extension in extensions.values() if isinstance(extensions, dict) else ():
            if isinstance(extension, dict) and "tlp_2_0" in extension:
                level = extension["tlp_2_0"]
    try:
        return TLP.parse(level) if isinstance(level, str) else None
    except ValueError:
        return None


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
    mapper = MAPPERS.get(stix_type)
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
        obj = StixObject(clean, uuid_key(stix_id), _prov(clean, ctx, bundle), ctx, bundle, warnings)
        return Record(where, stix_type, mapper(obj), raw=raw, warnings=tuple(obj.warnings))
    except Unmodelled as exc:
        return Record(where, stix_type, skipped=str(exc), raw=raw)
    except (ValidationError, ValueError, TypeError) as exc:
        return Record(where, stix_type, error=_first_line(exc), raw=raw)


def _prov(raw: dict[str, Any], ctx: LoadContext, bundle: Bundle) -> Provenance:
    marks = [bundle.markings[m] for m in raw.get("object_marking_refs") or () if m in bundle.markings]
    confidence = raw.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, int) or not 0 <= confidence <= 100:
        confidence = None
    return ctx.prov(
        raw["id"],
        first_seen=raw.get("first_seen") or raw.get("start_time") or raw.get("created"),
        last_seen=raw.get("last_seen") or raw.get("stop_time") or raw.get("modified"),
        confidence=confidence,
        tlp=max(marks) if marks else None,
    )
