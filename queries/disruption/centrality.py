"""The node measures disruption scoring and dismantling share: betweenness (exact or sampled),
collective influence and degree, as pure functions of an undirected simple graph."""

from __future__ import annotations

import math
import os
import pickle
import random
import threading
from array import array
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import networkx as nx

EXACT_BETWEENNESS = 5000  # up to this many nodes betweenness is exact
SAMPLES = 300


def exact_betweenness(graph: nx.Graph, *, normalized: bool = True) -> dict[Hashable, float]:
    """Exact betweenness: igraph's C kernel when installed (it agrees with networkx to 1e-9, as the
    tests check), networkx otherwise.

    Examples
    --------
    >>> exact_betweenness(nx.star_graph(3), normalized=False)[0]
    3.0
    """
    try:
        import igraph
    except ImportError:  # pragma: no cover - igraph is a dependency; networkx is the reference
        return dict(nx.betweenness_centrality(graph, normalized=normalized))
    nodes = list(graph)
    index = {node: i for i, node in enumerate(nodes)}
    fast = igraph.Graph(n=len(nodes), edges=[(index[u], index[v]) for u, v in graph.edges() if u != v])
    values = fast.betweenness(directed=False)
    n = len(nodes)
    scale = 2.0 / ((n - 1) * (n - 2)) if normalized and n > 2 else 1.0
    return {node: float(values[i]) * scale for i, node in enumerate(nodes)}


def betweenness(graph: nx.Graph, *, seed: int = 0) -> tuple[dict[Hashable, float], float | None]:
    """Normalised betweenness and, when sampled, the relative error of the estimate.

    Exact up to :data:`EXACT_BETWEENNESS` nodes; beyond, Brandes' estimator from :data:`SAMPLES` seeded
    source nodes, whose relative standard error for a node with a typical share of paths is about
    ``1/sqrt(samples)`` (returned as the second value; ``None`` when exact).

    Examples
    --------
    >>> values, error = betweenness(nx.path_graph(3))
    >>> values[1], error
    (1.0, None)
    """
    n = graph.number_of_nodes()
    if n <= EXACT_BETWEENNESS:
        return exact_betweenness(graph), None
    return sampled_betweenness(graph, SAMPLES, seed=seed), 1.0 / math.sqrt(SAMPLES)


_FORK_ALLOWED = False


def allow_forked_workers(allowed: bool = True) -> None:
    """Let :func:`betweenness_later` fork even when the process has other threads (the CLI's progress
    spinner): entry points that run one command per process call it; a server never does."""
    global _FORK_ALLOWED
    _FORK_ALLOWED = allowed


def betweenness_later(
    graph: nx.Graph, *, seed: int = 0
) -> Callable[[], tuple[dict[Hashable, float], float | None]]:
    """:func:`betweenness`, started now and collected by calling the result.

    A sampled betweenness (past :data:`EXACT_BETWEENNESS` nodes) is a few seconds of C that need nothing
    but the graph, so in a single-threaded process, or where :func:`allow_forked_workers` said so (the
    CLI), it runs in a forked child on the other core while the caller goes on; the values are the same
    as :func:`betweenness` gives (the tests compare). Anywhere else - threads running (a server), no
    ``fork``, small graphs - it runs when collected.

    Examples
    --------
    >>> collect = betweenness_later(nx.path_graph(3))
    >>> collect()[0][1]
    1.0
    """
    if graph.number_of_nodes() <= EXACT_BETWEENNESS:
        return lambda: betweenness(graph, seed=seed)
    from queries.disruption.measures import Indexed

    collect = index_betweenness_later(Indexed.cached(graph), seed=seed)

    def keyed() -> tuple[dict[Hashable, float], float | None]:
        values, error = collect()
        return dict(zip(graph, values, strict=True)), error

    return keyed


