"""Associates, pivots, money flow, communities, centrality and timelines on both stores."""

from __future__ import annotations

import pytest

from graph_model.entities import Edge, make_node
from graph_model.errors import InvalidArgument, LimitExceeded, NotFound
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from queries.associates import common_associates
from queries.centrality import centrality
from queries.communities import communities
from queries.money import money_flow
from queries.pivots import shared_infrastructure
from queries.sample import WALLETS, sample_graph
from queries.scope import Scope
from queries.timeline import timeline

INJECTION = "x' OR 1=1 //\"}) MATCH (n) DETACH DELETE n //"
GROUP, AFFILIATE, EXCHANGE, EARLY = (f"btc:{WALLETS[k]}" for k in ("group", "affiliate", "exchange", "early"))


@pytest.fixture()
def sample(store: GraphStore, model: Model) -> GraphStore:
    nodes, edges = sample_graph(model)
    store.upsert(nodes, edges)
    return store


def test_common_associates(sample: GraphStore) -> None:
    found = common_associates(sample, TLP.RED, ["group:lockbit", "group:conti", "handle:bassterlord"])
    assert [(r.node.name, r.detail["linked_to"], r.detail["of"]) for r in found] == [("wazawaka", 2, 3)]
    assert "LockBit" in found[0].why and "MEMBER_OF" in found[0].why
    # The RED insider links bassterlord and stern: not for an AMBER caller.
    assert [
        r.node.name for r in common_associates(sample, TLP.RED, ["handle:bassterlord", "handle:stern"])
    ] == ["Insider"]
    assert common_associates(sample, TLP.AMBER, ["handle:bassterlord", "handle:stern"]) == []
    assert common_associates(sample, TLP.RED, ["group:lockbit", "group:conti"], kinds=["Wallet"]) == []
    assert common_associates(sample, TLP.RED, ["group:lockbit", "group:conti"], edge_set="money") == []
    with pytest.raises(InvalidArgument):
        common_associates(sample, TLP.RED, ["group:lockbit"])
    with pytest.raises(InvalidArgument):
        common_associates(sample, TLP.RED, ["group:lockbit", "group:conti"], edge_set="bogus")
    with pytest.raises(NotFound):
        common_associates(sample, TLP.AMBER, ["group:lockbit", "person:insider"])
    with pytest.raises(NotFound):
        common_associates(sample, TLP.RED, ["group:lockbit", INJECTION])
    with pytest.raises(LimitExceeded):
        common_associates(sample, TLP.RED, [f"k{i}" for i in range(21)])


def test_shared_infrastructure_down_weights_hubs(store: GraphStore, model: Model) -> None:
    def prov(record: str, tlp: TLP = TLP.CLEAR) -> Provenance:
        return Provenance.of("pivot-test", record, tlp=tlp)

    groups = [make_node(model, "Actor", "group", f"Group{i}", prov=prov(f"g{i}")) for i in range(6)]
    domains = [
        make_node(model, "Infrastructure", "domain", f"g{i}.example", prov=prov(f"d{i}")) for i in range(6)
    ]
    small_ip = make_node(model, "Infrastructure", "ip", "198.51.100.7", prov=prov("ip"))
    hoster = make_node(model, "Infrastructure", "provider", "Huge Cloud", prov=prov("h"))
    secret = make_node(model, "Infrastructure", "ip", "198.51.100.99", prov=prov("s", TLP.RED))
    edges = [Edge("OPERATES", g.key, domains[i].key, prov(f"o{i}")) for i, g in enumerate(groups)]
    edges += [Edge("HOSTED_ON", d.key, hoster.key, prov(f"h{i}")) for i, d in enumerate(domains)]
    edges += [Edge("RESOLVES_TO", domains[i].key, small_ip.key, prov(f"r{i}")) for i in (0, 1)]
    edges += [Edge("RESOLVES_TO", domains[i].key, secret.key, prov(f"s{i}", TLP.RED)) for i in (0, 2)]
    store.upsert([*groups, *domains, small_ip, hoster, secret], edges)
    found = shared_infrastructure(store, TLP.AMBER, groups[0].key)
    # Group1 shares the small IP and the hoster; the rest only the hoster, which weighs less.
    assert found[0].node.name == "Group1"
    assert found[0].detail["shared"] == 2
    assert found[0].score > found[1].score
    assert {r.node.name for r in found} == {f"Group{i}" for i in range(1, 6)}
    assert all(r.detail["shared"] == 1 for r in found[1:])
    assert "1/ln(1 + its degree)" in found[0].why
    assert all(secret.key not in str(r.detail) and "198.51.100.99" not in r.why for r in found)
    red = shared_infrastructure(store, TLP.RED, groups[0].key)
    assert [r.node.name for r in red[:2]] == ["Group1", "Group2"]  # the RED IP counts only for RED
    with pytest.raises(LimitExceeded):
        shared_infrastructure(store, TLP.RED, groups[0].key, limit=0)
    with pytest.raises(NotFound):
        shared_infrastructure(store, TLP.RED, INJECTION)


