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


def test_misp_stix_keeps_every_relationship_it_can_keep(model: Model, tmp_path: Path) -> None:
    """MISP's STIX import (misp-stix) keeps a relationship as an object reference when its source becomes a
    MISP object (docs/sharing.md, MISP): crimegraph's STIX export keeps every such one. (The others - from
    galaxy clusters, from single-value observables, from or to crimegraph's own types - misp-stix drops
    whatever their shape.)"""
    import stix2
    from misp_stix_converter import ExternalSTIX2toMISPParser

    from backend.export import stix

    store = EmbeddedStore(tmp_path / "routed.db", model)
    for table in generate(tmp_path / "routed", 60, 3, routing=True).tables:
        ingest(store, reader("csv")(table, LoadContext(model, "demo")))
    data = stix.bundle(export_graph(store, TLP.RED, Scope()))
    parser = ExternalSTIX2toMISPParser()
    parser.load_stix_bundle(stix2.parse(data, allow_custom=True))
    parser.parse_stix_bundle(single_event=True)
    event = parser.misp_event
    objects = {o.uuid: o for o in event.objects}
    kept = {(o.uuid, r.referenced_uuid, r.relationship_type) for o in event.objects for r in o.references}
    expected = [
        (r["source_ref"].partition("--")[2], r["target_ref"].partition("--")[2], r["relationship_type"])
        for r in data["objects"]
        if r["type"] == "relationship" and r["source_ref"].partition("--")[2] in objects
    ]
    assert expected and set(expected) <= kept
    assert len(kept) >= len(set(expected))
    store.close()


def test_misp_stix_import_keeps_every_object_wallet_and_link(model: Model, tmp_path: Path) -> None:
    """``export misp-stix`` is MISP's own STIX dialect, made by misp-stix from the MISP export: misp-stix's
    STIX import recognises it as MISP-made, reads it with its parser for MISP's bundles and gives back every
    node as its MISP object (every wallet with its address), every link as an object reference, and every
    transfer as a ``cryptocurrency-transaction`` object (with its amount and transaction id) that its
    source wallet ``sends`` and that ``sends-to`` its target wallet - parallel transfers between two
    wallets stay apart. Everything is created by crimegraph's identity; the OASIS validator finds no error."""
    from misp_stix_converter import stix_2_to_misp

    from backend.export.files import export, single_file
    from loaders.stix_crimegraph import CREATOR
    from tests.backend.export.stix_check import stix_errors

    store = _demo(model, tmp_path)
    graph = export_graph(store, TLP.RED, Scope())
    path = tmp_path / "demo.misp.stix.json"
    path.write_bytes(single_file(export(store, TLP.RED, Scope(), "misp-stix")))
    bundle = json.loads(path.read_bytes())
    assert {o["id"] for o in bundle["objects"] if o["type"] == "identity" and o["name"] == "crimegraph"} == {
        CREATOR
    }
    assert {o.get("created_by_ref") for o in bundle["objects"]} == {CREATOR, None}  # (SCOs have none)
    ids = [o["id"] for o in bundle["objects"]]
    assert len(ids) == len(set(ids))  # each object once, and each relationship between objects it holds
    relationships = [o for o in bundle["objects"] if o["type"] == "relationship"]
    assert all({o["source_ref"], o["target_ref"]} <= set(ids) for o in relationships)
    errors, checked = stix_errors(bundle, sample=50)  # every shape of object, and every 50th
    assert not errors and checked > 100, errors[:5]
    (grouping,) = [o for o in bundle["objects"] if o["type"] == "grouping"]
    assert grouping["created_by_ref"] == CREATOR and grouping["name"].startswith("crimegraph export: ")
    result = stix_2_to_misp(path, output_dir=tmp_path / "misp", single_event=True)
    assert result.get("success") == 1 and not result.get("errors"), result
    event = MISPEvent()
    event.load_file(str(result["results"][0]))
    objects = {o.uuid: o for o in event.objects}
    transfers = [
        (u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True) if d["type"] == "TRANSFERRED"
    ]
    pairs = {(u, v) for u, v, *_ in transfers}
    assert len(transfers) > len(pairs) > 100  # the demo has parallel transfers between the same wallets
    assert len(objects) == len(event.objects) == graph.number_of_nodes() + len(transfers)
    wallets = {k for k, a in graph.nodes(data=True) if a["kind"] == "Wallet"}
    for key in wallets:
        found = objects[misp._uuid(key)]
        assert found.name in WALLET_OBJECTS
        assert {a.value for a in found.attributes} >= {key.partition(":")[2]}
    references = {
        (o.uuid, r.referenced_uuid, r.relationship_type) for o in event.objects for r in o.references
    }
    assert sum(len(o.references) for o in event.objects) == len(references)
    assert len(references) == graph.number_of_edges() + len(transfers)
    for source, target, key, data in graph.edges(keys=True, data=True):
        ends = misp._uuid(source), misp._uuid(target)
        if data["type"] == "TRANSFERRED":
            made = objects[misp._uuid(f"edge\n{key}")]
            assert made.name == "cryptocurrency-transaction"
            assert (ends[0], made.uuid, "sends") in references and (
                made.uuid,
                ends[1],
                "sends-to",
            ) in references
            values = {a.object_relation: a.value for a in made.attributes}
            assert values["transaction-number"] == data["tx_id"]
            assert float(values["value"]) == data["amount"]
        else:
            assert (*ends, data["type"].lower().replace("_", "-")) in references
    store.close()
