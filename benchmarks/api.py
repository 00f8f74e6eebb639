"""GraphQL API latency and throughput over real HTTP on a generated ecosystem, both stores in one run.

For each store the API runs as ``crimegraph serve --workers N`` in its own process (``--workers``, 0 = the
shipped default: one per CPU); this process is the client. Measures p50/p95 of node, search, neighbourhood
(depth 2, limit 500), paths (k = 3, maxLength 6), moneyFlow (4 hops) and commonAssociates over keep-alive
HTTP, the same inputs as ``benchmarks/queries.py`` (which gives the same questions without HTTP), then
requests/s and errors of node lookups from 50 concurrent clients. Floors measured in the same run: the
query function alone in-process (embedded), ``{ __typename }`` through the same API (HTTP + auth +
GraphQL, no store) and a bare FastAPI endpoint returning a constant under the same uvicorn (HTTP alone);
for neighbourhood depth 2 also the query function alone on each store (no HTTP, no GraphQL; wall and this
process's CPU), and what the store itself needs at the least: on the embedded store a bare SQLite read of
the answer's rows (its nodes by key and its edges by hash), on Neo4j the bare Bolt round trip of a one-hop
Cypher query from the seed (``LIMIT 500``) and a bare two-hop expansion of the seed (``LIMIT 500``). Each
figure is printed with its ratio to the floor.

    python benchmarks/api.py --size M                       # generate, load both stores, measure
    python benchmarks/api.py --size M --workers 1           # the API as one process
    python benchmarks/api.py --data /tmp/m --db /tmp/m.db --skip-neo4j      # reuse a load

Neo4j: as in benchmarks/queries.py (NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD, --load-neo4j to load it; else
a server started with .ci/neo4j/neo4j_server.py in a temporary directory and loaded). Each question's
line also gives the CPU time per timed request of the API's processes, of Neo4j (the server it started, or
NEO4J_PID's process), of this client and of anything else on the machine, and the time this client spent in
its own garbage collector: what a p95 is made of besides waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import graphql  # noqa: E402
import httpx  # noqa: E402
import neo4j  # noqa: E402

from backend.api.schema import build_schema  # noqa: E402
from backend.api.server import free_port  # noqa: E402
from backend.commands.api import workers_for  # noqa: E402
from backend.settings import ApiSettings  # noqa: E402
from graph_model.model import default_model  # noqa: E402
from graph_model.store import GraphStore  # noqa: E402
from graph_model.store.embedded import EmbeddedStore, key_hash  # noqa: E402
from graph_model.store.neo4j_store import Neo4jStore  # noqa: E402
from loaders.generate import SIZES, generate  # noqa: E402
from queries.neighbourhood import neighbourhood  # noqa: E402

KEY = "benchmark-key-0123456789abcdef"
# p95 targets (ms) of issue 21; node lookups on Neo4j at 50 clients: 2,000 req/s with 0 errors.
TARGETS = {
    ("neighbourhood d2", "embedded"): 25.0,
    ("neighbourhood d2", "neo4j"): 50.0,
    ("paths k3 len6", "embedded"): 300.0,
    ("paths k3 len6", "neo4j"): 600.0,
    ("timeline hubs", "embedded"): 100.0,
    ("timeline hubs", "neo4j"): 100.0,
    ("money_flow hubs", "embedded"): 100.0,
    ("money_flow hubs", "neo4j"): 100.0,
}
THROUGHPUT_TARGET = 2000.0
SCHEMA_SDL = build_schema(ApiSettings()).as_str()  # the API's schema, for graphql-core alone
HUBS = 20  # the largest hubs timeline and moneyFlow are measured on
LOOKUP_KEYS = 5000
TYPENAME = {"query": "{ __typename }"}
ENTITY = "key kind type name provenance { tlp confidence }"
QUERIES: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "node": (f"query($k: String!) {{ node(key: $k) {{ {ENTITY} }} }}", lambda k: {"k": k}),
    "search": (
        f"query($t: String!) {{ search(text: $t, first: 20) {{ edges {{ node {{ {ENTITY} }} }} }} }}",
        lambda t: {"t": t},
    ),
    "neighbourhood d2": (
        "query($k: [String!]!) { neighbourhood(keys: $k, depth: 2, limit: 500) "
        "{ nodes { key kind name } edges { key type source target } truncated hiddenCount } }",
        lambda k: {"k": [k]},
    ),
    "paths k3 len6": (
        "query($a: String!, $b: String!) { paths(source: $a, target: $b, first: 3, maxLength: 6) "
        "{ edges { node { length nodes { key name } edges { type } } } } }",
        lambda p: {"a": p[0], "b": p[1]},
    ),
    "money_flow 4 hops": (
        "query($w: String!) { moneyFlow(wallet: $w, maxHops: 4) { destinations { edges { node { "
        "node { key } total minHops service } } } "
        "network { nodes { key } edges { key amount: properties } } } }",
        lambda w: {"w": w},
    ),
    "timeline hubs": (
        "query($k: String!) { timeline(key: $k, first: 50) { totalCount edges { node { firstSeen "
        "lastSeen edge { key type } other { key name kind } } } } }",
        lambda k: {"k": k},
    ),
    "money_flow hubs": (
        "query($w: String!) { moneyFlow(wallet: $w, maxHops: 4) { destinations(first: 20) { totalCount "
        "edges { node { node { key } total minHops service } } } network { truncated } } }",
        lambda w: {"w": w},
    ),
    "common_associates": (
        "query($k: [String!]!) { commonAssociates(keys: $k, first: 20) "
        "{ edges { node { node { key name } score why } } } }",
        lambda p: {"k": list(p)},
    ),
}
FLOOR_APP = """
import os
from fastapi import FastAPI
app = FastAPI()
@app.get("/constant")
async def constant() -> dict[str, str]:
    return {"status": "ok"}
