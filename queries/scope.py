"""Which part of the graph a question is about, and that part fetched once through the caller's clearance.

One :class:`Scope` is the input of every whole-network question (communities, centrality, disruption,
views, exports): the whole visible graph, the neighbourhood of some keys, one community, restricted to
node kinds, an edge set and a time window. :func:`scope_graph` turns it into a networkx graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, NamedTuple

import networkx as nx

from graph_model.errors import InvalidArgument, LimitExceeded, NotFound, SchemaError
from graph_model.model import Model
from graph_model.provenance import TLP, to_iso
from graph_model.store.base import GraphStore, TimeWindow
from graph_model.words import plural
from queries.partition import ALGORITHMS, partition

MAX_DEPTH = 4
DEFAULT_DEPTH = 2
DEFAULT_LIMIT = 5000


@dataclass(frozen=True, slots=True)
class Scope:
    """A part of the graph: every field narrows it, the default is the whole visible graph.

    ``keys`` (node keys or any identifier, e.g. ``attack:G0007``) limit it to their neighbourhood of
    ``depth`` hops (at most ``limit`` nodes); ``community`` to one community id of
    :func:`queries.partition.partition` with ``algorithm``; ``kinds`` to node kinds; ``edge_set`` to a
    named edge set of the schema; ``since``/``until`` to edges seen in that window (edges with no
    observed date only when ``include_undated``; the scope's graph counts those left out in
    ``graph.graph["undated_left_out"]``).
    """

    keys: tuple[str, ...] = ()
    depth: int = DEFAULT_DEPTH
    community: str | None = None
    algorithm: str = "louvain"
    kinds: tuple[str, ...] = ()
    edge_set: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int = DEFAULT_LIMIT
    include_undated: bool = False

    @property
    def window(self) -> TimeWindow | None:
        if not (self.since or self.until):
            return None
        return TimeWindow(self.since, self.until, self.include_undated)

    def with_defaults(self, *, edge_set: str | None = None) -> Scope:
        """This scope with ``edge_set`` filled in where the caller named none."""
        if self.edge_set is not None or edge_set is None:
            return self
        return replace(self, edge_set=edge_set)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields (``keys``/``kinds`` as lists); the inverse of :meth:`from_dict`."""
        data = asdict(self)
        data["keys"] = list(self.keys)
        data["kinds"] = list(self.kinds)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scope:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise InvalidArgument(
                f"unknown scope {plural(len(unknown), 'field')}: {', '.join(sorted(unknown))}"
            )
        values = dict(data)
        for name in ("keys", "kinds"):
            if name in values:
                values[name] = tuple(values[name] or ())
        return cls(**values)

    def check(self, model: Model) -> Scope:
        """This scope with times normalised, or InvalidArgument / LimitExceeded naming what is wrong."""
        if not 0 <= self.depth <= MAX_DEPTH:
            raise LimitExceeded(f"depth {self.depth} is outside 0-{MAX_DEPTH}")
        if self.limit < 1:
            raise InvalidArgument(f"limit must be positive, got {self.limit}")
        if self.algorithm not in ALGORITHMS:
            raise InvalidArgument(
                f"unknown community algorithm {self.algorithm!r}; known: {', '.join(ALGORITHMS)}"
            )
        found = link_filter(model, self.edge_set, self.kinds, self.since, self.until, self.include_undated)
        since, until = found.bounds
        if (since, until) == (self.since, self.until):
            return self
        return replace(self, since=since, until=until)  # keeps keys/kinds tuples: a scope is a cache key


class LinkFilter(NamedTuple):
    """Which links a question follows, checked against the schema: the edge set's ``types``, the node
    ``kinds`` at their far end (None: every kind) and the time ``window`` (None: no bounds)."""

    types: frozenset[str]
    kinds: frozenset[str] | None
    window: TimeWindow | None

    @property
    def bounds(self) -> tuple[str | None, str | None]:
        """The window's normalised since/until (both None without a window)."""
        return (self.window.since, self.window.until) if self.window else (None, None)


def link_filter(
    model: Model,
    edge_set: str | None = None,
    kinds: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    include_undated: bool = False,
) -> LinkFilter:
    """The one parser of a question's link filters (edge set, node kinds, time window); InvalidArgument
    naming the first that is wrong."""
    types, allowed = check_edge_set(model, edge_set), check_kinds(model, kinds)
    return LinkFilter(types, allowed, time_window(since, until, include_undated))


