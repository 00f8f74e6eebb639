"""Huang et al. ransom payments: one TRANSFERRED edge per payment row, from the paying transaction."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import pytest

from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders.btc_payments import read
from loaders.ingest import ingest
from loaders.records import LoadContext, SourceError
from tests.loaders.loading import edge_types, kinds, load, nothing_new

REPEATED_TX = "c40f1511014117ae9791c13f7a637c935869834b9f396c6a8e84970c00d6e95e"


def test_fixture_excerpt(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    path = fixtures / "ransomwhere" / "huang2018-excerpt.csv"
    summary = load(embedded_store, "btc-payments", path, "huang2018")
    assert (summary.read, summary.rejected) == (39, 0)
    # 31 paying transactions, 29 ransom addresses, 2 families.
    assert kinds(embedded_store) == {"Wallet/cluster": 31, "Wallet/btc": 29, "Malware/malware": 2}
    # All 9 rows of the repeated (tx, output 15) pair are separate payments.
    assert edge_types(embedded_store) == {"TRANSFERRED": 39, "COLLECTS_INTO": 29}
    assert nothing_new(load(embedded_store, "btc-payments", path, "huang2018"))


def test_payment_edge(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    load(embedded_store, "btc-payments", fixtures / "ransomwhere" / "huang2018-excerpt.csv", "huang2018")
    payer = f"wallet-cluster:tx:{REPEATED_TX}"
    edges = embedded_store.neighbourhood([payer], clearance=TLP.RED).edges.values()
    assert len(edges) == 9
    assert {e.target for e in edges} == {"btc:184DePMhBrfjkeLnrUsWfcuKs7cAHwvPLJ"}
    assert sum(e.props["amount"] for e in edges) == pytest.approx(1.8372645)
    first = next(e for e in edges if e.props["amount"] == 0.15133648)
    assert first.props == {
        "amount": 0.15133648,
        "asset": "BTC",
        "amount_usd": 67.35,
        "time": "2016-04-21T11:18:16Z",
        "tx_id": REPEATED_TX,
        "output_index": 15,
    }
    assert first.discriminator == f"{REPEATED_TX}:15:0.15133648"
    assert first.prov.first_seen == "2016-04-21T11:18:16Z"


def test_non_numeric_amount_is_rejected_with_its_line(
    fixtures: Path, tmp_path: Path, embedded_store: EmbeddedStore
) -> None:
    lines = (fixtures / "ransomwhere" / "huang2018-excerpt.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[5] = "lots"
    lines[3] = ",".join(cells)
    path = tmp_path / "payments.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = StringIO()
    summary = ingest(
        embedded_store, read(path, LoadContext(embedded_store.model, "huang2018")), rejects=rejects
    )
    assert (summary.read, summary.rejected) == (39, 1)
    assert edge_types(embedded_store)["TRANSFERRED"] == 38
    [reject] = [json.loads(line) for line in rejects.getvalue().splitlines()]
    assert reject["location"] == "payments.csv:4"
    assert reject["reason"] == "potential_ransom_btc: not a number: 'lots'"


def test_without_the_pandas_index_column(
    fixtures: Path, tmp_path: Path, embedded_store: EmbeddedStore
) -> None:
    with (fixtures / "ransomwhere" / "huang2018-excerpt.csv").open(newline="", encoding="utf-8") as handle:
        rows = [row[1:] for row in csv.reader(handle)]
    path = tmp_path / "payments.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    summary = load(embedded_store, "btc-payments", path, "huang2018")
    assert (summary.read, summary.rejected, summary.store.edges_new) == (39, 0, 39 + 29)


def test_invalid_utf8_line(fixtures: Path, tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    data = (fixtures / "ransomwhere" / "huang2018-excerpt.csv").read_bytes().split(b"\n")
    data[5] = data[5].replace(b"Locky", b"Lo\xffcky")
    path = tmp_path / "payments.csv"
    path.write_bytes(b"\n".join(data))
    summary = load(embedded_store, "btc-payments", path, "huang2018")
    assert (summary.read, summary.rejected) == (39, 1)
    assert edge_types(embedded_store)["TRANSFERRED"] == 38


def test_empty_file(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "payments.csv"
    path.write_bytes(b"")
    with pytest.raises(SourceError, match="empty file"):
        load(embedded_store, "btc-payments", path, "huang2018")


@pytest.mark.realdata
def test_real_file_counts(shared_data: Path, embedded_store: EmbeddedStore) -> None:
    path = shared_data / "ransomwhere" / "huang2018-cerber-locky-payments.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [tuple(row[1:]) for row in csv.reader(handle)][1:]
    # No two rows are identical (index column aside), so every row is its own edge.
    assert len(rows) == len(set(rows)) == 16_785
    summary = load(embedded_store, "btc-payments", path, "huang2018")
    assert (summary.read, summary.rejected) == (16_785, 0)
    assert kinds(embedded_store) == {"Wallet/cluster": 16_764, "Wallet/btc": 16_128, "Malware/malware": 2}
    graph = embedded_store.subgraph(clearance=TLP.RED, edge_types=["TRANSFERRED"])
    assert graph.number_of_edges() == 16_785
    amounts = [a["amount"] for _, _, a in graph.edges(data=True)]
    assert sum(amounts) == pytest.approx(22_533.4, abs=0.05)
    assert sum(a["amount_usd"] for _, _, a in graph.edges(data=True)) == pytest.approx(14.31e6, rel=1e-3)
