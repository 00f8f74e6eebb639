"""The view builders on both stores: what each view kind holds, through the caller's clearance."""

from __future__ import annotations

import pytest

from backend.views.build import (
    community_view,
    money_view,
    neighbourhood_view,
    paths_view,
    plan_view,
    recovery_links,
)
from backend.views.render import RECOVERY, ViewOptions, view_data
from graph_model.errors import InvalidArgument, NotFound
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from queries.results import Plan
from tests.backend.views.seed import plan_json, seed


def test_views_of_each_kind_through_clearance(store: GraphStore) -> None:
    keys = seed(store)
    red = neighbourhood_view(store, TLP.RED, keys.boss, depth=1)
    green = neighbourhood_view(store, TLP.GREEN, keys.boss, depth=1)
    assert (red.graph.number_of_nodes(), red.graph.number_of_edges()) == (5, 4)
    assert keys.informant in red.graph and keys.informant not in green.graph
    assert (green.graph.number_of_nodes(), green.graph.number_of_edges()) == (4, 3)
    with pytest.raises(NotFound):
        neighbourhood_view(store, TLP.GREEN, keys.informant)

    hub = neighbourhood_view(store, TLP.RED, keys.provider, depth=1, hub_cap=20)
    assert hub.collapsed == {keys.provider: 42}  # 60 domains, c2 and the evil handle: 62 - 20
    shown = view_data(hub, store.model, ViewOptions(hub_cap=20))
    assert any(n["label"] == "+42 more" for n in shown["nodes"])

    found = paths_view(store, TLP.RED, keys.evil, keys.w_cash, k=3)
    assert sorted(found.graph.nodes) == sorted(
        [keys.evil, keys.w_evil, keys.w_mid, keys.w_cash, keys.boss, keys.mule]
    )
    none = paths_view(store, TLP.RED, keys.informant, keys.w_cash, max_length=1)
    assert none.graph.number_of_nodes() == 2 and "No path" in none.notes[0]

    crew = community_view(store, TLP.RED, "1")
    assert crew.graph.number_of_nodes() == 10 and crew.graph.number_of_edges() == 10
    with pytest.raises(NotFound):
        community_view(store, TLP.RED, "7")

    out = money_view(store, TLP.RED, keys.w_evil)
    assert sorted(out.graph.nodes) == sorted([keys.w_evil, keys.w_mid, keys.w_cash, keys.w_other])
    big = money_view(store, TLP.RED, keys.w_evil, min_amount=0.5)
    assert keys.w_other not in big.graph
    into = money_view(store, TLP.RED, keys.w_cash, direction="in")
    assert sorted(into.graph.nodes) == sorted([keys.w_cash, keys.w_mid, keys.w_evil])
    assert keys.w_cash in out.focus  # the exchange it reached
    with pytest.raises(InvalidArgument):
        money_view(store, TLP.RED, keys.boss)
    with pytest.raises(InvalidArgument):
        money_view(store, TLP.RED, keys.w_evil, direction="sideways")

    plan = plan_view(store, TLP.RED, Plan.from_dict(plan_json(keys)))
    recovery = [k for _, _, k, t in plan.graph.edges(keys=True, data="type") if t == RECOVERY]
    assert len(recovery) == 3 and plan.focus == [keys.evil, keys.mule]
    # A GREEN caller's plan graph has no informant, and no recovery link through it.
    assert keys.informant not in plan_view(store, TLP.GREEN, Plan.from_dict(plan_json(keys))).graph


def test_plan_errors(store: GraphStore) -> None:
    keys = seed(store)
    nowhere = {**plan_json(keys), "targets": [{"key": "handle:nobody"}]}
    with pytest.raises(NotFound):
        plan_view(store, TLP.RED, Plan.from_dict(nowhere))
    with pytest.raises(InvalidArgument):
        plan_view(store, TLP.RED, Plan.from_dict({**plan_json(keys), "scope": {"colour": "red"}}))
    with pytest.raises(InvalidArgument):
        Plan.from_dict({"targets": "all"})


def test_recovery_links_are_the_planners_rewiring() -> None:
    import networkx as nx

    star = nx.MultiDiGraph()
    star.add_edges_from([("hub", "a"), ("hub", "b"), ("hub", "c"), ("a", "a2"), ("b", "x"), ("c", "x")])
    links = recovery_links(star, ["hub"])
    # b and c close their triangle through x; then c (best connected, by name on ties) takes the hub's
    # place and a attaches to it
    assert [(u, v) for u, v, _ in links] == [("a", "c"), ("b", "c")]
    assert recovery_links(star, ["hub"], 0.0) == []
    assert recovery_links(star, ["a2"]) == []