if os.environ.get("FLOOR_NEO4J_URI"):
    from neo4j import AsyncGraphDatabase
    auth = (os.environ["FLOOR_NEO4J_USER"], os.environ["FLOOR_NEO4J_PASSWORD"])
    uri = os.environ["FLOOR_NEO4J_URI"]
    driver = AsyncGraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
    @app.post("/node")
    async def node(body: dict[str, str]) -> dict[str, object]:
        async with driver.session(database="neo4j") as session:  # auto-commit: one round trip
            result = await session.run("MATCH (n:Entity {key: $k}) RETURN properties(n) AS p", k=body["k"])
            record = await result.single()
        return record["p"] if record else {}
"""


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


BENCH = _module(REPO / "benchmarks" / "queries.py", "crimegraph_queries_benchmark")


@contextmanager
def process(args: list[str], env: dict[str, str], ready: str) -> Iterator[tuple[str, int]]:
    """A server process until the block ends; yields its base URL and process id once ``ready`` answers
    200."""
    port = free_port()
    proc = subprocess.Popen(
        [*args, "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 900  # opening Neo4j checks its indexes first
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(url + ready, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{args} did not become ready")
            time.sleep(0.3)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, s) of process ``pid`` and its descendants, from /proc (0 when gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        here = todo.pop()
        try:
            fields = Path(f"/proc/{here}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{here}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def machine_busy_seconds() -> float:
    """CPU time (s) the whole machine spent busy (all CPUs; not idle, not waiting for I/O): /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


