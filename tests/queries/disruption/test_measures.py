"""The fast measures agree with networkx on random graphs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queries.disruption import centrality, explain, measures
from queries.disruption.centrality import (
    collective_influence,
    collective_influence_reference,
    core_numbers,
    exact_betweenness,
)
from queries.disruption.dismantle import corehd_giant
from queries.disruption.measures import (
    Indexed,
    component_labels,
    component_sizes,
    fragmentation,
    lcc_curve,
    reinsert,
    robustness,
    single_removals,
)


@st.composite
def graphs(draw: st.DrawFn) -> nx.Graph:
    n = draw(st.integers(1, 25))
    m = draw(st.integers(0, 45))
    return nx.gnm_random_graph(n, m, seed=draw(st.integers(0, 10_000)))


@settings(max_examples=60, deadline=None)
@given(graphs(), st.data())
def test_single_removals_match_networkx(graph: nx.Graph, data: st.DataObject) -> None:
    removed = data.draw(st.lists(st.sampled_from(list(graph)), max_size=3, unique=True))
    ix = Indexed.of(graph)
    dead = ix.mask(removed)
    single = single_removals(ix, dead)
    for v in graph:
        if v in removed:
            continue
        rest = graph.subgraph(set(graph) - set(removed) - {v})
        expected = sorted(len(c) for c in nx.connected_components(rest))
        others = component_sizes(ix, dead)
        others.remove(single.comp[v])
        assert sorted(others + single.pieces[v]) == expected


@settings(max_examples=60, deadline=None)
@given(graphs(), st.data())
def test_fragmentation_and_curve_match_networkx(graph: nx.Graph, data: st.DataObject) -> None:
    order = data.draw(st.permutations(list(graph)))
    ix = Indexed.of(graph)
    curve = lcc_curve(ix, [ix.index[v] for v in order])
    for q in range(len(order) + 1):
        rest = graph.subgraph(order[q:])
        sizes = [len(c) for c in nx.connected_components(rest)]
        assert curve[q] == max(sizes, default=0)
        n = rest.number_of_nodes()
        expected = 1 - sum(s * (s - 1) for s in sizes) / (n * (n - 1)) if n >= 2 else 0.0
        assert abs(fragmentation(graph, order[:q]) - expected) < 1e-12
    assert abs(robustness(ix, [ix.index[v] for v in order]) - sum(curve[1:]) / len(graph) ** 2) < 1e-12


@settings(max_examples=40, deadline=None)
@given(graphs(), st.integers(1, 5))
def test_reinsertion_keeps_the_lcc_bound(graph: nx.Graph, limit: int) -> None:
    ix = Indexed.of(graph)
    order = sorted(range(len(ix)), key=lambda v: -len(ix.adj[v]))
    kept = reinsert(ix, order, limit)
    assert set(kept) <= set(order)
    rest = graph.subgraph(ix.nodes[v] for v in range(len(ix)) if v not in kept)
    assert max((len(c) for c in nx.connected_components(rest)), default=0) <= limit


@settings(max_examples=40, deadline=None)
@given(graphs(), st.integers(1, 5))
def test_reinsertion_keeps_the_lcc_bound_with_either_tie_rule(graph: nx.Graph, limit: int) -> None:
    ix = Indexed.of(graph)
    order = sorted(range(len(ix)), key=lambda v: -len(ix.adj[v]))
    kept = reinsert(ix, order, limit, latest_first=True)
    assert set(kept) <= set(order)
    rest = graph.subgraph(ix.nodes[v] for v in range(len(ix)) if v not in kept)
    assert max((len(c) for c in nx.connected_components(rest)), default=0) <= limit


def test_reinsertion_ties_go_to_the_first_or_the_latest_removed() -> None:
    # a-b-c-d-e without b and d: putting either back joins 3; the other then would join 5
    ix = Indexed.of(nx.path_graph("abcde"))
    removed = [ix.index["b"], ix.index["d"]]
    assert [ix.nodes[v] for v in reinsert(ix, removed, 3)] == ["d"]
    assert [ix.nodes[v] for v in reinsert(ix, removed, 3, latest_first=True)] == ["b"]


@settings(max_examples=80, deadline=None)
@given(graphs(), st.integers(1, 3), st.booleans(), st.booleans(), st.booleans())
def test_collective_influence_by_sparse_products_equals_the_search(
    graph: nx.Graph, radius: int, small_blocks: bool, by_product: bool, loops: bool
) -> None:
    saved = centrality.BLOCK_WALKS, centrality.TRIANGLES_MAX
    if small_blocks:  # many blocks of rows, each of a row or two
        centrality.BLOCK_WALKS = 3
    if by_product:  # the neighbours closing a triangle from the product, not igraph's triangle list
        centrality.TRIANGLES_MAX = 0
    if loops:  # a self-loop counts twice in a degree, and is no tie
        graph.add_edges_from((v, v) for v in list(graph)[::3])
    try:
        assert collective_influence(graph, radius) == collective_influence_reference(graph, radius)
    finally:
        centrality.BLOCK_WALKS, centrality.TRIANGLES_MAX = saved


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_core_numbers_agree_with_networkx(graph: nx.Graph) -> None:
    ix = Indexed.of(graph)
    reference = nx.core_number(graph)
    assert core_numbers(graph, ix) == [reference[v] for v in ix.nodes]


def test_corehd_on_the_giant_breaks_the_giant_before_small_cycles() -> None:
    # a ring of 30 with chords (the giant) beside a triangle: no triangle node goes while the ring's part
    # is larger than the triangle; the order is a permutation of every node
    graph = nx.cycle_graph(30)
    graph.add_edges_from((i, i + 10) for i in range(0, 20, 3))
    graph.add_edges_from([("x", "y"), ("y", "z"), ("z", "x")])
    ix = Indexed.of(graph)
    order = corehd_giant(ix)
    assert sorted(order) == list(range(len(ix)))
    triangle = {ix.index[v] for v in "xyz"}
    first = next(q for q, v in enumerate(order) if v in triangle)
    ring = graph.subgraph(set(range(30)) - {ix.nodes[v] for v in order[:first]})
    assert max(len(c) for c in nx.connected_components(ring)) <= 3


def test_betweenness_agrees_with_networkx() -> None:
    graph = nx.gnm_random_graph(120, 300, seed=3)
    fast = exact_betweenness(graph)
    reference = nx.betweenness_centrality(graph)
    assert max(abs(fast[v] - reference[v]) for v in graph) < 1e-9


@settings(max_examples=80, deadline=None)
@given(graphs(), st.data())
def test_igraph_block_cut_tree_gives_the_same_pieces(graph: nx.Graph, data: st.DataObject) -> None:
    removed = data.draw(st.lists(st.sampled_from(list(graph)), max_size=3, unique=True))
    ix = Indexed.of(graph)
    dead = ix.mask(removed)
    fast = single_removals(ix, dead, fast=True)
    slow = single_removals(ix, dead, fast=False)
    assert fast.sizes == slow.sizes and fast.comp == slow.comp
    assert [sorted(p) for p in fast.pieces] == [sorted(p) for p in slow.pieces]


@settings(max_examples=60, deadline=None)
@given(graphs(), st.data())
def test_fast_components_agree(graph: nx.Graph, data: st.DataObject) -> None:
    removed = data.draw(st.lists(st.sampled_from(list(graph)), max_size=5, unique=True))
    ix = Indexed.of(graph)
    dead = ix.mask(removed)
    assert component_sizes(ix, dead, fast=True) == component_sizes(ix, dead, fast=False)
    slow = component_labels(ix, dead)
    measures.FAST_FROM, saved = 0, measures.FAST_FROM
    try:
        fast = component_labels(ix, dead)
    finally:
        measures.FAST_FROM = saved
    # the same parts, numbered in the order of their lowest node (the slow labels are that node)
    assert [v < 0 for v in fast] == [v < 0 for v in slow]
    live = [v for v in range(len(ix)) if not dead[v]]
    assert {(fast[v], slow[v]) for v in live} == {(fast[slow[v]], slow[v]) for v in live}
    parts = {slow[v] for v in live}
    assert sorted(parts) == sorted(parts, key=lambda s: fast[s])


def test_explanations_are_the_same_from_igraph_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = nx.gnm_random_graph(300, 420, seed=5)
    order = [0, 7, 42, 99]
    slow = [t.why for t in explain.explain_targets(graph, order)]
    monkeypatch.setattr(explain, "FAST_FROM", 1)
    assert [t.why for t in explain.explain_targets(graph, order)] == slow


def test_sampled_betweenness_from_a_forked_child_is_the_same(tmp_path: Path) -> None:
    # in a single-threaded process (as the CLI is) the estimate runs in a forked child; a subprocess
    # because pytest's own process may have threads (then it is computed in place)
    script = """
import threading
import networkx as nx
from queries.disruption import centrality
graph = nx.barabasi_albert_graph(centrality.EXACT_BETWEENNESS + 500, 2, seed=4)
assert threading.active_count() == 1
collect = centrality.betweenness_later(graph, seed=3)
assert collect() == centrality.betweenness(graph, seed=3)
print("same")
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    assert done.stdout.strip() == "same"