def test_money_flow_respects_time_amount_and_services(sample: GraphStore, model: Model) -> None:
    out = money_flow(sample, TLP.CLEAR, GROUP)
    assert [(d.node.key, d.total, d.transfers, d.min_hops, d.service) for d in out.destinations] == [
        (EXCHANGE, 2.4, 1, 2, "exchange: Example Exchange"),
        (AFFILIATE, 2.5, 1, 1, None),
    ]
    assert EARLY not in {n.key for n in out.network.nodes}  # paid out before the ransom arrived
    assert {e.type for e in out.network.edges} == {"TRANSFERRED"}
    assert [d.node.key for d in money_flow(sample, TLP.CLEAR, GROUP, max_hops=1).destinations] == [AFFILIATE]
    assert [d.node.key for d in money_flow(sample, TLP.CLEAR, GROUP, min_amount=2.45).destinations] == [
        AFFILIATE
    ]
    late = money_flow(sample, TLP.CLEAR, GROUP, since="2022-03-02")
    assert late.destinations == []
    into = money_flow(sample, TLP.CLEAR, EXCHANGE, direction="in")
    assert [(d.node.key, d.min_hops) for d in into.destinations] == [(GROUP, 2), (AFFILIATE, 1)]
    early = money_flow(sample, TLP.CLEAR, AFFILIATE)
    assert {d.node.key for d in early.destinations} == {EXCHANGE, EARLY}

    # A wallet held by an actor whose role is a service is flagged through that actor.
    def prov(record: str) -> Provenance:
        return Provenance.of("money-test", record)

    desk = make_node(model, "Actor", "group", "OTC Desk", prov=prov("a"), props={"roles": ["otc desk"]})
    wallet = make_node(model, "Wallet", "btc", "bc1qotcdesk000000000000000000000000000000", prov=prov("w"))
    pay = Edge(
        "TRANSFERRED", EXCHANGE, wallet.key, prov("t"), {"amount": 1.0, "time": "2022-04-01T00:00:00Z"}
    )
    sample.upsert([desk, wallet], [Edge("OWNS", desk.key, wallet.key, prov("o")), pay])
    onward = money_flow(sample, TLP.CLEAR, AFFILIATE)
    assert EARLY in {d.node.key for d in onward.destinations}
    assert wallet.key not in {d.node.key for d in onward.destinations}  # the trail stops at the exchange
    direct = money_flow(sample, TLP.CLEAR, EXCHANGE)
    assert [(d.node.key, d.service) for d in direct.destinations] == [(wallet.key, "otc desk")]


def test_money_flow_bad_arguments(sample: GraphStore) -> None:
    for kwargs, error in (
        ({"direction": "sideways"}, InvalidArgument),
        ({"max_hops": 7}, LimitExceeded),
        ({"min_amount": -1.0}, InvalidArgument),
        ({"min_amount": float("nan")}, InvalidArgument),
        ({"since": "not a date"}, InvalidArgument),
        ({"limit": 0}, LimitExceeded),
    ):
        with pytest.raises(error):
            money_flow(sample, TLP.CLEAR, GROUP, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        money_flow(sample, TLP.CLEAR, "group:lockbit")
    with pytest.raises(NotFound):
        money_flow(sample, TLP.CLEAR, INJECTION)


def test_communities_and_centrality_never_show_or_count_hidden_nodes(sample: GraphStore) -> None:
    social = Scope(edge_set="social")
    red = communities(sample, TLP.RED, social)
    amber = communities(sample, TLP.AMBER, social)
    assert any("person:insider" in {m.key for m in c.members} for c in red)
    for found in amber:
        assert "person:insider" not in {m.key for m in found.members}
        assert found.size == len(found.members)
        assert sum(found.kinds.values()) == found.size
    assert sum(c.size for c in amber) == sum(c.size for c in red) - 1
    assert sum(c.internal_edges for c in amber) == 3  # of the 4 visible social edges, one crosses
    for metric in ("degree", "betweenness", "pagerank", "eigenvector"):
        ranked = centrality(sample, TLP.AMBER, social, metric=metric, top=50)
        assert "person:insider" not in {r.node.key for r in ranked}, metric
        assert all("of 12 entities" in r.why for r in ranked), metric
    ring = centrality(sample, TLP.RED, social, metric="betweenness", top=6)  # the RED ties close a ring
    assert len({r.score for r in ring}) == 1 and "person:insider" in {r.node.key for r in ring}
    assert ring[0].detail == {"exact": True, "nodes": 13}
    degrees = centrality(sample, TLP.AMBER, social, metric="degree", top=3)
    assert [(r.node.name, r.detail["degree"]) for r in degrees] == [
        ("Conti", 2),
        ("LockBit", 2),
        ("wazawaka", 2),
    ]
    with pytest.raises(InvalidArgument):
        centrality(sample, TLP.RED, social, metric="closeness")
    with pytest.raises(InvalidArgument):
        communities(sample, TLP.RED, social, algorithm="girvan")
    with pytest.raises(InvalidArgument):
        communities(sample, TLP.RED, Scope(kinds=(INJECTION,)))
    with pytest.raises(NotFound):
        communities(sample, TLP.AMBER, Scope(keys=("person:insider",)))


def test_timeline(sample: GraphStore) -> None:
    red = timeline(sample, TLP.RED, "handle:bassterlord")
    assert [(e.edge.type, e.other.name) for e in red] == [
        ("MEMBER_OF", "LockBit"),
        ("ASSOCIATES_WITH", "Insider"),
        ("OWNS", WALLETS["affiliate"]),
    ]
    assert [e.edge.type for e in timeline(sample, TLP.AMBER, "handle:bassterlord")] == ["MEMBER_OF", "OWNS"]
    assert len(timeline(sample, TLP.RED, "handle:bassterlord", limit=1)) == 1
    with pytest.raises(LimitExceeded):
        timeline(sample, TLP.RED, "handle:bassterlord", limit=0)
    with pytest.raises(NotFound):
        timeline(sample, TLP.AMBER, "person:insider")
