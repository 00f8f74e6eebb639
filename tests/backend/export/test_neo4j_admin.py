"""Neo4j's bulk importer: ``crimegraph export neo4j-admin`` and ``crimegraph bulk-load``.

The files go through the real ``neo4j-admin database import full`` (``org.neo4j.cli.AdminTool`` from the
Neo4j 5.26 jars the tests run Neo4j from); the database it builds is started as a server of its own and
must answer as the online store loaded with the same files: the same counts at every clearance, the
same neighbourhoods, the same stored records (markings, dates, ``date_added``) and a clean
``crimegraph check``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import neo4j
import pytest

from backend.export.files import MANIFEST
from backend.export.neo4j_admin import ADMIN_TOOL
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.neo4j_store import Neo4jStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from tests.backend.test_cli import crimegraph
from tests.conftest import FIXTURES

pytestmark = pytest.mark.neo4j
SERVER = Path(__file__).resolve().parents[3] / ".ci" / "neo4j" / "neo4j_server.py"
HEAP, PAGECACHE = "512m", "128m"


def _server() -> ModuleType:
    name = "crimegraph_neo4j_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SERVER)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A generated ecosystem's tables, the hand-written tables, and actors asserted at several markings."""
    demo = generate(tmp_path_factory.mktemp("bulk-demo"), 60, 7).tables
    return [
        *demo,
        *sorted((FIXTURES / "csv").glob("*.csv")),
        *sorted((FIXTURES / "csv-levels").glob("*.csv")),
    ]


@pytest.fixture(scope="module")
def online(neo4j_session_store: Neo4jStore, files: list[Path], model: Model) -> Neo4jStore:
    """The online store loaded with ``files`` as `crimegraph load csv` loads them (source = file name)."""
    neo4j_session_store.clear(state=True)
    for path in files:
        ingest(neo4j_session_store, reader("csv")(path, LoadContext(model, path.stem)))
    return neo4j_session_store


def _home(tmp_path: Path) -> tuple[Path, int]:
    """A stopped Neo4j installation: the jars, and a configuration on a free port."""
    server = _server()
    home = tmp_path / "neo4j-home"
    home.mkdir()
    (home / "lib").symlink_to(server.ensure_jars())
    port = server.free_port()
    server.write_conf(home, port, HEAP, PAGECACHE)
    return home, port


@dataclass
class Built:
    """A database the importer built, served: its store and how the CLI reaches it."""

    store: Neo4jStore
    uri: str
    env: dict[str, str]


@pytest.fixture()
def started(model: Model) -> Iterator[Callable[[Path, int], Built]]:
    """Starts the servers a test built (``start(home, port)``) and stops them afterwards."""
    running: list[tuple[Any, neo4j.Driver]] = []

    def start(home: Path, port: int) -> Built:
        server = _server().start(home, bolt_port=port, heap=HEAP, pagecache=PAGECACHE, quiet=True)
        driver = neo4j.GraphDatabase.driver(server.uri, auth=("neo4j", server.password))
        running.append((server, driver))
        env = {"NEO4J_USER": "neo4j", "NEO4J_PASSWORD": server.password}
        return Built(Neo4jStore(driver, model), server.uri, env)

    yield start
    for server, driver in running:
        driver.close()
        server.stop()


def _undated(item: Any) -> Any:
    """``item`` (a node or edge, with its levels) without ``date_added``: when it was loaded."""
    levels = item.levels and {level: _undated(part) for level, part in item.levels.items()}
    return replace(item, prov=replace(item.prov, date_added=None), levels=levels)


