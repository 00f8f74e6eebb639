"""No harmful pick, reproducible plans, 1-swap optima: hand-made graphs whose answer is known, and
properties on random graphs (hypothesis, bounded example counts)."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queries.disruption.dismantle import dismantle_graph
from queries.disruption.graph import to_disruption_graph
from queries.disruption.measures import Indexed, fragmentation
from queries.disruption.objectives import Objective
from queries.disruption.plan import optimise, plan_graph
from queries.disruption.search import work_budget


def _typed(graph: nx.Graph) -> nx.Graph:
    """A plain networkx graph as the planner reads it (every node an Actor)."""
    return to_disruption_graph(nx.relabel_nodes(graph, {v: str(v) for v in graph}))


def _gains_given_before(graph: nx.Graph, order: list[str], objective: str = "fragmentation") -> list[float]:
    obj = Objective(graph, objective)
    dead = bytearray(obj.n)
    value = obj.value(dead)
    gains = []
    for node in order:
        dead[obj.ix.index[node]] = 1
        new = obj.value(dead)
        gains.append(new - value)
        value = new
    return gains


def barbell_of_three(size: int = 5) -> nx.Graph:
    """Three cliques of ``size`` in a chain, each joined to the next through one broker node."""
    graph = nx.Graph()
    for c in range(3):
        graph.add_edges_from(itertools.combinations([f"c{c}-{i}" for i in range(size)], 2))
    graph.add_edges_from([("c0-0", "b01"), ("b01", "c1-0"), ("c1-1", "b12"), ("b12", "c2-0")])
    return _typed(graph)


def test_a_path_plan_stops_when_no_link_is_left() -> None:
    plan = plan_graph(_typed(nx.path_graph(4)), budget=3)
    assert [t.key for t in plan.targets] == ["1", "2"]
    assert all(t.gain is not None and t.gain > 0 for t in plan.targets)
    assert plan.budget is not None and plan.budget["unused"] == 1
    assert plan.budget["stop"]["id"] == "plan.stopped_no_links"
    assert plan.after["fragmentation"] == 1.0  # never 0.0 from a third, harmful pick
    assert plan.verdict is not None and "1 pick of the budget is left unused" in plan.verdict["text"]


def test_a_star_plan_is_its_centre_and_says_why_it_stops() -> None:
    plan = plan_graph(_typed(nx.star_graph(6)), budget=3)
    assert [t.key for t in plan.targets] == ["0"]
    assert plan.budget is not None and plan.budget["unused"] == 2
    assert plan.targets[0].why.startswith("0 (Actor) splits its connected part of 7 entities into 6 parts")
    assert plan.verdict is not None and plan.verdict["text"].startswith(
        "Taking down this one splits the largest connected part (7 entities) into 6 parts; the biggest part "
        "left holds 1 (14% of before). 100% of the pairs"
    )


def test_two_cliques_joined_by_one_node() -> None:
    graph = nx.Graph()
    graph.add_edges_from(itertools.combinations(range(5), 2))
    graph.add_edges_from(itertools.combinations(range(6, 11), 2))
    graph.add_edges_from([(4, 5), (5, 6)])
    plan = plan_graph(_typed(graph), budget=1)
    assert [t.key for t in plan.targets] == ["5"]
    values = plan.targets[0].why_message["values"]  # type: ignore[index]
    assert values["parts"] == [5, 5] and values["component"] == 11 and values["pairs_cut"] == 35
    assert "splits its connected part of 11 entities into 2 parts (5 and 5 entities)" in plan.targets[0].why
    assert "this cuts 35 connected pairs, 64% of the 55 before the plan" in plan.targets[0].why


def test_a_barbell_of_three_loses_both_brokers_first() -> None:
    graph = barbell_of_three()
    plan = plan_graph(graph, budget=2)
    assert {t.key for t in plan.targets} == {"b01", "b12"}
    assert plan.after["components"] == 3 and plan.search is not None and plan.search["one_swap_optimum"]
    assert [t.why_message["id"] for t in plan.targets] == ["why.split", "why.split"]  # type: ignore[index]


def test_joint_picks_name_each_other() -> None:
    # two hubs joined by two parallel brokers: neither broker cuts alone, both together do
    graph = nx.Graph()
    graph.add_edges_from(itertools.combinations(range(6), 2))
    graph.add_edges_from(itertools.combinations(range(10, 16), 2))
    graph.add_edges_from(
        (broker, v) for broker, ends in ((20, (0, 1, 10, 11)), (21, (2, 3, 12, 13))) for v in ends
    )
    plan = plan_graph(_typed(graph), budget=2)
    assert {t.key for t in plan.targets} == {"20", "21"}
    first = plan.targets[0]
    assert first.why_message is not None and first.why_message["id"] == "why.joint"
    partner = plan.targets[1].name
    assert f"it cuts together with {partner} (pick 2)" in first.why
    assert all(t.gain is not None and t.gain > 0 for t in plan.targets)


def test_dismantle_stops_when_no_link_is_left_and_explains_every_pick() -> None:
    star = dismantle_graph(_typed(nx.star_graph(30)))
    assert [t.key for t in star.targets] == ["0"] and star.after["listed"] == 1
    assert star.verdict is not None and "The other 30 entities are not listed" in star.verdict["text"]
    graph = barbell_of_three(6)
    plan = dismantle_graph(graph)
    gone = {t.key for t in plan.targets}
    assert not any(u not in gone and v not in gone for u, v in graph.edges())
    assert all(t.why and t.why_message for t in plan.targets)
    assert len(plan.targets) < graph.number_of_nodes()


def test_the_search_is_bounded_by_work_not_time() -> None:
    graph = _typed(nx.barabasi_albert_graph(300, 2, seed=3))
    plan = plan_graph(graph, budget=5)
    again = plan_graph(graph, budget=5)
    assert json.dumps(plan.as_dict(), sort_keys=True) == json.dumps(again.as_dict(), sort_keys=True)
    assert plan.search is not None and plan.search["work_budget"] == work_budget(300, graph.number_of_edges())
    assert not plan.search["cut_by_time_limit"] and plan.search["time_limit"] is None
    cut = plan_graph(graph, budget=5, time_limit=1e-9)
    assert cut.search is not None and cut.search["cut_by_time_limit"]
    assert cut.verdict is not None and "The search was cut by the time limit" in cut.verdict["text"]


def test_a_300_node_plan_is_a_one_swap_optimum() -> None:
    graph = _typed(nx.barabasi_albert_graph(300, 2, seed=7))
    found = optimise(graph, budget=5)
    assert found.one_swap_optimum
    best = fragmentation(graph, found.order)
    ix = Indexed.of(graph)
    chosen = set(found.order)
    for out in found.order:
        for into in ix.nodes:
            if into not in chosen:
                trial = [v for v in found.order if v != out] + [into]
                assert fragmentation(graph, trial) <= best + 1e-12, (out, into)


@st.composite
def random_graphs(draw: st.DrawFn) -> nx.Graph:
    n = draw(st.integers(1, 40))
    m = draw(st.integers(0, 3 * n))
    return _typed(nx.gnm_random_graph(n, m, seed=draw(st.integers(0, 10_000))))


@settings(max_examples=40, deadline=None)
@given(random_graphs(), st.integers(1, 8), st.sampled_from(["fragmentation", "lcc"]))
def test_every_pick_gains_and_the_plan_json_is_identical_across_runs(
    graph: nx.Graph, budget: int, objective: str
) -> None:
    plan = plan_graph(graph, budget=budget, objective=objective)
    order = [t.key for t in plan.targets]
    gains = _gains_given_before(graph, order, objective)
    assert all(g > 0 for g in gains), gains
    assert [t.gain for t in plan.targets] == pytest.approx(gains)
    assert plan.budget is not None and plan.budget["used"] + plan.budget["unused"] == budget
    assert (plan.budget["stop"] is None) == (len(order) == budget)
    again = plan_graph(graph, budget=budget, objective=objective)
    assert json.dumps(plan.as_dict()) == json.dumps(again.as_dict())
