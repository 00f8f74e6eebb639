"""The store contract. Writes and neighbourhood traversal are written once here over a few primitives."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import networkx as nx
import orjson

from graph_model.entities import Edge, Marks, Node, validate_edge, validate_node
from graph_model.errors import NotFound
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store.batch import UpsertResult, apply_batch
from graph_model.store.staging import Stored


class WriteTx(Protocol):
    """What one write transaction offers :func:`graph_model.store.batch.apply_batch`."""

    def resolve_ids(self, ids: Iterable[str]) -> dict[str, str]: ...
    def node_kinds(self, keys: Iterable[str]) -> dict[str, str]: ...
    def resolve_nodes(self, ids: Iterable[str]) -> tuple[dict[str, str], dict[str, Node]]: ...
    def fetch_edges(self, keys: Iterable[str]) -> dict[str, Edge]: ...
    def fetch_pending(self, keys: Iterable[str]) -> dict[str, Edge]: ...
    def take_pending(self, ids: Iterable[str]) -> list[Edge]: ...
    def write_nodes(self, nodes: Sequence[Node], *, new: bool = False) -> None: ...
    def rename_nodes(self, renames: dict[str, str]) -> None:
        """Key stored entities anew (old key -> new, no entity holding the new key): their identifiers,
        edges and the old key itself (an identifier now) follow; the caller writes the merged node."""
        ...

    def write_edges(self, edges: Sequence[Edge], *, new: bool = False) -> None: ...
    def write_pending(self, edges: Sequence[Edge]) -> None: ...


class LoadTarget(Protocol):
    """What a load writes to (``loaders.ingest``): a store, or the in-memory staging of a bulk load
    (:class:`graph_model.store.staging.StagingStore`)."""

    model: Model
    background_writes: bool
    batch_size: int

    def upsert(
        self, nodes: Sequence[Node] = ..., edges: Sequence[Edge] = ..., *, validate: bool = ...
    ) -> UpsertResult: ...
    def loading(self) -> AbstractContextManager[None]: ...


# Earlier than any date a source gives: a window from here admits every dated link.
EARLIEST = "0001-01-01T00:00:00Z"


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Inclusive UTC ISO bounds on when a link was observed (``first_seen``/``last_seen`` as the caller
    sees them). A link with no observed date is outside a window unless ``include_undated``: nothing says
    it falls inside (:meth:`GraphStore.undated_links` counts what a window left out so)."""

    since: str | None = None
    until: str | None = None
    include_undated: bool = False

    def admits(self, first_seen: str | None, last_seen: str | None) -> bool:
        if first_seen is None and last_seen is None:
            return self.include_undated or (self.since is None and self.until is None)
        if self.since and last_seen and last_seen < self.since:
            return False
        return not (self.until and first_seen and first_seen > self.until)


class Link(NamedTuple):
    """A visible edge as a walk needs it: its key, type, ends and their kinds, without its record.

    ``ref`` is what :meth:`GraphStore.edges` finds the record by in the store that returned the link.
    A named tuple: walks make hundreds of thousands of them, and a frozen dataclass takes three times as
    long to build.
    """

    key: str
    type: str
    source: str
    target: str
    source_kind: str
    target_kind: str
    ref: str

    def other(self, key: str) -> str:
        """The end that is not ``key`` (``key`` itself on a self-loop)."""
        return self.target if self.source == key else self.source

    def other_kind(self, key: str) -> str:
        return self.target_kind if self.source == key else self.source_kind


class Facts(NamedTuple):
    """A few properties of a link's record and its first-seen date, as the caller sees them, without the
    rest of the record (see :meth:`GraphStore.facts`)."""

    link: Link
    props: dict[str, Any]  # of those asked for, the ones the record holds
    first_seen: str | None


@dataclass(slots=True)
class Near:
    """What surrounds one entity for a walk that caps hubs: how many neighbours it has, and the links to
    those shown (all of them, or the first ``cap`` by key and those the walk already kept)."""

    degree: int = 0
    links: list[Link] = field(default_factory=list)