class GcClock:
    """Time this process spends in its own garbage collector (``gc.callbacks``), to tell it from the
    servers' time in the client's wall figures."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._began = 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._began
            self.collections += 1


GC_CLOCK = GcClock()


def latencies(
    client: httpx.Client, question: str, items: list[Any], warm: int, pids: dict[str, int] | None = None
) -> dict[str, Any]:
    """p50/p95 of ``question`` over ``items`` after ``warm`` untimed requests; with ``pids`` (name ->
    process id), also each process's CPU ms per timed request, and this client's own GC time."""
    query, variables = QUERIES[question]
    errors: list[str] = []
    answers: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (variables, data)

    def ask(item: Any) -> None:
        response = client.post("/graphql", json={"query": query, "variables": variables(item)})
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            errors.append(str(body.get("errors") or response.status_code)[:200])
        elif body.get("data"):
            answers.append((variables(item), body["data"]))

    for item in items[:warm]:
        ask(item)
    errors.clear()
    answers.clear()
    times = []
    cpu_before = {name: cpu_seconds(pid) for name, pid in (pids or {}).items()}
    client_before, machine_before = time.process_time(), machine_busy_seconds()
    gc_before = (GC_CLOCK.seconds, GC_CLOCK.collections)
    for item in items:
        began = time.perf_counter()
        ask(item)
        times.append((time.perf_counter() - began) * 1000)
    cpu = {
        name: (cpu_seconds(pid) - cpu_before[name]) * 1000 / len(items) for name, pid in (pids or {}).items()
    }
    if pids:  # this client, and every other process on the machine (what should be nothing)
        cpu["client"] = (time.process_time() - client_before) * 1000 / len(items)
        machine = (machine_busy_seconds() - machine_before) * 1000 / len(items)
        cpu["anything else"] = max(0.0, machine - sum(cpu.values()))
    times.sort()
    return {
        "cpu_per_request": cpu,
        "gc_ms": (GC_CLOCK.seconds - gc_before[0]) * 1000,
        "gc_count": GC_CLOCK.collections - gc_before[1],
        "p50": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "answers": answers,
    }


def _fields(value: Any) -> int:
    """Fields in a GraphQL answer: every key of every object, at every depth."""
    if isinstance(value, dict):
        return sum(1 + _fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(_fields(v) for v in value)
    return 0


def _by_answer_key(source: Any, info: Any, /, **args: Any) -> Any:
    return source.get(info.path.key)  # the answer's key: the alias where the document gives one


def rendering_floor(question: str, answers: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """What GraphQL itself costs to answer ``question``: graphql-core executing the same document, on the
    API's own schema, over the answers the API gave (each field a dict look-up: no store, no HTTP, no
    auth). p50/p95 ms over the answers, fields in the largest, and ms per 1,000 fields."""
    schema = graphql.build_schema(SCHEMA_SDL)
    document = graphql.parse(QUERIES[question][0])
    if graphql.validate(schema, document):
        raise SystemExit(f"{question}: the benchmark's document does not validate")
    times: list[float] = []
    per_field: list[float] = []
    for given, data in answers:
        for _ in range(2):  # the second run is timed (the first warms graphql-core's caches)
            began = time.perf_counter()
            result = graphql.execute_sync(
                schema, document, root_value=data, variable_values=given, field_resolver=_by_answer_key
            )
            took = (time.perf_counter() - began) * 1000
        if result.errors:
            raise SystemExit(f"{question}: rendering failed: {result.errors[0]}")
        times.append(took)
        per_field.append(took * 1000 / max(1, _fields(data)))
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "fields": max(_fields(data) for _, data in answers),
        "us_per_field": statistics.median(per_field),
    }


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """One HTTP/1.1 keep-alive request on an open connection: (status, body)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


def _request(url: str, body: dict[str, Any] | None) -> bytes:
    host = url.removeprefix("http://")
    if body is None:
        return f"GET /constant HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    payload = json.dumps(body).encode()
    path = "/node" if "query" not in body else "/graphql"
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload


async def _hammer(
    url: str, body_of: Callable[[int], dict[str, Any] | None], clients: int, seconds: float
) -> tuple[float, int, int]:
    """``clients`` concurrent keep-alive connections for ``seconds``: (requests/s, requests, errors).

    A bare asyncio HTTP/1.1 client, so the client spends little of the machine's CPU on itself.
    """
    done = errors = 0
    host, port = url.removeprefix("http://").split(":")
    stop = time.perf_counter() + seconds

    async def one(offset: int) -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(host, int(port))
        i = offset
        try:
            while time.perf_counter() < stop:
                body = body_of(i)
                try:
                    status, answer = await _exchange(reader, writer, _request(url, body))
                    ok = status == 200 and (body is None or b'"errors"' not in answer)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                done += 1
                errors += 0 if ok else 1
                i += clients
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(clients)))
    elapsed = time.perf_counter() - began
    return done / elapsed, done, errors


