"""Views benchmark: HTML generation time and browser time until the network is stable, for 100, 1,000 and
5,000 requested nodes, in headless Chromium (Debian's package). Not a test; prints figures.

    PYTHONPATH=$PWD python benchmarks/views.py [--chromium /usr/bin/chromium] [--repeat 3]

Two sources: a synthetic covert network of exactly N actors (communities of 20 with 5% rewired ties, about
9.5 ties per actor), and the neighbourhood of an actor in the demo ecosystem (``crimegraph demo``'s
generator, 3,000 actors) fetched with ``limit=N``. Each is rendered with the default node cap (500: above it
the view is aggregated) and, for 1,000, also with the cap raised to 1,000 (a real 1,000-node view).
"Stable" is the view's own signal: vis-network's ``stabilizationIterationsDone`` when physics runs, the
first drawing when the layout is precomputed (physics off), measured from navigation start.

Then the workspace served by a real uvicorn on the same demo store (``--served``, the default): a
1,000-entity view (the synthetic network of 1,000 actors, a quarter of the ties rewired, loaded beside the
demo, served unaggregated with ``node_cap=1000``)
and a 5,000-node neighbourhood (the fetch limit raised to 5,000 for it), stable from the page's script start,
with where the time goes (``crimegraph.timings``) and the **floor**: vis-network alone drawing the same nodes
(positions, labels) and edges, straight, without arrows or physics, in a minimal page - what any drawing of
that network with this library costs on this machine; ``floor / ours`` of 0.8 or more counts as at the floor;
double-clicking a hub with 200+ neighbours not drawn yet, until they are drawn (the page's ``expand``
promise, then vis' next ``afterDrawing``); and the page's search for an entity not drawn, until it is added
and selected (the first search, which may warm the server's index, and the median).

``--served-store PATH`` runs the served searches (and expand) on an existing store instead of the demo, e.g.
M (10,000 actors) for "search answer in the page at M"; ``--then-store PATH`` does so after the demo's
figures, in the same run; ``--no-files`` skips the file views.

The served pages are opened as a browser opens them, its HTTP cache on (a served page loads vis-network from
the server by its hash, cached across views); every request is recorded and one leaving the server fails the
run. The 1,000-node view is also measured as session 10 did, every request routed through Playwright (which
turns the cache off and adds a round trip through the driver to each request).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

# Run as a script, this folder comes first on sys.path, and benchmarks/queries.py would hide the package.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import networkx as nx  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from backend.api.app import create_app  # noqa: E402
from backend.api.server import background  # noqa: E402
from backend.settings import ApiSettings, Settings  # noqa: E402
from backend.views.build import neighbourhood_view  # noqa: E402
from backend.views.page import vis_script  # noqa: E402
from backend.views.render import View, ViewOptions, render  # noqa: E402
from graph_model.entities import Edge, make_node  # noqa: E402
from graph_model.model import default_model  # noqa: E402
from graph_model.provenance import TLP, Provenance  # noqa: E402
from graph_model.store.embedded import EmbeddedStore  # noqa: E402
from loaders import LoadContext, ingest, reader  # noqa: E402
from loaders.generate import generate  # noqa: E402
from queries.neighbourhood import neighbourhood  # noqa: E402

SIZES = (100, 1000, 5000)


def synthetic(n: int, rewire: float = 0.05) -> View:
    caves = nx.relaxed_caveman_graph(n // 20, 20, rewire, seed=7)
    graph = nx.MultiDiGraph()
    for node in caves.nodes:
        graph.add_node(f"n{node}", kind="Actor", type="handle", name=f"actor {node}", sources=["bench#1"])
    for u, v in caves.edges:
        graph.add_edge(f"n{u}", f"n{v}", key=f"{u}-{v}", type="ASSOCIATES_WITH", weight=1.0 + (u + v) % 4)
    return View(kind="neighbourhood", title=f"synthetic {n}", graph=graph, focus=["n0"])


def demo_store(folder: Path) -> tuple[EmbeddedStore, str]:
    report = generate(folder / "csv", 3000, 7)
    store = EmbeddedStore(folder / "demo.db", default_model())
    read = reader("csv")
    for table in report.tables:
        ingest(store, read(table, LoadContext(store.model, "demo")))
    graph = store.subgraph(clearance=TLP.RED, kinds=["Actor"])
    seed = max(graph.nodes, key=lambda k: (graph.degree(k), k))
    return store, seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-files", action="store_true", help="Only the served workspace figures.")
    parser.add_argument("--served-store", type=Path, default=None, help="Serve this store (e.g. M).")
    parser.add_argument(
        "--then-store",
        type=Path,
        default=None,
        help="After the demo's figures, serve this store (e.g. M) too.",
    )
    args = parser.parse_args()
    model = default_model()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        folder = Path(tmp)
        started = time.perf_counter()
        if args.served_store is not None:
            store = EmbeddedStore(args.served_store, model)
            actors = store.subgraph(clearance=TLP.RED, kinds=["Actor"])
            seed = max(actors.nodes, key=lambda k: (actors.degree(k), k))
            args.no_files = True
        else:
            store, seed = demo_store(folder)
        print(f"store ready in {time.perf_counter() - started:.1f} s (seed {seed})")
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        cases: list[tuple[str, int, int]] = [(src, n, 500) for src in ("synthetic", "demo") for n in SIZES]
        cases += [("synthetic", 1000, 1000), ("demo", 1000, 1000)]
        if args.no_files:
            cases = []
        print(
            f"{'source':<10} {'requested':>9} {'cap':>5} {'fetched':>8} {'shown':>6} {'edges':>6} {'agg':>4}"
            f" {'physics':>7} {'html s':>7} {'MB':>5} {'stable s':>8} {'ready s':>7}"
        )
        for source, n, cap in cases:
            html_times, stable, ready = [], [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                view = (
                    synthetic(n)
                    if source == "synthetic"
                    else neighbourhood_view(store, TLP.RED, seed, depth=4, limit=n, hub_cap=10_000)
                )
                page = render(view, model, ViewOptions(node_cap=cap))
                html_times.append(time.perf_counter() - t0)
                path = folder / f"{source}-{n}-{cap}.html"
                page.write(path)
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                tab = context.new_page()
                tab.route(
                    "**/*",
                    lambda route: (
                        route.continue_() if route.request.url.startswith("file:") else route.abort()
                    ),
                )
                t1 = time.perf_counter()
                tab.goto(path.as_uri())
                tab.wait_for_function("() => window.crimegraph && window.crimegraph.ready", timeout=120_000)
                ready.append(time.perf_counter() - t1)
                stable.append(tab.evaluate("() => crimegraph.stableMs") / 1000)
                physics = tab.evaluate(
                    "() => JSON.parse(document.getElementById('crimegraph-data').textContent).physics"
                )
                context.close()
            print(
                f"{source:<10} {n:>9} {cap:>5} {view.graph.number_of_nodes():>8} {page.counts['nodes']:>6}"
                f" {page.counts['edges']:>6} {'yes' if page.counts['aggregated'] else 'no':>4}"
                f" {'on' if physics else 'off':>7} {statistics.median(html_times):>7.2f}"
                f" {len(page.html) / 1e6:>5.2f} {statistics.median(stable):>8.2f}"
                f" {statistics.median(ready):>7.2f}"
            )
        served(browser, store, seed, args.repeat, folder, bench=args.served_store is None)
        if args.then_store is not None:
            store.close()
            store = EmbeddedStore(args.then_store, model)
            actors = store.subgraph(clearance=TLP.RED, kinds=["Actor"])
            seed = max(actors.nodes, key=lambda k: (actors.degree(k), k))
            print(f"\nthen {args.then_store} (seed {seed})")
            served(browser, store, seed, args.repeat, folder, bench=False)
        browser.close()
        store.close()


KEY = "benchmark-key-0123456789"


def _row(what: str, seconds: list[float], detail: str) -> None:
    print(f"{what:<34} {statistics.median(seconds):>9.3f} {len(seconds):>5}  {detail}")


EXPAND = """async (hub) => {
  const t0 = performance.now();
  const drawn = new Promise((done) => crimegraph.network.once("afterDrawing", done));
  await crimegraph.expand(hub);
  crimegraph.network.redraw();
  await drawn;
  return [performance.now() - t0, crimegraph.nodes.length];
}"""
SEARCH = """async (text) => {
  const t0 = performance.now();
  const key = await crimegraph.search(text);
  return [performance.now() - t0, key];
}"""


def load_synthetic(store: EmbeddedStore, n: int) -> str:
    """The synthetic network of ``n`` actors (as :func:`synthetic`, with a quarter of the ties rewired so
    that all ``n`` are within the served view's 4 hops of actor 0: 1,000 nodes, ~9,450 edges) in the
    store; the key of its actor 0."""
    view = synthetic(n, rewire=0.25)
    prov = Provenance.of("bench", "synthetic", confidence=50)
    nodes = {k: make_node(store.model, "Actor", "handle", f"bench-{k}", prov=prov) for k in view.graph.nodes}
    edges = [
        Edge("ASSOCIATES_WITH", nodes[u].key, nodes[v].key, prov, {"weight": float(a.get("weight", 1.0))})
        for u, v, a in view.graph.edges(data=True)
    ]
    store.upsert(list(nodes.values()), edges)
    return nodes["n0"].key


FLOOR = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>body{margin:0}#n{width:1000px;height:860px}</style></head><body><div id="n"></div>
<script type="application/json" id="d">DATA</script><script>VIS</script>
<script>var t0 = performance.now(); var d = JSON.parse(document.getElementById("d").textContent);
var net = new vis.Network(document.getElementById("n"), {nodes: new vis.DataSet(d.nodes),
  edges: new vis.DataSet(d.edges)}, {physics: {enabled: false}, layout: {improvedLayout: false},
  edges: {smooth: false, arrows: {to: {enabled: false}}}});
net.once("afterDrawing", function () { window.stable = performance.now() - t0; });</script></body></html>"""


def floor(browser: object, data: dict[str, object], folder: Path, repeat: int) -> list[float]:
    """Seconds vis-network alone takes to draw ``data``'s nodes (id, position, label) and edges (straight,
    no arrows, no physics) in a minimal page: the floor of any drawing of this network."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    nodes = [{k: n[k] for k in ("id", "x", "y", "label") if k in n} for n in data["nodes"]]  # type: ignore[attr-defined]
    edges = [{"from": e["from"], "to": e["to"]} for e in data["edges"]]  # type: ignore[attr-defined]
    text = json.dumps({"nodes": nodes, "edges": edges}).replace("<", "\\u003c").replace("/", "\\/")
    path = folder / "floor.html"
    path.write_text(FLOOR.replace("DATA", text).replace("VIS", vis_script()))
    times = []
    for _ in range(repeat):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        tab = context.new_page()
        tab.goto(path.as_uri())
        tab.wait_for_function("() => window.stable !== undefined", timeout=120_000)
        times.append(tab.evaluate("() => window.stable") / 1000)
        context.close()
    return times


def served(
    browser: object, store: EmbeddedStore, seed: str, repeat: int, folder: Path, *, bench: bool = True
) -> None:
    """The served workspace: big views (and their floor), expanding a hub, searching for what is not drawn."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    # The 1,000-actor network beside the demo (never written into a store given with --served-store).
    synthetic_key = load_synthetic(store, 1000) if bench else None
    graph = store.subgraph(clearance=TLP.RED)

    # A hub with 200+ neighbours, one link each (a wallet's parallel transfers would fill a page with a few).
    def around(key: str) -> set[str]:
        return set(graph.predecessors(key)) | set(graph.successors(key))

    hubs = [k for k in graph.nodes if len(around(k)) >= 200 and graph.degree(k) <= 1.2 * len(around(k))]
    hub = (
        min(hubs, key=lambda k: (len(around(k)), k))
        if hubs
        else max(graph.nodes, key=lambda k: len(around(k)))
    )
    degree = len(around(hub))
    # A neighbour of the hub whose own neighbourhood (depth 1) leaves most of the hub's neighbours out.
    start = min(set(graph.predecessors(hub)) | set(graph.successors(hub)), key=lambda k: (graph.degree(k), k))
    lengths = nx.single_source_shortest_path_length(graph.to_undirected(as_view=True), start)
    actors = [k for k in lengths if graph.nodes[k].get("kind") == "Actor"]
    far = max(actors, key=lambda k: (lengths[k], k))
    settings = Settings(
        api_keys=f"{KEY}:analyst:RED", api=ApiSettings(max_neighbourhood=5000, time_budget=120)
    )
    headers = {"Authorization": f"Bearer {KEY}"}
    print(f"\nserved workspace (hub {hub}: {degree} neighbours; expanded from {start})")
    print(f"{'what':<34} {'median s':>9} {'runs':>5}  detail")
    with background(create_app(settings, store=store)) as base:
        # As a browser opens the pages: its HTTP cache on (vis-network, loaded from the server by its hash,
        # is cached across views); every request is recorded, and one leaving the server fails the run.
        context = browser.new_context(viewport={"width": 1400, "height": 900}, extra_http_headers=headers)
        tab = context.new_page()
        outside: list[str] = []
        tab.on(
            "request", lambda request: None if request.url.startswith(base) else outside.append(request.url)
        )
        views = [(synthetic_key, 1000, 1000)] if synthetic_key else []
        if synthetic_key:
            _routed(browser, base, headers, synthetic_key, repeat)
        for start_key, n, cap in [*views, (seed, 2000, 2000), (seed, 5000, 500)]:
            times, shown, edges, answered, phases, navigation = [], 0, 0, [], [], []
            for _ in range(repeat):
                query = f"depth=4&limit={n}&hub_cap=500&node_cap={cap}"
                t0 = time.perf_counter()
                tab.goto(f"{base}/view/neighbourhood/{quote(start_key, safe='')}?{query}")
                answered.append(time.perf_counter() - t0)
                tab.wait_for_function("() => window.crimegraph && window.crimegraph.ready", timeout=120_000)
                times.append(tab.evaluate("() => crimegraph.stableMs") / 1000)
                phases.append(tab.evaluate("() => crimegraph.timings"))
                navigation.append(tab.evaluate("() => crimegraph.navigationMs") / 1000)
                shown, edges = tab.evaluate("() => [crimegraph.nodes.length, crimegraph.edges.length]")
            aggregated = (
                "aggregated" if tab.evaluate("() => crimegraph.data.aggregated") else "single entities"
            )
            middle = phases[times.index(statistics.median_low(times))]
            where = ", ".join(f"{k} {v / 1000:.2f}" for k, v in middle.items())
            _row(
                f"served view, limit {n:,}, cap {cap:,}",
                times,
                f"{shown:,} nodes, {edges:,} edges, {aggregated}; stable "
                f"{statistics.median(navigation):.2f} s from navigation start; page answered in "
                f"{statistics.median(answered):.2f} s (server: read, shape, lay out, render); script "
                f"phases (s from its start): {where}",
            )
            data = tab.evaluate("() => ({nodes: crimegraph.data.nodes, edges: crimegraph.data.edges})")
            least = floor(browser, data, folder, repeat)
            ratio = statistics.median(least) / statistics.median(times)
            _row("  floor: vis-network alone", least, f"floor / ours = {ratio:.2f}")
            read = []
            for _ in range(repeat):  # the bare store read of the same view (the query, nothing drawn)
                t0 = time.perf_counter()
                neighbourhood(store, TLP.RED, [start_key], depth=4, limit=n, hub_cap=500)
                read.append(time.perf_counter() - t0)
            whole = statistics.median(read) + statistics.median(least)
            _row(
                "  floor from navigation: read + draw",
                [whole],
                f"store read {statistics.median(read):.3f} s + vis-network alone; floor / ours from "
                f"navigation start = {whole / statistics.median(navigation):.2f}",
            )
        expand, added = [], 0
        for _ in range(repeat):
            tab.goto(f"{base}/view/neighbourhood/{quote(start, safe='')}?depth=1")
            tab.wait_for_function("() => window.crimegraph && window.crimegraph.ready", timeout=60_000)
            before = tab.evaluate("() => crimegraph.nodes.length")
            ms, after = tab.evaluate(EXPAND, hub)
            expand.append(ms / 1000)
            added = after - before
        _row("expand the hub (double-click)", expand, f"{added} added")
        found, name = [], graph.nodes[far].get("name", far)
        for _ in range(repeat):
            tab.goto(f"{base}/view/neighbourhood/{quote(start, safe='')}?depth=1")
            tab.wait_for_function("() => window.crimegraph && window.crimegraph.ready", timeout=60_000)
            ms, key = tab.evaluate(SEARCH, name)
            found.append(ms / 1000)
        _row(
            "search, not drawn yet",
            found,
            f"{name!r} -> {key}; first {found[0]:.3f} s; {graph.number_of_nodes():,} entities served",
        )
        context.close()
        assert not outside, f"requests left the server: {outside[:3]}"


def _routed(browser: object, base: str, headers: dict[str, str], key: str, repeat: int) -> None:
    """The 1,000-node view as session 10 measured it: every request routed through Playwright (which turns
    the browser's HTTP cache off and adds a round trip through the driver to each request)."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, extra_http_headers=headers)
    tab = context.new_page()
    tab.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort()
    )
    times, navigation = [], []
    for _ in range(repeat):
        tab.goto(
            f"{base}/view/neighbourhood/{quote(key, safe='')}?depth=4&limit=1000&hub_cap=500&node_cap=1000"
        )
        tab.wait_for_function("() => window.crimegraph && window.crimegraph.ready", timeout=120_000)
        times.append(tab.evaluate("() => crimegraph.stableMs") / 1000)
        navigation.append(tab.evaluate("() => crimegraph.navigationMs") / 1000)
    _row(
        "served view 1,000, routed (cache off)",
        times,
        f"stable {statistics.median(navigation):.2f} s from navigation start (requests through the driver)",
    )
    context.close()


if __name__ == "__main__":
    main()
