"""A load killed with SIGKILL and run again ends with exactly the graph an uninterrupted load gives."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from loaders.generate import generate

# When crimegraph first loaded a thing is the one property a rerun may not reproduce: what the killed
# load committed keeps the time of that load (the earliest wins), as it should.
LOAD_TIMES = {"date_added"}


def _snapshot(store: GraphStore) -> tuple[dict[str, Any], dict[str, Any], set[Any]]:
    graph: nx.MultiDiGraph = store.subgraph(clearance=TLP.RED)
    edges = {
        (u, v, k, tuple(sorted((a, str(b)) for a, b in d.items() if a not in LOAD_TIMES)))
        for u, v, k, d in graph.edges(keys=True, data=True)
    }
    nodes = {
        key: {a: b for a, b in data.items() if a not in LOAD_TIMES} for key, data in graph.nodes(data=True)
    }
    return store.stats(clearance=TLP.RED).as_dict(), nodes, edges


def _load(store_arg: str, tables: list[Path], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backend",
            "--store",
            store_arg,
            "load",
            "csv",
            *map(str, tables),
            "--source",
            "eco",
            "--batch-size",
            "20",  # many small transactions, so the load is still running when it is killed
            "--json",
        ],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_midway(proc: subprocess.Popen[str], written: Callable[[], int]) -> int:
    """SIGKILL the load as soon as its first batches are committed."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if written() > 0:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the load finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return written()


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    report = generate(tmp_path_factory.mktemp("eco"), 300, 11)
    return list(report.tables)


def _run(
    store: GraphStore,
    store_arg: str,
    tables: list[Path],
    env: dict[str, str],
    reset: Callable[[], None],
    written: Callable[[], int] | None = None,
) -> None:
    reference = _load(store_arg, tables, env)
    assert reference.wait(timeout=600) == 0, reference.stderr.read() if reference.stderr else ""
    expected = _snapshot(store)
    assert expected[0]["total_nodes"] > 2000
    reset()
    interrupted = _load(store_arg, tables, env)
    partial = _kill_midway(
        interrupted, written or (lambda: store.stats(clearance=TLP.RED).as_dict()["total_nodes"])
    )
    assert 0 < partial < expected[0]["total_nodes"]
    rerun = _load(store_arg, tables, env)
    assert rerun.wait(timeout=600) == 0
    assert _snapshot(store) == expected


def test_sigkill_and_rerun_embedded(tmp_path: Path, tables: list[Path], model: Any) -> None:
    path = tmp_path / "g.db"
    state: dict[str, EmbeddedStore] = {}

    def store() -> EmbeddedStore:
        # A new connection each time, as another process would open the file.
        if "s" in state:
            state["s"].close()
        state["s"] = EmbeddedStore(path, model)
        return state["s"]

    class Fresh:
        def stats(self, *, clearance: TLP) -> Any:
            return store().stats(clearance=clearance)

        def subgraph(self, *, clearance: TLP) -> Any:
            return store().subgraph(clearance=clearance)

    def reset() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def written() -> int:
        """Nodes committed so far, counted without building the store's index (the load is quick)."""
        if not path.exists():
            return 0
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            try:
                return int(conn.execute("SELECT count(*) FROM nodes").fetchone()[0])
            except sqlite3.OperationalError:  # the tables are not made yet
                return 0

    _run(Fresh(), f"embedded:{path}", tables, {}, reset, written)  # type: ignore[arg-type]
    state["s"].close()


@pytest.mark.neo4j
def test_sigkill_and_rerun_neo4j(neo4j_store: Any, neo4j_uri: Any, tables: list[Path]) -> None:
    env = {"NEO4J_USER": neo4j_uri.user, "NEO4J_PASSWORD": neo4j_uri.password}
    _run(neo4j_store, neo4j_uri.uri, tables, env, neo4j_store.clear)
