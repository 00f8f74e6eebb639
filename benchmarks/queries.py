"""Link-analysis latency: p50/p95 of the ``queries/`` functions on a generated ecosystem, both stores.

Measures, function by function (no HTTP), on the same inputs for both stores: node lookup, search,
neighbourhood (depth 2, limit 500), paths (k = 3, max_length 6), money_flow (4 hops) and
common_associates. Inputs are drawn with a fixed seed from the loaded graph; every query runs a few
times untimed first, so caches and the JVM are warm as on a running server.

    python benchmarks/queries.py --size M                 # generate, load both stores, measure
    python benchmarks/queries.py --size M --skip-neo4j --data /tmp/m --db /tmp/m.db   # reuse a load

Neo4j: NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD when set (its database must already hold the same
ecosystem, loaded by an earlier run with --keep-neo4j... or pass --load-neo4j to empty and load it),
else a server started with .ci/neo4j/neo4j_server.py in a temporary directory and loaded.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import neo4j  # noqa: E402

from graph_model.model import default_model  # noqa: E402
from graph_model.provenance import TLP  # noqa: E402
from graph_model.store import GraphStore  # noqa: E402
from graph_model.store.embedded import EmbeddedStore  # noqa: E402
from graph_model.store.neo4j_store import Neo4jStore  # noqa: E402
from loaders.csv_tables import read  # noqa: E402
from loaders.generate import SIZES, generate  # noqa: E402
from loaders.ingest import ingest  # noqa: E402
from loaders.records import LoadContext  # noqa: E402
from queries.associates import common_associates  # noqa: E402
from queries.money import money_flow  # noqa: E402
from queries.neighbourhood import neighbourhood  # noqa: E402
from queries.paths import paths  # noqa: E402
from queries.search import node, search  # noqa: E402

TARGETS_P95_MS = {("neighbourhood d2", "embedded"): 50.0, ("neighbourhood d2", "neo4j"): 100.0}
CALLER = TLP.RED
# The generator's tables in load order (``GenerateReport.tables``), so a kept --data loads alike.
TABLES = (
    "actors",
    "forums",
    "infrastructure",
    "wallets",
    "activity",
    "threads",
    "posts",
    "transactions",
    "edges",
)


def _server_module() -> ModuleType:
    path = REPO / ".ci" / "neo4j" / "neo4j_server.py"
    spec = importlib.util.spec_from_file_location("crimegraph_neo4j_server", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load(store: GraphStore, files: list[Path]) -> float:
    ctx = LoadContext(default_model(), "synthetic")
    began = time.perf_counter()
    for path in files:
        ingest(store, read(path, ctx))
    return time.perf_counter() - began


def inputs(store: EmbeddedStore, count: int, seed: int) -> dict[str, list[Any]]:
    """Query arguments drawn from the graph (the embedded store's index) with a fixed seed."""
    rng = random.Random(seed)
    index = store.index
    by_kind: dict[str, list[str]] = {}
    for key, attrs in index.nodes(data=True):
        by_kind.setdefault(attrs["kind"], []).append(key)
    for keys in by_kind.values():
        keys.sort()
    everything = sorted(index.nodes)
    actors = by_kind["Actor"]
    groups = [k for k in actors if k.startswith("group:")]
    handles = [k for k in actors if k.startswith("handle:")]
    paying = sorted({s for s, _, d in index.edges(data=True) if d["type"] == "TRANSFERRED"})
    group_wallets = sorted(
        t for s, t, d in index.edges(data=True) if d["type"] == "OWNS" and s.startswith("group:")
    )
    names = [index.nodes[k].get("kind") and k.split(":", 1)[1][:5] for k in rng.sample(handles, count)]
    pairs = []
    for _ in range(count):
        group = rng.choice(groups)
        members = sorted(s for s, _, d in index.in_edges(group, data=True) if d["type"] == "MEMBER_OF")
        pairs.append(rng.sample(members, 2) if len(members) >= 2 else rng.sample(handles, 2))
    return {
        "node": rng.sample(everything, count),
        "search": names,
        "neighbourhood": rng.sample(everything, count),
        "paths": [rng.sample(handles, 2) for _ in range(count)],
        "money": [rng.choice(group_wallets or paying) for _ in range(count)],
        "associates": pairs,
    }


def questions(args: dict[str, list[Any]]) -> dict[str, tuple[list[Any], Callable[[GraphStore, Any], Any]]]:
    return {
        "node": (args["node"], lambda s, k: node(s, CALLER, k)),
        "search": (args["search"], lambda s, t: search(s, CALLER, t)),
        "neighbourhood d2": (
            args["neighbourhood"],
            lambda s, k: neighbourhood(s, CALLER, [k], depth=2, limit=500),
        ),
        "paths k3 len6": (args["paths"], lambda s, p: paths(s, CALLER, p[0], p[1], k=3, max_length=6)),
        "money_flow 4 hops": (args["money"], lambda s, w: money_flow(s, CALLER, w, max_hops=4)),
        "common_associates": (args["associates"], lambda s, p: common_associates(s, CALLER, p)),
    }


def measure(
    store: GraphStore, items: list[Any], ask: Callable[[GraphStore, Any], Any], warm: int
) -> dict[str, Any]:
    errors = 0
    sizes: list[int] = []
    for item in items[:warm]:
        try:
            ask(store, item)
        except Exception:  # noqa: BLE001 - counted below
            pass
    times: list[float] = []
    cpu: list[float] = []
    for item in items:
        began, began_cpu = time.perf_counter(), time.process_time()
        try:
            found = ask(store, item)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports failures, it does not stop
            errors += 1
            print(f"    error on {item!r}: {type(exc).__name__}: {exc}", flush=True)
            found = None
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        sizes.append(_size(found))
    times.sort()
    cpu.sort()
    return {
        "p50": statistics.median(times),
        "p95": _p95(times),
        # This process's CPU time: what the question costs here, whatever else the machine is doing
        # (for Neo4j the server's share is not in it).
        "cpu_p50": statistics.median(cpu),
        "cpu_p95": _p95(cpu),
        "max": times[-1],
        "errors": errors,
        "mean_size": statistics.mean(sizes) if sizes else 0,
    }


def _p95(values: list[float]) -> float:
    return values[max(0, round(0.95 * len(values)) - 1)]


def _size(found: Any) -> int:
    if found is None:
        return 0
    if hasattr(found, "nodes") and isinstance(found.nodes, list):
        return len(found.nodes)
    if hasattr(found, "network"):
        return len(found.network.nodes)
    if isinstance(found, list):
        return len(found)
    return 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--size", choices=sorted(SIZES), default="M")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=100, help="timed calls per question")
    ap.add_argument("--warm", type=int, default=10, help="untimed calls per question first")
    ap.add_argument("--data", type=Path, help="generated tables (made there when missing)")
    ap.add_argument("--db", type=Path, help="embedded store file (loaded when missing)")
    ap.add_argument("--skip-neo4j", action="store_true")
    ap.add_argument("--skip-embedded", action="store_true")
    ap.add_argument("--load-neo4j", action="store_true", help="empty and load NEO4J_URI's database")
    ap.add_argument("--neo4j-heap", default="2g")
    ap.add_argument("--neo4j-pagecache", default="1g")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="crimegraph-queries-bench-"))
    data = args.data or work / "data"
    if not (data / "transactions.csv").exists():
        generate(data, SIZES[args.size], args.seed)
    files = [data / f"{name}.csv" for name in TABLES]
    db = args.db or work / "embedded.db"
    fresh = not db.exists()
    embedded = EmbeddedStore(db, default_model())
    if fresh:
        print(f"loading embedded store {db} ...", flush=True)
        print(f"  loaded in {load(embedded, files):.1f} s", flush=True)
    began = time.perf_counter()
    stats = embedded.stats(clearance=CALLER).as_dict()
    print(
        f"size {args.size}: {stats['total_nodes']:,} nodes, {stats['total_edges']:,} edges "
        f"(embedded index built in {time.perf_counter() - began:.1f} s)",
        flush=True,
    )
    chosen = inputs(embedded, args.runs, args.seed)
    results: dict[tuple[str, str], dict[str, Any]] = {}
    stores: list[tuple[str, GraphStore]] = []
    if not args.skip_embedded:
        stores.append(("embedded", embedded))
    server = None
    uri: str | None = None
    auth = ("", "")
    if not args.skip_neo4j:
        uri = os.environ.get("NEO4J_URI")
        auth = (os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "crimegraph-test"))
        if not uri:
            server = _server_module().start(
                work / "neo4j", 0, args.neo4j_heap, args.neo4j_pagecache, auth[1], quiet=True
            )
            uri = server.uri
    try:
        if uri is not None:
            driver = neo4j.GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
            remote = Neo4jStore(driver, default_model())
            stores.append(("neo4j", remote))
            if server is not None or args.load_neo4j:
                remote.clear()
                print("loading Neo4j ...", flush=True)
                print(f"  loaded in {load(remote, files):.1f} s", flush=True)
        for name, store in stores:
            for question, (items, ask) in questions(chosen).items():
                results[question, name] = measure(store, items, ask, args.warm)
                r = results[question, name]
                print(
                    f"{name:<9}{question:<20} p50 {r['p50']:8.1f} ms  p95 {r['p95']:8.1f} ms  "
                    f"max {r['max']:8.1f} ms  client CPU p50 {r['cpu_p50']:6.1f} p95 {r['cpu_p95']:6.1f} ms  "
                    f"errors {r['errors']}  mean result size {r['mean_size']:.0f}",
                    flush=True,
                )
    finally:
        for _, store in stores:
            store.close()
        if server is not None:
            server.stop()
    print()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs while measuring")
    print(f"{'question':<20}{'store':<10}{'p50 ms':>9}{'p95 ms':>9}{'CPU p50':>9}{'CPU p95':>9}  target")
    for (question, name), r in results.items():
        target = TARGETS_P95_MS.get((question, name))
        verdict = "" if target is None else f"p95 ≤ {target:.0f} {'met' if r['p95'] <= target else 'MISSED'}"
        print(
            f"{question:<20}{name:<10}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['cpu_p50']:>9.1f}{r['cpu_p95']:>9.1f}"
            f"  {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
