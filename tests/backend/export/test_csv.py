"""CSV export: the tables ``crimegraph load csv`` reads, round-tripping exactly on both stores."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import networkx as nx

from backend.export import csv as csv_export
from backend.export.graph import export_graph
from graph_model.entities import Edge, make_node
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from queries.scope import Scope


def _load_tables(store: GraphStore, paths: list[Path], dataset: str) -> None:
    for path in paths:
        summary = ingest(store, reader("csv")(path, LoadContext(store.model, dataset)))
        assert summary.rejected == 0, path


def _write(files: dict[str, bytes], folder: Path) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def _credits(attrs: dict[str, Any]) -> dict[str, Any]:
    """Who stated each property, but the name and aliases: every row names its entity (by the merged
    name), so after loading the rows again every row has stated the name (docs/export.md)."""
    stated = json.loads(attrs.get("stated") or "{}")
    return {"stated": {p: s for p, s in stated.items() if p not in ("name", "aliases")}}


def _everything(graph: nx.MultiDiGraph) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every attribute but ``date_added``: loading the tables again is a new load, dated when it ran."""
    nodes = {key: {**attrs, "date_added": None, **_credits(attrs)} for key, attrs in graph.nodes(data=True)}
    edges = {
        key: (u, v, {**attrs, "date_added": None}) for u, v, key, attrs in graph.edges(keys=True, data=True)
    }
    return nodes, edges


def test_csv_round_trips_exactly(store: GraphStore, fixtures: Path, tmp_path: Path) -> None:
    """A generated ecosystem and the hand-written tables, under two datasets: every node and edge comes
    back with the same key, name, properties, sources, confidence, TLP and times."""
    report = generate(tmp_path / "eco", 50, 11)
    _load_tables(store, list(report.tables), "eco")
    for path in sorted((fixtures / "csv").glob("*.csv")):
        # the fixtures hold deliberately bad rows next to good ones; the good ones load
        ingest(store, reader("csv")(path, LoadContext(store.model, "analyst notes")))
    before = export_graph(store, TLP.RED, Scope())
    files = csv_export.tables(before, store.model)
    out = tmp_path / "export"
    _write(files, out)
    store.clear()
    folders = json.loads((out / "datasets.json").read_text())
    assert sorted(folders.values()) == ["analyst notes", "eco"]
    for folder, dataset in folders.items():
        _load_tables(store, sorted((out / folder).glob("*.csv")), dataset)
    after = export_graph(store, TLP.RED, Scope())
    assert after.number_of_nodes() == before.number_of_nodes() > 400
    want_nodes, want_edges = _everything(before)
    got_nodes, got_edges = _everything(after)
    assert got_nodes == want_nodes
    assert got_edges == want_edges
    # And the export of the reloaded graph is the same files.
    assert csv_export.tables(after, store.model) == files


def test_csv_export_holds_nothing_above_clearance(embedded_store: GraphStore, fixtures: Path) -> None:
    for path in sorted((fixtures / "csv").glob("*.csv")):
        ingest(embedded_store, reader("csv")(path, LoadContext(embedded_store.model, "notes")))
    model = embedded_store.model
    everything = b"".join(csv_export.tables(export_graph(embedded_store, TLP.RED, Scope()), model).values())
    assert b"Jane Roe" in everything and b"AMBER" in everything
    files = csv_export.tables(export_graph(embedded_store, TLP.GREEN, Scope()), embedded_store.model)
    text = b"".join(files.values())
    assert b"Jane Roe" not in text
    assert b"AMBER" not in text and b"RED" not in text


def test_link_rows_name_their_ends_by_key(embedded_store: GraphStore, tmp_path: Path) -> None:
    """Two actors share a name: the names are ambiguous, the keys beside them are not, and every key in a
    link row joins to exactly one entity row."""
    model = embedded_store.model

    def prov(record: str) -> Provenance:
        return Provenance.of("cases", record, first_seen="2024-01-01")

    handle = make_node(model, "Actor", "handle", "Alex", prov=prov("a1"))
    person = make_node(model, "Actor", "person", "Alex", prov=prov("a2"))
    w1 = make_node(model, "Wallet", "btc", "bc1qalexone00000000000000000000000000000", prov=prov("w1"))
    w2 = make_node(model, "Wallet", "btc", "bc1qalextwo00000000000000000000000000000", prov=prov("w2"))
    forum = make_node(model, "Forum", "forum", "Exploit", prov=prov("f1"))
    embedded_store.upsert(
        [handle, person, w1, w2, forum],
        [
            Edge("ASSOCIATES_WITH", handle.key, person.key, prov("e1")),
            Edge("TRANSFERRED", w1.key, w2.key, prov("t1"), {"tx_id": "ab12", "amount": 1.0}, "ab12"),
            Edge("ACTIVE_ON", handle.key, forum.key, prov("e2")),
        ],
    )
    files = csv_export.tables(export_graph(embedded_store, TLP.RED, Scope()), model)

    def rows(name: str) -> list[dict[str, str]]:
        data = next(v for k, v in files.items() if k.endswith(f"-{name}.csv"))
        return list(csv.DictReader(data.decode().splitlines()))

    entity_keys = [r["key"] for table in ("actors", "wallets", "forums") for r in rows(table)]
    assert sorted(entity_keys) == sorted({handle.key, person.key, w1.key, w2.key, forum.key})
    (edge,) = rows("edges")
    assert edge["source"] == edge["target"] == "Alex"  # the names alone cannot tell them apart
    assert (edge["source_key"], edge["target_key"]) == (handle.key, person.key)
    (transfer,) = rows("transactions")
    assert (transfer["from_key"], transfer["to_key"]) == (w1.key, w2.key)
    (active,) = rows("activity")
    assert (active["actor_key"], active["forum_key"]) == (handle.key, forum.key)
    for row in (edge, transfer, active):
        for column, value in row.items():
            if column.endswith("_key"):
                assert entity_keys.count(value) == 1, (column, value)
