"""What a takedown is for, as a number to maximise: the four objectives a plan can optimise.

- ``fragmentation``: the share of the pairs joined by a path before the plan that no path joins after it
  (``1 - P(S) / P(0)``, pairwise connectivity cut). For a fixed number of removals this ranks sets exactly
  as Borgatti's F of the remaining nodes does (F's denominator only depends on how many are removed), and
  unlike F it never falls when a pick removes an isolated node: a pick adds to it exactly when it still
  has a live contact;
- ``lcc``: ``1 - LCC/N``, the giant component's shrinkage (ties broken by the pairs cut);
- ``cashout``: the share of money holders (wallets, owners, malware collecting into wallets) that could
  reach a cash-out service by directed money edges and no longer can (the services themselves are not
  candidates: they are where money is traced to, and they answer freezing requests instead); ties
  broken by the share of nodes on money routes to cash-out removed or cut off;
- ``reach``: the share of a named group's infrastructure and wallets it can no longer reach (ties broken
  by the share of anything it can no longer reach).

The tie-breaks (weighted :data:`TIE`) make every removal that touches what the objective measures count a
little, so a pick that does nothing at all is recognisable by a gain of exactly zero.

Each :class:`Objective` gives ``value(dead)`` for one removal set and ``after_each(dead)``: the value
after additionally removing each live node, computed at once (articulation points for the first two,
dominator trees for the money and reach questions) so greedy steps stay linear.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import networkx as nx

from graph_model.errors import InvalidArgument, NotFound
from queries.disruption.measures import Indexed, component_sizes, fragmentation_of, pairs, single_removals

OBJECTIVES: tuple[str, ...] = ("fragmentation", "lcc", "cashout", "reach")
REACHED_LAYERS = frozenset({"infrastructure", "money"})
TIE = 1e-6  # weight of an objective's tie-break term


class Objective:
    """One objective on one graph; removal sets are ``bytearray`` masks over ``Indexed`` node indices."""

    def __init__(self, graph: nx.Graph, name: str = "fragmentation", *, group: str | None = None) -> None:
        if name not in OBJECTIVES:
            raise InvalidArgument(f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}")
        self.name = name
        self.graph = graph
        self.ix = Indexed.cached(graph)
        self.n = len(self.ix)
        self.excluded: set[int] = set()
        self.group: int | None = None
        if name == "reach":
            if group is None:
                raise InvalidArgument("the reach objective needs a group (--group KEY)")
            found = _find(graph, group)
            if found is None:
                raise NotFound(f"group {group!r} is not in this scope")
            self.group = self.ix.index[found]
            self.excluded.add(self.group)
        self._base: float | None = None
        self._reversed: list[tuple[int, int]] | None = None
        self._money_native: Any = None
        self._last_counts: tuple[bytes, tuple[int, int]] | None = None
        self._counted: Any = None  # numpy: 1 for a money holder (vertex ids of the money graph)
        self._service: Any = None  # numpy: True for a cash-out service
        self._money_ends: Any = None
        self._cashout_ix: list[int] = []
        self.pairs0 = 0
        if name in ("fragmentation", "lcc"):
            self.pairs0 = pairs(component_sizes(self.ix, bytearray(self.n)))
        if name == "cashout":
            self._money_sources = self._money_base()
            self._route0 = max(1, self._route_nodes(bytearray(self.n)))
            # the cash-out services are where money is traced to, not what a takedown removes
            self.excluded |= {self.ix.index[c] for c in graph.graph.get("cashout", ()) if c in self.ix.index}
        elif name == "reach":
            self._reach0 = max(1, self._reach_count(bytearray(self.n)))
            self._seen0 = max(1, len(self._reach_seen(bytearray(self.n))))

    # -- values ------------------------------------------------------------------------------------
    def value(self, dead: bytearray) -> float:
        """How much the removal set ``dead`` achieves (0 = nothing, higher = more disrupted)."""
        if self.name == "fragmentation":
            return self.pairs_cut(component_sizes(self.ix, dead))
        if self.name == "lcc":
            sizes = component_sizes(self.ix, dead)
            lcc = sizes[0] if sizes else 0
            return 1.0 - lcc / max(1, self.n) + TIE * self.pairs_cut(sizes)
        if self.name == "cashout":
            reached, routes = self._cashout_counts(dead)
            return 1.0 - reached / max(1, self._money_sources) + TIE * (1.0 - routes / self._route0)
        seen = self._reach_seen(dead)
        return 1.0 - self._reached(seen) / self._reach0 + TIE * (1.0 - len(seen) / self._seen0)

    def pairs_cut(self, sizes: list[int]) -> float:
        """The share of the pairs joined before anything was removed that components of ``sizes`` lose."""
        return 1.0 - pairs(sizes) / self.pairs0 if self.pairs0 else 0.0

    def fragmentation(self, dead: bytearray) -> float:
        """Borgatti's F of the nodes left (what the plan reports beside the objective)."""
        return fragmentation_of(component_sizes(self.ix, dead))

    def after_each(self, dead: bytearray) -> list[float]:
        """``result[v]`` = the value after removing live node ``v`` as well (``-1`` for dead nodes)."""
        if self.name in ("fragmentation", "lcc"):
            return self._structural_after_each(dead)
        base = self.value(dead)
        cut, cut_all = self._dominated(dead)
        total = self._money_sources if self.name == "cashout" else self._reach0
        total_all = self._route0 if self.name == "cashout" else self._seen0
        result = [-1.0] * self.n
        for v in range(self.n):
            if not dead[v]:
                result[v] = base + cut.get(v, 0) / max(1, total) + TIE * cut_all.get(v, 0) / total_all
        return result

    def candidates(self, dead: bytearray) -> list[int]:
        return [v for v in range(self.n) if not dead[v] and v not in self.excluded]

    # -- fragmentation and lcc ------------------------------------------------------------------------
    def _structural_after_each(self, dead: bytearray) -> list[float]:
        single = single_removals(self.ix, dead)
        sizes = single.sizes
        total_pairs = pairs(sizes)
        top = sizes[0] if sizes else 0
        second = sizes[1] if len(sizes) > 1 else 0
        result = [-1.0] * self.n
        for v in range(self.n):
            if dead[v]:
                continue
            pieces = single.pieces[v]
            comp = single.comp[v]
            after_pairs = total_pairs - comp * (comp - 1) // 2 + pairs(pieces)
            cut = 1.0 - after_pairs / self.pairs0 if self.pairs0 else 0.0
            if self.name == "fragmentation":
                result[v] = cut
            else:
                other = second if comp == top else top
                lcc = max(other, max(pieces, default=0))
                result[v] = 1.0 - lcc / max(1, self.n) + TIE * cut
        return result

    # -- money -------------------------------------------------------------------------------------------
    def _money_graph(self, dead: bytearray) -> Any:
        """The reversed money graph of live nodes (igraph), with a root (vertex ``n``) feeding every live
        cash-out node. The whole graph is built once; a call drops the edges touching a dead node (found
        with numpy) from a copy, so the vertex ids stay the node indices."""
        import igraph
        import numpy as np

        if self._reversed is None:
            money: nx.DiGraph = self.graph.graph.get("money", nx.DiGraph())
            index = self.ix.index
            pairs_ = ((index.get(u), index.get(v)) for u, v in money.edges())
            self._reversed = [(iv, iu) for iu, iv in pairs_ if iu is not None and iv is not None]
            cashout = self.graph.graph.get("cashout", ())
            self._cashout_ix = [index[c] for c in cashout if c in index]
            edges = self._reversed + [(self.n, c) for c in self._cashout_ix]
            self._money_native = igraph.Graph(n=self.n + 1, edges=edges, directed=True)
            ends = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
            self._money_ends = (ends[:, 0], ends[:, 1])
        gone = np.frombuffer(bytes(dead) + b"\0", dtype=np.uint8).astype(bool)  # the root is never dead
        source, target = self._money_ends
        drop = np.flatnonzero(gone[source] | gone[target])
        if not len(drop):
            return self._money_native
        graph = self._money_native.copy()
        graph.delete_edges(drop.tolist())
        return graph

    def _sources(self) -> set[int]:
        money: nx.DiGraph = self.graph.graph.get("money", nx.DiGraph())
        cashout = self.graph.graph.get("cashout", frozenset())
        index = self.ix.index
        return {index[u] for u in money if money.out_degree(u) and u not in cashout and u in index}

    def _money_base(self) -> int:
        self._source_set = self._sources()
        return max(1, self._cashout_reached(bytearray(self.n)))

    def _cashout_reached(self, dead: bytearray) -> int:
        """Money holders that can still reach a live cash-out service."""
        return self._cashout_counts(dead)[0]

    def _cashout_counts(self, dead: bytearray) -> tuple[int, int]:
        """Money holders that can still reach a live cash-out service, and live nodes on such routes
        (the last answer is kept: a value and its explanation ask about the same set in a row)."""
        key = bytes(dead)
        if self._last_counts is not None and self._last_counts[0] == key:
            return self._last_counts[1]
        reached = self._money_graph(dead).subcomponent(self.n, mode="out")
        services = set(self._cashout_ix)
        holders = sum(1 for v in reached if v in self._source_set)
        found = holders, sum(1 for v in reached if v != self.n and v not in services)
        self._last_counts = (key, found)
        return found

    def cashout_reached(self, dead: bytearray) -> int:
        """Money holders with a route to a cash-out service once ``dead`` are gone."""
        return self._cashout_reached(dead)

    def _route_nodes(self, dead: bytearray) -> int:
        """Live nodes (not services) from which a money route leads to a cash-out service."""
        return self._cashout_counts(dead)[1]

    def _reach_seen(self, dead: bytearray) -> set[int]:
        assert self.group is not None
        if dead[self.group]:
            return set()
        seen = {self.group}
        stack = [self.group]
        adj = self.ix.adj
        while stack:
            v = stack.pop()
            for w in adj[v]:
                if not dead[w] and w not in seen:
                    seen.add(w)
                    stack.append(w)
        return seen

    def _reached(self, seen: set[int]) -> int:
        layer = self.graph.nodes
        nodes = self.ix.nodes
        return sum(1 for v in seen if v != self.group and layer[nodes[v]]["layer"] in REACHED_LAYERS)

    def _reach_count(self, dead: bytearray) -> int:
        return self._reached(self._reach_seen(dead))

    def reach_count(self, dead: bytearray) -> int:
        """Infrastructure and wallets the group still reaches once ``dead`` are gone."""
        return self._reach_count(dead)

    def _dominated(self, dead: bytearray) -> tuple[dict[int, int], dict[int, int]]:
        """For each live node, how many counted nodes lose their route when it goes (dominator subtree),
        and how many nodes of any kind do (itself included)."""
        if self.name == "cashout":
            return self._money_dominated(dead)
        assert self.group is not None
        live = [v for v in range(self.n) if not dead[v]]
        graph = nx.DiGraph()
        graph.add_nodes_from(live)
        for v in live:
            graph.add_edges_from((v, w) for w in self.ix.adj[v] if not dead[w])
        root: Hashable = self.group
        nodes = self.ix.nodes
        counted = {
            v for v in live if self.graph.nodes[nodes[v]]["layer"] in REACHED_LAYERS and v != self.group
        }
        if root not in graph:
            return {}, {}
        idom = nx.immediate_dominators(graph, root)
        children: dict[Hashable, list[Hashable]] = {}
        for node, dom in idom.items():
            if node != dom:
                children.setdefault(dom, []).append(node)
        # subtree weights bottom-up (iterative post-order)
        weight: dict[Hashable, int] = {}
        everything: dict[Hashable, int] = {}
        stack: list[tuple[Hashable, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                below = children.get(node, ())
                weight[node] = (1 if node in counted else 0) + sum(weight[c] for c in below)
                everything[node] = 1 + sum(everything[c] for c in below)
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in children.get(node, ()))
        return (
            {node: w for node, w in weight.items() if isinstance(node, int) and w},
            {node: w for node, w in everything.items() if isinstance(node, int) and node != root},
        )

    def _money_dominated(self, dead: bytearray) -> tuple[dict[int, int], dict[int, int]]:
        """:meth:`_dominated` for cash-out: igraph's dominator tree of the reversed money graph, its
        subtree sums with numpy, one level of the tree at a time from the deepest."""
        import numpy as np

        root = self.n
        size = root + 1
        idom = np.asarray(self._money_graph(dead).dominator(root, mode="out"), dtype=float)
        everyone = np.arange(size)
        child = (idom == idom) & (idom >= 0) & (everyone != root)  # idom != idom: NaN, not reached
        parent = np.where(child, np.nan_to_num(idom, nan=0.0), everyone).astype(np.int64)
        if self._counted is None:
            self._counted = np.zeros(size, dtype=np.int64)
            self._counted[list(self._source_set)] = 1
            self._service = np.zeros(size, dtype=bool)
            self._service[self._cashout_ix] = True
        weight = np.where(child, self._counted, 0)
        everything = (child & ~self._service).astype(np.int64)
        # depth in the dominator tree by pointer jumping (the root and unreached nodes point at themselves)
        depth = child.astype(np.int64)
        up = parent.copy()
        while True:
            higher = up[up]
            if np.array_equal(higher, up):
                break
            depth = depth + depth[up]
            up = higher
        nodes = np.flatnonzero(child)
        nodes = nodes[np.argsort(-depth[nodes], kind="stable")]
        levels = depth[nodes]
        bounds = np.flatnonzero(np.diff(levels)) + 1
        for level in np.split(nodes, bounds):
            np.add.at(weight, parent[level], weight[level])
            np.add.at(everything, parent[level], everything[level])
        kept = np.flatnonzero(child & (weight > 0))
        moved = np.flatnonzero(child & (everything > 0))
        return (
            dict(zip(kept.tolist(), weight[kept].tolist(), strict=True)),
            dict(zip(moved.tolist(), everything[moved].tolist(), strict=True)),
        )


def _find(graph: nx.Graph, key: str) -> Hashable | None:
    if key in graph:
        return key
    found: Hashable | None = None
    for node, data in graph.nodes(data=True):
        if data.get("name") == key or str(node) == key:
            found = node
            break
    return found
