"""Markings belong to each source's statement: neither leak nor over-hide, in both stores.

A caller sees a node or edge when at least one source asserting it is within clearance, and sees exactly
what those sources contributed (``graph_model.views``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_model.entities import Edge, Node, make_node, merge_edges, merge_nodes
from graph_model.errors import NotFound
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from graph_model.store.base import TimeWindow
from graph_model.views import edge_view, node_view
from tests.undated import undated_prov

EXCHANGE = "1NDyJtNTjmwk5xPNhjgAMu4HDHigtobu1s"  # a Binance deposit address named in public reporting
VICTIM = "12t9YDPgwueZ9NyMgw519p7AA8isjr6SMw"
MULE = "1AjZPMsnmpdK2Rv9KQNfMurTXinscVro9V"
PAYOUT = "1HB5XMLmzFVj8ALj6mfBsbifRoD4miY36v"


def _prov(dataset: str, record: str, tlp: str = "CLEAR", **kw: Any) -> Provenance:
    return Provenance.of(dataset, record, tlp=tlp, **kw)


def _wallet(model: Model, address: str, prov: Provenance, **kw: Any) -> Node:
    return make_node(model, "Wallet", "btc", address, prov=prov, **kw)


def _public_exchange(model: Model) -> tuple[list[Node], list[Edge]]:
    """Public data: the victim paid the exchange; an AMBER report then names the exchange wallet too,
    with its own details and a payment from a mule that only the report knows of."""
    exchange = _wallet(model, EXCHANGE, _prov("receipts", "1"), props={"service": "Binance"})
    victim = _wallet(model, VICTIM, _prov("ransomwhere", "2"), props={"families": ["Locky"]})
    payout = _wallet(model, PAYOUT, _prov("receipts", "3"))
    mule = _wallet(model, MULE, _prov("report", "7", tlp="AMBER"))
    named = _wallet(
        model,
        EXCHANGE,
        _prov("report", "7", tlp="AMBER", first_seen="2024-02-01", confidence=95),
        name="Operation Kestrel cash-out",
        props={"families": ["Cerber"], "label_kind": ["cash-out"], "cluster": "kestrel-7"},
        ids=["wallet-cluster:kestrel-7"],
    )
    paid = Edge("TRANSFERRED", victim.key, exchange.key, _prov("btc", "tx1"), {"amount": 0.5}, "tx1")
    paid_out = Edge("TRANSFERRED", exchange.key, payout.key, _prov("btc", "tx3"), {"amount": 0.4}, "tx3")
    seen_again = Edge(
        "TRANSFERRED", victim.key, exchange.key, _prov("report", "7", tlp="AMBER"), {"asset": "BTC"}, "tx1"
    )
    cashed = Edge("TRANSFERRED", mule.key, exchange.key, _prov("report", "7", tlp="AMBER"), {}, "tx2")
    return [exchange, victim, payout, mule, named], [paid, paid_out, seen_again, cashed]


def test_public_wallet_stays_visible_after_an_amber_source_names_it(store: GraphStore, model: Model) -> None:
    nodes, edges = _public_exchange(model)
    store.upsert(nodes[:3], edges[:2])
    store.upsert(nodes[3:], edges[2:])
    key = f"btc:{EXCHANGE}"
    clear = store.get(key, clearance=TLP.CLEAR)
    assert clear.name == EXCHANGE
    assert undated_prov(clear.prov) == _prov("receipts", "1")
    assert clear.props == {"service": "Binance"}
    assert clear.ids == (key,)
    amber = store.get(key, clearance=TLP.AMBER)
    assert amber.name == "Operation Kestrel cash-out"
    assert amber.prov.sources == {"receipts#1", "report#7"} and amber.prov.tlp is TLP.AMBER
    assert amber.props["families"] == ["Cerber"] and amber.props["cluster"] == "kestrel-7"
    # The id only the AMBER report gave does not confirm the wallet to a CLEAR caller.
    with pytest.raises(NotFound):
        store.get("wallet-cluster:kestrel-7", clearance=TLP.CLEAR)
    assert store.get("wallet-cluster:kestrel-7", clearance=TLP.AMBER).key == key
    # Nor does a batch lookup (the API's DataLoader), which answers only what the caller may see.
    both = [key, "wallet-cluster:kestrel-7", "btc:nowhere"]
    assert store.get_many(both, clearance=TLP.CLEAR) == {key: clear}
    assert store.get_many(both, clearance=TLP.AMBER) == {key: amber, "wallet-cluster:kestrel-7": amber}
    assert store.neighbourhood(["wallet-cluster:kestrel-7"], clearance=TLP.CLEAR).nodes == {}
    assert store.neighbourhood(["wallet-cluster:kestrel-7"], clearance=TLP.AMBER).nodes.keys() >= {key}
    # The path victim -> exchange -> payout is there, with only what the public sources said of it.
    sub = store.neighbourhood([f"btc:{VICTIM}"], clearance=TLP.CLEAR, depth=2)
    assert set(sub.nodes) == {f"btc:{VICTIM}", key, f"btc:{PAYOUT}"}
    payment = next(e for e in sub.edges.values() if e.source == f"btc:{VICTIM}")
    assert payment.prov.sources == {"btc#tx1"} and payment.props == {"amount": 0.5}
    assert payment.prov.tlp is TLP.CLEAR and len(sub.edges) == 2
    graph = store.subgraph(clearance=TLP.CLEAR)
    route = [f"btc:{VICTIM}", key, f"btc:{PAYOUT}"]
    assert nx.shortest_path(graph, route[0], route[-1]) == route
    full = store.neighbourhood([f"btc:{VICTIM}"], clearance=TLP.AMBER, depth=2)
    assert set(full.nodes) == {f"btc:{VICTIM}", key, f"btc:{MULE}", f"btc:{PAYOUT}"}
    assert full.edges[payment.key].props == {"amount": 0.5, "asset": "BTC"}
    assert full.edges[payment.key].prov.tlp is TLP.AMBER
    # Counts, search and the whole graph hold nothing of the report for a CLEAR caller.
    assert store.stats(clearance=TLP.CLEAR).as_dict()["edges"] == {"TRANSFERRED": 2}
    assert store.stats(clearance=TLP.CLEAR).as_dict()["nodes"] == {"Wallet": 3}
    assert store.stats(clearance=TLP.AMBER).as_dict()["edges"] == {"TRANSFERRED": 3}
    for word in ("kestrel", "cerber", "operation"):
        assert store.search(word, clearance=TLP.CLEAR) == [], word
        assert [n.key for n in store.search(word, clearance=TLP.AMBER)] == [key], word
    assert [n.key for n in store.search(EXCHANGE[:10], clearance=TLP.CLEAR)] == [key]
    assert graph.nodes[key]["sources"] == ["receipts#1"] and graph.nodes[key]["tlp"] == "CLEAR"
    assert "cluster" not in graph.nodes[key]
    assert {d["tlp"] for _, _, d in graph.edges(data=True)} == {"CLEAR"}


def test_red_only_name_falls_back_to_a_visible_one(store: GraphStore, model: Model) -> None:
    """A name a RED source gives never reaches a GREEN caller; a key stands in when no one else names it."""
    uuid = "intrusion-set--2a158b0a-7ef8-43cb-9985-bf34d1e12050"
    red = make_node(model, "Actor", "group", "Evil Corp", uuid=uuid, prov=_prov("liaison", "1", tlp="RED"))
    green = make_node(model, "Actor", "group", None, uuid=uuid, prov=_prov("feed", "2", tlp="GREEN"))
    store.upsert([red])
    store.upsert([green])
    seen = store.get(red.key, clearance=TLP.GREEN)
    assert seen.name == red.key and "aliases" not in seen.props
    assert store.get(red.key, clearance=TLP.RED).name == "Evil Corp"
    assert store.search("evil", clearance=TLP.AMBER_STRICT) == []
    assert [n.name for n in store.search("evil", clearance=TLP.RED)] == ["Evil Corp"]


# -- the property: for every clearance, the view is the merge of exactly the visible contributions ------
@dataclass(frozen=True)
class Statement:
    """One source's record about the exchange wallet (and maybe a payment into it)."""

    level: TLP
    name: str | None
    props: dict[str, Any]
    confidence: int
    first_seen: str | None
    amount: float | None  # a payment from the victim, when the source reports one


