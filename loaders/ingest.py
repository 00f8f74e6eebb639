"""One way into a store for every loader: validate each record, batch, merge, count, report rejects."""

from __future__ import annotations

import gc
import io
import json
import os
import pickle
import queue
import signal
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, fields
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from operator import attrgetter
from typing import Any, TextIO

from graph_model.entities import Edge, Node, validate_edge, validate_node
from graph_model.errors import CrimegraphError, ValidationError
from graph_model.heap import fewer_collections
from graph_model.model import Model
from graph_model.provenance import Provenance
from graph_model.store import UpsertResult
from graph_model.store.base import LoadTarget
from graph_model.store.batch import now_second
from graph_model.store.codec import edge_row
from loaders.reasons import reason_kind
from loaders.records import Record


@dataclass(slots=True)
class IngestSummary:
    """Counts of one load. ``read``/``rejected``/``skipped`` count input records, the rest entities."""

    read: int = 0
    rejected: int = 0
    skipped: int = 0
    store: UpsertResult = field(default_factory=UpsertResult)
    read_by_kind: Counter[str] = field(default_factory=Counter)
    rejected_by_kind: Counter[str] = field(default_factory=Counter)
    skipped_by_reason: Counter[str] = field(default_factory=Counter)
    # Rejections grouped by the kind of their reason (ids left out), and the first few as they came.
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    first_rejects: list[tuple[str, str]] = field(default_factory=list)
    # What loaded records left out (a bad optional field), by kind of warning.
    warnings_by_reason: Counter[str] = field(default_factory=Counter)
    # Edges the store refused when their ends' kinds became known (also counted in ``rejected``).
    edges_rejected: int = 0

    FIRST_REJECTS = 5

    def as_json(self) -> dict[str, Any]:
        """The JSON shape of ``crimegraph load --json`` (keys are only ever added)."""
        return {
            "read": self.read,
            "nodes_new": self.store.nodes_new,
            "edges_new": self.store.edges_new,
            "merged": self.store.nodes_merged + self.store.edges_merged,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "skipped_by_reason": dict(self.skipped_by_reason.most_common()),
            "rejected_by_reason": dict(self.rejected_by_reason.most_common()),
            "warnings_by_reason": dict(self.warnings_by_reason.most_common()),
            "edges_rejected": self.edges_rejected,
        }

    def add(self, part: IngestSummary) -> None:
        """Add the counts of another load (one file of a multi-file load)."""
        self.read += part.read
        self.rejected += part.rejected
        self.skipped += part.skipped
        self.store.add(part.store)
        self.read_by_kind.update(part.read_by_kind)
        self.rejected_by_kind.update(part.rejected_by_kind)
        self.skipped_by_reason.update(part.skipped_by_reason)
        self.rejected_by_reason.update(part.rejected_by_reason)
        self.warnings_by_reason.update(part.warnings_by_reason)
        self.edges_rejected += part.edges_rejected
        room = self.FIRST_REJECTS - len(self.first_rejects)
        self.first_rejects.extend(part.first_rejects[: max(room, 0)])

    def note_reject(self, record: Record, reason: str) -> None:
        self.rejected += 1
        self.rejected_by_kind[record.kind] += 1
        self.rejected_by_reason[reason_kind(reason)] += 1
        if len(self.first_rejects) < self.FIRST_REJECTS:
            self.first_rejects.append((record.location, reason))


def _reject(rejects: TextIO | None, record: Record, reason: str, *, skipped: bool = False) -> None:
    """One JSON line for a rejected record; a skipped (good, not loaded) one says ``"skipped": true``."""
    if rejects is None:
        return
    separator = ":" if ":" in record.location else "#"
    file = record.location.partition(separator)[0]
    entry = {"file": file, "location": record.location, "reason": reason, "record": _jsonable(record.raw)}
    if skipped:
        entry["skipped"] = True
    rejects.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")


def _jsonable(raw: Any) -> Any:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return raw


# Nodes the reading process of a bulk load keeps, to hand out again (nodes named by rows: pass it as
# LoadContext's ``named``), as checked and as sent, each forgotten at once beyond it: enough for every
# wallet of a few million transfers. A node forgotten is made, checked, sent and merged again for every
# record naming it (at size L, with 50,000 kept, over half the transfers' wallets went again).
BULK_NAMED = 1 << 21


