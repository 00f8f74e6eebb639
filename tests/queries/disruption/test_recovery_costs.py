"""Recovery as validated link prediction with consistent retained shares; costs from the action table."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from queries.disruption.graph import to_disruption_graph
from queries.disruption.plan import plan_graph
from queries.disruption.recovery import predicted_ties, recover, validated, validation
from queries.disruption.recovery_check import NETWORKS, check_at, read_ratings
from queries.disruption.simulate import simulate_graph
from tests.queries.disruption.test_plan import _ecosystem


def test_the_recorded_check_beats_the_null_on_both_networks() -> None:
    runs = validation()["networks"]
    assert set(runs) == {"Bitcoin OTC", "Bitcoin Alpha"}
    for name, checks in runs.items():
        assert len(checks) == 4, name
        for run in checks:
            assert run["model"]["auc"] > 0.6 > run["null"]["auc"] > 0.4
            assert run["model"]["precision"] > 2 * run["null"]["precision"]
    assert validated()


@pytest.mark.realdata
def test_the_recorded_check_is_reproduced(shared_data: Path) -> None:
    recorded = validation()["networks"]["Bitcoin Alpha"][0]
    again = check_at(read_ratings(str(shared_data / NETWORKS["Bitcoin Alpha"])), 0.5, 0.6)
    assert again == recorded


def test_recovery_forms_the_best_scored_share_of_predicted_ties() -> None:
    star = nx.star_graph(5)
    ties = predicted_ties(star, [0])
    assert len(ties) == 4 and all(how == "broker" for *_, how in ties)
    assert recover(star, [0], 0.5, seed=1).number_of_edges() == 2
    assert recover(star, [0], 0.5, seed=1).edges == recover(star, [0], 0.5, seed=1).edges


def test_cash_out_recovery_reports_each_measure_and_its_retained_share() -> None:
    graph = _ecosystem()
    plan = plan_graph(graph, budget=1, objective="cashout", recovery=0.2)
    rec = plan.recovery
    assert rec is not None and plan.after["cashout_cut"] == 5
    kept = rec["retained"]
    # routes 7 -> 2: the share of the 5 holders cut off that stay cut off, never a blanket 1.0
    assert kept["cashout"] == pytest.approx(rec["cashout_cut"] / 5)
    assert set(kept) == {"lcc", "fragmentation", "cashout"}
    assert (
        plan.verdict is not None
        and "money holders cut off from cash-out stay cut off" in plan.verdict["text"]
    )
    values = plan.verdict["values"]
    assert values["cashout_cut"] == 5 and values["cashout_retained"] == kept["cashout"]
    assert "did not beat random new ties" not in plan.verdict["text"]  # the model was validated


def test_simulation_verdict_and_recovery_on_a_star() -> None:
    sim = simulate_graph(to_disruption_graph(nx.star_graph(8)), [0], recovery=1.0)
    assert sim.recovery is not None and sim.recovery["retained"]["lcc"] == 0.125
    assert sim.verdict is not None
    text = sim.verdict["text"]
    assert text.startswith("Taking down this one splits the largest connected part (9 entities) into 8 parts")
    assert "the largest part grows back from 1 to 8 (12% of its reduction kept)" in text


def _hosted() -> nx.Graph:
    g = nx.MultiDiGraph()
    g.add_node("bp", kind="Infrastructure", type="provider", name="bp", bulletproof=True)
    g.add_node("hoster", kind="Infrastructure", type="provider", name="hoster")
    g.add_node("ip-bp", kind="Infrastructure", type="ip", name="198.51.100.1")
    g.add_node("ip", kind="Infrastructure", type="ip", name="203.0.113.1")
    g.add_node("boss", kind="Actor", type="person", name="boss")
    g.add_node("escrow", kind="Actor", type="handle", name="escrow", roles=["escrow agent"])
    g.add_edge("ip-bp", "bp", type="HOSTED_ON")
    g.add_edge("ip", "hoster", type="HOSTED_ON")
    for a, b in (("boss", "ip-bp"), ("boss", "ip"), ("escrow", "ip"), ("escrow", "boss")):
        g.add_edge(a, b, type="USES")
    return to_disruption_graph(g)


def test_costs_come_from_the_action_table_and_a_costs_file_overrides_them() -> None:
    graph = _hosted()
    plan = plan_graph(graph, budget=6)
    cost = {t.key: t.cost for t in plan.targets}
    table = {"ip-bp": 0.5, "ip": 1.0, "boss": 5.0, "escrow": 10.0, "bp": 10.0, "hoster": 10.0}
    assert all(cost[k] == table[k] for k in cost)
    assert plan.after["total_cost"] == sum(cost.values())
    assert plan.verdict is not None and f"Total cost {sum(cost.values()):g}" in plan.verdict["text"]
    boss = next(t for t in plan.targets if t.key == "boss") if "boss" in cost else None
    if boss is not None:
        assert boss.actions and boss.actions[0] == {
            "action": "arrest",
            "party": "law_enforcement",
            "needs": "an arrest or search warrant",
        }
    cheap = plan_graph(graph, budget=6, costs={"types": {"person": 0.1}})
    assert all(t.cost == 0.1 for t in cheap.targets if t.key == "boss")
