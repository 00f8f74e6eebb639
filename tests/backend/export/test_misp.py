"""MISP export read by PyMISP: wallets as MISP wallet objects, every link an object reference, every transfer
a ``cryptocurrency-transaction`` object, tlp tags; back through ``load misp-event``; and MISP's STIX
(``export misp-stix``) through misp-stix's import and ``load misp-event``.

One source store (the demo plus CLEAR and AMBER transfers), one MISP export and one misp-stix conversion
serve every test of this module (module-scoped fixtures): CI makes each once."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from pymisp import MISPEvent

from backend.export import misp
from backend.export.graph import export_graph
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, misp_event, reader
from loaders.generate import generate
from loaders.ingest import IngestSummary
from queries.scope import Scope

WALLET_OBJECTS = frozenset({"btc-wallet", "coin-address"})
PROPERTIES = ("amount", "asset", "amount_usd", "time", "tx_id", "output_index")
HIDDEN = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # a wallet named by AMBER transfers only


@dataclass(frozen=True)
class Source:
    store: EmbeddedStore
    graph: nx.MultiDiGraph  # what the exports show: the store at GREEN
    work: Path


@pytest.fixture(scope="module")
def source(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo, plus a CLEAR transaction paying two outputs to one wallet (parallel transfers told by
    their output_index) and two AMBER transfers, one of them to a wallet nothing else names. Read-only."""
    work = tmp_path_factory.mktemp("misp")
    store = EmbeddedStore(work / "source.db", model)
    for table in generate(work / "demo", 60, 3).tables:
        ingest(store, reader("csv")(table, LoadContext(model, "demo")))
    with (work / "demo" / "transactions.csv").open() as file:
        first, second = list(csv.DictReader(file))[:2]
    (work / "clear.csv").write_text(
        "tx_id,output_index,from,to,amount,asset,amount_usd,time\n"
        f"{'ab' * 32},0,{first['from']},{second['to']},0.5,BTC,15000,2021-05-01T10:00:00Z\n"
        f"{'ab' * 32},1,{first['from']},{second['to']},0.25,BTC,7500,2021-05-01T10:00:00Z\n"
    )
    (work / "amber.csv").write_text(
        "tx_id,from,to,amount,asset,time\n"
        f"{'cd' * 32},{first['from']},{HIDDEN},1.5,BTC,2021-06-01T10:00:00Z\n"
        f"{'ef' * 32},{second['from']},{first['to']},2.5,BTC,2021-06-02T10:00:00Z\n"
    )
    ingest(store, reader("csv")(work / "clear.csv", LoadContext(model, "clear-partner")))
    ingest(store, reader("csv")(work / "amber.csv", LoadContext(model, "amber-partner", tlp=TLP.AMBER)))
    yield Source(store, export_graph(store, TLP.GREEN, Scope()), work)
    store.close()


@pytest.fixture(scope="module")
def misp_file(source: Source) -> Path:
    """``export misp`` of the source at GREEN."""
    path = source.work / "demo.misp.json"
    path.write_bytes(misp.dumps(source.graph, TLP.GREEN))
    return path


@pytest.fixture(scope="module")
def misp_stix(source: Source) -> tuple[Path, Path]:
    """``export misp-stix`` of the source at GREEN, and the MISP event misp-stix's STIX import makes of it."""
    from misp_stix_converter import stix_2_to_misp

    from backend.export.files import export, single_file

    path = source.work / "demo.misp.stix.json"
    path.write_bytes(single_file(export(source.store, TLP.GREEN, Scope(), "misp-stix")))
    result = stix_2_to_misp(path, output_dir=source.work / "misp", single_event=True)
    assert result.get("success") == 1 and not result.get("errors"), result
    return path, Path(result["results"][0])


def _transfers(graph: nx.MultiDiGraph) -> dict[str, dict[str, Any]]:
    """Each transfer by its key (its ends and discriminator): its properties and its marking."""
    return {
        key: {**{n: data.get(n) for n in PROPERTIES}, "tlp": data["tlp"]}
        for _, _, key, data in graph.edges(keys=True, data=True)
        if data["type"] == "TRANSFERRED"
    }


def _wallets(graph: nx.MultiDiGraph) -> set[str]:
    return {key for key, attrs in graph.nodes(data=True) if attrs["kind"] == "Wallet"}


def _load(store: EmbeddedStore, path: Path) -> tuple[IngestSummary, list[dict[str, Any]]]:
    rejects = io.StringIO()
    summary = ingest(store, misp_event.read(path, LoadContext(store.model, "partner")), rejects=rejects)
    return summary, [json.loads(line) for line in rejects.getvalue().splitlines()]


