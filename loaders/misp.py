"""MISP galaxy cluster files: one record per value, an actor or a malware family with its links.

Values are keyed by their UUID, so ``related`` links (by ``dest-uuid``) reach values of other
galaxies and ATT&CK objects alike, now or when they are loaded. A value joins the same actor or
family of another source through an id it alone claims in its file: its ATT&CK id
(``attack:G0007``), its software name (``software:<name>``) or its Malpedia id (``malpedia:win.x``).
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graph_model.entities import Edge, Node, make_node
from graph_model.errors import ValidationError
from graph_model.identity import node_key, uuid_key
from graph_model.model import ANY, Model
from graph_model.provenance import Provenance
from loaders.cti import ALIAS_CONFIDENCE, ATTACK_ID, AliasIndex, alias_candidate, sole_claims
from loaders.json_stream import json_members
from loaders.misp_galaxies import galaxy_kind
from loaders.records import LoadContext, Record, SourceError, location
from loaders.sniff import wrong_format

Item = Node | Edge

# related.type -> (edge type, reversed?); any other type becomes RELATED_TO with ``relation``.
RELATIONS: dict[str, tuple[str, bool]] = {
    "similar": ("SIMILAR_TO", False),
    "overlaps": ("SIMILAR_TO", False),
    "uses": ("USES", False),
    "deploys": ("USES", False),
    "used-by": ("USES", True),
    "targets": ("TARGETS", False),
    "variant-of": ("VARIANT_OF", False),
    "successor-of": ("VARIANT_OF", False),
    "mitigates": ("MITIGATES", False),
    "mitigated-by": ("MITIGATES", True),
    "detects": ("DETECTS", False),
    "subtechnique-of": ("SUBTECHNIQUE_OF", False),
    "attributed-to": ("ATTRIBUTED_TO", False),
}
# Edge types whose ``relation`` keeps the source's word, because several words share the type.
WORDED = frozenset({"SIMILAR_TO", "VARIANT_OF", "RELATED_TO"})
LIKELIHOOD: dict[str, int] = {
    "almost-certain": 95,
    "very-likely": 85,
    "likely": 70,
    "roughly-even-chance": 50,
    "unlikely": 30,
    "very-unlikely": 15,
    "almost-no-chance": 5,
}
_LIKELIHOOD_TAG = re.compile(r'^estimative-language:likelihood-probability="?([a-z-]+)"?$')
MALPEDIA_DETAILS = "https://malpedia.caad.fkie.fraunhofer.de/details/"
# The ATT&CK id space a value of each kind may join: groups (G), software (S), campaigns (C).
ATTACK_SPACE = {"Actor": "G", "Malware": "S", "Campaign": "C"}
# ATT&CK ids of any object (T1059.001, M0801, DS0015...), as MISP's mitre-* galaxies give them.
ANY_ATTACK_ID = re.compile(r"^(?:[GSCMA]\d{4}|T\d{4}(?:\.\d{3})?|DS\d{4}|DC\d{4}|DET\d{4}|AN\d{4})$")
# "Name - G0130": the ATT&CK id MISP's mitre-* galaxies append to a value's name.
_NAMED_ID = re.compile(r"^(.*\S)\s+-\s+([A-Z]{1,3}\d{4}(?:\.\d{3})?)$")


@dataclass(slots=True)
class Galaxy:
    """What a first pass over the cluster file learns before any value is mapped."""

    type: str
    kind: str
    node_type: str
    merge_ids: dict[str, list[str]] = field(default_factory=dict)
    # ATT&CK ids a value claims but may not take, because another value or id is also claimed.
    attack_candidates: dict[str, list[str]] = field(default_factory=dict)
    aliases: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Keys of this file's values: their kind is this galaxy's.
    members: frozenset[str] = frozenset()


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per galaxy value; damage in the file is one rejected record."""
    galaxy = survey(path, ctx)
    for member in json_members(path, "values"):
        if member.error is not None:
            yield Record(location(path, member.line), galaxy.type, error=member.error)
        elif member.key == "values":
            yield _record(path, member.line, member.value, ctx, galaxy)


def _strings(value: Any) -> list[str]:
    """A meta entry as a list of strings: MISP gives one string or a list, depending on the value."""
    items = value if isinstance(value, list) else [value]
    return [v.strip() for v in items if isinstance(v, str) and v.strip()]


def _attributed_names(meta: dict[str, Any]) -> list[str]:
    """Names of ``name-attribution`` entries ("Name:uuid"; split on the last ':', names hold colons)."""
    names = []
    for entry in _strings(meta.get("name-attribution")):
        name, _, tail = entry.rpartition(":")
        try:
            uuidlib.UUID(tail)
        except ValueError:
            name = entry
        names.append(name.strip() or entry)
    return names


def _malpedia_id(meta: dict[str, Any]) -> str | None:
    """The family's own Malpedia id: the first Malpedia page in its refs (later ones are relatives)."""
    for ref in _strings(meta.get("refs")):
        if ref.startswith(MALPEDIA_DETAILS):
            return ref.removeprefix(MALPEDIA_DETAILS).strip("/") or None
    return None


