"""``Entity.statedBy`` over HTTP: which sources stated each property, as the caller's clearance sees them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph_model.entities import make_node
from graph_model.model import Model
from graph_model.provenance import Provenance
from graph_model.store import GraphStore
from tests.backend.api.conftest import STORES, Api, served

WALLET = "1NDyJtNTjmwk5xPNhjgAMu4HDHigtobu1s"
QUERY = "query($k: String!) { node(key: $k) { name properties statedBy { property sources } } }"


def _load(store: GraphStore) -> None:
    model = store.model
    public = make_node(
        model,
        "Wallet",
        "btc",
        WALLET,
        prov=Provenance.of("public", "1", tlp="CLEAR"),
        props={"service": "Binance", "service_type": "exchange"},
    )
    report = make_node(
        model,
        "Wallet",
        "btc",
        WALLET,
        prov=Provenance.of("report", "7", tlp="AMBER"),
        name="Operation Kestrel cash-out",
        props={"service_type": "mixer", "cluster": "kestrel-7"},
    )
    store.upsert([report])  # the report first: the order of loading changes nothing
    store.upsert([public])


@pytest.fixture(scope="module", params=STORES)
def api(
    request: pytest.FixtureRequest, model: Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    with served(request, model, tmp_path_factory, _load) as running:
        yield running


def test_a_green_reader_sees_only_the_public_statements_credited_to_it(api: Api) -> None:
    node = api.data(QUERY, {"k": f"btc:{WALLET}"}, as_="viewer")["node"]
    assert node["name"] == WALLET
    assert node["properties"] == {"service": "Binance", "service_type": "exchange"}
    assert node["statedBy"] == [
        {"property": "name", "sources": ["public#1"]},
        {"property": "service", "sources": ["public#1"]},
        {"property": "service_type", "sources": ["public#1"]},
    ]


def test_an_amber_reader_sees_each_value_credited_to_its_source(api: Api) -> None:
    node = api.data(QUERY, {"k": f"btc:{WALLET}"}, as_="loader")["node"]
    assert node["name"] == "Operation Kestrel cash-out"
    assert node["properties"] == {"service": "Binance", "service_type": "mixer", "cluster": "kestrel-7"}
    assert node["statedBy"] == [
        {"property": "name", "sources": ["report#7"]},
        {"property": "aliases", "sources": ["public#1"]},
        {"property": "cluster", "sources": ["report#7"]},
        {"property": "service", "sources": ["public#1"]},
        {"property": "service_type", "sources": ["report#7"]},
    ]
