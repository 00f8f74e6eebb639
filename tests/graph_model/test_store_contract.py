"""The store contract, run against both the embedded store and a real Neo4j server."""

from __future__ import annotations

import pytest

from graph_model.entities import Edge, Node, make_node
from graph_model.errors import NotFound, ValidationError
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore, TimeWindow
from tests.undated import undated_prov


def _prov(dataset: str, record: str, tlp: str = "CLEAR", **kw: object) -> Provenance:
    return Provenance.of(dataset, record, tlp=tlp, **kw)  # type: ignore[arg-type]


@pytest.fixture()
def ecosystem(model: Model) -> tuple[list[Node], list[Edge]]:
    """A small ecosystem named after real ATT&CK / abuse.ch entities: APT28 uses X-Agent, C2 on a RED IP."""
    apt28 = make_node(
        model,
        "Actor",
        "group",
        "APT28",
        uuid="intrusion-set--bef4c620-0787-42a8-a96d-b7eb6e85917c",
        prov=_prov("attack", "G0007"),
        props={"aliases": ["Fancy Bear", "Sofacy"], "attack_id": "G0007"},
        ids=["attack:G0007"],
    )
    xagent = make_node(model, "Malware", "malware", "X-Agent", prov=_prov("attack", "S0161"))
    c2 = make_node(model, "Infrastructure", "ip", "185.86.148.227", prov=_prov("intel", "r1", tlp="RED"))
    asn = make_node(model, "Infrastructure", "asn", "AS9009", name="M247", prov=_prov("intel", "r2"))
    domain = make_node(model, "Infrastructure", "domain", "Microsoft-Updater.NET", prov=_prov("intel", "r3"))
    edges = [
        Edge("USES", apt28.key, xagent.key, _prov("attack", "rel-1", first_seen="2015-01-01")),
        Edge(
            "COMMUNICATES_WITH", xagent.key, c2.key, _prov("intel", "r1", tlp="AMBER"), {"port": 443}, "443"
        ),
        Edge("BELONGS_TO", c2.key, asn.key, _prov("intel", "r1")),
        Edge("COMMUNICATES_WITH", xagent.key, domain.key, _prov("intel", "r3", first_seen="2016-06-01")),
        Edge("RESOLVES_TO", domain.key, asn.key, _prov("intel", "r4", first_seen="2016-06-01")),
    ]
    return [apt28, xagent, c2, asn, domain], edges


def test_upsert_then_reload_changes_nothing(
    store: GraphStore, ecosystem: tuple[list[Node], list[Edge]]
) -> None:
    nodes, edges = ecosystem
    first = store.upsert(nodes, edges)
    assert (first.nodes_new, first.edges_new) == (5, 5)
    before = store.stats(clearance=TLP.RED).as_dict()
    again = store.upsert(nodes, edges)
    assert (again.nodes_new, again.edges_new) == (0, 0)
    assert store.stats(clearance=TLP.RED).as_dict() == before
    assert before == {
        "total_nodes": 5,
        "total_edges": 5,
        "nodes": {"Actor": 1, "Infrastructure": 3, "Malware": 1},
        "edges": {"BELONGS_TO": 1, "COMMUNICATES_WITH": 2, "RESOLVES_TO": 1, "USES": 1},
    }


def test_same_entity_from_two_sources_is_one_node(store: GraphStore, model: Model) -> None:
    a = make_node(
        model, "Wallet", "btc", "12t9YDPgwueZ9NyMgw519p7AA8isjr6SMw", prov=_prov("ransomwhere", "1")
    )
    b = make_node(model, "Wallet", "btc", " 12t9YDPgwueZ9NyMgw519p7AA8isjr6SMw ", prov=_prov("receipts", "7"))
    d1 = make_node(model, "Infrastructure", "domain", "Bücher.example", prov=_prov("threatfox", "1"))
    d2 = make_node(model, "Infrastructure", "domain", "xn--bcher-kva.EXAMPLE.", prov=_prov("feodo", "2"))
    store.upsert([a, d1])
    result = store.upsert([b, d2])
    assert (result.nodes_new, result.nodes_merged) == (0, 2)
    wallet = store.get("btc:12t9YDPgwueZ9NyMgw519p7AA8isjr6SMw", clearance=TLP.CLEAR)
    assert wallet.prov.sources == {"ransomwhere#1", "receipts#7"}
    domain = store.get("domain:xn--bcher-kva.example", clearance=TLP.CLEAR)
    assert domain.prov.sources == {"threatfox#1", "feodo#2"}
    assert store.stats(clearance=TLP.RED).as_dict()["total_nodes"] == 2


