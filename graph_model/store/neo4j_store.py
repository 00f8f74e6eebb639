"""The team store: Neo4j over Bolt. One driver per process, batched writes, reads routed as reads."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any, LiteralString, cast

import neo4j
from neo4j import AsyncDriver, Driver, RoutingControl, Transaction
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from graph_model.entities import RESERVED, Edge, Node, edge_key
from graph_model.errors import StoreError
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import cypher
from graph_model.store.base import (
    MAX_EVENTS,
    Facts,
    GraphStore,
    Link,
    Near,
    Stats,
    TimeWindow,
    WriteTx,
    check_state_name,
    names,
    state_value,
)
from graph_model.store.coalesce import Coalescer
from graph_model.store.codec import (
    edge_fields,
    edge_row,
    node_row,
    row_edge,
    row_node,
    search_text,
    seen_by,
    shows,
    words,
)
from graph_model.store.memory import Memory
from graph_model.store.staging import Stored
from graph_model.views import edge_view, node_view


def _q(text: str) -> LiteralString:
    # Statements come from graph_model.store.cypher only, with schema-checked labels.
    query: Any = text
    return cast(LiteralString, query)


def lucene_query(text: str) -> str | None:
    """Every word must match as a prefix; only word characters reach Lucene, so no syntax injection."""
    tokens = words(text)
    return " AND ".join(f"{w}*" for w in tokens) if tokens else None


def edge_params(edge: Edge, source: str, target: str) -> dict[str, Any]:
    """A relationship's stored properties (``cypher._EDGE_FIELDS`` and the schema's) and the element ids
    of its ends. Nothing null or derivable is stored: no empty discriminator, and no key, type, end keys
    or TLP label.
    """
    params = edge_fields(edge)
    if edge.levels is not None:
        params["first_seen_by"], params["last_seen_by"] = seen_by(edge)
    params["source"], params["target"] = source, target
    params["discriminator"] = edge.discriminator or None
    return params


def node_params(model: Model, node: Node) -> dict[str, Any]:
    """An entity's stored properties: ``codec.node_row`` and the words full-text search indexes."""
    params = node_row(node)
    params["search_text"] = search_text(node, model.nodes[node.kind].search_properties)
    return params


# The columns of a relationship row: its ends' keys and ``cypher.EDGE_COLUMNS``.
EDGE_ROW = ("source", "target", "p", "type")
# Fewest entities per concurrent part of a ``near`` read (see Neo4jStore.near).
NEAR_PER_PART = 4
NO_LIMIT = 2**62  # the LIMIT of a page without a limit


def _edge(record: Mapping[str, Any]) -> Edge:
    """The Edge of a row with the columns ``source``, ``target`` and ``cypher.EDGE_COLUMNS``."""
    return row_edge(
        {**record["p"], "type": record["type"], "source": record["source"], "target": record["target"]}
    )


def _link(r: Mapping[str, Any]) -> Link:
    """The Link of a row with the columns ``ref``, ``type``, ``source``, ``target``, ``source_kind``,
    ``target_kind`` and ``discriminator``."""
    return Link(
        edge_key(r["type"], r["source"], r["target"], r["discriminator"]),
        r["type"],
        r["source"],
        r["target"],
        r["source_kind"],
        r["target_kind"],
        r["ref"],
    )


def _listed(value: Any) -> Any:
    """A stored property as a record holds it (``codec``: lists sorted)."""
    return sorted(value) if isinstance(value, list) else value


def _by_neighbour(here: str) -> Callable[[Link], tuple[str, str]]:
    """The order of ``base.GraphStore.near``'s links of ``here``: by neighbour, then by key."""
    return lambda link: (link.other(here), link.key)


def _key_parts(key: str) -> Iterator[tuple[str, str, str, str]]:
    """Every (type, source, target, discriminator) whose ``entities.edge_key`` is ``key``.

    Names and URLs may contain ``|``, so a key can split more than one way; nearly always it splits one.
    """
    edge_type, *parts = key.split("|")
    for i in range(1, len(parts) - 1):
        for j in range(i + 1, len(parts)):
            yield edge_type, "|".join(parts[:i]), "|".join(parts[i:j]), "|".join(parts[j:])


def _named_views(rows: Iterable[tuple[str, Mapping[str, Any]]], clearance: TLP) -> dict[str, Node]:
    """The views of (identifier, stored properties) rows, by identifier, where it names the view."""
    views = ((i, node_view(row_node(p), clearance)) for i, p in rows)
    return {i: view for i, view in views if view is not None and names(view, i)}


