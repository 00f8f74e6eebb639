"""Dismantling orders: at least as good as adaptive betweenness on the small criminal networks."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from graph_model.model import Model
from queries.disruption.dismantle import ATTACKS, dismantle_graph, dismantle_order
from queries.disruption.measures import Indexed, removals_to, robustness
from tests.queries.disruption.networks import HBA_R, network


@pytest.mark.parametrize("file", ["911.txt", "LONDON_GANG.csv", "morselli_cielnet.csv"])
def test_dismantle_is_no_worse_than_hba_and_hda(fixtures: Path, model: Model, file: str) -> None:
    graph = network(fixtures / "networks" / file, model)
    found = dismantle_order(graph, by="r")
    ix = Indexed.of(graph)
    assert sorted(found.order) == list(range(len(ix)))
    for rival in ("HBA", "HDA", "CI2", "CoreHD"):
        assert found.r <= robustness(ix, ATTACKS[rival](ix, 0)) + 1e-12, rival
    assert found.q10 == removals_to(ix, found.order, 0.1)
    assert found.q10_reinserted <= found.q10


@pytest.mark.realdata
@pytest.mark.parametrize("file", list(HBA_R))
def test_dismantle_r_at_most_published_hba(shared_data: Path, model: Model, file: str) -> None:
    found = dismantle_order(network(shared_data / "networks" / file, model), by="r")
    assert round(found.r, 3) <= HBA_R[file]


def test_dismantle_plan_is_the_full_order_with_its_curve(fixtures: Path, model: Model) -> None:
    graph = network(fixtures / "networks" / "911.txt", model)
    plan = dismantle_graph(graph)
    listed = plan.after["listed"]
    assert len(plan.targets) == listed < graph.number_of_nodes()
    assert len({t.key for t in plan.targets}) == listed
    gone = {t.key for t in plan.targets}
    assert not any(u not in gone and v not in gone for u, v in graph.edges())  # no link left
    assert all(graph.degree(t.key) > 0 for t in plan.targets)
    curve = plan.after["lcc_curve"]
    assert len(curve) == graph.number_of_nodes() + 1 and curve[0] == 1.0 and curve[-1] == 0.0
    assert [t.score for t in plan.targets] == curve[1 : listed + 1]
    assert plan.after["R"] == pytest.approx(sum(curve[1:]) / len(graph), abs=1e-5)
    assert all(t.why and t.why_message and t.rank == i for i, t in enumerate(plan.targets, 1))
    assert plan.verdict is not None and plan.verdict["text"].startswith(f"Removing these {listed} of 62")


def test_attacks_on_a_tree_and_an_empty_graph() -> None:
    star = nx.star_graph(6)
    assert dismantle_order(star).nodes[0] == 0
    empty = dismantle_order(nx.Graph())
    assert empty.order == [] and empty.r == 0.0


def test_the_verdict_says_what_reinsertion_did_once() -> None:
    # a star: one removal does it, and putting removals back cannot do better
    star = dismantle_graph(nx.star_graph(30)).verdict
    assert star is not None
    assert star["text"].startswith(
        "Removing this one of the 31 entities (3.2%) leaves no link between the rest. The largest "
        "connected part falls to 10% of the network or less after 1 removal (3.2%); putting back removals "
        "that turn out unneeded saves none."
    ), star["text"]
    assert star["text"].count("after") == 1 and star["values"]["q10_reinserted"] == star["values"]["q10"]
    # a path of 3: the order needs all 3 removals, reinsertion puts 2 back
    path = dismantle_graph(nx.path_graph(3)).verdict
    assert path is not None and (
        "after 3 removals (100%), and after 1 (33%) when removals that turn out unneeded are put back."
        in path["text"]
    ), path["text"]
    assert "The other 2 entities are not listed" in path["text"]
    # without reinsertion nothing is said about it
    plain = dismantle_graph(nx.star_graph(30), reinsertion=False).verdict
    assert plain is not None and plain["values"]["reinsertion"] is False
    assert "after 1 removal (3.2%). Robustness" in plain["text"] and "put" not in plain["text"]
    # many small parts: the largest is small from the start
    stars = dismantle_graph(nx.disjoint_union_all([nx.star_graph(3)] * 12)).verdict
    assert stars is not None and "is 10% of the network or less from the start." in stars["text"]