def test_merge_through_shared_identifier(store: GraphStore, model: Model) -> None:
    """A node carrying an id of an existing node merges into it, whatever its own key."""
    attack = make_node(
        model,
        "Malware",
        "malware",
        "Cobalt Strike",
        uuid="malware--aafea02e-ece5-4bb2-91a6-3bf8c7f38a39",
        prov=_prov("attack", "S0154"),
        ids=["software:cobalt strike", "attack:S0154"],
    )
    threatfox = make_node(
        model, "Malware", "malware", "cobalt strike", prov=_prov("threatfox", "win.cobalt_strike")
    )
    store.upsert([attack])
    store.upsert([threatfox])
    node = store.get("software:cobalt strike", clearance=TLP.CLEAR)
    assert node.key == "uuid:aafea02e-ece5-4bb2-91a6-3bf8c7f38a39"
    assert node.name == "Cobalt Strike"
    assert node.prov.sources == {"attack#S0154", "threatfox#win.cobalt_strike"}
    assert store.get("attack:S0154", clearance=TLP.CLEAR).key == node.key


def test_provenance_merge_rules(store: GraphStore, model: Model) -> None:
    early = make_node(
        model,
        "Infrastructure",
        "ip",
        "45.9.148.108",
        prov=_prov("a", "1", first_seen="2021-03-01", confidence=40),
    )
    late = make_node(
        model,
        "Infrastructure",
        "ip",
        "45.9.148.108",
        prov=_prov("b", "2", tlp="AMBER", first_seen="2023-05-01T10:00:00Z", confidence=90),
    )
    store.upsert([late])
    store.upsert([early])
    node = store.get("ip:45.9.148.108", clearance=TLP.RED)
    assert node.prov.first_seen == "2021-03-01T00:00:00Z"
    assert node.prov.last_seen == "2023-05-01T10:00:00Z"
    assert node.prov.confidence == 90
    assert node.prov.tlp is TLP.AMBER
    # Markings belong to each source: a CLEAR caller sees the node as the CLEAR source gave it.
    clear = store.get("ip:45.9.148.108", clearance=TLP.CLEAR)
    assert undated_prov(clear.prov) == _prov("a", "1", first_seen="2021-03-01", confidence=40)


def test_red_is_invisible_to_green(store: GraphStore, ecosystem: tuple[list[Node], list[Edge]]) -> None:
    nodes, edges = ecosystem
    store.upsert(nodes, edges)
    red_ip = "ip:185.86.148.227"
    assert store.get(red_ip, clearance=TLP.RED).name == "185.86.148.227"
    with pytest.raises(NotFound):
        store.get(red_ip, clearance=TLP.GREEN)
    assert store.search("185.86", clearance=TLP.GREEN) == []
    assert [n.key for n in store.search("185.86", clearance=TLP.RED)] == [red_ip]
    green = store.stats(clearance=TLP.GREEN).as_dict()
    assert green["nodes"]["Infrastructure"] == 2
    assert green["edges"] == {"COMMUNICATES_WITH": 1, "RESOLVES_TO": 1, "USES": 1}
    # The AS is reachable from X-Agent only through the RED IP (hop) or via the domain.
    sub = store.neighbourhood(["software:x-agent"], clearance=TLP.GREEN, depth=2, edge_set="infrastructure")
    assert red_ip not in sub.nodes
    assert set(sub.nodes) == {"software:x-agent", "domain:microsoft-updater.net", "asn:9009"}
    assert all(red_ip not in (e.source, e.target) for e in sub.edges.values())
    full = store.neighbourhood(["software:x-agent"], clearance=TLP.RED, depth=1, edge_set="infrastructure")
    assert red_ip in full.nodes


def test_red_hop_hides_what_lies_behind_it(store: GraphStore, model: Model) -> None:
    a = make_node(model, "Actor", "handle", "wazawaka", prov=_prov("x", "1"))
    hop = make_node(model, "Wallet", "btc", "bc1qhopaddress", prov=_prov("x", "2", tlp="RED"))
    c = make_node(model, "Wallet", "btc", "bc1qbehindaddress", prov=_prov("x", "3"))
    store.upsert(
        [a, hop, c],
        [
            Edge("OWNS", a.key, hop.key, _prov("x", "4")),
            Edge("TRANSFERRED", hop.key, c.key, _prov("x", "5"), {"amount": 1.5}, "tx1"),
        ],
    )
    sub = store.neighbourhood([a.key], clearance=TLP.AMBER, depth=3)
    assert set(sub.nodes) == {a.key}
    assert store.neighbourhood([a.key], clearance=TLP.RED, depth=3).nodes.keys() == {a.key, hop.key, c.key}


