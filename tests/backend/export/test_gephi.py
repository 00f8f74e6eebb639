"""GEXF exports imported by gephi-toolkit 0.10.1, the library Gephi itself runs on.

A small Java program (``.ci/gephi``, built with Maven on first use and cached under ``~/.cache/crimegraph``)
imports the file with Gephi's own importer and processor, under "Don't merge" (NO_MERGE) and under
Gephi's default edge merge strategy (Sum), and reports what Gephi then holds.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from backend.export.files import export
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from queries.scope import Scope
from tests.backend.test_cli import crimegraph

SCRIPT = Path(__file__).resolve().parents[3] / ".ci" / "gephi" / "gephi_import.py"


@pytest.fixture(scope="session")
def gephi() -> ModuleType:
    """The Gephi import script, its Java program built (Maven, cached)."""
    spec = importlib.util.spec_from_file_location("crimegraph_gephi_import", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.ensure_built()
    return module


@pytest.fixture(scope="module")
def demo(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, EmbeddedStore]]:
    """The demo graph (``crimegraph demo``: a generated ecosystem of 300 actors, seed 7)."""
    folder = tmp_path_factory.mktemp("gephi-demo")
    store = EmbeddedStore(folder / "demo.db", model)
    read = reader("csv")
    for table in generate(Path(tempfile.mkdtemp(dir=folder)), 300, 7).tables:
        ingest(store, read(table, LoadContext(model, "demo")))
    yield f"embedded:{folder / 'demo.db'}", store
    store.close()


def _store_figures(store: GraphStore) -> dict[str, Any]:
    graph = store.subgraph(clearance=TLP.RED)
    edges = list(graph.edges(keys=True, data=True))
    return {
        "nodes": graph.number_of_nodes(),
        "edges": len(edges),
        "keys": {k for _, _, k, _ in edges},
        "by_type": dict(Counter(d["type"] for _, _, _, d in edges)),
        "triples": len({(u, v, d["type"]) for u, v, _, d in edges}),
        "dated_nodes": sum(1 for _, d in graph.nodes(data=True) if d["first_seen"] or d["last_seen"]),
        "dated_edges": sum(1 for *_, d in edges if d["first_seen"] or d["last_seen"]),
        "transfers": sum(1 for *_, d in edges if d["type"] == "TRANSFERRED"),
        "transfer_pairs": len({(u, v) for u, v, _, d in edges if d["type"] == "TRANSFERRED"}),
    }


def _check_both_imports(
    gephi: ModuleType, path: Path, store: GraphStore, samples: tuple[str, ...] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Import ``path`` under "Don't merge" and under the default; the store's figures and the samples."""
    want = _store_figures(store)
    kept = gephi.gephi_import(path, "NO_MERGE", samples)
    assert kept["issues"] == []
    # "Don't merge": every stored node and edge, with its key as id and its type as Gephi's edge kind.
    assert (kept["nodes"], kept["edges"]) == (want["nodes"], want["edges"])
    assert set(kept["edge_ids"]) == want["keys"]
    assert kept["edge_kinds"] == want["by_type"]
    # Dates: Gephi sees a timeline (every dated node and edge has its interval).
    assert kept["dynamic"] is True and kept["time_format"] == "DATETIME"
    assert (kept["nodes_with_time"], kept["edges_with_time"]) == (want["dated_nodes"], want["dated_edges"])
    # Types: typed columns, nothing left over from the writer.
    nodes, edges = kept["node_columns"], kept["edge_columns"]
    assert nodes["kind"] == nodes["tlp"] == nodes["type"] == "String" and nodes["confidence"] == "Long"
    assert edges["edge_type"] == "String" and edges["confidence"] == "Long"
    assert not {"networkx_key", "key"} & (set(nodes) | set(edges))
    # Gephi's default ("Sum") merges only parallel edges of the same type.
    merged = gephi.gephi_import(path, "SUM")
    assert merged["issues"] == [] and merged["nodes"] == want["nodes"]
    assert merged["edges"] == want["triples"]
    assert set(merged["edge_kinds"]) == set(want["by_type"])
    return want, kept["samples"]


def test_gephi_imports_the_demo(
    gephi: ModuleType, demo: tuple[str, EmbeddedStore], model: Model, tmp_path: Path
) -> None:
    location, store = demo
    path = tmp_path / "demo.gexf"
    path.write_bytes(export(store, TLP.RED, Scope(), "gexf").files["export.gexf"])
    wallet = next(
        k for _, _, k in store.subgraph(clearance=TLP.RED).edges(keys=True) if k.startswith("TRANS")
    )
    wallet = wallet.split("|")[1]
    want, samples = _check_both_imports(gephi, path, store, (wallet,))
    assert (want["nodes"], want["edges"]) == (2860, 15150) and want["triples"] < want["edges"]
    sample = samples[wallet]
    assert sample["kind"] == "Wallet" and sample["tlp"] == "CLEAR" and isinstance(sample["confidence"], int)


def test_gephi_default_import_of_aggregated_transfers(
    gephi: ModuleType, demo: tuple[str, EmbeddedStore], tmp_path: Path
) -> None:
    location, store = demo
    path = tmp_path / "nested" / "demo-aggregated.gexf"
    result = crimegraph(
        "--store", location, "export", "gexf", "-o", str(path), "--clearance", "RED", "--aggregate-transfers"
    )
    assert result.returncode == 0, result.stderr
    want = _store_figures(store)
    aggregated = want["edges"] - want["transfers"] + want["transfer_pairs"]
    assert aggregated < want["edges"]
    for strategy in ("NO_MERGE", "SUM"):
        found = gephi.gephi_import(path, strategy)
        assert found["issues"] == [] and (found["nodes"], found["edges"]) == (want["nodes"], aggregated)
        assert found["edge_columns"]["count"] == "Long" and found["edge_columns"]["amount"] == "Double"
        assert found["edge_kinds"]["TRANSFERRED"] == want["transfer_pairs"]


@pytest.mark.realdata
def test_gephi_imports_attack(gephi: ModuleType, shared_data: Path, model: Model, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "attack.db", model)
    ingest(
        store,
        reader("stix")(shared_data / "attack-enterprise-groups.stix.json", LoadContext(model, "attack")),
    )
    path = tmp_path / "attack.gexf"
    path.write_bytes(export(store, TLP.RED, Scope(), "gexf").files["export.gexf"])
    want, _ = _check_both_imports(gephi, path, store)
    assert want["nodes"] > 1000 and want["edges"] > 1000 and len(want["by_type"]) > 3
    store.close()
