"""Reading in a second process (a bulk load's ``ingest_read_apart``) merges exactly what ``ingest`` merges."""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields, replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from graph_model.entities import Edge, Node, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store.neo4j_files import RowsAhead, import_files
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
    numbered: list[tuple[str, str]] = []  # (key, kind) of every node sent in full, in the order sent
    for load in _loads(model, tmp_path):
        for nodes, edges, places in _batches(model, load(), IngestSummary(), 97, None, None):
            message = pickle.loads(pickle.dumps(packer.pack(nodes, edges, places)))
            got = _unpack(message, "2026-01-02T03:04:05Z")
            dated = [replace(n, prov=replace(n.prov, date_added="2026-01-02T03:04:05Z")) for n in nodes]
            assert [got.fresh[at] for at in got.order if at >= 0] == [
                n for n, at in zip(dated, got.order, strict=True) if at >= 0
            ]
            repeats = [got.repeats[-1 - at] for at in got.order if at < 0]
            # A repeat names the node by its number: the count of nodes sent in full before it.
            assert [(*numbered[number], key, ids) for number, _, key, ids in repeats] == [
                (n.key, n.kind, n.key, n.ids) for n, at in zip(nodes, got.order, strict=True) if at < 0
            ]
            numbered.extend((n.key, n.kind) for n in got.fresh)
            assert all(len(n.ids) <= 1 for n, at in zip(nodes, got.order, strict=True) if at < 0)
            undated = [replace(e, prov=replace(e.prov, date_added=None)) for e in got.edges]
            assert undated == edges and {e.prov.date_added for e in got.edges} <= {"2026-01-02T03:04:05Z"}
            assert (got.places.starts, got.places.locations) == (places.starts, places.locations)
            repeated += len(repeats)
    assert repeated > 100


def test_rows_written_ahead_are_the_rows_written(model: Model, tmp_path: Path) -> None:
    """A bulk load's rows written while merging (relationships, then nodes) are the rows the files get,
    and an edge or node stored anew after its row was written (a later merge) is written from what is
    stored."""
    staging = StagingStore(model)
    ahead = RowsAhead(model)
    staging.written_edges, staging.written_nodes = ahead.waiting, ahead.nodes_waiting
    ingest_read_apart(staging, _loads(model, tmp_path), batch_size=97, meanwhile=ahead.write_ahead)
    while ahead.write_ahead():
        pass
    stored = staging.stored
    assert len(ahead.rows) >= len(stored.edges) and len(ahead.node_rows) >= len(stored.nodes)
    key, edge = next(iter(stored.edges.items()))
    stored.edges[key] = replace(edge, prov=replace(edge.prov, confidence=99))
    node = stored.nodes[edge.source]
    stored.nodes[node.key] = replace(node, prov=replace(node.prov, confidence=98))

    def files(rows: RowsAhead | None) -> list[tuple[str, list[str]]]:
        made = import_files(model, stored, ahead=rows)
        return [(f.name, list(f.lines)) for f in made if "Writes" not in f.name]  # its epoch is new

    written = files(ahead)
    assert written == files(None)
    stale = ahead.rows[id(edge)][1]  # the row of the edge as first stored
    assert stale not in dict(written)[f"relationships-{edge.type}.csv"]
    stale = ahead.node_rows[id(node)][1]
    assert stale not in dict(written)[f"nodes-{node.kind}.csv"]