class RecordChecker:
    """Checks every item of a record, and the kinds at both ends of edges whose endpoints the record itself
    brings. A node object checked already is not checked again: loaders hand the same object to every record
    naming that node (a wallet named by thousands of transactions). Checked nodes are held (``keep`` at
    most), so their ids cannot be reused while remembered; nothing changes a node once it is checked."""

    LIMIT = 100_000

    def __init__(self, model: Model, *, keep: int = LIMIT) -> None:
        self.model = model
        self.keep = keep
        self.checked: dict[int, Node] = {}

    def __call__(self, record: Record) -> None:
        model, checked = self.model, self.checked
        kinds: dict[str, str] = {}
        edges: list[Edge] = []
        for item in record.items:
            if isinstance(item, Node):
                if checked.get(id(item)) is not item:
                    validate_node(model, item)
                    if len(checked) >= self.keep:
                        checked.clear()
                    checked[id(item)] = item
                kind = kinds[item.key] = item.kind
                for i in item.ids:
                    kinds[i] = kind
            else:
                edges.append(item)
        if edges:
            check_edges(model, edges, kinds, record.location)


def check_edges(model: Model, edges: Iterable[Edge], kinds: dict[str, str], where: str) -> None:
    """Check each of a record's edges (its own fields, then the kinds at its ends where ``kinds``, the
    record's nodes' kinds by identifier, knows both); ValidationError for the first that fails."""
    for edge in edges:
        validate_edge(model, edge)
        source, target = kinds.get(edge.source), kinds.get(edge.target)
        if source and target and not model.edges[edge.type].allows(source, target):
            raise ValidationError(f"the schema has no {edge.type} from {source} to {target}", where)