def test_neighbourhood_filters(store: GraphStore, ecosystem: tuple[list[Node], list[Edge]]) -> None:
    nodes, edges = ecosystem
    store.upsert(nodes, edges)
    apt = "attack:G0007"
    one = store.neighbourhood([apt], clearance=TLP.RED, depth=1)
    assert set(one.nodes) == {"uuid:bef4c620-0787-42a8-a96d-b7eb6e85917c", "software:x-agent"}
    kinds = store.neighbourhood([apt], clearance=TLP.RED, depth=3, kinds=["Actor", "Malware"])
    assert {n.kind for n in kinds.nodes.values()} == {"Actor", "Malware"}
    window = TimeWindow(since="2016-01-01", until="2016-12-31")
    timed = store.neighbourhood(["software:x-agent"], clearance=TLP.RED, depth=1, window=window)
    # USES ends 2015 (outside); the C2 edge has no date (left out); the domain edge is in 2016.
    assert set(timed.nodes) == {"software:x-agent", "domain:microsoft-updater.net"}
    assert (
        store.undated_links(["software:x-agent"], clearance=TLP.RED, types=frozenset({"COMMUNICATES_WITH"}))
        == 1
    )
    window = TimeWindow(since="2016-01-01", until="2016-12-31", include_undated=True)
    timed = store.neighbourhood(["software:x-agent"], clearance=TLP.RED, depth=1, window=window)
    assert set(timed.nodes) == {"software:x-agent", "ip:185.86.148.227", "domain:microsoft-updater.net"}
    capped = store.neighbourhood(["software:x-agent"], clearance=TLP.RED, depth=2, limit=2)
    assert capped.truncated and len(capped.nodes) == 2
    assert capped.nodes.keys() == {"software:x-agent", "domain:microsoft-updater.net"}


def test_search_by_alias_and_kind(store: GraphStore, ecosystem: tuple[list[Node], list[Edge]]) -> None:
    nodes, edges = ecosystem
    store.upsert(nodes, edges)
    assert [n.name for n in store.search("fancy bear", clearance=TLP.CLEAR)] == ["APT28"]
    assert [n.name for n in store.search("sofa", clearance=TLP.CLEAR, kinds=["Actor"])] == ["APT28"]
    assert store.search("sofa", clearance=TLP.CLEAR, kinds=["Malware"]) == []
    assert store.search('") OR 1=1 //', clearance=TLP.CLEAR) == []


def test_subgraph_as_networkx(store: GraphStore, ecosystem: tuple[list[Node], list[Edge]]) -> None:
    nodes, edges = ecosystem
    store.upsert(nodes, edges)
    graph = store.subgraph(clearance=TLP.GREEN, edge_set="infrastructure")
    assert graph.number_of_nodes() == 4
    assert graph.number_of_edges() == 2
    assert graph.nodes["asn:9009"]["name"] == "M247"
    money = store.subgraph(clearance=TLP.RED, kinds=["Malware", "Infrastructure"])
    assert sorted(d["type"] for _, _, d in money.edges(data=True)) == [
        "BELONGS_TO",
        "COMMUNICATES_WITH",
        "COMMUNICATES_WITH",
        "RESOLVES_TO",
    ]


def test_edges_wait_for_their_endpoint(store: GraphStore, model: Model) -> None:
    misp = make_node(
        model,
        "Actor",
        "group",
        "Sofacy",
        uuid="7cdd1e4d-3d33-4d6f-9b8e-5ec0a0c07a7b",
        prov=_prov("misp", "1"),
    )
    edge = Edge("SIMILAR_TO", misp.key, "uuid:bef4c620-0787-42a8-a96d-b7eb6e85917c", _prov("misp", "1"))
    first = store.upsert([misp], [edge])
    assert (first.edges_new, first.edges_pending) == (0, 1)
    assert store.stats(clearance=TLP.RED).as_dict()["total_edges"] == 0
    later = make_node(
        model,
        "Actor",
        "group",
        "APT28",
        uuid="bef4c620-0787-42a8-a96d-b7eb6e85917c",
        prov=_prov("attack", "G0007"),
    )
    second = store.upsert([later])
    assert second.edges_new == 1
    assert store.stats(clearance=TLP.RED).as_dict()["edges"] == {"SIMILAR_TO": 1}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Node("x:1", "Spaceship", "x", "x", Provenance.of("t")), "unknown node kind"),
        (Node("", "Actor", "person", "x", Provenance.of("t")), "missing key"),
        (Node("person:x", "Actor", "person", "x", Provenance.of("t"), {"aliases": "not-a-list"}), "aliases"),
        (Node("person:x", "Actor", "person", "x", Provenance.of("t"), {"warp": 9}), "no property 'warp'"),
        (Node("person:x", "Actor", "person", "x", Provenance.of("t", confidence=101)), "confidence"),
    ],
)
def test_bad_input_rejects_the_whole_batch(store: GraphStore, model: Model, bad: Node, message: str) -> None:
    good = make_node(model, "Actor", "handle", "lockbitsupp", prov=_prov("t", "1"))
    with pytest.raises(ValidationError, match=message) as info:
        store.upsert([good, bad])
    assert info.value.record == (bad.key or "<node without key>")
    assert store.stats(clearance=TLP.RED).as_dict()["total_nodes"] == 0


