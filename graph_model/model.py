"""The vocabulary: node kinds, edge kinds, their properties and named edge sets, read from YAML once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from graph_model.errors import SchemaError

SCHEMA_DIR = Path(__file__).parent / "schema"
PROPERTY_TYPES = frozenset(
    {"string", "text", "integer", "number", "boolean", "datetime", "string[]", "integer[]"}
)
IDENTITIES = frozenset({"exact", "lower", "casefold", "name", "domain", "ip", "cidr", "url", "asn", "email"})
# Objects with a UUID (STIX, MISP) are keyed by it whatever their kind, so references by UUID
# resolve without knowing the target's kind; no node type may claim this namespace.
UUID_NAMESPACE = "uuid"
# STIX objects that are observations or containers (indicators, observed-data, reports, notes, files...)
# are keyed by their whole STIX id: producers such as MISP reuse one UUID across such types.
STIX_NAMESPACE = "stix"
ANY = "*"


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    type: str
    search: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class NodeType:
    """A subtype of a node kind (a domain is a type of Infrastructure) and how its key is made."""

    name: str
    identity: str
    namespace: str


@dataclass(frozen=True, slots=True)
class NodeKind:
    name: str
    description: str
    types: Mapping[str, NodeType]
    properties: Mapping[str, Property]
    color: str = "#999999"
    shape: str = "dot"
    # The properties full-text search indexes (found once: every stored entity's row needs them).
    search_properties: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        found = tuple(p.name for p in self.properties.values() if p.search)
        object.__setattr__(self, "search_properties", found)


@dataclass(frozen=True, slots=True)
class EdgeKind:
    name: str
    description: str
    source: frozenset[str]
    target: frozenset[str]
    properties: Mapping[str, Property]
    self_loops: bool = True
    color: str = "#9a9a9a"
    # A proposal awaiting an analyst (e.g. a same-person candidate): in no edge set unless one names it,
    # so no traversal, community, plan or export takes it for a fact.
    proposed: bool = False

    def allows(self, source_kind: str, target_kind: str) -> bool:
        return (ANY in self.source or source_kind in self.source) and (
            ANY in self.target or target_kind in self.target
        )


@dataclass(frozen=True)
class Model:
    """Node kinds, edge kinds and named edge sets, validated against each other."""

    nodes: Mapping[str, NodeKind]
    edges: Mapping[str, EdgeKind]
    edge_sets: Mapping[str, frozenset[str]]
    namespaces: Mapping[str, str] = field(default_factory=dict)

    def node_kind(self, name: str) -> NodeKind:
        try:
            return self.nodes[name]
        except KeyError:
            raise SchemaError(f"unknown node kind {name!r}") from None

    def edge_kind(self, name: str) -> EdgeKind:
        try:
            return self.edges[name]
        except KeyError:
            raise SchemaError(f"unknown edge kind {name!r}") from None

    def edge_types(self, edge_set: str | None = None, types: Iterable[str] | None = None) -> frozenset[str]:
        """Relationship types named by an edge set and/or a list, checked against the schema."""
        chosen: set[str] = set()
        if edge_set is not None:
            if edge_set not in self.edge_sets:
                raise SchemaError(
                    f"unknown edge set {edge_set!r}; known: {', '.join(sorted(self.edge_sets))}"
                )
            chosen |= self.edge_sets[edge_set]
        for t in types or ():
            self.edge_kind(t)
            chosen.add(t)
        if edge_set is None and types is None:
            return frozenset(name for name, kind in self.edges.items() if not kind.proposed)
        return frozenset(chosen)


def _properties(raw: Mapping[str, Any] | None, where: str) -> dict[str, Property]:
    props: dict[str, Property] = {}
    for pname, spec in (raw or {}).items():
        spec = spec or {}
        ptype = spec.get("type")
        if ptype not in PROPERTY_TYPES:
            raise SchemaError(f"{where}: property {pname!r} has unknown range {ptype!r}")
        props[pname] = Property(pname, ptype, bool(spec.get("search", False)), spec.get("description", ""))
    return props


def _node_kind(raw: Mapping[str, Any], where: str) -> NodeKind:
    name = raw.get("name")
    if not isinstance(name, str) or not name[:1].isupper():
        raise SchemaError(f"{where}: node kind needs a capitalised name")
    types: dict[str, NodeType] = {}
    for tname, spec in (raw.get("types") or {}).items():
        identity = (spec or {}).get("identity")
        if identity not in IDENTITIES:
            raise SchemaError(f"{where}: type {tname!r} has unknown identity {identity!r}")
        namespace = (spec or {}).get("namespace", tname)
        types[tname] = NodeType(tname, identity, namespace)
    if not types:
        raise SchemaError(f"{where}: node kind {name} declares no types")
    return NodeKind(
        name=name,
        description=raw.get("description", ""),
        types=types,
        properties=_properties(raw.get("properties"), where),
        color=raw.get("color", "#999999"),
        shape=raw.get("shape", "dot"),
    )


def _endpoints(value: Any) -> frozenset[str]:
    if value in (None, "any", ANY):
        return frozenset({ANY})
    return frozenset(value)


def _edge_kind(raw: Mapping[str, Any], where: str) -> EdgeKind:
    name = raw.get("name")
    if not isinstance(name, str) or name != name.upper():
        raise SchemaError(f"{where}: edge kind needs a CONST_CASE name")
    return EdgeKind(
        name=name,
        description=raw.get("description", ""),
        source=_endpoints(raw.get("source")),
        target=_endpoints(raw.get("target")),
        properties=_properties(raw.get("properties"), where),
        self_loops=bool(raw.get("self_loops", True)),
        color=raw.get("color", "#9a9a9a"),
        proposed=bool(raw.get("proposed", False)),
    )


def build_model(
    node_docs: Iterable[tuple[str, Mapping[str, Any]]],
    edge_docs: Iterable[tuple[str, Mapping[str, Any]]],
    edge_sets: Mapping[str, Any],
) -> Model:
    """Check the documents against each other and build a :class:`Model`."""
    nodes: dict[str, NodeKind] = {}
    for where, doc in node_docs:
        kind = _node_kind(doc, where)
        if kind.name in nodes:
            raise SchemaError(f"{where}: duplicate node kind {kind.name!r}")
        nodes[kind.name] = kind
    edges: dict[str, EdgeKind] = {}
    for where, doc in edge_docs:
        ekind = _edge_kind(doc, where)
        if ekind.name in edges or ekind.name in nodes:
            raise SchemaError(f"{where}: duplicate name {ekind.name!r}")
        for end in ekind.source | ekind.target:
            if end != ANY and end not in nodes:
                raise SchemaError(f"{where}: edge {ekind.name} endpoint {end!r} is not a node kind")
        edges[ekind.name] = ekind
    namespaces: dict[str, str] = {}
    for kind in nodes.values():
        for ntype in kind.types.values():
            owner = namespaces.setdefault(ntype.namespace, kind.name)
            if ntype.namespace in (UUID_NAMESPACE, STIX_NAMESPACE) or owner != kind.name:
                raise SchemaError(f"key namespace {ntype.namespace!r} used by {owner} and {kind.name}")
    sets: dict[str, frozenset[str]] = {}
    for sname, members in edge_sets.items():
        if members in ("*", "any"):
            sets[sname] = frozenset(name for name, kind in edges.items() if not kind.proposed)
            continue
        for member in members:
            if member not in edges:
                raise SchemaError(f"edge set {sname!r} names unknown edge kind {member!r}")
        sets[sname] = frozenset(members)
    return Model(nodes=nodes, edges=edges, edge_sets=sets, namespaces=namespaces)


def _read(path: Path) -> Mapping[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"{path.name}: {exc}") from exc
    if not isinstance(doc, dict):
        raise SchemaError(f"{path.name}: expected a mapping")
    return doc


def load_model(directory: Path = SCHEMA_DIR) -> Model:
    """Read ``nodes/*.yaml``, ``edges/*.yaml`` and ``edge_sets.yaml`` under ``directory``."""
    node_docs = [(p.name, _read(p)) for p in sorted((directory / "nodes").glob("*.yaml"))]
    edge_docs = [(p.name, _read(p)) for p in sorted((directory / "edges").glob("*.yaml"))]
    sets_path = directory / "edge_sets.yaml"
    edge_sets = _read(sets_path) if sets_path.exists() else {}
    return build_model(node_docs, edge_docs, edge_sets)


@cache
def default_model() -> Model:
    """The model shipped with crimegraph, read once per process."""
    return load_model()
