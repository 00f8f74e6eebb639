"""Neo4j-specific storage: what a relationship keeps, how it is found again, and older data."""

from __future__ import annotations

import pytest

from graph_model.entities import Edge, Node, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from graph_model.store.neo4j_store import Neo4jStore, _key_parts, _Tx


def _prov(record: str, **kw: object) -> Provenance:
    return Provenance.of("test", record, **kw)  # type: ignore[arg-type]


def _actors(model: Model, *names: str) -> list[Node]:
    return [make_node(model, "Actor", "handle", name, prov=_prov(name)) for name in names]


def test_key_parts_include_the_true_split_and_only_splits_of_the_key() -> None:
    edges = [
        Edge("USES", "a", "b", _prov("1")),
        Edge("TRANSFERRED", "btc:x", "btc:y", _prov("2"), discriminator="tx|0"),
        Edge("ALIAS_OF", "handle:a|b", "handle:c", _prov("3")),
        Edge("ALIAS_OF", "handle:a", "handle:|b|", _prov("4"), discriminator="|"),
    ]
    for edge in edges:
        parts = list(_key_parts(edge.key))
        assert (edge.type, edge.source, edge.target, edge.discriminator) in parts
        assert all(Edge(t, s, d, edge.prov, discriminator=x).key == edge.key for t, s, d, x in parts)
    assert list(_key_parts("USES|a|b|")) == [("USES", "a", "b", "")]
    assert list(_key_parts("not a key")) == []


def test_bars_in_keys_and_discriminators_merge_like_any_edge(store: GraphStore, model: Model) -> None:
    """Runs on both stores: ``|`` in node keys and discriminators cannot confuse finding an edge again."""
    a, b, c = _actors(model, "left|side", "right", "|both|")
    edges = [
        Edge("ASSOCIATES_WITH", a.key, b.key, _prov("e1")),
        Edge("ASSOCIATES_WITH", a.key, c.key, _prov("e2"), discriminator="x|y"),
        Edge("ASSOCIATES_WITH", a.key, c.key, _prov("e3"), discriminator="x"),
        Edge("ASSOCIATES_WITH", c.key, b.key, _prov("e4"), discriminator="|"),
    ]
    first = store.upsert([a, b, c], edges)
    assert (first.edges_new, first.edges_merged) == (4, 0)
    later = [
        Edge(e.type, e.source, e.target, _prov("again"), {"weight": 0.5}, e.discriminator) for e in edges
    ]
    again = store.upsert([], later)
    assert (again.edges_new, again.edges_merged) == (0, 4)
    sub = store.neighbourhood([a.key], clearance=TLP.RED, depth=2)
    assert sub.edges.keys() == {e.key for e in edges}
    for edge in edges:
        stored = sub.edges[edge.key]
        assert (stored.source, stored.target, stored.discriminator) == (
            edge.source,
            edge.target,
            edge.discriminator,
        )
        assert stored.prov.sources == edge.prov.sources | {"test#again"}
        assert stored.props == {"weight": 0.5}


@pytest.mark.neo4j
def test_relationships_store_only_what_the_graph_does_not_hold(neo4j_store: Neo4jStore, model: Model) -> None:
    a, b = _actors(model, "alice", "bob")
    neo4j_store.upsert(
        [a, b],
        [
            Edge("ASSOCIATES_WITH", a.key, b.key, _prov("1", tlp="AMBER"), {"weight": 2.0}),
            Edge("ASSOCIATES_WITH", a.key, b.key, _prov("2", first_seen="2020-01-01"), discriminator="d"),
        ],
    )
    rows, _, _ = neo4j_store.driver.execute_query(
        "MATCH ()-[r:ASSOCIATES_WITH]->() RETURN properties(r) AS p ORDER BY r.confidence, r.tlp_rank"
    )
    stored = sorted((dict(r["p"]) for r in rows), key=lambda p: p["tlp_rank"])
    # Each relationship carries when it was first loaded (graph_model.provenance), checked apart.
    added = [p.pop("date_added") for p in stored]
    assert all(isinstance(when, str) and when.endswith("Z") for when in added)
    assert stored == [
        {
            "sources": ["test#2"],
            "first_seen": "2020-01-01T00:00:00Z",
            "last_seen": "2020-01-01T00:00:00Z",
            "confidence": 50,
            "tlp_rank": 0,
            "discriminator": "d",
        },
        {"sources": ["test#1"], "confidence": 50, "tlp_rank": 2, "weight": 2.0},
    ]