@dataclass(slots=True)
class Subgraph:
    """Nodes and edges visible to a caller; ``truncated`` says a limit cut the result short."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)
    truncated: bool = False

    def to_networkx(self) -> nx.MultiDiGraph:
        return to_networkx(self.nodes.values(), self.edges.values())


@dataclass(frozen=True, slots=True)
class Stats:
    nodes: dict[str, int]
    edges: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_nodes": sum(self.nodes.values()),
            "total_edges": sum(self.edges.values()),
            "nodes": dict(sorted(self.nodes.items())),
            "edges": dict(sorted(self.edges.items())),
        }


# What :func:`to_networkx` puts on a node or an edge beside its own properties: its provenance (and, on a
# node, ``stated``: which sources stated each property, where not every source did - see
# :func:`stated_text`). Readers of such a graph (exports, views, packages) tell the two apart by this list.
PROVENANCE_ATTRIBUTES = (
    "tlp",
    "confidence",
    "first_seen",
    "last_seen",
    "date_added",
    "created",
    "modified",
    "sources",
    "stated",
    "marked",
)


def page_of_ends(
    ends: Iterable[str], reached: frozenset[str], after: str | None, size: int
) -> tuple[list[str], str | None]:
    """The ends of a page of :meth:`GraphStore.onward_page`: those in ``reached`` (first page only),
    then the next ``size`` others in key order after ``after``; and the last of those when more remain.

    >>> page_of_ends(["c", "a", "d", "b"], frozenset({"d"}), None, 2)
    (['d', 'a', 'b'], 'b')
    >>> page_of_ends(["c", "a", "d", "b"], frozenset({"d"}), "b", 2)
    (['c'], None)
    """
    others = sorted(end for end in ends if end not in reached and (after is None or end > after))
    first = sorted(end for end in ends if end in reached) if after is None else []
    page = others[:size]
    return first + page, (page[-1] if len(others) > size else None)


def stated_text(node: Node | Edge) -> str | None:
    """``Node.stated`` (or ``Edge.stated``) as JSON text, ``{property: [sources]}`` (``name`` for the name),
    sorted; None when every source of the node stated every one of its properties."""
    if not node.stated:
        return None
    return orjson.dumps({name: sorted(sources) for name, sources in sorted(node.stated.items())}).decode()


def marked_text(item: Node | Edge) -> str | None:
    """``Node.marked``/``Edge.marked`` as JSON text - ``{"tlp": lowest level, field: level, list field:
    {element: level}}`` with TLP labels - or None when the view shows the statements of one level only."""
    marks = item.marked
    if not marks:
        return None
    return orjson.dumps(
        {
            name: mark.label if isinstance(mark, TLP) else {e: m.label for e, m in sorted(mark.items())}
            for name, mark in sorted(marks.items())
        }
    ).decode()


def read_marks(text: str | None) -> Marks | None:
    """:func:`marked_text` read back."""
    if not text:
        return None
    found = orjson.loads(text)
    return {
        name: TLP.parse(mark) if isinstance(mark, str) else {e: TLP.parse(m) for e, m in mark.items()}
        for name, mark in found.items()
    }


def _provenance(prov: Provenance) -> dict[str, Any]:
    return {
        "tlp": prov.tlp.label,
        "confidence": prov.confidence,
        "first_seen": prov.first_seen,
        "last_seen": prov.last_seen,
        "date_added": prov.date_added,
        "created": prov.created,
        "modified": prov.modified,
        "sources": sorted(prov.sources),
    }


def _statements(item: Node | Edge) -> dict[str, Any]:
    """An item's provenance, then ``stated`` and ``marked`` where it has them (before its properties)."""
    attrs = _provenance(item.prov)
    for name, text in (("stated", stated_text(item)), ("marked", marked_text(item))):
        if text is not None:
            attrs[name] = text
    return attrs


def node_attributes(node: Node) -> dict[str, Any]:
    return {"kind": node.kind, "type": node.type, "name": node.name, **_statements(node), **node.props}


def edge_attributes(edge: Edge) -> dict[str, Any]:
    """What :func:`to_networkx` puts on an edge: its type, provenance, ``stated``, ``marked``, properties."""
    return {"type": edge.type, **_statements(edge), **edge.props}