def test_bad_edge_property_type(store: GraphStore, model: Model) -> None:
    a = make_node(model, "Wallet", "btc", "1A", prov=_prov("t", "1"))
    b = make_node(model, "Wallet", "btc", "1B", prov=_prov("t", "1"))
    bad = Edge("TRANSFERRED", a.key, b.key, _prov("t", "2"), {"amount": "lots"})
    with pytest.raises(ValidationError, match="TRANSFERRED.amount") as info:
        store.upsert([a, b], [bad])
    assert "btc:1A -> btc:1B" in str(info.value.record)
    assert store.stats(clearance=TLP.RED).as_dict()["total_nodes"] == 0


def test_clear(store: GraphStore, ecosystem: tuple[list[Node], list[Edge]]) -> None:
    store.upsert(*ecosystem)
    store.clear()
    assert store.stats(clearance=TLP.RED).as_dict() == {
        "total_nodes": 0,
        "total_edges": 0,
        "nodes": {},
        "edges": {},
    }


def test_no_self_loop_when_both_ends_are_one_entity(store: GraphStore, model: Model) -> None:
    """MISP says 'Sofacy similar to APT28'; once both are one node the link is identity, not an edge."""
    a = make_node(
        model,
        "Actor",
        "group",
        "APT28",
        uuid="bef4c620-0787-42a8-a96d-b7eb6e85917c",
        prov=_prov("attack", "G0007"),
        ids=["attack:G0007"],
    )
    b = make_node(
        model,
        "Actor",
        "group",
        "Sofacy",
        uuid="7cdd1e4d-3d33-4d6f-9b8e-5ec0a0c07a7b",
        prov=_prov("misp", "1"),
        ids=["attack:G0007"],
    )
    similar = Edge("SIMILAR_TO", b.key, a.key, _prov("misp", "1"))
    store.upsert([a, b], [similar])
    assert store.stats(clearance=TLP.RED).as_dict()["total_edges"] == 0
    owns = Edge("ASSOCIATES_WITH", b.key, a.key, _prov("misp", "2"))
    store.upsert([], [owns])
    assert store.stats(clearance=TLP.RED).as_dict()["edges"] == {"ASSOCIATES_WITH": 1}


def test_shared_identifier_never_merges_different_kinds(store: GraphStore, model: Model) -> None:
    actor = make_node(
        model,
        "Actor",
        "group",
        "APT28",
        uuid="bef4c620-0787-42a8-a96d-b7eb6e85917c",
        prov=_prov("attack", "G0007"),
        ids=["attack:G0007"],
    )
    wrong = make_node(model, "Malware", "malware", "Sednit", prov=_prov("bad", "1"), ids=["attack:G0007"])
    store.upsert([actor])
    store.upsert([wrong])
    assert store.stats(clearance=TLP.RED).as_dict()["nodes"] == {"Actor": 1, "Malware": 1}
    assert store.get("attack:G0007", clearance=TLP.RED).kind == "Actor"
    store.upsert([wrong, actor])
    assert store.stats(clearance=TLP.RED).as_dict()["nodes"] == {"Actor": 1, "Malware": 1}


def test_search_follows_merges(store: GraphStore, model: Model) -> None:
    """A merge that changes a node's words updates its search entry; one that does not keeps it."""
    wallet = make_node(model, "Wallet", "btc", "1Dice8EMZmqKvrGE4Qc9bUFf9PX3xaYDp", prov=_prov("tx", "1"))
    store.upsert([wallet])
    described = make_node(
        model, "Wallet", "btc", wallet.name, prov=_prov("wallets", "2"), props={"families": ["Locky"]}
    )
    store.upsert([described])
    assert [n.key for n in store.search("locky", clearance=TLP.CLEAR)] == [wallet.key]
    dated = make_node(
        model, "Wallet", "btc", wallet.name, prov=_prov("wallets", "3", first_seen="2012-04-01")
    )
    store.upsert([dated])  # new provenance, same words
    for words in ("locky", "1dice8"):
        assert [n.key for n in store.search(words, clearance=TLP.CLEAR)] == [wallet.key], words


