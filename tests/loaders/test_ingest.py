"""ingest() with a background writer gives exactly what a foreground load gives, and fails the same way."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from graph_model.entities import Edge, Node, make_node
from graph_model.errors import StoreError
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import UpsertResult
from graph_model.store.embedded import EmbeddedStore
from loaders.ingest import ingest
from loaders.records import LoadContext, Record, SourceError


class BackgroundStore(EmbeddedStore):
    """The real embedded store, written from ingest's background thread (as Neo4jStore is)."""

    background_writes = True
    fail_at_batch: int | None = None
    batches = 0

    def upsert(
        self, nodes: Sequence[Node] = (), edges: Sequence[Edge] = (), *, validate: bool = True
    ) -> UpsertResult:
        self.batches += 1
        if self.batches == self.fail_at_batch:
            raise StoreError("the server went away")
        return super().upsert(nodes, edges, validate=validate)


def _chain(model: Model, n: int) -> Iterator[Record]:
    """Records each naming a handle and a link to the previous one (so later batches need earlier ones)."""
    ctx = LoadContext(model, "chain")
    previous: Node | None = None
    for i in range(n):
        node = make_node(model, "Actor", "handle", f"h{i}", prov=ctx.prov(i))
        items: list[Node | Edge] = [node]
        if previous is not None:
            items.append(Edge("ASSOCIATES_WITH", previous.key, node.key, ctx.prov(i)))
        previous = node
        yield Record(f"chain:{i}", "handle", items)


def test_background_writes_give_the_foreground_result(tmp_path: Path, model: Model) -> None:
    foreground = EmbeddedStore(tmp_path / "f.db", model)
    background = BackgroundStore(tmp_path / "b.db", model)
    a = ingest(foreground, _chain(model, 2500), batch_size=100)
    b = ingest(background, _chain(model, 2500), batch_size=100)
    assert (
        b.as_json()
        == a.as_json()
        == {
            "read": 2500,
            "nodes_new": 2500,
            "edges_new": 2499,
            "merged": 0,
            "rejected": 0,
            "skipped": 0,
            "skipped_by_reason": {},
            "rejected_by_reason": {},
            "warnings_by_reason": {},
            "edges_rejected": 0,
        }
    )
    assert background.batches == 50
    assert background.stats(clearance=TLP.RED) == foreground.stats(clearance=TLP.RED)
    assert background.pending_count() == 0  # every edge found its earlier endpoint in order


class ForegroundStore(BackgroundStore):
    background_writes = False


def test_a_failed_background_batch_stops_the_load_with_its_error(tmp_path: Path, model: Model) -> None:
    totals = []
    for name, kind in (("b.db", BackgroundStore), ("f.db", ForegroundStore)):
        store = kind(tmp_path / name, model)
        store.fail_at_batch = 3
        with pytest.raises(StoreError, match="the server went away"):
            ingest(store, _chain(model, 1000), batch_size=100)
        assert store.batches == 3  # nothing was written after the failed batch
        totals.append(store.stats(clearance=TLP.RED).as_dict()["total_nodes"])
    # Batches before the failure committed whole, as in a foreground load: 51 + 50 handles.
    assert totals == [101, 101]


def test_a_load_collects_garbage_less_often_and_restores_the_thresholds(tmp_path: Path, model: Model) -> None:
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []

    def records() -> Iterator[Record]:
        yield from _chain(model, 10)
        during.append(gc.get_threshold())
        raise SourceError("the file ended early")

    store = EmbeddedStore(tmp_path / "gc.db", model)
    with pytest.raises(SourceError):
        ingest(store, records())
    store.close()
    assert during[0][0] >= 100_000 > before[0]
    assert gc.get_threshold() == before
