"""Edge lists name what they could not keep as it was: self-loops, duplicate pairs, conflicting weights;
a 1 x 1 adjacency matrix is one vertex."""

from __future__ import annotations

from pathlib import Path

from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from loaders.edgelist import CONFLICT, DUPLICATE, SELF_LOOP


def test_self_loops_duplicates_and_conflicting_weights_are_counted_and_named(
    tmp_path: Path, model: Model
) -> None:
    path = tmp_path / "net.txt"
    path.write_text("a b 1\nb c 2\na a 1\nb a 1\nc b 5\nc d\n", encoding="utf-8")
    store = EmbeddedStore(tmp_path / "g.db", model)
    summary = ingest(store, reader("edgelist")(path, LoadContext(model, "net")))
    assert summary.warnings_by_reason == {SELF_LOOP: 1, DUPLICATE: 1, CONFLICT: 1}
    assert summary.as_json()["warnings_by_reason"][CONFLICT] == 1
    graph = store.subgraph(clearance=TLP.RED)
    weights = {
        frozenset((graph.nodes[u]["name"], graph.nodes[v]["name"])): d["weight"]
        for u, v, d in graph.edges(data=True)
    }
    assert weights == {frozenset("ab"): 1.0, frozenset("bc"): 5.0, frozenset("cd"): 1.0}
    assert graph.number_of_nodes() == 4  # the self-loop's vertex is kept
    store.close()


def test_a_one_by_one_adjacency_matrix_is_one_vertex(tmp_path: Path, model: Model) -> None:
    path = tmp_path / "one.csv"
    path.write_text(",Alice\nAlice,1\n", encoding="utf-8")
    store = EmbeddedStore(tmp_path / "g.db", model)
    summary = ingest(store, reader("edgelist")(path, LoadContext(model, "one")))
    assert summary.rejected == 0
    graph = store.subgraph(clearance=TLP.RED)
    assert [d["name"] for _, d in graph.nodes(data=True)] == ["Alice"] and graph.number_of_edges() == 0
    store.close()
