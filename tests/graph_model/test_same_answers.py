"""Both stores give the same answers on real data (ATT&CK and MISP excerpts, loaded the same way)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from graph_model.store.neo4j_store import Neo4jStore
from loaders import LoadContext, ingest, reader
from tests.undated import undated_all


def _load(store: GraphStore, model: Model, fixtures: Path) -> None:
    ingest(store, reader("stix")(fixtures / "stix" / "attack-excerpt.json", LoadContext(model, "attack")))
    amber = LoadContext(model, "misp", TLP.AMBER)
    ingest(store, reader("misp-galaxy")(fixtures / "misp" / "threat-actor-excerpt.json", amber))
    red = LoadContext(model, "apt1", TLP.RED)
    ingest(store, reader("stix")(fixtures / "stix" / "apt1-indicators.json", red))


@pytest.mark.neo4j
def test_embedded_and_neo4j_agree(
    embedded_store: EmbeddedStore, neo4j_store: Neo4jStore, model: Model, fixtures: Path
) -> None:
    _load(embedded_store, model, fixtures)
    _load(neo4j_store, model, fixtures)
    for level in TLP:
        assert embedded_store.stats(clearance=level) == neo4j_store.stats(clearance=level), level
    assert embedded_store.stats(clearance=TLP.RED).as_dict()["total_nodes"] > 30
    for text in ("apt", "fancy bear", "cobalt", "comment crew", "223.166"):
        for level in (TLP.CLEAR, TLP.RED):
            a = {n.key for n in embedded_store.search(text, clearance=level, limit=500)}
            b = {n.key for n in neo4j_store.search(text, clearance=level, limit=500)}
            assert a == b, (text, level)
    seeds = sorted(embedded_store.subgraph(clearance=TLP.RED).nodes)[::7]
    for seed in seeds:
        for level in (TLP.GREEN, TLP.RED):
            a = embedded_store.neighbourhood([seed], clearance=level, depth=2, limit=40)
            b = neo4j_store.neighbourhood([seed], clearance=level, depth=2, limit=40)
            assert a.nodes.keys() == b.nodes.keys(), (seed, level)
            assert a.edges.keys() == b.edges.keys(), (seed, level)
            assert undated_all(a.nodes) == undated_all(b.nodes)
            assert a.truncated == b.truncated
    ga = embedded_store.subgraph(clearance=TLP.AMBER, edge_set="capability")
    gb = neo4j_store.subgraph(clearance=TLP.AMBER, edge_set="capability")
    assert set(ga.edges(keys=True)) == set(gb.edges(keys=True))
    # Everything but when each store first loaded the node.
    assert {k: {**a, "date_added": None} for k, a in ga.nodes(data=True)} == {
        k: {**a, "date_added": None} for k, a in gb.nodes(data=True)
    }