def to_networkx(nodes: Iterable[Node], edges: Iterable[Edge]) -> nx.MultiDiGraph:
    """A MultiDiGraph keyed by node key; edge keys are edge keys, attributes the stored properties."""
    graph = nx.MultiDiGraph()
    for node in nodes:
        graph.add_node(node.key, **node_attributes(node))
    for edge in edges:
        graph.add_edge(edge.source, edge.target, key=edge.key, **edge_attributes(edge))
    return graph


def edge_from_networkx(graph: nx.MultiDiGraph, u: str, v: str, key: str) -> Edge:
    """The edge ``key`` from ``u`` to ``v`` of a graph made by :func:`to_networkx`, as an :class:`Edge`."""
    data = graph.edges[u, v, key]
    props = {k: val for k, val in data.items() if k != "type" and k not in PROVENANCE_ATTRIBUTES}
    prov = Provenance(
        sources=frozenset(data.get("sources") or ()),
        first_seen=data.get("first_seen"),
        last_seen=data.get("last_seen"),
        confidence=int(data["confidence"]),
        tlp=TLP.parse(data["tlp"]),
        date_added=data.get("date_added"),
        created=data.get("created"),
        modified=data.get("modified"),
    )
    stated = orjson.loads(data["stated"]) if data.get("stated") else None
    credit = {p: frozenset(s) for p, s in stated.items()} if stated else None
    return Edge(data["type"], u, v, prov, props, key[len(f"{data['type']}|{u}|{v}|") :], stated=credit)


# A whole-graph read for algorithms that need the topology and a few properties, not the records:
# nodes as (key, {"kind", "type", "name", and the asked properties it has}), edges as
# (source, target, type, {asked properties it has}). Both through the caller's clearance.
SlimNode = tuple[str, dict[str, Any]]
SlimEdge = tuple[str, str, str, dict[str, Any]]


def slim_node(node: Node, props: frozenset[str]) -> SlimNode:
    """A node view as a :data:`SlimNode` keeping only ``props``."""
    attrs: dict[str, Any] = {"kind": node.kind, "type": node.type, "name": node.name}
    attrs.update((p, node.props[p]) for p in props if p in node.props)
    return node.key, attrs


def slim_edge(edge: Edge, props: frozenset[str]) -> SlimEdge:
    """An edge view as a :data:`SlimEdge` keeping only ``props``."""
    return edge.source, edge.target, edge.type, {p: edge.props[p] for p in props if p in edge.props}


def time_order(edge: Edge) -> tuple[bool, str, str, str]:
    """An edge's place in a timeline: first seen, then last seen (undated last), then key."""
    first, last = edge.prov.first_seen, edge.prov.last_seen
    return (first is None and last is None, first or last or "", last or "", edge.key)


def names(view: Node, identifier: str) -> bool:
    """Whether ``identifier`` names the node as the caller sees it: its key, or an id a visible source gave
    (an identifier only a source above clearance gave must not confirm that it names this entity)."""
    return identifier == view.key or identifier in view.ids


# The most events a state counter holds within its window (see GraphStore.incr_state).
MAX_EVENTS = 10_000


def state_value(value: dict[str, Any]) -> str:
    """A state record as stored: JSON text; ValueError (naming the problem) for anything else."""
    if not isinstance(value, dict):
        raise ValueError(f"a state record is a dict, not {type(value).__name__}")
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError as exc:
        raise ValueError(f"a state record must be JSON: {exc}") from None


def check_state_name(namespace: str, key: str) -> None:
    """ValueError unless ``namespace`` and ``key`` are non-empty text (the namespace without a NUL)."""
    if not isinstance(namespace, str) or not namespace or "\x00" in namespace:
        raise ValueError(f"bad state namespace {namespace!r}")
    if not isinstance(key, str) or not key:
        raise ValueError(f"bad state key {key!r}")


