"""Ingest benchmark: records/s and peak memory loading a generated ecosystem (``loaders.generate``)

(a) into the embedded store (a SQLite file), (b) into Neo4j through ``Neo4jStore`` (batched
``UNWIND … MERGE``), and (c) into the same Neo4j by a naive loader: one parameterised ``MERGE``
statement per record, each in its own auto-commit transaction, timed on a sample and extrapolated;
and (d) the floor: the same nodes and relationships created by the barest ``UNWIND … CREATE``
statements (a key per node, nothing on relationships, no lookups), i.e. what the server alone takes.
Two more floors show where the time of (a) and (b) goes: (a0) reading and checking the records alone,
no store, and (e) the graph (b) stores, every property included, created in Neo4j from rows built
beforehand (``Neo4jStore``'s own statements, no reading, checking, merging or lookups).
(f) ``crimegraph bulk-load``: the same loading into memory, the store's layout written as files and
``neo4j-admin database import full`` (from the Neo4j jars) building a new database, end to end; its
floor (f0) is (a0) plus the importer's own time on the files (f) wrote, run again into a new database.
Targets: (f) at least 5x (b)'s records/s and at least 0.7 of (f0)'s; where 5x (b) lies beyond (f0)'s
records/s, at least 0.8 of (f0)'s counts as 5x.

    python benchmarks/ingest.py --size M            # S, M or L (1k, 10k, 100k actors)
    python benchmarks/ingest.py --size S --skip-neo4j --profile

Before the timed Neo4j phases the server is warmed up by an untimed load of size S (``--cold`` skips it):
a freshly started JVM spends its first minutes compiling, which would be charged to whichever phase ran
first.

Neo4j: NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD when set (the database must be empty, or pass
--allow-clear), else a server started with .ci/neo4j/neo4j_server.py in a temporary directory.
Each loader runs in a fresh child process; its peak memory is the child's ru_maxrss (resident set
high-water mark) minus its resident set just before loading.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import importlib.util
import io
import json
import math
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from graph_model.entities import Edge, Node  # noqa: E402
from graph_model.heap import fewer_collections  # noqa: E402
from graph_model.model import default_model  # noqa: E402
from graph_model.provenance import TLP  # noqa: E402
from graph_model.store import cypher  # noqa: E402
from graph_model.store.codec import edge_row, node_row  # noqa: E402
from graph_model.store.embedded import EmbeddedStore  # noqa: E402
from graph_model.store.neo4j_store import Neo4jStore, edge_params, node_params  # noqa: E402
from loaders.csv_tables import read  # noqa: E402
from loaders.generate import SIZES, GenerateReport, generate  # noqa: E402
from loaders.ingest import BULK_NAMED, RecordChecker, ingest, ingest_read_apart  # noqa: E402
from loaders.records import NAMED_LIMIT, LoadContext, Record  # noqa: E402

TARGETS = {"embedded": 50_000.0, "neo4j": 20_000.0}
RATIO_TARGET = 20.0
BULK_RATIO = 5.0  # (f) over (b)
BULK_FLOOR = 0.7  # (f) over (f0)
BEYOND_FLOOR = 0.8  # (f) over (f0) that counts as 5x when 5x (b) lies beyond (f0)


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _records(files: list[Path], named: int = NAMED_LIMIT) -> Iterator[Record]:
    ctx = LoadContext(default_model(), "synthetic", named=named)
    for path in files:
        yield from read(path, ctx)


def _measure(load: Any, profile: bool) -> dict[str, Any]:
    """Run ``load()`` (returns records read); wall and CPU seconds, memory, and a profile if asked."""
    base = _rss_mib()
    profiler = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = load()
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {**result, "seconds": wall, "cpu": cpu, "peak_mib": max(0.0, peak - base)}
    if profiler:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(30)
        out["profile"] = text.getvalue()
    return out


def _stats_of(store: Any) -> tuple[int, int]:
    stats = store.stats(clearance=TLP.RED).as_dict()
    return int(stats["total_nodes"]), int(stats["total_edges"])


def embedded_phase(files: list[Path], db: str, batch: int | None, profile: bool) -> dict[str, Any]:
    """Child process: load every file into a fresh embedded store file, closing it (the final WAL
    checkpoint is part of the load), then count what a new connection finds."""

    for stale in Path(db).parent.glob(Path(db).name + "*"):
        stale.unlink()

    def load() -> dict[str, Any]:
        store = EmbeddedStore(db, default_model())
        summary = ingest(store, _records(files), batch_size=batch)
        store.close()
        return {"records": summary.read, "rejected": summary.rejected}

    result = _measure(load, profile)
    store = EmbeddedStore(db, default_model())
    result["nodes"], result["edges"] = _stats_of(store)
    store.close()
    return result


def reading_phase(files: list[Path]) -> dict[str, Any]:
    """Child process: read and check every record as ``ingest`` does, and store nothing; the nodes named by
    rows kept as bulk-load keeps them (more than ``ingest`` does: a lower floor for (a) and (b))."""

    def load() -> dict[str, Any]:
        check = RecordChecker(default_model(), keep=BULK_NAMED)
        read = rejected = 0
        with fewer_collections():
            for record in _records(files, BULK_NAMED):
                read += 1
                if record.error is None and record.skipped is None:
                    check(record)
                else:
                    rejected += record.error is not None
        return {"records": read, "rejected": rejected}

    return _measure(load, False)


def _neo4j(uri: str, auth: tuple[str, str]) -> Any:
    import neo4j

    driver = neo4j.GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
    return Neo4jStore(driver, default_model(), database="neo4j")


def _reset(store: Any) -> None:
    """Empty the database: relationships first, then nodes, in small transactions.

    ``Neo4jStore.clear()`` (``DETACH DELETE`` 10,000 nodes a transaction) exceeds the transaction
    memory pool of a 1 GiB heap once hubs hold tens of thousands of relationships (size M).
    """
    with store.driver.session(database="neo4j") as session:
        session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 5000 ROWS").consume()
        session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 5000 ROWS").consume()


def neo4j_phase(
    files: list[Path], uri: str, auth: tuple[str, str], batch: int | None, profile: bool
) -> dict[str, Any]:
    """Child process: empty the database, then load every file through Neo4jStore."""
    store = _neo4j(uri, auth)
    _reset(store)

    def load() -> dict[str, Any]:
        summary = ingest(store, _records(files), batch_size=batch)
        return {"records": summary.read, "rejected": summary.rejected}

    result = _measure(load, profile)
    result["nodes"], result["edges"] = _stats_of(store)
    store.close()
    return result


def naive_statement(record: Record) -> tuple[str, dict[str, Any]]:
    """One MERGE statement for all nodes and edges of a record; labels and types checked by the schema."""
    model = default_model()
    clauses: list[str] = []
    params: dict[str, Any] = {}
    names: dict[str, str] = {}
    for item in record.items:
        if isinstance(item, Node) and item.key not in names:
            n = names[item.key] = f"n{len(names)}"
            kind = cypher.label(model, item.kind)
            clauses.append(f"MERGE ({n}:{cypher.ENTITY} {{key: ${n}k}}) SET {n} += ${n}p SET {n}:{kind}")
            params[f"{n}k"], params[f"{n}p"] = item.key, node_row(item)
    for j, item in enumerate(i for i in record.items if isinstance(i, Edge)):
        ends = []
        for end in (item.source, item.target):
            if end not in names:
                n = names[end] = f"n{len(names)}"
                clauses.append(f"MERGE ({n}:{cypher.ENTITY} {{key: ${n}k}})")
                params[f"{n}k"] = end
            ends.append(names[end])
        rel = cypher.label(model, item.type)
        clauses.append(f"MERGE ({ends[0]})-[r{j}:{rel} {{key: $r{j}k}}]->({ends[1]}) SET r{j} += $r{j}p")
        params[f"r{j}k"], params[f"r{j}p"] = item.key, edge_row(item)
    return "\n".join(clauses), params


def naive_phase(
    files: list[Path], uri: str, auth: tuple[str, str], sample: int, total: int
) -> dict[str, Any]:
    """Child process: empty the database, then write an evenly spread sample, one auto-commit MERGE each."""
    store = _neo4j(uri, auth)
    _reset(store)
    stride = max(1, total // sample)
    chosen = [r for i, r in enumerate(_records(files)) if i % stride == 0 and r.error is None][:sample]

    def load() -> dict[str, Any]:
        with store.driver.session(database="neo4j") as session:
            for record in chosen:
                text, params = naive_statement(record)
                session.run(text, params).consume()
        return {"records": len(chosen), "rejected": 0}

    result = _measure(load, False)
    _reset(store)
    store.close()
    return result


def floor_phase(db: str, uri: str, auth: tuple[str, str], batch: int) -> dict[str, Any]:
    """Child process: the same nodes and relationships (read back from the embedded file) created in Neo4j
    by the barest statements possible - a key per node, no relationship property, no lookup of what
    exists, no merging - to show what the server alone can take on this machine."""
    import sqlite3

    store = _neo4j(uri, auth)
    _reset(store)
    conn = sqlite3.connect(db)
    nodes = [r[0] for r in conn.execute("SELECT key FROM nodes")]
    edges: dict[str, list[list[str]]] = {}
    for etype, source, target in conn.execute("SELECT type, source, target FROM edges"):
        edges.setdefault(etype, []).append([source, target])
    conn.close()
    model = default_model()

    def load() -> dict[str, Any]:
        with store.driver.session(database="neo4j") as session:
            for start in range(0, len(nodes), batch):
                rows = nodes[start : start + batch]
                session.run(f"UNWIND $rows AS k CREATE (:{cypher.ENTITY} {{key: k}})", rows=rows).consume()
            for etype, pairs in edges.items():
                rel = cypher.label(model, etype)
                statement = (
                    f"UNWIND $rows AS row MATCH (a:{cypher.ENTITY} {{key: row[0]}}) "
                    f"MATCH (b:{cypher.ENTITY} {{key: row[1]}}) CREATE (a)-[:{rel}]->(b)"
                )
                for start in range(0, len(pairs), batch):
                    session.run(statement, rows=pairs[start : start + batch]).consume()
        return {"records": len(nodes) + sum(map(len, edges.values())), "rejected": 0}

    result = _measure(load, False)
    _reset(store)
    store.close()
    return result


def stored_floor_phase(db: str, uri: str, auth: tuple[str, str], batch: int, records: int) -> dict[str, Any]:
    """Child process: the graph (b) stores, read back from the embedded file and created in Neo4j with
    ``Neo4jStore``'s own CREATE statements and property rows, built before the clock starts (only the
    relationships' end ids wait for the nodes' creation): no reading, checking, merging or lookups, every
    property and index as (b) has them. Reported against the records of the input, as (b) is."""
    store = _neo4j(uri, auth)
    _reset(store)
    model = default_model()
    embedded = EmbeddedStore(db, model)
    nodes, edges = embedded._scan(TLP.RED, None, frozenset(model.edges))  # every node and edge, as stored
    node_rows: dict[str, list[dict[str, Any]]] = {}
    for node in nodes:
        node_rows.setdefault(node.kind, []).append(node_params(model, node))
    edge_rows: dict[str, list[dict[str, Any]]] = {}
    for edge in edges:
        edge_rows.setdefault(edge.type, []).append(edge_params(edge, edge.source, edge.target))
    embedded.close()

    def load() -> dict[str, Any]:
        elements: dict[str, str] = {}
        with store.driver.session(database="neo4j") as session:
            for kind, rows in node_rows.items():
                statement = cypher.create_nodes(model, kind)
                for start in range(0, len(rows), batch):
                    for r in session.run(statement, rows=rows[start : start + batch]):
                        elements[r["key"]] = r["element_id"]
            for etype, rows in edge_rows.items():
                for row in rows:
                    row["source"], row["target"] = elements[row["source"]], elements[row["target"]]
                statement = cypher.create_edges(model, etype)
                for start in range(0, len(rows), batch):
                    session.run(statement, rows=rows[start : start + batch]).consume()
        return {"records": records, "rejected": 0}

    result = _measure(load, False)
    _reset(store)
    store.close()
    return result


def _bulk_home(home: Path) -> tuple[Any, Path]:
    """A stopped Neo4j installation in ``home`` (the jars, a configuration) to import into."""
    module = _server_module()
    home.mkdir(parents=True)
    (home / "lib").symlink_to(module.ensure_jars())
    module.write_conf(home, module.free_port(), "1g", "512m")
    return module, home


def bulk_phase(files: list[Path], work: str) -> dict[str, Any]:
    """Child process: ``crimegraph bulk-load`` end to end (its own functions, as the command runs them)."""
    from backend.export.neo4j_admin import run_import, write_bulk_files, writers
    from graph_model.heap import collection_paused
    from graph_model.store.neo4j_files import RowsAhead
    from graph_model.store.staging import StagingStore, Stored

    _, home = _bulk_home(Path(work) / "bulk-home")
    folder = Path(work) / "bulk-files"
    folder.mkdir()
    times: dict[str, float] = {}

    def load() -> dict[str, Any]:
        with collection_paused():
            start, cpu = time.perf_counter(), time.process_time()
            staging = StagingStore(default_model())
            ahead = RowsAhead(staging.model)
            staging.written_edges = ahead.waiting
            staging.written_nodes = ahead.nodes_waiting
            (summary,) = ingest_read_apart(
                staging, [lambda: _records(files, BULK_NAMED)], meanwhile=ahead.write_ahead
            )
            staging.written_edges = staging.written_nodes = None
            # Rows left to write once the merge is done (the rest were written ahead).
            times["rows_left"] = len(ahead.waiting) / max(1, len(staging.stored.edges))
            times["node_rows_left"] = len(ahead.nodes_waiting) / max(1, len(staging.stored.nodes))
            times["reading"] = time.perf_counter() - start
            # Which of the two processes set the pace: the merging one (this) or the reading one.
            times["merging_cpu"] = time.process_time() - cpu
            reader = resource.getrusage(resource.RUSAGE_CHILDREN)
            times["reading_cpu"] = reader.ru_utime + reader.ru_stime
            made = write_bulk_files(folder, staging.model, staging.stored, workers=writers(), ahead=ahead)
            times["writing"] = time.perf_counter() - start - times["reading"]
            counts = {"nodes": len(staging.stored.nodes), "edges": len(staging.stored.edges)}

            def let_go() -> None:  # as the command does, while the importer runs
                staging.stored = Stored()
                ahead.clear()

            run_import(home, made, meanwhile=let_go)
            times["importing"] = time.perf_counter() - start - times["reading"] - times["writing"]
            return {
                "records": summary.read,
                "rejected": summary.rejected,
                **counts,
                "files": (made.nodes, made.relationships, made.multiline),
            }

    result = _measure(load, False)
    # The forked writers' peak (the largest one's ru_maxrss: their pages are the loader's, shared until
    # written to, so this counts what they copied and more).
    result["writer_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {**result, **times}


def importer_phase(work: str, files: tuple[list[str], list[str], tuple[str, ...] | None]) -> dict[str, Any]:
    """Child process: the importer alone on the files (f) wrote, into a new database (part of (f0)), with
    the options (f) gave it."""
    from backend.export.files import Written
    from backend.export.neo4j_admin import ImportFolder, run_import

    _, home = _bulk_home(Path(work) / "floor-home")
    made = ImportFolder(Path(work) / "bulk-files", files[0], files[1], Written(), files[2])
    return _measure(lambda: (run_import(home, made), {"records": 0, "rejected": 0})[1], False)


def sample_files(files: list[Path], stride: int, folder: Path) -> list[Path]:
    """Every ``stride``-th data row of each file (header kept), as files of the same names in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for path in files:
        with (
            path.open(newline="", encoding="utf-8") as src,
            (folder / path.name).open("w", newline="", encoding="utf-8") as dst,
        ):
            rows, writer = csv.reader(src), csv.writer(dst, lineterminator="\n")
            writer.writerow(next(rows))
            writer.writerows(row for i, row in enumerate(rows) if i % stride == 0)
        out.append(folder / path.name)
    return out


