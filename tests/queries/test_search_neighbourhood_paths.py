"""node, search, neighbourhood and paths on both stores: answers, clearance, hubs, typed errors."""

from __future__ import annotations

import pytest

from graph_model.entities import Edge, make_node
from graph_model.errors import InvalidArgument, LimitExceeded, NotFound
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from queries.neighbourhood import neighbourhood
from queries.paths import paths
from queries.sample import sample_graph
from queries.search import node, search

INJECTION = "x' OR 1=1 //\"}) MATCH (n) DETACH DELETE n //"


@pytest.fixture()
def sample(store: GraphStore, model: Model) -> GraphStore:
    nodes, edges = sample_graph(model)
    store.upsert(nodes, edges)
    return store


def test_node_by_key_and_identifier_and_not_above_clearance(sample: GraphStore) -> None:
    assert node(sample, TLP.CLEAR, "group:lockbit").name == "LockBit"
    assert node(sample, TLP.RED, "person:insider").name == "Insider"
    with pytest.raises(NotFound) as hidden:
        node(sample, TLP.AMBER, "person:insider")
    with pytest.raises(NotFound) as missing:
        node(sample, TLP.AMBER, "person:nobody")
    assert str(hidden.value).replace("insider", "nobody") == str(missing.value)


def test_search_kinds_paging_and_clearance(sample: GraphStore) -> None:
    everything = search(sample, TLP.RED, "example", limit=50)
    assert {n.name for n in everything} >= {"lockbit-leaks.example", "conti-news.example"}
    pages = [n.key for n in search(sample, TLP.RED, "example", limit=1, offset=1)]
    assert pages == [everything[1].key]
    assert [n.name for n in search(sample, TLP.CLEAR, "insider")] == []
    assert [n.name for n in search(sample, TLP.RED, "insider", kinds=["Actor"])] == ["Insider"]
    assert search(sample, TLP.RED, "insider", kinds=["Wallet"]) == []
    assert search(sample, TLP.RED, INJECTION) == []
    with pytest.raises(InvalidArgument):
        search(sample, TLP.RED, "lock", kinds=["Person"])
    with pytest.raises(LimitExceeded):
        search(sample, TLP.RED, "lock", limit=10_000)
    with pytest.raises(InvalidArgument):
        search(sample, TLP.RED, "lock", offset=-1)


def test_neighbourhood_filters_and_clearance(sample: GraphStore) -> None:
    one = neighbourhood(sample, TLP.RED, ["handle:bassterlord"], depth=1)
    assert {n.name for n in one.nodes} == {"bassterlord", "LockBit", "Insider", WALLET["affiliate"]}
    assert all(e.source in {n.key for n in one.nodes} for e in one.edges)
    clear = neighbourhood(sample, TLP.AMBER, ["handle:bassterlord"], depth=2)
    assert "person:insider" not in {n.key for n in clear.nodes}
    assert all(e.prov.tlp <= TLP.AMBER for e in clear.edges)
    assert "handle:stern" not in {n.key for n in clear.nodes}  # only through the RED insider at depth 2
    social = neighbourhood(sample, TLP.RED, ["handle:bassterlord"], depth=2, edge_set="social")
    assert {e.type for e in social.edges} == {"MEMBER_OF", "ASSOCIATES_WITH"}
    actors = neighbourhood(sample, TLP.RED, ["group:lockbit"], depth=2, kinds=["Actor"])
    assert {n.kind for n in actors.nodes} == {"Actor"}
    early = neighbourhood(sample, TLP.RED, ["group:lockbit"], depth=1, until="2021-01-31")
    assert {e.type for e in early.edges} == {"MEMBER_OF"}  # OWNS is undated: left out, and counted
    assert early.undated_left_out == 1
    asked = neighbourhood(
        sample, TLP.RED, ["group:lockbit"], depth=1, until="2021-01-31", include_undated=True
    )
    assert {e.type for e in asked.edges} == {"MEMBER_OF", "OWNS"} and asked.undated_left_out == 0
    capped = neighbourhood(sample, TLP.RED, ["group:lockbit"], depth=2, limit=3)
    assert len(capped.nodes) == 3 and capped.truncated


