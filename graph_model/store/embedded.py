"""The default store: one SQLite file (WAL, one transaction per batch) and an in-memory networkx index."""

from __future__ import annotations

import heapq
import sqlite3
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

from graph_model.entities import RESERVED, Edge, Node, edge_key
from graph_model.errors import StoreError
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.base import (
    MAX_EVENTS,
    Facts,
    GraphStore,
    Link,
    Near,
    SlimEdge,
    SlimNode,
    Stats,
    TimeWindow,
    WriteTx,
    check_state_name,
    slim_edge,
    slim_node,
    state_value,
    time_order,
)
from graph_model.store.codec import (
    edge_data,
    edge_row,
    node_row,
    row_edge,
    row_node,
    search_text,
    shows,
    words,
)
from graph_model.store.memory import NODE_LIMIT
from graph_model.store.staging import Stored
from graph_model.views import edge_view, floor, node_view

# Hubs (entities with more neighbours than a walk shows, and at least HUB_CACHE_DEGREE adjacent entities)
# have their counts and first neighbours remembered for near(): the same exchanges and hosters turn up in
# neighbourhood after neighbourhood. At most HUB_CACHE_NAMES names are held, each hub counting HUB_COST
# more for itself (some 20 MB at most).
HUB_CACHE_DEGREE = 64
HUB_CACHE_NAMES = 1_000_000
HUB_COST = 16
# Bumped when the file layout changes; an older file is refused with a clear message.
# 3: tlp_rank is the lowest marking among sources, levels kept per marking; 4: STIX observations and
# containers (indicators, observed-data, reports, notes, observables' ids) keyed by their whole STIX id;
# 5: nodes credit each property to the sources that stated it (``stated``).
LAYOUT_VERSION = 5
_SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, tlp_rank INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ids (id TEXT PRIMARY KEY, key TEXT NOT NULL);
-- Edges are appended in rowid order and found through a small integer hash of their key: a B-tree of
-- long text keys in random order would dirty most of its pages on every batch (measured 4x slower).
-- The key itself is type|source|target|discriminator, so it is not stored twice.
CREATE TABLE IF NOT EXISTS edges (
    id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, type TEXT NOT NULL, source TEXT NOT NULL,
    target TEXT NOT NULL, discriminator TEXT NOT NULL, tlp_rank INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS edges_hash ON edges(hash);
CREATE TABLE IF NOT EXISTS pending (key TEXT PRIMARY KEY, source TEXT, target TEXT, data TEXT);
CREATE INDEX IF NOT EXISTS pending_source ON pending(source);
CREATE INDEX IF NOT EXISTS pending_target ON pending(target);
-- rowid = nodes.rowid (kept stable by upserts), so a node's entry is replaced without a scan.
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(text, tokenize='unicode61 remove_diacritics 0');
"""
# The state beyond the graph (GraphStore.put_state ...) and the store's counters: ``graph`` counts graph
# writes (what the topology index and the write cache depend on), ``data`` the data version.
_STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (namespace, key))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_events (namespace TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS state_events_key ON state_events(namespace, key, at);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta(name, value) VALUES ('graph', 0), ('data', 0);
"""


_LIST = "(SELECT value FROM json_each(?))"  # a JSON array parameter, read as a list


def key_hash(key: str) -> int:
    """The stable hash edges are looked up by (collisions are harmless: the full key is compared)."""
    return zlib.crc32(key.encode())


def _dumps(row: dict[str, Any]) -> str:
    return orjson.dumps(row).decode()


def _edge_data(edge: Edge) -> str:
    return orjson.dumps(edge_data(edge)).decode()


def _row_edge(etype: str, source: str, target: str, discriminator: str, data: str) -> Edge:
    row = orjson.loads(data)
    row.update(type=etype, source=source, target=target, discriminator=discriminator)
    return row_edge(row)


def _prop_value(value: Any) -> Any:
    """A stored property as a record holds it (``codec``: lists sorted)."""
    return sorted(value) if isinstance(value, list) else value


def fts_query(text: str) -> str | None:
    """Every word must match, as a prefix; quoted so user text is never FTS syntax."""
    tokens = words(text)
    return " ".join(f'"{w}"*' for w in tokens) if tokens else None


def _first(item: tuple[str, bool, dict[str, Any]]) -> str:
    return item[0]


def _neighbours(
    index: nx.MultiDiGraph,
    key: str,
    clearance: TLP,
    types: frozenset[str],
    kinds: frozenset[str] | None,
    unfiltered: bool = False,
) -> set[str]:
    """The distinct visible neighbours of ``key`` of ``kinds`` over visible edges of ``types``;
    ``unfiltered``: the caller sees everything (RED, every type, every kind), so every adjacent entity."""
    if unfiltered:
        around: set[str] = index._succ[key].keys() | index._pred[key].keys()
        return around
    nodes = index._node
    found: set[str] = set()
    for adjacent in (index._succ[key], index._pred[key]):
        for other, parallel in adjacent.items():
            if other in found:
                continue
            far = nodes[other]
            if far["rank"] > clearance or (kinds is not None and far["kind"] not in kinds):
                continue
            for data in parallel.values():
                if data["type"] in types and data["rank"] <= clearance:
                    found.add(other)
                    break
    return found


class _Tx:
    """The write primitives over one open SQLite transaction."""

    def __init__(self, store: EmbeddedStore, conn: sqlite3.Connection) -> None:
        self.store = store
        self.conn = conn
        self.nodes_written: list[Node] = []
        self.edges_written: list[Edge] = []
        self.edge_ids: dict[str, int] = {}  # rowids of the edges fetch_edges found
        self.renamed = False  # entities were keyed anew: the topology index and what is known are stale

    def _rows(self, sql: str, values: Iterable[Any]) -> sqlite3.Cursor:
        """Run ``sql`` whose one parameter is a JSON array of ``values`` (read through json_each)."""
        return self.conn.execute(sql, (orjson.dumps(list(values)).decode(),))

    def resolve_ids(self, ids: Iterable[str]) -> dict[str, str]:
        # A node's own key resolves through the nodes table; only its extra ids are in ``ids``.
        items = list(ids)
        found = dict(self._rows(f"SELECT id, key FROM ids WHERE id IN {_LIST}", items))
        found.update((k, k) for (k,) in self._rows(f"SELECT key FROM nodes WHERE key IN {_LIST}", items))
        return found

    def node_kinds(self, keys: Iterable[str]) -> dict[str, str]:
        known = self.store._known
        kinds: dict[str, str] = {}
        missing: list[str] = []
        for key in keys:
            node = known.get(key)
            if node is None:
                missing.append(key)
            else:
                kinds[key] = node.kind
        if missing:
            kinds.update(self._rows(f"SELECT key, kind FROM nodes WHERE key IN {_LIST}", missing))
        return kinds

    def fetch_nodes(self, keys: Iterable[str]) -> dict[str, Node]:
        rows = self._rows(f"SELECT data FROM nodes WHERE key IN {_LIST}", keys)
        return {n.key: n for n in (row_node(orjson.loads(data)) for (data,) in rows)}

    def resolve_nodes(self, ids: Iterable[str]) -> tuple[dict[str, str], dict[str, Node]]:
        known = self.store._known
        nodes: dict[str, Node] = {}
        missing: list[str] = []
        for i in ids:
            node = known.get(i)
            if node is None:
                missing.append(i)
            else:
                nodes[i] = node  # a key names its own node before any extra id
        found = dict(self._rows(f"SELECT id, key FROM ids WHERE id IN {_LIST}", missing))
        fetched = self.fetch_nodes({*missing, *found.values()} - nodes.keys())
        known.update(fetched)
        nodes.update(fetched)
        found.update((k, k) for k in nodes)
        return found, nodes

    def fetch_edges(self, keys: Iterable[str]) -> dict[str, Edge]:
        wanted = set(keys)
        found: dict[str, Edge] = {}
        hashes = orjson.dumps(sorted({key_hash(k) for k in wanted})).decode()
        rows = self.conn.execute(
            f"SELECT id, type, source, target, discriminator, data FROM edges WHERE hash IN {_LIST}",
            (hashes,),
        )
        for rowid, etype, source, target, discriminator, data in rows:
            key = edge_key(etype, source, target, discriminator)
            if key in wanted:
                found[key] = _row_edge(etype, source, target, discriminator, data)
                self.edge_ids[key] = rowid
        return found

    def fetch_pending(self, keys: Iterable[str]) -> dict[str, Edge]:
        rows = self._rows(f"SELECT key, data FROM pending WHERE key IN {_LIST}", keys)
        return {k: row_edge(orjson.loads(d)) for k, d in rows}

    def take_pending(self, ids: Iterable[str]) -> list[Edge]:
        if self.conn.execute("SELECT 1 FROM pending LIMIT 1").fetchone() is None:
            return []  # the common case: nothing waits
        items = list(ids)
        found: dict[str, str] = {}
        for column in ("source", "target"):
            sql = f"SELECT key, data FROM pending WHERE {column} IN {_LIST}"
            found.update(self._rows(sql, items))
        self.conn.executemany("DELETE FROM pending WHERE key = ?", [(k,) for k in found])
        return [row_edge(orjson.loads(d)) for d in found.values()]

    def write_nodes(self, nodes: Sequence[Node], *, new: bool = False) -> None:
        if not nodes:
            return
        fields = {kind: self.store.model.nodes[kind].search_properties for kind in self.store.model.nodes}
        self.conn.executemany(
            "INSERT INTO nodes(key, kind, tlp_rank, data) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE"
            " SET kind = excluded.kind, tlp_rank = excluded.tlp_rank, data = excluded.data",
            [(n.key, n.kind, int(floor(n)), _dumps(node_row(n))) for n in nodes],
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO ids(id, key) VALUES (?, ?)",  # the first claimant keeps an id
            [(i, n.key) for n in nodes for i in n.ids if i != n.key],
        )
        texts = [[n.key, search_text(n, fields[n.kind])] for n in nodes]
        if not new:
            # A changed node keeps its search entry when its words did not change (a wallet named by
            # transactions, then described by a wallets table, gains a service but keeps its address).
            known = self.store._known
            texts = [
                [key, text]
                for key, text in texts
                if key not in known or search_text(known[key], fields[known[key].kind]) != text
            ]
            self._rows(
                f"DELETE FROM search WHERE rowid IN (SELECT nodes.rowid FROM nodes WHERE key IN {_LIST})",
                [key for key, _ in texts],
            )
        self._rows(
            "INSERT INTO search(rowid, text) SELECT nodes.rowid, j.value ->> 1 FROM json_each(?) AS j"
            " JOIN nodes ON nodes.key = j.value ->> 0",
            texts,
        )
        self.nodes_written.extend(nodes)

    def rename_nodes(self, renames: dict[str, str]) -> None:
        pairs = [(new, old) for old, new in renames.items()]
        self.conn.executemany("UPDATE nodes SET key = ? WHERE key = ?", pairs)
        self.conn.executemany("UPDATE ids SET key = ? WHERE key = ?", pairs)
        self.conn.executemany("INSERT OR REPLACE INTO ids(id, key) VALUES (?, ?)", list(renames.items()))
        olds = orjson.dumps(list(renames)).decode()
        rows = self.conn.execute(
            f"SELECT id, type, source, target, discriminator FROM edges WHERE source IN {_LIST} "
            f"OR target IN {_LIST}",
            (olds, olds),
        ).fetchall()
        moved = []
        for rowid, etype, source, target, discriminator in rows:
            source, target = renames.get(source, source), renames.get(target, target)
            moved.append((key_hash(edge_key(etype, source, target, discriminator)), source, target, rowid))
        self.conn.executemany("UPDATE edges SET hash = ?, source = ?, target = ? WHERE id = ?", moved)
        for old in renames:
            self.store._known.pop(old, None)
        self.renamed = True

    def write_edges(self, edges: Sequence[Edge], *, new: bool = False) -> None:
        if new:
            self.conn.executemany(
                "INSERT INTO edges(hash, type, source, target, discriminator, tlp_rank, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        key_hash(e.key),
                        e.type,
                        e.source,
                        e.target,
                        e.discriminator,
                        int(floor(e)),
                        _edge_data(e),
                    )
                    for e in edges
                ],
            )
        else:  # edges found by fetch_edges in this transaction
            self.conn.executemany(
                "UPDATE edges SET tlp_rank = ?, data = ? WHERE id = ?",
                [(int(floor(e)), _edge_data(e), self.edge_ids[e.key]) for e in edges],
            )
        if self.store._index is not None:
            self.edges_written.extend(edges)

    def write_pending(self, edges: Sequence[Edge]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO pending(key, source, target, data) VALUES (?, ?, ?, ?)",
            [(e.key, e.source, e.target, _dumps(edge_row(e))) for e in edges],
        )