def sampled_neo4j_phase(
    files: list[Path], uri: str, auth: tuple[str, str], batch: int | None, stride: int
) -> dict[str, Any]:
    """Child process: (b) on an evenly spread sample (every ``stride``-th row of each file), loaded as (b)
    loads the whole set: for sizes whose whole online load takes too long to wait for."""
    result = neo4j_phase(files, uri, auth, batch, False)
    result["stride"] = stride
    store = _neo4j(uri, auth)
    _reset(store)
    store.close()
    return result


def _warm_up(data: Path, seed: int, uri: str, auth: tuple[str, str], batch: int | None) -> None:
    """An untimed load of size S before any timed Neo4j phase: a fresh JVM spends its first minutes
    compiling hot code (measured: ~80 CPU-seconds of JIT compiler threads during a cold load of M), which a
    running team server has long done. Every phase then meets the same warm server."""
    report = generate(data, SIZES["S"], seed)
    began = time.perf_counter()
    _child(neo4j_phase, list(report.tables), uri, auth, batch, False)
    print(
        f"Neo4j warmed up by an untimed load of {report.total_rows:,} records (size S, seed {seed}) in "
        f"{time.perf_counter() - began:.1f} s (--cold skips this)",
        flush=True,
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


def _server_cpu(server: Any) -> float:
    """CPU seconds the local Neo4j server's JVM has used so far (0 when the server is not ours)."""
    if server is None:
        return 0.0
    fields = Path(f"/proc/{server.pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _child(function: Any, *args: Any) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        result: dict[str, Any] = pool.submit(function, *args).result()
    return result


def _generated(data: Path, size: str, seed: int, reuse: bool) -> tuple[GenerateReport, float]:
    """The generated ecosystem in ``data``: made now, or with ``reuse`` the one made there before with the
    same size and seed (its report kept beside it); and the seconds generating took."""
    kept = data / "benchmark-report.json"
    if reuse and kept.is_file():
        saved = json.loads(kept.read_text())
        if (saved["actors"], saved["seed"]) == (SIZES[size], seed):
            files = tuple(data / name for name in saved["files"])
            keep = {k: saved[k] for k in ("rows", "nodes", "node_types", "edges")}
            return GenerateReport(data, seed, SIZES[size], files, **keep), 0.0
    t0 = time.perf_counter()
    report = generate(data, SIZES[size], seed)
    made = time.perf_counter() - t0
    saved = {
        "actors": report.actors,
        "seed": seed,
        "files": [f.name for f in report.files],
        **{k: getattr(report, k) for k in ("rows", "nodes", "node_types", "edges")},
    }
    kept.write_text(json.dumps(saved))
    return report, made


def _row(name: str, r: dict[str, Any], target: float | None, note: str = "") -> str:
    rate = r["records"] / r["seconds"]
    cpu_rate = r["records"] / r["cpu"] if r["cpu"] else 0.0
    verdict = "" if target is None else f"≥ {target:,.0f} {'met' if rate >= target else 'MISSED'}"
    return (
        f"{name:<34}{r['records']:>10,}{r['seconds']:>10.1f}{rate:>12,.0f}{r['cpu']:>10.1f}{cpu_rate:>14,.0f}"
        f"{r['peak_mib']:>11.0f}  {verdict}{note}"
    )


class _Done(Exception):
    """The phases asked for have run."""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--size", choices=sorted(SIZES), default="M")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data", type=Path, help="generate into this directory and keep it; default a temp dir")
    ap.add_argument("--skip-neo4j", action="store_true")
    ap.add_argument("--batch-size", type=int, help="nodes and edges per transaction; default the store's")
    ap.add_argument(
        "--cold", action="store_true", help="measure Neo4j without the untimed warm-up load first"
    )
    ap.add_argument("--naive-sample", type=int, default=20_000)
    ap.add_argument("--neo4j-heap", default="2g")
    ap.add_argument("--neo4j-pagecache", default="1g")
    ap.add_argument(
        "--allow-clear", action="store_true", help="allow clearing a non-empty NEO4J_URI database"
    )
    ap.add_argument(
        "--profile", action="store_true", help="run the loaders under cProfile and print hotspots"
    )
    ap.add_argument("--skip-bulk", action="store_true", help="leave out (f) bulk-load and its floor")
    ap.add_argument(
        "--reuse-data",
        action="store_true",
        help="with --data: reuse the ecosystem generated there before with the same size and seed",
    )
    ap.add_argument(
        "--bulk-only",
        action="store_true",
        help="only what the bulk-load targets compare: (a0), (f), (f0) and (b); no (a), (c), (d), (e)",
    )
    ap.add_argument(
        "--online-sample",
        type=int,
        metavar="ROWS",
        help="also run (b) on about ROWS rows (every n-th row of each file) and extrapolate its rate",
    )
    ap.add_argument(
        "--online-sample-only",
        action="store_true",
        help="with --online-sample: run (b) only on the sample (for L, whose whole online load takes hours)",
    )
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="crimegraph-bench-"))
    data = args.data or work / "data"
    report, made = _generated(data, args.size, args.seed, args.reuse_data)
    files = list(report.tables)
    origin = f"generated in {made:.1f} s" if made else "generated before, reused"
    print(
        f"crimegraph ingest benchmark - size {args.size} (--actors {SIZES[args.size]:,}, seed {args.seed}): "
        f"{report.total_rows:,} records, {report.total_nodes:,} nodes, {report.total_edges:,} edges "
        f"({origin}, {data}); load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    header = f"{'loader':<34}{'records':>10}{'wall s':>10}{'records/s':>12}{'CPU s':>10}{'records/CPU s':>14}"
    header += f"{'peak MiB':>11}  target"
    rows: list[str] = []
    results: dict[str, dict[str, Any]] = {}
    if not args.bulk_only:
        results["embedded"] = _child(
            embedded_phase, files, str(work / "embedded.db"), args.batch_size, args.profile
        )
        name = f"(a) embedded, batch {args.batch_size or EmbeddedStore.batch_size}"
        rows.append(_row(name, results["embedded"], TARGETS["embedded"]))
        print(rows[-1], flush=True)
    reading = _child(reading_phase, files)
    rows.append(_row("(a0) reading + checking, no store", reading, None, "  floor of (a) and (b)"))
    print(rows[-1], flush=True)
    if not args.skip_bulk:
        bulk = results["bulk"] = _child(bulk_phase, files, str(work))
        note = (
            f"  reading + merging {bulk['reading']:.1f} s (CPU: reading process {bulk['reading_cpu']:.1f} s, "
            f"merging process {bulk['merging_cpu']:.1f} s), writing {bulk['writing']:.1f} s "
            f"({bulk['rows_left']:.0%} of the relationship rows and {bulk['node_rows_left']:.0%} of the node "
            "rows left, the rest written ahead), "
            f"importer {bulk['importing']:.1f} s"
        )
        rows.append(_row("(f) bulk-load (neo4j-admin import)", bulk, None, note))
        print(rows[-1], flush=True)
        importer = _child(importer_phase, str(work), bulk.pop("files"))
        floor_s = reading["seconds"] + importer["seconds"]
        floor_row = {**reading, "seconds": floor_s, "cpu": reading["cpu"] + importer["cpu"]}
        floor_row["peak_mib"] = max(reading["peak_mib"], importer["peak_mib"])
        note = f"  (a0) {reading['seconds']:.1f} s + importer alone {importer['seconds']:.1f} s"
        rows.append(_row("(f0) floor of (f)", floor_row, None, note))
        print(rows[-1], flush=True)
        results["bulk_floor"] = floor_row
    server = None
    if not args.skip_neo4j:
        uri = os.environ.get("NEO4J_URI")
        auth = (os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "crimegraph-test"))
        if uri:
            store = _neo4j(uri, auth)
            if _stats_of(store)[0] and not args.allow_clear:
                raise SystemExit(f"{uri} holds data; the benchmark clears it: pass --allow-clear")
            store.close()
        else:
            module = _server_module()
            home = work / "neo4j"
            server = module.start(home, 0, args.neo4j_heap, args.neo4j_pagecache, auth[1], quiet=True)
            uri = server.uri
            print(
                f"Neo4j started at {uri} (heap {args.neo4j_heap}, page cache {args.neo4j_pagecache})",
                flush=True,
            )
        try:
            if not args.cold:
                _warm_up(work / "warm", args.seed + 1, uri, auth, args.batch_size)
            batch = args.batch_size or Neo4jStore.batch_size
            if not args.online_sample_only:
                cpu_before = _server_cpu(server)
                results["neo4j"] = _child(neo4j_phase, files, uri, auth, args.batch_size, args.profile)
                server_cpu = _server_cpu(server) - cpu_before
                note = f"  server CPU {server_cpu:.1f} s" if server is not None else ""
                rows.append(
                    _row(f"(b) neo4j Neo4jStore, batch {batch}", results["neo4j"], TARGETS["neo4j"], note)
                )
                print(rows[-1], flush=True)
                if server is not None:
                    results["neo4j"]["server_mib"] = server.rss_mib()
            if args.online_sample:
                stride = max(1, math.ceil(report.total_rows / args.online_sample))
                sample = sample_files(files, stride, work / "sample")
                cpu_before = _server_cpu(server)
                sampled = results["neo4j_sample"] = _child(
                    sampled_neo4j_phase, sample, uri, auth, args.batch_size, stride
                )
                server_cpu = _server_cpu(server) - cpu_before
                full = report.total_rows / (sampled["records"] / sampled["seconds"]) / 60
                note = f"  every {stride}th row; full set ≈ {full:,.0f} min"
                note += f"; server CPU {server_cpu:.1f} s" if server is not None else ""
                rows.append(_row(f"(b) sampled, batch {batch}", sampled, TARGETS["neo4j"], note))
                print(rows[-1], flush=True)
            if args.bulk_only:
                raise _Done
            naive = _child(naive_phase, files, uri, auth, args.naive_sample, report.total_rows)
            results["naive"] = naive
            full = report.total_rows / (naive["records"] / naive["seconds"]) / 60
            rows.append(
                _row("(c) neo4j naive MERGE per record", naive, None, f"  sample; full set ≈ {full:,.0f} min")
            )
            print(rows[-1], flush=True)
            cpu_before = _server_cpu(server)
            floor = _child(floor_phase, str(work / "embedded.db"), uri, auth, 10_000)
            server_cpu = _server_cpu(server) - cpu_before
            note = "  nodes+relationships, not records"
            note += f"; server CPU {server_cpu:.1f} s" if server is not None else ""
            rows.append(_row("(d) neo4j floor: bare CREATE", floor, None, note))
            print(rows[-1], flush=True)
            cpu_before = _server_cpu(server)
            stored = _child(
                stored_floor_phase,
                str(work / "embedded.db"),
                uri,
                auth,
                args.batch_size or Neo4jStore.batch_size,
                report.total_rows,
            )
            server_cpu = _server_cpu(server) - cpu_before
            note = "  rows prebuilt; records of the input"
            note += f"; server CPU {server_cpu:.1f} s" if server is not None else ""
            rows.append(_row("(e) neo4j floor: (b)'s graph", stored, None, note))
            print(rows[-1], flush=True)
        except _Done:
            pass
        finally:
            if server is not None:
                server.stop()
    print()
    print(header)
    print("\n".join(rows))
    for name, r in results.items():
        if name not in ("naive", "bulk_floor", "neo4j_sample") and (
            r["nodes"],
            r["edges"],
            r["rejected"],
        ) != (
            report.total_nodes,
            report.total_edges,
            0,
        ):
            stored = f"{r['nodes']:,} nodes / {r['edges']:,} edges"
            print(f"WARNING {name}: stored {stored}, {r['rejected']} rejected")
    if "naive" in results:
        batched = results["neo4j"]["records"] / results["neo4j"]["seconds"]
        naive_rate = results["naive"]["records"] / results["naive"]["seconds"]
        ratio = batched / naive_rate
        verdict = "met" if ratio >= RATIO_TARGET else "MISSED"
        shown = math.floor(ratio * 10) / 10  # rounded down: 19.96x must not print as 20.0x, MISSED
        print(f"batched / naive Neo4j: {shown:.1f}x (target ≥ {RATIO_TARGET:.0f}x {verdict})")
        if results["neo4j"].get("server_mib"):
            print(f"Neo4j server RSS after the batched load: {results['neo4j']['server_mib']:,.0f} MiB")
    if "bulk" in results:
        bulk_rate = results["bulk"]["records"] / results["bulk"]["seconds"]
        of_floor = results["bulk_floor"]["seconds"] / results["bulk"]["seconds"]
        verdict = "met" if of_floor >= BULK_FLOOR else "MISSED"
        print(
            f"bulk-load / its floor (f0): {math.floor(of_floor * 100) / 100:.2f} "
            f"(target ≥ {BULK_FLOOR} {verdict})"
        )
        floor_rate = results["bulk_floor"]["records"] / results["bulk_floor"]["seconds"]
        for name, what in (("neo4j", "(b)"), ("neo4j_sample", "(b) on its sample, extrapolated")):
            if name in results:
                online = results[name]["records"] / results[name]["seconds"]
                ratio = bulk_rate / online
                shown = math.floor(ratio * 10) / 10
                if ratio >= BULK_RATIO:
                    verdict = "met"
                elif BULK_RATIO * online > floor_rate:  # beyond the floor: at least 0.8 of it counts
                    share = math.floor(of_floor * 100) / 100
                    verdict = (
                        f"beyond the floor: {BULK_RATIO * online:,.0f} records/s against (f0)'s "
                        f"{floor_rate:,.0f}; bulk-load at {share:.2f} of the floor, "
                        f"{'met' if of_floor >= BEYOND_FLOOR else 'MISSED'} (≥ {BEYOND_FLOOR} counts)"
                    )
                else:
                    verdict = "MISSED"
                print(
                    f"bulk-load / online Neo4j loader {what}: {shown:.1f}x "
                    f"(target ≥ {BULK_RATIO:.0f}x {verdict})"
                )
        print(
            f"bulk-load peak memory: {results['bulk']['peak_mib']:,.0f} MiB in the loader, "
            f"{results['bulk']['writer_mib']:,.0f} MiB ru_maxrss of its largest forked file writer "
            "(pages shared with the loader until written to)"
        )
    print(
        "peak MiB: the loader child's ru_maxrss minus its RSS before loading; CPU s: the child's own CPU"
        " time (Neo4j server CPU not included); records/s is wall-clock."
    )
    for name, r in results.items():
        if "profile" in r:
            print(f"\n===== cProfile of {name} =====\n{r['profile']}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