statements = st.builds(
    Statement,
    level=st.sampled_from(list(TLP)),
    name=st.sampled_from([None, "Binance", "Binance hot wallet", "Kestrel cash-out"]),
    props=st.fixed_dictionaries(
        {},
        optional={
            "service": st.sampled_from(["Binance", "Huobi"]),
            "families": st.lists(st.sampled_from(["Locky", "Cerber", "Ryuk"]), min_size=1, max_size=2),
            "received_usd": st.sampled_from([10.0, 2500.5]),
        },
    ),
    confidence=st.integers(0, 100),
    first_seen=st.sampled_from([None, "2019-01-01T00:00:00Z", "2023-06-30T12:00:00Z"]),
    amount=st.sampled_from([None, 0.25, 3.0]),
)


def _records(model: Model, said: list[Statement]) -> tuple[list[Node], list[Edge]]:
    nodes: list[Node] = []
    edges: list[Edge] = []
    for i, s in enumerate(said):
        prov = _prov("src", str(i), s.level.label, first_seen=s.first_seen, confidence=s.confidence)
        nodes.append(_wallet(model, EXCHANGE, prov, name=s.name, props=dict(s.props)))
        if s.amount is not None:
            props = {"amount": s.amount}
            edges.append(Edge("TRANSFERRED", f"btc:{VICTIM}", f"btc:{EXCHANGE}", prov, props, "tx"))
    return nodes, edges


