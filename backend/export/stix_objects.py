"""One graph node as one STIX 2.1 object: an SDO or SCO per node kind and type, as a plain dict.

Identifiers are deterministic: a node keyed by a UUID (it came from STIX or MISP) keeps that UUID, an
observable that came from STIX keeps its id, other observables get the UUIDv5 the STIX specification
derives from their value, and every other node a UUIDv5 of its key in crimegraph's namespace. Re-exports
of the same graph are therefore identical, and a bundle loaded back keeps its objects' identities.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from graph_model.provenance import TLP
from graph_model.store.base import PROVENANCE_ATTRIBUTES
from loaders.markings import DEFINITIONS
from loaders.stix_crimegraph import NAMESPACE as NAMESPACE
from loaders.stix_crimegraph import PROPERTIES_EXTENSION as PROPERTIES_EXTENSION

# The namespace STIX 2.1 fixes for the deterministic ids of cyber-observables (section 2.9).
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
# STIX needs a creation time; a node nobody dated gets this fixed one, so re-exports stay identical.
EPOCH = "1970-01-01T00:00:00.000Z"

# The standard TLP 2.0 marking definitions (STIX extension-definition--60a3c5c5…).
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2: dict[TLP, tuple[str, str]] = {
    TLP.CLEAR: ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"),
    TLP.GREEN: ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"),
    TLP.AMBER: ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"),
    TLP.AMBER_STRICT: ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"),
    TLP.RED: ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red"),
}

# crimegraph's own extension definitions: its provenance and properties on every object (top-level
# ``x_crimegraph_*``), and the two object types STIX lacks (wallets and forums).
WALLET_EXTENSION = "extension-definition--" + str(uuid.uuid5(NAMESPACE, "extension:wallet"))
FORUM_EXTENSION = "extension-definition--" + str(uuid.uuid5(NAMESPACE, "extension:forum"))
WALLET_TYPE = "x-crimegraph-wallet"
FORUM_TYPE = "x-crimegraph-forum"

SCO_TYPES = frozenset(
    {
        "ipv4-addr",
        "ipv6-addr",
        "domain-name",
        "url",
        "email-addr",
        "autonomous-system",
        "file",
        "software",
        WALLET_TYPE,
    }
)
# SDOs that carry first_seen / last_seen of their own.
SEEN = frozenset({"threat-actor", "intrusion-set", "campaign", "malware", "infrastructure"})
# Node kinds and types -> STIX object type (Actor and Infrastructure are decided per node below).
KIND_TYPES = {
    "Campaign": "campaign",
    "Identity": "identity",
    "Indicator": "indicator",
    "Technique": "attack-pattern",
    "Vulnerability": "vulnerability",
    "Wallet": WALLET_TYPE,
    "Forum": FORUM_TYPE,
}
INFRASTRUCTURE_TYPES = {
    "domain": "domain-name",
    "url": "url",
    "email": "email-addr",
    "asn": "autonomous-system",
    "host": "infrastructure",
    "provider": "identity",
    "registrar": "identity",
    "registry": "identity",
}
IDENTITY_CLASSES = {"individual", "organization", "class", "system"}
# Kinds and types that are standard STIX 2.1 objects: written as those wherever the specification's required
# properties can be given truthfully (``standard_gap``), else as crimegraph's own ``x-crimegraph-<kind>``.
STANDARD_TYPES = {
    ("Mitigation", "course-of-action"): "course-of-action",
    ("Incident", "incident"): "incident",
    ("Report", "report"): "report",
    ("Report", "misp-event"): "report",
    ("Report", "observed-data"): "observed-data",
    ("Note", "note"): "note",
    ("Note", "opinion"): "opinion",
    ("File", "file"): "file",
    ("File", "software"): "software",
    **{("Location", t): "location" for t in ("region", "country", "city", "place")},
}
# Standard types whose required ``object_refs`` are the node's links of this type (what the loader made of
# the source's ``object_refs``).
CONTAINERS = {
    "report": "REFERS_TO",
    "observed-data": "REFERS_TO",
    "note": "ANNOTATES",
    "opinion": "ANNOTATES",
}
OPINIONS = frozenset({"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"})
# SDOs STIX gives no ``name``: the node's name travels as ``x_crimegraph_name``.
UNNAMED = frozenset({"note", "opinion", "observed-data"})
# SDOs STIX gives no ``description``: it travels in ``x_crimegraph_properties``.
UNDESCRIBED = frozenset({"note", "opinion", "observed-data"})
# File hashes crimegraph keeps, by their STIX hash-algorithm name.
FILE_HASHES = (("SHA-256", "sha256", 64), ("SHA-1", "sha1", 40), ("MD5", "md5", 32))
_HEX = re.compile(r"[0-9a-fA-F]+")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
# Node properties a STIX field carries; the rest travel in ``x_crimegraph_properties``.
MAPPED = frozenset(
    {
        "aliases",
        "description",
        "stix_id",
        "revoked",
        "attack_id",
        "refs",
        "classification",
        "motive",
        "categories",
        "sectors",
        "contact",
        "infrastructure_types",
        "capec_id",
        "cve",
        "pattern",
        "pattern_type",
        "indicator_types",
        "as_name",
        "stix_type",
        "objective",
        "roles",
        "platforms",
        "deprecated",
    }
)
_UUID_KEY = re.compile(r"^uuid:([0-9a-f-]{36})$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S")
_URI_SAFE = ":/?#@!$&'()*+,;=%~"


def stix_time(value: str | None) -> str | None:
    """A stored time (``…T10:00:00Z``) as a STIX timestamp with milliseconds."""
    return None if value is None else value[:19] + ".000Z"


def custom_type(kind: str) -> str:
    """crimegraph's own object type for a node kind STIX has no object for (``x-crimegraph-asset``)."""
    return f"x-crimegraph-{kind.lower()}"