def _loads_back_whole(source: Source, event_path: Path, tmp_path: Path) -> None:
    """The MISP event loads into a fresh store as the same wallets and the same transfers - same keys,
    amounts, assets, USD values, times, tx ids and output indexes - as the source store shows at GREEN;
    the AMBER transfers and the wallet only they name stay out."""
    back = EmbeddedStore(tmp_path / "back.db", model=source.store.model)
    summary, rejects = _load(back, event_path)
    assert summary.rejected == 0 and not summary.warnings_by_reason
    assert not any("cryptocurrency-transaction" in reason for reason in summary.skipped_by_reason)
    assert summary.read_by_kind["cryptocurrency-transaction"] == summary.store.new_by_kind["TRANSFERRED"]
    assert not [r for r in rejects if "transaction" in r["reason"]]
    seen = source.store.subgraph(clearance=TLP.GREEN)
    loaded = back.subgraph(clearance=TLP.RED)
    assert _wallets(loaded) == _wallets(seen) == _wallets(source.graph)
    assert HIDDEN not in {key.partition(":")[2] for key in _wallets(loaded)}
    expected, got = _transfers(seen), _transfers(loaded)
    assert len(expected) > 2000
    assert len(_transfers(source.store.subgraph(clearance=TLP.AMBER))) == len(expected) + 2
    assert {k: {**v, "tlp": "CLEAR"} for k, v in expected.items()} == got  # the event is tagged tlp:clear
    parallel = [v for v in got.values() if v["tx_id"] == "ab" * 32]
    assert sorted((v["output_index"], v["amount"], v["amount_usd"]) for v in parallel) == [
        (0, 0.5, 15000.0), (1, 0.25, 7500.0)
    ]  # fmt: skip
    back.close()


def _every_object_wallet_and_link(event: MISPEvent, graph: nx.MultiDiGraph) -> None:
    """Every node a MISP object, every wallet a wallet object with its address; every link an object
    reference of its kind, every transfer a ``cryptocurrency-transaction`` object its source wallet ``sends``
    and that ``sends-to`` its target wallet, with its amount and transaction id as the object's attributes
    (parallel transfers between two wallets apart)."""
    objects = {o.uuid: o for o in event.objects}
    transfers = [
        (u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True) if d["type"] == "TRANSFERRED"
    ]
    assert len(transfers) > len({(u, v) for u, v, *_ in transfers}) > 100  # parallel transfers
    assert len(objects) == len(event.objects) == graph.number_of_nodes() + len(transfers)
    wallets = _wallets(graph)
    assert len([o for o in event.objects if o.name in WALLET_OBJECTS]) == len(wallets) > 100
    for key in wallets:
        found = objects[misp._uuid(key)]
        assert found.name in WALLET_OBJECTS
        assert {a.value for a in found.attributes} >= {key.partition(":")[2]}
    references = {
        (o.uuid, r.referenced_uuid, r.relationship_type) for o in event.objects for r in o.references
    }
    assert sum(len(o.references) for o in event.objects) == len(references)
    assert len(references) == graph.number_of_edges() + len(transfers) > 1000
    for source_key, target_key, key, data in graph.edges(keys=True, data=True):
        ends = misp._uuid(source_key), misp._uuid(target_key)
        if data["type"] == "TRANSFERRED":
            made = objects[misp._uuid(f"edge\n{key}")]
            assert made.name == "cryptocurrency-transaction"
            assert (ends[0], made.uuid, "sends") in references
            assert (made.uuid, ends[1], "sends-to") in references
            values = {a.object_relation: a.value for a in made.attributes}
            assert values["transaction-number"] == data["tx_id"]
            assert float(values["value"]) == data["amount"]
        else:
            assert (*ends, data["type"].lower().replace("_", "-")) in references


def test_pymisp_reads_every_wallet_and_relationship(source: Source, misp_file: Path) -> None:
    event = MISPEvent()
    event.load_file(str(misp_file))
    _every_object_wallet_and_link(event, source.graph)
    assert {t.name for t in event.tags} == {"tlp:clear"}  # all the source shows at GREEN is CLEAR
    again = misp.dumps(export_graph(source.store, TLP.GREEN, Scope()), TLP.GREEN)
    assert again == misp_file.read_bytes()  # the same graph, the same event


def test_the_misp_export_loads_back_as_a_misp_event(source: Source, misp_file: Path, tmp_path: Path) -> None:
    """``export misp`` then ``load misp-event``: the same wallets and transfers (parallel ones apart)."""
    _loads_back_whole(source, misp_file, tmp_path)


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


def test_misp_stix_import_keeps_every_object_wallet_and_link(
    source: Source, misp_stix: tuple[Path, Path]
) -> None:
    """``export misp-stix`` is MISP's own STIX dialect, made by misp-stix from the MISP export: misp-stix's
    STIX import recognises it as MISP-made, reads it with its parser for MISP's bundles and gives back every
    node as its MISP object (every wallet with its address), every link as an object reference, and every
    transfer as a ``cryptocurrency-transaction`` object (with its amount and transaction id) that its
    source wallet ``sends`` and that ``sends-to`` its target wallet - parallel transfers between two
    wallets stay apart. Everything is created by crimegraph's identity; the OASIS validator finds no error."""
    from loaders.stix_crimegraph import CREATOR
    from tests.backend.export.stix_check import stix_errors

    path, event_path = misp_stix
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
    event = MISPEvent()
    event.load_file(str(event_path))
    _every_object_wallet_and_link(event, source.graph)


def test_misp_stix_event_loads_back_its_wallets_and_transfers(
    source: Source, misp_stix: tuple[Path, Path], tmp_path: Path
) -> None:
    """The MISP event misp-stix makes of ``export misp-stix`` (as a MISP partner's import does), loaded with
    ``load misp-event``: the same wallets and transfers (parallel ones apart), nothing above GREEN."""
    _loads_back_whole(source, misp_stix[1], tmp_path)
