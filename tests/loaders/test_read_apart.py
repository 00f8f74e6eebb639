"""Reading in a second process (a bulk load's ``ingest_read_apart``) merges exactly what ``ingest`` merges."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields, replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from graph_model.entities import Edge, Node
from graph_model.model import Model
from graph_model.store.neo4j_files import EdgeRows, import_files
from graph_model.store.staging import StagingStore
from loaders import LoadContext, Record, ingest, reader
from loaders.generate import generate
from loaders.ingest import (
    EDGE_FIELDS,
    NODE_FIELDS,
    IngestSummary,
    ReadFailed,
    _batches,
    _Packer,
    _unpack,
    ingest_read_apart,
)
from tests.conftest import FIXTURES


def _undated(item: Any) -> Any:
    """``item`` (a node or edge) without the moments it was added: each batch stamps its own."""
    levels = None if item.levels is None else {k: _undated(v) for k, v in item.levels.items()}
    return replace(item, prov=replace(item.prov, date_added=None), levels=levels)


def _loads(model: Model, tmp_path: Path) -> list[Callable[[], Iterable[Record]]]:
    paths = [
        *generate(tmp_path / "demo", 60, 3).tables,
        *sorted((FIXTURES / "csv").glob("*.csv")),
        *sorted((FIXTURES / "csv-levels").glob("*.csv")),
    ]
    return [partial(reader("csv"), path, LoadContext(model, path.stem)) for path in paths]


@pytest.mark.parametrize("batch_size", [None, 97])
def test_reading_apart_merges_as_ingest(model: Model, tmp_path: Path, batch_size: int | None) -> None:
    loads = _loads(model, tmp_path)
    alone, apart = StagingStore(model), StagingStore(model)
    summaries = [ingest(alone, load(), batch_size=batch_size) for load in loads]
    told: list[int] = []
    assert [
        s.as_json() for s in ingest_read_apart(apart, loads, batch_size=batch_size, progress=told.append)
    ] == [s.as_json() for s in summaries]
    # Progress: every record read (rejected and skipped ones too) counted once, batch by batch.
    assert sum(told) == sum(s.read for s in summaries) and all(n > 0 for n in told)
    assert len(told) >= (len(loads) if batch_size is None else sum(s.read for s in summaries) // 97)
    assert sum(s.rejected for s in summaries) and sum(s.store.nodes_merged for s in summaries)
    one, two = alone.stored, apart.stored
    assert list(one.nodes) == list(two.nodes) and list(one.edges) == list(two.edges)
    assert [_undated(n) for n in one.nodes.values()] == [_undated(n) for n in two.nodes.values()]
    assert [_undated(e) for e in one.edges.values()] == [_undated(e) for e in two.edges.values()]
    assert one.ids == two.ids and one.pending == two.pending
    assert any(n.levels for n in two.nodes.values()) and any(n.stated for n in two.nodes.values())


def _good(model: Model) -> Iterator[Record]:
    return reader("csv")(FIXTURES / "csv" / "actors.csv", LoadContext(model, "actors"))


def _crash() -> Iterator[Record]:
    yield from ()
    raise ZeroDivisionError("a bug")


def test_a_failed_read_names_its_load(model: Model, tmp_path: Path) -> None:
    missing = partial(reader("csv"), tmp_path / "missing.csv", LoadContext(model, "missing"))
    with pytest.raises(ReadFailed) as failed:
        ingest_read_apart(StagingStore(model), [partial(_good, model), missing, partial(_good, model)])
    assert failed.value.index == 1 and "missing.csv" in str(failed.value)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: a bug"):
        ingest_read_apart(StagingStore(model), [_crash])


def test_batches_cross_as_columns(model: Model, tmp_path: Path) -> None:
    """What the reading process sends rebuilds every record of a batch; a node sent in full before
    crosses as its key and kind only (counted as merged)."""
    assert NODE_FIELDS == tuple(f.name for f in fields(Node) if f.name != "prov")
    assert EDGE_FIELDS == tuple(f.name for f in fields(Edge) if f.name != "prov")
    packer = _Packer()
    repeated = 0
    for load in _loads(model, tmp_path):
        for nodes, edges, places in _batches(model, load(), IngestSummary(), 97, None, None):
            message = pickle.loads(pickle.dumps(packer.pack(nodes, edges, places)))
            got_nodes, got_edges, got_places, repeats = _unpack(message, "2026-01-02T03:04:05Z")
            order = message[3]
            dated = [replace(n, prov=replace(n.prov, date_added="2026-01-02T03:04:05Z")) for n in nodes]
            assert got_nodes == [n for n, at in zip(dated, order, strict=True) if at >= 0]
            assert repeats == [(n.key, n.kind) for n, at in zip(nodes, order, strict=True) if at < 0]
            assert all(len(n.ids) <= 1 for n, at in zip(nodes, order, strict=True) if at < 0)
            undated = [replace(e, prov=replace(e.prov, date_added=None)) for e in got_edges]
            assert undated == edges and {e.prov.date_added for e in got_edges} <= {"2026-01-02T03:04:05Z"}
            assert (got_places.starts, got_places.locations) == (places.starts, places.locations)
            repeated += len(repeats)
    assert repeated > 100


def test_rows_written_ahead_are_the_rows_written(model: Model, tmp_path: Path) -> None:
    """A bulk load's relationship rows written while merging are the rows the files get, and an edge
    stored anew after its row was written (a later merge) is written from what is stored."""
    staging = StagingStore(model)
    ahead = EdgeRows(model)
    staging.written_edges = ahead.waiting
    ingest_read_apart(staging, _loads(model, tmp_path), batch_size=97, meanwhile=ahead.write_ahead)
    while ahead.write_ahead():
        pass
    stored = staging.stored
    assert len(ahead.rows) >= len(stored.edges)
    key, edge = next(iter(stored.edges.items()))
    stored.edges[key] = replace(edge, prov=replace(edge.prov, confidence=99))

    def files(rows: EdgeRows | None) -> list[tuple[str, list[str]]]:
        made = import_files(model, stored, ahead=rows)
        return [(f.name, list(f.lines)) for f in made if "Writes" not in f.name]  # its epoch is new

    written = files(ahead)
    assert written == files(None)
    stale = ahead.rows[id(edge)][1]  # the row of the edge as first stored
    assert stale not in dict(written)[f"relationships-{edge.type}.csv"]
