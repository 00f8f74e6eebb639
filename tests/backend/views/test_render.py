"""The page itself: offline, escaped, its CSP matching its scripts; shaping of big networks."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import networkx as nx
from markupsafe import escape

from backend.views.page import candidates_page, json_for_script, vis_script
from backend.views.render import View, ViewOptions, render, view_data
from backend.views.shaping import GROUP, MORE, aggregate, collapse_hubs, positions
from graph_model.model import Model
from graph_model.provenance import TLP
from tests.backend.views.seed import INJECTION


def _graph(n_nodes: int, edges: list[tuple[int, int]], kind: str = "Actor") -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for n in range(n_nodes):
        graph.add_node(f"n{n}", kind=kind, type="handle", name=f"actor {n}")
    for u, v in edges:
        graph.add_edge(f"n{u}", f"n{v}", key=f"{u}-{v}", type="ASSOCIATES_WITH")
    return graph


def test_page_is_offline_escaped_and_its_policy_names_its_scripts(model: Model) -> None:
    graph = _graph(2, [(0, 1)])
    graph.nodes["n0"].update(
        name="http://evil.example/</script><script>alert(1)</script>", url="https://x.example"
    )
    graph.nodes["n1"].update(name=INJECTION, sources=["feed#https://evil.example/post?id=1&x=<b>"])
    page = render(View(kind="neighbourhood", title=INJECTION, graph=graph), model)
    # URLs in the data and in the vis bundle's comments and strings are written http:\/\/...
    assert not re.search(r"https?://", page.html, re.IGNORECASE)
    data_block = page.html.split('id="crimegraph-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_block and ">" not in data_block and "&" not in data_block
    assert json.loads(data_block)["nodes"][0]["label"].startswith("http://evil.example/<")
    assert "<title>&lt;img src=x" in page.html
    scripts = re.findall(r"<script>(.*?)</script>", page.html, re.DOTALL)
    assert len(scripts) == 2 and scripts[0] == vis_script()
    for code in scripts:
        digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in page.csp
    assert "unsafe-inline" not in page.csp.split("script-src")[1].split(";")[0]
    assert f'content="{escape(page.csp)}"' in page.html
    assert json_for_script("\u2028</script>") == '"\\u2028\\u003c\\/script\\u003e"'


def test_hubs_collapse_into_a_marker() -> None:
    graph = _graph(31, [(0, n) for n in range(1, 31)] + [(1, 2)])
    hidden = collapse_hubs(graph, 10, keep=["n30"])
    # n1 and n2 are not leaves (joined to each other); n30 is kept; 10 of the other 27 leaves stay
    assert hidden == {"n0": 17}
    assert graph.nodes["more:n0"]["kind"] == MORE and graph.nodes["more:n0"]["name"] == "+17 more"
    assert graph.number_of_nodes() == 31 - 17 + 1 and "n30" in graph


def test_counts_meet_their_nouns_in_notes_and_the_candidates_page(model: Model) -> None:
    one = view_data(
        View(kind="neighbourhood", title="t", graph=_graph(12, [(0, n) for n in range(1, 12)]), focus=["n0"]),
        model,
        ViewOptions(hub_cap=10),
    )
    assert '1 neighbour of 1 hub is collapsed into "+N more" markers.' in one["notes"]
    many = view_data(
        View(kind="neighbourhood", title="t", graph=_graph(14, [(0, n) for n in range(1, 14)]), focus=["n0"]),
        model,
        ViewOptions(hub_cap=10),
    )
    assert '3 neighbours of 1 hub are collapsed into "+N more" markers.' in many["notes"]
    # the pair view's filter swatch takes a type's own colour: the view's own types have one too
    assert one["styles"]["edges"]["SHARES"] == one["styles"]["evidence"]
    listing = {"min_score": 0.8, "compared": 3, "all_pairs": 6, "handles": 4}
    said = {
        total: " ".join(
            candidates_page({**listing, "shown": total, "total": total}, [], TLP.CLEAR, TLP.RED).html.split()
        )
        for total in (0, 1, 2)
    }
    assert "No pair of handles has a match probability of at least 0.8 (the model's" in said[0]
    assert "The one pair of handles whose match probability is at least 0.8" in said[1]
    assert "2 of 2 pairs of handles whose match probability is at least 0.8" in said[2]
    assert all("0 of 0" not in text and "1 of 1 pairs" not in text for text in said.values())
    assert "; 3 of the 6 pairs of the 4 handles you may see were compared. Open" in said[0]
    # the handles' pairs: none (one handle), one (two handles, compared or not), many
    KEYS = ("compared", "all_pairs", "handles")
    words = {
        counts: " ".join(
            candidates_page(
                {**listing, "shown": 0, "total": 0, **dict(zip(KEYS, counts, strict=True))},
                [],
                TLP.CLEAR,
                TLP.RED,
            ).html.split()
        )
        for counts in ((0, 0, 1), (0, 0, 0), (1, 1, 2), (0, 1, 2), (1, 3, 3))
    }
    assert "; you may see 1 handle: there is no pair to compare. Open" in words[(0, 0, 1)]
    assert "; you may see 0 handles: there is no pair to compare. Open" in words[(0, 0, 0)]
    assert "; the one pair of the 2 handles you may see was compared. Open" in words[(1, 1, 2)]
    assert "; the one pair of the 2 handles you may see was not compared. Open" in words[(0, 1, 2)]
    assert "; 1 of the 3 pairs of the 3 handles you may see was compared. Open" in words[(1, 3, 3)]


def test_more_than_the_node_cap_is_aggregated(model: Model) -> None:
    big = nx.relaxed_caveman_graph(250, 20, 0.05, seed=3)
    graph = _graph(5000, list(big.edges))
    agg = aggregate(graph, cap=100, keep=["n7"])
    assert agg.graph.number_of_nodes() <= 100 and "n7" in agg.graph
    assert sum(a.get("size", 0) for _, a in agg.graph.nodes(data=True) if a["kind"] == GROUP) == 4999
    assert len(agg.group_of) == 5000
    by_kind = aggregate(graph, by="kind", cap=100)
    assert by_kind.graph.number_of_nodes() == 1
    data = view_data(
        View(kind="neighbourhood", title="big", graph=graph, focus=["n7"]), model, ViewOptions(node_cap=500)
    )
    assert data["aggregated"] and len(data["nodes"]) <= 500 and not data["physics"]
    assert any("aggregated by community" in note for note in data["notes"])


def test_layout_is_deterministic_and_physics_only_for_small_views(model: Model) -> None:
    graph = _graph(40, [(n, n + 1) for n in range(39)])
    assert positions(graph, seed=1) == positions(graph, seed=1)
    small = view_data(View(kind="paths", title="t", graph=graph), model, ViewOptions())
    assert small["physics"] and all("x" in n and "y" in n for n in small["nodes"])
    large = view_data(View(kind="paths", title="t", graph=graph), model, ViewOptions(physics_max=10))
    assert not large["physics"] and large["options"]["physics"] == {"enabled": False}


def test_sizes_and_widths_are_scaled_on_the_server_as_vis_network_would(model: Model) -> None:
    graph = _graph(4, [(0, 1), (1, 2), (1, 3)])
    for k, (u, v) in enumerate([(0, 1), (1, 2), (1, 3)]):
        graph.add_edge(f"n{u}", f"n{v}", key=f"w{k}", type="ASSOCIATES_WITH", weight=float(k + 1))
    data = view_data(View(kind="neighbourhood", title="t", graph=graph), model, ViewOptions())
    scaling = data["options"]["nodes"]["scaling"]
    nodes = {n["id"]: n for n in data["nodes"]}
    assert all("value" not in n for n in data["nodes"]) and all("value" not in e for e in data["edges"])
    low, high = data["scale"]["nodes"]
    assert nodes["n1"]["size"] == scaling["max"] and nodes["n1"]["font"]["size"] == scaling["label"]["max"]
    assert nodes["n0"]["size"] == scaling["min"] and low < high
    widths = {e["id"]: e["width"] for e in data["edges"] if e["id"].startswith("w")}
    edge_scaling = data["options"]["edges"]["scaling"]
    assert widths == {"w0": edge_scaling["min"], "w1": 5.0, "w2": edge_scaling["max"]}


def test_style_comes_from_the_schema(model: Model) -> None:
    graph = _graph(2, [(0, 1)])
    graph.nodes["n1"]["kind"] = "Wallet"
    graph.add_edge("n1", "n0", key="t", type="TRANSFERRED", amount=3.5)
    data = view_data(View(kind="money", title="t", graph=graph, focus=["n0"]), model, ViewOptions())
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["n1"]["color"] == model.nodes["Wallet"].color and nodes["n1"]["shape"] == "diamond"
    assert nodes["n0"]["color"]["background"] == model.nodes["Actor"].color
    # Widths as vis-network's scaling would make them from the amount (done on the server: see presize).
    assert sorted(data["edges"], key=lambda e: "width" in e)[-1]["width"] == 5.0  # the only value: mid-range
    assert [e.get("value") for e in data["edges"]] == [None, None] and data["scale"]["edges"] == [3.5, 3.5]
    labels = [entry["label"] for entry in data["legend"]]
    assert "Actor (1)" in labels and "Wallet (1)" in labels
