"""A store's content held in memory, as the stores hold it: what a bulk load builds before Neo4j's importer.

:class:`StagingStore` takes loads (``loaders.ingest`` writes to it as to any store) and merges every batch
with the same code as both stores (:func:`graph_model.store.batch.apply_batch`), so what it holds -
:class:`Stored`: entities with their marking levels, the identifiers they answer to, edges, and edges
waiting for an endpoint - is exactly what a store loaded with the same records would hold. The same
:class:`Stored` is what :meth:`graph_model.store.base.GraphStore.stored` reads back from a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace

from graph_model.entities import (
    Edge,
    Node,
    edge_key,
    layered_edge,
    layered_node,
    validate_edge,
    validate_node,
)
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.batch import UpsertResult, apply_batch


@dataclass(slots=True)
class Stored:
    """Everything a store holds of the graph, as stored: ``nodes`` by key (with their levels), ``ids``
    (each extra identifier and the key of the entity that claimed it first), ``edges`` by key and the
    edges still waiting for an endpoint (``pending``, by key)."""

    nodes: dict[str, Node] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)
    pending: dict[str, Edge] = field(default_factory=dict)

    def within(self, clearance: TLP) -> Stored:
        """What a store loaded only with the sources at or below ``clearance`` would hold: each node and
        edge keeps the marking levels within it (and is left out without any), an edge loses its place
        when an end does, an identifier when the levels that gave it do."""
        if clearance == TLP.RED:
            return self
        out = Stored()
        for key, node in self.nodes.items():
            kept = _node_within(node, clearance)
            if kept is not None:
                out.nodes[key] = kept
        for i, key in self.ids.items():
            if key in out.nodes and (i in out.nodes[key].ids or i == key):
                out.ids[i] = key
        for key, edge in self.edges.items():
            kept_edge = _edge_within(edge, clearance)
            if kept_edge is not None and edge.source in out.nodes and edge.target in out.nodes:
                out.edges[key] = kept_edge
        for key, edge in self.pending.items():
            kept_edge = _edge_within(edge, clearance)
            if kept_edge is not None:
                out.pending[key] = kept_edge
        return out


def _node_within(node: Node, clearance: TLP) -> Node | None:
    if node.levels is None:
        return node if node.prov.tlp <= clearance else None
    levels = {level: part for level, part in node.levels.items() if level <= clearance}
    return layered_node(levels) if levels else None


def _edge_within(edge: Edge, clearance: TLP) -> Edge | None:
    if edge.levels is None:
        return edge if edge.prov.tlp <= clearance else None
    levels = {level: part for level, part in edge.levels.items() if level <= clearance}
    return layered_edge(levels) if levels else None


class _Tx:
    """One batch's access to the staged content (:class:`graph_model.store.base.WriteTx`)."""

    def __init__(
        self,
        stored: Stored,
        waiting_at: dict[str, set[str]],
        written: list[Edge] | None = None,
        written_nodes: list[Node] | None = None,
    ) -> None:
        self.stored = stored
        self.waiting_at = waiting_at  # endpoint id -> keys of pending edges naming it
        self.written = written  # where each edge stored is also listed, if anywhere
        self.written_nodes = written_nodes  # where each node stored is also listed, if anywhere

    def resolve_ids(self, ids: Iterable[str]) -> dict[str, str]:
        nodes, claimed = self.stored.nodes, self.stored.ids
        found: dict[str, str] = {}
        for i in ids:
            if i in nodes:
                found[i] = i
            else:
                key = claimed.get(i)
                if key is not None:
                    found[i] = key
        return found

    def node_kinds(self, keys: Iterable[str]) -> dict[str, str]:
        nodes = self.stored.nodes
        return {key: nodes[key].kind for key in keys if key in nodes}

    def resolve_nodes(self, ids: Iterable[str]) -> tuple[dict[str, str], dict[str, Node]]:
        found = self.resolve_ids(ids)
        nodes = self.stored.nodes
        return found, {key: nodes[key] for key in set(found.values())}

    def fetch_edges(self, keys: Iterable[str]) -> dict[str, Edge]:
        edges = self.stored.edges
        return {key: edges[key] for key in keys if key in edges}

    def fetch_pending(self, keys: Iterable[str]) -> dict[str, Edge]:
        pending = self.stored.pending
        return {key: pending[key] for key in keys if key in pending}

    def take_pending(self, ids: Iterable[str]) -> list[Edge]:
        if not self.stored.pending:
            return []
        keys: set[str] = set()
        for i in ids:
            keys |= self.waiting_at.pop(i, set())
        taken = []
        for key in sorted(keys):
            edge = self.stored.pending.pop(key, None)
            if edge is not None:
                taken.append(edge)
        return taken

    def write_nodes(self, nodes: Sequence[Node], *, new: bool = False) -> None:
        stored, claimed = self.stored.nodes, self.stored.ids
        if self.written_nodes is not None:
            self.written_nodes.extend(nodes)
        for node in nodes:
            stored[node.key] = node
            for i in node.ids:
                if i != node.key:
                    claimed.setdefault(i, node.key)  # an identifier keeps the entity that claimed it first

    def rename_nodes(self, renames: dict[str, str]) -> None:
        nodes, claimed, edges = self.stored.nodes, self.stored.ids, self.stored.edges
        for old, new in renames.items():
            nodes[new] = replace(nodes.pop(old), key=new)
        for i, key in claimed.items():
            if key in renames:
                claimed[i] = renames[key]
        claimed.update(renames)
        for key, edge in list(edges.items()):
            if edge.source in renames or edge.target in renames:
                del edges[key]
                moved = replace(edge, source=renames.get(edge.source, edge.source))
                moved = replace(moved, target=renames.get(edge.target, edge.target))
                edges[moved.key] = moved

    def write_edges(self, edges: Sequence[Edge], *, new: bool = False) -> None:
        nodes, stored, written = self.stored.nodes, self.stored.edges, self.written
        for edge in edges:
            source, target = edge.source, edge.target
            if source in nodes and target in nodes:  # as a store skips an edge without its ends
                stored[edge_key(edge.type, source, target, edge.discriminator)] = edge
                if written is not None:
                    written.append(edge)

    def write_pending(self, edges: Sequence[Edge]) -> None:
        for edge in edges:
            self.stored.pending[edge.key] = edge
            self.waiting_at.setdefault(edge.source, set()).add(edge.key)
            self.waiting_at.setdefault(edge.target, set()).add(edge.key)


class StagingStore:
    """Loads merged in memory as a store merges them (``loaders.ingest`` writes to it); see the module."""

    background_writes = False
    batch_size = 20_000

    def __init__(self, model: Model) -> None:
        self.model = model
        self.stored = Stored()
        self._waiting_at: dict[str, set[str]] = {}
        # Where each edge and node stored (by a merge) is also listed, if anywhere (a bulk load writes
        # their rows while it waits for records: ``neo4j_files.RowsAhead``).
        self.written_edges: list[Edge] | None = None
        self.written_nodes: list[Node] | None = None

    def loading(self) -> AbstractContextManager[None]:
        return nullcontext()

    def upsert(
        self, nodes: Sequence[Node] = (), edges: Sequence[Edge] = (), *, validate: bool = True
    ) -> UpsertResult:
        """Validate (unless told it was done), then merge a batch as a store would."""
        if validate:
            for node in nodes:
                validate_node(self.model, node)
            for edge in edges:
                validate_edge(self.model, edge)
        tx = _Tx(self.stored, self._waiting_at, self.written_edges, self.written_nodes)
        return apply_batch(self.model, tx, nodes, edges)

    def pending_count(self) -> int:
        return len(self.stored.pending)
