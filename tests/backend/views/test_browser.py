"""Every view kind opened from file:// in headless Chromium, no network: counts, no errors, no injection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from playwright.sync_api import Browser

from backend.views.build import community_view, money_view, neighbourhood_view, paths_view, plan_view
from backend.views.render import View, ViewOptions, render
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from queries.disruption.plan import takedown_plan
from queries.results import Plan
from queries.scope import Scope
from tests.backend.views.browser import Loaded, hover_node, open_view
from tests.backend.views.seed import INJECTION, SCRIPT, Keys, plan_json, seed


@pytest.fixture(scope="module")
def seeded(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedStore, Keys]]:
    store = EmbeddedStore(tmp_path_factory.mktemp("views") / "graph.db", model)
    keys = seed(store)
    yield store, keys
    store.close()


def _open(
    browser: Browser, view: View, model: Model, tmp_path: Path, options: ViewOptions | None = None
) -> Loaded:
    page = render(view, model, options)
    assert "http://" not in page.html and "https://" not in page.html
    path = tmp_path / f"{view.kind}.html"
    page.write(path)
    loaded = open_view(browser, path.as_uri())
    loaded.clean()
    return loaded


def test_neighbourhood_view_from_file(
    browser: Browser, seeded: tuple[EmbeddedStore, Keys], tmp_path: Path
) -> None:
    store, keys = seeded
    view = neighbourhood_view(store, TLP.RED, keys.evil, depth=2)
    loaded = _open(browser, view, store.model, tmp_path)
    counts = loaded.counts()
    # evil; boss, provider, w_evil; mule, dev, informant, c2, w_mid and 50 of the 60 domains + "+N more"
    assert counts["nodes"] == view.graph.number_of_nodes() + 1
    assert loaded.page.evaluate("(k) => crimegraph.nodes.get('more:' + k).label", keys.provider) == (
        f"+{view.collapsed[keys.provider]} more"
    )
    loaded.screenshot("neighbourhood")
    # The injection is a label drawn as text, and as text in its tooltip.
    label = loaded.page.evaluate("(k) => crimegraph.nodes.get(k).label", keys.evil)
    assert label.startswith('<img src=x onerror="window.__pwned=1')
    tip = hover_node(loaded, keys.evil)
    assert INJECTION in tip and SCRIPT in tip and "views-test#" in tip and "TLP" in tip
    loaded.clean()
    loaded.screenshot("neighbourhood-tooltip")


def test_paths_view_from_file(browser: Browser, seeded: tuple[EmbeddedStore, Keys], tmp_path: Path) -> None:
    store, keys = seeded
    view = paths_view(store, TLP.RED, keys.evil, keys.w_cash, k=3)
    loaded = _open(browser, view, store.model, tmp_path)
    # evil-OWNS-w_evil-w_mid-w_cash and evil-boss-mule-w_mid-w_cash: 6 entities, 6 links
    assert loaded.counts() == {"nodes": 6, "edges": 6, "visible_nodes": 6, "visible_edges": 6}
    loaded.screenshot("paths")


def test_community_view_from_file(
    browser: Browser, seeded: tuple[EmbeddedStore, Keys], tmp_path: Path
) -> None:
    store, keys = seeded
    crew = community_view(store, TLP.RED, "1")
    assert keys.boss in crew.graph
    loaded = _open(browser, crew, store.model, tmp_path)
    # the crew, its c2 and its four wallets; MEMBER_OF x4, OPERATES, OWNS x2, TRANSFERRED x3
    assert loaded.counts()["nodes"] == 10 and loaded.counts()["edges"] == 10
    loaded.screenshot("community")
    hoster = community_view(store, TLP.RED, "0")
    loaded = _open(browser, hoster, store.model, tmp_path)
    # the hoster and 50 of its 60 domains, the other 10 behind one "+10 more" marker
    assert loaded.counts()["nodes"] == 52 and loaded.counts()["edges"] == 51
    assert loaded.page.evaluate("(k) => crimegraph.nodes.get('more:' + k).label", keys.provider) == "+10 more"


def test_money_view_from_file(browser: Browser, seeded: tuple[EmbeddedStore, Keys], tmp_path: Path) -> None:
    store, keys = seeded
    view = money_view(store, TLP.RED, keys.w_evil)
    loaded = _open(browser, view, store.model, tmp_path)
    assert loaded.counts()["nodes"] == 4 and loaded.counts()["edges"] == 3
    # Width by amount (scaled on the server as vis-network would: 1 to 9 px over the amounts' range).
    drawn = loaded.page.evaluate(
        "() => crimegraph.edges.get().map((e) =>"
        " [e.cgTotal, crimegraph.network.body.edges[e.id].options.width])"
    )
    assert [total for total, _ in sorted(drawn)] == [0.2, 1.0, 2.5]
    assert [round(width, 2) for _, width in sorted(drawn)] == [1.0, 3.78, 9.0]
    assert loaded.page.evaluate("() => crimegraph.data.scale.edges") == [0.2, 2.5]
    loaded.screenshot("money")


def test_plan_view_from_file(browser: Browser, seeded: tuple[EmbeddedStore, Keys], tmp_path: Path) -> None:
    store, keys = seeded
    view = plan_view(store, TLP.RED, Plan.from_dict(plan_json(keys)))
    loaded = _open(browser, view, store.model, tmp_path)
    page = loaded.page
    # 9 entities and 8 links within 2 hops of the crew, plus 3 links recovery could form
    assert loaded.counts() == {"nodes": 9, "edges": 11, "visible_nodes": 9, "visible_edges": 8}
    for target in (keys.evil, keys.mule):
        assert page.evaluate("(k) => crimegraph.nodes.get(k).borderWidth", target) == 4
    page.click("button[data-state=after]")
    assert loaded.counts()["visible_nodes"] == 7 and loaded.counts()["visible_edges"] == 3
    page.click("button[data-state=recovery]")
    assert loaded.counts()["visible_nodes"] == 7 and loaded.counts()["visible_edges"] == 6
    page.click("button[data-state=before]")
    measures = page.locator("#cg-measures").inner_text()
    assert "giant_component" in measures and "recovery" in measures
    loaded.clean()
    loaded.screenshot("plan")
    page.click("button[data-state=recovery]")
    loaded.screenshot("plan-recovery")


def test_hostile_values_in_labels_tooltips_legend_and_title(
    browser: Browser, model: Model, tmp_path: Path
) -> None:
    graph = nx.MultiDiGraph()
    attrs = {"type": INJECTION, "name": INJECTION, "sources": [INJECTION], "tlp": SCRIPT, "note": SCRIPT}
    graph.add_node("a", kind=INJECTION, **attrs)
    graph.add_node("b", kind="Actor", **{**attrs, "name": "</script><script>window.__pwned=3</script>"})
    graph.add_edge("a", "b", key="e", type=INJECTION, why=SCRIPT, sources=[INJECTION])
    view = View(kind="hostile", title=INJECTION, graph=graph, focus=["a"], notes=[SCRIPT])
    loaded = _open(browser, view, model, tmp_path)
    page = loaded.page
    assert page.title().startswith(INJECTION)
    assert INJECTION in page.locator("#cg-legend").inner_text()
    assert SCRIPT in page.locator("#cg-notes").inner_text()
    assert INJECTION in hover_node(loaded, "a")
    assert page.evaluate("() => document.scripts.length") == 3
    loaded.clean()
    loaded.screenshot("hostile")


def test_five_thousand_nodes_are_aggregated(browser: Browser, model: Model, tmp_path: Path) -> None:
    big = nx.relaxed_caveman_graph(250, 20, 0.05, seed=3)
    graph = nx.MultiDiGraph()
    for n in big.nodes:
        graph.add_node(f"n{n}", kind="Actor", type="handle", name=f"actor {n}")
    for u, v in big.edges:
        graph.add_edge(f"n{u}", f"n{v}", key=f"{u}-{v}", type="ASSOCIATES_WITH")
    view = View(kind="neighbourhood", title="5,000 actors", graph=graph, focus=["n0"])
    loaded = _open(browser, view, model, tmp_path)
    counts = loaded.counts()
    assert 2 <= counts["nodes"] <= 500
    assert "aggregated" in loaded.page.locator("#cg-notes").inner_text()
    assert loaded.page.evaluate("() => crimegraph.stableMs") < 10_000
    loaded.screenshot("aggregated-5000")


def test_a_real_plan_from_the_planner(
    browser: Browser, seeded: tuple[EmbeddedStore, Keys], tmp_path: Path
) -> None:
    store, keys = seeded
    made = takedown_plan(store, TLP.RED, Scope(keys=(keys.boss,), depth=2), budget=2, recovery=0.5)
    assert len(made.targets) == 2 and made.recovery is not None
    plan = Plan.from_dict(json.loads(json.dumps(made.as_dict())))  # as a file carries it
    view = plan_view(store, TLP.RED, plan)
    loaded = _open(browser, view, store.model, tmp_path)
    page = loaded.page
    targets = [t.key for t in plan.targets]
    assert page.evaluate("(ks) => ks.map(k => crimegraph.nodes.get(k).borderWidth)", targets) == [4, 4]
    before = loaded.counts()
    assert before["nodes"] == view.graph.number_of_nodes()
    page.click("button[data-state=after]")
    assert loaded.counts()["visible_nodes"] == before["nodes"] - 2
    loaded.clean()
    loaded.screenshot("plan-planner")


def test_a_file_finds_filters_and_says_expanding_needs_the_server(
    browser: Browser, seeded: tuple[EmbeddedStore, Keys], tmp_path: Path
) -> None:
    store, keys = seeded
    view = neighbourhood_view(store, TLP.RED, keys.evil, depth=2)
    loaded = _open(browser, view, store.model, tmp_path)
    page = loaded.page
    assert "need the server" in page.locator("#cg-notes").inner_text()
    assert page.get_attribute("#cg-banner", "data-tlp") == "RED"  # the RED informant is drawn
    page.fill("#cg-search", "bullethost")
    page.press("#cg-search", "Enter")
    assert page.evaluate("() => crimegraph.network.getSelectedNodes()") == [keys.provider]
    before = loaded.counts()
    page.uncheck("input[data-kind=Infrastructure]")
    after = loaded.counts()
    assert after["visible_nodes"] < before["visible_nodes"] - 40
    page.check("input[data-kind=Infrastructure]")
    page.fill("#cg-since", "2030-01-01")
    page.dispatch_event("#cg-since", "change")
    assert loaded.counts()["visible_nodes"] < before["visible_nodes"]
    page.fill("#cg-since", "")
    page.dispatch_event("#cg-since", "change")
    assert loaded.counts() == before
    page.evaluate("(k) => crimegraph.expand(k)", keys.mule)
    assert "needs the server" in page.locator("#cg-status").inner_text()
    assert loaded.counts() == before
    # The legend shows exactly the shapes and colours drawn.
    drawn = page.evaluate(
        """() => { const seen = {}; crimegraph.nodes.get({filter: (n) => !n.hidden}).forEach((n) => {
        seen[n.cgLegend] = true; }); return Object.keys(seen).sort(); }"""
    )
    legend = page.locator("#cg-legend li").all_inner_texts()
    for entry in drawn:
        assert any(text.startswith(entry + " (") for text in legend), (entry, legend)
    colours = page.evaluate(
        "() => [...new Set(crimegraph.edges.get().map((e) => e.cgType + ' ' + e.color.color))].sort()"
    )
    assert f"MEMBER_OF {store.model.edges['MEMBER_OF'].color}" in colours
    assert f"HOSTED_ON {store.model.edges['HOSTED_ON'].color}" in colours
    loaded.clean()
    loaded.screenshot("file-workspace")


def test_aggregates_are_labelled_and_open_in_place(browser: Browser, model: Model, tmp_path: Path) -> None:
    graph = nx.MultiDiGraph()
    for n in range(60):
        graph.add_node(
            f"n{n}", kind="Actor" if n % 3 else "Infrastructure", type="handle", name=f"member {n}"
        )
    for n in range(59):
        graph.add_edge(f"n{n}", f"n{n + 1}", key=f"e{n}", type="ASSOCIATES_WITH")
    graph.add_edge("n0", "n30", key="hub0", type="ASSOCIATES_WITH")
    view = View(kind="community", title="60 members", graph=graph, focus=["n0"])
    page = render(view, model, ViewOptions(node_cap=12, aggregate_by="kind"))
    path = tmp_path / "agg.html"
    page.write(path)
    loaded = open_view(browser, path.as_uri())
    groups = loaded.page.evaluate("() => crimegraph.nodes.get({filter: (n) => n.cgKind === '__group__'})")
    assert groups and all("×" in g["label"] and "member" in g["label"] for g in groups)
    actors = next(g for g in groups if g["label"].startswith("Actor"))
    assert actors["label"].split("\n")[0] == "Actor ×40" and actors["label"].count(",") == 2
    before = loaded.counts()["nodes"]
    loaded.page.evaluate("(id) => crimegraph.expand(id)", actors["id"])
    assert loaded.counts()["nodes"] == before - 1 + 40
    links = "() => crimegraph.edges.get({filter: (e) => e.cgType === 'ASSOCIATES_WITH'}).length"
    # Actor-Actor links drawn themselves (every third member is Infrastructure, still aggregated), the
    # others as links to the Infrastructure aggregate.
    assert loaded.page.evaluate(links) == 21
    regrouped = "() => crimegraph.edges.get({filter: (e) => e.cgType === 'AGGREGATE'}).length"
    assert loaded.page.evaluate(regrouped) >= 20
    loaded.clean()
    loaded.screenshot("aggregate-opened")
