"""Takedown plans: exact optima on the baseline networks, budgets, determinism, the four objectives."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_model.errors import InvalidArgument, NotFound
from graph_model.model import Model
from queries.disruption.costs import check_costs, cost_of, hardness
from queries.disruption.explain import explain_targets
from queries.disruption.graph import to_disruption_graph
from queries.disruption.measures import fragmentation
from queries.disruption.plan import optimise, plan_graph
from queries.disruption.words import render
from queries.results import Plan
from tests.queries.disruption.networks import EXACT_F, network


@pytest.mark.parametrize(("file", "k", "exact"), [("911.txt", 3, 0.504), ("LONDON_GANG.csv", 3, 0.078)])
def test_plan_reaches_the_exact_optimum_on_fixtures(
    fixtures: Path, model: Model, file: str, k: int, exact: float
) -> None:
    graph = network(fixtures / "networks" / file, model)
    plan = plan_graph(graph, budget=k)
    assert len(plan.targets) == k
    assert plan.after["fragmentation"] >= exact - 0.0005  # BASELINES.md rounds to 3 places
    assert all(t.why for t in plan.targets)


@pytest.mark.realdata
@pytest.mark.parametrize("name", list(EXACT_F))
def test_plan_within_002_of_the_exact_optimum(shared_data: Path, model: Model, name: str) -> None:
    file, k, exact = EXACT_F[name]
    graph = network(shared_data / "networks" / file, model)
    found = optimise(graph, budget=k)
    assert fragmentation(graph, found.order) >= exact - 0.0005  # BASELINES.md rounds to 3 places
    assert len(found.order) == k and found.one_swap_optimum


def test_911_names_are_the_file_ids(fixtures: Path, model: Model) -> None:
    plan = plan_graph(network(fixtures / "networks" / "911.txt", model), budget=3)
    assert sorted(t.name for t in plan.targets) == ["1", "14", "16"]
    data = plan.as_dict()
    assert set(data["targets"][0]) == {
        "rank",
        "key",
        "name",
        "kind",
        "type",
        "score",
        "gain",
        "cost",
        "why",
        "why_message",
        "actions",
        "substitutes",
    }
    assert Plan.from_dict(data).as_dict() == data


@st.composite
def costed_graphs(draw: st.DrawFn) -> nx.Graph:
    n = draw(st.integers(2, 30))
    graph = nx.gnm_random_graph(n, draw(st.integers(1, 60)), seed=draw(st.integers(0, 999)))
    for v in graph:
        graph.nodes[v].update(
            kind=draw(st.sampled_from(["Actor", "Infrastructure", "Wallet", "Forum"])),
            cost=draw(st.floats(0.5, 5.0)),
        )
    return to_disruption_graph(graph)


@settings(max_examples=30, deadline=None)
@given(costed_graphs(), st.integers(1, 6), st.one_of(st.none(), st.floats(0.5, 12.0)), st.integers(0, 3))
def test_plan_respects_budget_and_cost_and_is_deterministic(
    graph: nx.Graph, budget: int, max_cost: float | None, seed: int
) -> None:
    first = optimise(graph, budget=budget, max_cost=max_cost, seed=seed)
    assert len(first.order) <= budget
    assert len(set(first.order)) == len(first.order)
    if max_cost is not None:
        assert sum(cost_of(graph, v) for v in first.order) <= max_cost + 1e-9
    assert 0.0 <= first.value <= 1.0 + 1e-6
    again = optimise(graph, budget=budget, max_cost=max_cost, seed=seed)
    assert again.order == first.order


def _ecosystem() -> nx.Graph:
    """Two groups; group A's money leaves only through mule wallets m1 -> m2; B pays the exchange directly."""
    g = nx.MultiDiGraph()
    g.add_node("A", kind="Actor", type="group", name="A")
    g.add_node("B", kind="Actor", type="group", name="B")
    g.add_node("admin", kind="Actor", type="handle", name="admin")
    g.add_node("forum", kind="Forum", type="forum", name="forum")
    g.add_node("op", kind="Actor", type="handle", name="op")
    for w in ("wa1", "wa2", "m1", "m2", "wb"):
        g.add_node(w, kind="Wallet", type="btc", name=w)
    g.add_node("ex", kind="Wallet", type="btc", name="ex", service_type="exchange")
    for s in ("s1", "s2", "s3"):
        g.add_node(s, kind="Infrastructure", type="host", name=s)
        g.add_edge("op", s, type="OPERATES")
        g.add_edge("A", s, type="USES")
    g.add_edge("A", "wa1", type="OWNS")
    g.add_edge("A", "wa2", type="OWNS")
    g.add_edge("wa1", "m1", type="TRANSFERRED", amount=5.0)
    g.add_edge("wa2", "m1", type="TRANSFERRED", amount=5.0)
    g.add_edge("m1", "m2", type="TRANSFERRED", amount=10.0)
    g.add_edge("m2", "ex", type="TRANSFERRED", amount=10.0)
    g.add_edge("B", "wb", type="OWNS")
    g.add_edge("wb", "ex", type="TRANSFERRED", amount=3.0)
    g.add_edge("admin", "forum", type="ADMINISTERS")
    g.add_edge("A", "forum", type="ACTIVE_ON")
    g.add_edge("B", "forum", type="ACTIVE_ON")
    return to_disruption_graph(g)


