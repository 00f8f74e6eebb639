"""Is what a store holds what the schema allows? Every node's kind, type and properties, every edge's type,
end kinds and properties, and the edges still waiting for an endpoint (``crimegraph check``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graph_model.entities import Edge, _check_props
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.base import PROVENANCE_ATTRIBUTES

# Attributes every stored node / edge has besides its schema properties (graph_model.store.base).
_NODE_FIELDS = frozenset({"kind", "type", "name", *PROVENANCE_ATTRIBUTES})
_EDGE_FIELDS = frozenset({"type", *PROVENANCE_ATTRIBUTES})


@dataclass(slots=True)
class CheckReport:
    """Violations found (``examples`` shows the first few), and the edges waiting for an endpoint."""

    violations: int = 0
    waiting: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, str]] = field(default_factory=list)
    waiting_examples: list[dict[str, str]] = field(default_factory=list)

    def add(self, what: str, reason: str, limit: int) -> None:
        self.violations += 1
        self.by_reason[reason] += 1
        if len(self.examples) < limit:
            self.examples.append({"what": what, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return {
            "violations": self.violations,
            "waiting": self.waiting,
            "examples": self.examples,
            "by_reason": dict(self.by_reason.most_common()),
            "waiting_examples": self.waiting_examples,
        }


def check_store(store: GraphStore, *, examples: int = 20) -> CheckReport:
    """Check every stored node and edge against ``store.model``; list up to ``examples`` of each finding."""
    model = store.model
    report = CheckReport()
    graph = store.subgraph(clearance=TLP.RED)
    for key, attrs in graph.nodes(data=True):
        kind = model.nodes.get(attrs.get("kind"))
        if kind is None:
            report.add(key, f"unknown node kind {attrs.get('kind')!r}", examples)
        elif attrs.get("type") not in kind.types:
            report.add(key, f"{kind.name} has no type {attrs.get('type')!r}", examples)
        elif problem := _props_problem(attrs, _NODE_FIELDS, kind.properties, kind.name):
            report.add(key, problem, examples)
    for source, target, key, attrs in graph.edges(keys=True, data=True):
        edge_kind = model.edges.get(attrs.get("type"))
        if edge_kind is None:
            report.add(key, f"unknown edge type {attrs.get('type')!r}", examples)
            continue
        ends = graph.nodes[source].get("kind"), graph.nodes[target].get("kind")
        if not edge_kind.allows(*ends):
            report.add(key, f"the schema has no {edge_kind.name} from {ends[0]} to {ends[1]}", examples)
        elif source == target and not edge_kind.self_loops:
            report.add(key, f"{edge_kind.name} may not link a node to itself", examples)
        elif problem := _props_problem(attrs, _EDGE_FIELDS, edge_kind.properties, edge_kind.name):
            report.add(key, problem, examples)
    report.waiting = store.pending_count()
    report.waiting_examples = [_waiting(e) for e in store.waiting_edges(limit=examples)]
    return report


def _props_problem(attrs: dict[str, Any], fixed: frozenset[str], schema: Any, what: str) -> str | None:
    props = {k: v for k, v in attrs.items() if k not in fixed and v is not None}
    try:
        _check_props(props, schema, what)
    except ValueError as exc:
        return str(exc)
    return None


def _waiting(edge: Edge) -> dict[str, str]:
    return {
        "edge": edge.key,
        "from": ", ".join(sorted(edge.prov.sources)[:3]),
        "reason": "waiting for an endpoint that is not loaded (not in any load yet, or rejected)",
    }
