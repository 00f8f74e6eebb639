"""Neo4j's near() - hubs remembered per caller's filter and cap while the data version stays - against the
generic reading, before and after writes through another connection."""

from __future__ import annotations

import random
from typing import Any

import pytest

from graph_model.entities import Edge
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store import neo4j_store as neo4j_module
from graph_model.store.neo4j_store import Neo4jStore
from tests.graph_model.test_embedded_near import _graph, _prov

pytestmark = pytest.mark.neo4j


def _asks(model: Model, rng: random.Random, keys: list[str], count: int) -> list[dict[str, Any]]:
    """``count`` near() questions drawn from every clearance, edge set, kind filter, cap and keep size."""
    type_sets = [model.edge_types(), model.edge_types("money"), frozenset({"TRANSFERRED"})]
    asks = []
    for i in range(count):
        cap = rng.choice([0, 1, 3, 8, None])
        size = rng.choice([0, 3, 60])
        keep = frozenset(rng.sample(keys, size) + (["btc:nowhere"] if size else []))
        asks.append(
            {
                "keys": rng.sample(keys, 5) + keys[:2],
                "clearance": list(TLP)[i % len(TLP)],
                "types": rng.choice(type_sets),
                "kinds": rng.choice([None, frozenset({"Wallet"}), frozenset({"Actor"})]),
                "keep": keep,
                "cap": cap,
            }
        )
    return asks


def _compare(store: Neo4jStore, asks: list[dict[str, Any]]) -> None:
    """Every answer of store.near equals the generic reading, asked twice (the second from memory)."""
    for ask in asks:
        expected = GraphStore.near(store, **ask)
        for _ in range(2):
            assert store.near(**ask) == expected, ask


def test_remembered_hubs_answer_as_the_generic_reading_until_anyone_writes(
    neo4j_store: Neo4jStore, neo4j_uri: Any, model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Remembered from 4 neighbours: every entity with more neighbours than the cap.
    monkeypatch.setattr(neo4j_module, "HUB_CACHE_DEGREE", 4)
    store = neo4j_store
    rng = random.Random(21)
    nodes, edges = _graph(model, rng, "a")
    store.upsert(nodes, edges)
    keys = sorted({n.key for n in nodes})
    hub = keys[0]
    types = model.edge_types()
    first = store.near([hub], clearance=TLP.RED, types=types, cap=3)[hub]
    assert first.degree > 40 and store._hubs, "the hub is remembered"
    # Served from memory, with a caller's kept neighbour past the first three found pair by pair.
    kept = sorted(
        {link.other(hub) for link in GraphStore.near(store, [hub], clearance=TLP.RED, types=types)[hub].links}
    )[-1]
    again = store.near([hub], clearance=TLP.RED, types=types, cap=3, keep=frozenset({kept}))[hub]
    assert again.degree == first.degree and kept in {link.other(hub) for link in again.links}
    _compare(store, _asks(model, rng, keys, 25))

    # Another connection (as another process would) writes more links to the hub: nothing remembered
    # before is served again.
    other = Neo4jStore.connect(neo4j_uri.uri, *neo4j_uri.auth, model, neo4j_uri.database)
    try:
        more, more_edges = _graph(model, rng, "b")
        more_edges += [Edge("TRANSFERRED", hub, n.key, _prov(rng, f"h{n.key}"), {}, "h") for n in more[:30]]
        other.upsert(more, more_edges)
        after = store.near([hub], clearance=TLP.RED, types=types, cap=3)[hub]
        assert after.degree == first.degree + 30
        keys = sorted({n.key for n in nodes + more})
        _compare(store, _asks(model, rng, keys, 15))

        # The database emptied and written again up to the same data version (a new write counter: a
        # new epoch): the hub's remembered count is not served.
        held = store.near([hub], clearance=TLP.RED, types=types, cap=3)[hub].degree
        (version,) = other._read("MATCH (w:CrimegraphWrites {id: 0}) RETURN w.version AS v")
        other._write("MATCH (n) DETACH DELETE n")
        few = {n.key: n for n in nodes if n.key == hub or n.key in keys[1:6]}
        again_edges = [Edge("TRANSFERRED", hub, k, _prov(rng, f"f{k}"), {}, "f") for k in keys[1:6]]
        other.upsert(list(few.values()), again_edges)
        other._write("MATCH (w:CrimegraphWrites {id: 0}) SET w.version = $v", v=version["v"])
        assert other.data_version() == version["v"]
        now = store.near([hub], clearance=TLP.RED, types=types, cap=3)[hub]
        assert held > 40 and now.degree == 5
    finally:
        other.close()