def throughput(
    url: str, body_of: Callable[[int], dict[str, Any] | None], clients: int, seconds: float
) -> tuple[float, int, int]:
    asyncio.run(_hammer(url, body_of, clients, min(2.0, seconds)))  # warm-up
    return asyncio.run(_hammer(url, body_of, clients, seconds))


def _timed(items: list[Any], ask: Callable[[Any], Any], warm: int) -> dict[str, Any]:
    """p50/p95 wall and this process's CPU of ``ask`` over ``items`` (after ``warm`` untimed calls)."""
    for item in items[:warm]:
        ask(item)
    wall: list[float] = []
    cpu: list[float] = []
    for item in items:
        began, began_cpu = time.perf_counter(), time.process_time()
        ask(item)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    wall.sort()
    cpu.sort()
    return {
        "p50": statistics.median(wall),
        "p95": wall[max(0, round(0.95 * len(wall)) - 1)],
        "cpu_p50": statistics.median(cpu),
        "cpu_p95": cpu[max(0, round(0.95 * len(cpu)) - 1)],
        "errors": 0,
    }


def neighbourhood_floors(
    name: str, store: GraphStore, seeds: list[str], warm: int
) -> dict[str, dict[str, Any]]:
    """Neighbourhood depth 2 as a function call on ``store``, and the store's own floor for it."""

    def ask(seed: str) -> Any:
        return neighbourhood(store, BENCH.CALLER, [seed], depth=2, limit=500)

    found: dict[str, dict[str, Any]] = {"function alone": _timed(seeds, ask, warm)}
    if isinstance(store, EmbeddedStore):
        answers = {seed: ask(seed) for seed in seeds}
        conn = store.conn

        def read_rows(seed: str) -> None:
            network = answers[seed]
            keys = json.dumps([n.key for n in network.nodes])
            conn.execute(
                "SELECT data FROM nodes WHERE key IN (SELECT value FROM json_each(?))", (keys,)
            ).fetchall()
            hashes = json.dumps(sorted({key_hash(e.key) for e in network.edges}))
            conn.execute(
                "SELECT type, source, target, discriminator, data FROM edges WHERE hash IN "
                "(SELECT value FROM json_each(?))",
                (hashes,),
            ).fetchall()

        found["floor: bare SQLite read of the answer's rows"] = _timed(seeds, read_rows, warm)
    elif isinstance(store, Neo4jStore):
        driver = store.driver
        one_hop = "MATCH (a:Entity {key: $k})-[r]-(b:Entity) RETURN b.key AS k LIMIT 500"
        two_hops = "MATCH (a:Entity {key: $k})-[*1..2]-(b:Entity) WITH DISTINCT b RETURN b.key AS k LIMIT 500"
        for label, text in (
            ("floor: bare Bolt one-hop query", one_hop),
            ("bare two-hop expansion", two_hops),
        ):
            found[label] = _timed(
                seeds,
                lambda seed, text=text: driver.execute_query(text, {"k": seed}, database_=store.database),
                warm,
            )
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--size", choices=sorted(SIZES), default="M")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=100, help="timed requests per question")
    ap.add_argument("--warm", type=int, default=10, help="untimed requests per question first")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each throughput phase")
    ap.add_argument("--workers", type=int, default=0, help="crimegraph serve --workers (0: its default)")
    ap.add_argument("--data", type=Path, help="generated tables (made there when missing)")
    ap.add_argument("--db", type=Path, help="embedded store file (loaded when missing)")
    ap.add_argument("--skip-neo4j", action="store_true")
    ap.add_argument("--skip-embedded", action="store_true")
    ap.add_argument("--load-neo4j", action="store_true", help="empty and load NEO4J_URI's database")
    ap.add_argument("--neo4j-heap", default="2g")
    ap.add_argument("--neo4j-pagecache", default="1g")
    ap.add_argument(
        "--only",
        action="append",
        choices=sorted(QUERIES),
        help="measure only this question (repeatable; the throughput phases are left out)",
    )
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="crimegraph-api-bench-"))
    data = args.data or work / "data"
    if not (data / "transactions.csv").exists():
        print(f"generating {args.size} into {data} ...", flush=True)
        generate(data, SIZES[args.size], args.seed)
    files = [data / f"{name}.csv" for name in BENCH.TABLES]
    db = args.db or work / "embedded.db"
    embedded = EmbeddedStore(db, default_model())
    if embedded.stats(clearance=BENCH.CALLER).as_dict()["total_nodes"] == 0:
        print(f"loading embedded store {db} ...", flush=True)
        print(f"  loaded in {BENCH.load(embedded, files):.1f} s", flush=True)
    stats = embedded.stats(clearance=BENCH.CALLER).as_dict()
    print(f"size {args.size}: {stats['total_nodes']:,} nodes, {stats['total_edges']:,} edges", flush=True)
    chosen = BENCH.inputs(embedded, args.runs, args.seed)
    # Throughput looks up 5,000 different entities: few repeats among the lookups in flight at once.
    lookups = random.Random(args.seed + 1).sample(sorted(embedded.index.nodes), LOOKUP_KEYS)
    index = embedded.index
    by_degree = sorted(index.nodes, key=lambda n: (-index.degree(n), n))
    hubs = by_degree[:HUBS]
    wallet_hubs = [n for n in by_degree if index.nodes[n]["kind"] == "Wallet"][:HUBS]
    print(
        f"hubs: {index.degree(hubs[0]):,} to {index.degree(hubs[-1]):,} links; wallets "
        f"{index.degree(wallet_hubs[0]):,} to {index.degree(wallet_hubs[-1]):,}",
        flush=True,
    )
    items = {
        "node": chosen["node"],
        "search": chosen["search"],
        "neighbourhood d2": chosen["neighbourhood"],
        "paths k3 len6": chosen["paths"],
        "money_flow 4 hops": chosen["money"],
        "timeline hubs": [hubs[i % len(hubs)] for i in range(args.runs)],
        "money_flow hubs": [wallet_hubs[i % len(wallet_hubs)] for i in range(args.runs)],
        "common_associates": chosen["associates"],
    }
    if args.only:
        items = {question: inputs for question, inputs in items.items() if question in args.only}
    # Below the API: the query function alone in this process, and the store's own floor.
    floors: dict[tuple[str, str], dict[str, Any]] = {}
    if not args.skip_embedded and "neighbourhood d2" in items:
        for label, r in neighbourhood_floors(
            "embedded", embedded, items["neighbourhood d2"], args.warm
        ).items():
            floors[label, "embedded"] = r
    embedded.close()

    env = {"CRIMEGRAPH_API_KEYS": f"{KEY}:admin:RED", "PYTHONPATH": str(REPO)}
    locations: list[tuple[str, str, dict[str, str]]] = []
    if not args.skip_embedded:
        locations.append(("embedded", f"embedded:{db}", {}))
    server = None
    neo4j_pid = int(os.environ.get("NEO4J_PID", "0"))  # a running Neo4j's process, for its CPU time
    if not args.skip_neo4j:
        uri = os.environ.get("NEO4J_URI")
        auth = (os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "crimegraph-test"))
        if not uri:
            server = BENCH._server_module().start(
                work / "neo4j", 0, args.neo4j_heap, args.neo4j_pagecache, auth[1], quiet=True
            )
            uri = server.uri
            neo4j_pid = server.pid
        if server is not None or args.load_neo4j:
            driver = neo4j.GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
            remote = Neo4jStore(driver, default_model())
            remote.clear()
            print("loading Neo4j ...", flush=True)
            print(f"  loaded in {BENCH.load(remote, files):.1f} s", flush=True)
            remote.close()
        driver = neo4j.GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
        remote = Neo4jStore(driver, default_model())
        if "neighbourhood d2" in items:
            nb_floors = neighbourhood_floors("neo4j", remote, items["neighbourhood d2"], args.warm)
            for label, r in nb_floors.items():
                floors[label, "neo4j"] = r
        remote.close()
        locations.append(("neo4j", uri, {"NEO4J_USER": auth[0], "NEO4J_PASSWORD": auth[1]}))

    results: dict[tuple[str, str], dict[str, Any]] = {}
    rates: dict[str, tuple[float, int, int]] = {}
    node_body: Callable[[int], dict[str, Any] | None] = lambda i: {  # noqa: E731
        "query": QUERIES["node"][0],
        "variables": {"k": lookups[i % len(lookups)]},
    }
    try:
        for name, location, extra in locations:
            command = [
                sys.executable,
                "-m",
                "backend",
                "--store",
                location,
                "serve",
                "--workers",
                str(args.workers),
            ]
            with process(command, {**env, **extra}, "/readyz") as (url, pid):
                headers = {"Authorization": f"Bearer {KEY}"}
                pids = {"API": pid} | ({"Neo4j": neo4j_pid} if name == "neo4j" and neo4j_pid else {})
                with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
                    for question, inputs in items.items():
                        r = results[question, name] = latencies(client, question, inputs, args.warm, pids)
                        cpu = ", ".join(f"{n} {ms:.1f}" for n, ms in r["cpu_per_request"].items())
                        print(
                            f"{name:<9}{question:<20} p50 {r['p50']:8.1f} ms  p95 {r['p95']:8.1f} ms  "
                            f"errors {r['errors']} {r['first_error']}  CPU ms a request: {cpu}; "
                            f"this client's GC {r['gc_ms']:.1f} ms in {r['gc_count']} collections",
                            flush=True,
                        )
                if args.only:
                    continue
                rates[f"node lookups, {name}"] = throughput(url, node_body, args.clients, args.seconds)
                print(
                    f"{name:<9}node lookups, {args.clients} clients: {rates[f'node lookups, {name}']}",
                    flush=True,
                )
                if name == locations[0][0]:
                    rates["{ __typename } (HTTP+auth+GraphQL, no store)"] = throughput(
                        url, lambda i: TYPENAME, args.clients, args.seconds
                    )
        if not args.only:  # the throughput phases' floors
            floor_dir = work / "floor"
            floor_dir.mkdir()
            (floor_dir / "floor_app.py").write_text(FLOOR_APP)
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(floor_dir),
                "floor_app:app",
                "--log-level",
                "warning",
            ]
            command += ["--workers", str(workers_for(args.workers))]
            with process(command, {}, "/constant") as (url, _):
                rates["bare FastAPI constant (HTTP floor)"] = throughput(
                    url, lambda i: None, args.clients, args.seconds
                )
            neo4j_env = next((extra for name, _, extra in locations if name == "neo4j"), None)
            if neo4j_env is not None:
                # The floor of a lookup on Neo4j: HTTP, one Bolt read (the async driver on the event loop)
                # and the server's work, with no GraphQL, no auth, no clearance - under the same workers.
                env_floor = {
                    "FLOOR_NEO4J_URI": next(loc for name, loc, _ in locations if name == "neo4j"),
                    "FLOOR_NEO4J_USER": neo4j_env["NEO4J_USER"],
                    "FLOOR_NEO4J_PASSWORD": neo4j_env["NEO4J_PASSWORD"],
                }
                with process(command, env_floor, "/constant") as (url, _):
                    rates["bare FastAPI + one Bolt read (Neo4j lookup floor)"] = throughput(
                        url, lambda i: {"k": lookups[i % len(lookups)]}, args.clients, args.seconds
                    )
    finally:
        if server is not None:
            server.stop()

    print()
    print(f"{'question':<20}{'store':<10}{'p50 ms':>9}{'p95 ms':>9}  errors  target")
    for (question, name), r in results.items():
        if not r:
            continue
        target = TARGETS.get((question, name))
        verdict = "" if target is None else f"p95 ≤ {target:.0f} {'met' if r['p95'] <= target else 'MISSED'}"
        print(f"{question:<20}{name:<10}{r['p50']:>9.1f}{r['p95']:>9.1f}  {r['errors']:>6}  {verdict}")
    print()
    print(
        "GraphQL's own rendering (graphql-core executing the same document on the API's schema over the "
        "API's answers), beside the store's floor where measured; 'of floor' = (rendering p95 + store floor "
        "p95) / API p95, where a target lies below that floor (>= 0.8 counts as met):"
    )
    print(
        f"{'question':<20}{'store':<10}{'API p95':>9}{'render p50':>11}{'p95':>8}{'fields':>8}{'us/field':>9}"
        f"{'store floor':>12}{'floor':>8}  target"
    )
    for (question, name), r in results.items():
        if not r.get("answers"):
            continue
        rf = rendering_floor(question, r["answers"])
        store_floor = next(
            (f["p95"] for (lb, n), f in floors.items() if n == name and lb.startswith("floor"))
            if question == "neighbourhood d2"
            else iter(()),
            0.0,
        )
        floor_sum = rf["p95"] + store_floor
        goal = TARGETS.get((question, name))
        verdict = ""
        if goal is not None:
            verdict = f"≤ {goal:.0f}"
            if goal < floor_sum:
                verdict += f" below the floor: {floor_sum / r['p95']:.2f} of floor"
                verdict += " (met)" if floor_sum / r["p95"] >= 0.8 else " (MISSED)"
        print(
            f"{question:<20}{name:<10}{r['p95']:>9.1f}{rf['p50']:>11.1f}{rf['p95']:>8.1f}{rf['fields']:>8}"
            f"{rf['us_per_field']:>9.1f}{store_floor:>12.1f}{floor_sum:>8.1f}  {verdict}"
        )
    print()
    print(
        "neighbourhood d2 below the API (wall ms; CPU ms of this process; ratio of p95 to the store's floor):"
    )
    for (label, name), r in floors.items():
        floor_p95 = next(
            (f["p95"] for (lb, n), f in floors.items() if n == name and lb.startswith("floor")), 0
        )
        api = results.get(("neighbourhood d2", name), {})
        ratio = f"  p95 {r['p95'] / floor_p95:5.1f}x the floor" if floor_p95 else ""
        print(
            f"  {name:<9}{label:<46} p50 {r['p50']:7.1f} p95 {r['p95']:7.1f}  CPU p50 {r['cpu_p50']:6.1f} "
            f"p95 {r['cpu_p95']:6.1f}{ratio}"
        )
        if label == "function alone" and api and floor_p95:
            print(
                f"  {name:<9}{'through the API':<46} p95 {api['p95']:7.1f}  "
                f"{api['p95'] / floor_p95:5.1f}x the floor"
            )
    print()
    print(
        f"{args.clients} concurrent clients, {args.seconds:g} s each, "
        f"crimegraph serve --workers {args.workers} "
        f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}):"
    )
    floor = rates.get("bare FastAPI constant (HTTP floor)", (0.0, 0, 0))[0]
    bolt_floor = rates.get("bare FastAPI + one Bolt read (Neo4j lookup floor)", (0.0, 0, 0))[0]
    for label, (rate, count, errors) in rates.items():
        ratio = f"  {rate / floor:.2f} of the HTTP floor" if floor else ""
        if label == "node lookups, neo4j" and bolt_floor:
            ratio += f", {rate / bolt_floor:.2f} of the Neo4j lookup floor"
        met = "met" if rate >= THROUGHPUT_TARGET and not errors else "MISSED"
        target = f"  target ≥ {THROUGHPUT_TARGET:.0f}/s {met}" if label.startswith("node") else ""
        print(f"  {label:<48}{rate:>9.0f} req/s  {count:>7} requests  {errors} errors{ratio}{target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