class _Writer:
    """Writes batches in order; with a store whose writes wait on a server, in a background thread so the
    next batch is read and checked while the server works on this one (at most one batch in flight).

    ``done`` is called with each batch's result, its edges and where they came from, once it is written."""

    def __init__(self, store: LoadTarget, done: Callable[[UpsertResult, list[Edge], _Places], None]) -> None:
        self.store = store
        self.done = done
        self.pool = ThreadPoolExecutor(1, "crimegraph-writer") if store.background_writes else None
        self.in_flight: tuple[Future[UpsertResult], list[Edge], _Places] | None = None

    def write(self, nodes: list[Node], edges: list[Edge], places: _Places) -> None:
        if not nodes and not edges:
            return
        if self.pool is None:
            self.done(self.store.upsert(nodes, edges, validate=False), edges, places)
            return
        self.wait()
        self.in_flight = self.pool.submit(self.store.upsert, nodes, edges, validate=False), edges, places

    def wait(self) -> None:
        if self.in_flight is not None:
            (future, edges, places), self.in_flight = self.in_flight, None
            self.done(future.result(), edges, places)

    def close(self) -> None:
        """Wait for the batch in flight (also when the load stops early: it commits or fails whole)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)


class _Places:
    """Where a batch's edges came from: the location of each record giving edges, by its first edge's index
    (small lists, so a batch in flight does not keep its records, and their raw text, alive).

    Where the records giving edges are checked by the merging process (:func:`ingest_read_apart`), each
    such record also has its kind, where its nodes are in the batch's (``node_starts`` to
    ``node_ends``) and, if it has any, its warnings' kinds (``warned``, by its index here): what
    refusing it whole takes."""

    __slots__ = ("starts", "locations", "kinds", "node_starts", "node_ends", "warned")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.locations: list[str] = []
        self.kinds: list[str] = []
        self.node_starts: list[int] = []
        self.node_ends: list[int] = []
        self.warned: dict[int, list[str]] = {}

    def misfits(self, edges: list[Edge], misfits: list[tuple[Edge, str]]) -> Iterator[tuple[Record, str]]:
        """Each edge the store refused as a rejected record: located at the record of this load that gave
        it, else (a waiting edge from an earlier load) at the sources the edge carries; with the reason."""
        if not misfits:
            return
        index = {id(edge): i for i, edge in enumerate(edges)}  # the batch's edges, alive in ``edges``
        for edge, reason in misfits:
            at = index.get(id(edge))
            if at is None:
                where = ", ".join(sorted(edge.prov.sources)) or edge.key
            else:
                where = self.locations[bisect_right(self.starts, at) - 1]
            yield Record(where, "edge", raw=edge_row(edge)), reason


def _count_written(
    summary: IngestSummary, rejects: TextIO | None, result: UpsertResult, edges: list[Edge], places: _Places
) -> None:
    """Count a written batch; report the edges the store refused as misfits of the schema."""
    for record, reason in places.misfits(edges, result.misfits):
        summary.note_reject(record, reason)
        summary.edges_rejected += 1
        _reject(rejects, record, reason)
    result.misfits = []
    summary.store.add(result)


def _batches(
    model: Model,
    records: Iterable[Record],
    summary: IngestSummary,
    batch_size: int,
    rejects: TextIO | None,
    progress: Callable[[int], None] | None,
    *,
    apart: bool = False,
) -> Iterator[tuple[list[Node], list[Edge], _Places]]:
    """The checked items of ``records`` in batches of about ``batch_size`` (nodes, edges, where the edges
    came from); the records read, skipped and rejected counted in ``summary``, bad ones to ``rejects``.

    ``apart``: for a merging process that checks the records giving edges (``_Merging``): they are batched
    unchecked, with what refusing one takes, and their warnings counted there once merged."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    places = _Places()
    check = RecordChecker(model, keep=BULK_NAMED if apart else RecordChecker.LIMIT)
    for record in records:
        summary.read += 1
        summary.read_by_kind[record.kind] += 1
        if progress is not None:
            progress(1)
        if record.skipped is not None:
            summary.skipped += 1
            summary.skipped_by_reason[reason_kind(record.skipped)] += 1
            _reject(rejects, record, record.skipped, skipped=True)
            continue
        error = record.error
        if error is None and not apart:
            try:
                check(record)
            except ValidationError as exc:
                error = str(exc)
        if error is not None:
            summary.note_reject(record, error)
            _reject(rejects, record, error)
            continue
        first, node_start = len(edges), len(nodes)
        for item in record.items:
            (nodes if isinstance(item, Node) else edges).append(item)  # type: ignore[arg-type]
        warnings = record.warnings
        if len(edges) != first:
            if apart:  # checked by the merging process, which may refuse it: what that takes
                if warnings:
                    places.warned[len(places.starts)] = [reason_kind(warning) for warning in warnings]
                    warnings = ()
                places.kinds.append(record.kind)
                places.node_starts.append(node_start)
                places.node_ends.append(len(nodes))
            places.starts.append(first)
            places.locations.append(record.location)
        elif apart:  # a record of nodes only is checked here
            try:
                check(record)
            except ValidationError as exc:
                del nodes[node_start:]
                summary.note_reject(record, str(exc))
                _reject(rejects, record, str(exc))
                continue
        for warning in warnings:
            summary.warnings_by_reason[reason_kind(warning)] += 1
        if len(nodes) + len(edges) >= batch_size:
            yield nodes, edges, places
            nodes, edges, places = [], [], _Places()
    if nodes or edges:
        yield nodes, edges, places


