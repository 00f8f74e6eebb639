"""MISP export read by PyMISP: wallets as MISP wallet objects, every link an object reference, tlp tags;
and back through ``load misp-event``."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pymisp import MISPEvent

from backend.export import misp
from backend.export.graph import export_graph
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, misp_event, reader
from loaders.generate import generate
from queries.scope import Scope

WALLET_OBJECTS = frozenset({"btc-wallet", "coin-address"})


def _demo(model: Model, tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "demo.db", model)
    for table in generate(tmp_path / "demo", 60, 3).tables:
        ingest(store, reader("csv")(table, LoadContext(model, "demo")))
    return store


def test_pymisp_reads_every_wallet_and_relationship(model: Model, tmp_path: Path) -> None:
    store = _demo(model, tmp_path)
    graph = export_graph(store, TLP.RED, Scope())
    path = tmp_path / "demo.misp.json"
    path.write_bytes(misp.dumps(graph, TLP.RED))
    event = MISPEvent()
    event.load_file(str(path))
    wallets = [o for o in event.objects if o.name in WALLET_OBJECTS]
    assert len(wallets) == sum(1 for _, a in graph.nodes(data=True) if a["kind"] == "Wallet") > 100
    assert len(event.objects) == graph.number_of_nodes()
    references = [r for o in event.objects for r in o.references]
    assert len(references) == graph.number_of_edges() > 1000
    transferred = [r for r in references if r.relationship_type == "transferred"]
    assert transferred and all("amount" in json.loads(r.comment) for r in transferred)
    assert {t.name for t in event.tags} == {"tlp:clear"}  # the demo is all CLEAR
    again = tmp_path / "again.misp.json"
    again.write_bytes(misp.dumps(export_graph(store, TLP.RED, Scope()), TLP.RED))
    assert again.read_bytes() == path.read_bytes()  # the same graph, the same event
    store.close()


def test_the_misp_export_loads_back_as_a_misp_event(model: Model, tmp_path: Path) -> None:
    store = _demo(model, tmp_path)
    graph = export_graph(store, TLP.RED, Scope())
    path = tmp_path / "demo.misp.json"
    path.write_bytes(misp.dumps(graph, TLP.RED))
    back = EmbeddedStore(tmp_path / "back.db", model)
    sink = io.StringIO()
    summary = ingest(back, misp_event.read(path, LoadContext(model, "partner")), rejects=sink)
    assert summary.rejected == 0
    loaded = back.subgraph(clearance=TLP.RED)
    wallets = {k for k, a in graph.nodes(data=True) if a["kind"] == "Wallet"}
    assert wallets <= set(loaded.nodes)
    transfers = sum(1 for _, _, d in graph.edges(data=True) if d["type"] == "TRANSFERRED")
    # Wallet to wallet references come back as links between the same wallets.
    between = [(u, v) for u, v, d in loaded.edges(data=True) if u in wallets and v in wallets]
    assert len(between) == len({(u, v) for u, v, d in graph.edges(data=True) if d["type"] == "TRANSFERRED"})
    assert transfers >= len(between) > 0
    back.close()
    store.close()