def index_betweenness_later(ix: Any, *, seed: int = 0) -> Callable[[], tuple[list[float], float | None]]:
    """:func:`betweenness_later` of an :class:`~queries.disruption.measures.Indexed` graph (no networkx
    graph needed): the values in index order, and the relative error when sampled.

    Up to :data:`EXACT_BETWEENNESS` nodes exact (igraph numbers its vertices as the index does, so the
    values are those :func:`exact_betweenness` gives the graph the index was made from; the tests
    compare), beyond it the seeded estimate of :func:`sampled_betweenness`, in a forked child where
    :func:`betweenness_later` would fork.

    Examples
    --------
    >>> from queries.disruption.measures import Indexed
    >>> index_betweenness_later(Indexed.of(nx.path_graph(3)))()
    ([0.0, 1.0, 0.0], None)
    """
    from queries.disruption.measures import native_without

    n = len(ix)
    if ix.native is None:
        native_without(ix, bytearray(n))
    if n <= EXACT_BETWEENNESS:

        def exact() -> tuple[list[float], float | None]:
            values = ix.native.betweenness(directed=False) if n else []
            scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0
            return [float(v) * scale for v in values], None

        return exact
    sources, scale = _sources(n, SAMPLES, seed)
    error = 1.0 / math.sqrt(SAMPLES)
    native = ix.native
    later = run_later(lambda: array("d", native.betweenness(directed=False, sources=sources, targets=None)))

    def collect() -> tuple[list[float], float | None]:
        return [v * scale for v in later()], error

    return collect


T = TypeVar("T")


def run_later(compute: Callable[[], T]) -> Callable[[], T]:
    """``compute()``, started now in a forked child on the other core and collected (pickled through a
    pipe) by calling the result; where forking is not allowed (threads running, as in a server, and no
    :func:`allow_forked_workers`; no ``fork``) or the child fails, computed when collected. Only for
    work that reads the process's state and changes nothing the caller needs.

    Examples
    --------
    >>> run_later(lambda: sum(range(10)))()
    45
    """
    alone = _FORK_ALLOWED or threading.active_count() == 1
    if not hasattr(os, "fork") or not alone:
        return compute
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
        try:
            os.close(read)
            data = memoryview(pickle.dumps(compute(), protocol=pickle.HIGHEST_PROTOCOL))
            while data:
                data = data[os.write(write, data) :]
        finally:
            os._exit(0)
    os.close(write)

    def collect() -> T:
        with os.fdopen(read, "rb") as pipe:
            raw = pipe.read()
        os.waitpid(pid, 0)
        try:
            return pickle.loads(raw)  # type: ignore[no-any-return]
        except Exception:  # the child failed (nothing or part written): compute here
            return compute()

    return collect


def _sources(n: int, samples: int, seed: int) -> tuple[list[int], float]:
    """The seeded source nodes of a sampled betweenness on ``n`` nodes, and the scale of its sums."""
    k = min(samples, n)
    sources = random.Random(seed).sample(range(n), k)
    # paths from the sampled sources to every target, counted once per unordered pair in the full sum
    scale = (n / k) * (2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0)
    return sources, scale


def _sampling(graph: nx.Graph, samples: int, seed: int) -> tuple[list[Hashable], Any, list[int], float]:
    """The nodes, the igraph graph, the seeded sources and the scale of a sampled betweenness."""
    from queries.disruption.measures import Indexed, native_without

    ix = Indexed.cached(graph)  # the same nodes in the same order, each edge once (no self-loops)
    n = len(ix)
    if ix.native is None:
        native_without(ix, bytearray(n))
    sources, scale = _sources(n, samples, seed)
    return list(ix.nodes), ix.native, sources, scale


def sampled_betweenness(graph: nx.Graph, samples: int, *, seed: int = 0) -> dict[Hashable, float]:
    """Brandes' estimate from ``samples`` seeded source nodes, normalised like the exact values.

    Examples
    --------
    >>> values = sampled_betweenness(nx.path_graph(5), 5)
    >>> round(values[2], 3)
    0.667
    """
    nodes, fast, sources, scale = _sampling(graph, samples, seed)
    values = fast.betweenness(directed=False, sources=sources, targets=None)
    return {node: float(values[i]) * scale for i, node in enumerate(nodes)}


