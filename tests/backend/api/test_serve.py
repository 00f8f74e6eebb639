"""``crimegraph demo`` and ``crimegraph serve`` as a new user runs them: a process, a URL, a key, curl."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.api.server import free_port
from tests.backend.api.conftest import API_KEYS, KEYS

FIELDS = [
    "{ stats { totalNodes totalEdges } }",
    "{ schema { edgeSets { name } } }",
    '{ search(text: "team", first: 2) { edges { node { key } } } }',
    '{ node(key: "group:darkcrow team 1") { key name } }',
    '{ neighbourhood(keys: ["group:darkcrow team 1"], depth: 2) { nodes { key } hiddenCount } }',
    '{ timeline(key: "group:darkcrow team 1", first: 2) { edges { node { firstSeen } } } }',
    '{ commonAssociates(keys: ["group:darkcrow team 1", "group:frozenshark team 0"], first: 2)'
    " { edges { node { score } } } }",
    '{ paths(source: "group:darkcrow team 1", target: "group:frozenshark team 0", first: 2)'
    " { edges { node { length } } } }",
    '{ sharedInfrastructure(key: "group:darkcrow team 1", first: 2) { edges { node { score } } } }',
    (
        '{ centrality(first: 2, scope: {keys: ["group:darkcrow team 1"], depth: 1}) '
        "{ edges { node { score } } } }"
    ),
    (
        '{ communities(first: 2, scope: {keys: ["group:darkcrow team 1"], '
        "depth: 1}) { edges { node { size } } } }"
    ),
]


@contextmanager
def crimegraph(*args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "backend", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "400", **(env or {})},
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def read_until(process: subprocess.Popen[str], pattern: str, seconds: float = 120) -> re.Match[str]:
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if found := re.search(pattern, line):
            return found
    raise AssertionError(f"no {pattern!r} in the output:\n{''.join(seen)}")


def wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not become ready")


def ask(url: str, key: str, query: str) -> Any:
    response = httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), (query, body)
    return body["data"]


def test_demo_prints_url_and_key_and_serves_every_field(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "demo.db"
    args = ("demo", "--path", str(db), "--actors", "100", "--port", str(port))
    with crimegraph(*args, env={"CRIMEGRAPH_API_KEYS": ""}) as process:
        url = read_until(process, r"API: (http://127\.0\.0\.1:\d+)/graphql").group(1)
        key = read_until(process, r"key: (\S+)").group(1)
        printed_curl = read_until(process, r"try: (curl .*)").group(1)
        wait_ready(url)
        # The curl works pasted as printed: the demo's real key, not a placeholder.
        pasted = subprocess.run(["bash", "-c", printed_curl], capture_output=True, text=True, timeout=60)
        assert pasted.returncode == 0, pasted.stderr
        assert json.loads(pasted.stdout)["data"]["stats"]["totalNodes"] > 900
        for query in FIELDS:
            assert ask(url, key, query)
        assert httpx.post(f"{url}/graphql", json={"query": FIELDS[0]}).status_code == 401
    with crimegraph(
        ("--store"),
        (f"embedded:{db}"),
        ("serve"),
        ("--port"),
        str(port),
        "--workers",
        "2",
        env={("CRIMEGRAPH_API_KEYS"): API_KEYS},
    ) as process:
        # Two processes on one port, each opening the store file: every request answers the same.
        read_until(process, r"crimegraph API on .*2 workers\)")
        wait_ready(f"http://127.0.0.1:{port}")
        totals = {
            ask(f"http://127.0.0.1:{port}", KEYS["viewer"][0], FIELDS[0])["stats"]["totalNodes"]
            for _ in range(6)
        }
        assert len(totals) == 1 and totals.pop() > 900


def test_serve_on_a_missing_store_says_it_serves_a_new_empty_one(tmp_path: Path) -> None:
    # the API can fill a store (the ingest mutation), so serve starts - but says the store is new
    port = free_port()
    fresh = tmp_path / "new.db"
    args = ("--store", f"embedded:{fresh}", "serve", "--port", str(port), "--workers", "1")
    with crimegraph(*args, env={"CRIMEGRAPH_API_KEYS": API_KEYS}) as process:
        read_until(process, rf"note: no store at {re.escape(str(fresh))} yet: serving a new, empty store")
        read_until(process, r"crimegraph API on .*\(5 keys, store .*, 1 worker\)")
        wait_ready(f"http://127.0.0.1:{port}")
        assert ask(f"http://127.0.0.1:{port}", KEYS["viewer"][0], FIELDS[0])["stats"]["totalNodes"] == 0


@pytest.mark.neo4j
def test_serve_against_neo4j(neo4j_uri: Any) -> None:
    port = free_port()
    env = {
        "CRIMEGRAPH_API_KEYS": API_KEYS,
        "CRIMEGRAPH_STORE": neo4j_uri.uri,
        "NEO4J_USER": neo4j_uri.user,
        "NEO4J_PASSWORD": neo4j_uri.password,
    }
    with crimegraph("serve", "--port", str(port), env=env) as process:
        read_until(process, r"crimegraph API on")
        wait_ready(f"http://127.0.0.1:{port}")
        for query in FIELDS[:2]:
            assert ask(f"http://127.0.0.1:{port}", KEYS["viewer"][0], query)


def test_demo_with_configured_keys_names_which_key_to_use(tmp_path: Path) -> None:
    port = free_port()
    args = ("demo", "--path", str(tmp_path / "demo.db"), "--actors", "50", "--port", str(port))
    with crimegraph(*args, env={"CRIMEGRAPH_API_KEYS": API_KEYS}) as process:
        printed_curl = read_until(process, r"try: (curl .*)").group(1)
        assert "one of your CRIMEGRAPH_API_KEYS" in printed_curl
        wait_ready(f"http://127.0.0.1:{port}")
        key = KEYS["viewer"][0]
        filled = re.sub(r"<one of your CRIMEGRAPH_API_KEYS[^>]*>", key, printed_curl)
        pasted = subprocess.run(["bash", "-c", filled], capture_output=True, text=True, timeout=60)
        assert json.loads(pasted.stdout)["data"]["stats"]["totalNodes"] > 100
