"""Ransomwhere wallets: one Wallet/btc per address, families by name, 'Unlabeled' kept as a label only."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders.records import SourceError
from tests.loaders.loading import edge_types, kinds, load, nothing_new

HEADER = (
    '"id","schema","name","aliases","birth_date","countries","addresses","identifiers","sanctions","phones",'
    '"emails","program_ids","dataset","first_seen","last_seen","last_change"'
)


def _row(address: str, label: str) -> str:
    return (
        f'"rwre-{address.lower()}","CryptoWallet","{address}","{label}","","","","{address}","","","","",'
        '"ransomwhe.re ransomware addresses","2023-04-20T15:28:17","2025-09-08T02:03:08",'
        '"2023-04-20T15:28:17"'
    )


def test_fixture_excerpt(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    path = fixtures / "ransomwhere" / "ransomwhere-excerpt.csv"
    summary = load(embedded_store, "ransomwhere", path, "ransomwhere")
    assert (summary.read, summary.rejected, summary.skipped) == (51, 0, 0)
    # 10 labels: 'Unlabeled' makes no family and JigSaw/Jigsaw are one family by name.
    assert kinds(embedded_store) == {"Wallet/btc": 51, "Malware/malware": 8}
    assert edge_types(embedded_store) == {"COLLECTS_INTO": 51 - 14}
    assert nothing_new(load(embedded_store, "ransomwhere", path, "ransomwhere"))


def test_wallet_keeps_address_label_and_crawl_times(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    load(embedded_store, "ransomwhere", fixtures / "ransomwhere" / "ransomwhere-excerpt.csv", "ransomwhere")
    bech32 = embedded_store.get("btc:bc1qddxgl5rh07tq0xcevgsxm7rvh5056f7mcsmgrm", clearance=TLP.RED)
    assert bech32.props["families"] == ["Unlabeled"]
    assert embedded_store.neighbourhood([bech32.key], clearance=TLP.RED).edges == {}
    # Crawl times of OpenSanctions, kept in provenance.
    assert (bech32.prov.first_seen, bech32.prov.last_seen) == ("2024-10-28T02:02:06Z", "2025-09-08T02:03:08Z")
    conti = embedded_store.get("software:conti", clearance=TLP.RED)
    wallets = embedded_store.neighbourhood([conti.key], clearance=TLP.RED).nodes
    assert {n.kind for k, n in wallets.items() if k != conti.key} == {"Wallet"}
    assert len(wallets) == 3


def test_bad_address_is_rejected_with_its_line(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "targets.simple.csv"
    rows = [HEADER, _row("1123pJv8jzeFQaCV4w644pzQJzVWay2zcA", "Locky"), _row("0xnotbitcoin", "Locky")]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    summary = load(embedded_store, "ransomwhere", path, "rw")
    assert (summary.read, summary.rejected, summary.store.nodes_new) == (2, 1, 2)
    assert summary.rejected_by_kind == {"wallet": 1}


def test_wrong_header(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "wallets.csv"
    path.write_text("address,family\n1123pJv8jzeFQaCV4w644pzQJzVWay2zcA,Locky\n", encoding="utf-8")
    with pytest.raises(
        SourceError, match=r"expected columns schema, name, aliases, .* found address, family"
    ):
        load(embedded_store, "ransomwhere", path, "rw")


@pytest.mark.realdata
def test_real_file_counts(shared_data: Path, embedded_store: EmbeddedStore) -> None:
    path = shared_data / "ransomwhere" / "ransomwhere-opensanctions-targets.simple.csv"
    summary = load(embedded_store, "ransomwhere", path, "ransomwhere")
    assert (summary.read, summary.rejected) == (11_186, 0)
    graph = embedded_store.subgraph(clearance=TLP.RED)
    wallets = [a for _, a in graph.nodes(data=True) if a["kind"] == "Wallet"]
    assert len(wallets) == 11_186
    labels = {label for a in wallets for label in a["families"]}
    assert len(labels) == 136 and "Unlabeled" in labels
    # 135 real labels, two pairs of which differ only in case (JigSaw/Jigsaw, DecryptIomega/Decryptiomega).
    assert kinds(embedded_store)["Malware/malware"] == 133
    prefixes = [k.removeprefix("btc:")[:3] for k in graph.nodes if k.startswith("btc:")]
    assert sum(p.startswith("1") for p in prefixes) == 10_275
    assert sum(p.startswith("3") for p in prefixes) == 557
    assert sum(p == "bc1" for p in prefixes) == 354
    assert edge_types(embedded_store) == {"COLLECTS_INTO": 11_186 - 721}