def test_links_edges_and_nodes_walk_only_what_the_caller_sees(
    store: GraphStore, ecosystem: tuple[list[Node], list[Edge]], model: Model
) -> None:
    nodes, edges = ecosystem
    store.upsert(nodes, edges)
    xagent, red_ip = "software:x-agent", "ip:185.86.148.227"
    every = model.edge_types()
    red = store.links([xagent], clearance=TLP.RED, types=every)
    assert [(link.type, link.source, link.target) for link in red] == sorted(
        (e.type, e.source, e.target) for e in store.neighbourhood([xagent], clearance=TLP.RED).edges.values()
    )
    assert [link.key for link in red] == sorted(link.key for link in red)
    c2 = next(link for link in red if link.target == red_ip)
    assert (c2.source_kind, c2.target_kind, c2.other(xagent), c2.other_kind(xagent)) == (
        "Malware",
        "Infrastructure",
        red_ip,
        "Infrastructure",
    )
    # The C2 edge is AMBER and its IP RED: an AMBER caller's walk neither sees nor crosses them.
    amber = store.links([xagent, red_ip], clearance=TLP.AMBER, types=every)
    assert red_ip not in {end for link in amber for end in (link.source, link.target)}
    assert store.links([xagent], clearance=TLP.RED, types=frozenset({"USES"})) == [
        link for link in red if link.type == "USES"
    ]
    window = TimeWindow(since="2016-01-01", until="2016-12-31")
    timed = store.links([xagent], clearance=TLP.RED, types=every, window=window)
    assert {link.type for link in timed} == {"COMMUNICATES_WITH"}  # USES is 2015; the C2 edge is undated
    records = store.edges(red, clearance=TLP.RED)
    assert [e.key for e in records] == [link.key for link in red]
    assert next(e for e in records if e.target == red_ip).props == {"port": 443}
    assert red_ip not in {e.target for e in store.edges(red, clearance=TLP.AMBER)}
    assert store.nodes([xagent, red_ip, "no:such"], clearance=TLP.AMBER).keys() == {xagent}
    assert store.links(["no:such"], clearance=TLP.RED, types=every) == []


def test_neighbour_page_counts_a_hub_and_cuts_its_page(store: GraphStore, model: Model) -> None:
    hoster = make_node(model, "Infrastructure", "provider", "Big Hoster", prov=_prov("x", "h"))
    actor = make_node(model, "Actor", "handle", "hoster-admin", prov=_prov("x", "a"))
    domains = [
        make_node(model, "Infrastructure", "domain", f"site{i}.example", prov=_prov("x", f"d{i}", tlp=tlp))
        for i, tlp in enumerate(["CLEAR"] * 5 + ["RED"] * 3)
    ]
    edges = [Edge("HOSTED_ON", d.key, hoster.key, _prov("x", f"e{i}")) for i, d in enumerate(domains)]
    edges += [
        Edge("HOSTED_ON", domains[4].key, hoster.key, _prov("x", "again"), discriminator="443"),
        Edge("OPERATES", actor.key, hoster.key, _prov("x", "op", first_seen="2020-01-01")),
        Edge("OPERATES", actor.key, domains[0].key, _prov("x", "op2", tlp="RED")),
    ]
    store.upsert([hoster, actor, *domains], edges)
    every = model.edge_types()
    total, links = store.neighbour_page(hoster.key, clearance=TLP.RED, types=every)
    assert total == len(links) == 10
    # By the other end's key, then type, then link key; the page is a cut of that order.
    assert links == sorted(links, key=lambda link: (link.other(hoster.key), link.type, link.key))
    assert (total, links) == GraphStore.neighbour_page(store, hoster.key, clearance=TLP.RED, types=every)
    assert store.neighbour_page(hoster.key, clearance=TLP.RED, types=every, offset=2, limit=3) == (
        10,
        links[2:5],
    )
    assert store.neighbour_page(hoster.key, clearance=TLP.RED, types=every, offset=9, limit=0) == (10, [])
    amber = store.neighbour_page(hoster.key, clearance=TLP.AMBER, types=every, limit=2)
    assert amber == GraphStore.neighbour_page(store, hoster.key, clearance=TLP.AMBER, types=every, limit=2)
    assert amber[0] == 7  # the RED domains' links are not counted
    actors = frozenset({"Actor"})
    assert [
        link.key for link in store.neighbour_page(hoster.key, clearance=TLP.RED, types=every, kinds=actors)[1]
    ] == [f"OPERATES|{actor.key}|{hoster.key}|"]
    dated = store.neighbour_page(
        hoster.key, clearance=TLP.RED, types=every, window=TimeWindow(since="2019-01-01")
    )
    assert dated[0] == 1 and dated[1][0].source == actor.key
    wide = TimeWindow(since="2019-01-01", include_undated=True)
    assert store.neighbour_page(hoster.key, clearance=TLP.RED, types=every, window=wide)[0] == 10
    # What a window leaves out for want of a date, counted where the links are.
    for clearance, kinds, expected in ((TLP.RED, None, 9), (TLP.AMBER, None, 6), (TLP.RED, actors, 0)):
        found = store.undated_links([hoster.key], clearance=clearance, types=every, kinds=kinds)
        base = GraphStore.undated_links(store, [hoster.key], clearance=clearance, types=every, kinds=kinds)
        assert found == base == expected
    both = [hoster.key, actor.key]
    assert store.undated_links(both, clearance=TLP.RED, types=every) == 10  # the link between them once


