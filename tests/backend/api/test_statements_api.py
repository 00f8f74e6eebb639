"""``Entity.statedBy`` over HTTP: which sources stated each property, as the caller's clearance sees them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph_model.entities import Edge, make_node
from graph_model.model import Model
from graph_model.provenance import Provenance
from graph_model.store import GraphStore
from tests.backend.api.conftest import STORES, Api, served

WALLET = "1NDyJtNTjmwk5xPNhjgAMu4HDHigtobu1s"
QUERY = "query($k: String!) { node(key: $k) { name properties statedBy { property sources } } }"
VICTIM = "12t9YDPgwueZ9NyMgw519p7AA8isjr6SMw"
LINKS = (
    "query($k: String!) { neighbourhood(keys: [$k], depth: 1) "
    "{ edges { type properties statedBy { property sources } } } }"
)


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
    # A transfer to it as three sources state it: the public dataset (amount), a CLEAR explorer (asset)
    # and the AMBER report (a dollar value).
    victim = make_node(model, "Wallet", "btc", VICTIM, prov=Provenance.of("public", "2"))
    said = [
        (Provenance.of("report", "7", tlp="AMBER"), {"amount_usd": 31337.0}),
        (Provenance.of("public", "tx1"), {"amount": 0.5}),
        (Provenance.of("explorer", "tx1"), {"asset": "BTC"}),
    ]
    for prov, props in said:
        store.upsert([victim], [Edge("TRANSFERRED", victim.key, public.key, prov, props, "tx1")])


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


def _transfer(api: Api, as_: str) -> dict[str, object]:
    edges = api.data(LINKS, {"k": f"btc:{WALLET}"}, as_=as_)["neighbourhood"]["edges"]
    (found,) = [e for e in edges if e["type"] == "TRANSFERRED"]
    return dict(found)


def test_a_links_properties_are_credited_to_the_sources_that_stated_them(api: Api) -> None:
    green = _transfer(api, "viewer")
    assert green["properties"] == {"amount": 0.5, "asset": "BTC"}
    assert green["statedBy"] == [
        {"property": "amount", "sources": ["public#tx1"]},
        {"property": "asset", "sources": ["explorer#tx1"]},
    ]
    amber = _transfer(api, "loader")
    assert amber["properties"] == {"amount": 0.5, "asset": "BTC", "amount_usd": 31337.0}
    assert amber["statedBy"] == [
        {"property": "amount", "sources": ["public#tx1"]},
        {"property": "amount_usd", "sources": ["report#7"]},
        {"property": "asset", "sources": ["explorer#tx1"]},
    ]
