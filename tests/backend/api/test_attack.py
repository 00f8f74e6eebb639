"""Every field on real data: MITRE ATT&CK Enterprise groups (STIX 2.1), both stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_model.model import Model
from graph_model.store import GraphStore
from loaders import LoadContext, ingest, reader
from tests.backend.api.conftest import STORES, Api, served

pytestmark = pytest.mark.realdata
APT28, APT29 = "attack:G0007", "attack:G0016"


@pytest.fixture(scope="module", params=STORES)
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Api]:
    bundle = shared_data / "attack-enterprise-groups.stix.json"

    def load(store: GraphStore) -> None:
        ingest(store, reader("stix")(bundle, LoadContext(store.model, "attack")))

    with served(request, model, tmp_path_factory, load) as running:
        yield running


def test_find_an_actor_by_its_attack_id_and_by_name(api: Api) -> None:
    node = api.data(
        ("query($k: String!) { node(key: $k) { key kind name aliases provenance { sources tlp } } }"),
        {("k"): APT28},
    )["node"]
    assert node["name"] == "APT28" and node["kind"] == "Actor" and "Fancy Bear" in node["aliases"]
    found = api.data('{ search(text: "fancy bear", kinds: [Actor]) { edges { node { key name } } } }')
    assert node["key"] in [e["node"]["key"] for e in found["search"]["edges"]]


def test_expand_share_and_connect_two_groups(api: Api) -> None:
    near = api.data(
        "query($k: [String!]!) { neighbourhood(keys: $k, depth: 1) { nodes { kind name } edges { type } } }",
        {"k": [APT28]},
    )["neighbourhood"]
    assert {("Malware")} <= {n[("kind")] for n in near[("nodes")]} and {("USES")} <= {
        e[("type")] for e in near[("edges")]
    }
    shared = api.data(
        (
            "query($k: [String!]!) { commonAssociates(keys: $k, first: 5) { edges { "
            "node { node { name kind } detail } } } }"
        ),
        {"k": [APT28, APT29]},
    )["commonAssociates"]["edges"]
    assert shared and shared[0]["node"]["detail"]["linked_to"] == 2
    paths = api.data(
        (
            "query($a: String!, $b: String!) { paths(source: $a, target: $b, first: 2) "
            "{ edges { node { length nodes { name } } } } }"
        ),
        {"a": APT28, "b": APT29},
    )["paths"]["edges"]
    assert paths and paths[0]["node"]["length"] == 2
    pivots = api.data(
        (
            "query($k: String!) { sharedInfrastructure(key: $k, first: 3) { edges { "
            "node { node { name } score } } } }"
        ),
        {"k": APT28},
    )
    assert "sharedInfrastructure" in pivots


def test_whole_network_questions(api: Api) -> None:
    data = api.data(
        "{ stats { totalNodes nodes { name count } } schema { edgeSets { name } }"
        " communities(first: 3) { edges { node { id size kinds } } }"
        " centrality(metric: DEGREE, first: 3) { edges { node { node { name } score } } } }"
    )
    assert data["stats"]["totalNodes"] > 900
    assert len(data["communities"]["edges"]) == 3 and data["centrality"]["edges"][0]["node"]["score"] > 0
    timeline = api.data(
        (
            "query($k: String!) { timeline(key: $k, first: 5) { edges { node { edge "
            "{ type } other { name } } } } }"
        ),
        {"k": APT28},
    )["timeline"]["edges"]
    assert len(timeline) == 5
    scores = api.data(
        (
            "query($k: [String!]!) { disruptionScores(scope: {keys: $k, depth: 1}, "
            "first: 3) { edges { node { name why } } } }"
        ),
        {"k": [APT28]},
    )["disruptionScores"]["edges"]
    assert scores[0]["node"]["name"] == "APT28"
    assert api.codes(("query($k: String!) { moneyFlow(wallet: $k) { direction } }"), {("k"): APT28}) == {
        ("BAD_ARGUMENT")
    }
