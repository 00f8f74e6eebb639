"""A Neo4j load remembers what it wrote (graph_model.store.memory) and merges exactly as without it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_model.entities import Edge, Node, make_node
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import memory
from graph_model.store.embedded import EmbeddedStore
from graph_model.store.neo4j_store import Neo4jStore
from loaders.ingest import ingest
from loaders.records import LoadContext, Record
from tests.undated import undated_all


def _records(model: Model, n: int = 60) -> Iterator[Record]:
    """Handles linked in a ring, each link named again later with another source; every tenth handle
    also known by an alias that later links use instead of its key; parallel transfers between wallets."""
    ctx = LoadContext(model, "memory")
    for i in range(n):
        alias = f"alias-{i}" if i % 10 == 0 else None
        node = make_node(
            model,
            "Actor",
            "handle",
            f"h{i}",
            prov=ctx.prov(i),
            ids=(f"alias:{alias}",) if alias else (),
        )
        items: list[Node | Edge] = [node]
        if i:
            previous = f"alias:alias-{i - 1}" if (i - 1) % 10 == 0 else f"handle:h{i - 1}"
            items.append(Edge("ASSOCIATES_WITH", previous, node.key, ctx.prov(i)))
        if i >= 20:  # the link made 20 records ago, again, from another record
            j = i - 20
            items.append(Edge("ASSOCIATES_WITH", f"handle:h{j}", f"handle:h{j + 1}", ctx.prov(f"again-{i}")))
        a = make_node(model, "Wallet", "btc", f"bc1qa{i % 3}", prov=ctx.prov(None))
        b = make_node(model, "Wallet", "btc", f"bc1qb{i % 2}", prov=ctx.prov(None))
        items += [a, b, Edge("TRANSFERRED", a.key, b.key, ctx.prov(i), {"amount": float(i)}, f"tx{i % 25}")]
        yield Record(f"memory:{i}", "handle", items)


def _graph(store: Neo4jStore | EmbeddedStore) -> tuple[dict[str, Node], dict[str, Edge]]:
    found = store.neighbourhood(["handle:h0", "btc:bc1qa0"], clearance=TLP.RED, depth=80, limit=10_000)
    return undated_all(found.nodes), undated_all(found.edges)


@pytest.mark.neo4j
@pytest.mark.parametrize(
    "limits", [(memory.NODE_LIMIT, memory.EDGE_LIMIT), (7, 11)], ids=["kept", "overflowing"]
)
def test_a_load_remembering_what_it_wrote_merges_as_the_embedded_store_does(
    neo4j_store: Neo4jStore,
    model: Model,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    limits: tuple[int, int],
) -> None:
    monkeypatch.setattr(memory, "NODE_LIMIT", limits[0])
    monkeypatch.setattr(memory, "EDGE_LIMIT", limits[1])
    reference = EmbeddedStore(tmp_path / "reference.db", model)
    expected = ingest(reference, _records(model), batch_size=9)
    loaded = ingest(neo4j_store, _records(model), batch_size=9)
    assert loaded.as_json() == expected.as_json()
    assert expected.store.edges_merged > 0
    assert _graph(neo4j_store) == _graph(reference)
    again = ingest(neo4j_store, _records(model), batch_size=9)  # into a store that is not empty now
    assert (again.store.nodes_new, again.store.edges_new) == (0, 0)
    assert _graph(neo4j_store) == _graph(reference)
    reference.close()


@pytest.mark.neo4j
def test_a_write_by_someone_else_during_a_load_is_not_overlooked(
    neo4j_store: Neo4jStore, model: Model
) -> None:
    """Another writer adds a link between two entities the load wrote (one the load never wrote itself);
    the load names that link later and must find it, not create a second one."""
    other = Neo4jStore(neo4j_store.driver, model, ensure_schema=False)
    ctx = LoadContext(model, "other")
    link = Edge("ASSOCIATES_WITH", "handle:h30", "handle:h35", ctx.prov("meanwhile"))

    def records() -> Iterator[Record]:
        for record in _records(model):
            yield record
            if record.location == "memory:40":
                other.upsert([], [link])
                yield Record("late", "handle", [Edge(link.type, link.source, link.target, ctx.prov("late"))])

    ingest(neo4j_store, records(), batch_size=9)
    rows, _, _ = neo4j_store.driver.execute_query(
        "MATCH (:Entity {key: $a})-[r:ASSOCIATES_WITH]->(:Entity {key: $b}) RETURN r.sources AS sources",
        a=link.source,
        b=link.target,
    )
    assert [sorted(r["sources"]) for r in rows] == [["other#late", "other#meanwhile"]]
