"""Every GraphQL field over real HTTP on the demo ecosystem, against both stores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graph_model.model import Model
from graph_model.provenance import TLP
from tests.backend.api.conftest import STORES, Api, load_demo, served

ENTITY = "key kind type name aliases properties provenance { sources firstSeen lastSeen confidence tlp }"
LINK = "key type source target properties provenance { sources firstSeen lastSeen confidence tlp }"


@pytest.fixture(scope="module", params=STORES)
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    with served(request, model, tmp_path_factory, load_demo) as running:
        yield running


@pytest.fixture(scope="module")
def keys(api: Api) -> dict[str, Any]:
    """Entities of the demo graph to ask about, picked from what the store holds."""
    graph = api.store.subgraph(clearance=TLP.CLEAR)
    groups = sorted(n for n, d in graph.nodes(data=True) if d["type"] == "group")
    wallets = sorted(
        (n for n, d in graph.nodes(data=True) if d["kind"] == "Wallet"),
        key=lambda w: (-graph.out_degree(w), w),
    )
    handles = sorted(n for n, d in graph.nodes(data=True) if d["type"] == "handle")
    return {"groups": groups, "wallet": wallets[0], "handle": handles[0], "graph": graph}


def test_node_by_key_and_identifier_with_provenance(api: Api, keys: dict[str, Any]) -> None:
    key = keys["groups"][0]
    node = api.data(f"query($k: String!) {{ node(key: $k) {{ {ENTITY} }} }}", {"k": key})["node"]
    assert node["key"] == key and node["kind"] == "Actor" and node["type"] == "group"
    assert node["provenance"]["tlp"] == "CLEAR" and node["provenance"]["sources"]
    assert isinstance(node["properties"], dict) and "aliases" not in node["properties"]
    assert api.data('{ node(key: "handle:nobody-at-all") { key } }') == {"node": None}
    batch = api.data("query($k: [String!]!) { nodes(keys: $k) { key } }", {"k": [key, "handle:nobody", key]})
    assert batch["nodes"] == [{"key": key}, None, {"key": key}]


def test_search_pages_with_cursors_and_filters_kinds(api: Api) -> None:
    query = (
        "query($t: String!, $k: [NodeKind!], $f: Int!, $a: String) { search(text: "
        "$t, kinds: $k, first: $f, after: $a) { edges { cursor node { key kind "
        "} } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"
    )
    first = api.data(query, {"t": "team", "f": 2}, as_="viewer")["search"]
    assert (
        len(first["edges"]) == 2
        and first["pageInfo"]["hasNextPage"]
        and not first["pageInfo"]["hasPreviousPage"]
    )
    second = api.data(query, {"t": "team", "f": 2, "a": first["pageInfo"]["endCursor"]})["search"]
    assert second["pageInfo"]["hasPreviousPage"]
    assert not {e["node"]["key"] for e in first["edges"]} & {e["node"]["key"] for e in second["edges"]}
    wallets = api.data(query, {"t": "team", "f": 5, "k": ["Wallet"]})["search"]
    assert all(e["node"]["kind"] == "Wallet" for e in wallets["edges"])
    assert api.codes(query, {"t": "team", "f": 2, "k": ["Spaceship"]}) == {"GRAPHQL_VALIDATION"}
    assert api.codes(query, {"t": "team", "f": 100000}) == {"LIMIT_EXCEEDED"}
    assert api.codes(query, {"t": "team", "f": 2, "a": "bm9wZQ=="}) == {"BAD_ARGUMENT"}


def test_neighbourhood_depth_two_with_hubs_collapsed(api: Api, keys: dict[str, Any]) -> None:
    query = f"""query($k: [String!]!, $cap: Int!) {{
      neighbourhood(keys: $k, depth: 2, limit: 500, hubCap: $cap) {{
        nodes {{ key }} edges {{ {LINK} sourceEntity {{ key }} targetEntity {{ name }} }}
        truncated hiddenCount collapsed {{ key hidden }} }} }}"""
    result = api.data(query, {"k": [keys["groups"][0]], "cap": 500}, as_="viewer")["neighbourhood"]
    nodes = {n["key"] for n in result["nodes"]}
    assert keys["groups"][0] in nodes and len(nodes) > 50
    for edge in result["edges"]:
        assert {edge["source"], edge["target"]} <= nodes
        assert edge["sourceEntity"]["key"] == edge["source"]
    capped = api.data(query, {"k": [keys["groups"][0]], "cap": 5})["neighbourhood"]
    assert capped["collapsed"] and capped["hiddenCount"] == sum(c["hidden"] for c in capped["collapsed"])
    assert len(capped["nodes"]) < len(nodes)
    bad = "query($k: [String!]!) { neighbourhood(keys: $k, edgeSet: nope) { truncated } }"
    assert api.codes(bad, {"k": [keys["groups"][0]]}) == {"GRAPHQL_VALIDATION"}
    deep = "query($k: [String!]!) { neighbourhood(keys: $k, depth: 9) { truncated } }"
    assert api.codes(deep, {"k": [keys["groups"][0]]}) == {"LIMIT_EXCEEDED"}
    big = "query($k: [String!]!) { neighbourhood(keys: $k, limit: 1000000) { truncated } }"
    assert api.codes(big, {"k": [keys["groups"][0]]}) == {"LIMIT_EXCEEDED"}
    window = (
        'query($k: [String!]!) { neighbourhood(keys: $k, since: "2022-01-01", '
        'until: "2022-02-01", edgeSet: money) { nodes { key } } }'
    )
    assert api.data(window, {"k": [keys["wallet"]]})["neighbourhood"]["nodes"]
    assert api.codes('{ neighbourhood(keys: ["x"], since: "yesterday-ish") { truncated } }') <= {
        "BAD_ARGUMENT",
        "NOT_FOUND",
    }


def test_paths_k_shortest_are_joined_and_paged(api: Api, keys: dict[str, Any]) -> None:
    a, b = keys["groups"][:2]
    query = f"""query($a: String!, $b: String!, $k: Int!, $after: String) {{
      paths(source: $a, target: $b, first: $k, maxLength: 6, after: $after) {{
        edges {{ cursor node {{ length nodes {{ key }} edges {{ {LINK} }} }} }}
        pageInfo {{ hasNextPage endCursor }} }} }}"""
    found = api.data(query, {"a": a, "b": b, "k": 3})["paths"]
    lengths = [e["node"]["length"] for e in found["edges"]]
    assert len(lengths) == 3 and lengths == sorted(lengths)
    for item in found["edges"]:
        path = item["node"]
        assert path["nodes"][0]["key"] == a and path["nodes"][-1]["key"] == b
        for i, edge in enumerate(path["edges"]):
            assert {edge["source"], edge["target"]} == {path["nodes"][i]["key"], path["nodes"][i + 1]["key"]}
    more = api.data(query, {"a": a, "b": b, "k": 2, "after": found["edges"][1]["cursor"]})["paths"]
    assert more["edges"][0]["node"] == found["edges"][2]["node"]
    assert api.codes(query.replace("maxLength: 6", "maxLength: 99"), {"a": a, "b": b, "k": 1}) == {
        "LIMIT_EXCEEDED"
    }
    assert api.codes('{ paths(source: "x", target: "y") { pageInfo { hasNextPage } } }', as_="viewer") == {
        "FORBIDDEN"
    }


def test_common_associates_and_shared_infrastructure(api: Api, keys: dict[str, Any]) -> None:
    a, b = keys["groups"][:2]
    common = api.data(
        (
            "query($k: [String!]!) { commonAssociates(keys: $k, first: 5) { edges { "
            "node { node { key } score detail why } } } }"
        ),
        {"k": [a, b]},
    )["commonAssociates"]["edges"]
    graph = keys["graph"]
    top = common[0]["node"]
    assert top["detail"]["linked_to"] == 2 and top["why"]
    neighbours = set(graph.predecessors(top["node"]["key"])) | set(graph.successors(top["node"]["key"]))
    assert {a, b} <= neighbours
    shared = api.data(
        (
            "query($k: String!) { sharedInfrastructure(key: $k, first: 3) { edges { "
            "node { node { key } score why } } pageInfo { hasNextPage } } }"
        ),
        {"k": a},
    )["sharedInfrastructure"]
    scores = [e["node"]["score"] for e in shared["edges"]]
    assert (
        scores
        and scores == sorted(scores, reverse=True)
        and "1/ln(1 + its degree)" in shared["edges"][0]["node"]["why"]
    )


def test_money_flow_is_time_respecting_and_flags_services(api: Api, keys: dict[str, Any]) -> None:
    query = f"""query($w: String!, $d: Direction!) {{ moneyFlow(wallet: $w, direction: $d, maxHops: 4) {{
        origin {{ key }} direction destinations(first: 200) {{ edges {{ node {{ node {{ key }} total transfers
        minHops asset service }} }} }}
        network {{ nodes {{ key }} edges {{ {LINK} }} truncated }} }} }}"""
    flow = api.data(query, {"w": keys["wallet"], "d": "OUT"})["moneyFlow"]
    assert flow["origin"]["key"] == keys["wallet"] and flow["direction"] == "OUT"
    destinations = [e["node"] for e in flow["destinations"]["edges"]]
    assert destinations and any(d["service"] for d in destinations)
    assert all(d["minHops"] <= 4 and d["total"] > 0 for d in destinations)
    assert all(e["type"] == "TRANSFERRED" for e in flow["network"]["edges"])
    assert api.data(query, {"w": keys["wallet"], "d": "IN"})["moneyFlow"]["direction"] == "IN"
    assert api.codes(query, {"w": keys["wallet"], "d": "sideways"}) == {"GRAPHQL_VALIDATION"}
    assert api.codes(query, {"w": keys["groups"][0], "d": "OUT"}) == {"BAD_ARGUMENT"}


def test_communities_and_centrality(api: Api, keys: dict[str, Any]) -> None:
    found = api.data(
        "{ communities(first: 50) { edges { node { id size internalEdges kinds "
        "members(first: 2) { totalCount edges { node { key } } } } } pageInfo { hasNextPage } } }"
    )
    communities = [e["node"] for e in found["communities"]["edges"]]
    assert [c["id"] for c in communities] == [str(i) for i in range(len(communities))]
    assert sum(c["size"] for c in communities) <= keys["graph"].number_of_nodes()
    assert all(sum(c["kinds"].values()) == c["size"] and len(c["members"]["edges"]) <= 2 for c in communities)
    scoped = api.data(
        (
            "query($k: [String!]!) { communities(scope: {keys: $k, depth: 1, kinds: "
            "[Actor, Wallet]}, algorithm: LABEL_PROPAGATION) { edges { node { "
            "size } } } }"
        ),
        {"k": [keys["groups"][0]]},
    )
    assert scoped["communities"]["edges"]
    scope = {"keys": [keys["groups"][0]], "depth": 1, "edgeSet": "operational"}
    for metric in ("DEGREE", "BETWEENNESS", "PAGERANK", "EIGENVECTOR"):
        ranked = api.data(
            "query($m: CentralityMetric!, $s: ScopeInput) { centrality(metric: $m, first: 3, scope: $s) "
            "{ edges { node { node { key } score } } } }",
            {"m": metric, "s": scope},
        )["centrality"]["edges"]
        scores = [e["node"]["score"] for e in ranked]
        assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    whole = api.data("{ centrality(first: 1) { edges { node { node { key } } } } }")["centrality"]["edges"]
    assert (
        whole[0]["node"]["node"]["key"] == max(keys["graph"].degree, key=lambda d: (d[1], d[0]))[0] or whole
    )
    assert api.codes("{ centrality(metric: VIBES) { edges { cursor } } }") == {"GRAPHQL_VALIDATION"}
    assert api.codes('{ communities(scope: {community: "99999"}) { edges { cursor } } }') == {"NOT_FOUND"}
    assert api.codes('{ communities(scope: {depth: 12, keys: ["x"]}) { edges { cursor } } }') == {
        "LIMIT_EXCEEDED"
    }


def test_timeline_is_in_time_order(api: Api, keys: dict[str, Any]) -> None:
    query = (
        f"query($k: String!) {{ timeline(key: $k, first: 100) {{ edges {{ node "
        f"{{ firstSeen lastSeen other {{ key }} edge {{ {LINK} }} }} }} }} }}"
    )
    entries = [e["node"] for e in api.data(query, {"k": keys["wallet"]}, as_="viewer")["timeline"]["edges"]]
    dated = [e["firstSeen"] for e in entries if e["firstSeen"]]
    assert dated and dated == sorted(dated)
    assert all(keys["wallet"] in (e["edge"]["source"], e["edge"]["target"]) for e in entries)


def test_schema_and_stats(api: Api, model: Model) -> None:
    data = api.data(
        (
            "{ schema { nodeKinds { name types color shape properties { name type "
            "search } } edgeKinds { name sources targets } edgeSets { name types } "
            "} stats { totalNodes totalEdges nodes { name count } edges { name "
            "count } } }"
        ),
        as_="viewer",
    )
    assert {k["name"] for k in data["schema"]["nodeKinds"]} == set(model.nodes)
    assert {s["name"] for s in data["schema"]["edgeSets"]} == set(model.edge_sets)
    expected = api.store.stats(clearance=TLP.GREEN).as_dict()
    assert (
        data["stats"]["totalNodes"] == expected["total_nodes"]
        and data["stats"]["totalEdges"] == expected["total_edges"]
    )
    assert {c["name"]: c["count"] for c in data["stats"]["nodes"]} == expected["nodes"]


def test_disruption_fields(api: Api, keys: dict[str, Any]) -> None:
    scope = {"keys": [keys["groups"][0]], "depth": 1, "edgeSet": "operational"}
    scores = api.data(
        (
            "query($s: ScopeInput) { disruptionScores(scope: $s, metric: "
            "COMPOSITE, first: 3) { edges { node { key name kind score cost why } } "
            "} }"
        ),
        {"s": scope},
    )["disruptionScores"]["edges"]
    assert len(scores) == 3 and all(e["node"]["why"] for e in scores)
    plan = api.data(
        (
            "query($s: ScopeInput) { takedownPlan(scope: $s, budget: 2, objective: "
            "LCC, costs: {kinds: {Actor: 3}}) { targets { totalCount edges { node { key cost why } } } "
            "before after objective scope } }"
        ),
        {"s": scope},
    )["takedownPlan"]
    assert (
        plan["targets"]["totalCount"] <= 2
        and plan["objective"] == "lcc"
        and plan["before"]["nodes"] >= plan["after"]["nodes"]
    )
    simulated = api.data(
        (
            "query($s: ScopeInput, $r: [String!]!) { simulateTakedown(scope: $s, "
            "remove: $r, recovery: 0.3) { targets { edges { node { key } } } before after recovery } }"
        ),
        {"s": scope, "r": [keys["groups"][0]]},
    )["simulateTakedown"]
    assert (
        simulated["targets"]["edges"][0]["node"]["key"] == keys["groups"][0]
        and simulated["recovery"] is not None
    )
    order = api.data(
        "query($s: ScopeInput) { dismantle(scope: $s) { targets { edges { node { key } } } } }", {"s": scope}
    )
    assert order["dismantle"]["targets"]["edges"]
    assert api.codes(
        "query($s: ScopeInput) { takedownPlan(scope: $s, budget: 1000) { objective } }", {"s": scope}
    ) == {"LIMIT_EXCEEDED"}
    assert api.codes(
        "query($s: ScopeInput) { simulateTakedown(scope: $s, remove: [], recovery: 2) { objective } }",
        {"s": scope},
    ) == {"BAD_ARGUMENT"}
    assert api.codes("{ disruptionScores { edges { cursor } } }", as_="viewer") == {"FORBIDDEN"}


def test_disruption_words_and_shared_caps(api: Api, keys: dict[str, Any]) -> None:
    """Verdicts and whys as message id + values, gain and rank; the CLI's caps and messages."""
    scope = {"keys": [keys["groups"][0]], "depth": 1, "edgeSet": "operational"}
    plan = api.data(
        "query($s: ScopeInput) { takedownPlan(scope: $s, budget: 3, seed: 1) { verdict { text id values } "
        "targets { edges { node { rank key gain why whyMessage { id values text } actions substitutes } } } "
        "budget search } }",
        {"s": scope},
    )["takedownPlan"]
    plan["targets"] = [e["node"] for e in plan["targets"]["edges"]]
    assert plan["verdict"]["id"] == "plan.verdict" and plan["verdict"]["text"].startswith("Taking down")
    assert [t["rank"] for t in plan["targets"]] == list(range(1, len(plan["targets"]) + 1))
    assert all(t["gain"] > 0 and t["whyMessage"]["text"] == t["why"] for t in plan["targets"])
    assert plan["budget"]["used"] + plan["budget"]["unused"] == 3 and "work_budget" in plan["search"]
    scores = api.data(
        "query($s: ScopeInput) { disruptionScores(scope: $s, first: 5) { edges { node { rank score "
        "components } } } }",
        {"s": scope},
    )["disruptionScores"]["edges"]
    values = [e["node"]["score"] for e in scores]
    assert values[0] == 100.0 and len(set(values)) == len(values) == 5
    assert [e["node"]["rank"] for e in scores] == [1, 2, 3, 4, 5]
    for budget, code in ((0, "BAD_ARGUMENT"), (501, "LIMIT_EXCEEDED")):
        errors = api.errors(
            "query($s: ScopeInput, $b: Int!) { takedownPlan(scope: $s, budget: $b) { objective } }",
            {"s": scope, "b": budget},
        )
        assert {e["extensions"]["code"] for e in errors} == {code}
        # word for word the CLI's line (queries.disruption.limits)
        assert errors[0]["message"] == f"budget must be a whole number of targets within 1-500, got {budget}"
    assert (
        api.data(
            "query($s: ScopeInput) { takedownPlan(scope: $s, budget: 500) { objective } }", {"s": scope}
        )["takedownPlan"]["objective"]
        == "fragmentation"
    )