def split_name(raw: dict[str, Any]) -> tuple[str, str | None]:
    """A value's name and its ATT&CK id: ``meta.external_id``, or the `` - G0130`` ending of the name."""
    name = raw["value"].strip()
    meta = raw["meta"] if isinstance(raw.get("meta"), dict) else {}
    known = next((i for i in _strings(meta.get("external_id")) if ANY_ATTACK_ID.match(i)), None)
    if (match := _NAMED_ID.match(name)) and ANY_ATTACK_ID.match(match.group(2)):
        return match.group(1), known or match.group(2)
    return name, known


def survey(path: Path, ctx: LoadContext) -> Galaxy:
    """First pass: the cluster type, ids each value alone claims, shared ATT&CK ids and aliases."""
    header: dict[str, Any] = {}
    seen_values = False
    names: dict[str, str] = {}
    attack: dict[str, set[str]] = {}
    malpedia: dict[str, set[str]] = {}
    index = AliasIndex()
    meta_keys: Counter[str] = Counter()
    for member in json_members(path, "values"):
        if member.key != "values":
            header[str(member.key)] = member.value
            continue
        seen_values = True
        raw = member.value
        if not isinstance(raw, dict) or not isinstance(raw.get("value"), str):
            continue
        try:
            key = uuid_key(str(raw.get("uuid")))
        except ValidationError:
            continue
        meta = raw["meta"] if isinstance(raw.get("meta"), dict) else {}
        meta_keys.update(str(k) for k in meta)
        name, known = split_name(raw)
        aliases = [name, *_strings(meta.get("synonyms")), *_attributed_names(meta)]
        names[key] = name
        attack[key] = {a.upper() for a in [*aliases, known or ""] if ATTACK_ID.match(a.upper())}
        if (malpedia_id := _malpedia_id(meta)) is not None:
            malpedia[key] = {f"malpedia:{malpedia_id}"}
        index.add(key, aliases)
    cluster_type = header.get("type")
    if not isinstance(cluster_type, str) or not seen_values or "objects" in header:
        raise SourceError(wrong_format(path, header, "misp-galaxy", "needs a cluster 'type' and 'values'"))
    category = header.get("category") if isinstance(header.get("category"), str) else None
    kind, node_type = galaxy_kind(cluster_type, category=category, meta=meta_keys, values=len(names))
    galaxy = Galaxy(cluster_type, kind, node_type, aliases=index.collisions(), members=frozenset(names))
    space = ATTACK_SPACE.get(kind)
    attack = {k: {f"attack:{i}" for i in ids if space and i.startswith(space)} for k, ids in attack.items()}
    claims = [attack, malpedia if cluster_type == "malpedia" else {}]
    if kind == "Malware":
        claims.append({k: _software_id(ctx, n) for k, n in names.items()})
    for namespace in claims:
        sole = sole_claims(namespace)
        for key, identifier in sole.items():
            galaxy.merge_ids.setdefault(key, []).append(identifier)
    for key, ids in attack.items():
        if withheld := ids - set(galaxy.merge_ids.get(key, ())):
            galaxy.attack_candidates[key] = sorted(i.removeprefix("attack:") for i in withheld)
    return galaxy


def _software_id(ctx: LoadContext, name: str) -> set[str]:
    try:
        return {node_key(ctx.model, "Malware", "malware", name)}
    except ValidationError:
        return set()


def _record(path: Path, line: int, raw: Any, ctx: LoadContext, galaxy: Galaxy) -> Record:
    if not isinstance(raw, dict):
        return Record(location(path, line), galaxy.type, error="value is not a JSON object", raw=raw)
    value_uuid = raw.get("uuid")
    if not isinstance(value_uuid, str) or not value_uuid.strip():
        return Record(location(path, line), galaxy.type, error="value has no uuid", raw=raw)
    where = location(path, value_uuid)
    if not isinstance(raw.get("value"), str) or not raw["value"].strip():
        return Record(where, galaxy.type, error="value has no name ('value')", raw=raw)
    warnings: list[str] = []
    try:
        items = _items(raw, ctx, galaxy, warnings)
        return Record(where, galaxy.type, items, raw=raw, warnings=tuple(warnings))
    except (ValidationError, ValueError, TypeError) as exc:
        return Record(where, galaxy.type, error=str(exc), raw=raw)


