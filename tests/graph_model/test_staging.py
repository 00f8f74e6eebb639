"""The in-memory staging of a bulk load merges as the stores do, and keeps only what a clearance may see."""

from __future__ import annotations

from pathlib import Path

from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from graph_model.store.staging import StagingStore
from graph_model.views import edge_view, node_view
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from tests.conftest import FIXTURES


def _files(tmp_path: Path) -> list[Path]:
    demo = generate(tmp_path / "demo", 60, 3).tables
    return [
        *demo,
        *sorted((FIXTURES / "csv").glob("*.csv")),
        *sorted((FIXTURES / "csv-levels").glob("*.csv")),
    ]


def test_staging_holds_what_a_store_holds(model: Model, tmp_path: Path) -> None:
    staging, store = StagingStore(model), EmbeddedStore(tmp_path / "g.db", model)
    for path in _files(tmp_path):
        for target in (staging, store):
            ingest(target, reader("csv")(path, LoadContext(model, path.stem)))
    held, stored = staging.stored, store.stored()
    assert held.nodes.keys() == stored.nodes.keys() and held.edges.keys() == stored.edges.keys()
    # The same records, but for the moment each was first added (each load stamps its own).
    for key, node in held.nodes.items():
        other = stored.nodes[key]
        assert (node.kind, node.type, node.name, node.props, node.ids) == (
            other.kind,
            other.type,
            other.name,
            other.props,
            other.ids,
        )
        assert node.prov.sources == other.prov.sources and node.prov.tlp == other.prov.tlp
        assert (node.levels is None) == (other.levels is None)
    assert held.ids == stored.ids and held.pending.keys() == stored.pending.keys()
    assert sorted(held.nodes["handle:quiet broker"].levels or ()) == [
        TLP.CLEAR,
        TLP.GREEN,
        TLP.AMBER,
        TLP.RED,
    ]
    store.close()


def test_within_a_clearance(model: Model, tmp_path: Path) -> None:
    staging = StagingStore(model)
    for path in sorted((FIXTURES / "csv-levels").glob("*.csv")):
        ingest(staging, reader("csv")(path, LoadContext(model, path.stem)))
    held = staging.stored
    for level in TLP:
        kept = held.within(level)
        # A caller at ``level`` sees the same of every node and edge in both; nothing above it remains.
        for key, node in held.nodes.items():
            view = node_view(node, level)
            assert (view is None) == (key not in kept.nodes), (key, level)
            if view is not None:
                assert node_view(kept.nodes[key], level) == view
                assert all(part <= level for part in kept.nodes[key].levels or ())
        for key, edge in held.edges.items():
            if key in kept.edges:
                assert edge_view(kept.edges[key], level) == edge_view(edge, level)
    clear = held.within(TLP.CLEAR)
    assert set(clear.nodes) == {"handle:quiet broker"}  # the group is GREEN and RED only
    assert clear.edges == {} and "informant" not in str(clear.nodes["handle:quiet broker"])
