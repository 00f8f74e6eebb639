"""Per-source statements in every export: a file holds a property only from sources within the reader's
clearance, credited to the source that stated it (never an AMBER report's mixer label credited to the
public dataset), on both stores."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from backend.export import csv as csv_export
from backend.export import gexf, graphml, misp, stix
from backend.export.graph import export_graph
from backend.export.package import Requester, takedown_package, write_package
from graph_model.entities import Edge, Node, make_node
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from graph_model.store.neo4j_files import import_files
from queries.results import Plan
from queries.scope import Scope

WALLET = "1NDyJtNTjmwk5xPNhjgAMu4HDHigtobu1s"
VICTIM = "12t9YDPgwueZ9NyMgw519p7AA8isjr6SMw"
# Words only the AMBER report gave (31337: the dollar value it put on the transfer).
REPORT_WORDS = ("mixer", "kestrel", "Kestrel", "report#7", "Operation", "31337")


def _load(store: GraphStore) -> None:
    model = store.model

    def wallet(address: str, prov: Provenance, **kw: object) -> Node:
        return make_node(model, "Wallet", "btc", address, prov=prov, **kw)  # type: ignore[arg-type]

    public = Provenance.of("public", "1", tlp="CLEAR")
    report = Provenance.of("report", "7", tlp="AMBER")
    victim = wallet(VICTIM, Provenance.of("public", "2", tlp="CLEAR"), props={"families": ["Locky"]})
    exchange = wallet(WALLET, public, props={"service": "Binance", "service_type": "exchange"})
    named = wallet(
        WALLET,
        report,
        name="Operation Kestrel cash-out",
        props={"service_type": "mixer", "cluster": "kestrel-7", "families": ["Cerber"]},
    )
    paid = Edge(
        "TRANSFERRED",
        victim.key,
        exchange.key,
        Provenance.of("public", "tx1"),
        {"amount": 0.5, "tx_id": "tx1"},
        "tx1",
    )
    store.upsert([victim, exchange], [paid])
    store.upsert([named])
    # The same transfer as two more sources state it: a CLEAR chain explorer (its asset and time) and the
    # AMBER report (a dollar value).
    explorer = Edge(
        "TRANSFERRED",
        victim.key,
        exchange.key,
        Provenance.of("explorer", "tx1"),
        {"asset": "BTC", "time": "2016-03-01T10:00:00Z", "tx_id": "tx1"},
        "tx1",
    )
    valued = Edge(
        "TRANSFERRED", victim.key, exchange.key, report, {"amount_usd": 31337.0, "tx_id": "tx1"}, "tx1"
    )
    store.upsert([], [explorer])
    store.upsert([], [valued])


def _transfer_rows(files: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """The transactions table's row of the transfer, by the dataset whose folder holds it."""
    folders = {v: k for k, v in json.loads(files["csv:datasets.json"]).items()}
    rows: dict[str, dict[str, str]] = {}
    for dataset, folder in folders.items():
        for name, data in files.items():
            if name.startswith(f"csv:{folder}/") and name.endswith("transactions.csv"):
                for row in csv.DictReader(io.StringIO(data.decode())):
                    rows[dataset] = row
    return rows


def _files(store: GraphStore, clearance: TLP) -> dict[str, bytes]:
    graph = export_graph(store, clearance, Scope())
    model = store.model
    found = {
        "stix": stix.dumps(graph),
        "gexf": gexf.dumps(graph, model),
        "graphml": graphml.dumps(graph, model),
        "misp": misp.dumps(graph, clearance),
        # misp-stix stamps each object with the time it wrote it: digits no source stated, left out.
        "misp-stix": re.sub(rb'"\d{4}-\d\d-\d\dT[\d:.]+Z"', b'""', misp.stix_dumps(graph, clearance)),
        "neo4j-admin": "\n".join(
            line for f in import_files(model, store.stored().within(clearance)) for line in f.lines
        ).encode(),
    }
    for name, data in csv_export.tables(graph, model).items():
        found[f"csv:{name}"] = data
    return found