def _node_views(rows: Iterable[Mapping[str, Any]], clearance: TLP) -> dict[str, Node]:
    views = (node_view(row_node(p), clearance) for p in rows)
    return {v.key: v for v in views if v is not None}


def _edge_views(rows: Iterable[Mapping[str, Any]], clearance: TLP) -> list[Edge]:
    return [v for v in (edge_view(_edge(r), clearance) for r in rows) if v is not None]


class _Tx:
    """The write primitives over one explicit Neo4j transaction.

    With a load's :class:`Memory`, what it remembers is not asked again; what this transaction reads and
    writes is added to it once the transaction has committed (:meth:`remember`).
    """

    def __init__(self, store: Neo4jStore, tx: Transaction, memory: Memory | None) -> None:
        self.store = store
        self.tx = tx
        self.memory = memory
        # Element ids of the entities this transaction has read or written, by key (see cypher._ends).
        self.element_ids: dict[str, str] = {}
        # Entities this transaction created that have no relationships yet: no edge to look up there.
        self.bare: set[str] = set()
        self.read_nodes: dict[str, Node] = {}
        self.read_ids: dict[str, str] = {}
        self.written_nodes: list[Node] = []
        self.written_edges: list[str] = []
        self.renamed = False

    def remember(self) -> None:
        """Add what this (committed) transaction read and wrote to the load's memory."""
        memory = self.memory
        if memory is None:
            return
        if self.renamed:  # keys changed: what the memory holds by key is stale
            memory.forget()
            return
        memory.learn_nodes(self.read_nodes.values(), claimed=False)
        memory.learn_ids(self.read_ids)
        memory.learn_nodes(self.written_nodes, claimed=True)
        memory.learn_elements(self.element_ids)
        memory.learn_edges(self.written_edges)

    def _rows(self, text: str, **params: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in self.tx.run(_q(text), params)]

    def _learn(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.element_ids.update((r["key"], r["element_id"]) for r in rows if r["element_id"] is not None)

    def _ends(self, keys: Iterable[str]) -> dict[str, str]:
        """The element ids of the entities with these keys (those that exist)."""
        known = self.element_ids
        remembered = self.memory.elements if self.memory is not None else {}
        missing: set[str] = set()
        for key in keys:
            if key not in known:
                element = remembered.get(key)
                if element is None:
                    missing.add(key)
                else:
                    known[key] = element
        if missing and not (self.memory is not None and self.memory.complete):
            self._learn(self.tx.run(_q(cypher.element_ids()), keys=list(missing)))
        return known

    def _recall(self, ids: Iterable[str]) -> tuple[dict[str, str], list[str]]:
        """Identifiers the load's memory resolves, and those to ask the server about."""
        if self.memory is None:
            return {}, list(ids)
        return self.memory.resolve(ids)

    def resolve_ids(self, ids: Iterable[str]) -> dict[str, str]:
        found, unknown = self._recall(ids)
        if unknown:
            rows = self._rows(cypher.resolve_ids(), ids=unknown)
            self._learn(rows)
            found.update((r["id"], r["key"]) for r in rows)
        return found

    def node_kinds(self, keys: Iterable[str]) -> dict[str, str]:
        remembered = self.memory.nodes if self.memory is not None else {}
        kinds: dict[str, str] = {}
        missing: list[str] = []
        for key in keys:
            node = self.read_nodes.get(key) or remembered.get(key)
            if node is None:
                missing.append(key)
            else:
                kinds[key] = node.kind
        if missing:
            kinds.update((r["key"], r["kind"]) for r in self._rows(cypher.node_kinds(), keys=missing))
        return kinds

    def resolve_nodes(self, ids: Iterable[str]) -> tuple[dict[str, str], dict[str, Node]]:
        found, unknown = self._recall(ids)
        nodes: dict[str, Node] = {}
        if found:
            assert self.memory is not None
            remembered = self.memory.nodes
            nodes.update((key, remembered[key]) for key in found.values())
        if unknown:
            rows = self._rows(cypher.resolve_nodes(), ids=unknown)
            self._learn(rows)
            for r in rows:
                found[r["id"]] = key = r["key"]
                if r["p"] is not None and key not in nodes:
                    nodes[key] = self.read_nodes[key] = row_node(r["p"])
                self.read_ids[r["id"]] = key
        return found, nodes

    def fetch_edges(self, keys: Iterable[str]) -> dict[str, Edge]:
        memory = self.memory
        if memory is not None and memory.complete:
            keys = [k for k in keys if k in memory.edges]  # the others were never written
        parts = [
            p for key in keys for p in _key_parts(key) if p[1] not in self.bare and p[2] not in self.bare
        ]
        ends = self._ends({end for p in parts for end in p[1:3]})
        groups: dict[tuple[str, bool], list[dict[str, str]]] = defaultdict(list)
        for edge_type, source, target, discriminator in parts:
            if source in ends and target in ends:
                row = {"source": ends[source], "target": ends[target], "discriminator": discriminator}
                groups[edge_type, bool(discriminator)].append(row)
        found: dict[str, Edge] = {}
        for (edge_type, discriminated), rows in groups.items():
            statement = cypher.fetch_edges(self.store.model, edge_type, discriminated)
            for r in self.tx.run(_q(statement), rows=rows):
                edge = _edge(r)
                found[edge.key] = edge
        return found

    def fetch_pending(self, keys: Iterable[str]) -> dict[str, Edge]:
        rows = self._rows(cypher.fetch_pending(), keys=list(keys))
        edges = (row_edge(json.loads(r["data"])) for r in rows)
        return {e.key: e for e in edges}

    def take_pending(self, ids: Iterable[str]) -> list[Edge]:
        rows = self._rows(cypher.take_pending(), ids=list(ids))
        return [row_edge(json.loads(r["data"])) for r in rows]

    def write_nodes(self, nodes: Sequence[Node], *, new: bool = False) -> None:
        model = self.store.model
        by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for node in nodes:
            by_kind[node.kind].append(node_params(model, node))
        for kind, rows in by_kind.items():
            if new:
                self._learn(self.tx.run(_q(cypher.create_nodes(model, kind)), rows=rows))
            else:
                self.tx.run(_q(cypher.merge_nodes(model, kind)), rows=rows).consume()
        if new:
            self.bare.update(n.key for n in nodes)
        self.written_nodes.extend(nodes)
        ids = [{"id": i, "key": n.key} for n in nodes for i in n.ids if i != n.key]
        if ids:
            self.tx.run(_q(cypher.merge_ids()), rows=ids).consume()

    def rename_nodes(self, renames: dict[str, str]) -> None:
        rows = [{"old": old, "new": new} for old, new in renames.items()]
        self.tx.run(_q(cypher.rename_entities()), rows=rows).consume()
        for old in renames:
            self.element_ids.pop(old, None)
            self.read_nodes.pop(old, None)
        if self.memory is not None:
            self.memory.forget()  # it resolves identifiers to the old keys
        self.renamed = True

    def write_edges(self, edges: Sequence[Edge], *, new: bool = False) -> None:
        """Create ``edges``, or with ``new=False`` replace those that exist and create the others.

        An edge whose end entity does not exist is skipped, as a MATCH on it would find nothing.
        """
        model = self.store.model
        ends = self._ends({e.source for e in edges} | {e.target for e in edges})
        groups: dict[tuple[str, bool], list[dict[str, Any]]] = defaultdict(list)
        written = self.written_edges
        for edge in edges:
            self.bare.discard(edge.source)
            self.bare.discard(edge.target)
            if edge.source in ends and edge.target in ends:
                row = edge_params(edge, ends[edge.source], ends[edge.target])
                groups[edge.type, bool(edge.discriminator)].append(row)
                written.append(edge.key)
        for (edge_type, discriminated), rows in groups.items():
            if not new:
                statement = cypher.update_edges(model, edge_type, discriminated)
                found = {
                    (r["source"], r["target"], r["discriminator"])
                    for r in self.tx.run(_q(statement), rows=rows)
                }
                rows = [r for r in rows if (r["source"], r["target"], r["discriminator"] or "") not in found]
            if rows:
                self.tx.run(_q(cypher.create_edges(model, edge_type)), rows=rows).consume()

    def write_pending(self, edges: Sequence[Edge]) -> None:
        rows = [
            {"key": e.key, "source": e.source, "target": e.target, "data": json.dumps(edge_row(e))}
            for e in edges
        ]
        if rows:
            self.tx.run(_q(cypher.merge_pending()), rows=rows).consume()


def state_id(namespace: str, key: str) -> str:
    """The one property a state record or counter is found by (namespaces hold no NUL)."""
    return f"{namespace}\x00{key}"


class Neo4jStore(GraphStore):
    """A :class:`GraphStore` on a Neo4j database. The caller owns ``driver`` (one per process)."""

    background_writes = True  # a batch mostly waits on the server; loaders read the next one meanwhile
    batch_size = 20_000  # a commit has a high fixed cost (transaction log, indexes): fewer, larger ones

    def __init__(
        self, driver: Driver, model: Model, database: str = "neo4j", *, ensure_schema: bool = True
    ) -> None:
        self.driver = driver
        self.model = model
        self.database = database
        self._memory: Memory | None = None  # while loading (see graph_model.store.memory)
        # Seconds a read transaction may run before the server aborts it (None: the server's setting).
        self.read_timeout: float | None = None
        self._cores = os.cpu_count() or 1
        # An async driver for reads made on an event loop (see get_many_async): opened on first use by
        # the loop using it, when the store knows how to open one (Neo4jStore.connect).
        self.open_async: Callable[[], AsyncDriver] | None = None
        self._async: tuple[asyncio.AbstractEventLoop, AsyncDriver, Coalescer[Node]] | None = None
        self._pool = ThreadPoolExecutor(max_workers=self._cores, thread_name_prefix="neo4j-near")
        if ensure_schema:
            self.ensure_schema()

    @classmethod
    def connect(
        cls,
        uri: str,
        user: str,
        password: str,
        model: Model,
        database: str = "neo4j",
        driver_config: Mapping[str, Any] | None = None,
    ) -> Neo4jStore:
        """Open a driver and check the server answers; StoreError with the reason if it does not.

        ``driver_config`` adds driver settings (e.g. ``max_transaction_retry_time`` for a server that
        should fail fast rather than retry while Neo4j is away).
        """
        try:
            driver = neo4j.GraphDatabase.driver(
                uri, auth=(user, password), notifications_min_severity="OFF", **(driver_config or {})
            )
            driver.verify_connectivity()
        except (Neo4jError, ServiceUnavailable, ValueError, OSError) as exc:
            raise StoreError(f"cannot reach Neo4j at {uri}: {exc}") from exc
        store = cls(driver, model, database)
        store.open_async = lambda: neo4j.AsyncGraphDatabase.driver(
            uri, auth=(user, password), notifications_min_severity="OFF", **(driver_config or {})
        )
        return store

    def ensure_schema(self) -> None:
        """Create constraints, indexes and the full-text index from the schema, then wait for them."""
        for statement in cypher.schema_statements(self.model):
            self.driver.execute_query(_q(statement), database_=self.database)
        self.driver.execute_query(_q("CALL db.awaitIndexes(300)"), database_=self.database)
        marked = self._read(cypher.OLD_LAYOUT)
        if marked and marked[0]["layout"] < cypher.LAYOUT:
            raise StoreError(
                f"the Neo4j database {self.database!r} was written by an earlier crimegraph (layout "
                f"{marked[0]['layout']}, this one writes {cypher.LAYOUT}: it credits each property to the "
                "sources that stated it); run `crimegraph clear` and load the sources again"
            )
        if self._read(cypher.OLD_STIX_KEYS, kinds=list(cypher.STIX_ID_KINDS)):
            raise StoreError(
                f"the Neo4j database {self.database!r} holds STIX indicators, reports or notes keyed by "
                "their UUID alone (written before crimegraph keyed them by their whole STIX id); run "
                "`crimegraph clear` and load the sources again"
            )

    def _read(self, text: str, **params: Any) -> list[dict[str, Any]]:
        query = neo4j.Query(_q(text), timeout=self.read_timeout) if self.read_timeout else _q(text)
        records, _, _ = self.driver.execute_query(
            query, params, database_=self.database, routing_=RoutingControl.READ
        )
        return [dict(r) for r in records]

    def _gather(self, text: str, columns: Sequence[str], **params: Any) -> list[dict[str, Any]]:
        """:meth:`_read` of a query whose rows the server gathers into one record (see
        ``cypher.gathered``): for reads of many small rows."""
        rows = self._read(cypher.gathered(text, columns), **params)[0]["rows"]
        return [dict(zip(columns, row, strict=True)) for row in rows]

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Remember what this load reads and writes (see graph_model.store.memory) until it ends."""
        self._memory = Memory()
        try:
            yield
        finally:
            self._memory = None

    @contextmanager
    def _write_transaction(self) -> Iterator[WriteTx]:
        memory = self._memory
        with self.driver.session(database=self.database) as session, session.begin_transaction() as tx:
            # Every write is counted, so a load can tell whether anyone else wrote since its last batch.
            counted = tx.run(_q(cypher.count_write())).single(strict=True)
            mark = (counted["epoch"], counted["seq"])
            if memory is not None:
                if memory.mark is None:  # the load's first batch: an empty store holds only what it writes
                    memory.complete = tx.run(_q(cypher.count_entities())).single(strict=True)["n"] == 0
                elif mark != (memory.mark[0], memory.mark[1] + 1):
                    memory.forget()
            work = _Tx(self, tx, memory)
            yield work
            tx.commit()
        if memory is not None:
            memory.mark = mark
            work.remember()

    def _resolve(self, ids: Iterable[str]) -> dict[str, str]:
        return {r["id"]: r["key"] for r in self._gather(cypher.resolve_ids(), ("id", "key"), ids=list(ids))}

    def get_many(self, identifiers: Sequence[str], *, clearance: TLP) -> dict[str, Node]:
        # One round trip instead of the contract's two (resolve, then fetch): node lookups are the API's
        # most frequent question.
        rows = self._gather(cypher.get_nodes(), ("id", "p"), ids=list(identifiers), clearance=int(clearance))
        return _named_views(((r["id"], r["p"]) for r in rows), clearance)

    async def get_many_async(self, identifiers: Sequence[str], *, clearance: TLP) -> dict[str, Node]:
        """:meth:`get_many` on the running event loop, through an async driver: no worker thread to
        hand the lookup to and back (most of a lookup's cost at 50 clients). Lookups made at the same
        time share reads (:class:`~graph_model.store.coalesce.Coalescer`). Falls back to
        :meth:`get_many` in a thread for a store opened from a bare sync driver."""
        loop = asyncio.get_running_loop()
        if self.open_async is None:
            return await asyncio.to_thread(self.get_many, identifiers, clearance=clearance)
        if self._async is None or self._async[0] is not loop:
            driver = self.open_async()
            self._async = (loop, driver, Coalescer(partial(self._get_many_on, driver)))
        return await self._async[2].get(identifiers, clearance)

    async def _get_many_on(
        self, driver: AsyncDriver, identifiers: list[str], clearance: TLP
    ) -> dict[str, Node]:
        text = _q(cypher.gathered(cypher.get_nodes(), ("id", "p")))
        query = neo4j.Query(text, timeout=self.read_timeout) if self.read_timeout else text
        # An auto-commit read: one round trip (a managed transaction adds BEGIN and COMMIT).
        async with driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as s:
            result = await s.run(query, {"ids": identifiers, "clearance": int(clearance)})
            record = await result.single(strict=True)
        return _named_views((tuple(row) for row in record["rows"]), clearance)

    async def close_async(self) -> None:
        """Close the async driver, if the running loop opened it."""
        if self._async is not None and self._async[0] is asyncio.get_running_loop():
            driver = self._async[1]
            self._async = None
            await driver.close()

    def _nodes(self, keys: Iterable[str], clearance: TLP) -> dict[str, Node]:
        rows = self._gather(cypher.fetch_nodes(), ("p",), keys=list(keys), clearance=int(clearance))
        return _node_views((r["p"] for r in rows), clearance)

    def links(
        self,
        keys: Sequence[str],
        *,
        clearance: TLP,
        types: frozenset[str],
        window: TimeWindow | None = None,
    ) -> list[Link]:
        if not keys or not types:
            return []
        rows = self._gather(
            cypher.links(self.model, types),
            ("ref", "type", "source", "target", "source_kind", "target_kind", "discriminator"),
            keys=list(keys),
            clearance=int(clearance),
            since=window.since if window else None,
            until=window.until if window else None,
            undated=window.include_undated if window else True,
        )
        found = {link.key: link for link in map(_link, rows)}
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
        found: dict[str, Near] = {key: Near() for key in keys}
        if not keys or not types:
            return found
        params = {
            "clearance": int(clearance),
            "since": window.since if window else None,
            "until": window.until if window else None,
            "undated": window.include_undated if window else True,
            "kinds": sorted(kinds) if kinds is not None else None,
            "keep": sorted(keep),
            "cap": cap,
        }
        text = cypher.near(self.model, types, everything=clearance >= TLP.RED)
        columns = ("key", "kind", "degree", "shown")
        unique = list(dict.fromkeys(keys))
        # The server runs a query on one core and a hub's count is most of it: a long list goes out as
        # one query per core (interleaved, so the hubs of a key range spread over them).
        parts = min(self._cores, len(unique) // NEAR_PER_PART)
        if parts > 1:
            asks = [unique[i::parts] for i in range(parts)]
            answers = self._pool.map(lambda ks: self._gather(text, columns, keys=ks, **params), asks)
            rows = [r for part in answers for r in part]
        else:
            rows = self._gather(text, columns, keys=unique, **params)
        for r in rows:
            here, kind = r["key"], r["kind"]
            near = found[here]
            near.degree = r["degree"]
            links: dict[str, Link] = {}
            for other, other_kind, rels in r["shown"]:
                for ref, edge_type, out, discriminator in rels:
                    source, target = (here, other) if out else (other, here)
                    key = edge_key(edge_type, source, target, discriminator)
                    if key not in links:
                        source_kind, target_kind = (kind, other_kind) if out else (other_kind, kind)
                        links[key] = Link(key, edge_type, source, target, source_kind, target_kind, ref)
            near.links = list(links.values())
        for key, near in found.items():
            near.links.sort(key=_by_neighbour(key))
        return found

    def neighbour_page(
        self,
        key: str,
        *,
        clearance: TLP,
        types: frozenset[str],
        window: TimeWindow | None = None,
        kinds: frozenset[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[int, list[Link]]:
        if not types:
            return 0, []
        rows = self._read(
            cypher.neighbour_page(self.model, types),
            key=key,
            clearance=int(clearance),
            since=window.since if window else None,
            until=window.until if window else None,
            undated=window.include_undated if window else True,
            kinds=sorted(kinds) if kinds is not None else None,
            offset=offset,
            limit=NO_LIMIT if limit is None else limit,
        )
        page = [
            Link(edge_key(kind, source, target, disc), kind, source, target, skind, tkind, ref)
            for ref, kind, source, target, skind, tkind, disc in rows[0]["page"]
        ]
        return int(rows[0]["total"]), page

    def undated_links(
        self,
        keys: Sequence[str],
        *,
        clearance: TLP,
        types: frozenset[str],
        kinds: frozenset[str] | None = None,
        out: bool | None = None,
    ) -> int:
        if not keys or not types:
            return 0
        rows = self._read(
            cypher.undated_links(self.model, types, out),
            keys=list(keys),
            clearance=int(clearance),
            kinds=sorted(kinds) if kinds is not None else None,
        )
        return int(rows[0]["undated"])

    def timeline_page(
        self, key: str, *, clearance: TLP, types: frozenset[str], offset: int, limit: int
    ) -> tuple[int, list[Edge]]:
        if not types:
            return 0, []
        rows = self._read(
            cypher.timeline(self.model, types), key=key, clearance=int(clearance), offset=offset, limit=limit
        )
        if not rows:
            return 0, []
        page = [
            Link(edge_key(kind, source, target, disc), kind, source, target, skind, tkind, ref)
            for ref, kind, source, target, skind, tkind, disc in rows[0]["page"]
        ]
        return int(rows[0]["total"]), self.edges(page, clearance=clearance)

    def edges(self, links: Sequence[Link], *, clearance: TLP) -> list[Edge]:
        if not links:
            return []
        refs = [link.ref for link in links]
        rows = self._gather(cypher.edges_by_ref(), ("ref", *EDGE_ROW), refs=refs, clearance=int(clearance))
        found = {r["ref"]: view for r in rows if (view := edge_view(_edge(r), clearance)) is not None}
        # An element id names another relationship once its own was deleted: the key must still match.
        return [edge for link in links if (edge := found.get(link.ref)) is not None and edge.key == link.key]

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
        """As :meth:`GraphStore.onward_page`, grouped, ordered and cut on the server (see
        ``cypher.onward_page``): a hub's relationships are counted where they are, and only the page's
        are sent, with the properties asked."""
        if ends < 1 or not keys or not types:
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
        names = sorted(props - RESERVED)
        (row,) = self._read(
            cypher.onward_page(self.model, types, out, everything=clearance >= TLP.RED),
            keys=list(dict.fromkeys(keys)),
            clearance=int(clearance),
            since=window.since if window else None,
            until=window.until if window else None,
            undated=window.include_undated if window else True,
            reached=sorted(reached),
            after=after,
            ends=ends,
            props=names,
        )
        # The order of the generic page: ends as chosen, each end's links by key.
        page: list[Facts] = []
        last: str | None = None
        for end, end_kind, rels in row["groups"]:
            if end not in reached:
                last = end
            facts: list[Facts] = []
            for ref, near, near_kind, edge_type, discriminator, first_seen, picked, p in rels:
                source, target, source_kind, target_kind = (
                    (near, end, near_kind, end_kind) if out else (end, near, end_kind, near_kind)
                )
                key = edge_key(edge_type, source, target, discriminator)
                link = Link(key, edge_type, source, target, source_kind, target_kind, ref)
                if p is None:
                    values = {n: v for n, v in zip(names, picked, strict=True) if v is not None}
                    for n, v in values.items():
                        if type(v) is list:  # as a record holds it (codec: lists sorted)
                            values[n] = sorted(v)
                    facts.append(Facts(link, values, first_seen))
                else:
                    whole = {"p": p, "type": edge_type, "source": source, "target": target}
                    if (fact := self._fact(link, whole, names, clearance)) is not None:
                        facts.append(fact)
            facts.sort(key=lambda f: f.link.key)
            page += facts
        return page, last if row["more"] else None

    @staticmethod
    def _fact(link: Link, r: Mapping[str, Any], names: Sequence[str], clearance: TLP) -> Facts | None:
        """The facts of a row of ``cypher.edge_facts``/``onward_page``: its picked properties, or the view
        of the whole relationship it carries (sources at several markings)."""
        if r["p"] is not None:
            view = edge_view(_edge(r), clearance)
            if view is None:
                return None
            return Facts(link, {n: view.props[n] for n in names if n in view.props}, view.prov.first_seen)
        values = {n: _listed(v) for n, v in zip(names, r["picked"], strict=True) if v is not None}
        return Facts(link, values, r["first_seen"])

    def facts(self, links: Sequence[Link], *, clearance: TLP, props: frozenset[str]) -> list[Facts]:
        """As :meth:`GraphStore.facts`: the server sends a relationship with one marking as the
        properties asked and its first seen date alone; only one with several is sent whole and viewed."""
        if not links:
            return []
        names = sorted(props - RESERVED)
        columns = ("ref", "source", "target", "type", "discriminator", "first_seen", "picked", "p")
        rows = self._gather(
            cypher.edge_facts(),
            columns,
            refs=[link.ref for link in links],
            clearance=int(clearance),
            props=names,
        )
        by_ref = {link.ref: link for link in links}
        found: dict[str, Facts] = {}
        for r in rows:
            link = by_ref[r["ref"]]
            # An element id names another relationship once its own was deleted: the key must match.
            if edge_key(r["type"], r["source"], r["target"], r["discriminator"]) != link.key:
                continue
            fact = self._fact(link, r, names, clearance)
            if fact is not None:
                found[link.ref] = fact
        return [found[link.ref] for link in links if link.ref in found]

    def _scan(
        self, clearance: TLP, kinds: frozenset[str] | None, types: frozenset[str]
    ) -> tuple[Iterator[Node], Iterator[Edge]]:
        params = {"clearance": int(clearance), "kinds": sorted(kinds) if kinds else None}
        nodes = _node_views((r["p"] for r in self._read(cypher.scan_nodes(), **params)), clearance)
        edges = _edge_views(self._read(cypher.scan_edges(), types=sorted(types), **params), clearance)
        return iter(nodes.values()), iter(edges)

    def search(
        self, text: str, *, clearance: TLP, kinds: Sequence[str] | None = None, limit: int = 20
    ) -> list[Node]:
        query = lucene_query(text)
        if query is None:
            return []
        tokens = words(text)
        found: list[Node] = []
        skip = 0
        while len(found) < limit:
            rows = self._read(
                cypher.search(),
                query=query,
                clearance=int(clearance),
                kinds=list(kinds) if kinds else None,
                skip=skip,
                limit=limit,
            )
            for row in rows:
                node = row_node(row["p"])
                view = node_view(node, clearance)
                # Stored words may include some from sources above clearance: check the caller's view.
                fields = self.model.nodes[node.kind].search_properties
                if view is not None and (node.levels is None or shows(view, fields, tokens)):
                    found.append(view)
            if len(rows) < limit:
                break
            skip += limit
        return found[:limit]

    def stats(self, *, clearance: TLP) -> Stats:
        nodes = {r["kind"]: r["n"] for r in self._read(cypher.count_nodes(), clearance=int(clearance))}
        edges = {r["type"]: r["n"] for r in self._read(cypher.count_edges(), clearance=int(clearance))}
        return Stats(nodes, edges)

    def stored(self) -> Stored:
        """Everything held, as stored (each query reads a snapshot of its own)."""
        out = Stored()
        for row in self._read(cypher.stored_nodes()):
            node = row_node(row["p"])
            out.nodes[node.key] = node
        out.ids.update((r["id"], r["key"]) for r in self._read(cypher.stored_ids()))
        for row in self._read(cypher.stored_edges()):
            edge = _edge(row)
            out.edges[edge.key] = edge
        for row in self._read(cypher.stored_pending()):
            out.pending[row["key"]] = row_edge(json.loads(row["data"]))
        return out

    def pending_count(self) -> int:
        rows = self._read(f"MATCH (p:{cypher.PENDING}) RETURN count(p) AS n")
        return int(rows[0]["n"])

    def waiting_edges(self, *, limit: int = 20) -> list[Edge]:
        text = f"MATCH (p:{cypher.PENDING}) RETURN p.data AS data ORDER BY p.key LIMIT $limit"
        return [row_edge(json.loads(r["data"])) for r in self._read(text, limit=limit)]

    def clear(self, *, state: bool = False) -> None:
        with self.driver.session(database=self.database) as session:
            for statement in cypher.clear(state):
                session.run(_q(statement)).consume()

    # -- state beyond the graph --------------------------------------------------------------------
    def _write(self, text: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = self.driver.execute_query(
            _q(text), params, database_=self.database, routing_=RoutingControl.WRITE
        )
        return [dict(r) for r in records]

    def put_state(self, namespace: str, key: str, value: dict[str, Any], *, versioned: bool = True) -> None:
        check_state_name(namespace, key)
        text = state_value(value)
        params = {"id": state_id(namespace, key), "namespace": namespace, "key": key, "value": text}

        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(_q(cypher.put_state()), params).consume()
            if versioned:
                tx.run(_q(cypher.bump_version())).consume()

        with self.driver.session(database=self.database) as session:
            session.execute_write(work)

    def get_state(self, namespace: str, key: str) -> dict[str, Any] | None:
        check_state_name(namespace, key)
        rows = self._read(cypher.get_state(), id=state_id(namespace, key))
        return dict(json.loads(rows[0]["value"])) if rows else None

    def list_state(self, namespace: str, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
        check_state_name(namespace, prefix or "-")
        rows = self._read(cypher.list_state(), namespace=namespace, prefix=prefix)
        return [(r["key"], dict(json.loads(r["value"]))) for r in rows]

    def delete_state(self, namespace: str, key: str, *, versioned: bool = True) -> bool:
        check_state_name(namespace, key)

        def work(tx: neo4j.ManagedTransaction) -> tuple[int, int]:
            row = tx.run(_q(cypher.delete_state()), id=state_id(namespace, key)).single(strict=True)
            if row["records"] and versioned:
                tx.run(_q(cypher.bump_version())).consume()
            return int(row["records"]), int(row["counters"])

        with self.driver.session(database=self.database) as session:
            records, counters = session.execute_write(work)
        return bool(records or counters)

    def incr_state(self, namespace: str, key: str, window_s: float, *, by: int = 1) -> int:
        check_state_name(namespace, key)
        if not window_s > 0 or by < 0:
            raise ValueError("a counter needs a window of more than 0 seconds and a count of 0 or more")
        now = time.time()
        params = {"id": state_id(namespace, key), "since": now - window_s}
        if by == 0:
            return int(self._read(cypher.count_state(), **params)[0]["n"])
        rows = self._write(cypher.incr_state(), now=now, by=by, max=MAX_EVENTS, **params)
        return int(rows[0]["n"])

    def data_version(self) -> int:
        return int(self._read(cypher.data_version())[0]["version"])

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self.driver.close()


__all__ = ["Neo4jStore", "edge_params", "node_params"]
