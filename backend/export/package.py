"""Takedown packages: a plan's targets grouped by the party that can act, each with its evidence.

A package is built from a plan file (:class:`queries.results.Plan` JSON) and the store, read through the
requester's clearance: a target the requester may not see is left out (not counted either), evidence
comes from the visible graph only, each pick is explained again on that graph (the plan's own words
and before/after measures describe the graph its planner saw, and are not copied). Per party:
``package.json``, ``report.html`` (offline) and ``bundle.stix.json``; ``index.json`` lists the parties.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from backend.export import stix
from backend.export.evidence import critical_paths
from backend.export.files import Written, write_folder
from backend.export.graph import export_graph
from backend.export.parties import Party, party_of
from backend.export.report_html import render_report
from graph_model.entities import Node
from graph_model.errors import CrimegraphError, NotFound
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.base import node_attributes
from queries.disruption.explain import explain_targets
from queries.disruption.graph import disruption_graph
from queries.results import Plan, Target, node_dict
from queries.scope import Scope


@dataclass(slots=True)
class PackagedTarget:
    """One target as a party receives it: the plan's pick, the node as the requester sees it, the paths."""

    target: Target
    node: Node
    paths: list[dict[str, Any]]
    score: float = 0.0
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        node = node_dict(self.node)
        return {
            "key": self.node.key,
            "name": self.node.name,
            "kind": self.node.kind,
            "type": self.node.type,
            "score": self.score,
            "cost": self.target.cost,
            "why": self.why,
            "evidence": {
                "provenance": node["provenance"],
                "aliases": node["aliases"],
                "properties": node["properties"],
                "critical_paths": self.paths,
            },
        }


@dataclass(slots=True)
class PartyPackage:
    party: Party
    targets: list[PackagedTarget] = field(default_factory=list)


@dataclass(slots=True)
class Package:
    objective: str
    clearance: TLP
    parties: list[PartyPackage]
    graph: nx.MultiDiGraph

    def party_json(self, item: PartyPackage) -> dict[str, Any]:
        return {
            "party": item.party.as_dict(),
            "objective": self.objective,
            "clearance": self.clearance.label,
            "tlp": self.tlp(item).label,
            "targets": [t.as_dict() for t in item.targets],
        }

    def tlp(self, item: PartyPackage) -> TLP:
        """The most restrictive marking of anything the party's package holds."""
        levels = [t.node.prov.tlp for t in item.targets]
        for target in item.targets:
            for path in target.paths:
                levels += [TLP.parse(e["tlp"]) for e in path["edges"]]
                levels += [TLP.parse(self.graph.nodes[n["key"]]["tlp"]) for n in path["nodes"]]
        return max(levels, default=TLP.CLEAR)


def explanations(
    store: GraphStore, clearance: TLP, scope: Scope, plan: Plan, keys: list[str]
) -> dict[str, Target]:
    """The plan's picks explained again on the graph the requester may see.

    A plan made at a higher clearance explains its picks with counts and names of that graph; the
    package says what the same picks, in the same order, do to the visible graph instead.
    """
    graph = disruption_graph(store, clearance, scope)
    order = [k for k in keys if k in graph]
    try:
        found = explain_targets(graph, order, objective=plan.objective)
    except (CrimegraphError, ValueError, KeyError):  # an objective that needs the plan's group
        found = explain_targets(graph, order)
    return {t.key: t for t in found}


def takedown_package(store: GraphStore, clearance: TLP, plan: Plan) -> Package:
    """Group the plan's visible targets by the party that can act on each (each target exactly once)."""
    scope = Scope.from_dict(plan.scope) if plan.scope else Scope()
    graph = export_graph(store, clearance, scope)
    visible: list[tuple[Target, Node]] = []
    seen: set[str] = set()
    for target in plan.targets:
        try:
            node = store.get(target.key, clearance=clearance)
        except NotFound:
            continue  # above the requester's clearance (or gone): not named, not counted
        if node.key not in seen:
            seen.add(node.key)
            visible.append((target, node))
    explained = explanations(store, clearance, scope, plan, [node.key for _, node in visible])
    parties: dict[tuple[str, str], PartyPackage] = {}
    for target, node in visible:
        party = party_of(store, clearance, node)
        entry = parties.setdefault(party.id, PartyPackage(party))
        again = explained.get(node.key)
        entry.targets.append(
            PackagedTarget(
                target,
                node,
                critical_paths(graph, node.key),
                score=again.score if again else 0.0,
                why=again.why if again else "outside the plan's scope as this clearance sees it",
            )
        )
    ordered = sorted(parties.values(), key=lambda p: (p.party.kind, p.party.name, p.party.key or ""))
    return Package(plan.objective, clearance, ordered, graph)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "party"


def party_graph(package: Package, item: PartyPackage) -> nx.MultiDiGraph:
    """The targets, the nodes and edges of their critical paths, and the party's own node where visible."""
    keys = {t.node.key for t in item.targets}
    keys |= {n["key"] for t in item.targets for p in t.paths for n in p["nodes"]}
    if item.party.key and item.party.key in package.graph:
        keys.add(item.party.key)
    sub = nx.MultiDiGraph(package.graph.subgraph(k for k in keys if k in package.graph))
    for target in item.targets:
        if target.node.key not in sub:
            sub.add_node(target.node.key, **node_attributes(target.node))
    return sub


def package_files(package: Package) -> dict[str, bytes]:
    """The package as files by relative path: ``index.json`` and, per party folder, ``package.json``,
    ``report.html`` and ``bundle.stix.json``."""
    files: dict[str, bytes] = {}
    index: list[dict[str, Any]] = []
    folders: set[str] = set()
    for item in package.parties:
        folder = _slug(f"{item.party.kind}-{item.party.name}")
        while folder in folders:
            folder += "-x"
        folders.add(folder)
        data = package.party_json(item)
        grouping = stix.Grouping(
            f"Takedown request: {item.party.name}",
            f"Targets of a takedown plan ({package.objective}) that {item.party.name} can act on.",
            tuple(t.node.key for t in item.targets),
        )
        files[f"{folder}/package.json"] = (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()
        files[f"{folder}/report.html"] = render_report(data).encode("utf-8")
        files[f"{folder}/bundle.stix.json"] = stix.dumps(party_graph(package, item), grouping=grouping)
        index.append(
            {
                "party": item.party.as_dict(),
                "folder": folder,
                "tlp": data["tlp"],
                "targets": [t.node.key for t in item.targets],
            }
        )
    summary = {"objective": package.objective, "clearance": package.clearance.label, "parties": index}
    files["index.json"] = (json.dumps(summary, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    return files


def write_package(package: Package, out_dir: Path, *, force: bool = False) -> Written:
    """Write :func:`package_files` as the folder ``out_dir`` (see :func:`.files.write_folder`)."""
    about = {"package": package.objective, "clearance": package.clearance.label}
    return write_folder(out_dir, package_files(package), force=force, about=about)