def custom_extension(otype: str) -> str:
    """The extension definition id of one of crimegraph's own object types."""
    if otype == FORUM_TYPE:
        return FORUM_EXTENSION
    return "extension-definition--" + str(uuid.uuid5(NAMESPACE, f"extension:{otype}"))


def stix_type(attrs: dict[str, Any], refs: bool = False) -> str:
    """The STIX object type a node becomes (``refs``: whether it has links to write as ``object_refs``);
    kinds STIX has no object for, and standard ones lacking a required property, become crimegraph's own."""
    kind, type_ = attrs["kind"], attrs["type"]
    standard = STANDARD_TYPES.get((kind, type_))
    if standard is not None:
        return custom_type(kind) if standard_gap(standard, attrs, refs) else standard
    if kind == "Actor":
        if attrs.get("stix_type") in ("intrusion-set", "threat-actor"):
            return str(attrs["stix_type"])
        return "intrusion-set" if type_ == "group" else "threat-actor"
    if kind == "Malware":
        return "tool" if type_ == "tool" else "malware"
    if kind == "Infrastructure":
        if type_ in ("ip", "cidr"):
            return "ipv6-addr" if ":" in attrs["name"] else "ipv4-addr"
        return INFRASTRUCTURE_TYPES[type_]
    return KIND_TYPES.get(kind) or custom_type(kind)


def standard_gap(otype: str, attrs: dict[str, Any], refs: bool) -> str | None:
    """Why a node cannot be the standard STIX object ``otype``: the required property it has no true value
    for (None when it has them all). ``docs/export.md`` lists these."""
    if otype in CONTAINERS and not refs:
        return "object_refs"
    if otype == "report" and published(attrs) is None:
        return "published"
    if otype == "observed-data":
        count = attrs.get("number_observed")
        if not (attrs.get("first_seen") and attrs.get("last_seen")):
            return "first_observed"
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 999_999_999:
            return "number_observed"
    if otype == "note" and not attrs.get("content"):
        return "content"
    if otype == "opinion" and attrs.get("opinion") not in OPINIONS:
        return "opinion"
    if otype == "location" and not (
        attrs.get("region") or attrs.get("country") or _coordinates(attrs) is not None
    ):
        return "region"
    if otype == "file" and not (_file_hashes(attrs) or attrs.get("file_name")):
        return "hashes"
    return None


