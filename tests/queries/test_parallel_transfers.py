"""Parallel transfers between two wallets, taken together, at the caller's clearance, on both stores."""

from __future__ import annotations

import pytest

from graph_model.entities import Edge, make_node
from graph_model.errors import InvalidArgument, NotFound
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from queries.money import parallel_transfers, transfers_between
from queries.scope import Scope, scope_graph

A = "bc1qpayer000000000000000000000000000000000"
B = "bc1qpayee000000000000000000000000000000000"
KA, KB = "btc:" + A, "btc:" + B


def _seed(store: GraphStore, model: Model) -> None:
    def wallet(address: str, tlp: str = "CLEAR") -> object:
        return make_node(model, "Wallet", "btc", address, prov=Provenance.of("t", address, tlp=tlp))

    a, b = wallet(A), wallet(B)
    eth = make_node(model, "Wallet", "eth", "0x" + "ab" * 20, prov=Provenance.of("t", "eth"))

    def transfer(src: str, dst: str, tx: str, tlp: str = "CLEAR", **props: object) -> Edge:
        when = props.get("time")
        return Edge(
            "TRANSFERRED",
            src,
            dst,
            Provenance.of("t", tx, tlp=tlp, first_seen=when if isinstance(when, str) else None),
            {"tx_id": tx, **props},
            f"{tx}:0",
        )

    edges = [
        transfer(
            a.key, b.key, "t1", amount=1.0, asset="BTC", amount_usd=40000.0, time="2022-01-02T00:00:00Z"
        ),
        transfer(a.key, b.key, "t2", amount=0.5, asset="BTC", time="2022-01-01T00:00:00Z"),
        transfer(a.key, b.key, "t3", amount=0.25, asset="BTC"),  # undated
        transfer(a.key, b.key, "t4", "RED", amount=9.0, asset="BTC", time="2023-06-01T00:00:00Z"),
        transfer(b.key, a.key, "t5", "GREEN", amount=0.1, asset="BTC", time="2022-02-01T00:00:00Z"),
        transfer(b.key, eth.key, "t6", amount=3.0, asset="ETH", time="2022-03-01T00:00:00Z"),
        transfer(b.key, eth.key, "t7", amount=1.0, asset="BTC", time="2022-03-02T00:00:00Z"),
    ]
    store.upsert([a, b, eth], edges)  # type: ignore[list-item]


def test_transfers_between_two_wallets(store: GraphStore, model: Model) -> None:
    _seed(store, model)
    a_to_b, b_to_a = transfers_between(store, TLP.GREEN, KA, KB)
    assert (a_to_b.source, a_to_b.target) == ("btc:" + A, "btc:" + B)
    assert a_to_b.count == 3 and a_to_b.total == 1.75 and a_to_b.asset == "BTC"
    assert a_to_b.total_usd == 40000.0 and a_to_b.usd_known == 1
    assert (a_to_b.first, a_to_b.last, a_to_b.undated) == ("2022-01-01T00:00:00Z", "2022-01-02T00:00:00Z", 1)
    assert [t.tx_id for t in a_to_b.transfers] == ["t2", "t1", "t3"]  # in time, undated last
    assert a_to_b.tlp == "CLEAR" and b_to_a.tlp == "GREEN" and b_to_a.count == 1
    assert [p.source for p in transfers_between(store, TLP.GREEN, KB, KA)] == ["btc:" + B, "btc:" + A]
    # At CLEAR the GREEN transfer back is not there, not counted; at RED the RED one is.
    (only,) = transfers_between(store, TLP.CLEAR, KA, KB)
    assert only.count == 3 and "t5" not in {t.tx_id for t in only.transfers}
    red = transfers_between(store, TLP.RED, KA, KB)[0]
    assert red.count == 4 and red.total == 10.75 and red.last == "2023-06-01T00:00:00Z" and red.tlp == "RED"
    # A time window leaves the undated one out unless asked for it (DESIGN.md, shared contracts: dates).
    (windowed,) = transfers_between(store, TLP.CLEAR, KA, KB, since="2022-01-02")
    assert [t.tx_id for t in windowed.transfers] == ["t1"]
    (asked,) = transfers_between(store, TLP.CLEAR, KA, KB, since="2022-01-02", include_undated=True)
    assert [t.tx_id for t in asked.transfers] == ["t1", "t3"]
    with pytest.raises(InvalidArgument, match="not a Wallet"):
        store.upsert([make_node(model, "Actor", "group", "X", prov=Provenance.of("t", "x"))], [])
        transfers_between(store, TLP.CLEAR, KA, "group:x")
    with pytest.raises(NotFound):
        transfers_between(store, TLP.CLEAR, KA, "btc:bc1qnobody")


def test_parallel_transfers_of_a_scope_graph(store: GraphStore, model: Model) -> None:
    _seed(store, model)
    found = parallel_transfers(scope_graph(store, TLP.GREEN, Scope()))
    eth = "eth:0x" + "ab" * 20
    pairs = {(p.source, p.target): p for p in found}
    assert list(pairs) == sorted([(KA, KB), (KB, KA), (KB, eth)])  # in (source, target) order
    mixed = pairs[KB, eth]
    # Different assets are not added up: the total per asset says it.
    assert mixed.total is None and mixed.asset is None and mixed.totals == {"BTC": 1.0, "ETH": 3.0}
    assert mixed.as_dict()["transfers"][0]["tx_id"] == "t6"
    assert sum(p.count for p in pairs.values()) == 6