def _refused_by_edge_fields(model: Model) -> Iterator[Record]:
    """Records some of whose edges fail their own checks (``validate_edge``), which a bulk load's merging
    process makes: nodes shared with later records (as loaders share them), warnings, and a record whose
    edge also joins the wrong kinds."""
    dataset, amber = Provenance.of("shared"), Provenance.of("shared", tlp=TLP.AMBER)
    wallet = {n: make_node(model, "Wallet", "btc", f"bc1q{n}", prov=dataset) for n in range(8)}
    again = make_node(model, "Wallet", "btc", "bc1q0", prov=amber)  # the key of wallet[0], another object
    actor = make_node(model, "Actor", "handle", "someone", prov=dataset)
    bad = make_node(model, "Wallet", "btc", "bc1qbad", prov=dataset, props={"colour": "red"})

    def transfer(a: Node, b: Node, n: int, **props: Any) -> Edge:
        return Edge("TRANSFERRED", a.key, b.key, Provenance.of("tx", n), {"amount": 1.0, **props}, f"t{n}")

    rows: list[list[Node | Edge]] = [
        [wallet[0], wallet[1], transfer(wallet[0], wallet[1], 1, amount="lots")],  # refused
        [wallet[2]],
        [wallet[2], wallet[3], transfer(wallet[2], wallet[3], 2)],
        [wallet[4], wallet[5], transfer(wallet[4], wallet[5], 3), transfer(wallet[5], wallet[4], 4, x=1)],
        [again, wallet[6], transfer(again, wallet[6], 5, time="not a time")],  # refused
        # the first edge's own fields fail before the second's kinds: the first's reason is given
        [actor, wallet[7], transfer(wallet[7], wallet[7], 6, amount="x"), transfer(actor, wallet[7], 7)],
        [actor, wallet[7], Edge("NO_SUCH_KIND", actor.key, wallet[7].key, Provenance.of("tx", 8))],
        [wallet[1], wallet[3], transfer(wallet[1], wallet[3], 9)],  # wallet[1] only in a refused record
        [wallet[0], wallet[3], transfer(wallet[0], wallet[3], 10)],
        [again, wallet[6], transfer(again, wallet[6], 11)],
        [wallet[4], wallet[0], transfer(wallet[4], wallet[0], 12)],  # wallet[4] also only refused before
        [bad, wallet[2], transfer(bad, wallet[2], 13)],  # a node failing its checks: refused
        [wallet[3], bad, transfer(wallet[3], bad, 14)],  # and again, named again
        [bad],
        [actor, wallet[2], transfer(actor, wallet[2], 15)],  # an edge between the wrong kinds
    ]
    for n, items in enumerate(rows * 3):  # again and again: nodes sent before cross as their numbers
        warned = ("a bad optional field",) if n % 4 == 0 else ()
        yield Record(f"made#{n}", "transfer", list(items), raw=n, warnings=warned)


@pytest.mark.parametrize("batch_size", [None, 3, 7])
def test_records_refused_for_their_edges_fields(model: Model, batch_size: int | None) -> None:
    """A record whose edge fails its own checks is refused whole when the merging process checks them; a
    node it brought is merged when a later record names it, as ``ingest`` merges it; counts are equal."""
    load = partial(_refused_by_edge_fields, model)
    alone, apart = StagingStore(model), StagingStore(model)
    rejects = io.StringIO()
    summary = ingest(alone, load(), batch_size=batch_size, rejects=rejects)
    (got,) = ingest_read_apart(apart, [load], batch_size=batch_size)
    assert got.as_json() == summary.as_json()
    assert summary.rejected == 27 and summary.warnings_by_reason["a bad optional field"] == 5
    # The first few refused, those refused in reading first: each as ingest refuses it.
    refused = [json.loads(line) for line in rejects.getvalue().splitlines()]
    assert len(got.first_rejects) == 5
    assert set(got.first_rejects) <= {(r["location"], r["reason"]) for r in refused}
    assert any("TRANSFERRED.amount" in reason for _, reason in got.first_rejects)
    assert "TRANSFERRED.time: not a time: 'not a time'" in {r["reason"].partition(": ")[2] for r in refused}
    one, two = alone.stored, apart.stored
    assert list(one.nodes) == list(two.nodes) and list(one.edges) == list(two.edges)
    assert [_undated(n) for n in one.nodes.values()] == [_undated(n) for n in two.nodes.values()]
    assert [_undated(e) for e in one.edges.values()] == [_undated(e) for e in two.edges.values()]
    assert "btc:bc1q1" in two.nodes and two.nodes["btc:bc1q0"].levels  # merged after being refused once
