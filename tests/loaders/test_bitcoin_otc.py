"""SNAP Bitcoin OTC / Alpha trust networks: traders on a marketplace and their signed ratings."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders.records import SourceError
from tests.loaders.loading import edge_types, kinds, load, nothing_new


def test_fixture_excerpt(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    path = fixtures / "bitcoin-otc" / "soc-sign-bitcoinotc-excerpt.csv"
    summary = load(embedded_store, "bitcoin-otc", path, "bitcoin-otc")
    assert (summary.read, summary.rejected) == (1 + 300, 0)
    assert summary.read_by_kind == {"marketplace": 1, "rating": 300}
    assert kinds(embedded_store) == {"Actor/handle": 94, "Forum/marketplace": 1}
    assert edge_types(embedded_store) == {"RATED": 300, "ACTIVE_ON": 94}
    market = embedded_store.get("marketplace:bitcoin otc", clearance=TLP.RED)
    assert market.name == "Bitcoin OTC"
    rated = embedded_store.neighbourhood(["handle:bitcoin-otc/6"], clearance=TLP.RED, edge_types=["RATED"])
    first = next(e for e in rated.edges.values() if e.target == "handle:bitcoin-otc/2")
    assert first.props == {"rating": 4, "weight": 4.0}
    assert first.prov.first_seen == "2010-11-08T18:45:12Z"
    assert nothing_new(load(embedded_store, "bitcoin-otc", path, "bitcoin-otc"))


def test_alpha_copy_with_header(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    path = fixtures / "bitcoin-otc" / "soc-sign-bitcoinalpha-excerpt.csv"
    summary = load(embedded_store, "bitcoin-otc", path, "bitcoin-alpha")
    assert (summary.read, summary.rejected) == (1 + 100, 0)
    assert kinds(embedded_store) == {"Actor/handle": 101, "Forum/marketplace": 1}
    assert embedded_store.get("marketplace:bitcoin alpha", clearance=TLP.RED).name == "Bitcoin Alpha"


def test_fractional_time_and_bad_rows(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(
        "6,2,4,1289241911.72836\n6,5,two,1289241942\n1,15,1.5,1289243140\n7,8,-10,x\n", encoding="utf-8"
    )
    summary = load(embedded_store, "bitcoin-otc", path, "otc")
    assert (summary.read, summary.rejected) == (1 + 4, 3)
    edge = next(iter(embedded_store.subgraph(clearance=TLP.RED, edge_types=["RATED"]).edges(data=True)))
    assert edge[2]["first_seen"] == "2010-11-08T18:45:12Z"


def test_empty_file(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "ratings.csv"
    path.write_bytes(b"")
    with pytest.raises(SourceError, match="empty file"):
        load(embedded_store, "bitcoin-otc", path, "otc")
    assert embedded_store.stats(clearance=TLP.RED).nodes == {}


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("relative", "dataset", "traders", "ratings"),
    [
        ("bitcoin-otc/soc-sign-bitcoinotc.csv", "bitcoin-otc", 5_881, 35_592),
        ("networks/bitcoin-alpha/soc-sign-bitcoinalpha.csv", "bitcoin-alpha", 3_783, 24_186),
    ],
)
def test_real_networks(
    shared_data: Path, embedded_store: EmbeddedStore, relative: str, dataset: str, traders: int, ratings: int
) -> None:
    summary = load(embedded_store, "bitcoin-otc", shared_data / relative, dataset)
    assert (summary.read_by_kind["rating"], summary.rejected) == (ratings, 0)
    assert kinds(embedded_store) == {"Actor/handle": traders, "Forum/marketplace": 1}
    assert edge_types(embedded_store) == {"RATED": ratings, "ACTIVE_ON": traders}
