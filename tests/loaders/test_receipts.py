"""'Showing the Receipts' addresses, and one node per address across the three ransomware sources."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from tests.loaders.loading import kinds, load, nothing_new


def _datasets(store: EmbeddedStore, key: str) -> set[str]:
    return {source.partition("#")[0] for source in store.get(key, clearance=TLP.RED).prov.sources}


def test_fixture_excerpt(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    path = fixtures / "ransomwhere" / "receipts-excerpt.csv"
    summary = load(embedded_store, "receipts", path, "receipts")
    assert (summary.read, summary.rejected, summary.store.nodes_new, summary.store.edges_new) == (
        16,
        0,
        16,
        0,
    )
    tiny = embedded_store.get("btc:3E9F7gE3upQ8rgsPjwiKH7ugfdneypPjqj", clearance=TLP.RED)
    assert tiny.props == {"received_usd": 0.0, "received_btc": 2.526e-05, "label_kind": ["ransomwhere"]}
    big = embedded_store.get("btc:3QUB3CEfMYjb11iPfezUJatzRkqCdLwfz3", clearance=TLP.RED)
    assert big.props == {"received_usd": 2_524_599.0, "received_btc": 276.275, "label_kind": ["origCluster"]}
    assert nothing_new(load(embedded_store, "receipts", path, "receipts"))


def test_fixtures_merge_by_address(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    folder = fixtures / "ransomwhere"
    load(embedded_store, "ransomwhere", folder / "ransomwhere-excerpt.csv", "ransomwhere")
    assert load(embedded_store, "receipts", folder / "receipts-excerpt.csv", "receipts").store.nodes_new == 0
    payments = load(embedded_store, "btc-payments", folder / "huang2018-excerpt.csv", "huang2018")
    # Of the 29 paid addresses, the 20 Locky ones are already Ransomwhere wallets; Locky is one family.
    assert payments.store.new_by_kind["Wallet"] == 31 + 9
    assert payments.store.new_by_kind["Malware"] == 1
    assert _datasets(embedded_store, "btc:3E9F7gE3upQ8rgsPjwiKH7ugfdneypPjqj") == {"ransomwhere", "receipts"}
    locky = embedded_store.get("btc:1AVcbgn3QJGJkDehF5LhcYhp81UZsZ9dWv", clearance=TLP.RED)
    assert {s.partition("#")[0] for s in locky.prov.sources} == {"ransomwhere", "huang2018"}
    assert locky.props["families"] == ["Locky"]


@pytest.mark.realdata
def test_real_file_counts(shared_data: Path, embedded_store: EmbeddedStore) -> None:
    summary = load(
        embedded_store, "receipts", shared_data / "ransomwhere" / "showing-the-receipts-addresses.csv", "r"
    )
    assert (summary.read, summary.rejected) == (1_013, 0)
    graph = embedded_store.subgraph(clearance=TLP.RED)
    assert kinds(embedded_store) == {"Wallet/btc": 1_013}
    label_kinds = [a["label_kind"][0] for _, a in graph.nodes(data=True)]
    assert (label_kinds.count("origCluster"), label_kinds.count("ransomwhere")) == (465, 292)
    assert label_kinds.count("expandedCluster") == 256
    assert sum(a["received_usd"] for _, a in graph.nodes(data=True)) == pytest.approx(917e6, rel=5e-3)


@pytest.mark.realdata
def test_real_sources_share_one_node_per_address(shared_data: Path, embedded_store: EmbeddedStore) -> None:
    folder = shared_data / "ransomwhere"
    load(
        embedded_store, "ransomwhere", folder / "ransomwhere-opensanctions-targets.simple.csv", "ransomwhere"
    )
    load(embedded_store, "receipts", folder / "showing-the-receipts-addresses.csv", "receipts")
    load(embedded_store, "btc-payments", folder / "huang2018-cerber-locky-payments.csv", "huang2018")
    with (folder / "huang2018-cerber-locky-payments.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    locky = {r["potential_ransom_wallet_addr"] for r in rows if r["family"] == "Locky"}
    paid = {r["potential_ransom_wallet_addr"] for r in rows}
    with (folder / "showing-the-receipts-addresses.csv").open(newline="", encoding="utf-8") as handle:
        receipts = {r["address"] for r in csv.DictReader(handle)}
    shared = [a for a in locky if "ransomwhere" in _datasets(embedded_store, f"btc:{a}")]
    assert len(shared) == 5_925
    assert all(_datasets(embedded_store, f"btc:{a}") == {"ransomwhere", "huang2018"} for a in shared)
    assert all("ransomwhere" in _datasets(embedded_store, f"btc:{a}") for a in receipts)
    assert len(receipts) == 1_013
    # One Wallet/btc per distinct address over the three files: Ransomwhere's plus Huang's others.
    assert kinds(embedded_store)["Wallet/btc"] == 11_186 + len(paid) - 5_925
