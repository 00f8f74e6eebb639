"""The analysts' CSV tables: detection by header, what each row yields, and rejected rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_model.entities import Edge
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders.csv_tables import TABLES, Table, detect, read
from loaders.ingest import ingest
from loaders.records import LoadContext, SourceError

# file -> (read, rejected, nodes_new, edges_new) on a fresh store; see the fixture files' bad rows.
EXPECTED = {
    "actors.csv": (8, 3, 5, 3),
    "infrastructure.csv": (12, 3, 11, 10),
    "wallets.csv": (6, 2, 6, 2),
    "transactions.csv": (8, 2, 7, 5),
    "forums.csv": (5, 2, 8, 5),
    "threads.csv": (5, 2, 7, 5),
    "posts.csv": (4, 1, 9, 7),
    "activity.csv": (6, 3, 5, 3),
    "edges.csv": (7, 3, 6, 4),
}


@pytest.fixture()
def ctx(model: Model) -> LoadContext:
    return LoadContext(model, "analyst")


def _load(store: EmbeddedStore, path: Path, ctx: LoadContext) -> tuple[int, int, int, int]:
    summary = ingest(store, read(path, ctx))
    return summary.read, summary.rejected, summary.store.nodes_new, summary.store.edges_new


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_table_is_told_by_its_full_header(table: Table, tmp_path: Path) -> None:
    assert detect(tmp_path / "x.csv", [c.upper() for c in table.columns]) is table
    assert detect(tmp_path / "x.csv", list(reversed(table.required))) is table


def test_a_header_fitting_no_table_names_the_closest(tmp_path: Path, ctx: LoadContext) -> None:
    path = _write(tmp_path, "export.csv", "chain,addr,owner\nbtc,1A,LockBit\n")
    with pytest.raises(SourceError, match=r"export.csv: .*closest is 'wallets', missing column: address$"):
        list(read(path, ctx))


def test_an_empty_file_cannot_be_read(tmp_path: Path, ctx: LoadContext) -> None:
    with pytest.raises(SourceError, match="empty"):
        list(read(_write(tmp_path, "empty.csv", b""), ctx))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_table_loads_on_its_own(
    name: str, fixtures: Path, ctx: LoadContext, embedded_store: EmbeddedStore
) -> None:
    path = fixtures / "csv" / name
    assert _load(embedded_store, path, ctx) == EXPECTED[name]
    assert embedded_store.pending_count() == 0
    read_, rejected, _, _ = EXPECTED[name]
    assert _load(embedded_store, path, ctx) == (read_, rejected, 0, 0)


def test_all_tables_together_share_their_nodes(
    fixtures: Path, ctx: LoadContext, embedded_store: EmbeddedStore
) -> None:
    for name in EXPECTED:
        _load(embedded_store, fixtures / "csv" / name, ctx)
    stats = embedded_store.stats(clearance=TLP.RED).as_dict()
    # LockBit is one node, keyed by its STIX id, whether a row names it "LockBit" or "lockbit";
    # the other spelling is kept as an alias.
    lockbit = embedded_store.get("group:lockbit", clearance=TLP.RED)
    assert lockbit.key == "uuid:8d1b1b9e-1c2d-4e5f-8a9b-000000000001"
    assert set(lockbit.props["aliases"]) == {"ABCD", "LockBit 3.0", "lockbit"}
    assert stats["nodes"] == {"Actor": 10, "Forum": 9, "Infrastructure": 9, "Malware": 1, "Wallet": 7}
    assert embedded_store.pending_count() == 0


def test_bad_rows_are_rejected_with_file_line_and_reason(fixtures: Path, ctx: LoadContext) -> None:
    errors = {
        r.location: r.error
        for name in EXPECTED
        for r in read(fixtures / "csv" / name, ctx)
        if r.error is not None
    }
    assert errors["transactions.csv:5"] == "column 'amount': not a number: 'lots'"
    assert errors["actors.csv:7"].startswith("Actor has no type 'robot'")
    assert "999.1.1.1" in errors["infrastructure.csv:11"]
    assert errors["edges.csv:6"] == "COLLECTS_INTO cannot link Wallet to Actor"
    assert errors["activity.csv:6"] == "column 'product' does not apply to relation 'active_on'"
    assert all("\n" not in e for e in errors.values())
    assert len(errors) == sum(rejected for _, rejected, _, _ in EXPECTED.values())


def test_invalid_utf8_rejects_only_its_line(tmp_path: Path, ctx: LoadContext) -> None:
    path = _write(tmp_path, "a.csv", b"actor,type\nalice,handle\nb\xffob,handle\ncarol,handle\n")
    records = list(read(path, ctx))
    assert [r.location for r in records if r.error] == ["a.csv:3"]
    assert "UTF-8" in (records[1].error or "")
    assert [r.items[0].key for r in records if not r.error] == ["handle:alice", "handle:carol"]


def test_a_row_with_missing_cells_is_rejected(tmp_path: Path, ctx: LoadContext) -> None:
    path = _write(tmp_path, "a.csv", "actor,type,country\nalice,handle\nbob,handle,NL\n")
    records = list(read(path, ctx))
    assert records[0].error is not None and records[1].error is None


def test_transaction_outputs_are_parallel_edges(fixtures: Path, ctx: LoadContext) -> None:
    edges = [
        i for r in read(fixtures / "csv" / "transactions.csv", ctx) for i in r.items if isinstance(i, Edge)
    ]
    assert [e.discriminator for e in edges] == ["a1f0:0", "a1f0:1", "b2e1", "d4c3", "f6a5", "b2e1"]
    first = edges[0]
    assert first.props == {
        "amount": 1.5,
        "asset": "BTC",
        "amount_usd": 35000.5,
        "time": "2023-03-01T10:00:00Z",
        "tx_id": "a1f0",
        "output_index": 0,
    }
    assert first.prov.first_seen == "2023-03-01T10:00:00Z"
    assert edges[3].source == "eth:0xabcdef0000000000000000000000000000000001"
    assert edges[4].source.startswith("trx:") and edges[4].props["asset"] == "USDT"


def test_references_take_a_type_prefix_or_the_shape_of_the_value(fixtures: Path, ctx: LoadContext) -> None:
    keys = [
        [getattr(i, "key", "") for i in r.items] for r in read(fixtures / "csv" / "infrastructure.csv", ctx)
    ]
    assert keys[2][:3] == ["ip:45.134.26.10", "asn:44477", "BELONGS_TO|ip:45.134.26.10|asn:44477|"]
    assert "host:web01" in keys[8] and "ip:1.2.3.4" in keys[8]
    threads = list(read(fixtures / "csv" / "threads.csv", ctx))
    assert threads[1].items[0].key == "thread:hydra market/101"
    assert threads[1].items[1].key == "marketplace:hydra market"


def test_row_provenance_columns(fixtures: Path, ctx: LoadContext) -> None:
    actors = list(read(fixtures / "csv" / "actors.csv", ctx))
    supp = actors[1].items[0]
    assert supp.prov.sources == frozenset({"analyst#report-2024-02"})
    assert (supp.prov.confidence, supp.prov.first_seen) == (80, "2020-01-15T00:00:00Z")
    assert actors[4].items[0].prov.tlp is TLP.AMBER
    # The group named in member_of is sourced to the dataset, not to every row naming it.
    assert actors[1].items[1].prov.sources == frozenset({"analyst"})
    activity = list(read(fixtures / "csv" / "activity.csv", ctx))
    edge = activity[0].items[2]
    assert (edge.type, edge.props) == ("ACTIVE_ON", {"posts": 120, "threads": 14})
    assert (edge.prov.first_seen, edge.prov.last_seen) == ("2019-06-01T00:00:00Z", "2024-02-19T00:00:00Z")
    admin = activity[2].items[2]
    assert (admin.type, admin.props) == ("ADMINISTERS", {"role": "escrow"})