def time_window(since: str | None, until: str | None, include_undated: bool = False) -> TimeWindow | None:
    """The checked window of two user bounds (None: no bounds). Links without an observed date are
    outside it unless ``include_undated``: nothing says they fall inside."""
    first, last = parse_time(since, "since"), parse_time(until, "until")
    if first and last and first > last:
        raise InvalidArgument(f"since {first} is after until {last}")
    return TimeWindow(first, last, include_undated) if first or last else None


def check_kinds(model: Model, kinds: Sequence[str] | None) -> frozenset[str] | None:
    """Node kind names checked against the schema (None or empty: every kind)."""
    for kind in kinds or ():
        if kind not in model.nodes:
            raise InvalidArgument(f"unknown node kind {kind!r}; known: {', '.join(sorted(model.nodes))}")
    return frozenset(kinds) if kinds else None


def check_edge_set(model: Model, edge_set: str | None) -> frozenset[str]:
    """The relationship types of a named edge set (None: every type); InvalidArgument if unknown."""
    try:
        return model.edge_types(edge_set)
    except SchemaError as exc:
        raise InvalidArgument(str(exc)) from None


def parse_time(value: str | None, what: str) -> str | None:
    """A user's time bound in the stored UTC form, or InvalidArgument."""
    if value is None or value == "":
        return None
    try:
        return to_iso(value)
    except (ValueError, OverflowError):
        raise InvalidArgument(f"{what}: {value!r} is not a date or time (use ISO 8601)") from None


def resolve_keys(store: GraphStore, keys: Sequence[str], clearance: TLP) -> list[str]:
    """Node keys of identifiers the caller may see; NotFound naming the first that is not there."""
    return [store.get(identifier, clearance=clearance).key for identifier in keys]


def scope_graph(store: GraphStore, clearance: TLP, scope: Scope) -> nx.MultiDiGraph:
    """The visible subgraph a scope names, as a networkx MultiDiGraph keyed by node key.

    Node attributes are those of :func:`graph_model.store.base.node_attributes` (``kind``, ``type``,
    ``name``, provenance and properties); edge attributes the edge's ``type``, provenance and properties.

    Examples
    --------
    >>> from graph_model import default_model
    >>> from graph_model.store.embedded import EmbeddedStore
    >>> store = EmbeddedStore(":memory:", default_model())
    >>> scope_graph(store, TLP.RED, Scope()).number_of_nodes()
    0
    """
    scope = scope.check(store.model)
    if scope.keys:
        seeds = resolve_keys(store, scope.keys, clearance)
        found = store.neighbourhood(
            seeds,
            clearance=clearance,
            depth=scope.depth,
            edge_set=scope.edge_set,
            kinds=list(scope.kinds) or None,
            window=scope.window,
            limit=scope.limit,
        )
        graph = found.to_networkx()
        graph.graph["truncated"] = found.truncated
        window = scope.window
        if window is not None and not window.include_undated and scope.depth:
            # The undated links of the entities the walk expanded (those nearer than depth).
            around = graph.to_undirected(as_view=True)
            starts = [s for s in seeds if s in graph]
            near = nx.multi_source_dijkstra_path_length(around, starts, scope.depth - 1) if starts else {}
            types = store.model.edge_types(scope.edge_set, None)
            kinds = frozenset(scope.kinds) if scope.kinds else None
            left = store.undated_links(sorted(near), clearance=clearance, types=types, kinds=kinds)
            graph.graph["undated_left_out"] = left
    else:
        graph = store.subgraph(clearance=clearance, kinds=list(scope.kinds) or None, edge_set=scope.edge_set)
        window = scope.window
        if window is not None:
            drop = [
                (u, v, k, data.get("first_seen") is None and data.get("last_seen") is None)
                for u, v, k, data in graph.edges(keys=True, data=True)
                if not window.admits(data.get("first_seen"), data.get("last_seen"))
            ]
            graph.remove_edges_from([(u, v, k) for u, v, k, _ in drop])
            graph.graph["undated_left_out"] = sum(1 for *_, undated in drop if undated)
        graph.graph["truncated"] = False
    if scope.community is not None:
        communities = partition(graph, scope.algorithm)
        try:
            members = communities[int(scope.community)]
        except (ValueError, IndexError):
            raise NotFound(
                f"no community {scope.community!r} ({len(communities)} communities in this scope)"
            ) from None
        graph = nx.MultiDiGraph(graph.subgraph(members))
    graph.graph["scope"] = scope
    return graph
