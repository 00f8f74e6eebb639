"""GraphQL enums: the schema's closed sets (node kinds, edge types, edge sets, TLP) generated from
``graph_model/schema``, and the closed sets of ``queries/`` (metrics, objectives, algorithms) with
readable names.

Nothing here lists a node kind, an edge type or an edge set by hand: adding a kind to the schema adds
it to ``NodeKind``. The query modules own their sets (``queries.centrality.METRICS`` ...); this module
gives each member a GraphQL name and a description, and :func:`check_closed_sets` (run by the tests)
fails when a query module gains a member this module does not describe.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.types.enum import EnumValueDefinition

from graph_model.model import default_model
from graph_model.provenance import TLP
from loaders import FORMATS
from queries.centrality import METRICS as CENTRALITY_METRICS
from queries.disruption.objectives import OBJECTIVES
from queries.disruption.scores import METRICS as DISRUPTION_METRICS
from queries.partition import ALGORITHMS

MODEL = default_model()


def _enum(
    name: str, description: str, members: Iterable[tuple[str, Any, str]]
) -> Any:  # an Enum class made at run time
    """An enum of (GraphQL name, value, description) members, registered with strawberry."""
    values = {gql: EnumValueDefinition(value=value, description=text) for gql, value, text in members}
    made = enum.Enum(name, values)  # type: ignore[misc]
    return strawberry.enum(made, name=name, description=description)


def _described(values: Iterable[str], words: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Members of a query module's set: the GraphQL name is the value in capitals, the words from
    ``words``."""
    # A member without words gets none: tests/backend/api/test_contract.py fails on any undescribed value.
    return [(value.upper(), value, words.get(value, "")) for value in values]


def _edge_set_text(name: str, types: frozenset[str]) -> str:
    if types == frozenset(MODEL.edges):
        return f"Every edge type of the schema ({len(types)})."
    return f"Edge set {name}: {', '.join(sorted(types))}."


_NodeKind = (
    "NodeKind",
    "A node kind of the schema (graph_model/schema/nodes); the value is the kind's name.",
    ((kind.name, kind.name, kind.description or kind.name) for kind in MODEL.nodes.values()),
)

_EdgeType = (
    "EdgeType",
    "An edge type of the schema (graph_model/schema/edges); the value is the type's name.",
    ((edge.name, edge.name, edge.description or edge.name) for edge in MODEL.edges.values()),
)

_EdgeSet = (
    "EdgeSet",
    "A named set of edge types of the schema (graph_model/schema/edge_sets.yaml); a walk or a scope "
    "follows only the links of its types.",
    ((name, name, _edge_set_text(name, types)) for name, types in MODEL.edge_sets.items()),
)

_TLP_WORDS = {
    TLP.CLEAR: "TLP:CLEAR - may be shared publicly.",
    TLP.GREEN: "TLP:GREEN - within the community, not publicly.",
    TLP.AMBER: "TLP:AMBER - within the recipient's organisation and its clients, need to know.",
    TLP.AMBER_STRICT: "TLP:AMBER+STRICT - within the recipient's organisation only.",
    TLP.RED: "TLP:RED - for the named recipients only.",
}
_Tlp = (
    "Tlp",
    "A Traffic Light Protocol 2.0 marking, least restrictive first (AMBER_STRICT is AMBER+STRICT).",
    ((level.name, level.name, _TLP_WORDS[level]) for level in TLP),
)

_DISRUPTION_WORDS = {
    "composite": "A weighted blend of the percentile ranks of cut, betweenness (weight 2 each), collective "
    "influence, k-core and bridge (weight 1 each).",
    "cut": "How much removing the entity alone splits its component (cut vertices and what they separate).",
    "betweenness": "The share of shortest paths that pass through the entity.",
    "ci": "Collective influence (Morone and Makse): (degree - 1) times the sum of (degree - 1) over the "
    "entities exactly two hops away.",
    "kcore": "The entity's k-core number: how deep it sits in the densest part of the network.",
    "bridge": "How many other communities and layers (people, infrastructure, money) the entity's "
    "neighbours belong to.",
}
_DISRUPTION_NAMES = {"ci": "COLLECTIVE_INFLUENCE"}
_Metric = (
    "Metric",
    "What a disruption score measures (`crimegraph score --metric` takes the lower-case short names).",
    (
        (_DISRUPTION_NAMES.get(value, value.upper()), value, text)
        for _, value, text in _described(DISRUPTION_METRICS, _DISRUPTION_WORDS)
    ),
)

