"""Dates through GraphQL on both stores: created/modified/dateAdded on entities and links, and time
windows that leave undated links out unless includeUndated, saying how many (undatedLeftOut)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from graph_model.entities import Edge, make_node
from graph_model.model import Model, default_model
from graph_model.provenance import Provenance
from graph_model.store import GraphStore
from tests.backend.api.conftest import STORES, Api, served

ADDRESSES = [f"bc1qapidates{i}xxxxxxxxxxxxxxxxxxxxxx" for i in range(4)]


def _load(store: GraphStore) -> None:
    model = default_model()
    nodes = [make_node(model, "Wallet", "btc", a, prov=Provenance.of("chain", a)) for a in ADDRESSES]
    nodes[0] = make_node(
        model,
        "Wallet",
        "btc",
        ADDRESSES[0],
        prov=Provenance.of("report", "1", created="2020-01-02T03:04:05Z", modified="2024-05-06T07:08:09Z"),
    )
    k = [n.key for n in nodes]
    seen = Provenance.of
    store.upsert(
        nodes,
        [
            Edge("TRANSFERRED", k[0], k[1], seen("chain", "t1", first_seen="2021-05-01"), {}, "t1"),
            Edge("TRANSFERRED", k[0], k[2], seen("chain", "t2", first_seen="2023-02-01"), {}, "t2"),
            Edge("TRANSFERRED", k[0], k[3], seen("chain", "t3", created="2019-01-01"), {}, "t3"),
            # An AMBER report dates the third transfer: a GREEN caller must not be told of that date.
            Edge("TRANSFERRED", k[0], k[3], seen("r", "9", tlp="AMBER", first_seen="2023-06-01"), {}, "t3"),
        ],
    )


@pytest.fixture(scope="module", params=STORES)
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    # A cold Neo4j plans each new statement once, seconds apiece on a loaded machine: room for that.
    with served(request, model, tmp_path_factory, _load, time_budget=60, neo4j_timeout=50) as running:
        yield running


QUERIES = [
    """query($k: String!) {
  dataVersion
  node(key: $k) { created modified dateAdded provenance { created modified dateAdded firstSeen } }
}""",
    """query($k: String!) {
  narrow: neighbourhood(keys: [$k], since: "2022-01-01") {
    undatedLeftOut edges { target created dateAdded provenance { firstSeen } }
  }
  wide: neighbourhood(keys: [$k], since: "2022-01-01", includeUndated: true) {
    undatedLeftOut edges { target created modified }
  }
  all: neighbourhood(keys: [$k]) { undatedLeftOut edges { target } }
}""",
    """query($k: String!) {
  neighbours(key: $k, since: "2020-01-01") { totalCount undatedLeftOut }
  allNeighbours: neighbours(key: $k, since: "2020-01-01", includeUndated: true) { totalCount undatedLeftOut }
}""",
    """query($k: String!) {
  moneyFlow(wallet: $k, since: "2020-01-01") {
    network { undatedLeftOut } destinations { edges { node { node { key } } } }
  }
}""",
]


def _ask(api: Api, origin: str, as_: str = "analyst") -> dict[str, Any]:
    """Every query's answer, one request each (a cold Neo4j plans each statement once)."""
    data: dict[str, Any] = {}
    for query in QUERIES:
        data.update(api.data(query, {"k": origin}, as_=as_))
    return data


def test_dates_and_windows(api: Api) -> None:
    origin = f"btc:{ADDRESSES[0]}"
    third = f"btc:{ADDRESSES[3]}"
    data = _ask(api, origin)  # analyst: GREEN clearance
    assert data["dataVersion"] == api.store.data_version() > 0
    node = data["node"]
    assert (node["created"], node["modified"]) == ("2020-01-02T03:04:05Z", "2024-05-06T07:08:09Z")
    assert node["dateAdded"] and node["dateAdded"] == node["provenance"]["dateAdded"]
    assert node["provenance"]["created"] == node["created"] and node["provenance"]["firstSeen"] is None
    narrow = data["narrow"]
    assert [e["target"] for e in narrow["edges"]] == [f"btc:{ADDRESSES[2]}"]
    assert narrow["undatedLeftOut"] == 1
    assert all(e["dateAdded"] and e["created"] is None for e in narrow["edges"])
    wide = data["wide"]
    assert sorted(e["target"] for e in wide["edges"]) == [f"btc:{ADDRESSES[2]}", third]
    assert wide["undatedLeftOut"] == 0
    assert {e["target"]: e["created"] for e in wide["edges"]}[third] == "2019-01-01T00:00:00Z"
    assert len(data["all"]["edges"]) == 3 and data["all"]["undatedLeftOut"] == 0
    assert data["neighbours"] == {"totalCount": 2, "undatedLeftOut": 1}
    assert data["allNeighbours"] == {"totalCount": 3, "undatedLeftOut": 0}
    flow = data["moneyFlow"]
    assert flow["network"]["undatedLeftOut"] == 1
    assert third not in {d["node"]["node"]["key"] for d in flow["destinations"]["edges"]}
    # RED sees the AMBER report's date: the third transfer is dated and falls in the window.
    red = _ask(api, origin, as_="admin")
    assert sorted(e["target"] for e in red["narrow"]["edges"]) == [f"btc:{ADDRESSES[2]}", third]
    assert red["narrow"]["undatedLeftOut"] == 0