def test_near_counts_hubs_and_shows_the_first_neighbours(store: GraphStore, model: Model) -> None:
    hoster = make_node(model, "Infrastructure", "provider", "Big Hoster", prov=_prov("x", "h"))
    actor = make_node(model, "Actor", "handle", "hoster-admin", prov=_prov("x", "a"))
    domains = [
        make_node(model, "Infrastructure", "domain", f"site{i}.example", prov=_prov("x", f"d{i}", tlp=tlp))
        for i, tlp in enumerate(["CLEAR"] * 5 + ["RED"] * 3)
    ]
    edges = [Edge("HOSTED_ON", d.key, hoster.key, _prov("x", f"e{i}")) for i, d in enumerate(domains)]
    edges += [
        Edge("HOSTED_ON", domains[4].key, hoster.key, _prov("x", "again"), discriminator="443"),
        Edge("OPERATES", actor.key, hoster.key, _prov("x", "op", first_seen="2020-01-01")),
    ]
    store.upsert([hoster, actor, *domains], edges)
    every = model.edge_types()
    full = store.near([hoster.key], clearance=TLP.RED, types=every)[hoster.key]
    assert full.degree == 9 and len(full.links) == 10
    capped = store.near(
        [hoster.key], clearance=TLP.AMBER, types=every, cap=2, keep=frozenset({domains[4].key})
    )
    assert capped[hoster.key].degree == 6  # the RED domains are not counted
    shown = [(link.other(hoster.key), link.type) for link in capped[hoster.key].links]
    assert shown == [
        (domains[0].key, "HOSTED_ON"),
        (domains[1].key, "HOSTED_ON"),
        (domains[4].key, "HOSTED_ON"),
        (domains[4].key, "HOSTED_ON"),
    ]
    actors = store.near([hoster.key], clearance=TLP.RED, types=every, kinds=frozenset({"Actor"}))
    assert [link.source for link in actors[hoster.key].links] == [actor.key]
    window = TimeWindow(since="2021-01-01")
    timed = store.near([hoster.key, actor.key], clearance=TLP.RED, types=every, window=window)
    assert (timed[actor.key].degree, timed[actor.key].links) == (0, [])
    assert timed[hoster.key].degree == 0  # the hosting links carry no date: outside any window
    window = TimeWindow(since="2021-01-01", include_undated=True)
    timed = store.near([hoster.key, actor.key], clearance=TLP.RED, types=every, window=window)
    assert (timed[actor.key].degree, timed[actor.key].links) == (0, [])
    assert timed[hoster.key].degree == 8
    base = GraphStore.near(store, [hoster.key], clearance=TLP.AMBER, types=every, cap=2)
    assert store.near([hoster.key], clearance=TLP.AMBER, types=every, cap=2) == base


@pytest.fixture()
def payer(model: Model) -> tuple[Node, list[Node], list[Edge]]:
    """A wallet paying eight others (two of them RED, one twice in one transaction's outputs, one of the
    transfers credited by a CLEAR and a RED source with different amounts), paid by one, paying itself."""
    hub = make_node(model, "Wallet", "btc", "1HubHubHubHubHubHubHubHubHub", prov=_prov("chain", "hub"))
    others = [
        make_node(model, "Wallet", "btc", f"1Other{i}", prov=_prov("chain", f"w{i}", tlp=tlp))
        for i, tlp in enumerate(["CLEAR"] * 6 + ["RED"] * 2)
    ]
    edges = [
        Edge(
            "TRANSFERRED",
            hub.key,
            w.key,
            _prov("chain", f"t{i}", first_seen=f"2021-0{i + 1}-01"),
            {"amount": float(i), "asset": "BTC", "time": f"2021-0{i + 1}-02T00:00:00Z"},
            f"tx{i}",
        )
        for i, w in enumerate(others)
    ]
    edges += [
        Edge("TRANSFERRED", hub.key, others[2].key, _prov("chain", "t2b"), {"amount": 0.25}, "tx2b"),
        Edge("TRANSFERRED", hub.key, others[3].key, _prov("report", "r", tlp="RED"), {"amount": 9.0}, "tx3"),
        Edge("TRANSFERRED", others[5].key, hub.key, _prov("chain", "back"), {"amount": 1.5}, "back"),
        Edge("TRANSFERRED", hub.key, hub.key, _prov("chain", "self"), {"amount": 0.1}, "self"),
        Edge("OWNS", others[0].key, hub.key, _prov("chain", "not-a-transfer")),
    ]
    return hub, others, edges