def _same_as_online(built: Neo4jStore, online: Neo4jStore, keys: list[str], *, same_load: bool) -> None:
    """``built`` answers as ``online``; ``same_load``: built from the online store's own records, so
    even the dates they were added agree (a bulk load added them at its own time)."""
    same = (lambda items: items) if same_load else (lambda items: {k: _undated(v) for k, v in items.items()})
    for level in TLP:
        assert built.stats(clearance=level).as_dict() == online.stats(clearance=level).as_dict(), level
    for level in (TLP.CLEAR, TLP.RED):
        for key in keys:
            a = built.neighbourhood([key], clearance=level, depth=2)
            b = online.neighbourhood([key], clearance=level, depth=2)
            assert same(a.nodes) == same(b.nodes) and same(a.edges) == same(b.edges), (key, level)
    mine, theirs = built.stored(), online.stored()
    assert same(mine.nodes) == same(theirs.nodes) and same(mine.edges) == same(theirs.edges)
    assert mine.ids == theirs.ids and same(mine.pending) == same(theirs.pending)
    levels = mine.nodes["handle:quiet broker"].levels
    assert levels is not None and sorted(levels) == [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED]
    assert all(n.prov.date_added for n in mine.nodes.values())
    assert all(e.prov.date_added for e in mine.edges.values())


def _check(built: Built) -> None:
    result = crimegraph("--store", built.uri, "check", "--json", env=built.env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["violations"] == 0


KEYS = ["handle:quiet broker", "group:night crew", "group:lockbit"]


def test_export_builds_the_online_store_again(
    online: Neo4jStore, neo4j_uri: Any, tmp_path: Path, started: Callable[[Path, int], Built]
) -> None:
    home, port = _home(tmp_path)
    env = {"NEO4J_USER": neo4j_uri.user, "NEO4J_PASSWORD": neo4j_uri.password}
    folder = tmp_path / "export"
    exported = crimegraph(
        "--store",
        neo4j_uri.uri,
        "export",
        "neo4j-admin",
        "-o",
        str(folder),
        "--clearance",
        "RED",
        "--json",
        env=env,
    )
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["import"][-1] == "@import.args"
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["format"] == "neo4j-admin" and manifest["clearance"] == "RED"
    args = (tmp_path / "export" / "import.args").read_text().split()
    assert "--multiline-fields=true" in args and "--nodes=nodes-Actor.csv" in args
    header = (tmp_path / "export" / "relationships-TRANSFERRED.csv").read_text().splitlines()[0]
    assert header.startswith(":START_ID(Entity),:END_ID(Entity),:TYPE,") and "amount:double" in header
    actors = (tmp_path / "export" / "nodes-Actor.csv").read_text()
    assert actors.startswith("key:ID(Entity),:LABEL,") and '"Entity;Actor"' in actors
    # The importer, exactly as a user runs it: from inside the folder, with the arguments file.
    admin = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(home / "conf"))
    command = ["java", "-cp", f"{home / 'lib'}/*", ADMIN_TOOL, "database", "import", "full", "neo4j"]
    result = subprocess.run(
        [*command, "@import.args"], cwd=folder, env=admin, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"IMPORT DONE", result.stdout + result.stderr)
    built = started(home, port)
    demo = next(iter(online.stored().edges.values())).source
    _same_as_online(built.store, online, [*KEYS, demo], same_load=True)
    _check(built)


def test_bulk_load_builds_what_load_builds(
    online: Neo4jStore, files: list[Path], tmp_path: Path, started: Callable[[Path, int], Built]
) -> None:
    home, port = _home(tmp_path)
    result = crimegraph("bulk-load", "csv", *map(str, files), "--neo4j-home", str(home), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["nodes"] == online.stats(clearance=TLP.RED).as_dict()["total_nodes"]
    again = crimegraph("bulk-load", "csv", *map(str, files[:1]), "--neo4j-home", str(home))
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "neo4j-admin" in again.stderr
    wrong = crimegraph("bulk-load", "csv", str(files[0]), "--neo4j-home", str(tmp_path))
    assert wrong.returncode == 1 and "not a Neo4j installation" in wrong.stderr
    built = started(home, port)
    _same_as_online(built.store, online, KEYS, same_load=False)
    (write,) = [v for _, v in built.store.list_state("writes")]
    assert write["action"] == "bulk-load" and write["counts"]["read"] == summary["read"]
    _check(built)
