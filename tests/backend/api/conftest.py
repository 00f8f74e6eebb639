"""The API under test: a real uvicorn server on 127.0.0.1 in front of each store, and an HTTP client.

Every test of this package fails if the server logged an unexpected error or a traceback meanwhile.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.api.app import create_app
from backend.api.server import background
from backend.settings import ApiSettings, Settings
from graph_model.entities import Edge, Node, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate

KEYS = {
    "viewer": ("viewer-key-0123456789abcdef", "viewer", "GREEN"),
    "analyst": ("analyst-key-0123456789abcdef", "analyst", "GREEN"),
    "loader": ("loader-key-0123456789abcdef", "loader", "AMBER"),
    "admin": ("admin-key-0123456789abcdef", "admin", "RED"),
    "clear_loader": ("clear-loader-key-0123456789abcdef", "loader", "CLEAR"),
}
API_KEYS = ",".join(":".join(entry) for entry in KEYS.values())
STORES = ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]


@dataclass
class Api:
    """A GraphQL client for one running server."""

    url: str
    store: GraphStore
    kind: str
    client: httpx.Client
    app: Any = None  # the FastAPI app behind the server (its state: tests read what it kept)

    def post(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: str = "analyst"
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {KEYS[as_][0]}"} if as_ else {}
        return self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    def data(self, query: str, variables: dict[str, Any] | None = None, *, as_: str = "analyst") -> Any:
        """The data of a query that must succeed."""
        response = self.post(query, variables, as_=as_)
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def errors(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: str = "analyst"
    ) -> list[Any]:
        """The errors of a query that must fail with HTTP 200 and typed errors."""
        response = self.post(query, variables, as_=as_)
        assert response.status_code == 200, response.text
        errors: list[Any] = response.json().get("errors") or []
        assert errors, response.text
        return errors

    def codes(self, query: str, variables: dict[str, Any] | None = None, *, as_: str = "analyst") -> set[str]:
        return {e["extensions"]["code"] for e in self.errors(query, variables, as_=as_)}


class ServerLog(logging.Handler):
    """Collects what the server logs at ERROR or above (unexpected errors, tracebacks)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="session")
def server_log() -> Iterator[ServerLog]:
    handler = ServerLog()
    loggers = [logging.getLogger(name) for name in ("crimegraph", "uvicorn", "uvicorn.error", "strawberry")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def no_server_errors(server_log: ServerLog) -> Iterator[None]:
    server_log.records.clear()
    yield
    logged = [f"{r.name}: {r.getMessage()}" for r in server_log.records]
    server_log.records.clear()
    assert not logged, f"the server logged errors: {logged}"


def settings(**api: Any) -> Settings:
    return Settings(store="embedded::memory:", api_keys=API_KEYS, api=ApiSettings(**api))


@contextmanager
def served(
    request: pytest.FixtureRequest,
    model: Model,
    tmp_path_factory: pytest.TempPathFactory,
    load: Callable[[GraphStore], None],
    **api: Any,
) -> Iterator[Api]:
    """A store of ``request.param``'s kind, filled by ``load``, behind a real uvicorn server."""
    kind = request.param
    if kind == "embedded":
        store: GraphStore = EmbeddedStore(tmp_path_factory.mktemp("api") / "graph.db", model)
    else:
        store = request.getfixturevalue("neo4j_session_store")
        store.clear()
    try:
        load(store)
        app = create_app(settings(**api), store)
        with background(app) as url, httpx.Client(base_url=url, timeout=60) as client:
            yield Api(url, store, kind, client, app)
    finally:
        if kind == "embedded":
            store.close()
        else:
            store.clear()


@cache
def demo_tables() -> tuple[Path, ...]:
    """The demo ecosystem's CSV tables (generated once per session, deterministic)."""
    out = Path(tempfile.mkdtemp(prefix="crimegraph-api-demo-"))
    return tuple(generate(out, 100, 7).tables)


def load_demo(store: GraphStore) -> None:
    read = reader("csv")
    for table in demo_tables():
        ingest(store, read(table, LoadContext(store.model, "demo")))


def prov(record: str, tlp: TLP = TLP.CLEAR, when: str | None = "2023-01-01") -> Provenance:
    return Provenance.of("leaktest", record, first_seen=when, tlp=tlp)


SECRET = "Redacted Insider"


def leak_graph(model: Model) -> tuple[list[Node], list[Edge]]:
    """Two visible actors whose ONLY link runs through a RED person, over links marked CLEAR; a visible
    third actor and wallets beside them so every question has something to answer."""

    def actor(name: str, type_: str = "handle", tlp: TLP = TLP.CLEAR) -> Node:
        return make_node(model, "Actor", type_, name, prov=prov(name, tlp))

    alpha, bravo, charlie = actor("alphaleak"), actor("bravoleak"), actor("charlieleak")
    secret = actor(SECRET, "person", TLP.RED)
    group = actor("LeakGroup", "group")
    wallet_a = make_node(model, "Wallet", "btc", "bc1qalphaleak000000000000000000000000000", prov=prov("wa"))
    wallet_s = make_node(
        model, "Wallet", "btc", "bc1qsecretleak00000000000000000000000000", prov=prov("ws", TLP.RED)
    )
    wallet_b = make_node(model, "Wallet", "btc", "bc1qbravoleak0000000000000000000000000000", prov=prov("wb"))

    def edge(type_: str, a: Node, b: Node, tlp: TLP = TLP.CLEAR, **props: Any) -> Edge:
        return Edge(type_, a.key, b.key, prov(f"{type_}:{a.name}>{b.name}", tlp), dict(props))

    nodes = [alpha, bravo, charlie, secret, group, wallet_a, wallet_s, wallet_b]
    edges = [
        edge("ASSOCIATES_WITH", alpha, secret),
        edge("ASSOCIATES_WITH", secret, bravo),
        edge("MEMBER_OF", alpha, group),
        edge("MEMBER_OF", charlie, group),
        edge("MEMBER_OF", secret, group),
        edge("OWNS", alpha, wallet_a),
        edge("OWNS", bravo, wallet_b),
        edge("TRANSFERRED", wallet_a, wallet_s, amount=1.0, asset="BTC", time="2023-02-01T00:00:00Z"),
        edge("TRANSFERRED", wallet_s, wallet_b, amount=0.9, asset="BTC", time="2023-02-02T00:00:00Z"),
    ]
    return nodes, edges


def load_leak(store: GraphStore) -> None:
    store.upsert(*leak_graph(store.model))
