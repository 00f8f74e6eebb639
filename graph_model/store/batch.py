"""How one batch is merged into a store: identity resolution, merge rules, waiting edges.

Both stores run this same code inside their own transaction, so they merge identically.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from operator import attrgetter
from typing import TYPE_CHECKING

from graph_model.entities import Edge, Node, adds_nothing, edge_key, merge_edges, merge_nodes
from graph_model.model import Model

if TYPE_CHECKING:
    from graph_model.store.base import WriteTx

_TYPE = attrgetter("type")


@dataclass(slots=True)
class UpsertResult:
    """What a batch did: entities created, records merged into existing ones, edges left waiting."""

    nodes_new: int = 0
    nodes_merged: int = 0
    edges_new: int = 0
    edges_merged: int = 0
    edges_pending: int = 0
    new_by_kind: Counter[str] = field(default_factory=Counter)
    merged_by_kind: Counter[str] = field(default_factory=Counter)
    # Edges refused because the schema has no such edge between the kinds their ends turned out to have
    # (ends from other records or loads, a waiting edge whose end arrived), each as given, with the reason.
    misfits: list[tuple[Edge, str]] = field(default_factory=list)

    def add(self, other: UpsertResult) -> None:
        self.nodes_new += other.nodes_new
        self.nodes_merged += other.nodes_merged
        self.edges_new += other.edges_new
        self.edges_merged += other.edges_merged
        self.edges_pending += other.edges_pending
        self.new_by_kind.update(other.new_by_kind)
        self.merged_by_kind.update(other.merged_by_kind)
        self.misfits.extend(other.misfits)


def _merge_all(items: dict[str, list[Node]]) -> dict[str, Node]:
    merged: dict[str, Node] = {}
    for key, group in items.items():
        node = group[0] if group[0].key == key else replace(group[0], key=key)
        for other in group[1:]:
            if other is not node and not adds_nothing(node, other):
                node = merge_nodes(node, other)
        merged[key] = node
    return merged


def _distinct(nodes: Sequence[Node]) -> tuple[list[Node], Counter[str]]:
    """The nodes of a batch without repeats of a node already in it (a hub named by many records), and
    how many records each key had: a repeat adds nothing, so only its count matters."""
    first: dict[str, Node] = {}
    kept: list[Node] = []
    counts: Counter[str] = Counter()
    for node in nodes:
        key = node.key
        counts[key] += 1
        seen = first.get(key)
        if seen is None:
            first[key] = node
        elif seen is node or (len(node.ids) <= 1 and adds_nothing(seen, node)):
            continue
        kept.append(node)
    return kept, counts


def _resolve_nodes(
    tx: WriteTx, nodes: Sequence[Node]
) -> tuple[dict[str, list[Node]], dict[str, str], dict[str, Node]]:
    """Group incoming nodes by the key they resolve to: an existing node sharing any id, else their own.

    Also returns the stored nodes those ids resolve to (one round trip for both).
    """
    existing, stored = tx.resolve_nodes({i for n in nodes for i in (n.key, *n.ids)})
    id_map: dict[str, str] = {}
    groups: dict[str, list[Node]] = {}
    kind_of = {key: node.kind for key, node in stored.items()}
    for node in nodes:
        if len(node.ids) <= 1:  # the common case: the key is the only identifier
            target = existing.get(node.key) or id_map.get(node.key) or node.key
            id_map.setdefault(node.key, target)
        else:
            # A shared identifier merges only entities of the same kind (an actor never becomes malware).
            ids = (node.key, *sorted(set(node.ids) - {node.key}))
            same = [m[i] for m in (existing, id_map) for i in ids if i in m]
            target = next((t for t in same if kind_of.get(t, node.kind) == node.kind), node.key)
            for i in ids:
                id_map.setdefault(i, target)
        kind_of.setdefault(target, node.kind)
        groups.setdefault(target, []).append(node)
    resolved = {**existing, **id_map}
    moved = _settled_keys(groups, resolved, stored)
    if moved:
        renames = {old: new for old, new in moved.items() if new in stored}
        if renames:
            tx.rename_nodes(renames)
        resolved = {i: moved.get(key, key) for i, key in resolved.items()}
    return groups, resolved, stored


def _settled_keys(
    groups: dict[str, list[Node]], resolved: dict[str, str], stored: dict[str, Node]
) -> dict[str, str]:
    """Key each entity by the greatest (in text order) of its records' keys, whatever order they came in:
    records of one entity with different keys (an ATT&CK group and a MISP cluster sharing ``attack:G0007``)
    give the same key and identifiers loaded in any order; a STIX object's ``uuid:``/``stix:`` key is kept
    over a value key such as ``software:<name>``. Regroups ``groups`` (and ``stored``) in place; returns the
    entities keyed anew, old key -> new (a stored one keeps its old key as an identifier)."""
    moved: dict[str, str] = {}
    for target, group in list(groups.items()):
        if len(group) == 1 and group[0].key == target:
            continue  # the common case: one record, keyed as it came
        greatest = max(node.key for node in group)
        if greatest <= target or resolved.get(greatest, target) != target:
            continue  # already the greatest, or that key is another entity's
        groups[greatest] = groups.pop(target)
        old = stored.pop(target, None)
        if old is not None:
            stored[greatest] = replace(old, key=greatest)
        moved[target] = greatest
    return moved


def _write_nodes(
    tx: WriteTx, nodes: Sequence[Node], result: UpsertResult
) -> tuple[dict[str, str], dict[str, str]]:
    """Merge ``nodes``; the key each identifier resolves to, and the kind of each entity the batch named."""
    distinct, counts = _distinct(nodes)
    groups, id_map, stored = _resolve_nodes(tx, distinct)
    incoming = _merge_all(groups)
    created: list[Node] = []
    changed: list[Node] = []
    for key, node in incoming.items():
        group = groups[key]
        records = counts.pop(group[0].key, 0)
        for other in group[1:]:
            records += counts.pop(other.key, 0)
        old = stored.get(key)
        if old is None:
            result.nodes_new += 1
            result.nodes_merged += records - 1
            result.new_by_kind[node.kind] += 1
            result.merged_by_kind[node.kind] += records - 1
            created.append(node)
            continue
        result.nodes_merged += records
        result.merged_by_kind[node.kind] += records
        if not adds_nothing(old, node):
            new = merge_nodes(old, node)
            if new != old:
                changed.append(new)
    # The batch runs in one write transaction, so what was absent at fetch time is still absent.
    tx.write_nodes(created, new=True)
    tx.write_nodes(changed)
    # A stored entity keeps its kind when records of another kind merge into it (merge_nodes keeps ``a``'s).
    kinds = {key: node.kind for key, node in incoming.items()}
    kinds.update((key, node.kind) for key, node in stored.items())
    return id_map, kinds


def _write_edges(
    model: Model,
    tx: WriteTx,
    edges: Sequence[Edge],
    id_map: dict[str, str],
    kinds: dict[str, str],
    result: UpsertResult,
) -> None:
    unknown = ({e.source for e in edges} | {e.target for e in edges}) - id_map.keys()
    if unknown:  # ends the batch's own nodes did not name
        found = tx.resolve_ids(unknown)
        id_map = {**found, **id_map}
        unkinded = set(found.values()) - kinds.keys()
        if unkinded:
            kinds = {**tx.node_kinds(unkinded), **kinds}
    edge_kinds = model.edges
    resolved: dict[str, Edge] = {}
    waiting: dict[str, Edge] = {}
    repeats: dict[str, int] = {}  # records beyond the first of each key the batch repeats
    for edge in edges:
        src, dst = id_map.get(edge.source), id_map.get(edge.target)
        if src is None or dst is None:
            key = edge.key
            waiting[key] = merge_edges(waiting[key], edge) if key in waiting else edge
            continue
        edge_kind = edge_kinds[edge.type]
        source_kind, target_kind = kinds.get(src), kinds.get(dst)
        if source_kind and target_kind and not edge_kind.allows(source_kind, target_kind):
            reason = f"the schema has no {edge.type} from {source_kind} to {target_kind}"
            result.misfits.append((edge, reason))
            continue
        if src == dst and not edge_kind.self_loops:
            result.edges_merged += 1  # both ends merged into one entity: the link is now identity
            continue
        if src != edge.source or dst != edge.target:
            edge = replace(edge, source=src, target=dst)
        key = edge_key(edge.type, src, dst, edge.discriminator)
        if key in resolved:
            resolved[key] = merge_edges(resolved[key], edge)
            repeats[key] = repeats.get(key, 0) + 1
        else:
            resolved[key] = edge
    stored = tx.fetch_edges(resolved)
    created: list[Edge]
    changed: list[Edge] = []
    if stored:
        created = []
        for key, edge in resolved.items():
            old = stored.get(key)
            if old is None:
                created.append(edge)
                continue
            result.edges_merged += 1
            result.merged_by_kind[edge.type] += 1
            new = merge_edges(old, edge)
            if new != old:
                changed.append(new)
    else:  # all new (a first load): counted at once
        created = list(resolved.values())
    result.edges_new += len(created)
    result.new_by_kind.update(map(_TYPE, created))
    for key, more in repeats.items():
        result.edges_merged += more
        result.merged_by_kind[resolved[key].type] += more
    tx.write_edges(created, new=True)
    tx.write_edges(changed)
    if waiting:
        old_waiting = tx.fetch_pending(waiting)
        for key, edge in waiting.items():
            if key in old_waiting:
                waiting[key] = merge_edges(old_waiting[key], edge)
        tx.write_pending([e for k, e in waiting.items() if old_waiting.get(k) != e])
        result.edges_pending += len(waiting)


def _stamp_node(node: Node, when: str) -> None:
    """Give ``node`` (and each of its levels) ``date_added`` = ``when`` where it has none, in place."""
    node.prov = node.prov.added(when)
    if node.levels is not None:
        for part in node.levels.values():
            part.prov = part.prov.added(when)


def _stamp_edge(edge: Edge, when: str) -> None:
    edge.prov = edge.prov.added(when)
    if edge.levels is not None:
        for part in edge.levels.values():
            part.prov = part.prov.added(when)


def now_second() -> str:
    """Now (UTC) as records are dated when added: to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(nodes: Sequence[Node], edges: Sequence[Edge], when: str | None = None) -> None:
    """Date the records of a batch as added now (UTC, to the second) where they carry no ``date_added``.

    Merging keeps the earliest, so a stored entity keeps the date it was first loaded at, and a level
    (marking) it gains later is dated when that level first arrived: a caller sees the date its own
    clearance's sources were first loaded, never that of sources above it.
    """
    now = when or now_second()
    for node in nodes:
        if node.prov.date_added is None or node.levels is not None:
            _stamp_node(node, now)
    for edge in edges:
        if edge.prov.date_added is None or edge.levels is not None:
            _stamp_edge(edge, now)


def apply_batch(model: Model, tx: WriteTx, nodes: Sequence[Node], edges: Sequence[Edge]) -> UpsertResult:
    """Merge ``nodes`` then ``edges`` into the store behind ``tx``.

    Edges whose endpoint is not known yet wait in the store and are completed by the batch that
    brings the endpoint, so the load order of two sources does not matter. An edge whose ends, once
    both are known, have kinds the schema does not allow for its type is not stored (nor left waiting):
    it is listed in ``result.misfits`` with the reason, for the load to report where it came from.
    """
    result = UpsertResult()
    stamp(nodes, edges)
    id_map, kinds = _write_nodes(tx, nodes, result) if nodes else ({}, {})
    woken = tx.take_pending(id_map) if nodes else []
    if edges or woken:
        _write_edges(model, tx, [*woken, *edges], id_map, kinds, result)
    return result
