"""CAIDA AS relationships: provider-customer lines become CUSTOMER_OF (customer -> upstream), peers are
skipped, bad lines rejected with their line."""

from __future__ import annotations

from pathlib import Path

from graph_model.provenance import TLP
from graph_model.store import GraphStore
from tests.loaders.loading import edge_types, load


def test_provider_customer_lines(fixtures: Path, store: GraphStore) -> None:
    path = fixtures / "as-rel" / "20240101.as-rel2.txt"
    summary = load(store, "as-rel", path, "caida")
    assert (summary.read, summary.skipped, summary.rejected) == (11, 1, 4)
    assert set(summary.rejected_by_reason) == {
        "AS64500 cannot be its own upstream",
        "unknown relationship '2' (-1 provider-customer, 0 peers)",
        "not an AS number: '…'",  # values are masked in the grouped reasons
        "expected AS1|AS2|relationship[|source], found 2 fields",
    }
    assert edge_types(store) == {"CUSTOMER_OF": 6}
    graph = store.subgraph(clearance=TLP.RED, edge_types=["CUSTOMER_OF"])
    assert set(graph.edges()) == {
        ("asn:64500", "asn:64496"),
        ("asn:64500", "asn:64497"),
        ("asn:64501", "asn:64497"),
        ("asn:64510", "asn:64500"),
        ("asn:64511", "asn:64501"),
        ("asn:64511", "asn:64500"),  # written AS64500|AS64511
    }
    link = next(d for u, v, d in graph.edges(data=True) if (u, v) == ("asn:64501", "asn:64497"))
    assert link["relation"] == "mlp"
    assert (link["first_seen"], link["last_seen"]) == ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z")
    assert store.get("asn:64496", clearance=TLP.RED).name == "AS64496"
    again = load(store, "as-rel", path, "caida").store
    assert (again.nodes_new, again.edges_new) == (0, 0)