def ingest(
    store: LoadTarget,
    records: Iterable[Record],
    *,
    batch_size: int | None = None,
    rejects: TextIO | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Validate every record, write good ones to ``store`` in batches, report bad ones to ``rejects``.

    A bad record never stops the load and never takes good records with it; memory stays bounded by
    ``batch_size`` whatever the input size. Each batch is one transaction, so an interrupted load
    leaves whole batches only, and running it again completes it. ``batch_size`` counts nodes and
    edges per transaction; by default the store's own (``GraphStore.batch_size``).
    """
    summary = IngestSummary()

    def written(result: UpsertResult, written_edges: list[Edge], written_places: _Places) -> None:
        _count_written(summary, rejects, result, written_edges, written_places)

    writer = _Writer(store, written)
    with store.loading(), fewer_collections():
        try:
            for nodes, edges, places in _batches(
                store.model, records, summary, batch_size or store.batch_size, rejects, progress
            ):
                writer.write(nodes, edges, places)
            writer.wait()
        finally:
            writer.close()
    return summary


class ReadFailed(CrimegraphError):
    """Reading the ``index``-th load of :func:`ingest_read_apart` failed (bad input: the message says why)."""

    def __init__(self, index: int, message: str) -> None:
        self.index = index
        super().__init__(message)


def _provenance(
    sources: Any, first: Any, last: Any, confidence: Any, tlp: Any, added: Any, created: Any, modified: Any
) -> Provenance:
    made: Provenance = object.__new__(Provenance)  # frozen: set as Provenance.of does
    s0, s1, s2, s3, s4, s5, s6, s7 = _PROVENANCE_SETTERS
    s0(made, sources)
    s1(made, first)
    s2(made, last)
    s3(made, confidence)
    s4(made, tlp)
    s5(made, added)
    s6(made, created)
    s7(made, modified)
    return made


_BATCHES_AHEAD = 8  # batches (a few MiB each) the merging process takes in before it merges them
_PIPE_SIZE = 1 << 20


def _by_fields(cls: type, make: Callable[..., Any]) -> Callable[[Any], tuple[Any, ...]]:
    values = attrgetter(*(f.name for f in fields(cls)))
    return lambda item: (make, values(item))


_PROVENANCE_SETTERS = tuple(Provenance.__dict__[f.name].__set__ for f in fields(Provenance))
# How what a batch's columns hold crosses (marking levels: nodes and edges): each record class as a tuple
# of its fields (pickle's default for slotted classes builds a dict of them, about twice as slow).
_BATCH_PICKLING: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    Provenance: _by_fields(Provenance, _provenance),
    Node: _by_fields(Node, Node),
    Edge: _by_fields(Edge, Edge),
}


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _BATCH_PICKLING
    pickler.dump(message)
    conn.send_bytes(buffer.getbuffer())


# A batch's records as columns of their fields, the provenance apart; :func:`_unpack` takes them in these
# orders.
NODE_FIELDS = ("key", "kind", "type", "name", "props", "ids", "levels", "stated", "marked")
EDGE_FIELDS = ("type", "source", "target", "props", "discriminator", "levels", "stated", "marked")
_PROVENANCE_FIELDS = tuple(attrgetter(f.name) for f in fields(Provenance))
_NODE_FIELDS = tuple(map(attrgetter, NODE_FIELDS))
_EDGE_FIELDS = tuple(map(attrgetter, EDGE_FIELDS))
_PROV = attrgetter("prov")


# A node sent in full before: its number (the nodes sent in full are numbered from 0 as they go), kind,
# key and identifiers.
Repeat = tuple[int, str, str, tuple[str, ...]]


class _Packer:
    """How the reading process sends a batch: in columns (each a list of one field of every record, the
    provenances' fields apart), built and rebuilt without a Python call per field; a node sent in full
    by an earlier batch goes only as a :data:`Repeat`. Loaders hand one node object to every record
    naming it (a wallet named by thousands of transfers) and a node never changes once checked, so such
    a record adds nothing to what the merging store holds (merging is idempotent): only its count
    matters. A node with several identifiers is always sent in full (it may resolve differently as
    identifiers arrive)."""

    # Nodes remembered as sent (held, so their ids cannot be reused; most are held by the loaders anyway).
    LIMIT = BULK_NAMED

    def __init__(self) -> None:
        self.sent: dict[int, tuple[Node, int]] = {}  # by id(): the node and its number
        self.count = 0  # nodes sent in full so far

    def pack(self, nodes: list[Node], edges: list[Edge], places: _Places, read: int = 0) -> tuple[Any, ...]:
        """The batch as sent; ``read``: the records read since the batch before (for progress)."""
        sent = self.sent
        if len(sent) >= self.LIMIT:
            sent.clear()
        # Each node object once, in the order first named; ``order`` places every record's node.
        first = dict(zip(map(id, nodes), nodes, strict=True))
        fresh: list[Node] = []
        repeats: list[Repeat] = []
        at: dict[int, int] = {}
        count = self.count
        for key, node in first.items():
            was = sent.get(key)
            if was is not None and was[0] is node:
                at[key] = -1 - len(repeats)
                repeats.append((was[1], node.kind, node.key, node.ids))
                continue
            at[key] = len(fresh)
            if len(node.ids) <= 1:
                sent[key] = (node, count + len(fresh))
            fresh.append(node)
        self.count = count + len(fresh)
        order = list(map(at.__getitem__, map(id, nodes)))
        return (
            "batch",
            _columns(_NODE_FIELDS, fresh),
            _columns(_PROVENANCE_FIELDS, list(map(_PROV, fresh))),
            order,
            repeats,
            _columns(_EDGE_FIELDS, edges),
            _columns(_PROVENANCE_FIELDS, list(map(_PROV, edges))),
            places.starts,
            places.locations,
            places.kinds,
            places.node_starts,
            places.node_ends,
            places.warned,
            read,
        )


def _columns(getters: tuple[Callable[[Any], Any], ...], items: list[Any]) -> list[list[Any]]:
    """Each field of ``items`` (one getter a field) as one list."""
    return [list(map(get, items)) for get in getters]


def _provenances(columns: list[Any], when: str) -> map[Provenance]:
    """Provenances from their columns, dated as added ``when`` where they carry no date (as
    :func:`graph_model.store.batch.stamp` dates them)."""
    sources, first, last, confidence, tlp, added, created, modified = columns
    added = [when if value is None else value for value in added]
    return map(_provenance, sources, first, last, confidence, tlp, added, created, modified)


@dataclass(slots=True)
class _Batch:
    """A batch as :meth:`_Packer.pack` sent it: the nodes sent in full (``fresh``), where each record's
    node is (``order``: an index of ``fresh``, or ``-1 - i`` for ``repeats[i]``, a node sent in full
    before, as a :data:`Repeat`), the edges and where they came from."""

    fresh: list[Node]
    order: list[int]
    repeats: list[Repeat]
    edges: list[Edge]
    places: _Places


def _unpack(message: tuple[Any, ...], when: str) -> _Batch:
    """A batch as :meth:`_Packer.pack` sent it, its provenances dated as added ``when``."""
    _, node_columns, node_provs, order, repeats, edge_columns, edge_provs, *where, _ = message
    key, kind, type_, name, props, ids, levels, stated, marked = node_columns
    fresh = list(
        map(Node, key, kind, type_, name, _provenances(node_provs, when), props, ids, levels, stated, marked)
    )
    type_, source, target, props, discriminator, levels, stated, marked = edge_columns
    edges = list(
        map(
            Edge,
            type_,
            source,
            target,
            _provenances(edge_provs, when),
            props,
            discriminator,
            levels,
            stated,
            marked,
        )
    )
    places = _Places()
    places.starts, places.locations, places.kinds, places.node_starts, places.node_ends, places.warned = where
    return _Batch(fresh, order, repeats, edges, places)


class _Merging:
    """The merging process of :func:`ingest_read_apart`: each batch's records giving edges checked as
    :class:`RecordChecker` checks them (the reading process checked the others), a record failing refused
    whole, the others merged.

    A node failing its checks is remembered by its number: a later record naming it sends only that, and
    is refused as well. A node of a refused record that no other record of its batch names is kept aside:
    a later record naming it sends only its number, and the node is merged then.
    The counts of what was merged and refused here add up to those of the reading process at a load's
    end (records refused here are listed after those refused in reading)."""

    def __init__(self, store: LoadTarget) -> None:
        self.store = store
        self.model = store.model
        self.received = 0  # nodes received in full so far: the number of the batch's first
        self.aside: dict[int, Node] = {}  # by number
        self.invalid: dict[int, str] = {}  # why, by number
        self.summary = IngestSummary()

    def merge(self, batch: _Batch) -> None:
        first, self.received = self.received, self.received + len(batch.fresh)
        refused = self._refused(batch, first)
        if refused:
            batch = self._without(batch, first, refused)
        fresh, order, repeats, aside = batch.fresh, batch.order, batch.repeats, self.aside
        if aside:  # a node kept aside is merged where a record names it again
            nodes: list[Node] = []
            repeated: list[Repeat] = []
            for at in order:
                if at >= 0:
                    nodes.append(fresh[at])
                elif (node := aside.pop(repeats[-1 - at][0], None)) is not None:
                    nodes.append(node)
                else:
                    repeated.append(repeats[-1 - at])
        else:
            nodes = [fresh[at] for at in order if at >= 0]
            repeated = [repeats[-1 - at] for at in order if at < 0]
        summary, places = self.summary, batch.places
        for reasons in places.warned.values():
            summary.warnings_by_reason.update(reasons)
        result = self.store.upsert(nodes, batch.edges, validate=False)
        # Records of nodes merged before: each counts as merged into its stored entity.
        result.nodes_merged += len(repeated)
        result.merged_by_kind.update(repeat[1] for repeat in repeated)
        _count_written(summary, None, result, batch.edges, places)

    def _refused(self, batch: _Batch, first: int) -> dict[int, str]:
        """The records giving edges (by index in the batch's places) that fail their checks, and why."""
        model, places, invalid = self.model, batch.places, self.invalid
        fresh, order, repeats, edges = batch.fresh, batch.order, batch.repeats, batch.edges
        starts = places.starts
        ends = [*starts[1:], len(edges)]
        found: dict[int, str | None] = {}  # nodes sent in full in this batch, checked: why they fail
        refused: dict[int, str] = {}
        for index, (begin, end) in enumerate(zip(places.node_starts, places.node_ends, strict=True)):
            kinds: dict[str, str] = {}
            error = None
            for at in order[begin:end]:
                if at >= 0:
                    node = fresh[at]
                    if at in found:
                        error = found[at]
                    else:
                        try:
                            validate_node(model, node)
                        except ValidationError as exc:
                            error = str(exc)
                        found[at] = error
                    key, kind, ids = node.key, node.kind, node.ids
                else:
                    number, kind, key, ids = repeats[-1 - at]
                    error = invalid.get(number)
                if error is not None:
                    break
                kinds[key] = kind
                for i in ids:
                    kinds[i] = kind
            if error is None:
                try:
                    check_edges(model, edges[starts[index] : ends[index]], kinds, places.locations[index])
                except ValidationError as exc:
                    error = str(exc)
            if error is not None:
                refused[index] = error
        for at, error in found.items():
            if error is not None and len(fresh[at].ids) <= 1:  # as the packer numbers them
                invalid[first + at] = error
        return refused

    def _without(self, batch: _Batch, first: int, refused: dict[int, str]) -> _Batch:
        """``batch`` without the ``refused`` records (counted as refused), their nodes kept aside."""
        places, order, edges = batch.places, batch.order, batch.edges
        dropped: set[int] = set()  # node places (in ``order``) of refused records
        for index in refused:
            dropped.update(range(places.node_starts[index], places.node_ends[index]))
        kept_order = [at for i, at in enumerate(order) if i not in dropped]
        kept_fresh = {at for at in kept_order if at >= 0}
        for i in dropped:
            at = order[i]
            if at >= 0 and at not in kept_fresh and len(batch.fresh[at].ids) <= 1:  # as the packer
                self.aside[first + at] = batch.fresh[at]
        kept = _Places()
        kept_edges: list[Edge] = []
        ends = [*places.starts[1:], len(edges)]
        for index, (start, end) in enumerate(zip(places.starts, ends, strict=True)):
            if index in refused:
                self.summary.note_reject(Record(places.locations[index], places.kinds[index]), refused[index])
                continue
            if index in places.warned:
                kept.warned[len(kept.starts)] = places.warned[index]
            kept.starts.append(len(kept_edges))
            kept.locations.append(places.locations[index])
            kept_edges.extend(edges[start:end])
        return _Batch(batch.fresh, kept_order, batch.repeats, kept_edges, kept)


def _read_apart(
    conn: Connection, model: Model, loads: Sequence[Callable[[], Iterable[Record]]], batch_size: int
) -> None:
    """The reading process: each load's batches (its records of nodes only checked), then its counts, sent
    to the merging process."""
    packer = _Packer()
    for index, load in enumerate(loads):
        summary = IngestSummary()
        told = 0  # records read as far as the batches sent say
        try:
            for batch in _batches(model, load(), summary, batch_size, None, None, apart=True):
                _send(conn, packer.pack(*batch, read=summary.read - told))
                told = summary.read
                # What is held now (the loaders' named nodes, those remembered as sent) stays held to the
                # end: collections leave it alone. Else the batches' records, promoted while a batch is
                # held, set off full collections of all of it again and again (at L: about 50 s of CPU).
                gc.freeze()
        except (CrimegraphError, OSError) as exc:
            _send(conn, ("failed", index, str(exc)))
            return
        except Exception as exc:
            _send(conn, ("crashed", index, f"{type(exc).__name__}: {exc}"))
            return
        _send(conn, ("done", summary, summary.read - told))  # and the records read after the last batch


def ingest_read_apart(
    store: LoadTarget,
    loads: Sequence[Callable[[], Iterable[Record]]],
    *,
    batch_size: int | None = None,
    meanwhile: Callable[[], bool] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[IngestSummary]:
    """:func:`ingest` of each load (a function giving its records) into ``store``, the records read in a
    second process (forked) while this one merges them: the same batches in the same order, so the same
    result, in about the time of the slower of the two. The reading process checks the records of nodes
    only, this one those giving edges (:class:`_Merging`), so that the two have about as much to do.
    For a store merging in this process (a bulk load's :class:`~graph_model.store.staging.StagingStore`);
    without ``os.fork``, one process.

    ``meanwhile`` runs whenever this process would wait for the next batch, for as long as it says it
    did some work (a small share at a time). ``progress`` is called with the number of records read each
    time a batch of them is merged (and with the rest of a load's when it ends).

    :class:`ReadFailed` names the load whose reading failed (bad input, a file that cannot be read)."""
    size = batch_size or store.batch_size
    if not hasattr(os, "fork"):
        summaries = []
        for index, load in enumerate(loads):
            try:
                summaries.append(ingest(store, load(), batch_size=size, progress=progress))
            except (CrimegraphError, OSError) as exc:
                raise ReadFailed(index, str(exc)) from None
        return summaries
    receive, send = Pipe(duplex=False)
    with suppress(OSError, AttributeError):  # a batch in a few reads, not a few dozen (Linux)
        import fcntl

        fcntl.fcntl(send.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    pid = os.fork()
    if pid == 0:  # the reading process: its loads, then out at once (no exit handlers of the parent's)
        code = 0
        try:
            receive.close()
            gc.enable()  # it holds what it reads (frozen as it goes); the merging process keeps its own
            with fewer_collections():
                _read_apart(send, store.model, loads, size)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    send.close()
    # A thread takes the batches off the pipe as they come (up to a few ahead), so the reading process
    # never waits for a batch to be merged before it can send the next.
    ahead: queue.Queue[bytes | None] = queue.Queue(_BATCHES_AHEAD)
    stop = threading.Event()

    def take() -> None:
        try:
            while not stop.is_set():
                ahead.put(receive.recv_bytes())
        except (EOFError, OSError):
            ahead.put(None)

    taker = threading.Thread(target=take, name="crimegraph-read-apart", daemon=True)
    taker.start()
    summaries = []
    try:
        with store.loading(), fewer_collections():
            merging = _Merging(store)
            while len(summaries) < len(loads):
                if meanwhile is not None and ahead.empty() and meanwhile():
                    continue
                data = ahead.get()
                if data is None:
                    raise CrimegraphError("the process reading the records ended unexpectedly")
                message = pickle.loads(data)
                what = message[0]
                if what == "batch":
                    merging.merge(_unpack(message, now_second()))
                    if progress is not None:
                        progress(message[-1])
                elif what == "done":
                    read: IngestSummary = message[1]
                    if progress is not None and message[2]:
                        progress(message[2])  # records read after the last batch (rejected, skipped)
                    read.add(merging.summary)
                    summaries.append(read)
                    merging.summary = IngestSummary()
                elif what == "failed":
                    raise ReadFailed(message[1], message[2])
                else:
                    raise RuntimeError(f"reading load {message[1]} failed: {message[2]}")
    except BaseException:
        os.kill(pid, signal.SIGKILL)  # it holds nothing but what it reads
        raise
    finally:
        stop.set()
        while taker.is_alive():  # let it go: room in the queue, or the end of the pipe
            with suppress(queue.Empty):
                ahead.get(timeout=0.05)
        receive.close()
        os.waitpid(pid, 0)
    return summaries
