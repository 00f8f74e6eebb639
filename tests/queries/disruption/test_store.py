"""The store-level functions on both stores: same answers as the pure functions, clearance respected."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_model.entities import Edge, make_node
from graph_model.errors import NotFound
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from loaders import LoadContext, ingest, reader
from queries.disruption.dismantle import dismantle
from queries.disruption.graph import disruption_graph, to_disruption_graph
from queries.disruption.plan import takedown_plan
from queries.disruption.scores import disruption_scores
from queries.disruption.simulate import simulate_takedown
from queries.scope import Scope, scope_graph
from tests.queries.disruption.networks import network

HUB = "kingpin"


def _keys(fixtures: Path, model: Model) -> dict[str, str]:
    graph = network(fixtures / "networks" / "911.txt", model)
    return {str(data["name"]): str(key) for key, data in graph.nodes(data=True)}


def _load_911_with_a_red_hub(store: GraphStore, model: Model, fixtures: Path) -> None:
    path = fixtures / "networks" / "911.txt"
    ingest(store, reader("edgelist")(path, LoadContext(model, "911")))
    # a RED report names a hub tied to one member of each side of the 9/11 separator
    hub = make_node(model, "Actor", "person", HUB, prov=Provenance.of("secret", "1", tlp="RED"))
    members = _keys(fixtures, model)
    edges = [
        Edge("ASSOCIATES_WITH", hub.key, members[m], Provenance.of("secret", f"e{m}", tlp="RED"))
        for m in ("0", "16", "30", "40", "50", "61")
        if m in members
    ]
    store.upsert([hub], edges)


def test_plan_scores_simulate_dismantle_through_the_store(
    store: GraphStore, model: Model, fixtures: Path
) -> None:
    ingest(store, reader("edgelist")(fixtures / "networks" / "911.txt", LoadContext(model, "911")))
    plan = takedown_plan(store, TLP.CLEAR, Scope(), budget=3)
    assert sorted(t.name for t in plan.targets) == ["1", "14", "16"]
    assert plan.before["nodes"] == 62 and plan.after["fragmentation"] == pytest.approx(0.5044, abs=1e-4)
    assert plan.scope["edge_set"] == "operational"
    scores = disruption_scores(store, TLP.CLEAR, Scope(), metric="cut", top=3)
    assert scores[0].name == "5" and "separating parts of 58, 1, 1 and 1 entities" in scores[0].why
    assert [t.rank for t in scores] == [1, 2, 3] and scores[0].score == 100.0
    sim = simulate_takedown(store, TLP.CLEAR, Scope(), ["1", "14", "16"], recovery=0.3, seed=4)
    assert sim.after["fragmentation"] == pytest.approx(plan.after["fragmentation"])
    assert sim.recovery is not None and sim.recovery["seed"] == 4
    order = dismantle(store, TLP.CLEAR, Scope(), by="r")
    assert order.after["R"] <= 0.1225 and order.after["listed"] == len(order.targets) < 62
    assert order.verdict is not None and all(t.why for t in order.targets)


@pytest.mark.neo4j
def test_scores_plans_and_verdicts_are_identical_across_stores(
    embedded_store: GraphStore, neo4j_store: GraphStore, model: Model, fixtures: Path
) -> None:
    found = []
    for store in (embedded_store, neo4j_store):
        ingest(store, reader("edgelist")(fixtures / "networks" / "911.txt", LoadContext(model, "911")))
        scores = [t.as_dict() for t in disruption_scores(store, TLP.RED, Scope(), top=62)]
        plan = takedown_plan(store, TLP.RED, Scope(), budget=3).as_dict()
        found.append((scores, plan))
    for x, y in zip(found[0][0], found[1][0], strict=True):
        assert x == y, [(k, x[k], y.get(k)) for k in x if x[k] != y.get(k)]
    assert found[0][1] == found[1][1], [k for k in found[0][1] if found[0][1][k] != found[1][1].get(k)]
    scores = found[0][0]
    assert len({t["score"] for t in scores}) == len(scores)  # distinct 0-100 scores


def test_a_red_node_never_reaches_an_amber_caller(store: GraphStore, model: Model, fixtures: Path) -> None:
    _load_911_with_a_red_hub(store, model, fixtures)
    red = takedown_plan(store, TLP.RED, Scope(), budget=3)
    assert red.before["nodes"] == 63
    assert HUB in {t.name for t in disruption_scores(store, TLP.RED, Scope(), top=63)}
    for level in (TLP.AMBER, TLP.CLEAR):
        plan = takedown_plan(store, level, Scope(), budget=3)
        assert plan.before["nodes"] == 62 and plan.before["edges"] == 159
        assert HUB not in {t.name for t in plan.targets}
        assert HUB not in str(plan.as_dict())
        scored = disruption_scores(store, level, Scope(), metric="composite", top=62)
        assert HUB not in {t.name for t in scored} and len(scored) == 62
        order = dismantle(store, level, Scope())
        assert HUB not in {t.name for t in order.targets}
        with pytest.raises(NotFound):
            simulate_takedown(store, level, Scope(), [HUB])


def test_scope_narrows_the_graph(store: GraphStore, model: Model, fixtures: Path) -> None:
    ingest(store, reader("edgelist")(fixtures / "networks" / "911.txt", LoadContext(model, "911")))
    key = _keys(fixtures, model)["16"]
    contacts = network(fixtures / "networks" / "911.txt", model).degree(key)
    plan = takedown_plan(store, TLP.RED, Scope(keys=(key,), depth=1), budget=1)
    assert plan.before["nodes"] == 1 + contacts == 7
    assert plan.scope["keys"] == [key]


def test_the_slim_whole_graph_read_is_the_scope_graph(
    store: GraphStore, model: Model, fixtures: Path
) -> None:
    """A whole-graph scope reads through ``GraphStore.topology``; it must give exactly the graph the
    general path (``scope_graph``) gives, at every clearance, money amounts and cash-out services included."""
    _load_911_with_a_red_hub(store, model, fixtures)
    exchange = make_node(
        model,
        "Wallet",
        "btc",
        "1NDyJtNTjmwk5xPNhjgAMu4HDHigtobu1s",
        prov=Provenance.of("pub", "1"),
        props={"service_type": "exchange"},
    )
    mule = make_node(
        model, "Wallet", "btc", "1AjZPMsnmpdK2Rv9KQNfMurTXinscVro9V", prov=Provenance.of("pub", "2")
    )
    paid = [
        Edge("TRANSFERRED", mule.key, exchange.key, Provenance.of("pub", "3"), {"amount": 0.5}, "tx1"),
        Edge(
            "TRANSFERRED",
            mule.key,
            exchange.key,
            Provenance.of("secret", "4", tlp="RED"),
            {"amount": 2.0},
            "tx2",
        ),
    ]
    store.upsert([exchange, mule], paid)
    for level in TLP:
        for scope in (Scope(), Scope(kinds=("Actor",), edge_set="social")):
            fast = disruption_graph(store, level, scope)
            slow = to_disruption_graph(scope_graph(store, level, scope.with_defaults(edge_set="operational")))
            assert dict(fast.nodes(data=True)) == dict(slow.nodes(data=True)), (level, scope)
            assert {frozenset(e) for e in fast.edges} == {frozenset(e) for e in slow.edges}
            assert all(fast.edges[e]["types"] == slow.edges[e]["types"] for e in slow.edges)
            assert dict(fast.graph["money"].edges) == dict(slow.graph["money"].edges)
            assert fast.graph["cashout"] == slow.graph["cashout"]
        red_only = HUB in {d["name"] for _, d in disruption_graph(store, level, Scope()).nodes(data=True)}
        assert red_only == (level == TLP.RED)
