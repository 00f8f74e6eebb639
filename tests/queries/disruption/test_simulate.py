"""Simulation and recovery: invariants as properties, the recovery model seeded and flagged."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_model.errors import InvalidArgument, NotFound
from queries.disruption.recovery import recover
from queries.disruption.simulate import measure, simulate


@st.composite
def graph_and_sets(draw: st.DrawFn) -> tuple[nx.Graph, list[int], list[int]]:
    n = draw(st.integers(2, 30))
    graph = nx.gnm_random_graph(n, draw(st.integers(0, 70)), seed=draw(st.integers(0, 999)))
    small = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    extra = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    return graph, small, sorted(set(small) | set(extra))


@settings(max_examples=80, deadline=None)
@given(graph_and_sets())
def test_removing_more_never_grows_the_giant_component(case: tuple[nx.Graph, list[int], list[int]]) -> None:
    graph, small, large = case
    _, after_small, _ = simulate(graph, small)
    _, after_large, _ = simulate(graph, large)
    assert after_large["lcc"] <= after_small["lcc"]
    assert after_large["pairwise_connectivity"] <= after_small["pairwise_connectivity"]
    for after in (after_small, after_large):
        assert 0.0 <= after["fragmentation"] <= 1.0
        assert 0.0 <= after["lcc_fraction"] <= 1.0


@settings(max_examples=40, deadline=None)
@given(graph_and_sets(), st.floats(0.0, 1.0), st.integers(0, 5))
def test_recovery_is_seeded_and_only_adds_ties_among_survivors(
    case: tuple[nx.Graph, list[int], list[int]], p: float, seed: int
) -> None:
    graph, removed, _ = case
    first = recover(graph, removed, p, seed=seed)
    again = recover(graph, removed, p, seed=seed)
    assert sorted(first.edges()) == sorted(again.edges())
    assert set(first) == set(graph) - set(removed)
    survivors = graph.subgraph(set(graph) - set(removed))
    assert set(map(frozenset, survivors.edges())) <= set(map(frozenset, first.edges()))
    _, after, rec = simulate(graph, removed, recovery=p, seed=seed)
    assert rec is not None
    assert rec["lcc"] >= after["lcc"]
    assert all(share is None or 0.0 <= share <= 1.0 for share in rec["retained"].values())


def test_a_star_plan_only_looks_good_before_recovery() -> None:
    before, after, rec = simulate(nx.star_graph(8), [0], recovery=1.0)
    assert after["fragmentation"] == 1.0
    assert rec is not None and rec["lcc"] == 8 and rec["flag"]
    assert rec["retained"] == {"lcc": 0.125, "fragmentation": 0.0, "cashout": None}
    _, _, none = simulate(nx.star_graph(8), [0], recovery=0.0)
    assert none is not None and none["flag"] is None
    assert none["retained"] == {"lcc": 1.0, "fragmentation": 1.0, "cashout": None}


def test_measures_and_errors() -> None:
    m = measure(nx.path_graph(4), [1])
    assert (m["nodes"], m["edges"], m["components"], m["lcc"]) == (3, 1, 2, 2)
    with pytest.raises(NotFound):
        simulate(nx.path_graph(3), [7])
    with pytest.raises(InvalidArgument):
        simulate(nx.path_graph(3), [1, 1])
    with pytest.raises(InvalidArgument):
        simulate(nx.path_graph(3), [1], recovery=2.0)
