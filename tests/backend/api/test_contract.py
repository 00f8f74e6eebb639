"""The API as a contract: connections page to their end in both directions, enums come from the schema.

On the demo ecosystem, against both stores, over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graph_model.model import Model
from graph_model.provenance import TLP
from tests.backend.api.conftest import STORES, Api, load_demo, served


@pytest.fixture(scope="module", params=STORES)
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    with served(request, model, tmp_path_factory, load_demo) as running:
        yield running


def walk(api: Api, field: str, query: str, variables: dict[str, Any], size: int) -> list[Any]:
    """Every item of a connection, ``size`` at a time with first/after; checks each page's pageInfo."""
    items: list[Any] = []
    after = None
    total = None
    while True:
        page = api.data(query, {**variables, "first": size, "after": after})[field]
        info = page["pageInfo"]
        total = page["totalCount"] if total is None else total
        assert page["totalCount"] == total
        assert info["hasPreviousPage"] == bool(items)
        items.extend(e["node"] for e in page["edges"])
        if page["edges"]:
            assert info["startCursor"] == page["edges"][0]["cursor"]
            assert info["endCursor"] == page["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            break
        assert len(page["edges"]) == size
        after = info["endCursor"]
    assert len(items) == total
    return items


def walk_back(api: Api, field: str, query: str, variables: dict[str, Any], size: int) -> list[Any]:
    """Every item of a connection from its end, ``size`` at a time with last/before."""
    items: list[Any] = []
    before = None
    while True:
        page = api.data(query, {**variables, "last": size, "before": before})[field]
        items[:0] = [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    return items


NEIGHBOURS = """query($k: String!, $first: Int, $after: String, $last: Int, $before: String,
    $set: EdgeSet, $kinds: [NodeKind!]) {
  neighbours(key: $k, edgeSet: $set, kinds: $kinds, first: $first, after: $after, last: $last,
             before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { direction entity { key kind } link { key type source target properties
      provenance { tlp } } } } } }"""


def _hub(api: Api) -> str:
    graph = api.store.subgraph(clearance=TLP.GREEN)
    return str(max(graph.nodes, key=lambda n: (graph.degree(n), n)))


def test_neighbours_pages_every_link_once_in_both_directions(api: Api) -> None:
    hub = _hub(api)
    links = api.store.links([hub], clearance=TLP.GREEN, types=frozenset(api.store.model.edges))
    assert len(links) > 60  # several pages
    forward = walk(api, "neighbours", NEIGHBOURS, {"k": hub}, 25)
    assert sorted(n["link"]["key"] for n in forward) == sorted(link.key for link in links)
    assert len({n["link"]["key"] for n in forward}) == len(forward)
    order = [(n["entity"]["key"], n["link"]["type"], n["link"]["key"]) for n in forward]
    assert order == sorted(order)
    for item in forward:
        link = item["link"]
        outgoing = link["source"] == hub
        assert item["direction"] == ("OUT" if outgoing else "IN")
        assert item["entity"]["key"] == (link["target"] if outgoing else link["source"])
    assert walk_back(api, "neighbours", NEIGHBOURS, {"k": hub}, 25) == forward


def test_neighbours_filters_by_edge_set_and_kind(api: Api, model: Model) -> None:
    hub = _hub(api)
    money = api.data(NEIGHBOURS, {"k": hub, "set": "money", "first": 200})["neighbours"]
    assert {e["node"]["link"]["type"] for e in money["edges"]} <= model.edge_sets["money"]
    wallets = api.data(NEIGHBOURS, {"k": hub, "kinds": ["Wallet"], "first": 0})["neighbours"]
    assert wallets["edges"] == [] and wallets["pageInfo"]["hasNextPage"] == (wallets["totalCount"] > 0)
    expected = [
        link
        for link in api.store.links([hub], clearance=TLP.GREEN, types=frozenset(model.edges))
        if link.other_kind(hub) == "Wallet"
    ]
    assert wallets["totalCount"] == len(expected)


def test_page_arguments_are_checked(api: Api) -> None:
    hub = _hub(api)
    assert api.codes(NEIGHBOURS, {"k": hub, "first": 2, "last": 2}) == {"BAD_ARGUMENT"}
    assert api.codes(NEIGHBOURS, {"k": hub, "first": -1}) == {"BAD_ARGUMENT"}
    assert api.codes(NEIGHBOURS, {"k": hub, "first": 201}) == {"LIMIT_EXCEEDED"}
    assert api.codes(NEIGHBOURS, {"k": hub, "after": "not-a-cursor"}) == {"BAD_ARGUMENT"}
    assert api.codes(NEIGHBOURS, {"k": "handle:nobody-here"}) == {"NOT_FOUND"}


def test_paths_first_has_a_stated_maximum(api: Api) -> None:
    query = """query($a: String!, $b: String!, $first: Int) {
      paths(source: $a, target: $b, first: $first, maxLength: 6) { totalCount edges { cursor } } }"""
    graph = api.store.subgraph(clearance=TLP.GREEN)
    groups = sorted(n for n, d in graph.nodes(data=True) if d["type"] == "group")
    errors = api.errors(query, {"a": groups[0], "b": groups[1], "first": 21})
    assert errors[0]["extensions"]["code"] == "LIMIT_EXCEEDED" and "(20)" in errors[0]["message"]
    described = api.data('{ __type(name: "Query") { fields { name description } } }')
    paths = next(f for f in described["__type"]["fields"] if f["name"] == "paths")
    assert "at most 20" in paths["description"]


def test_enums_are_the_schemas_sets(api: Api, model: Model) -> None:
    def values(name: str) -> list[str]:
        found = api.data(f'{{ __type(name: "{name}") {{ enumValues {{ name description }} }} }}')
        members = found["__type"]["enumValues"]
        assert all(m["description"] for m in members), name
        return [m["name"] for m in members]

    assert set(values("NodeKind")) == set(model.nodes)
    assert set(values("EdgeType")) == set(model.edges)
    assert set(values("EdgeSet")) == set(model.edge_sets)
    assert values("Tlp") == ["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"]
    assert set(values("Metric")) == {
        "COMPOSITE",
        "CUT",
        "BETWEENNESS",
        "COLLECTIVE_INFLUENCE",
        "KCORE",
        "BRIDGE",
    }
    assert set(values("Objective")) == {"FRAGMENTATION", "LCC", "CASHOUT", "REACH"}
    entity = api.data('{ search(text: "team", first: 1) { edges { node { kind provenance { tlp } } } } }')
    node = entity["search"]["edges"][0]["node"]
    assert node["kind"] in model.nodes and node["provenance"]["tlp"] == "CLEAR"


# -- every connection walks to its end ------------------------------------------------------------

ANALYST = TLP.GREEN  # the analyst key's clearance (conftest.KEYS)
PAGE_INFO = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"


@pytest.fixture(scope="module")
def demo(api: Api) -> dict[str, Any]:
    """Entities of the demo graph to ask about, as the analyst sees it."""
    graph = api.store.subgraph(clearance=ANALYST)
    groups = sorted(n for n, d in graph.nodes(data=True) if d["type"] == "group")
    wallets = sorted(
        (n for n, d in graph.nodes(data=True) if d["kind"] == "Wallet"),
        key=lambda w: (-graph.out_degree(w), w),
    )
    return {"graph": graph, "groups": groups, "wallet": wallets[0], "hub": _hub(api)}


def _connection(field: str, arguments: str, node: str, declared: str = "") -> str:
    return (
        f"query($first: Int, $after: String{declared}) {{ {field}({arguments}first: $first, after: $after) "
        f"{{ {PAGE_INFO} edges {{ cursor node {{ {node} }} }} }} }}"
    )


def test_rankings_walk_to_the_end_and_are_computed_once(api: Api, demo: dict[str, Any]) -> None:
    from queries.disruption.graph import disruption_graph
    from queries.scope import Scope, scope_graph

    scope = {"keys": [demo["groups"][0]], "depth": 2}
    chosen = Scope(keys=(demo["groups"][0],), depth=2).check(api.store.model)
    declared = ", $s: ScopeInput"
    before = api.app.state.answers.computed
    ranked = walk(
        api,
        "centrality",
        _connection("centrality", "scope: $s, ", "node { key } score", declared),
        {"s": scope},
        7,
    )
    assert api.app.state.answers.computed == before + 1  # one computation for every page
    expected = scope_graph(api.store, ANALYST, chosen)
    assert sorted(r["node"]["key"] for r in ranked) == sorted(expected.nodes)
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    scores = walk(
        api,
        "disruptionScores",
        _connection("disruptionScores", "scope: $s, metric: KCORE, ", "key score", declared),
        {"s": scope},
        50,
    )
    assert sorted(t["key"] for t in scores) == sorted(disruption_graph(api.store, ANALYST, chosen).nodes)


def test_lists_walk_to_the_end(api: Api, demo: dict[str, Any], model: Model) -> None:
    from queries.partition import partition
    from queries.scope import Scope, scope_graph

    hub, (a, b) = demo["hub"], demo["groups"][:2]
    every = frozenset(model.edges)
    timeline = walk(
        api,
        "timeline",
        _connection("timeline", "key: $k, ", "edge { key } firstSeen lastSeen", ", $k: String!"),
        {"k": hub},
        40,
    )
    assert sorted(t["edge"]["key"] for t in timeline) == sorted(
        link.key for link in api.store.links([hub], clearance=ANALYST, types=every)
    )
    dated = [
        (t["firstSeen"] is None and t["lastSeen"] is None, t["firstSeen"] or t["lastSeen"] or "")
        for t in timeline
    ]
    assert dated == sorted(dated)
    backward = (
        "query($k: String!, $last: Int, $before: String) { timeline(key: $k, last: $last, before: $before) "
        f"{{ {PAGE_INFO} edges {{ cursor node {{ edge {{ key }} firstSeen lastSeen }} }} }} }}"
    )
    assert walk_back(api, "timeline", backward, {"k": hub}, 40) == timeline

    def around(key: str) -> set[str]:
        return {link.other(key) for link in api.store.links([key], clearance=ANALYST, types=every)}

    common = walk(
        api,
        "commonAssociates",
        _connection("commonAssociates", "keys: $k, ", "node { key }", ", $k: [String!]!"),
        {"k": [a, b]},
        3,
    )
    assert sorted(c["node"]["key"] for c in common) == sorted((around(a) & around(b)) - {a, b})

    groups = [g for g in partition(scope_graph(api.store, ANALYST, Scope())) if len(g) > 1]
    found = walk(api, "communities", _connection("communities", "", "id size"), {}, 5)
    assert [c["size"] for c in found] == [len(g) for g in groups]
    members = (
        "query($first: Int, $after: String) { communities(first: 1) { edges { node { "
        f"members(first: $first, after: $after) {{ {PAGE_INFO} "
        "edges { cursor node { key } } } } } } }"
    )
    items: list[str] = []
    after = None
    while True:
        top = api.data(members, {"first": 9, "after": after})["communities"]["edges"][0]["node"]
        page = top["members"]
        items += [e["node"]["key"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert items == sorted(groups[0]) and page["totalCount"] == len(groups[0])


def test_results_inside_answers_walk_to_the_end(api: Api, demo: dict[str, Any]) -> None:
    from queries.money import money_flow
    from queries.pivots import shared_infrastructure

    flow = money_flow(api.store, ANALYST, demo["wallet"], max_hops=4)
    query = (
        "query($w: String!, $first: Int, $after: String) { moneyFlow(wallet: $w, maxHops: 4) { "
        f"destinations(first: $first, after: $after) {{ {PAGE_INFO} "
        "edges { cursor node { node { key } } } } } }"
    )
    items: list[str] = []
    after = None
    while True:
        page = api.data(query, {"w": demo["wallet"], "first": 4, "after": after})["moneyFlow"]["destinations"]
        items += [e["node"]["node"]["key"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(flow.destinations) > 4 and items == [d.node.key for d in flow.destinations]
    shared = walk(
        api,
        "sharedInfrastructure",
        _connection("sharedInfrastructure", "key: $k, ", "node { key }", ", $k: String!"),
        {"k": demo["groups"][0]},
        3,
    )
    expected = shared_infrastructure(api.store, ANALYST, demo["groups"][0], limit=None)
    assert [s["node"]["key"] for s in shared] == [r.node.key for r in expected] and len(expected) > 3
    # A plan stops where no pick helps any more (no harmful pick), so its length is what the plan says.
    query = (
        "query($s: ScopeInput, $n: Int) { takedownPlan(scope: $s, budget: 5) { targets(first: $n) { "
        "totalCount edges { node { key } } pageInfo { hasNextPage } } } }"
    )
    scope = {"keys": [demo["groups"][0]], "depth": 2}
    whole = api.data(query, {"s": scope, "n": 100})["takedownPlan"]["targets"]
    total = whole["totalCount"]
    assert 1 <= total <= 5 and len(whole["edges"]) == total and not whole["pageInfo"]["hasNextPage"]
    first = api.data(query, {"s": scope, "n": 1})["takedownPlan"]["targets"]
    assert first["totalCount"] == total and first["edges"] == whole["edges"][:1]
    assert first["pageInfo"]["hasNextPage"] == (total > 1)


def test_paths_walk_to_the_end(api: Api, demo: dict[str, Any]) -> None:
    a, b = demo["groups"][:2]
    query = _connection(
        "paths", "source: $a, target: $b, maxLength: 6, ", "length", ", $a: String!, $b: String!"
    )
    items: list[int] = []
    after = None
    while True:
        page = api.data(query, {"a": a, "b": b, "first": 3, "after": after})["paths"]
        items += [e["node"]["length"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert len(page["edges"]) == 3
        after = page["pageInfo"]["endCursor"]
    assert len(items) == 20 and items == sorted(items) and page["totalCount"] == 20


# -- every type, field, argument and enum value is described ---------------------------------------


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

    from backend.api.schema import build_schema
    from backend.settings import ApiSettings

    schema = build_schema(ApiSettings())._schema
    missing = []
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                missing += [] if field.description else [f"{name}.{field_name}"]
                missing += [
                    f"{name}.{field_name}({a})" for a, arg in field.args.items() if not arg.description
                ]
        if isinstance(kind, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, field in kind.fields.items() if not field.description]
        if isinstance(kind, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in kind.values.items() if not value.description]
    assert not missing, f"undescribed: {', '.join(missing)}"


def test_search_walks_to_the_end(api: Api) -> None:
    found = walk(
        api, "search", _connection("search", "text: $t, ", "key name", ", $t: String!"), {"t": "bc1q"}, 200
    )
    expected = {n.key for n in api.store.search("bc1q", clearance=ANALYST, limit=10_000)}
    assert len(found) > 100 and {n["key"] for n in found} == expected
    names = [n["name"].casefold() for n in found]
    assert names == sorted(names)  # all match by words: ranked by name, then key
