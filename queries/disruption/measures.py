"""How connected a network is, and what removing nodes does to it: the measures every plan reports.

Conventions (those of ``../shared/data/networks/BASELINES.md``): ``N`` is the full node count, every LCC
fraction is divided by ``N``; Borgatti's fragmentation ``F`` is the share of pairs of the *remaining*
``n`` nodes that are disconnected, ``1 - sum_c s_c (s_c - 1) / (n (n - 1))``; ``R`` is the mean of
``LCC(Q) / N`` over ``Q = 1..N`` removals. The work is done on :class:`Indexed`, a compact integer
adjacency, because plans and dismantling orders evaluate thousands of removal sets.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import networkx as nx

_CACHE = "_disruption_indexed"  # graph.graph key of the remembered index


@dataclass(slots=True)
class Indexed:
    """A graph as integer adjacency lists; ``nodes[i]`` is the networkx node of index ``i``."""

    nodes: list[Hashable]
    index: dict[Hashable, int]
    adj: list[list[int]]
    native: Any = None  # the same graph in igraph, built on first use by the fast kernels
    arrays: Any = None  # (source, target) of every directed adjacency entry as numpy arrays, on first use

    @classmethod
    def of(cls, graph: nx.Graph) -> Indexed:
        nodes = list(graph.nodes)
        index = {node: i for i, node in enumerate(nodes)}
        # sorted neighbours: the same graph read from either store (edges in any order) gives the same
        # index, so the same searches, communities and plans
        adj = [sorted(index[m] for m in graph.adj[node] if m != node) for node in nodes]
        return cls(nodes, index, adj)

    @classmethod
    def from_arrays(cls, nodes: list[Hashable], source: Any, target: Any) -> Indexed:
        """The index of a simple graph given as adjacency entries: ``source`` ascending, each source's
        ``target`` ascending, every edge both ways, no self-loops - the index :meth:`of` makes of the
        same graph with these nodes in this order (the tests compare), with its ``arrays`` and its
        igraph copy already made.

        Examples
        --------
        >>> import numpy as np
        >>> ix = Indexed.from_arrays(["a", "b", "c"], np.array([0, 1, 1, 2]), np.array([1, 0, 2, 1]))
        >>> ix.adj, ix.native.get_edgelist()
        ([[1], [0, 2], [1]], [(0, 1), (1, 2)])
        """
        import igraph
        import numpy as np

        n = len(nodes)
        source = np.asarray(source, dtype=np.int32)
        target = np.asarray(target, dtype=np.int32)
        flat = target.tolist()
        adj: list[list[int]] = []
        start = 0
        for stop in np.cumsum(np.bincount(source, minlength=n)).tolist():
            adj.append(flat[start:stop])
            start = stop
        upper = source < target
        native = igraph.Graph(
            n=n, edges=list(zip(source[upper].tolist(), target[upper].tolist(), strict=True))
        )
        index = {node: i for i, node in enumerate(nodes)}
        return cls(nodes, index, adj, native, (source, target))

    @classmethod
    def cached(cls, graph: nx.Graph) -> Indexed:
        """:meth:`of`, remembered in ``graph.graph`` while the graph is the same object with the same
        node and edge counts (a plan, its explanations and its simulation share one index)."""
        stamp = (id(graph), graph.number_of_nodes(), graph.number_of_edges())
        found = graph.graph.get(_CACHE)
        if found is not None and found[0] == stamp:
            return found[1]  # type: ignore[no-any-return]
        ix = cls.of(graph)
        graph.graph[_CACHE] = (stamp, ix)
        return ix

    def __len__(self) -> int:
        return len(self.nodes)

    def mask(self, removed: Iterable[Hashable]) -> bytearray:
        dead = bytearray(len(self.nodes))
        for node in removed:
            dead[self.index[node]] = 1
        return dead


def component_sizes(ix: Indexed, dead: bytearray, *, fast: bool | None = None) -> list[int]:
    """Sizes of the components of the nodes not marked ``dead``, largest first (scipy's C kernel from
    :data:`FAST_FROM` nodes, a Python depth-first search below)."""
    if fast if fast is not None else len(ix) >= FAST_FROM:
        labels = _fast_labels(ix, dead)
        import numpy as np

        alive = np.frombuffer(bytes(dead), dtype=np.uint8) == 0
        counts = np.bincount(labels[alive])
        return sorted(counts[counts > 0].tolist(), reverse=True)
    seen = bytearray(dead)
    adj = ix.adj
    sizes: list[int] = []
    for start in range(len(adj)):
        if seen[start]:
            continue
        seen[start] = 1
        stack = [start]
        size = 0
        while stack:
            v = stack.pop()
            size += 1
            for w in adj[v]:
                if not seen[w]:
                    seen[w] = 1
                    stack.append(w)
        sizes.append(size)
    sizes.sort(reverse=True)
    return sizes


def _fast_labels(ix: Indexed, dead: bytearray) -> Any:
    """A component label for every node (a dead node is a component of its own), numbered in the order
    of each component's lowest node index - the numbering igraph gives the live graph: scipy's
    ``connected_components`` on the adjacency entries between live nodes."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(ix)
    source, target = index_arrays(ix)
    alive = np.frombuffer(bytes(dead), dtype=np.uint8) == 0
    keep = alive[source] & alive[target]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(source[keep], minlength=n), out=indptr[1:])
    kept = target[keep]
    graph = csr_matrix((np.ones(len(kept), dtype=np.int8), kept, indptr), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[labels]


def index_arrays(ix: Indexed) -> tuple[Any, Any]:
    """``(source, target)``: every adjacency entry of ``ix`` (each edge both ways, sources ascending,
    each source's targets in ``adj`` order) as int32 numpy arrays, made on first use and kept."""
    import numpy as np

    if ix.arrays is None:
        n = len(ix)
        lengths = np.fromiter((len(a) for a in ix.adj), dtype=np.int64, count=n)
        source = np.repeat(np.arange(n, dtype=np.int32), lengths)
        target = np.fromiter(chain.from_iterable(ix.adj), dtype=np.int32, count=int(lengths.sum()))
        ix.arrays = (source, target)
    return ix.arrays  # type: ignore[no-any-return]


def pairs(sizes: Iterable[int]) -> int:
    """Connected pairs (pairwise connectivity) of components of these sizes."""
    return sum(s * (s - 1) // 2 for s in sizes)


def fragmentation_of(sizes: Sequence[int]) -> float:
    """Borgatti's F of a network whose components have these sizes (0 for fewer than two nodes)."""
    n = sum(sizes)
    if n < 2:
        return 0.0
    return 1.0 - 2.0 * pairs(sizes) / (n * (n - 1))


def fragmentation(graph: nx.Graph, removed: Iterable[Hashable] = ()) -> float:
    """Borgatti's fragmentation F of ``graph`` after removing ``removed``: the share of pairs of the
    remaining nodes that no path joins (0 = one component, 1 = no edges left).

    Examples
    --------
    >>> fragmentation(nx.path_graph(5), [2])
    0.6666666666666667
    >>> fragmentation(nx.complete_graph(4), [0])
    0.0
    """
    ix = Indexed.of(graph)
    return fragmentation_of(component_sizes(ix, ix.mask(removed)))


def lcc_fraction(graph: nx.Graph, removed: Iterable[Hashable] = ()) -> float:
    """Size of the largest component after removing ``removed``, divided by the full node count N.

    Examples
    --------
    >>> lcc_fraction(nx.path_graph(5), [2])
    0.4
    """
    ix = Indexed.of(graph)
    sizes = component_sizes(ix, ix.mask(removed))
    return (sizes[0] if sizes else 0) / max(1, len(ix))


def lcc_curve(ix: Indexed, order: Sequence[int]) -> list[int]:
    """``curve[q]`` = LCC size after removing the first ``q`` nodes of ``order`` (``q = 0..len(order)``).

    Nodes missing from ``order`` stay in the graph throughout. Union-find, adding nodes back in reverse.
    """
    n = len(ix)
    parent = list(range(n))
    size = [1] * n
    alive = bytearray(n)
    in_order = bytearray(n)
    for v in order:
        in_order[v] = 1

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    best = 0

    def add(v: int) -> None:
        nonlocal best
        alive[v] = 1
        for w in ix.adj[v]:
            if alive[w]:
                a, b = find(v), find(w)
                if a != b:
                    if size[a] < size[b]:
                        a, b = b, a
                    parent[b] = a
                    size[a] += size[b]
        best = max(best, size[find(v)])

    for v in range(n):
        if not in_order[v]:
            add(v)
    curve = [0] * (len(order) + 1)
    curve[len(order)] = best
    for q in range(len(order) - 1, -1, -1):
        add(order[q])
        curve[q] = best
    return curve


def robustness(ix: Indexed, order: Sequence[int]) -> float:
    """R = (1/N) sum over Q = 1..N of LCC(Q)/N for a full removal order (lower = better attack)."""
    n = len(ix)
    if n == 0:
        return 0.0
    curve = lcc_curve(ix, order)
    return sum(curve[1:]) / (n * n)


def removals_to(ix: Indexed, order: Sequence[int], fraction: float) -> int:
    """How many nodes of ``order`` must go before the LCC is at most ``fraction`` of N."""
    limit = fraction * len(ix)
    curve = lcc_curve(ix, order)
    for q, lcc in enumerate(curve):
        if lcc <= limit:
            return q
    return len(order)


def reinsert(ix: Indexed, removed: Sequence[int], limit: int, *, latest_first: bool = False) -> list[int]:
    """Greedy reinsertion: put removed nodes back while the LCC stays at most ``limit``.

    Each round puts back the node that would join the smallest cluster (ties: fewest clusters joined,
    then its place in ``removed``; with ``latest_first``, as the reference reverse-greedy code counts
    only the cluster joined, ties go to the node removed last - the one the attack ranked lowest);
    returns the nodes still removed, in their original order.
    """
    n = len(ix)
    parent = list(range(n))
    size = [1] * n
    dead = bytearray(n)
    for v in removed:
        dead[v] = 1

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for v in range(n):
        if not dead[v]:
            for w in ix.adj[v]:
                if not dead[w] and w < v:
                    a, b = find(v), find(w)
                    if a != b:
                        if size[a] < size[b]:
                            a, b = b, a
                        parent[b] = a
                        size[a] += size[b]
    position = {v: i for i, v in enumerate(removed)}
    left = set(removed)
    while left:
        best: tuple[int, int, int] | None = None
        pick = -1
        for v in left:
            roots = {find(w) for w in ix.adj[v] if not dead[w]}
            joined = 1 + sum(size[r] for r in roots)
            if joined > limit:
                continue
            key = (joined, -position[v], 0) if latest_first else (joined, len(roots), position[v])
            if best is None or key < best:
                best, pick = key, v
        if best is None:
            break
        left.discard(pick)
        dead[pick] = 0
        for w in ix.adj[pick]:
            if not dead[w]:
                a, b = find(pick), find(w)
                if a != b:
                    if size[a] < size[b]:
                        a, b = b, a
                    parent[b] = a
                    size[a] += size[b]
    return [v for v in removed if v in left]


@dataclass(slots=True)
class SingleRemoval:
    """What removing each one node does, from one depth-first search (Tarjan's articulation points).

    ``pieces[v]`` are the sizes v's component breaks into without v; ``comp[v]`` that component's size.
    """

    pieces: list[list[int]]
    comp: list[int]
    sizes: list[int]


FAST_FROM = 2000  # nodes; from this size the block-cut tree comes from igraph's C kernel


def component_labels(ix: Indexed, dead: bytearray) -> list[int]:
    """A component label for every node (``-1`` for dead ones): scipy from :data:`FAST_FROM` nodes
    (components numbered by their lowest node index), a depth-first search below."""
    if len(ix) >= FAST_FROM:
        labels = _fast_labels(ix, dead).tolist()
        for v in _dead_list(dead):
            labels[v] = -1
        return labels  # type: ignore[no-any-return]
    label = [-1] * len(ix)
    for start in range(len(ix)):
        if dead[start] or label[start] >= 0:
            continue
        label[start] = start
        stack = [start]
        while stack:
            v = stack.pop()
            for w in ix.adj[v]:
                if not dead[w] and label[w] < 0:
                    label[w] = start
                    stack.append(w)
    return label


def _dead_list(dead: bytearray) -> list[int]:
    """Indices of the dead nodes, in order."""
    import numpy as np

    return np.flatnonzero(np.frombuffer(bytes(dead), dtype=np.uint8)).tolist()


def single_removals(ix: Indexed, dead: bytearray, *, fast: bool | None = None) -> SingleRemoval:
    """For every live node, the pieces its component falls into when it alone is also removed.

    Pure Python (Tarjan's articulation points with subtree sizes) on small graphs; on large ones the
    biconnected components come from igraph and the pieces from the block-cut tree - the tests check
    both give the same pieces.
    """
    if fast is None:
        fast = len(ix) >= FAST_FROM
    if fast:
        try:
            return _single_removals_igraph(ix, dead)
        except ImportError:  # pragma: no cover - igraph is a dependency
            pass
    return _single_removals_python(ix, dead)


def native_without(ix: Indexed, dead: bytearray) -> Any:
    """The igraph copy of the graph without the dead nodes (survivors keep their relative order)."""
    import igraph

    if ix.native is None:
        ix.native = igraph.Graph(
            n=len(ix), edges=[(v, w) for v in range(len(ix)) for w in ix.adj[v] if v < w]
        )
    graph = ix.native.copy()
    gone = _dead_list(dead)
    if gone:
        graph.delete_vertices(gone)
    return graph


def _single_removals_igraph(ix: Indexed, dead: bytearray) -> SingleRemoval:
    import igraph

    live = [v for v in range(len(ix)) if not dead[v]]
    graph = native_without(ix, dead)
    membership = igraph.GraphBase.connected_components(graph)
    comp_size: dict[int, int] = {}
    for c in membership:
        comp_size[c] = comp_size.get(c, 0) + 1
    edge_blocks, points = igraph.GraphBase.biconnected_components(graph, True)
    ends = graph.get_edgelist()
    blocks = []
    for block in edge_blocks:
        members: set[int] = set()
        for e in block:
            members.update(ends[e])
        blocks.append(members)
    is_point = bytearray(len(live))
    for p in points:
        is_point[p] = 1
    # block-cut tree: block b -> its articulation points; point -> its blocks
    block_points: list[list[int]] = []
    block_weight: list[int] = []
    point_blocks: dict[int, list[int]] = {p: [] for p in points}
    for b, members in enumerate(blocks):
        cut = [m for m in members if is_point[m]]
        block_points.append(cut)
        block_weight.append(len(members) - len(cut))
        for p in cut:
            point_blocks[p].append(b)
    # root every tree of the forest at a block; subtree weight = vertices below (points count 1)
    n_blocks = len(blocks)
    parent_of_block = [-2] * n_blocks  # the point above a block (-1 at a root)
    sub = [0] * n_blocks
    point_sub: dict[int, int] = {}
    point_parent: dict[int, int] = {}
    for root in range(n_blocks):
        if parent_of_block[root] != -2:
            continue
        parent_of_block[root] = -1
        order: list[tuple[str, int]] = []
        stack: list[tuple[str, int]] = [("b", root)]
        while stack:
            item = stack.pop()
            order.append(item)
            kind, x = item
            if kind == "b":
                for p in block_points[x]:
                    if p != parent_of_block[x] and p not in point_parent:
                        point_parent[p] = x
                        stack.append(("p", p))
            else:
                for b in point_blocks[x]:
                    if b != point_parent[x] and parent_of_block[b] == -2:
                        parent_of_block[b] = x
                        stack.append(("b", b))
        for kind, x in reversed(order):
            if kind == "b":
                sub[x] = block_weight[x] + sum(
                    point_sub[p] for p in block_points[x] if point_parent.get(p) == x
                )
            else:
                point_sub[x] = 1 + sum(sub[b] for b in point_blocks[x] if parent_of_block[b] == x)
    n = len(ix)
    pieces: list[list[int]] = [[] for _ in range(n)]
    comp = [0] * n
    for i, v in enumerate(live):
        size = comp_size[membership[i]]
        comp[v] = size
        if is_point[i]:
            below = [sub[b] for b in point_blocks[i] if parent_of_block[b] == i]
            rest = size - 1 - sum(below)
            pieces[v] = [*below, rest] if rest > 0 else below
        elif size > 1:
            pieces[v] = [size - 1]
    sizes = sorted(comp_size.values(), reverse=True)
    return SingleRemoval(pieces, comp, sizes)


def _single_removals_python(ix: Indexed, dead: bytearray) -> SingleRemoval:
    n = len(ix)
    adj = ix.adj
    disc = [-1] * n
    low = [0] * n
    sub = [1] * n
    sep: list[list[int]] = [[] for _ in range(n)]
    comp = [0] * n
    sizes: list[int] = []
    clock = 0
    for root in range(n):
        if dead[root] or disc[root] >= 0:
            continue
        members: list[int] = []
        disc[root] = low[root] = clock
        clock += 1
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]
        members.append(root)
        while stack:
            v, parent, i = stack[-1]
            neighbours = adj[v]
            advanced = False
            while i < len(neighbours):
                w = neighbours[i]
                i += 1
                if dead[w] or w == parent:
                    continue
                if disc[w] < 0:
                    stack[-1] = (v, parent, i)
                    disc[w] = low[w] = clock
                    clock += 1
                    members.append(w)
                    stack.append((w, v, 0))
                    advanced = True
                    break
                if disc[w] < low[v]:
                    low[v] = disc[w]
            if advanced:
                continue
            stack.pop()
            if parent >= 0:
                if low[v] < low[parent]:
                    low[parent] = low[v]
                sub[parent] += sub[v]
                if low[v] >= disc[parent]:
                    sep[parent].append(sub[v])
        size = len(members)
        sizes.append(size)
        for v in members:
            comp[v] = size
    pieces: list[list[int]] = []
    for v in range(n):
        if dead[v]:
            pieces.append([])
            continue
        split = sep[v]
        rest = comp[v] - 1 - sum(split)
        pieces.append([*split, rest] if rest > 0 else list(split))
    sizes.sort(reverse=True)
    return SingleRemoval(pieces, comp, sizes)
