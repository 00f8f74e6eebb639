"""GEXF and GraphML exports read back with networkx's readers, every attribute with its schema type."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from backend.export import gexf, graphml
from backend.export.graph import export_graph
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from queries.scope import Scope
from tests.backend.export.graphs import seed

# What the readers must give back for the seeded graph: one value of each schema type.
NODE_VALUES = {
    "asn:44477": {"bulletproof": True, "confidence": 70, "as_name": "STARK-INDUSTRIES", "label": "AS44477"},
    "ip:45.134.26.10": {"port": "443;8080", "country": "NL", "tlp": "GREEN"},
    "btc:bc1qexch5x9w8xk2m4z7q0r5t6y3u1p8n7c6v5b4a": {"service_type": "exchange", "kind": "Wallet"},
}


def _typed(value: object, declared: str) -> bool:
    wanted = {"boolean": bool, "long": int, "int": int, "integer": int, "double": float, "float": float}
    expected = wanted.get(declared, str)
    return type(value) is expected


def _check(read: nx.Graph, declared_nodes: dict[str, str], declared_edges: dict[str, str]) -> None:
    for key, values in NODE_VALUES.items():
        for name, value in values.items():
            assert read.nodes[key][name] == value, (key, name)
    for _, data in read.nodes(data=True):
        for name, value in data.items():
            if name != "viz":
                assert _typed(value, declared_nodes[name]), (name, value, declared_nodes[name])
    amounts = sorted(d["amount"] for _, _, d in read.edges(data=True) if "amount" in d)
    assert amounts == [1.5, 2.0]
    for _, _, data in read.edges(data=True):
        for name, value in data.items():
            if name in declared_edges:
                assert _typed(value, declared_edges[name]), (name, value)


def test_gexf_reads_back_typed(embedded_store: GraphStore, model: Model) -> None:
    seed(embedded_store)
    graph = export_graph(embedded_store, TLP.RED, Scope())
    data = gexf.dumps(graph, model)
    read = nx.read_gexf(io.BytesIO(data))
    assert read.number_of_nodes() == graph.number_of_nodes() == 11
    assert read.number_of_edges() == graph.number_of_edges() == 13
    ns = {"g": "http://www.gexf.net/1.2draft"}
    root = ET.fromstring(data)
    declared: dict[str, dict[str, str]] = {}
    for block in root.iterfind(".//g:attributes", ns):
        declared[block.get("class", "")] = {a.get("title", ""): a.get("type", "") for a in block}
    assert declared["node"]["confidence"] == "long" and declared["node"]["bulletproof"] == "boolean"
    assert declared["edge"]["amount"] == "double"
    _check(read, {**declared["node"], "label": "string"}, declared["edge"])
    # The schema's colour of each kind, for Gephi.
    assert read.nodes["asn:44477"]["viz"]["color"] == {"r": 78, "g": 121, "b": 167, "a": 1.0}
    assert {d["id"] for _, _, d in read.edges(data=True)} == {k for _, _, k in graph.edges(keys=True)}


def test_graphml_reads_back_typed(embedded_store: GraphStore, model: Model) -> None:
    seed(embedded_store)
    graph = export_graph(embedded_store, TLP.RED, Scope())
    data = graphml.dumps(graph, model)
    read = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    assert read.number_of_nodes() == 11 and read.number_of_edges() == 13
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    keys = ET.fromstring(data).findall("g:key", ns)
    declared = {(k.get("for"), k.get("attr.name")): k.get("attr.type") for k in keys}
    assert all(declared.values())
    assert declared["node", "bulletproof"] == "boolean" and declared["edge", "amount"] == "double"
    nodes = {name: t for (where, name), t in declared.items() if where == "node" and name and t}
    edges = {name: t for (where, name), t in declared.items() if where == "edge" and name and t}
    _check(read, nodes, edges)
    assert {k for _, _, k in read.edges(keys=True)} == {k for _, _, k in graph.edges(keys=True)}


@pytest.mark.parametrize("writer", [gexf.dumps, graphml.dumps])
def test_graph_files_hold_nothing_above_clearance(
    embedded_store: GraphStore, model: Model, writer: object
) -> None:
    seed(embedded_store)
    data = writer(export_graph(embedded_store, TLP.GREEN, Scope()), model)  # type: ignore[operator]
    assert b"bassterlord" not in data and b"bc1qsecret" not in data and b"MEMBER_OF" not in data
    assert b"LockBit" in data