def _wallet_rows(files: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """The wallets table's row of the wallet, by the dataset whose folder holds it."""
    folders = {v: k for k, v in json.loads(files["csv:datasets.json"]).items()}
    rows: dict[str, dict[str, str]] = {}
    for dataset, folder in folders.items():
        for name, data in files.items():
            if name.startswith(f"csv:{folder}/") and name.endswith("wallets.csv"):
                for row in csv.DictReader(io.StringIO(data.decode())):
                    if row["address"] == WALLET:
                        rows[dataset] = row
    return rows


@pytest.mark.parametrize("clearance", [TLP.CLEAR, TLP.GREEN])
def test_no_export_below_amber_holds_the_reports_statements(store: GraphStore, clearance: TLP) -> None:
    _load(store)
    files = _files(store, clearance)
    assert {"stix", "gexf", "graphml", "misp", "misp-stix", "neo4j-admin"} <= files.keys()
    for name, data in files.items():
        text = data.decode()
        for word in REPORT_WORDS:
            assert word not in text, (name, word)
    # What the public dataset stated is there, credited to it alone.
    assert "Binance" in files["stix"].decode() and "exchange" in files["graphml"].decode()
    rows = _wallet_rows(files)
    assert set(rows) == {"public"}
    assert (rows["public"]["service"], rows["public"]["service_type"]) == ("Binance", "exchange")
    # A link's properties are credited the same way: each CLEAR source's row holds what it stated.
    links = _transfer_rows(files)
    assert set(links) == {"public", "explorer"}
    assert (links["public"]["amount"], links["public"]["asset"], links["public"]["time"]) == ("0.5", "", "")
    assert (links["explorer"]["amount"], links["explorer"]["asset"]) == ("", "BTC")
    assert links["explorer"]["time"] == "2016-03-01T10:00:00Z"
    assert links["public"]["tx_id"] == links["explorer"]["tx_id"] == "tx1"
    graph = export_graph(store, clearance, Scope())
    (data,) = [d for *_, d in graph.edges(data=True) if d["type"] == "TRANSFERRED"]
    assert json.loads(data["stated"]) == {
        "amount": ["public#tx1"],
        "asset": ["explorer#tx1"],
        "time": ["explorer#tx1"],
    }
    assert "amount_usd" not in data and "report#7" not in data["sources"]


def test_an_amber_csv_credits_each_property_to_the_source_that_stated_it(store: GraphStore) -> None:
    _load(store)
    files = _files(store, TLP.AMBER)
    rows = _wallet_rows(files)
    assert set(rows) == {"public", "report"}
    public, report = rows["public"], rows["report"]
    # The public dataset said exchange; the shown value is the report's mixer, credited to the report only.
    assert public["service"] == "Binance" and public["service_type"] == "" and public["cluster"] == ""
    assert public["families"] == ""  # it stated none for this wallet
    assert report["service_type"] == "mixer" and report["cluster"] == "kestrel-7"
    assert report["service"] == "" and report["families"] == "Cerber"
    # The files that carry it keep the credit as `stated`: property -> the sources that stated it.
    graph = export_graph(store, TLP.AMBER, Scope())
    stated = json.loads(graph.nodes[f"btc:{WALLET}"]["stated"])
    assert stated["service_type"] == ["report#7"] and stated["service"] == ["public#1"]
    assert stated["name"] == ["report#7"]
    assert "stated" in files["graphml"].decode() and "stated" in files["gexf"].decode()
    # The link's dollar value is the report's alone; the amount the public dataset's.
    links = _transfer_rows(files)
    assert set(links) == {"public", "explorer", "report"}
    assert links["report"]["amount_usd"] == "31337.0" and links["report"]["amount"] == ""
    assert links["public"]["amount_usd"] == "" and links["public"]["amount"] == "0.5"
    (data,) = [d for *_, d in graph.edges(data=True) if d["type"] == "TRANSFERRED"]
    assert json.loads(data["stated"])["amount_usd"] == ["report#7"]


def test_a_clear_takedown_package_holds_none_of_the_reports_statements(
    store: GraphStore, tmp_path: Path
) -> None:
    _load(store)
    key = f"btc:{WALLET}"
    plan = Plan.from_dict({"targets": [{"key": key, "why": "cash-out", "score": 1}], "objective": "test"})
    asking = Requester("alice", "Cybercrime Unit NL", "ncu@police.example", country="NL", reference="OP-17")
    for clearance, folder in ((TLP.CLEAR, "clear"), (TLP.AMBER, "amber")):
        write_package(takedown_package(store, clearance, plan, requester=asking), tmp_path / folder)

    def blob(folder: str) -> str:
        files = sorted(p for p in (tmp_path / folder).rglob("*") if p.is_file())
        return "".join(p.read_text(errors="replace") for p in files) + " ".join(map(str, files))

    clear, amber = blob("clear"), blob("amber")
    assert WALLET in clear and "public#1" in clear
    for word in REPORT_WORDS:
        assert word not in clear, word
    assert "report#7" in amber  # the same package at AMBER holds the report (so the check can fail)


def test_an_amber_csv_export_loads_back_with_each_statement_at_its_level(
    store: GraphStore, tmp_path: Path
) -> None:
    """Each source's row keeps its own marking (the public dataset's CLEAR, the report's AMBER) and only what
    that source stated, so the export loads back with the same credit and the same view per clearance."""
    from graph_model.entities import link_credits
    from graph_model.store.embedded import EmbeddedStore
    from loaders import LoadContext, ingest, reader

    _load(store)
    files = _files(store, TLP.AMBER)
    again = EmbeddedStore(tmp_path / "again.db", store.model)
    folders = json.loads(files["csv:datasets.json"])
    for name, data in sorted(files.items()):
        if name.endswith(".csv"):
            path = tmp_path / name.removeprefix("csv:")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            dataset = folders[path.parent.name]
            assert ingest(again, reader("csv")(path, LoadContext(store.model, dataset))).rejected == 0
    for clearance in (TLP.CLEAR, TLP.AMBER):
        (before,) = list(store.neighbourhood([f"btc:{WALLET}"], clearance=clearance).edges.values())
        (after,) = list(again.neighbourhood([f"btc:{WALLET}"], clearance=clearance).edges.values())
        assert after.props == before.props and after.prov.tlp == before.prov.tlp
        said, kept = link_credits(before), link_credits(after)
        # (a transactions row's asset defaults to its chain, so every row of a transfer states one)
        assert {p: s for p, s in kept.items() if p != "asset"} == {
            p: s for p, s in said.items() if p != "asset"
        }
        wallet = again.get(f"btc:{WALLET}", clearance=clearance).props
        shown = dict(store.get(f"btc:{WALLET}", clearance=clearance).props)
        shown.pop("aliases", None)  # the address, from a name the wallets table has no column for
        # The public dataset's "exchange" lost to the report's "mixer" in what an AMBER reader sees, so its
        # row holds no service type: below AMBER the loaded wallet has none (never the report's).
        assert wallet == (shown if clearance is TLP.AMBER else {"service": "Binance"}), clearance
    again.close()
