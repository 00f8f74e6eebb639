"""The app around GraphQL: probes, authentication, GraphiQL assets, CORS, an unreachable Neo4j."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from backend.api.app import create_app
from backend.api.auth import KeyRing, Role
from backend.api.server import background, free_port
from backend.settings import ApiSettings, Settings
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from tests.backend.api.conftest import API_KEYS, KEYS, settings
from tests.backend.api.tcp_proxy import TcpProxy

STATS = "{ stats { totalNodes } }"


@pytest.fixture(scope="module")
def url(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = EmbeddedStore(tmp_path_factory.mktemp("app") / "graph.db", model)
    with background(create_app(settings(), store)) as base:
        yield base
    store.close()


def post(url: str, headers: dict[str, str], query: str = STATS) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=30)


def test_probes(url: str) -> None:
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{url}/readyz").json() == {"status": "ready"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-configured-key-000000"},
        {"Authorization": f"Basic {KEYS['admin'][0]}"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {KEYS['admin'][0]}x"},
    ],
)
def test_no_or_wrong_key_is_401(url: str, headers: dict[str, str]) -> None:
    response = post(url, headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "data" not in response.json()


def test_every_key_reads_with_its_request_id(url: str) -> None:
    for key, _, _ in KEYS.values():
        response = post(url, {"Authorization": f"Bearer {key}"})
        assert response.status_code == 200
        assert response.json() == {"data": {"stats": {"totalNodes": 0}}}
        assert len(response.headers["x-request-id"]) == 16


def test_role_without_the_right_is_a_typed_error(url: str) -> None:
    mutation = 'mutation { ingest(format: CSV, payload: "") { read } }'
    for role in ("viewer", "analyst"):
        response = post(url, {"Authorization": f"Bearer {KEYS[role][0]}"}, mutation)
        assert response.status_code == 200
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "needs loader" in error["message"]


def test_keyring_parses_roles_and_markings_and_refuses_bad_entries() -> None:
    ring = KeyRing.parse(API_KEYS + ", ")
    assert len(ring) == len(KEYS)
    caller = ring.lookup(KEYS["loader"][0])
    assert caller is not None and caller.role is Role.LOADER and caller.clearance is TLP.AMBER
    assert KEYS["loader"][0] not in repr(caller)
    assert ring.lookup("nope") is None
    assert caller.can("analyst") and caller.can("ingest") and not caller.can("admin")
    for bad in ("short:viewer:CLEAR", "k" * 20 + ":boss:CLEAR", "k" * 20 + ":viewer:PURPLE", "k" * 20):
        with pytest.raises(ValueError):
            KeyRing.parse(bad)


def test_graphiql_is_served_from_the_package(url: str) -> None:
    page = httpx.get(f"{url}/graphiql")
    assert page.status_code == 200
    assert "http://" not in page.text and "https://" not in page.text
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    for asset in ("graphiql.min.js", "graphiql.min.css", "react.production.min.js", "graphiql-init.js"):
        response = httpx.get(f"{url}/graphiql/assets/{asset}")
        assert response.status_code == 200 and len(response.content) > 500, asset
    plain = httpx.get(f"{url}/graphiql/assets/graphiql.min.js", headers={"Accept-Encoding": "identity"})
    assert plain.content.startswith(b"/******/") and len(plain.content) > 1_000_000
    assert httpx.get(f"{url}/graphiql/assets/..%2Fauth.py").status_code == 404


def test_graphiql_can_be_switched_off_and_cors_is_off_by_default(model: Model) -> None:
    store = EmbeddedStore(":memory:", model)
    origin = {"Origin": "https://elsewhere.example"}
    with background(create_app(settings(graphiql=False), store)) as base:
        assert httpx.get(f"{base}/graphiql").status_code == 404
        preflight = httpx.options(
            f"{base}/graphql", headers={**origin, "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in preflight.headers
    allowed = settings(cors_origins=["https://elsewhere.example"])
    with background(create_app(allowed, store)) as base:
        response = post(base, {**origin, "Authorization": f"Bearer {KEYS['viewer'][0]}"})
        assert response.headers["access-control-allow-origin"] == "https://elsewhere.example"
    store.close()


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRIMEGRAPH_API_KEYS", API_KEYS)
    monkeypatch.setenv("CRIMEGRAPH_API__MAX_DEPTH", "7")
    monkeypatch.setenv("CRIMEGRAPH_API__CORS_ORIGINS", '["https://a.example"]')
    loaded = Settings()
    assert loaded.api.max_depth == 7 and loaded.api.cors_origins == ["https://a.example"]
    assert len(KeyRing.parse(loaded.api_keys)) == len(KEYS)
    assert ApiSettings().graphiql and not ApiSettings().cors_origins


def _wait(check: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


@pytest.mark.neo4j
def test_neo4j_unreachable_is_503_and_recovers_without_restart(neo4j_uri: Any) -> None:
    target = urlparse(neo4j_uri.uri)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 7687), free_port())
    config = Settings(
        store=f"bolt://127.0.0.1:{proxy.port}",
        api_keys=API_KEYS,
        NEO4J_USER=neo4j_uri.user,
        NEO4J_PASSWORD=neo4j_uri.password,
    )
    headers = {"Authorization": f"Bearer {KEYS['viewer'][0]}"}
    with background(create_app(config)) as base:
        down = httpx.get(f"{base}/readyz")
        assert down.status_code == 503 and "cannot reach Neo4j" in down.json()["detail"]
        response = post(base, headers)
        assert response.status_code == 503 and "store is unavailable" in response.json()["detail"]
        assert httpx.get(f"{base}/healthz").status_code == 200

        proxy.start()
        # The first connection also creates the schema's constraints and indexes: give it time.
        _wait(lambda: httpx.get(f"{base}/readyz", timeout=60).status_code == 200, seconds=120)
        assert post(base, headers).json()["data"]["stats"]["totalNodes"] >= 0

        proxy.stop()  # Neo4j goes away while the app holds a driver
        response = post(base, headers)
        assert response.status_code == 503
        assert response.json()["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"

        proxy.start()
        _wait(lambda: post(base, headers).status_code == 200, seconds=120)
    proxy.stop()


def test_graphiql_renders_offline_under_its_content_policy(url: str) -> None:
    """Headless Chromium (Debian's, as for the view tests) runs the page: React mounts GraphiQL's editor
    from the packaged assets, with the page's CSP in force."""
    import subprocess

    run = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=15000",
            "--dump-dom",
            f"{url}/graphiql",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert "graphiql-container" in run.stdout and "CodeMirror" in run.stdout, run.stderr[-2000:]
    assert "Refused to" not in run.stderr