def test_hub_hidden_count_never_counts_what_the_caller_cannot_see(store: GraphStore, model: Model) -> None:
    def prov(record: str, tlp: TLP = TLP.CLEAR) -> Provenance:
        return Provenance.of("hub-test", record, tlp=tlp)

    hoster = make_node(model, "Infrastructure", "provider", "Big Hoster", prov=prov("h"))
    domains = [
        make_node(model, "Infrastructure", "domain", f"site{i}.example", prov=prov(f"d{i}", tlp))
        for i, tlp in enumerate([TLP.CLEAR] * 6 + [TLP.RED] * 4)
    ]
    edges = [Edge("HOSTED_ON", d.key, hoster.key, prov(f"e{d.key}")) for d in domains]
    store.upsert([hoster, *domains], edges)
    red = neighbourhood(store, TLP.RED, [hoster.key], hub_cap=3)
    assert (len(red.nodes), red.collapsed, red.hidden_count) == (4, {hoster.key: 7}, 7)
    amber = neighbourhood(store, TLP.AMBER, [hoster.key], hub_cap=3)
    assert (len(amber.nodes), amber.collapsed) == (4, {hoster.key: 3})
    assert all(n.prov.tlp == TLP.CLEAR for n in amber.nodes)
    assert len(amber.edges) == 3
    whole = neighbourhood(store, TLP.AMBER, [hoster.key], hub_cap=6)
    assert (len(whole.nodes), whole.collapsed) == (7, {})


def test_neighbourhood_bad_arguments(sample: GraphStore) -> None:
    with pytest.raises(LimitExceeded):
        neighbourhood(sample, TLP.RED, ["group:lockbit"], depth=5)
    with pytest.raises(LimitExceeded):
        neighbourhood(sample, TLP.RED, ["group:lockbit"], limit=100_000)
    with pytest.raises(InvalidArgument):
        neighbourhood(sample, TLP.RED, ["group:lockbit"], edge_set="bogus")
    with pytest.raises(InvalidArgument):
        neighbourhood(sample, TLP.RED, ["group:lockbit"], kinds=["Bogus"])
    with pytest.raises(InvalidArgument):
        neighbourhood(sample, TLP.RED, ["group:lockbit"], since="yesterday")
    with pytest.raises(InvalidArgument):
        neighbourhood(sample, TLP.RED, [])
    with pytest.raises(NotFound):
        neighbourhood(sample, TLP.RED, [INJECTION])


def test_paths_only_through_visible_nodes(sample: GraphStore) -> None:
    red = paths(sample, TLP.RED, "handle:bassterlord", "handle:stern", k=3)
    assert [p.length for p in red] == [2, 4, 6]
    assert [n.name for n in red[0].nodes] == ["bassterlord", "Insider", "stern"]
    amber = paths(sample, TLP.AMBER, "handle:bassterlord", "handle:stern", k=10)
    assert [p.length for p in amber] == [4, 6, 6]
    for path in amber:
        assert all(n.prov.tlp <= TLP.AMBER for n in path.nodes)
        assert all(e.prov.tlp <= TLP.AMBER for e in path.edges)
        for (a, b), edge in zip(zip(path.nodes, path.nodes[1:], strict=False), path.edges, strict=True):
            assert {edge.source, edge.target} == {a.key, b.key}
    assert paths(sample, TLP.AMBER, "handle:bassterlord", "handle:stern", max_length=3) == []
    social = paths(sample, TLP.RED, "handle:bassterlord", "handle:stern", edge_set="social", k=5)
    assert [p.length for p in social] == [2, 4]
    actors = paths(sample, TLP.AMBER, "handle:bassterlord", "handle:stern", kinds=["Actor"], k=5)
    assert [p.length for p in actors] == [4]
    assert paths(sample, TLP.RED, "group:lockbit", "group:lockbit")[0].length == 0


def test_paths_bad_arguments(sample: GraphStore) -> None:
    with pytest.raises(LimitExceeded):
        paths(sample, TLP.RED, "group:lockbit", "group:conti", max_length=9)
    with pytest.raises(LimitExceeded):
        paths(sample, TLP.RED, "group:lockbit", "group:conti", k=21)
    with pytest.raises(InvalidArgument):
        paths(sample, TLP.RED, "group:lockbit", "group:conti", edge_set="nope")
    with pytest.raises(NotFound):
        paths(sample, TLP.AMBER, "group:lockbit", "person:insider")
    with pytest.raises(NotFound):
        paths(sample, TLP.RED, "group:lockbit", INJECTION)


WALLET = {"affiliate": "bc1qaffiliate00000000000000000000000000"}