def test_facts_are_what_the_records_hold(
    store: GraphStore, model: Model, payer: tuple[Node, list[Node], list[Edge]]
) -> None:
    hub, others, edges = payer
    store.upsert([hub, *others], edges)
    props = frozenset({"amount", "asset", "time", "sources"})  # a provenance name is never a property
    every = model.edge_types()
    for clearance in (TLP.CLEAR, TLP.AMBER, TLP.RED):
        links = store.links([hub.key], clearance=clearance, types=every)
        facts = store.facts(links, clearance=clearance, props=props)
        # The same as the generic reading through the records, for each caller.
        assert facts == GraphStore.facts(store, links, clearance=clearance, props=props)
        records = {e.key: e for e in store.edges(links, clearance=clearance)}
        assert [f.link for f in facts] == [link for link in links if link.key in records]
        for fact in facts:
            record = records[fact.link.key]
            assert fact.props == {p: v for p, v in record.props.items() if p in props}
            assert fact.first_seen == record.prov.first_seen
    both = store.facts(store.links([hub.key], clearance=TLP.RED, types=every), clearance=TLP.RED, props=props)
    credited = next(f for f in both if f.link.target == others[3].key)
    clear = store.links([hub.key], clearance=TLP.CLEAR, types=every)
    seen = next(
        f for f in store.facts(clear, clearance=TLP.CLEAR, props=props) if f.link.target == others[3].key
    )
    assert (credited.props["amount"], seen.props["amount"]) == (
        9.0,
        3.0,
    )  # the RED source's amount only at RED
    # A RED transfer's facts are not given to an AMBER caller, whatever links it names.
    red = [
        link
        for link in store.links([hub.key], clearance=TLP.RED, types=every)
        if link.target == others[7].key
    ]
    assert store.facts(red, clearance=TLP.AMBER, props=props) == []


def test_onward_page_reads_a_hub_a_page_of_ends_at_a_time(
    store: GraphStore, model: Model, payer: tuple[Node, list[Node], list[Edge]]
) -> None:
    hub, others, edges = payer
    store.upsert([hub, *others], edges)
    transfers = frozenset({"TRANSFERRED"})
    props = frozenset({"amount", "time"})
    keys = sorted(w.key for w in others)

    def pages(clearance: TLP, out: bool, reached: frozenset[str], ends: int) -> list[list[str]]:
        """Every page's transfer keys, each page checked against the generic reading of the same page."""
        found: list[list[str]] = []
        after: str | None = None
        while True:
            asked = {"clearance": clearance, "types": transfers, "out": out, "props": props}
            asked |= {"reached": reached, "after": after, "ends": ends}
            page, then = store.onward_page([hub.key], **asked)  # type: ignore[arg-type]
            assert (page, then) == GraphStore.onward_page(store, [hub.key], **asked)  # type: ignore[arg-type]
            found.append([f.link.key for f in page])
            if then is None:
                return found
            after = then

    red = pages(TLP.RED, True, frozenset(), 3)
    clear_ends = sorted(w.key for w in others if w.prov.tlp == TLP.CLEAR)
    out_links = store.links([hub.key], clearance=TLP.RED, types=transfers)
    by_end = {
        k: sorted(link.key for link in out_links if link.source == hub.key and link.target == k) for k in keys
    }
    # Ends in key order, three to a page, each end's transfers by key; the self-payment never.
    assert red == [sum((by_end[k] for k in keys[i : i + 3]), []) for i in (0, 3, 6)]
    amber = pages(TLP.AMBER, True, frozenset(), 4)
    assert sum(amber, []) == sum((by_end[k] for k in clear_ends), [])  # no RED wallet, no RED-only credit
    assert len(amber) == 2
    # Ends already reached come first, on the first page only, beside the next ends in key order.
    reached = frozenset({keys[5], "btc:not-there"})
    first = pages(TLP.RED, True, reached, 2)
    assert first[0] == by_end[keys[5]] + by_end[keys[0]] + by_end[keys[1]]
    assert sum(first[1:], []) == sum((by_end[k] for k in keys[2:5] + keys[6:]), [])
    # Into the hub: the one payer.
    (back,) = pages(TLP.CLEAR, False, frozenset(), 5)
    assert back == [f"TRANSFERRED|{others[5].key}|{hub.key}|back"]
    # A window: the generic reading, the same answer (undated transfers out unless asked for).
    window = TimeWindow(since="2021-03-01", until="2021-05-31")
    dated, after = store.onward_page(
        [hub.key], clearance=TLP.RED, types=transfers, out=True, props=props, window=window, ends=10
    )
    assert after is None
    assert [f.link.target for f in dated] == [others[2].key, others[3].key, others[4].key]
    with pytest.raises(ValueError, match="at least one end"):
        store.onward_page([hub.key], clearance=TLP.RED, types=transfers, out=True, props=props, ends=0)