class EmbeddedStore(GraphStore):
    """A local file, no server. ``path`` ``:memory:`` keeps everything in memory (tests, scratch work)."""

    # Each commit rewrites every page a batch touched (the hash index and the search index are spread
    # over the file): batches of 20,000 write 2.3x fewer bytes than of 5,000 and load M 25% faster.
    batch_size = 20_000

    def __init__(self, path: str | Path, model: Model) -> None:
        self.model = model
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            # Large batches: a bigger page cache and fewer WAL checkpoints keep commits cheap. Each
            # checkpoint syncs the file; one every 64 MB of WAL cost a load of M a quarter of its time.
            self.conn.execute("PRAGMA cache_size=-262144")
            self.conn.execute("PRAGMA wal_autocheckpoint=262144")
            self.conn.execute("PRAGMA journal_size_limit=67108864")
            self.conn.execute("PRAGMA temp_store=MEMORY")
            self.conn.execute("PRAGMA foreign_keys=OFF")
            self._check_layout()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open embedded store {self.path}: {exc}") from exc
        # The topology index is built on first read, not on open: a load never pays for it.
        self._index: nx.MultiDiGraph | None = None
        self._index_version = -1
        # Hubs' neighbour counts and first neighbours by (key, cap) for a caller who sees everything, by
        # (key, cap, clearance, types, kinds) for the others; valid for one index (see _shown).
        self._hubs: dict[tuple[Any, ...], tuple[int, list[str]]] = {}
        self._hubs_held = 0  # names held in _hubs
        self._hubs_of: nx.MultiDiGraph | None = None
        # Nodes this connection last read or wrote, by key: batches naming the same hubs again and again
        # resolve them without decoding their rows. Valid while no other connection writes the graph.
        self._known: dict[str, Node] = {}
        self._known_version = -1
        # The graph-write count the index was built at (see index: a commit of state alone, e.g. a
        # browser session in another worker, changes SQLite's data_version but not the graph).
        self._index_graph = -1
        # State records go through a connection of their own, one call at a time: the state calls of an
        # API's threads never meet the graph connection's transactions.
        self._state_lock = threading.Lock()
        self._state_conn = self.conn if self.path == ":memory:" else self._connect_state()

    def _connect_state(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open embedded store {self.path}: {exc}") from exc
        return conn

    def _check_layout(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        tables = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'nodes'").fetchone()[0]
        if tables and version != LAYOUT_VERSION:
            raise StoreError(
                f"{self.path} was written by another crimegraph version (file layout {version}, this one "
                f"reads {LAYOUT_VERSION}); load the data again into a new file "
                "(or `crimegraph clear` it first)"
            )
        has_state = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()[0]
        if tables and version == LAYOUT_VERSION and has_state:
            # Nothing to write: a write here would make every other open connection (a running API)
            # check whether the graph changed.
            return
        if not tables:
            self.conn.executescript(_SCHEMA)
            self.conn.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")
        # Files written before the state beyond the graph existed gain its tables (nothing else changes).
        self.conn.executescript(_STATE_SCHEMA)

    @property
    def index(self) -> nx.MultiDiGraph:
        """The in-memory topology (keys, kinds, markings); rebuilt when another connection wrote the graph."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if self._index is None or version != self._index_version:
            if self._index is not None and self._graph_writes() == self._index_graph:
                self._index_version = version  # another connection wrote state only
            else:
                self._load_index()
        assert self._index is not None
        return self._index

    def _graph_writes(self) -> int:
        return int(self.conn.execute("SELECT value FROM meta WHERE name = 'graph'").fetchone()[0])

    def _load_index(self) -> None:
        """Rebuild the in-memory topology from the file."""
        index = nx.MultiDiGraph()
        # One read transaction: a snapshot, even while another process is committing batches.
        self.conn.execute("BEGIN")
        try:
            self._index_version = self.conn.execute("PRAGMA data_version").fetchone()[0]
            self._index_graph = self._graph_writes()
            top = 0
            for key, kind, rank in self.conn.execute("SELECT key, kind, tlp_rank FROM nodes"):
                index.add_node(key, kind=kind, rank=rank)
                top = max(top, rank)
            add_edge = index.add_edge
            types: set[str] = set()
            for etype, src, dst, discriminator, rank in self.conn.execute(
                "SELECT type, source, target, discriminator, tlp_rank FROM edges"
            ):
                add_edge(src, dst, edge_key(etype, src, dst, discriminator), type=etype, rank=rank)
                types.add(etype)
                top = max(top, rank)
        finally:
            self.conn.execute("COMMIT")
        # What the index holds at most (see _sees_all): every edge type in it and its highest marking.
        index.graph["types"], index.graph["top"] = types, top
        self._index = index

    @contextmanager
    def _write_transaction(self) -> Iterator[WriteTx]:
        tx = _Tx(self, self.conn)
        self.conn.execute("BEGIN IMMEDIATE")
        version = self._graph_writes()
        if version != self._known_version or len(self._known) > NODE_LIMIT:
            self._known.clear()  # another connection wrote: what we knew may be stale
        # Every write of the graph is counted, and increases the data version.
        self.conn.execute("UPDATE meta SET value = value + 1 WHERE name IN ('graph', 'data')")
        try:
            yield tx
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._known.clear()
            raise
        self.conn.execute("COMMIT")
        self._known_version = version + 1
        if tx.renamed:
            self._known.clear()
            self._index = None  # keys changed: build it again when next read
        self._known.update((n.key, n) for n in tx.nodes_written)
        # The index changes only once the batch is durable, so readers never see half a batch.
        self._hubs.clear()
        self._hubs_held = 0
        if self._index is not None and self._index_graph != version:
            self._index = None  # another connection wrote the graph since it was built: build it again
        if self._index is not None:
            self._index_graph = version + 1
            self._index.add_nodes_from(
                (n.key, {"kind": n.kind, "rank": int(floor(n))}) for n in tx.nodes_written
            )
            add_edge = self._index.add_edge  # one call per edge: add_edges_from builds views per edge
            for e in tx.edges_written:
                add_edge(e.source, e.target, e.key, type=e.type, rank=int(floor(e)))
            held = self._index.graph
            held["types"] |= {e.type for e in tx.edges_written}
            ranks = [int(floor(n)) for n in tx.nodes_written] + [int(floor(e)) for e in tx.edges_written]
            held["top"] = max([held["top"], *ranks])

    def _resolve(self, ids: Iterable[str]) -> dict[str, str]:
        return _Tx(self, self.conn).resolve_ids(ids)

    def _visible(self, key: str, clearance: TLP) -> bool:
        attrs = self.index.nodes.get(key)
        return attrs is not None and attrs["rank"] <= clearance

    def _stored_nodes(self, keys: Iterable[str], clearance: TLP) -> dict[str, Node]:
        """The stored nodes among ``keys`` that some source within ``clearance`` asserts (not views).

        Read from the file alone (its ``tlp_rank`` column), never through the topology index: a lookup by
        key must not wait for the index to be rebuilt after another process wrote.
        """
        rows = self.conn.execute(
            f"SELECT data FROM nodes WHERE key IN {_LIST} AND tlp_rank <= ?",
            (orjson.dumps(list(keys)).decode(), int(clearance)),
        )
        return {n.key: n for n in (row_node(orjson.loads(data)) for (data,) in rows)}

    def _nodes(self, keys: Iterable[str], clearance: TLP) -> dict[str, Node]:
        stored = self._stored_nodes(keys, clearance)
        return {k: v for k, n in stored.items() if (v := node_view(n, clearance)) is not None}

    def _edges(self, keys: Iterable[str], clearance: TLP) -> list[Edge]:
        stored = _Tx(self, self.conn).fetch_edges(keys).values()
        return [v for e in stored if (v := edge_view(e, clearance)) is not None]

    def links(
        self,
        keys: Sequence[str],
        *,
        clearance: TLP,
        types: frozenset[str],
        window: TimeWindow | None = None,
    ) -> list[Link]:
        index = self.index
        nodes = index._node
        found: dict[str, Link] = {}
        for key in keys:
            attrs = nodes.get(key)
            if attrs is None or attrs["rank"] > clearance:
                continue
            # The adjacency dicts themselves: networkx's edge views cost more than the walk.
            kind = attrs["kind"]
            for other, parallel in index._succ[key].items():
                far = nodes[other]
                if far["rank"] <= clearance:
                    for ekey, data in parallel.items():
                        if ekey not in found and data["type"] in types and data["rank"] <= clearance:
                            found[ekey] = Link(ekey, data["type"], key, other, kind, far["kind"], ekey)
            for other, parallel in index._pred[key].items():
                far = nodes[other]
                if far["rank"] <= clearance:
                    for ekey, data in parallel.items():
                        if ekey not in found and data["type"] in types and data["rank"] <= clearance:
                            found[ekey] = Link(ekey, data["type"], other, key, far["kind"], kind, ekey)
        if window is not None and found:
            # Times live in the records, not in the index: read them only when a window asks. The
            # window applies to the dates the caller sees, never to those of sources above clearance.
            records = _Tx(self, self.conn).fetch_edges(found)
            found = {
                k: link
                for k, link in found.items()
                if k in records
                and (view := edge_view(records[k], clearance)) is not None
                and window.admits(view.prov.first_seen, view.prov.last_seen)
            }
        return [found[k] for k in sorted(found)]

    def near(
        self,
        keys: Sequence[str],
        *,
        clearance: TLP,
        types: frozenset[str],
        window: TimeWindow | None = None,
        kinds: frozenset[str] | None = None,
        keep: frozenset[str] = frozenset(),
        cap: int | None = None,
    ) -> dict[str, Near]:
        if window is not None:  # times are in the records: the generic walk reads them
            return super().near(
                keys, clearance=clearance, types=types, window=window, kinds=kinds, keep=keep, cap=cap
            )
        index = self.index
        nodes = index._node  # the attribute dicts themselves: NodeView lookups cost a third of a walk
        if self._hubs_of is not index:
            self._hubs.clear()  # the index was rebuilt or replaced: counts may have changed
            self._hubs_held = 0
            self._hubs_of = index
        unfiltered = kinds is None and self._sees_all(index, clearance, types)
        found: dict[str, Near] = {}
        for key in keys:
            attrs = nodes.get(key)
            found[key] = near = Near()
            if attrs is None or attrs["rank"] > clearance:
                continue
            succ, pred = index._succ[key], index._pred[key]
            near.degree, names = self._shown(index, key, clearance, types, kinds, unfiltered, keep, cap)
            kind = attrs["kind"]
            append = near.links.append
            for other in names:
                far_kind = nodes[other]["kind"]
                out = succ.get(other)
                # A self-loop's edges are in both adjacencies (one dict): taken once, as outgoing.
                into = None if other == key else pred.get(other)
                parallel: list[tuple[str, bool, dict[str, Any]]]
                if into is None:
                    parallel = [(ekey, True, data) for ekey, data in out.items()] if out else []
                elif out is None:
                    parallel = [(ekey, False, data) for ekey, data in into.items()]
                else:
                    parallel = [(ekey, True, data) for ekey, data in out.items()]
                    parallel += [(ekey, False, data) for ekey, data in into.items()]
                if len(parallel) > 1:
                    parallel.sort(key=_first)
                for ekey, outgoing, data in parallel:
                    etype = data["type"]
                    if not unfiltered and (etype not in types or data["rank"] > clearance):
                        continue
                    if outgoing:
                        append(Link(ekey, etype, key, other, kind, far_kind, ekey))
                    else:
                        append(Link(ekey, etype, other, key, far_kind, kind, ekey))
        return found

    @staticmethod
    def _sees_all(index: nx.MultiDiGraph, clearance: TLP, types: frozenset[str]) -> bool:
        """Whether a caller of ``clearance`` following ``types`` sees every entity and edge of ``index``:
        the clearance covers its highest marking and the types every type it holds (an upper bound and a
        superset, kept as it is written), so every adjacent entity is a neighbour and nothing needs
        filtering. A RED caller following every type of the default edge set (all but same-person
        candidates) sees all of a store that holds no candidates."""
        held = index.graph
        return bool(clearance >= held.get("top", TLP.RED + 1) and types >= held.get("types", {""}))

    def _shown(
        self,
        index: nx.MultiDiGraph,
        key: str,
        clearance: TLP,
        types: frozenset[str],
        kinds: frozenset[str] | None,
        unfiltered: bool,
        keep: frozenset[str],
        cap: int | None,
    ) -> tuple[int, list[str]]:
        """How many neighbours ``key`` has for the caller, and those :meth:`near` shows, by key.

        An entity with more adjacent entities than ``cap`` is a hub: its count and its first ``cap``
        neighbours are found without sorting them all, and remembered (from ``HUB_CACHE_DEGREE``
        adjacent entities) for the caller's filter until the index changes, so the same exchanges and
        hosters met in neighbourhood after neighbourhood are neither filtered nor counted again. Those
        in ``keep`` are then found by looking each up (or, when ``keep`` is the larger, by passing over
        the hub's adjacency), never by listing the hub's neighbours again."""
        succ, pred = index._succ[key], index._pred[key]
        adjacent = len(succ) + len(pred)  # at least the number of neighbours
        if cap is None or adjacent <= cap:
            around = _neighbours(index, key, clearance, types, kinds, unfiltered)
            return len(around), sorted(around)
        remembered = adjacent >= HUB_CACHE_DEGREE
        cache_key = (key, cap) if unfiltered else (key, cap, int(clearance), types, kinds)
        hub = self._hubs.get(cache_key) if remembered else None
        if hub is None:
            if unfiltered:  # every adjacent entity: counted without listing them
                degree = adjacent - len(succ.keys() & pred.keys())
                if degree <= cap:
                    first = sorted(succ.keys() | pred.keys())
                else:
                    first = heapq.nsmallest(cap, succ.keys() | pred.keys())  # sorted
            else:
                visible = _neighbours(index, key, clearance, types, kinds)
                degree = len(visible)
                first = sorted(visible) if degree <= cap else heapq.nsmallest(cap, visible)
            hub = (degree, first)
            if remembered:
                self._hubs[cache_key] = hub
                self._hubs_held += len(first) + HUB_COST
                while self._hubs_held > HUB_CACHE_NAMES:  # the oldest go first
                    self._hubs_held -= len(self._hubs.pop(next(iter(self._hubs)))[1]) + HUB_COST
        degree, first = hub
        if degree <= cap or not keep:
            return degree, first
        if len(keep) <= adjacent:
            candidates: Iterable[str] = keep
        else:
            candidates = [k for k in succ if k in keep] + [k for k in pred if k in keep and k not in succ]
        nodes = index._node
        kept: set[str] = set()
        for other in candidates:
            if unfiltered:
                if other in succ or other in pred:
                    kept.add(other)
                continue
            far = nodes.get(other)
            if far is None or far["rank"] > clearance or (kinds is not None and far["kind"] not in kinds):
                continue
            for adjacency in (succ, pred):
                parallel = adjacency.get(other)
                if parallel and any(d["type"] in types and d["rank"] <= clearance for d in parallel.values()):
                    kept.add(other)
                    break
        if not kept:
            return degree, first
        return degree, sorted(kept.union(first))

    def timeline_page(
        self, key: str, *, clearance: TLP, types: frozenset[str], offset: int, limit: int
    ) -> tuple[int, list[Edge]]:
        """As :meth:`GraphStore.timeline_page`, ordering by dates SQLite reads out of the records; only an
        edge with sources at several markings (whose dates depend on the clearance) and the page's
        records are decoded."""
        links = {link.key: link for link in self.links([key], clearance=clearance, types=types)}
        if not links:
            return 0, []
        hashes = orjson.dumps(sorted({key_hash(k) for k in links})).decode()
        rows = self.conn.execute(
            "SELECT type, source, target, discriminator, json_extract(data, '$.first_seen'), "
            "json_extract(data, '$.last_seen'), json_extract(data, '$.levels') IS NOT NULL "
            f"FROM edges WHERE hash IN {_LIST}",
            (hashes,),
        )
        order: list[tuple[bool, str, str, str]] = []
        layered: list[str] = []
        for etype, source, target, discriminator, first, last, has_levels in rows:
            ekey = edge_key(etype, source, target, discriminator)
            if ekey not in links:
                continue
            if has_levels:
                layered.append(ekey)  # its dates are those of the caller's levels: read below
            else:
                order.append((first is None and last is None, first or last or "", last or "", ekey))
        order += [time_order(e) for e in self._edges(layered, clearance)]
        order.sort()
        page = [links[item[3]] for item in order[offset : offset + limit]]
        return len(links), self.edges(page, clearance=clearance)

    def onward_page(
        self,
        keys: Sequence[str],
        *,
        clearance: TLP,
        types: frozenset[str],
        out: bool,
        props: frozenset[str],
        reached: frozenset[str] = frozenset(),
        after: str | None = None,
        ends: int,
        window: TimeWindow | None = None,
    ) -> tuple[list[Facts], str | None]:
        """As :meth:`GraphStore.onward_page`: the ends are chosen from the index, and only the links to
        those chosen are made and read (a window needs the records' dates: the generic page)."""
        if window is not None or ends < 1:
            return super().onward_page(
                keys,
                clearance=clearance,
                types=types,
                out=out,
                props=props,
                reached=reached,
                after=after,
                ends=ends,
                window=window,
            )
        index = self.index
        nodes = index._node
        adjacent = index._succ if out else index._pred
        near: dict[str, list[tuple[str, dict[str, Any]]]] = {}  # end -> (key, parallel edges) pairs
        for key in dict.fromkeys(keys):
            attrs = nodes.get(key)
            if attrs is None or attrs["rank"] > clearance:
                continue
            for other, parallel in adjacent[key].items():
                if other != key and nodes[other]["rank"] <= clearance:
                    near.setdefault(other, []).append((key, parallel))

        def made(other: str) -> list[Link]:
            """The links of ``types`` to ``other`` the caller sees, by key."""
            far = nodes[other]["kind"]
            found: list[Link] = []
            for key, parallel in near[other]:
                here = nodes[key]["kind"]
                for ekey, data in parallel.items():
                    if data["type"] in types and data["rank"] <= clearance:
                        found.append(
                            Link(ekey, data["type"], key, other, here, far, ekey)
                            if out
                            else Link(ekey, data["type"], other, key, far, here, ekey)
                        )
            return sorted(found)

        page: list[Link] = []
        last: str | None = None
        if after is None:
            for other in sorted(reached & near.keys()):
                page += made(other)
        others = sorted(end for end in near if end not in reached and (after is None or end > after))
        taken, more = 0, None
        for other in others:
            found = made(other)
            if not found:
                continue
            if taken == ends:  # one more end with links: the page ends at the one before
                more = last
                break
            page += found
            taken, last = taken + 1, other
        return self.facts(page, clearance=clearance, props=props), more

    def facts(self, links: Sequence[Link], *, clearance: TLP, props: frozenset[str]) -> list[Facts]:
        """As :meth:`GraphStore.facts`: a record with one marking is read for the properties asked alone
        (its view is itself); only one with sources at several markings is built and viewed."""
        wanted = {link.key: link for link in links}
        if not wanted:
            return []
        nodes = self.index._node
        hashes = orjson.dumps(sorted({key_hash(k) for k in wanted})).decode()
        rows = self.conn.execute(
            f"SELECT type, source, target, discriminator, tlp_rank, data FROM edges WHERE hash IN {_LIST}",
            (hashes,),
        )
        names = props - RESERVED
        found: dict[str, Facts] = {}
        hidden = {"rank": clearance + 1}
        for etype, source, target, discriminator, rank, data in rows:
            key = edge_key(etype, source, target, discriminator)
            link = wanted.get(key)
            if link is None or rank > clearance:
                continue
            if nodes.get(source, hidden)["rank"] > clearance or nodes.get(target, hidden)["rank"] > clearance:
                continue
            row = orjson.loads(data)
            if "levels" in row:
                view = edge_view(_row_edge(etype, source, target, discriminator, data), clearance)
                if view is None:
                    continue
                values: dict[str, Any] = view.props
                first_seen = view.prov.first_seen
            else:
                values, first_seen = row, row.get("first_seen")
            picked = {p: _prop_value(values[p]) for p in names if p in values}
            found[key] = Facts(link, picked, first_seen)
        return [found[link.key] for link in links if link.key in found]

    def edges(self, links: Sequence[Link], *, clearance: TLP) -> list[Edge]:
        views = {edge.key: edge for edge in self._edges([link.key for link in links], clearance)}
        nodes = self.index._node

        def visible(key: str) -> bool:
            attrs = nodes.get(key)
            return attrs is not None and attrs["rank"] <= clearance

        return [
            edge
            for edge in (views.get(link.key) for link in links)
            if edge is not None and visible(edge.source) and visible(edge.target)
        ]

    def _scan(
        self, clearance: TLP, kinds: frozenset[str] | None, types: frozenset[str]
    ) -> tuple[Iterator[Node], Iterator[Edge]]:
        visible = {
            k
            for k, a in self.index.nodes(data=True)
            if a["rank"] <= clearance and (kinds is None or a["kind"] in kinds)
        }
        edge_keys = [
            k
            for s, t, k, a in self.index.edges(keys=True, data=True)
            if a["type"] in types and a["rank"] <= clearance and s in visible and t in visible
        ]
        nodes = iter(self._nodes(visible, clearance).values())
        edges = iter(self._edges(edge_keys, clearance))
        return nodes, edges

    def scan(
        self,
        *,
        clearance: TLP,
        kinds: Sequence[str] | None = None,
        edge_types: Sequence[str] | None = None,
    ) -> tuple[Iterator[Node], Iterator[Edge]]:
        """:meth:`GraphStore.scan` straight from the tables, without the in-memory index: only the rows
        of ``kinds`` and ``edge_types`` at or below ``clearance`` (the stored lowest marking) are read and
        decoded, each through the caller's view. The same views as the index-backed :meth:`_scan` (nodes
        and edges in the order they were first stored); the index of the whole graph is never built."""
        types = self.model.edge_types(None, edge_types)
        allowed = frozenset(kinds) if kinds else None
        for kind in allowed or ():
            self.model.node_kind(kind)
        loads = orjson.loads
        node_sql = "SELECT key, data FROM nodes WHERE tlp_rank <= ?"
        node_args: tuple[Any, ...] = (int(clearance),)
        if allowed is not None:
            node_sql += f" AND kind IN {_LIST}"
            node_args += (orjson.dumps(sorted(allowed)).decode(),)
        nodes: list[Node] = []
        edges: list[Edge] = []
        # One read transaction: a snapshot even while another process commits.
        self.conn.execute("BEGIN")
        try:
            visible: set[str] = set()
            for key, data in self.conn.execute(node_sql + " ORDER BY rowid", node_args):
                visible.add(key)
                view = node_view(row_node(loads(data)), clearance)
                if view is not None:
                    nodes.append(view)
            rows = self.conn.execute(
                "SELECT type, source, target, discriminator, data FROM edges"
                f" WHERE tlp_rank <= ? AND type IN {_LIST} ORDER BY id",
                (int(clearance), orjson.dumps(sorted(types)).decode()),
            )
            for etype, source, target, discriminator, data in rows:
                if source not in visible or target not in visible:
                    continue
                edge = edge_view(_row_edge(etype, source, target, discriminator, data), clearance)
                if edge is not None:
                    edges.append(edge)
        finally:
            self.conn.execute("COMMIT")
        return iter(nodes), iter(edges)

    def topology(
        self,
        *,
        clearance: TLP,
        kinds: Sequence[str] | None = None,
        edge_set: str | None = None,
        node_props: Iterable[str] = (),
        edge_props: Iterable[str] = (),
        props_of: Iterable[str] | None = None,
    ) -> tuple[list[SlimNode], list[SlimEdge]]:
        """:meth:`GraphStore.topology` in one pass over each table, without the in-memory index:
        visibility is the stored lowest marking of each node and edge; a record is decoded only for
        the properties asked, and one with several markings goes through its full view."""
        types = self.model.edge_types(edge_set, None)
        allowed = frozenset(kinds) if kinds else None
        for kind in allowed or ():
            self.model.node_kind(kind)
        nprops = frozenset(node_props) - RESERVED
        eprops = frozenset(edge_props) - RESERVED
        with_props = types if props_of is None else types & frozenset(props_of)
        if not eprops:
            with_props = frozenset()
        nodes: list[SlimNode] = []
        edges: list[SlimEdge] = []
        loads = orjson.loads
        # One read transaction (a snapshot even while another process commits), straight from the
        # tables: the markings are columns, so no record is decoded only to learn it is visible.
        self.conn.execute("BEGIN")
        try:
            visible: set[str] = set()
            for key, kind, rank, data in self.conn.execute("SELECT key, kind, tlp_rank, data FROM nodes"):
                if rank > clearance or (allowed is not None and kind not in allowed):
                    continue
                visible.add(key)
                row = loads(data)
                if row.get("levels") is not None:
                    view = node_view(row_node(row), clearance)
                    if view is not None:
                        nodes.append(slim_node(view, nprops))
                    continue
                attrs = {"kind": kind, "type": row["type"], "name": row["name"]}
                for prop in nprops:
                    value = row.get(prop)
                    if value is not None:
                        attrs[prop] = sorted(value) if isinstance(value, list) else value
                nodes.append((key, attrs))
            rows = self.conn.execute(
                "SELECT type, source, target, discriminator, tlp_rank,"
                f" CASE WHEN type IN {_LIST} THEN data END FROM edges WHERE type IN {_LIST}",
                (orjson.dumps(sorted(with_props)).decode(), orjson.dumps(sorted(types)).decode()),
            )
            for etype, source, target, discriminator, rank, data in rows:
                if rank > clearance or source not in visible or target not in visible:
                    continue
                if data is None:
                    edges.append((source, target, etype, {}))
                    continue
                row = loads(data)
                if row.get("levels") is not None:
                    edge = edge_view(_row_edge(etype, source, target, discriminator, data), clearance)
                    if edge is not None:
                        edges.append(slim_edge(edge, eprops))
                    continue
                attrs = {}
                for prop in eprops:
                    value = row.get(prop)
                    if value is not None:
                        attrs[prop] = sorted(value) if isinstance(value, list) else value
                edges.append((source, target, etype, attrs))
        finally:
            self.conn.execute("COMMIT")
        return nodes, edges

    def search(
        self, text: str, *, clearance: TLP, kinds: Sequence[str] | None = None, limit: int = 20
    ) -> list[Node]:
        query = fts_query(text)
        if query is None:
            return []
        allowed = set(kinds) if kinds else None
        rows = self.conn.execute(
            "SELECT nodes.key FROM search JOIN nodes ON nodes.rowid = search.rowid"
            " WHERE search MATCH ? ORDER BY search.rank, nodes.key",
            (query,),
        )
        found: list[Node] = []
        page: list[str] = []
        tokens = words(text)
        for (key,) in rows:
            attrs = self.index.nodes.get(key)
            if attrs and attrs["rank"] <= clearance and (allowed is None or attrs["kind"] in allowed):
                page.append(key)
                if len(page) >= limit - len(found):
                    found.extend(self._hits(page, clearance, tokens))
                    page = []
                    if len(found) >= limit:
                        break
        found.extend(self._hits(page, clearance, tokens))
        return found[:limit]

    def _hits(self, keys: list[str], clearance: TLP, tokens: list[str]) -> list[Node]:
        """The caller's views of the nodes the index matched, in order; a node whose stored words include
        some from sources above clearance is a hit only if its view has the words."""
        stored = self._stored_nodes(keys, clearance)
        hits: list[Node] = []
        for key in keys:
            node = stored.get(key)
            view = node_view(node, clearance) if node is not None else None
            if view is None or node is None:
                continue
            if node.levels is None or shows(view, self.model.nodes[view.kind].search_properties, tokens):
                hits.append(view)
        return hits

    def stats(self, *, clearance: TLP) -> Stats:
        nodes = Counter(a["kind"] for _, a in self.index.nodes(data=True) if a["rank"] <= clearance)
        edges = Counter(
            a["type"]
            for s, t, a in self.index.edges(data=True)
            if a["rank"] <= clearance and self._visible(s, clearance) and self._visible(t, clearance)
        )
        return Stats(dict(nodes), dict(edges))

    def pending_count(self) -> int:
        """Edges still waiting for an endpoint (not visible to any reader)."""
        return int(self.conn.execute("SELECT count(*) FROM pending").fetchone()[0])

    def stored(self) -> Stored:
        """Everything held, as stored, read in one transaction (a snapshot)."""
        out = Stored()
        loads = orjson.loads
        self.conn.execute("BEGIN")
        try:
            for (data,) in self.conn.execute("SELECT data FROM nodes ORDER BY key"):
                node = row_node(loads(data))
                out.nodes[node.key] = node
            out.ids.update(self.conn.execute("SELECT id, key FROM ids ORDER BY id"))
            sql = "SELECT type, source, target, discriminator, data FROM edges ORDER BY id"
            for etype, source, target, discriminator, data in self.conn.execute(sql):
                edge = _row_edge(etype, source, target, discriminator, data)
                out.edges[edge.key] = edge
            for key, data in self.conn.execute("SELECT key, data FROM pending ORDER BY key"):
                out.pending[key] = row_edge(loads(data))
        finally:
            self.conn.execute("COMMIT")
        return out

    def waiting_edges(self, *, limit: int = 20) -> list[Edge]:
        rows = self.conn.execute("SELECT data FROM pending ORDER BY key LIMIT ?", (limit,)).fetchall()
        return [row_edge(orjson.loads(data)) for (data,) in rows]

    def clear(self, *, state: bool = False) -> None:
        tables = ["nodes", "ids", "edges", "pending", "search"]
        if state:
            tables += ["state", "state_events"]
        with self._write_transaction():
            for table in tables:
                self.conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        self._index = None
        self._known.clear()

    # -- state beyond the graph --------------------------------------------------------------------
    @contextmanager
    def _state_tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the state connection (BEGIN IMMEDIATE: writers take turns, across
        processes too)."""
        with self._state_lock:
            conn = self._state_conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def put_state(self, namespace: str, key: str, value: dict[str, Any], *, versioned: bool = True) -> None:
        check_state_name(namespace, key)
        text = state_value(value)
        with self._state_tx() as conn:
            conn.execute(
                "INSERT INTO state(namespace, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT(namespace, key) DO UPDATE SET value = excluded.value",
                (namespace, key, text),
            )
            if versioned:
                conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'data'")

    def get_state(self, namespace: str, key: str) -> dict[str, Any] | None:
        check_state_name(namespace, key)
        with self._state_lock:
            row = self._state_conn.execute(
                "SELECT value FROM state WHERE namespace = ? AND key = ?", (namespace, key)
            ).fetchone()
        return None if row is None else dict(orjson.loads(row[0]))

    def list_state(self, namespace: str, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
        check_state_name(namespace, prefix or "-")
        with self._state_lock:
            # substr, not LIKE: a prefix is text, never a pattern.
            rows = self._state_conn.execute(
                "SELECT key, value FROM state WHERE namespace = ? AND key >= ? AND substr(key, 1, ?) = ?"
                " ORDER BY key",
                (namespace, prefix, len(prefix), prefix),
            ).fetchall()
        return [(key, dict(orjson.loads(value))) for key, value in rows]

    def delete_state(self, namespace: str, key: str, *, versioned: bool = True) -> bool:
        check_state_name(namespace, key)
        with self._state_tx() as conn:
            record = conn.execute("DELETE FROM state WHERE namespace = ? AND key = ?", (namespace, key))
            removed = record.rowcount > 0
            events = conn.execute(
                "DELETE FROM state_events WHERE namespace = ? AND key = ?", (namespace, key)
            )
            if removed and versioned:
                conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'data'")
        return removed or events.rowcount > 0

    def incr_state(self, namespace: str, key: str, window_s: float, *, by: int = 1) -> int:
        check_state_name(namespace, key)
        if not window_s > 0 or by < 0:
            raise ValueError("a counter needs a window of more than 0 seconds and a count of 0 or more")
        with self._state_tx() as conn:
            now = time.time()
            conn.execute(
                "DELETE FROM state_events WHERE namespace = ? AND key = ? AND at <= ?",
                (namespace, key, now - window_s),
            )
            row = conn.execute(
                "SELECT count(*) FROM state_events WHERE namespace = ? AND key = ?", (namespace, key)
            ).fetchone()
            count = int(row[0])
            add = max(0, min(by, MAX_EVENTS - count))
            if add:
                conn.executemany(
                    "INSERT INTO state_events(namespace, key, at) VALUES (?, ?, ?)",
                    [(namespace, key, now)] * add,
                )
        return count + add

    def data_version(self) -> int:
        with self._state_lock:
            row = self._state_conn.execute("SELECT value FROM meta WHERE name = 'data'").fetchone()
        return int(row[0])

    def close(self) -> None:
        if self._state_conn is not self.conn:
            self._state_conn.close()
        self.conn.close()