def _props(
    model: Model, raw: dict[str, Any], meta: dict[str, Any], galaxy: Galaxy, ids: list[str]
) -> dict[str, Any]:
    """The value's properties, those its kind has (a Concept keeps its galaxy's name)."""
    aliases = [
        a for a in [*_strings(meta.get("synonyms")), *_attributed_names(meta)] if not ATTACK_ID.match(a)
    ]
    attack_ids = [i.removeprefix("attack:") for i in ids if i.startswith("attack:")]
    props: dict[str, Any] = {
        "description": raw.get("description") or None,
        "aliases": aliases,
        "refs": _strings(meta.get("refs")),
        "misp_uuid": raw["uuid"],
        "attack_id": attack_ids[0] if attack_ids else split_name(raw)[1],
        "galaxy": galaxy.type,
    }
    if galaxy.kind == "Malware":
        props["categories"] = _strings(meta.get("type"))
        props["malpedia_id"] = _malpedia_id(meta) if galaxy.type == "malpedia" else None
    elif galaxy.kind == "Actor":
        confidence = _strings(meta.get("attribution-confidence"))
        props |= {
            "country": next(iter(_strings(meta.get("country"))), None),
            "motive": ", ".join(_strings(meta.get("motive"))) or None,
            "sponsor": ", ".join(_strings(meta.get("cfr-suspected-state-sponsor"))) or None,
            "classification": _strings(meta.get("threat-actor-classification")),
            "suspected_victims": _strings(meta.get("cfr-suspected-victims")),
            "target_sectors": _strings(meta.get("cfr-target-category"))
            + _strings(meta.get("targeted-sector")),
            "incident_types": _strings(meta.get("cfr-type-of-incident")),
            "attribution_confidence": int(confidence[0]) if confidence and confidence[0].isdigit() else None,
        }
    allowed = model.nodes[galaxy.kind].properties
    return {k: v for k, v in props.items() if k in allowed}


def _items(raw: dict[str, Any], ctx: LoadContext, galaxy: Galaxy, warnings: list[str]) -> list[Item]:
    key = uuid_key(raw["uuid"])
    meta = raw["meta"] if isinstance(raw.get("meta"), dict) else {}
    prov = ctx.prov(raw["uuid"])
    ids = galaxy.merge_ids.get(key, [])
    if (galaxy.kind, galaxy.node_type) == ("Identity", "sector"):  # meets STIX identities' sectors by name
        ids = [*ids, node_key(ctx.model, "Identity", "sector", split_name(raw)[0])]
    node = make_node(
        ctx.model,
        galaxy.kind,
        galaxy.node_type,
        prov=prov,
        uuid=raw["uuid"],
        name=split_name(raw)[0],
        props=_props(ctx.model, raw, meta, galaxy, ids),
        ids=ids,
    )
    items: list[Item] = [node]
    candidate = replace(prov, confidence=ALIAS_CONFIDENCE)
    for other, alias in galaxy.aliases.get(key, ()):
        items.append(
            alias_candidate(key, other, alias, candidate, "two values of this galaxy share the alias")
        )
    for attack_id in galaxy.attack_candidates.get(key, ()):
        reason = "ATT&CK id claimed together with another, or by another value too"
        items.append(alias_candidate(key, f"attack:{attack_id}", attack_id, candidate, reason))
    items.extend(_related(ctx.model, galaxy, key, raw.get("related") or [], prov, warnings))
    return items


def _confidence(tags: Any, prov: Provenance) -> Provenance:
    for tag in _strings(tags):
        if (match := _LIKELIHOOD_TAG.match(tag)) and match.group(1) in LIKELIHOOD:
            return replace(prov, confidence=LIKELIHOOD[match.group(1)])
    return prov


def _fits(model: Model, edge_type: str, source: str | None, target: str | None) -> bool:
    """Whether the schema allows ``edge_type`` between these kinds; an unknown kind (a value of another
    galaxy, not loaded with this file) is not held against it."""
    kind = model.edges[edge_type]
    return (source is None or ANY in kind.source or source in kind.source) and (
        target is None or ANY in kind.target or target in kind.target
    )


def _related(
    model: Model, galaxy: Galaxy, key: str, related: Any, prov: Provenance, warnings: list[str]
) -> Iterator[Edge]:
    """Edges of ``related[]``; symmetric ones ordered by key so A→B and B→A are one edge. A link the schema
    cannot carry between the two kinds (a threat actor that "uses" another) is RELATED_TO with its word.
    A malformed entry is left out with a warning; the value and its other links still load."""
    if not isinstance(related, list):
        warnings.append("'related' is not a list: its links left out")
        return
    for link in related:
        if not isinstance(link, dict) or not isinstance(link.get("type"), str) or not link["type"].strip():
            warnings.append("related entry without a 'type' left out")
            continue
        try:
            target = uuid_key(str(link.get("dest-uuid") or ""))
        except ValidationError:
            warnings.append("related entry without a valid 'dest-uuid' left out")
            continue
        if target == key:
            continue
        relation = link["type"]
        edge_type, reverse = RELATIONS.get(relation, ("RELATED_TO", False))
        source, target = (target, key) if reverse else (key, target)
        kinds = [galaxy.kind if end in galaxy.members else None for end in (source, target)]
        if not _fits(model, edge_type, *kinds):
            edge_type = "RELATED_TO"
        if edge_type == "SIMILAR_TO":
            source, target = sorted((source, target))
        props = {"relation": relation} if edge_type in WORDED else {}
        discriminator = relation if edge_type == "RELATED_TO" else ""
        yield Edge(edge_type, source, target, _confidence(link.get("tags"), prov), props, discriminator)