_CentralityMetric = (
    "CentralityMetric",
    "A centrality measure of the undirected, simple graph of a scope.",
    _described(
        CENTRALITY_METRICS,
        {
            "degree": "How many distinct neighbours.",
            "betweenness": "The share of shortest paths through the entity (exact up to 2,000 entities, "
            "sampled above).",
            "pagerank": "PageRank with damping 0.85.",
            "eigenvector": "Eigenvector centrality (the leading eigenvector's entry).",
        },
    ),
)

_Objective = (
    "Objective",
    "What a takedown plan tries to damage most.",
    _described(
        OBJECTIVES,
        {
            "fragmentation": "Split the network: the most pairs of entities no longer connected.",
            "lcc": "Shrink the largest connected component.",
            "cashout": "Cut the money paths that reach cash-out services (exchanges, mixers).",
            "reach": "Cut what one group (`group`) reaches in infrastructure and money.",
        },
    ),
)

_CommunityAlgorithm = (
    "CommunityAlgorithm",
    "How communities are found.",
    _described(
        ALGORITHMS,
        {
            "louvain": "Louvain modularity optimisation (seeded, deterministic for the same graph).",
            "label_propagation": "Asynchronous label propagation (faster, coarser).",
        },
    ),
)


def _format_text(name: str) -> str:
    """The first sentence of the loader module's docstring (what it reads)."""
    doc = (importlib.import_module(FORMATS[name]).__doc__ or name).strip()
    first = " ".join(doc.split("\n\n")[0].split())
    return first.replace("``", "`")


_IngestFormat = (
    "IngestFormat",
    "A source format `crimegraph load` reads; the value is its `--format` name.",
    ((name.upper().replace("-", "_"), name, _format_text(name)) for name in FORMATS),
)

if TYPE_CHECKING:  # what type checkers see: enums whose members they cannot know

    class NodeKind(enum.Enum): ...

    class EdgeType(enum.Enum): ...

    class EdgeSet(enum.Enum): ...

    class Tlp(enum.Enum): ...

    class Metric(enum.Enum): ...

    class CentralityMetric(enum.Enum): ...

    class Objective(enum.Enum): ...

    class CommunityAlgorithm(enum.Enum): ...

    class IngestFormat(enum.Enum): ...

else:
    NodeKind = _enum(*_NodeKind)
    EdgeType = _enum(*_EdgeType)
    EdgeSet = _enum(*_EdgeSet)
    Tlp = _enum(*_Tlp)
    Metric = _enum(*_Metric)
    CentralityMetric = _enum(*_CentralityMetric)
    Objective = _enum(*_Objective)
    CommunityAlgorithm = _enum(*_CommunityAlgorithm)
    IngestFormat = _enum(*_IngestFormat)


@strawberry.enum(description="Which way a link runs, seen from the entity asked about.")
class Direction(enum.Enum):
    OUT = strawberry.enum_value(
        "out",
        description="Along the links' direction: from the entity to the others (money out of a wallet).",
    )
    IN = strawberry.enum_value(
        "in", description="Against it: from the others to the entity (money into a wallet)."
    )


_KINDS: dict[str, NodeKind] = {member.value: member for member in NodeKind}
_TYPES: dict[str, EdgeType] = {member.value: member for member in EdgeType}


def node_kind(kind: str) -> NodeKind:
    """The NodeKind member of a kind's name: one look-up (calling the enum costs 4 µs a member, and an
    answer of 2,000 links made 2,000 of them)."""
    found = _KINDS.get(kind)
    return NodeKind(kind) if found is None else found


def edge_type(type_name: str) -> EdgeType:
    """The EdgeType member of a type's name, as :func:`node_kind`."""
    found = _TYPES.get(type_name)
    return EdgeType(type_name) if found is None else found


def value_of(member: enum.Enum | str | None) -> str | None:
    """The query modules' spelling of an enum member (None stays None)."""
    if member is None or isinstance(member, str):
        return member
    value = member.value
    assert isinstance(value, str)
    return value


def values_of(members: Iterable[enum.Enum] | None) -> list[str] | None:
    return None if members is None else [str(m.value) for m in members]
