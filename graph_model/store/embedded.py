"""The default store: one SQLite file (WAL, one transaction per batch) and an in-memory networkx index."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import orjson

from graph_model.entities import Edge, Node
from graph_model.errors import StoreError
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore, Stats, WriteTx
from graph_model.store.codec import edge_row, node_row, row_edge, row_node, search_text, words

_CHUNK = 900
_SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, tlp_rank INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ids (id TEXT PRIMARY KEY, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS edges (
    key TEXT PRIMARY KEY, type TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
    tlp_rank INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS edges_source ON edges(source);
CREATE INDEX IF NOT EXISTS edges_target ON edges(target);
CREATE TABLE IF NOT EXISTS pending (key TEXT PRIMARY KEY, source TEXT, target TEXT, data TEXT);
CREATE INDEX IF NOT EXISTS pending_source ON pending(source);
CREATE INDEX IF NOT EXISTS pending_target ON pending(target);
-- rowid = nodes.rowid (kept stable by upserts), so a node's entry is replaced without a scan.
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(text, tokenize='unicode61 remove_diacritics 0');
"""


def _dumps(row: dict[str, Any]) -> str:
    return orjson.dumps(row).decode()


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def fts_query(text: str) -> str | None:
    """Every word must match, as a prefix; quoted so user text is never FTS syntax."""
    tokens = words(text)
    return " ".join(f'"{w}"*' for w in tokens) if tokens else None


class _Tx:
    """The write primitives over one open SQLite transaction."""

    def __init__(self, store: EmbeddedStore, conn: sqlite3.Connection) -> None:
        self.store = store
        self.conn = conn
        self.nodes_written: list[Node] = []
        self.edges_written: list[Edge] = []

    def _select(self, sql: str, keys: Iterable[str]) -> Iterator[tuple[Any, ...]]:
        items = list(keys)
        for part in _chunks(items):
            yield from self.conn.execute(sql.format(_marks(len(part))), part)

    def resolve_ids(self, ids: Iterable[str]) -> dict[str, str]:
        # A node's own key resolves through the nodes table; only its extra ids are in ``ids``.
        items = list(ids)
        found = dict(self._select("SELECT id, key FROM ids WHERE id IN ({})", items))
        found.update((k, k) for (k,) in self._select("SELECT key FROM nodes WHERE key IN ({})", items))
        return found

    def fetch_nodes(self, keys: Iterable[str]) -> dict[str, Node]:
        rows = self._select("SELECT data FROM nodes WHERE key IN ({})", keys)
        return {n.key: n for n in (row_node(orjson.loads(r[0])) for r in rows)}

    def resolve_nodes(self, ids: Iterable[str]) -> tuple[dict[str, str], dict[str, Node]]:
        found = self.resolve_ids(ids)
        return found, self.fetch_nodes(set(found.values()))

    def fetch_edges(self, keys: Iterable[str]) -> dict[str, Edge]:
        rows = self._select("SELECT key, data FROM edges WHERE key IN ({})", keys)
        return {k: row_edge(orjson.loads(d)) for k, d in rows}

    def fetch_pending(self, keys: Iterable[str]) -> dict[str, Edge]:
        rows = self._select("SELECT key, data FROM pending WHERE key IN ({})", keys)
        return {k: row_edge(orjson.loads(d)) for k, d in rows}

    def take_pending(self, ids: Iterable[str]) -> list[Edge]:
        items = list(ids)
        found: dict[str, str] = {}
        for column in ("source", "target"):
            found.update(self._select(f"SELECT key, data FROM pending WHERE {column} IN ({{}})", items))
        self.conn.executemany("DELETE FROM pending WHERE key = ?", [(k,) for k in found])
        return [row_edge(orjson.loads(d)) for d in found.values()]

    def write_nodes(self, nodes: Sequence[Node], *, new: bool = False) -> None:
        if not nodes:
            return
        fields = {kind: self.store.model.nodes[kind].search_properties for kind in self.store.model.nodes}
        self.conn.executemany(
            "INSERT INTO nodes(key, kind, tlp_rank, data) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE"
            " SET kind = excluded.kind, tlp_rank = excluded.tlp_rank, data = excluded.data",
            [(n.key, n.kind, int(n.prov.tlp), _dumps(node_row(n))) for n in nodes],
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO ids(id, key) VALUES (?, ?)",  # the first claimant keeps an id
            [(i, n.key) for n in nodes for i in n.ids if i != n.key],
        )
        rowids = dict(self._select("SELECT key, rowid FROM nodes WHERE key IN ({})", [n.key for n in nodes]))
        self.conn.executemany("DELETE FROM search WHERE rowid = ?", [(r,) for r in rowids.values()])
        self.conn.executemany(
            "INSERT INTO search(rowid, text) VALUES (?, ?)",
            [(rowids[n.key], search_text(n, fields[n.kind])) for n in nodes],
        )
        self.nodes_written.extend(nodes)

    def write_edges(self, edges: Sequence[Edge], *, new: bool = False) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO edges(key, type, source, target, tlp_rank, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(e.key, e.type, e.source, e.target, int(e.prov.tlp), _dumps(edge_row(e))) for e in edges],
        )
        self.edges_written.extend(edges)

    def write_pending(self, edges: Sequence[Edge]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO pending(key, source, target, data) VALUES (?, ?, ?, ?)",
            [(e.key, e.source, e.target, _dumps(edge_row(e))) for e in edges],
        )