def collective_influence(graph: nx.Graph, radius: int = 2) -> dict[Hashable, float]:
    """Collective influence CI_l(v) = (k_v - 1) * sum of (k_u - 1) over nodes u at distance exactly l.

    Radius 1 and 2 by sparse matrix products (scipy), over blocks of rows so a block's two-step walks
    stay few: the nodes exactly 2 steps from v are the ends of its two-step walks, less v itself and
    those of its neighbours that close a triangle with it. Other radii, and the reference the tests
    compare with, are :func:`collective_influence_reference` (a breadth-first search per node).

    Examples
    --------
    >>> collective_influence(nx.path_graph(5))[2]
    0.0
    >>> collective_influence(nx.star_graph(3), radius=1)[0]
    0.0
    >>> collective_influence(nx.path_graph(5))[1]
    1.0
    """
    if radius not in (1, 2):
        return collective_influence_reference(graph, radius)
    import numpy as np

    from queries.disruption.measures import Indexed

    ix = Indexed.cached(graph)
    n = len(ix)
    if n == 0:
        return {}
    degree = np.fromiter((d for _, d in graph.degree(ix.nodes)), dtype=np.int64, count=n)
    result = collective_influence_values(ix, degree, radius)
    return {node: float(result[i]) for i, node in enumerate(ix.nodes)}


def collective_influence_values(ix: Any, degree: Any, radius: int = 2) -> Any:
    """:func:`collective_influence` (radius 1 or 2) of an :class:`~queries.disruption.measures.Indexed`
    graph as an int64 array in index order; ``degree`` is each node's degree as the graph counts it.

    The two-step walks of a block of rows are a boolean sparse product (only whether a walk reaches a
    node counts); the neighbours a node reaches again through a triangle come from igraph's triangle
    list, or, past :data:`TRIANGLES_MAX` triangles, from the product itself. The tests compare every
    way with :func:`collective_influence_reference`.

    Examples
    --------
    >>> import numpy as np
    >>> from queries.disruption.measures import Indexed
    >>> collective_influence_values(Indexed.of(nx.path_graph(5)), np.array([1, 2, 2, 2, 1])).tolist()
    [0, 1, 0, 1, 0]
    """
    import numpy as np
    from scipy import sparse

    from queries.disruption.measures import index_arrays

    n = len(ix)
    source, target = index_arrays(ix)
    indptr = np.zeros(n + 1, dtype=target.dtype if len(target) < 2**31 - 1 else np.int64)
    np.cumsum(np.bincount(source, minlength=n), out=indptr[1:])
    lengths = np.diff(indptr).astype(np.int64)
    excess = np.maximum(degree - 1, 0)
    if radius == 1:
        counts = sparse.csr_matrix((np.ones(len(target), dtype=np.int64), target, indptr), shape=(n, n))
        return np.where(degree > 1, excess * (counts @ excess), 0)
    result = np.zeros(n, dtype=np.int64)
    adjacency = sparse.csr_matrix((np.ones(len(target), dtype=np.bool_), target, indptr), shape=(n, n))
    # only nodes of degree 2 or more have a value, and only they add to one (a leaf's degree - 1 is 0):
    # rows and columns of the product are theirs alone, which skips every walk through a hub to its leaves
    wanted = np.flatnonzero(degree > 1)
    rows_all = adjacency[wanted]
    right = adjacency[:, wanted].tocsr()
    weight = excess[wanted]
    walks = rows_all.astype(np.int64) @ np.diff(right.indptr)  # two-step walks from each wanted row
    closed = _closed_by_triangles(ix, excess)
    for start, stop in _blocks(walks, BLOCK_WALKS):
        rows = rows_all[start:stop]
        ends = rows @ right  # True (stored as 1) where a two-step walk reaches the node
        # ends of two-step walks, less the node itself (a walk returns to it when it has a tie) and its
        # neighbours reached again through a triangle
        own = wanted[start:stop]
        at_two = _as_ones(ends) @ weight - np.where(lengths[own] > 0, excess[own], 0)
        if closed is None:
            at_two -= _as_ones(rows[:, wanted].multiply(ends).tocsr()) @ weight
        else:
            at_two -= closed[own]
        result[own] = excess[own] * at_two
    return result


def _as_ones(matrix: Any) -> Any:
    """A boolean sparse matrix with its stored values read as int8 ones (no copy): the product with an
    int64 vector then sums in int64 (numpy's bool arithmetic would not count)."""
    import numpy as np

    matrix.data = matrix.data.view(np.int8)
    return matrix


