"""MISP galaxy cluster files: one record per value, an actor or a malware family with its links.

Values are keyed by their UUID, so ``related`` links (by ``dest-uuid``) reach values of other
galaxies and ATT&CK objects alike, now or when they are loaded. A value joins the same actor or
family of another source through an id it alone claims in its file: its ATT&CK id
(``attack:G0007``), its software name (``software:<name>``) or its Malpedia id (``malpedia:win.x``).
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graph_model.entities import Edge, Node, make_node
from graph_model.errors import ValidationError
from graph_model.identity import node_key, uuid_key
from graph_model.provenance import Provenance
from loaders.cti import ALIAS_CONFIDENCE, ATTACK_ID, AliasIndex, alias_candidate, json_members, sole_claims
from loaders.records import LoadContext, Record, SourceError, location

Item = Node | Edge

# Cluster type -> (node kind, node type).
KINDS: dict[str, tuple[str, str]] = {
    "threat-actor": ("Actor", "group"),
    "ransomware": ("Malware", "malware"),
    "malpedia": ("Malware", "malware"),
    "tool": ("Malware", "tool"),
    # A botnet value names a family's botnet (Mirai, Necurs, Emotet), not an address or a server:
    # as Malware it meets the same family from ATT&CK, Malpedia and abuse.ch by name.
    "botnet": ("Malware", "malware"),
}
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
# The ATT&CK id space a value of each kind may join: groups (G) for actors, software (S) for malware.
ATTACK_SPACE = {"Actor": "G", "Malware": "S"}


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


def survey(path: Path, ctx: LoadContext) -> Galaxy:
    """First pass: the cluster type, ids each value alone claims, shared ATT&CK ids and aliases."""
    header: dict[str, Any] = {}
    names: dict[str, str] = {}
    attack: dict[str, set[str]] = {}
    malpedia: dict[str, set[str]] = {}
    index = AliasIndex()
    for member in json_members(path, "values"):
        if member.key != "values":
            header[member.key] = member.value
            continue
        raw = member.value
        if not isinstance(raw, dict) or not isinstance(raw.get("value"), str):
            continue
        try:
            key = uuid_key(str(raw.get("uuid")))
        except ValidationError:
            continue
        meta = raw["meta"] if isinstance(raw.get("meta"), dict) else {}
        aliases = [raw["value"], *_strings(meta.get("synonyms")), *_attributed_names(meta)]
        names[key] = raw["value"]
        attack[key] = {a.upper() for a in aliases if ATTACK_ID.match(a.upper())}
        if (malpedia_id := _malpedia_id(meta)) is not None:
            malpedia[key] = {f"malpedia:{malpedia_id}"}
        index.add(key, aliases)
    cluster_type = header.get("type")
    if not isinstance(cluster_type, str):
        raise SourceError(f"{path}: not a MISP galaxy cluster file (no cluster 'type')")
    if cluster_type not in KINDS:
        raise SourceError(
            f"{path}: galaxy type {cluster_type!r} is not supported ({', '.join(sorted(KINDS))})"
        )
    kind, node_type = KINDS[cluster_type]
    galaxy = Galaxy(cluster_type, kind, node_type, aliases=index.collisions())
    attack = {
        k: {f"attack:{i}" for i in ids if i.startswith(ATTACK_SPACE[kind])} for k, ids in attack.items()
    }
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
    try:
        return Record(where, galaxy.type, _items(raw, ctx, galaxy), raw=raw)
    except (ValidationError, ValueError, TypeError) as exc:
        return Record(where, galaxy.type, error=str(exc), raw=raw)


def _props(raw: dict[str, Any], meta: dict[str, Any], galaxy: Galaxy, ids: list[str]) -> dict[str, Any]:
    aliases = [
        a for a in [*_strings(meta.get("synonyms")), *_attributed_names(meta)] if not ATTACK_ID.match(a)
    ]
    attack_ids = [i.removeprefix("attack:") for i in ids if i.startswith("attack:")]
    props: dict[str, Any] = {
        "description": raw.get("description") or None,
        "aliases": aliases,
        "refs": _strings(meta.get("refs")),
        "misp_uuid": raw["uuid"],
        "attack_id": attack_ids[0] if attack_ids else None,
    }
    if galaxy.kind == "Malware":
        props["categories"] = _strings(meta.get("type"))
        props["malpedia_id"] = _malpedia_id(meta) if galaxy.type == "malpedia" else None
        return props
    confidence = _strings(meta.get("attribution-confidence"))
    props |= {
        "country": next(iter(_strings(meta.get("country"))), None),
        "motive": ", ".join(_strings(meta.get("motive"))) or None,
        "sponsor": ", ".join(_strings(meta.get("cfr-suspected-state-sponsor"))) or None,
        "classification": _strings(meta.get("threat-actor-classification")),
        "suspected_victims": _strings(meta.get("cfr-suspected-victims")),
        "target_sectors": _strings(meta.get("cfr-target-category")) + _strings(meta.get("targeted-sector")),
        "incident_types": _strings(meta.get("cfr-type-of-incident")),
        "attribution_confidence": int(confidence[0]) if confidence and confidence[0].isdigit() else None,
    }
    return props


def _items(raw: dict[str, Any], ctx: LoadContext, galaxy: Galaxy) -> list[Item]:
    key = uuid_key(raw["uuid"])
    meta = raw["meta"] if isinstance(raw.get("meta"), dict) else {}
    prov = ctx.prov(raw["uuid"])
    ids = galaxy.merge_ids.get(key, [])
    node = make_node(
        ctx.model,
        galaxy.kind,
        galaxy.node_type,
        prov=prov,
        uuid=raw["uuid"],
        name=raw["value"],
        props=_props(raw, meta, galaxy, ids),
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
    items.extend(_related(key, raw.get("related") or [], prov))
    return items


def _confidence(tags: Any, prov: Provenance) -> Provenance:
    for tag in _strings(tags):
        if (match := _LIKELIHOOD_TAG.match(tag)) and match.group(1) in LIKELIHOOD:
            return replace(prov, confidence=LIKELIHOOD[match.group(1)])
    return prov


def _related(key: str, related: Any, prov: Provenance) -> Iterator[Edge]:
    """Edges of ``related[]``; symmetric ones ordered by key so A→B and B→A are one edge."""
    if not isinstance(related, list):
        raise ValueError("'related' is not a list")
    for link in related:
        if not isinstance(link, dict) or not isinstance(link.get("type"), str):
            raise ValueError(f"malformed related entry: {link!r}"[:200])
        target = uuid_key(str(link.get("dest-uuid")))
        if target == key:
            continue
        relation = link["type"]
        edge_type, reverse = RELATIONS.get(relation, ("RELATED_TO", False))
        source, target = (target, key) if reverse else (key, target)
        if edge_type == "SIMILAR_TO":
            source, target = sorted((source, target))
        props = {"relation": relation} if edge_type in WORDED else {}
        discriminator = relation if edge_type == "RELATED_TO" else ""
        yield Edge(edge_type, source, target, _confidence(link.get("tags"), prov), props, discriminator)