class GraphStore(abc.ABC):
    """A graph of nodes and edges with provenance, read through the caller's clearance."""

    model: Model
    # Whether a loader should write from a background thread: true where a write mostly waits on a server.
    background_writes: bool = False
    # Nodes and edges per write transaction that a loader uses unless told otherwise.
    batch_size: int = 5000

    # -- primitives each implementation provides -------------------------------------------
    @abc.abstractmethod
    def _write_transaction(self) -> AbstractContextManager[WriteTx]:
        """One atomic write: everything done through the yielded tx commits together or not at all."""

    @abc.abstractmethod
    def _resolve(self, ids: Iterable[str]) -> dict[str, str]:
        """Map identifiers (keys or ids) to node keys."""

    @abc.abstractmethod
    def _nodes(self, keys: Iterable[str], clearance: TLP) -> dict[str, Node]:
        """The nodes among ``keys`` that a source within ``clearance`` asserts, as that caller sees them
        (``graph_model.views``)."""

    @abc.abstractmethod
    def links(
        self,
        keys: Sequence[str],
        *,
        clearance: TLP,
        types: frozenset[str],
        window: TimeWindow | None = None,
    ) -> list[Link]:
        """Visible edges of ``types`` touching ``keys`` (either direction), both ends visible and the edge
        admitted by ``window``; each once, in key order. Reads no records: walks use it to decide what
        to fetch (see :mod:`queries.neighbourhood`, :mod:`queries.paths`)."""

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
        """For each of ``keys``: its neighbours over :meth:`links` (of ``kinds``), how many, and the links
        to those shown: every one up to ``cap`` neighbours; past it the first ``cap`` by key and any in
        ``keep``. A store may answer this without reading a hub's every link."""
        around: dict[str, dict[str, list[Link]]] = {key: {} for key in keys}
        for link in self.links(keys, clearance=clearance, types=types, window=window):
            for here in {link.source, link.target}:
                if here in around:
                    other = link.other(here)
                    if kinds is None or link.other_kind(here) in kinds:
                        around[here].setdefault(other, []).append(link)
        found: dict[str, Near] = {}
        for key, neighbours in around.items():
            names = sorted(neighbours)
            if cap is not None and len(names) > cap:
                names = sorted({*names[:cap], *(keep & neighbours.keys())})
            found[key] = Near(len(neighbours), [link for name in names for link in neighbours[name]])
        return found

    def timeline_page(
        self, key: str, *, clearance: TLP, types: frozenset[str], offset: int, limit: int
    ) -> tuple[int, list[Edge]]:
        """How many visible links ``key`` (a node key) has of ``types`` (both ends visible), and the records
        of those from ``offset`` on (at most ``limit``) in time order as the caller sees the dates: by first
        seen, then last seen (undated last), then key. A store may order on its side and read only the
        page's records (Neo4j does); this one reads the records to learn their dates."""
        links = self.links([key], clearance=clearance, types=types)
        edges = sorted(self.edges(links, clearance=clearance), key=time_order)
        return len(links), edges[offset : offset + limit]

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
        """How many of :meth:`links` ``key`` (a node key) has to entities of ``kinds`` (None: any), and
        those from ``offset`` on (at most ``limit``; None: all) ordered by the other end's key, then
        link type, then link key - all things the caller sees, so the order reveals nothing hidden. A
        store may order and cut on its side (Neo4j does): a hub's links are then never all sent."""
        links = self.links([key], clearance=clearance, types=types, window=window)
        if kinds is not None:
            links = [link for link in links if link.other_kind(key) in kinds]
        links.sort(key=lambda link: (link.other(key), link.type, link.key))
        return len(links), links[offset : None if limit is None else offset + limit]

    def undated_links(
        self,
        keys: Sequence[str],
        *,
        clearance: TLP,
        types: frozenset[str],
        kinds: frozenset[str] | None = None,
        out: bool | None = None,
    ) -> int:
        """How many of :meth:`links` of ``keys`` (to entities of ``kinds``, or any) carry no observed date
        as the caller sees them: what a time window leaves out unless it includes undated links. ``out``
        True counts only the links leaving ``keys`` (a key at the source), False only those into them,
        self-loops apart either way (the links :meth:`onward_page` walks); None, every link of ``keys``."""
        if not keys:
            return 0
        asked = frozenset(keys)

        def counted(link: Link) -> bool:
            ends: tuple[tuple[str, str], ...] = (
                (link.source, link.target_kind),
                (link.target, link.source_kind),
            )
            if out is not None:
                if link.source == link.target:
                    return False
                ends = (ends[0],) if out else (ends[1],)
            return any(here in asked and (kinds is None or kind in kinds) for here, kind in ends)

        every = self.links(keys, clearance=clearance, types=types, window=TimeWindow(EARLIEST, None, True))
        dated = self.links(keys, clearance=clearance, types=types, window=TimeWindow(EARLIEST, None))
        return sum(map(counted, every)) - sum(map(counted, dated))

    @abc.abstractmethod
    def edges(self, links: Sequence[Link], *, clearance: TLP) -> list[Edge]:
        """The records of ``links`` (as returned by :meth:`links` of this store) still visible, in order."""

    def facts(self, links: Sequence[Link], *, clearance: TLP, props: frozenset[str]) -> list[Facts]:
        """The properties ``props`` (those a record holds) and the first-seen date of the records of
        ``links`` still visible, as the caller sees them, in order: what :meth:`edges` gives of them,
        read without building whole records where a store can (both stores do: a money flow from a hub
        reads thousands of transfers for their amounts and times alone)."""
        by_key = {link.key: link for link in links}
        return [
            Facts(
                by_key[edge.key], {p: edge.props[p] for p in props if p in edge.props}, edge.prov.first_seen
            )
            for edge in self.edges(links, clearance=clearance)
        ]

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
        """One page of the :meth:`links` leaving ``keys`` (``out``: ``keys`` at the source; else at the
        target), self-loops apart, as :meth:`facts` of ``props``, grouped by the entity at the far end:
        on the first page (``after`` None) every link to an end in ``reached``, then the links to the
        next ``ends`` other ends in key order (after ``after``). Returns the page and, when more other
        ends remain, the last end key in it (the next page's ``after``), else None.

        Walks that fill a room in key order (:func:`queries.money.money_flow`) so read a hub's links only
        up to the ends they can hold; this one reads every link of ``keys`` first, a store may read less
        (both stores do without a window)."""
        if ends < 1:
            raise ValueError(f"a page holds at least one end, not {ends}")
        asked = frozenset(keys)
        groups: dict[str, list[Link]] = {}
        for link in self.links(keys, clearance=clearance, types=types, window=window):
            here, there = (link.source, link.target) if out else (link.target, link.source)
            if here in asked and here != there:
                groups.setdefault(there, []).append(link)
        chosen, more = page_of_ends(groups, reached, after, ends)
        return self.facts(
            [link for end in chosen for link in groups[end]], clearance=clearance, props=props
        ), more

    def nodes(self, keys: Iterable[str], *, clearance: TLP) -> dict[str, Node]:
        """The nodes among ``keys`` (node keys, not other ids) at or below ``clearance``."""
        return self._nodes(keys, clearance)

    @abc.abstractmethod
    def _scan(
        self, clearance: TLP, kinds: frozenset[str] | None, types: frozenset[str]
    ) -> tuple[Iterator[Node], Iterator[Edge]]:
        """All visible nodes of ``kinds`` and visible edges of ``types`` between them."""

    @abc.abstractmethod
    def search(
        self, text: str, *, clearance: TLP, kinds: Sequence[str] | None = None, limit: int = 20
    ) -> list[Node]:
        """Full-text search over names, aliases and searchable properties."""

    @abc.abstractmethod
    def stats(self, *, clearance: TLP) -> Stats:
        """Counts of visible nodes by kind and visible edges by type."""

    @abc.abstractmethod
    def stored(self) -> Stored:
        """Everything the store holds of the graph as stored - every marking level, the identifiers, the
        waiting edges - for copying it (``crimegraph export neo4j-admin``). Never hand this to a caller:
        it is not read through a clearance (see :meth:`graph_model.store.staging.Stored.within`)."""

    @abc.abstractmethod
    def pending_count(self) -> int:
        """Edges still waiting for an endpoint (not visible to any reader)."""

    @abc.abstractmethod
    def waiting_edges(self, *, limit: int = 20) -> list[Edge]:
        """Up to ``limit`` of the edges waiting for an endpoint, in key order (for ``crimegraph check``)."""

    @abc.abstractmethod
    def clear(self, *, state: bool = False) -> None:
        """Delete every node and edge (and the edges waiting for an endpoint). The state beyond the graph
        (sessions, analyst decisions, resume points) stays unless ``state``; the data version never goes
        back: clearing increases it."""

    # -- state beyond the graph ----------------------------------------------------------------
    # Small JSON records by (namespace, key), kept by the store beside the graph and never part of it: no
    # read, count, search, export or check of the graph sees them. For browser sessions, analyst
    # decisions, TAXII status resources and client resume points; every process using the same store
    # (``serve --workers``) sees the same records.
    @abc.abstractmethod
    def put_state(self, namespace: str, key: str, value: dict[str, Any], *, versioned: bool = True) -> None:
        """Store ``value`` (a JSON-serialisable dict) under ``namespace``/``key``, replacing what was there.

        ``versioned``: the write changes what the data says (an analyst's decision), so it increases
        :meth:`data_version`; pass False for bookkeeping (sessions, status resources, resume points).
        """

    @abc.abstractmethod
    def get_state(self, namespace: str, key: str) -> dict[str, Any] | None:
        """The record under ``namespace``/``key``, or None."""

    @abc.abstractmethod
    def list_state(self, namespace: str, prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
        """Every record of ``namespace`` whose key starts with ``prefix``, as (key, value) in key order."""

    @abc.abstractmethod
    def delete_state(self, namespace: str, key: str, *, versioned: bool = True) -> bool:
        """Delete the record and the counter under ``namespace``/``key``; whether either existed.
        (``versioned`` as for :meth:`put_state`; only a deletion that removed a record counts.)"""

    @abc.abstractmethod
    def incr_state(self, namespace: str, key: str, window_s: float, *, by: int = 1) -> int:
        """Count an event under ``namespace``/``key`` and return how many were counted there in the last
        ``window_s`` seconds, this one included: a sliding window, atomic across threads and processes
        (login throttling across ``serve --workers``). ``by=0`` only reads the count. Counts saturate at
        :data:`MAX_EVENTS` (enough for any throttle). Counters are not records: :meth:`get_state` and
        :meth:`list_state` do not see them, :meth:`delete_state` resets them, and they never change the
        data version."""

    @abc.abstractmethod
    def data_version(self) -> int:
        """A number that every write of the graph (each batch, each clear) and every versioned state write
        increases, never decreases: a package or a saved investigation cites it to say what data it was
        made from."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def loading(self) -> AbstractContextManager[None]:
        """A load's writes happen inside this: a store may remember what the load wrote, to skip asking
        again (``graph_model.store.memory``)."""
        return nullcontext()

    # -- the contract, written once ----------------------------------------------------------
    def upsert(
        self, nodes: Sequence[Node] = (), edges: Sequence[Edge] = (), *, validate: bool = True
    ) -> UpsertResult:
        """Validate, then merge a batch in one transaction; a bad record rejects the whole batch.

        ``validate=False`` is for callers that already ran :func:`validate_node`/:func:`validate_edge`.
        """
        if validate:
            for node in nodes:
                validate_node(self.model, node)
            for edge in edges:
                validate_edge(self.model, edge)
        with self._write_transaction() as tx:
            return apply_batch(self.model, tx, nodes, edges)

    def get(self, identifier: str, *, clearance: TLP) -> Node:
        """The node with this key or id; NotFound also when it is above ``clearance``."""
        found = self.get_many([identifier], clearance=clearance)
        if identifier not in found:
            raise NotFound(f"no entity {identifier!r}")
        return found[identifier]

    def get_many(self, identifiers: Sequence[str], *, clearance: TLP) -> dict[str, Node]:
        """The visible nodes among these keys or ids, by the identifier asked for; the rest left out."""
        resolved = self._resolve(identifiers)
        found = self._nodes(sorted(set(resolved.values())), clearance)
        return {i: found[k] for i, k in resolved.items() if k in found and names(found[k], i)}

    def neighbourhood(
        self,
        seeds: Sequence[str],
        *,
        clearance: TLP,
        depth: int = 1,
        edge_set: str | None = None,
        edge_types: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        window: TimeWindow | None = None,
        limit: int = 500,
    ) -> Subgraph:
        """Breadth-first expansion from ``seeds``, only through nodes and edges the caller may see.

        Edges are taken in key order and the walk stops once ``limit`` nodes are reached, so both
        stores return the same answer.
        """
        types = self.model.edge_types(edge_set, edge_types)
        allowed = frozenset(kinds) if kinds else None
        for kind in allowed or ():
            self.model.node_kind(kind)
        resolved = self._resolve(seeds)
        result = Subgraph()
        found = self._nodes(sorted({resolved[s] for s in seeds if s in resolved}), clearance)
        # A seed named by an identifier only a source above clearance gave is not found (as in get()).
        for seed in seeds:
            key = resolved.get(seed)
            node = found.get(key) if key else None
            if key and node is not None and (seed == key or seed in node.ids):
                result.nodes[key] = node
        # The walk reads the links alone (keys, types, ends and their kinds); the records of the entities
        # and edges it keeps are read once at the end, not those of every edge of every frontier.
        order = dict.fromkeys(result.nodes)
        kept: dict[str, Link] = {}
        frontier = sorted(result.nodes)
        for _ in range(depth):
            if not frontier or result.truncated:
                break
            nxt: list[str] = []
            for link in self.links(frontier, clearance=clearance, types=types, window=window):
                for end, kind in ((link.source, link.source_kind), (link.target, link.target_kind)):
                    if end in order or (allowed is not None and kind not in allowed):
                        continue
                    if len(order) >= limit:
                        result.truncated = True
                        break
                    order[end] = None
                    nxt.append(end)
                if link.source in order and link.target in order:
                    kept.setdefault(link.key, link)
            frontier = sorted(nxt)
        fetched = self._nodes(sorted(order.keys() - result.nodes.keys()), clearance)
        result.nodes.update((key, fetched[key]) for key in order if key in fetched)
        records = self.edges(list(kept.values()), clearance=clearance)
        result.edges = {
            edge.key: edge for edge in records if edge.source in result.nodes and edge.target in result.nodes
        }
        return result

    def subgraph(
        self,
        *,
        clearance: TLP,
        kinds: Sequence[str] | None = None,
        edge_set: str | None = None,
        edge_types: Sequence[str] | None = None,
    ) -> nx.MultiDiGraph:
        """Every visible node of ``kinds`` and visible edge of the chosen types, as networkx."""
        types = self.model.edge_types(edge_set, edge_types)
        allowed = frozenset(kinds) if kinds else None
        for kind in allowed or ():
            self.model.node_kind(kind)
        nodes, edges = self._scan(clearance, allowed, types)
        return to_networkx(nodes, edges)

    def scan(
        self,
        *,
        clearance: TLP,
        kinds: Sequence[str] | None = None,
        edge_types: Sequence[str] | None = None,
    ) -> tuple[Iterator[Node], Iterator[Edge]]:
        """What :meth:`subgraph` reads - every visible node of ``kinds``, then every visible edge of
        ``edge_types`` between them, as the caller sees them - without building a graph. Read the nodes
        before the edges."""
        types = self.model.edge_types(None, edge_types)
        allowed = frozenset(kinds) if kinds else None
        for kind in allowed or ():
            self.model.node_kind(kind)
        return self._scan(clearance, allowed, types)

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
        """What :meth:`subgraph` reads, slimmed for whole-graph algorithms: every visible node of
        ``kinds``, each once, with its kind, type, name and ``node_props``; every visible edge of the edge set
        (both ends visible) with its type and ``edge_props`` - only for edges of the types in
        ``props_of`` when given (the others carry ``{}``). The caller's views, exactly as
        :meth:`subgraph` gives them; stores may read less to build it."""
        types = self.model.edge_types(edge_set, None)
        allowed = frozenset(kinds) if kinds else None
        for kind in allowed or ():
            self.model.node_kind(kind)
        nprops, eprops = frozenset(node_props), frozenset(edge_props)
        with_props = None if props_of is None else frozenset(props_of)
        nodes, edges = self._scan(clearance, allowed, types)
        slim_nodes = [slim_node(n, nprops) for n in nodes]
        slim_edges = [
            slim_edge(e, eprops if with_props is None or e.type in with_props else frozenset()) for e in edges
        ]
        return slim_nodes, slim_edges