def published(attrs: dict[str, Any]) -> str | None:
    """A report's ``published`` as a STIX timestamp (as stated where it is one), None without a date."""
    value = attrs.get("published")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:  # MISP: seconds since 1970
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if not isinstance(value, str) or not value.strip():
        return None
    if _TIMESTAMP.match(value):
        return value
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    when = when.astimezone(UTC) if when.tzinfo else when
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _coordinates(attrs: dict[str, Any]) -> tuple[float, float] | None:
    latitude, longitude = attrs.get("latitude"), attrs.get("longitude")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (latitude, longitude)):
        return None
    assert isinstance(latitude, int | float) and isinstance(longitude, int | float)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return float(latitude), float(longitude)


def _file_hashes(attrs: dict[str, Any]) -> dict[str, str]:
    """A file's hashes that are hashes (hex of their algorithm's length; any other value stays a property)."""
    return {
        name: str(attrs[prop]).lower()
        for name, prop, size in FILE_HASHES
        if isinstance(attrs.get(prop), str) and _HEX.fullmatch(attrs[prop]) and len(attrs[prop]) == size
    }


def sco_value(key: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """The id-contributing value of an observable: its canonical value, taken from its key."""
    value = key.partition(":")[2]
    if attrs["kind"] == "File":
        return _file_value(attrs)
    if attrs["type"] == "asn":
        return {"number": int(value)}
    if attrs["kind"] == "Wallet":
        return {"value": value, "chain": attrs["type"]}
    return {"value": value}


def _file_value(attrs: dict[str, Any]) -> dict[str, Any]:
    """A file's or software's own STIX properties (those that make its id, and the others it has)."""
    if attrs["type"] == "software":
        found = _with(cpe=attrs.get("cpe"), vendor=attrs.get("vendor"), version=attrs.get("version"))
        return {"name": attrs["name"], **found}
    size = attrs.get("size")
    return _with(
        hashes=_file_hashes(attrs) or None,
        name=attrs.get("file_name"),
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
    )


def object_id(key: str, attrs: dict[str, Any], otype: str) -> str:
    """The node's deterministic STIX id (see the module docstring)."""
    known = attrs.get("stix_id")
    match = _UUID_KEY.match(key)
    if match and not _rfc4122(match.group(1)):
        match = None  # STIX ids are RFC 4122 UUIDs: a UUIDv7 (MISP) gets a derived id
    if match:
        if isinstance(known, str) and known.lower() == f"{otype}--{match.group(1)}":
            return known  # kept exactly as its source spelled it
        return f"{otype}--{match.group(1)}"
    if not (isinstance(known, str) and _rfc4122(known.partition("--")[2])):
        known = None
    if known is not None and known.startswith(f"{otype}--"):
        return known
    if key.startswith(f"stix:{otype}--") and _rfc4122(key.partition("--")[2]):
        return key.partition(":")[2]
    if otype.startswith("x-crimegraph-") and known is not None:
        # A standard object short of a required property keeps its UUID under crimegraph's type.
        return f"{otype}--{known.partition('--')[2].lower()}"
    if otype in SCO_TYPES:
        value = sco_value(key, attrs)
        if otype == "file":  # STIX 2.1: a file's id comes from its hashes, else its name
            value = {"hashes": value["hashes"]} if "hashes" in value else {"name": value.get("name")}
        elif otype == "software":
            value = {k: value[k] for k in ("name", "cpe", "vendor", "version") if k in value}
        contributing = json.dumps(value, sort_keys=True, separators=(",", ":"))
        return f"{otype}--{uuid.uuid5(SCO_NAMESPACE, contributing)}"
    return f"{otype}--{uuid.uuid5(NAMESPACE, key)}"


def _rfc4122(text: str) -> bool:
    """Whether ``text`` is a UUID STIX takes (RFC 4122, versions 1 to 5: MISP's UUIDv7 is not)."""
    try:
        return uuid.UUID(text).version in (1, 2, 3, 4, 5)
    except ValueError:
        return False


def external_references(sources: list[str], attrs: dict[str, Any]) -> list[dict[str, str]]:
    """ATT&CK / CAPEC / CVE ids and reference URLs first, then each source as ``crimegraph:<dataset>``."""
    refs: list[dict[str, str]] = []
    if attrs.get("attack_id"):
        refs.append({"source_name": "mitre-attack", "external_id": str(attrs["attack_id"])})
    if attrs.get("capec_id"):
        refs.append({"source_name": "capec", "external_id": str(attrs["capec_id"])})
    if attrs.get("cve"):
        refs.append({"source_name": "cve", "external_id": str(attrs["cve"])})
    refs += [_url_reference(str(url)) for url in attrs.get("refs") or ()]
    refs += provenance_references(sources)
    return refs


def _url_reference(url: str) -> dict[str, str]:
    """A reference URL as STIX wants it: a URI (spaces and other unsafe characters percent-encoded); text
    without a scheme is kept as the reference's description."""
    if not _SCHEME.match(url):
        return {"source_name": "reference", "description": url}
    return {"source_name": "reference", "url": quote(url.strip(), safe=_URI_SAFE)}


def provenance_references(sources: list[str]) -> list[dict[str, str]]:
    """Each ``dataset#record`` source as an external reference naming the dataset and the record."""
    refs = []
    for source in sources:
        dataset, sep, record = source.partition("#")
        refs.append(
            {"source_name": f"crimegraph:{dataset}", "external_id": record}
            if sep and record
            else {"source_name": f"crimegraph:{dataset}", "description": "named by this dataset"}
        )
    return refs


def crimegraph_properties(key: str, attrs: dict[str, Any], skip: frozenset[str]) -> dict[str, Any]:
    """The ``x_crimegraph_*`` properties: identity in crimegraph, and the properties STIX has no field for."""
    extra = {k: v for k, v in sorted(attrs.items()) if k not in skip and v not in (None, [], "")}
    found: dict[str, Any] = {
        "x_crimegraph_key": key,
        "x_crimegraph_kind": attrs["kind"],
        "x_crimegraph_type": attrs["type"],
        "extensions": {PROPERTIES_EXTENSION: {"extension_type": "toplevel-property-extension"}},
    }
    if extra:
        found["x_crimegraph_properties"] = extra
    return found


PROVENANCE = frozenset({"kind", "type", "name", *PROVENANCE_ATTRIBUTES})
_MARKINGS = ("object_marking_refs", "granular_markings", DEFINITIONS)


def stated(attrs: dict[str, Any]) -> dict[str, Any]:
    """What the source object stated that crimegraph keeps verbatim (``stix_extra``, see loaders)."""
    text = attrs.get("stix_extra")
    if not isinstance(text, str):
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def marking_definitions(attrs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The non-TLP marking definitions (statements, extension-based markings) a node or edge refers to, each
    as its source wrote it (``loaders.markings.kept``)."""
    found = stated(attrs).get(DEFINITIONS)
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, dict) and v.get("id") == k}


def _with_markings(made: dict[str, Any], extra: dict[str, Any]) -> None:
    """The non-TLP markings the source put on the object, beside its TLP marking: each reference kept
    only with its definition (which the bundle then carries), never a reference to nothing."""
    found = extra.get(DEFINITIONS)
    defined: dict[str, Any] = found if isinstance(found, dict) else {}
    refs = extra.get("object_marking_refs")
    if isinstance(refs, list):
        mine = list(made.get("object_marking_refs") or ())
        made["object_marking_refs"] = [*mine, *(r for r in refs if r in defined and r not in mine)]
    granular = extra.get("granular_markings")
    if isinstance(granular, list):
        entries = [
            g
            for g in granular
            if isinstance(g, dict) and (g.get("marking_ref") in defined or "marking_ref" not in g)
        ]
        if entries:
            made["granular_markings"] = [*(made.get("granular_markings") or ()), *entries]


def with_stated(obj: dict[str, Any], attrs: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with the source's own statements: its ``created``/``modified`` at the source's precision,
    its external references verbatim (crimegraph's provenance references after them), ``created_by_ref``,
    labels, custom properties - each only where crimegraph wrote nothing of its own - and its non-TLP
    markings beside its TLP marking."""
    extra = stated(attrs)
    if not extra:
        return obj
    made = dict(obj)
    _with_markings(made, extra)
    for name in _MARKINGS:  # carried by the object's own marking fields, not restated
        extra.pop(name, None)
    if not extra:
        return made
    created, modified = extra.get("created"), extra.get("modified")
    if (
        isinstance(created, str)
        and isinstance(modified, str)
        and made.get("created", "")[:19] == created[:19]
        and made.get("modified", "")[:19] == modified[:19]
    ):
        # The source's own timestamps, at its precision, where crimegraph's dates are the same to the second.
        made["created"], made["modified"] = created, modified
    if isinstance(extra.get("valid_from"), str) and "valid_from" in made:
        made["valid_from"] = extra["valid_from"]
    refs = extra.get("external_references")
    if isinstance(refs, list):
        ours = [
            r
            for r in made.get("external_references") or ()
            if str(r.get("source_name", "")).startswith("crimegraph:")
        ]
        made["external_references"] = [*refs, *(r for r in ours if r not in refs)]
    for name, value in extra.items():
        if name not in made and name not in ("created", "modified", "valid_from", "external_references"):
            made[name] = value
    if isinstance(extra.get("extensions"), dict):
        made["extensions"] = {**extra["extensions"], **(obj.get("extensions") or {})}
    made["x_crimegraph_stated"] = {
        name: _how_stated(made, name, value) for name, value in sorted(extra.items())
    }
    return made


def _how_stated(made: dict[str, Any], name: str, value: Any) -> Any:
    """How the object carries one stated property (``loaders.stix_crimegraph.stated_extra`` reads it):
    ``true`` as stated, the number of leading external references that are the source's, else the value."""
    if (
        name == "external_references"
        and isinstance(value, list)
        and made.get(name, [])[: len(value)] == value
    ):
        return len(value)
    if made.get(name) == value and name != "external_references" and value not in (False, [], {}):
        return True  # (stix2 leaves out properties at their default, such as ``revoked: false``)
    return value


def object_dates(attrs: dict[str, Any]) -> tuple[str, str]:
    """A STIX object's ``created`` and ``modified``: the source object's own dates where it gave them;
    else the first and last time it was seen; else when crimegraph first loaded it (an undated object's
    required ``created``); ``modified`` never before ``created``."""
    created, modified, _ = dated(attrs)
    return created, modified


def dated(attrs: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    """:func:`object_dates` and, for each of ``created``/``modified`` that is not the source object's own
    date, what it stands for (``first_seen``, ``last_seen``, ``date_added``, ``created`` or ``none``): what
    the object says in ``x_crimegraph_dates``."""
    first, last = stix_time(attrs.get("first_seen")), stix_time(attrs.get("last_seen"))
    own_created, own_modified = stix_time(attrs.get("created")), stix_time(attrs.get("modified"))
    said: dict[str, str] = {}
    if own_created:
        created = own_created
    else:
        stand_ins = (
            ("first_seen", first),
            ("last_seen", last),
            ("date_added", stix_time(attrs.get("date_added"))),
        )
        name, created = next(((n, v) for n, v in stand_ins if v), ("none", EPOCH))
        said["created"] = name
    if own_modified and own_modified >= created:
        modified = own_modified
    elif not own_modified and last and last >= created:
        modified, said["modified"] = last, "last_seen"
    else:
        modified, said["modified"] = created, "created"
    return created, modified, said


def node_object(
    key: str, attrs: dict[str, Any], otype: str | None = None, refs: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The STIX object (a JSON dict) of one graph node with its networkx attributes; ``refs``: the ids of
    the objects it refers to (a report's, note's or opinion's ``object_refs``), and ``otype`` its type
    where the caller decided it (:func:`stix_type`)."""
    otype = otype or stix_type(attrs, bool(refs))
    marking = TLP2[TLP.parse(attrs["tlp"])][0]
    base: dict[str, Any] = {
        "type": otype,
        "spec_version": "2.1",
        "id": object_id(key, attrs, otype),
        "object_marking_refs": [marking],
    }
    if otype in SCO_TYPES:
        made = {**base, **_sco(key, attrs, otype)}
        return with_stated(made, attrs) if otype in ("file", "software") else made
    first = stix_time(attrs.get("first_seen"))
    created, modified = object_dates(attrs)
    obj: dict[str, Any] = {
        **base,
        "created": created,
        "modified": modified,
        "name": attrs["name"],
        "confidence": int(attrs["confidence"]),
        "external_references": external_references(attrs.get("sources") or [], attrs),
    }
    if otype in UNNAMED:
        del obj["name"]
    if attrs.get("description") and otype not in UNDESCRIBED:
        obj["description"] = attrs["description"]
    if otype in CONTAINERS:
        obj["object_refs"] = list(refs)
    if attrs.get("revoked") is True:
        obj["revoked"] = True
    if otype in SEEN and first:
        obj["first_seen"] = first
        if attrs.get("last_seen"):
            obj["last_seen"] = max(first, stix_time(attrs["last_seen"]) or first)
    obj.update(_SDO_FIELDS.get(otype, _nothing)(attrs, created))
    # Every property STIX has no verbatim field for (what the fields above say included, as stored).
    skip = PROVENANCE | {"stix_extra", "description"} | ({"pattern"} if otype == "indicator" else set())
    extensions = crimegraph_properties(
        key, attrs, frozenset(skip - {"description"} if otype in UNDESCRIBED else skip)
    )
    if otype in UNNAMED:
        extensions["x_crimegraph_name"] = attrs["name"]
    _own_dates(extensions, obj, attrs)
    # ATT&CK's own properties, which CTI platforms (and crimegraph's loader) read.
    if attrs.get("platforms"):
        extensions["x_mitre_platforms"] = _listed(attrs, "platforms")
    if attrs.get("deprecated") is True:
        extensions["x_mitre_deprecated"] = True
    if otype.startswith("x-crimegraph-"):
        extensions["extensions"][custom_extension(otype)] = {"extension_type": "new-sdo"}
        obj[f"{attrs['kind'].lower()}_type"] = attrs["type"]
    return with_stated({**obj, **extensions}, attrs)


def _own_dates(extensions: dict[str, Any], obj: dict[str, Any], attrs: dict[str, Any]) -> None:
    """The dates an object's fields do not carry, as crimegraph's own properties: which of ``created`` and
    ``modified`` stand in for something else, and first/last seen where the type has no field for them."""
    _, _, said = dated(attrs)
    if said:
        extensions["x_crimegraph_dates"] = said
    if "first_seen" not in obj:
        for name in ("first_seen", "last_seen"):
            if attrs.get(name):
                extensions[f"x_crimegraph_{name}"] = stix_time(attrs[name])


def _sco(key: str, attrs: dict[str, Any], otype: str) -> dict[str, Any]:
    obj = sco_value(key, attrs)
    if otype == "autonomous-system" and attrs.get("as_name"):
        obj["name"] = attrs["as_name"]
    extensions = crimegraph_properties(key, attrs, PROVENANCE | {"stix_extra"})
    # An observable has no confidence, times or external references in STIX: crimegraph's own.
    extensions["x_crimegraph_name"] = attrs["name"]
    extensions["x_crimegraph_confidence"] = int(attrs["confidence"])
    extensions["x_crimegraph_sources"] = list(attrs.get("sources") or [])
    for name in ("first_seen", "last_seen", "created", "modified"):
        if attrs.get(name):
            extensions[f"x_crimegraph_{name}"] = stix_time(attrs[name])
    if otype == WALLET_TYPE:
        extensions["extensions"][WALLET_EXTENSION] = {"extension_type": "new-sco"}
    return {**obj, **extensions}


def _listed(attrs: dict[str, Any], name: str) -> list[str]:
    return [str(v) for v in attrs.get(name) or () if str(v).strip()]


def _nothing(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    return {}


def _with(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in (None, [], "")}


def _threat_actor(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    return _with(
        aliases=_listed(attrs, "aliases"),
        roles=_listed(attrs, "roles"),
        threat_actor_types=_listed(attrs, "classification"),
        primary_motivation=attrs.get("motive"),
    )


def _intrusion_set(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    return _with(aliases=_listed(attrs, "aliases"), primary_motivation=attrs.get("motive"))


def _campaign(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    return _with(aliases=_listed(attrs, "aliases"), objective=attrs.get("objective"))


def _malware(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    return {
        "is_family": True,
        **_with(aliases=_listed(attrs, "aliases"), malware_types=_listed(attrs, "categories")),
    }


def _tool(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    return _with(aliases=_listed(attrs, "aliases"), tool_types=_listed(attrs, "categories"))


def _identity(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    type_ = attrs["type"]
    if attrs["kind"] == "Infrastructure":  # a hosting provider, registrar or registry is an organisation
        identity_class = "organization"
    else:
        identity_class = type_ if type_ in IDENTITY_CLASSES else "class"
    return {
        "identity_class": identity_class,
        **_with(sectors=_listed(attrs, "sectors"), contact_information=attrs.get("contact")),
    }


def _infrastructure(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    return _with(
        aliases=_listed(attrs, "aliases"), infrastructure_types=_listed(attrs, "infrastructure_types")
    )


def _indicator(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    return {
        "pattern": attrs.get("pattern") or "",
        "pattern_type": attrs.get("pattern_type") or "stix",
        "valid_from": created,
        **_with(indicator_types=_listed(attrs, "indicator_types")),
    }


def _location(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    where = _coordinates(attrs)
    return _with(
        region=attrs.get("region"),
        country=attrs.get("country"),
        city=attrs.get("city"),
        latitude=where[0] if where else None,
        longitude=where[1] if where else None,
    )


def _report(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    return _with(published=published(attrs), report_types=_listed(attrs, "report_types"))


def _observed_data(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    # (``.get``: a view below the level of a marked property is built without it, ``stix_granular``)
    first = stix_time(attrs.get("first_seen")) or created
    return _with(
        first_observed=first,
        last_observed=max(first, stix_time(attrs.get("last_seen")) or first),
        number_observed=attrs.get("number_observed"),
    )


def _note(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    content = str(attrs.get("content") or "")
    # The loader names a note by its abstract, else the start of its content: an abstract only where stated.
    abstract = attrs["name"] if attrs["name"] != content[:80] else None
    return _with(abstract=abstract, content=content or None, authors=_listed(attrs, "authors"))


def _opinion(attrs: dict[str, Any], created: str) -> dict[str, Any]:
    return _with(
        opinion=attrs.get("opinion"), explanation=attrs.get("content"), authors=_listed(attrs, "authors")
    )


_SDO_FIELDS = {
    "threat-actor": _threat_actor,
    "intrusion-set": _intrusion_set,
    "campaign": _campaign,
    "malware": _malware,
    "tool": _tool,
    "identity": _identity,
    "infrastructure": _infrastructure,
    "indicator": _indicator,
    "location": _location,
    "report": _report,
    "observed-data": _observed_data,
    "note": _note,
    "opinion": _opinion,
}