SLIM_NODE_PROPS = ("service", "families", "received_usd")


def _slim_read(store: GraphStore, clearance: TLP) -> list[str]:
    """What the whole-graph slim read (``topology``) gives, as comparable text."""
    nodes, edges = store.topology(
        clearance=clearance, node_props=SLIM_NODE_PROPS, edge_props=("amount",), props_of=["TRANSFERRED"]
    )
    return _comparable(nodes, edges)


def _comparable(nodes: Any, edges: Any) -> list[str]:
    return sorted(repr((k, sorted(a.items()))) for k, a in nodes) + sorted(
        repr((u, v, t, sorted(a.items()))) for u, v, t, a in edges
    )


def _slim_subgraph(store: GraphStore, clearance: TLP) -> list[str]:
    """The same, slimmed independently from ``subgraph`` (the full views)."""
    graph = store.subgraph(clearance=clearance)
    nodes = [
        (
            k,
            {
                "kind": a["kind"],
                "type": a["type"],
                "name": a["name"],
                **{p: a[p] for p in SLIM_NODE_PROPS if p in a},
            },
        )
        for k, a in graph.nodes(data=True)
    ]
    edges = [
        (u, v, a["type"], {"amount": a["amount"]} if "amount" in a else {})
        for u, v, a in graph.edges(data=True)
    ]
    return _comparable(nodes, edges)


