"""GEXF and GraphML exports read back with networkx's readers, every attribute with its schema type."""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import igraph
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


GEXF = {"g": "http://gexf.net/1.3", "viz": "http://gexf.net/1.3/viz"}
_CAST = {"boolean": lambda v: v == "true", "long": int, "integer": int, "double": float, "float": float}


def read_gexf13(data: bytes) -> tuple[nx.MultiDiGraph, dict[str, dict[str, str]], ET.Element]:
    """A GEXF 1.3 file as a graph with every attribute cast to its declared type (networkx reads only
    1.1 and 1.2), the declared types per class, and the parsed document."""
    root = ET.fromstring(data)
    assert root.get("version") == "1.3"
    declared: dict[str, dict[str, str]] = {}
    for block in root.iterfind(".//g:attributes", GEXF):
        declared[block.get("class", "")] = {a.get("id", ""): a.get("type", "") for a in block}
    graph = nx.MultiDiGraph()

    def values(element: ET.Element, kind: str) -> dict[str, object]:
        found: dict[str, object] = {}
        for att in element.iterfind("g:attvalues/g:attvalue", GEXF):
            name, text = att.get("for", ""), att.get("value", "")
            found[name] = _CAST.get(declared[kind][name], str)(text)
        return found

    for node in root.iterfind(".//g:nodes/g:node", GEXF):
        data_ = values(node, "node")
        colour = node.find("viz:color", GEXF)
        if colour is not None:
            data_["viz"] = {"color": {c: (float if c == "a" else int)(colour.get(c, "")) for c in "rgba"}}
        graph.add_node(node.get("id"), label=node.get("label"), **data_)
    for edge in root.iterfind(".//g:edges/g:edge", GEXF):
        graph.add_edge(
            edge.get("source"),
            edge.get("target"),
            key=edge.get("id"),
            kind_=edge.get("kind"),
            label=edge.get("label"),
            **values(edge, "edge"),
        )
    return graph, declared, root


def test_gexf_reads_back_typed(embedded_store: GraphStore, model: Model) -> None:
    seed(embedded_store)
    graph = export_graph(embedded_store, TLP.RED, Scope())
    data = gexf.dumps(graph, model)
    read, declared, root = read_gexf13(data)
    assert read.number_of_nodes() == graph.number_of_nodes() == 11
    assert read.number_of_edges() == graph.number_of_edges() == 13
    assert declared["node"]["confidence"] == "long" and declared["node"]["bulletproof"] == "boolean"
    assert declared["edge"]["amount"] == "double"
    assert "networkx_key" not in data.decode() and "networkx_key" not in declared["edge"]
    _check(read, {**declared["node"], "label": "string"}, declared["edge"])
    # The schema's colour of each kind, for Gephi.
    assert read.nodes["asn:44477"]["viz"]["color"] == {"r": 78, "g": 121, "b": 167, "a": 1.0}
    # One edge per stored edge: its key as id, its type as kind, label and attribute.
    assert {k for _, _, k in read.edges(keys=True)} == {k for _, _, k in graph.edges(keys=True)}
    for _, _, key, d in read.edges(keys=True, data=True):
        assert d["kind_"] == d["label"] == d["edge_type"] == key.split("|")[0]
    # First/last seen as the element's spell, for Gephi's timeline.
    body = root.find("g:graph", GEXF)
    assert body is not None and body.get("mode") == "dynamic" and body.get("timeformat") == "datetime"
    spells = root.findall(".//g:node/g:spells/g:spell", GEXF)
    assert len(spells) == 11 and spells[0].get("start", "") <= spells[0].get("end", "")
    assert {s.get("start") for s in spells} == {"2024-01-02T00:00:00Z"}


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


def test_graphml_reads_back_in_igraph(embedded_store: GraphStore, model: Model, tmp_path: Path) -> None:
    seed(embedded_store)
    graph = export_graph(embedded_store, TLP.RED, Scope())
    path = tmp_path / "x.graphml"
    path.write_bytes(graphml.dumps(graph, model))
    read = igraph.Graph.Read_GraphML(str(path))
    assert read.is_directed() and (read.vcount(), read.ecount()) == (11, 13)
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    declared = {
        (k.get("for"), k.get("attr.name")): k.get("attr.type")
        for k in ET.parse(path).getroot().findall("g:key", ns)
    }
    # igraph keeps every declared type: booleans as bool, integers and doubles as numbers, text as str.
    python = {"boolean": bool, "long": float, "double": float, "string": str}
    for where, seq in (("node", read.vs), ("edge", read.es)):
        for name in seq.attributes():
            if (where, name) in declared:
                assert {type(v) for v in seq[name]} == {python[declared[where, name]]}, (where, name)
    asn = read.vs.find(id="asn:44477")
    assert asn["bulletproof"] is True and asn["confidence"] == 70 and asn["as_name"] == "STARK-INDUSTRIES"
    assert asn["first_seen"] == "2024-01-02T00:00:00Z"  # dates as ISO 8601 text
    assert read.vs.find(id="ip:45.134.26.10")["port"] == "443;8080"  # lists joined with ';'
    # A value a node does not have is absent from the file (igraph shows it as its own "missing").
    assert asn["country"] == "" and asn["escrow"] is False
    assert sorted(read.es["key"]) == sorted(k for _, _, k in graph.edges(keys=True))
    amounts = [a for a in read.es["amount"] if not math.isnan(a)]
    assert sorted(amounts) == [1.5, 2.0]
    # In the file: a node's data are exactly the attributes it has (plus its label), none defaulted.
    root = ET.parse(path).getroot()
    names = {k.get("id"): k.get("attr.name") for k in root.findall("g:key", ns)}
    element = next(n for n in root.iterfind(".//g:node", ns) if n.get("id") == "asn:44477")
    written = {names[d.get("key")] for d in element.findall("g:data", ns)}
    present = (n for n, v in graph.nodes["asn:44477"].items() if n != "name" and v is not None)
    assert written == {"label", *present}
    assert root.find(".//g:default", ns) is None
