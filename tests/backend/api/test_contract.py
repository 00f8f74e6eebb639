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