def test_near_agrees_with_the_walk_when_the_caller_sees_everything(
    store: GraphStore, model: Model, payer: tuple[Node, list[Node], list[Edge]]
) -> None:
    hub, others, edges = payer
    clear = [w for w in others if w.prov.tlp == TLP.CLEAR]
    store.upsert([hub, *clear], [e for e in edges if e.prov.tlp == TLP.CLEAR and e.target != others[3].key])
    keys = [hub.key, clear[0].key]
    for types in (model.edge_types(), frozenset({"TRANSFERRED"})):
        for clearance in (TLP.CLEAR, TLP.RED):
            found = store.near(keys, clearance=clearance, types=types, cap=3)
            assert found == GraphStore.near(store, keys, clearance=clearance, types=types, cap=3)
    # Written later: RED wallets and a same-person candidate. A CLEAR caller, or one not following
    # candidates, must not see them as neighbours.
    store.upsert(others, edges)
    handle = make_node(model, "Actor", "handle", "payer", prov=_prov("forum", "u"))
    twin = make_node(model, "Actor", "handle", "payer2", prov=_prov("forum", "v"))
    store.upsert(
        [handle, twin], [Edge("SAME_PERSON_CANDIDATE", handle.key, twin.key, _prov("identify", "1"))]
    )
    default = model.edge_types()  # the default edge set leaves candidates out
    assert "SAME_PERSON_CANDIDATE" not in default
    for types in (default, model.edge_types(None, ["SAME_PERSON_CANDIDATE"]), frozenset(model.edges)):
        for clearance in (TLP.CLEAR, TLP.AMBER, TLP.RED):
            asked = [hub.key, handle.key]
            found = store.near(asked, clearance=clearance, types=types, cap=3)
            assert found == GraphStore.near(store, asked, clearance=clearance, types=types, cap=3)


def test_undated_links_count_one_direction_without_self_loops(store: GraphStore, model: Model) -> None:
    wallets = [make_node(model, "Wallet", "btc", f"bc1qnodate{i}", prov=_prov("x", str(i))) for i in range(4)]
    w, x, y, z = (node.key for node in wallets)
    transfers = [
        Edge("TRANSFERRED", w, w, _prov("x", "self")),
        Edge("TRANSFERRED", w, x, _prov("x", "wx")),
        Edge("TRANSFERRED", w, x, _prov("x", "wx2"), discriminator="tx2"),
        Edge("TRANSFERRED", w, z, _prov("x", "wz", tlp="RED")),
        Edge("TRANSFERRED", w, y, _prov("x", "wy", first_seen="2021-01-01")),
        Edge("TRANSFERRED", y, w, _prov("x", "yw")),
        Edge("TRANSFERRED", x, y, _prov("x", "xy")),
    ]
    store.upsert(wallets, transfers)
    types = frozenset({"TRANSFERRED"})
    # (keys, clearance, out) -> undated links leaving (True) or entering (False) the keys, or touching them.
    cases = [
        ([w], TLP.RED, True, 3),
        ([w], TLP.CLEAR, True, 2),
        ([w], TLP.RED, False, 1),
        ([w], TLP.RED, None, 5),
        ([w, x], TLP.RED, True, 4),
        ([w, x], TLP.CLEAR, False, 3),
        ([y], TLP.RED, False, 1),
    ]
    for keys, clearance, out, expected in cases:
        found = store.undated_links(keys, clearance=clearance, types=types, out=out)
        base = GraphStore.undated_links(store, keys, clearance=clearance, types=types, out=out)
        assert found == base == expected, (keys, clearance, out)