TRIANGLES_MAX = 2_000_000  # past this many triangles the product finds the closed neighbours itself


def _closed_by_triangles(ix: Any, excess: Any) -> Any:
    """Per node, the summed ``excess`` of its neighbours that share a neighbour with it (the ends of a
    triangle's edge), from igraph's triangle list; ``None`` past :data:`TRIANGLES_MAX` triangles."""
    import numpy as np

    from queries.disruption.measures import index_arrays, native_without

    n = len(ix)
    if ix.native is None:
        native_without(ix, bytearray(n))
    source, target = index_arrays(ix)
    degree = np.bincount(source, minlength=n)
    # at most as many triangles as pairs of "higher" neighbours (by degree, then index): each triangle is
    # one such pair at its lowest corner; past the cap, igraph's count decides
    higher = (degree[target] > degree[source]) | ((degree[target] == degree[source]) & (target > source))
    out = np.bincount(source[higher], minlength=n).astype(np.int64)
    if int((out * (out - 1) // 2).sum()) > TRIANGLES_MAX:
        triples = int((degree.astype(np.int64) * (degree - 1) // 2).sum())
        if ix.native.transitivity_undirected() * triples / 3 > TRIANGLES_MAX:  # 3 x triangles / triples
            return None
    found = ix.native.list_triangles()
    if not found:
        return np.zeros(n, dtype=np.int64)
    corners = np.array(found, dtype=np.int64).reshape(-1, 3)
    low = np.concatenate([corners[:, 0], corners[:, 0], corners[:, 1]])
    high = np.concatenate([corners[:, 1], corners[:, 2], corners[:, 2]])
    low, high = np.minimum(low, high), np.maximum(low, high)
    code = np.unique(low * n + high)  # each edge of a triangle once
    low, high = code // n, code % n
    closed = np.bincount(low, weights=excess[high], minlength=n)
    closed += np.bincount(high, weights=excess[low], minlength=n)
    return closed.astype(np.int64)


BLOCK_WALKS = 5_000_000  # two-step walks per block of rows in :func:`collective_influence`


def _blocks(work: Any, limit: int) -> list[tuple[int, int]]:
    """Consecutive ``(start, stop)`` row ranges whose summed ``work`` stays near ``limit`` (at least one
    row each)."""
    import numpy as np

    total = np.cumsum(work)
    bounds: list[tuple[int, int]] = []
    start = 0
    n = len(total)
    while start < n:
        base = total[start - 1] if start else 0
        stop = int(np.searchsorted(total, base + limit, side="right"))
        stop = max(stop, start + 1)
        bounds.append((start, min(stop, n)))
        start = stop
    return bounds


def collective_influence_reference(graph: nx.Graph, radius: int = 2) -> dict[Hashable, float]:
    """:func:`collective_influence` by a breadth-first search per node (the reference the tests use).

    Examples
    --------
    >>> collective_influence_reference(nx.path_graph(5))[1]
    1.0
    """
    degree = dict(graph.degree())
    result: dict[Hashable, float] = {}
    for node in graph:
        if degree[node] <= 1:
            result[node] = 0.0
            continue
        frontier = {node}
        seen = {node}
        for _ in range(radius):
            nxt = set()
            for v in frontier:
                for w in graph.adj[v]:
                    if w not in seen:
                        seen.add(w)
                        nxt.add(w)
            frontier = nxt
        result[node] = float((degree[node] - 1) * sum(degree[u] - 1 for u in frontier))
    return result


def core_numbers(graph: nx.Graph | None, ix: Any = None) -> list[int]:
    """The core number of every node, in :class:`~queries.disruption.measures.Indexed` order: igraph's C
    kernel (equal to ``networkx.core_number``, as the tests check; self-loops are not ties here).

    Examples
    --------
    >>> core_numbers(nx.complete_graph(4))
    [3, 3, 3, 3]
    """
    from queries.disruption.measures import Indexed, native_without

    if ix is None:
        assert graph is not None, "core_numbers needs the graph or its index"
        ix = Indexed.cached(graph)
    if len(ix) == 0:
        return []
    if ix.native is None:
        native_without(ix, bytearray(len(ix)))
    return [int(c) for c in ix.native.coreness()]