@pytest.mark.neo4j
def test_relationships_written_by_earlier_versions_read_and_merge(
    neo4j_store: Neo4jStore, model: Model
) -> None:
    """Earlier versions stored key, type, end keys, TLP label and an empty discriminator on every edge."""
    a, b = _actors(model, "carol", "dave")
    neo4j_store.upsert([a, b])
    old = Edge("ASSOCIATES_WITH", a.key, b.key, _prov("old", tlp="GREEN"), {"relation": "friend"})
    neo4j_store.driver.execute_query(
        "MATCH (a:Entity {key: $a}), (b:Entity {key: $b}) CREATE (a)-[:ASSOCIATES_WITH {key: $key, "
        "type: 'ASSOCIATES_WITH', source: $a, target: $b, discriminator: '', sources: ['test#old'], "
        "confidence: 50, tlp: 'GREEN', tlp_rank: 1, relation: 'friend'}]->(b)",
        a=a.key,
        b=b.key,
        key=old.key,
    )
    assert neo4j_store.neighbourhood([a.key], clearance=TLP.RED).edges == {old.key: old}
    result = neo4j_store.upsert([], [Edge(old.type, a.key, b.key, _prov("new", tlp="RED"))])
    assert (result.edges_new, result.edges_merged) == (0, 1)
    merged = neo4j_store.neighbourhood([a.key], clearance=TLP.RED).edges[old.key]
    assert merged.prov.sources == {"test#old", "test#new"} and merged.prov.tlp is TLP.RED
    rows, _, _ = neo4j_store.driver.execute_query("MATCH ()-[r:ASSOCIATES_WITH]->() RETURN r.tlp AS tlp")
    assert [r["tlp"] for r in rows] == [None]  # the stale label is gone


@pytest.mark.neo4j
def test_write_edges_replaces_existing_and_creates_missing(neo4j_store: Neo4jStore, model: Model) -> None:
    a, b = _actors(model, "erin", "frank")
    plain = Edge("ASSOCIATES_WITH", a.key, b.key, _prov("1"))
    tagged = Edge("ASSOCIATES_WITH", a.key, b.key, _prov("2"), discriminator="t")
    neo4j_store.upsert([a, b], [plain, tagged])
    changed = [
        Edge(e.type, e.source, e.target, _prov("3"), {"weight": 1.0}, e.discriminator)
        for e in (plain, tagged)
    ]
    missing = [
        Edge("ASSOCIATES_WITH", b.key, a.key, _prov("4")),
        Edge("ASSOCIATES_WITH", a.key, b.key, _prov("5"), discriminator="u"),
    ]
    with neo4j_store._write_transaction() as tx:
        tx.write_edges([*changed, *missing])
    with neo4j_store._write_transaction() as tx:
        found = tx.fetch_edges([e.key for e in (*changed, *missing)])
    assert found == {e.key: e for e in (*changed, *missing)}


@pytest.mark.neo4j
def test_an_edge_written_earlier_in_the_transaction_is_found(neo4j_store: Neo4jStore, model: Model) -> None:
    """Edges to entities the transaction created are not looked up - unless it already wrote some."""
    a, b = _actors(model, "grace", "heidi")
    edge = Edge("ASSOCIATES_WITH", a.key, b.key, _prov("1"))
    with neo4j_store._write_transaction() as tx:
        assert isinstance(tx, _Tx)
        tx.write_nodes([a, b], new=True)
        assert tx.fetch_edges([edge.key]) == {}
        tx.write_edges([edge], new=True)
        assert tx.fetch_edges([edge.key]) == {edge.key: edge}