def test_cashout_objective_cuts_the_sole_mule_chain() -> None:
    graph = _ecosystem()
    plan = plan_graph(graph, budget=1, objective="cashout")
    assert plan.targets[0].key in {"m1", "m2"}
    # only B and its wallet still reach the exchange; the chain and everything behind it is cut
    assert plan.before["cashout_reachable"] == 7
    assert plan.after["cashout_reachable"] == 2
    why = plan.targets[0].why_message
    assert why is not None and why["id"] == "why.cashout" and why["values"]["holders"] == 5
    assert "is on every remaining route to a cash-out service for 5 money holders" in plan.targets[0].why


def test_a_pick_that_cuts_nothing_names_the_later_picks_that_complete_the_cut_or_says_so() -> None:
    graph = _ecosystem()
    # many: admin cuts no holder off; m2 (A's mule chain) and wb (B's wallet) cut after it
    many = explain_targets(graph, ["admin", "m2", "wb"], objective="cashout")[0]
    assert many.why_message is not None and many.why_message["values"]["partner_ranks"] == [2, 3]
    assert "it removes a route to a cash-out service that m2 and wb (picks 2 and 3) cut together" in many.why
    one = explain_targets(graph, ["admin", "m2"], objective="cashout")[0]
    assert "that m2 (pick 2) cut together with it." in one.why
    # none: nothing after admin cuts anything, so the plan cuts the same without it (no pick is named,
    # least of all admin's own rank)
    cut, none = explain_targets(graph, ["m2", "admin"], objective="cashout")
    assert cut.why_message is not None and cut.why_message["values"]["holders"] == 5
    assert none.why_message is not None and none.why_message["values"]["partners"] == []
    assert (
        "admin (Actor/handle) cuts no money holder off, alone or together with the other picks: the "
        "plan cuts off the same money holders without it." in none.why
    )
    assert "pick" not in none.why.replace("other picks", "") and "rest of the plan" not in none.why
    reach_one = explain_targets(graph, ["admin", "s1"], objective="reach", group="A")[0]
    assert "it closes a way around that s1 (pick 2) cut together with it." in reach_one.why
    reach_none = explain_targets(graph, ["s1", "admin"], objective="reach", group="A")[1]
    assert (
        "admin (Actor/handle) cuts A off from nothing, alone or together with the other picks: the plan cuts "
        "it off from the same servers, domains and wallets without it." in reach_none.why
    )
    assert "pick 2" not in reach_none.why and "rest of the plan" not in reach_none.why
    # French says the same, and names no pick either
    for target in (none, reach_none):
        assert target.why_message is not None
        french = render(target.why_message["id"], target.why_message["values"], "fr")
        assert "ni seule ni avec les autres choix" in french and "(choix" not in french


def test_reach_objective_needs_a_known_group() -> None:
    graph = _ecosystem()
    plan = plan_graph(graph, budget=1, objective="reach", group="A")
    assert plan.targets[0].key != "A"
    assert plan.after["objective_value"] > 0
    with pytest.raises(InvalidArgument):
        plan_graph(graph, budget=1, objective="reach")
    with pytest.raises(NotFound):
        plan_graph(graph, budget=1, objective="reach", group="nobody")


def test_substitutability_and_costs_steer_the_plan() -> None:
    graph = _ecosystem()
    server, admin = explain_targets(graph, ["s1", "admin"])
    assert (
        "Replaceable: 2 other hosts within 2 steps; one is already linked to both its contacts" in server.why
    )
    assert server.substitutes == {
        "count": 2,
        "best": 2,
        "contacts": 2,
        "within": 2,
        "like": "host",
        "hard": False,
    }
    assert "Hard to replace: no other handle is within 2 steps of it" in admin.why
    assert hardness(graph, "s1")[0] < 1.0 < hardness(graph, "admin")[0]
    expensive = plan_graph(graph, budget=3, max_cost=2.0, costs={"default": 1.0, "kinds": {"Actor": 5}})
    assert expensive.targets
    assert all(t.kind != "Actor" for t in expensive.targets)
    assert sum(t.cost for t in expensive.targets) <= 2.0


def test_bad_costs_are_invalid_arguments() -> None:
    with pytest.raises(InvalidArgument):
        check_costs({"colours": {}})
    with pytest.raises(InvalidArgument):
        check_costs({"kinds": {"Actor": -1}})
    assert check_costs({"roles": {"admin": 4}}) == {"roles": {"admin": 4.0}}
    with pytest.raises(InvalidArgument):
        optimise(nx.path_graph(3), budget=0)
    with pytest.raises(InvalidArgument):
        optimise(nx.path_graph(3), objective="chaos")
