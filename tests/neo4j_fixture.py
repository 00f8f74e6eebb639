"""pytest plugin: a real Neo4j 5.26 server for the test session.

Enable it from ``tests/conftest.py`` with ``pytest_plugins = ["tests.neo4j_fixture"]``.

If ``NEO4J_URI`` is set, that server is used (``NEO4J_USER``/``NEO4J_PASSWORD``, default
neo4j/crimegraph-test). The tests empty its database again and again, so a database that holds anything is
refused (the run stops with one line) unless ``CRIMEGRAPH_TESTS_MAY_EMPTY=1`` says it may be emptied.
Otherwise ``.ci/neo4j/neo4j_server.py`` starts Neo4j Community from
Maven Central jars in a temp dir on a free 127.0.0.1 port (``NEO4J_HEAP``/``NEO4J_PAGECACHE``,
default 1g/512m), and stops it at the end of the session. Failing to start is an error, never
a skip.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Protocol

import pytest

SERVER_SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "neo4j" / "neo4j_server.py"
DEFAULT_USER = "neo4j"
DEFAULT_PASSWORD = "crimegraph-test"


@dataclass(frozen=True)
class Neo4jConnection:
    """How to reach the session's Neo4j server."""

    uri: str
    user: str = DEFAULT_USER
    password: str = DEFAULT_PASSWORD
    database: str = "neo4j"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)


class _Server(Protocol):
    uri: str
    password: str
    startup_seconds: float

    def rss_mib(self) -> float | None: ...
    def stop(self, timeout: float = ...) -> None: ...


def _server_module() -> ModuleType:
    name = "crimegraph_neo4j_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SERVER_SCRIPT)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {SERVER_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def _say(config: pytest.Config, line: str) -> None:
    """Write a line to the terminal, even while pytest captures output."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        print(line)
    elif capman is None:
        reporter.write_line(line)
    else:
        with capman.global_and_fixture_disabled():
            reporter.write_line(line)


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get("NEO4J_URI"):
        return f"neo4j: external server NEO4J_URI={os.environ['NEO4J_URI']}"
    version = _server_module().NEO4J_VERSION
    return f"neo4j: Neo4j {version} Community from Maven Central jars (started on first use)"


MAY_EMPTY = "CRIMEGRAPH_TESTS_MAY_EMPTY"


def refuse_if_holding_data(connection: Neo4jConnection) -> None:
    """Stop the run if the external server's database holds anything and may not be emptied.

    The tests empty the database before each test: pointing ``NEO4J_URI`` at a server in use would
    destroy its data.
    """
    if os.environ.get(MAY_EMPTY) == "1":
        return
    import neo4j  # the driver is a dependency of the Neo4j store

    from graph_model.words import counted

    with neo4j.GraphDatabase.driver(connection.uri, auth=connection.auth) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (n) RETURN count(n) AS n", database_=connection.database, routing_="r"
        )
    if (held := records[0]["n"]) > 0:
        pytest.exit(
            f"NEO4J_URI={connection.uri}: its database {connection.database!r} holds "
            f"{counted(held, 'node')}, and the tests empty it before every test; point NEO4J_URI at an "
            f"empty database, unset it (the tests then start their own server), or set {MAY_EMPTY}=1 "
            "if its data may be destroyed",
            returncode=2,
        )


@pytest.fixture(scope="session")
def neo4j_uri(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Neo4jConnection]:
    """Connection details of a running Neo4j 5.26 server (see module docstring)."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        user = os.environ.get("NEO4J_USER", DEFAULT_USER)
        external = Neo4jConnection(uri, user, os.environ.get("NEO4J_PASSWORD", DEFAULT_PASSWORD))
        refuse_if_holding_data(external)
        yield external
        return
    mod = _server_module()
    config = request.config
    version = mod.NEO4J_VERSION
    _say(config, f"\nStarting Neo4j {version} from Maven Central jars (jars cached in {mod.lib_dir()})")
    server: _Server = mod.start(
        tmp_path_factory.mktemp("neo4j-home"),
        bolt_port=mod.free_port(),
        heap=os.environ.get("NEO4J_HEAP", "1g"),
        pagecache=os.environ.get("NEO4J_PAGECACHE", "512m"),
        password=DEFAULT_PASSWORD,
        quiet=True,
    )
    rss = server.rss_mib() or 0.0
    _say(
        config,
        f"Neo4j {version} (Maven Central jars) ready at {server.uri} "
        f"in {server.startup_seconds:.1f}s, RSS {rss:.0f} MiB",
    )
    try:
        yield Neo4jConnection(server.uri, DEFAULT_USER, server.password)
    finally:
        server.stop()
        _say(config, f"\nNeo4j {version} at {server.uri} stopped")
