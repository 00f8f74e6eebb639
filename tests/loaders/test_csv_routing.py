"""The CSV columns a takedown package routes with: registrars and registries of domains, AS upstreams, abuse
contacts, services (exchanges) and where an actor is believed to be."""

from __future__ import annotations

from pathlib import Path

from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader


def _load(store: EmbeddedStore, path: Path, text: str) -> tuple[int, int]:
    path.write_text(text, encoding="utf-8")
    summary = ingest(store, reader("csv")(path, LoadContext(store.model, "routing")))
    return summary.read, summary.rejected


def test_routing_columns(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    infrastructure = (
        "type,value,registrar,registry,upstream,abuse_email,abuse_phone,registrant_country,belongs_to\n"
        "registrar,Quick Names Ltd,,,,abuse@quicknames.example,+44 20 0000 0000,,\n"
        "domain,shop.example,Quick Names Ltd,registry of .example,,,,NL,\n"
        "asn,AS64500,,,AS64496;AS64497,noc@transit.example,,,Bullet Host\n"
        "domain,bad.example,,,AS64500,,,,\n"
        "asn,AS64501,,,shop.example,,,,\n"
    )
    assert _load(embedded_store, tmp_path / "infra.csv", infrastructure) == (5, 2)
    graph = embedded_store.subgraph(clearance=TLP.RED, edge_types=["REGISTERED_WITH", "CUSTOMER_OF"])
    assert {(u, v, d["type"], d.get("relation")) for u, v, d in graph.edges(data=True)} == {
        ("domain:shop.example", "registrar:quick names ltd", "REGISTERED_WITH", "registrar"),
        ("domain:shop.example", "registry:registry of .example", "REGISTERED_WITH", "registry"),
        ("asn:64500", "asn:64496", "CUSTOMER_OF", None),
        ("asn:64500", "asn:64497", "CUSTOMER_OF", None),
    }
    assert embedded_store.get("registrar:quick names ltd", clearance=TLP.RED).props == {
        "abuse_email": "abuse@quicknames.example",
        "abuse_phone": "+44 20 0000 0000",
    }
    assert embedded_store.get("domain:shop.example", clearance=TLP.RED).props == {"registrant_country": "NL"}
    services = "service,service_type,country,abuse_email\nCoinPort,Exchange,EE,compliance@coinport.example\n"
    assert _load(embedded_store, tmp_path / "services.csv", services) == (1, 0)
    assert embedded_store.get("organization:coinport", clearance=TLP.RED).props == {
        "service_type": "exchange",
        "country": "EE",
        "abuse_email": "compliance@coinport.example",
    }
    actors = "actor,type,country,located_in\nnightowl,handle,KP,fr\nDarkSide,group,RU,\nx,handle,,France\n"
    assert _load(embedded_store, tmp_path / "actors.csv", actors) == (3, 1)
    owl = embedded_store.get("handle:nightowl", clearance=TLP.RED)
    assert owl.props == {"country": "KP", "located_in": "FR"}