def _check_views(store: GraphStore, model: Model, said: list[Statement], one_batch: bool) -> None:
    store.clear()
    victim = _wallet(model, VICTIM, _prov("public", "v"))
    nodes, edges = _records(model, said)
    if one_batch:
        store.upsert([victim, *nodes], edges)
    else:
        store.upsert([victim])
        for node in nodes:
            store.upsert([node], [e for e in edges if e.prov.sources == node.prov.sources])
    key = f"btc:{EXCHANGE}"
    for clearance in TLP:
        assert _slim_read(store, clearance) == _slim_subgraph(store, clearance), clearance
        visible = [n for n in nodes if n.prov.tlp <= clearance]
        told = [s for s in said if s.level <= clearance]
        hidden_words = {f for s in said if s.level > clearance for f in s.props.get("families", ())}
        shown_words = {f for s in said if s.level <= clearance for f in s.props.get("families", ())}
        stats = store.stats(clearance=clearance).as_dict()
        if not visible:
            with pytest.raises(NotFound):
                store.get(key, clearance=clearance)
            assert stats["nodes"] == {"Wallet": 1} and stats["total_edges"] == 0
            assert store.search(EXCHANGE, clearance=clearance) == []
            continue
        expected = visible[0]
        for node in visible[1:]:
            expected = merge_nodes(expected, node)
        view = node_view(expected, clearance)
        assert view is not None
        got = store.get(key, clearance=clearance)
        assert got == view, clearance
        # Independently of the merge code: nothing from a hidden source in any field.
        assert got.prov.sources == set().union(*(n.prov.sources for n in visible))
        assert got.prov.tlp == max(s.level for s in told)
        assert got.prov.confidence == max(s.confidence for s in told)
        assert got.name in {n.name for n in visible}
        assert set(got.props.get("families", ())) == shown_words
        assert got.props.get("service") in {None, *(s.props.get("service") for s in told)}
        assert stats["nodes"] == {"Wallet": 2}
        for word in hidden_words - shown_words:
            assert store.search(word, clearance=clearance) == [], (word, clearance)
        for word in shown_words:
            assert [n.key for n in store.search(word, clearance=clearance)] == [key], (word, clearance)
        paid = [e for e in edges if e.prov.tlp <= clearance]
        sub = store.neighbourhood([victim.key], clearance=clearance)
        assert stats["total_edges"] == (1 if paid else 0)
        if paid:
            want = paid[0]
            for edge in paid[1:]:
                want = merge_edges(want, edge)
            (edge,) = sub.edges.values()
            assert edge == edge_view(want, clearance)
            assert edge.prov.sources == set().union(*(e.prov.sources for e in paid))
            assert edge.props["amount"] in {e.props["amount"] for e in paid}
        else:
            assert sub.edges == {} and set(sub.nodes) == {victim.key}


def test_views_are_the_merge_of_exactly_the_visible_sources(store: GraphStore, model: Model) -> None:
    examples = 60 if type(store).__name__ == "EmbeddedStore" else 12

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(statements, min_size=1, max_size=6), st.booleans())
    def check(said: list[Statement], one_batch: bool) -> None:
        _check_views(store, model, said, one_batch)

    check()


@pytest.mark.parametrize("bound", ["since", "until"])
def test_a_time_window_filters_by_the_dates_the_caller_sees(
    store: GraphStore, model: Model, bound: str
) -> None:
    """A link a public source saw in 2020 and an AMBER report in 2024 is, to a CLEAR caller, a 2020
    link: a window from 2023 must not return it (nor count it for a hub), or the caller learns that a
    source it may not see placed the link there. And the other way round for ``until``."""
    old, new = "2020-05-01T00:00:00Z", "2024-02-01T00:00:00Z"
    public, report = (old, new) if bound == "since" else (new, old)
    window = TimeWindow(since="2023-01-01") if bound == "since" else TimeWindow(until="2021-01-01")
    victim = _wallet(model, VICTIM, _prov("ransomwhere", "1"))
    exchange = _wallet(model, EXCHANGE, _prov("receipts", "2"))
    seen = [
        Edge("TRANSFERRED", victim.key, exchange.key, _prov("btc", "tx1", first_seen=public), {}, "tx1"),
        Edge(
            "TRANSFERRED",
            victim.key,
            exchange.key,
            _prov("report", "7", "AMBER", first_seen=report),
            {},
            "tx1",
        ),
    ]
    store.upsert([victim, exchange], seen[:1])
    store.upsert([], seen[1:])
    types = frozenset({"TRANSFERRED"})
    for clearance, shown in ((TLP.CLEAR, False), (TLP.GREEN, False), (TLP.AMBER, True), (TLP.RED, True)):
        links = store.links([victim.key], clearance=clearance, types=types, window=window)
        assert bool(links) is shown, clearance
        near = store.near([victim.key, exchange.key], clearance=clearance, types=types, window=window, cap=5)
        assert near[victim.key].degree == near[exchange.key].degree == int(shown), clearance
        sub = store.neighbourhood([victim.key], clearance=clearance, window=window)
        assert set(sub.nodes) == ({victim.key, exchange.key} if shown else {victim.key}), clearance
        # Without a window the link is there for everyone, with the dates each may see.
        (edge,) = store.neighbourhood([victim.key], clearance=clearance).edges.values()
        assert edge.prov.first_seen == (min(public, report) if shown else public), clearance