class EmbeddedStore(GraphStore):
    """A local file, no server. ``path`` ``:memory:`` keeps everything in memory (tests, scratch work)."""

    def __init__(self, path: str | Path, model: Model) -> None:
        self.model = model
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            # Large batches: a bigger page cache and fewer WAL checkpoints keep commits cheap.
            self.conn.execute("PRAGMA cache_size=-262144")
            self.conn.execute("PRAGMA wal_autocheckpoint=16384")
            self.conn.execute("PRAGMA temp_store=MEMORY")
            self.conn.execute("PRAGMA foreign_keys=OFF")
            self.conn.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open embedded store {self.path}: {exc}") from exc
        self.index = nx.MultiDiGraph()
        self._load_index()

    def _load_index(self) -> None:
        """Rebuild the in-memory topology (keys, kinds, markings) from the file."""
        index = nx.MultiDiGraph()
        # One read transaction: a snapshot, even while another process is committing batches.
        self.conn.execute("BEGIN")
        try:
            for key, kind, rank in self.conn.execute("SELECT key, kind, tlp_rank FROM nodes"):
                index.add_node(key, kind=kind, rank=rank)
            for key, etype, src, dst, rank in self.conn.execute(
                "SELECT key, type, source, target, tlp_rank FROM edges"
            ):
                index.add_edge(src, dst, key=key, type=etype, rank=rank)
        finally:
            self.conn.execute("COMMIT")
        self.index = index

    @contextmanager
    def _write_transaction(self) -> Iterator[WriteTx]:
        tx = _Tx(self, self.conn)
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield tx
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        # The index changes only once the batch is durable, so readers never see half a batch.
        self.index.add_nodes_from(
            (n.key, {"kind": n.kind, "rank": int(n.prov.tlp)}) for n in tx.nodes_written
        )
        add_edge = self.index.add_edge  # one call per edge: add_edges_from builds views per edge
        for e in tx.edges_written:
            add_edge(e.source, e.target, e.key, type=e.type, rank=int(e.prov.tlp))

    def _resolve(self, ids: Iterable[str]) -> dict[str, str]:
        return _Tx(self, self.conn).resolve_ids(ids)

    def _visible(self, key: str, clearance: TLP) -> bool:
        attrs = self.index.nodes.get(key)
        return attrs is not None and attrs["rank"] <= clearance

    def _nodes(self, keys: Iterable[str], clearance: TLP) -> dict[str, Node]:
        wanted = [k for k in keys if self._visible(k, clearance)]
        return _Tx(self, self.conn).fetch_nodes(wanted)

    def _expand(self, keys: Sequence[str], clearance: TLP, types: frozenset[str]) -> list[Edge]:
        found: set[str] = set()
        for key in keys:
            if key not in self.index:
                continue
            for src, dst, ekey, data in (
                *self.index.out_edges(key, keys=True, data=True),
                *self.index.in_edges(key, keys=True, data=True),
            ):
                if (
                    data["type"] in types
                    and data["rank"] <= clearance
                    and self._visible(src, clearance)
                    and self._visible(dst, clearance)
                ):
                    found.add(ekey)
        return list(_Tx(self, self.conn).fetch_edges(sorted(found)).values())

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
        tx = _Tx(self, self.conn)
        nodes = (
            row_node(orjson.loads(r[0]))
            for r in tx._select("SELECT data FROM nodes WHERE key IN ({})", visible)
        )
        edges = (
            row_edge(orjson.loads(r[0]))
            for r in tx._select("SELECT data FROM edges WHERE key IN ({})", edge_keys)
        )
        return nodes, edges

    def search(
        self, text: str, *, clearance: TLP, kinds: Sequence[str] | None = None, limit: int = 20
    ) -> list[Node]:
        query = fts_query(text)
        if query is None:
            return []
        allowed = set(kinds) if kinds else None
        keys: list[str] = []
        rows = self.conn.execute(
            "SELECT nodes.key FROM search JOIN nodes ON nodes.rowid = search.rowid"
            " WHERE search MATCH ? ORDER BY search.rank, nodes.key",
            (query,),
        )
        for (key,) in rows:
            attrs = self.index.nodes.get(key)
            if attrs and attrs["rank"] <= clearance and (allowed is None or attrs["kind"] in allowed):
                keys.append(key)
                if len(keys) >= limit:
                    break
        found = self._nodes(keys, clearance)
        return [found[k] for k in keys if k in found]

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

    def clear(self) -> None:
        with self._write_transaction():
            for table in ("nodes", "ids", "edges", "pending", "search"):
                self.conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        self.index = nx.MultiDiGraph()

    def close(self) -> None:
        self.conn.close()