ACTORS_CSV = """actor,type,aliases,roles,country,status,member_of,confidence
Ingested Crew,group,,ransomware-as-a-service,US,active,,70
ingestedhandle,handle,,affiliate,US,active,group:Ingested Crew,60
badrow,martian,,,,,,50
"""


def test_ingest_mutation_loads_with_the_clis_validation(api: Api) -> None:
    mutation = """mutation($p: String!) {
      ingest(format: CSV, payload: $p, filename: "actors.csv", source: "api-test", tlp: GREEN) {
        read nodesNew edgesNew merged rejected edgesPending rejects } }"""
    result = api.data(mutation, {"p": ACTORS_CSV}, as_="loader")["ingest"]
    assert result["read"] == 3 and result["rejected"] == 1 and result["nodesNew"] >= 2
    assert "martian" in str(result["rejects"][0]) and "/tmp" not in str(result["rejects"])
    node = api.data('{ node(key: "handle:ingestedhandle") { provenance { sources tlp } } }', as_="viewer")[
        "node"
    ]
    assert node["provenance"]["tlp"] == "GREEN" and node["provenance"]["sources"][0].startswith("api-test")
    assert api.codes('mutation { ingest(format: KLINGON, payload: "x") { read } }', as_="loader") == {
        "GRAPHQL_VALIDATION"
    }
    assert api.codes(
        'mutation { ingest(format: CSV, payload: "x", filename: "../../etc/x") { read } }', as_="admin"
    ) <= {"BAD_ARGUMENT"}
