"""Clearance over HTTP: two actors whose only link runs through a RED person (and two wallets whose only
money route runs through a RED wallet). No field may return that person or wallet, a path through them,
or a count, rank, community member or hidden count that reveals them - on either store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from graph_model.model import Model
from tests.backend.api.conftest import SECRET, STORES, Api, leak_graph, load_leak, served


@pytest.fixture(scope="module", params=STORES)
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    with served(request, model, tmp_path_factory, load_leak) as running:
        yield running


@pytest.fixture(scope="module")
def k(model: Model) -> dict[str, str]:
    nodes, _ = leak_graph(model)
    alpha, bravo, charlie, secret, group, wallet_a, wallet_s, wallet_b = (n.key for n in nodes)
    return {
        "alpha": alpha,
        "bravo": bravo,
        "charlie": charlie,
        "secret": secret,
        "group": group,
        "wa": wallet_a,
        "ws": wallet_s,
        "wb": wallet_b,
    }


def hidden(k: dict[str, str]) -> list[str]:
    return [SECRET, SECRET.lower(), k["secret"], k["ws"], k["ws"].split(":", 1)[1]]


QUESTIONS = {
    "search": ('{ search(text: "Redacted Insider") { edges { node { key } } } }', {}),
    ("search_wallet"): (
        ('{ search(text: "bc1qsecretleak00000000000000000000000000") { edges { node { key } } } }'),
        {},
    ),
    "neighbourhood": (
        (
            "query($k: [String!]!) { neighbourhood(keys: $k, depth: 4, hubCap: 1) { "
            "nodes { key name } edges { key source target sourceEntity { key } "
            "targetEntity { key } } truncated hiddenCount collapsed { key hidden } "
            "} }"
        ),
        {"k": ["alpha"]},
    ),
    "neighbours": (
        (
            "query($a: String!) { neighbours(key: $a, first: 50) { totalCount edges { cursor node { "
            "entity { key name } link { key source target properties } direction } } } }"
        ),
        {"a": "group"},
    ),
    "neighbours_back": (
        (
            "query($a: String!) { neighbours(key: $a, last: 1) { totalCount edges { node { "
            "entity { key name } } } pageInfo { hasPreviousPage startCursor } } }"
        ),
        {"a": "alpha"},
    ),
    "paths": (
        (
            "query($a: String!, $b: String!) { paths(source: $a, target: $b, first: 5, "
            "maxLength: 8) { edges { node { nodes { key } edges { key } } } "
            "pageInfo { hasNextPage } } }"
        ),
        {"a": "alpha", "b": "bravo"},
    ),
    "money_paths": (
        (
            "query($a: String!, $b: String!) { paths(source: $a, target: $b, first: 5, "
            "maxLength: 8, edgeSet: money) { edges { node { nodes { key } } } } "
            "}"
        ),
        {"a": "wa", "b": "wb"},
    ),
    "associates": (
        (
            "query($k: [String!]!) { commonAssociates(keys: $k) { edges { node { "
            "node { key } score detail why } } } }"
        ),
        {"k": ["alpha", "bravo"]},
    ),
    "pivots": (
        (
            "query($a: String!) { sharedInfrastructure(key: $a) { edges { node { "
            "node { key } score detail why } } } }"
        ),
        {"a": "alpha"},
    ),
    "money_out": (
        (
            "query($w: String!) { moneyFlow(wallet: $w, maxHops: 6) { destinations "
            "{ edges { node { node { key } total } } } network { nodes { key } edges { key } "
            "hiddenCount } } }"
        ),
        {"w": "wa"},
    ),
    "money_in": (
        (
            "query($w: String!) { moneyFlow(wallet: $w, direction: IN) { "
            "destinations { edges { node { node { key } total } } } network { nodes { key } } } }"
        ),
        {"w": "wb"},
    ),
    "communities": (
        "{ communities { edges { node { id size internalEdges kinds "
        "members { edges { node { key name } } } } } } }",
        {},
    ),
    "centrality": (
        (
            "{ b: centrality(metric: BETWEENNESS, first: 50) { edges { node { node "
            "{ key } score detail why } } } d: centrality(first: 50) { edges { node { "
            "node { key } score detail } } } }"
        ),
        {},
    ),
    "timeline": (
        (
            "query($a: String!) { timeline(key: $a) { edges { node { other { key } "
            "edge { key source target } } } } }"
        ),
        {"a": "alpha"},
    ),
    "stats": ("{ stats { totalNodes totalEdges nodes { name count } edges { name count } } }", {}),
    "scores": ("{ disruptionScores(first: 50) { edges { node { key name score why } } } }", {}),
    "plan": ("{ takedownPlan(budget: 2) { targets { edges { node { key name why } } } before after } }", {}),
    "dismantle": ("{ dismantle { targets { edges { node { key name why } } } before after } }", {}),
    "scoped": (
        (
            "query($a: String!) { communities(scope: {keys: [$a], depth: 4}) { "
            "edges { node { size members { edges { node { key } } } } } } }"
        ),
        {"a": "alpha"},
    ),
}


def ask(api: Api, k: dict[str, str], name: str, as_: str = "analyst") -> Any:
    query, variables = QUESTIONS[name]
    values = {n: ([k[x] for x in v] if isinstance(v, list) else k[v]) for n, v in variables.items()}
    response = api.post(query, values, as_=as_)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_no_field_reveals_the_red_node(api: Api, k: dict[str, str], name: str) -> None:
    body = ask(api, k, name)
    assert not body.get("errors"), body["errors"]
    text = json.dumps(body)
    for secret in hidden(k):
        assert secret not in text, f"{name} reveals {secret}"


def test_answers_are_those_of_the_graph_without_the_red_node(api: Api, k: dict[str, str]) -> None:
    assert ask(api, k, "paths")["data"]["paths"]["edges"] == []
    assert ask(api, k, "money_paths")["data"]["paths"]["edges"] == []
    assert ask(api, k, "money_out")["data"]["moneyFlow"]["destinations"]["edges"] == []
    assert ask(api, k, "money_in")["data"]["moneyFlow"]["destinations"]["edges"] == []
    assert ask(api, k, "associates")["data"]["commonAssociates"]["edges"] == []
    capped = ask(api, k, "neighbourhood")["data"]["neighbourhood"]
    # two visible neighbours (group, wallet), one shown: one hidden; the RED person would make it two
    assert {c["key"]: c["hidden"] for c in capped["collapsed"]} == {k["alpha"]: 1}
    assert capped["hiddenCount"] == 1
    near = api.data(
        "query($k: [String!]!) { neighbourhood(keys: $k, depth: 4) { nodes { key } hiddenCount } }",
        {"k": [k["alpha"]]},
    )["neighbourhood"]
    assert {n["key"] for n in near["nodes"]} == {k["alpha"], k["group"], k["charlie"], k["wa"]}
    assert near["hiddenCount"] == 0
    stats = ask(api, k, "stats")["data"]["stats"]
    assert (stats["totalNodes"], stats["totalEdges"]) == (6, 4)
    sizes = [e["node"]["size"] for e in ask(api, k, "communities")["data"]["communities"]["edges"]]
    assert sum(sizes) == 6
    degree = {
        e[("node")][("node")][("key")]: e[("node")][("score")]
        for e in ask(api, k, ("centrality"))[("data")][("d")][("edges")]
    }
    assert degree[k["group"]] == max(degree.values()) and len(degree) == 6


def test_the_red_node_is_as_absent_as_a_node_that_never_existed(api: Api, k: dict[str, str]) -> None:
    for key in (k["secret"], "person:never existed at all"):  # null alike: nothing there to see
        assert api.data("query($k: String!) { node(key: $k) { key } }", {"k": key}) == {"node": None}
        found = api.data("query($k: [String!]!) { nodes(keys: $k) { key } }", {"k": [key]})
        assert found == {"nodes": [None]}
    for query in (
        "query($k: String!) { neighbours(key: $k) { totalCount } }",
        "query($k: String!) { timeline(key: $k) { edges { cursor } } }",
        "query($k: String!) { sharedInfrastructure(key: $k) { edges { cursor } } }",
        "query($k: String!) { neighbourhood(keys: [$k]) { truncated } }",
        "query($k: String!) { simulateTakedown(remove: [$k]) { objective } }",
        "query($k: String!) { paths(source: $k, target: $k) { edges { cursor } } }",
        "query($k: String!) { moneyFlow(wallet: $k) { direction } }",
    ):
        answers = []
        for key in (k["secret"], "person:never existed at all"):
            errors = api.errors(query, {"k": key})
            assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"], (query, errors)
            answers.append(errors[0]["message"].replace(key, "KEY"))
        assert answers[0] == answers[1], query


def test_a_red_caller_does_see_it(api: Api, k: dict[str, str]) -> None:
    """The fixture is right: the same questions find the RED person for a RED caller."""
    assert k["secret"] in json.dumps(ask(api, k, "search", as_="admin"))
    paths = ask(api, k, "paths", as_="admin")["data"]["paths"]["edges"]
    assert [n["key"] for n in paths[0]["node"]["nodes"]] == [k["alpha"], k["secret"], k["bravo"]]
    assert ask(api, k, "money_out", as_="admin")["data"]["moneyFlow"]["destinations"]["edges"]
    assert ask(api, k, "stats", as_="admin")["data"]["stats"]["totalNodes"] == 8
