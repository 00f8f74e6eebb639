"""Who is asking: API keys with names, the CLI's --analyst, and every write recorded with who and when."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from backend.api.app import create_app
from backend.api.auth import KeyRing, Role, key_id
from backend.api.server import background
from backend.settings import ApiSettings, Settings
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import GraphStore, open_store
from graph_model.store.embedded import EmbeddedStore
from graph_model.writes import list_writes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NAMED = "loader-key-for-jane-0123456789"
UNNAMED = "loader-key-without-a-name-0123"
CLEAR_READER = "viewer-key-clear-0123456789"


def test_keys_carry_an_optional_name() -> None:
    ring = KeyRing.parse(
        f"{NAMED}:loader:AMBER:Jane Doe, {UNNAMED}:loader:GREEN, old:style:key-0123456789:analyst:RED"
    )
    jane = ring.lookup(NAMED)
    assert jane is not None and jane.name == "Jane Doe" and jane.role is Role.LOADER
    assert jane.clearance is TLP.AMBER
    plain = ring.lookup(UNNAMED)
    # Without a name, a key is named by its fingerprint (never by the key itself).
    assert plain is not None and plain.name == key_id(UNNAMED)
    assert plain.name == "k-" + hashlib.sha256(UNNAMED.encode()).hexdigest()[:10]
    assert UNNAMED not in plain.name
    # A key holding ':' (configured before names existed) still reads as KEY:ROLE:TLP.
    old = ring.lookup("old:style:key-0123456789")
    assert old is not None and old.role is Role.ANALYST and old.clearance is TLP.RED
    assert old.name.startswith("k-")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("short:viewer:CLEAR:Ann", "at least 16 characters"),
        (f"{NAMED}:viewer:CLEAR:", "the name must be"),
        (f"{NAMED}:viewer:CLEAR:" + "x" * 65, "the name must be"),
        (f"{NAMED}:viewer:CLEAR:Ann<script>", "the name must be"),
        (f"{NAMED}:boss:CLEAR:Ann", "unknown role"),
        (f"{NAMED}:viewer:PURPLE", "unknown TLP"),
        (f"{NAMED}:viewer:CLEAR:Ann,{NAMED}:admin:RED:Bob", "API key 2: the same key as API key 1"),
        (NAMED, "expected KEY:ROLE:TLP"),
    ],
)
def test_bad_key_entries_are_refused_in_one_line(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        KeyRing.parse(entry)
    assert NAMED not in str(caught.value)  # an error never quotes a key


def _settings(keys: str) -> Settings:
    return Settings(api_keys=keys, api=ApiSettings(graphiql=False))


def _ingest(base: str, key: str, payload: str, filename: str = "actors.csv") -> httpx.Response:
    mutation = (
        "mutation($p: String!, $f: String) { ingest(format: CSV, payload: $p, filename: $f, "
        'source: "partner-feed", tlp: GREEN) { read nodesNew } }'
    )
    return httpx.post(
        f"{base}/graphql",
        json={"query": mutation, "variables": {"p": payload, "f": filename}},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def test_an_ingest_through_the_api_records_the_callers_name(model: Model, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "graph.db", model)
    keys = f"{NAMED}:loader:AMBER:Jane Doe,{UNNAMED}:loader:GREEN,{CLEAR_READER}:viewer:CLEAR"
    payload = (FIXTURES / "csv" / "actors.csv").read_text(encoding="utf-8")
    with background(create_app(_settings(keys), store)) as base:
        first = _ingest(base, NAMED, payload)
        assert first.status_code == 200 and not first.json().get("errors"), first.text
        assert first.json()["data"]["ingest"]["read"] > 0
        second = _ingest(base, UNNAMED, payload)
        assert second.status_code == 200 and not second.json().get("errors"), second.text
        refused = _ingest(base, CLEAR_READER, payload)
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    writes = list_writes(store)
    assert [w["analyst"] for w in writes] == ["Jane Doe", key_id(UNNAMED)]  # the refused one wrote nothing
    jane = writes[0]
    assert jane["action"] == "ingest"
    assert jane["format"] == "csv" and jane["files"] == ["actors.csv"] and jane["source"] == "partner-feed"
    assert jane["tlp"] == "GREEN"
    assert jane["counts"]["read"] == first.json()["data"]["ingest"]["read"]
    assert jane["started"] <= jane["finished"] and jane["finished"].endswith("Z")
    assert 0 < jane["data_version"] <= writes[1]["data_version"] <= store.data_version()
    # The entities loaded carry when they were first loaded: at the first ingest, not the second.
    (actor, *_) = store.subgraph(clearance=TLP.RED, kinds=["Actor"]).nodes(data=True)
    assert jane["started"] <= actor[1]["date_added"] <= jane["finished"]
    store.close()


def _crimegraph(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "CRIMEGRAPH_ANALYST"}
    return subprocess.run(
        [sys.executable, "-m", "backend", *args],
        capture_output=True,
        text=True,
        env={**environment, **(env or {})},
        timeout=180,
    )


def _writes(location: str, model: Model, **auth: str) -> list[dict[str, object]]:
    store: GraphStore = open_store(location, model, **auth)
    try:
        return list_writes(store)
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def test_cli_writes_record_the_analyst(
    kind: str, model: Model, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "embedded":
        location, env, auth = f"embedded:{tmp_path / 'graph.db'}", {}, {}
    else:
        request.getfixturevalue("neo4j_store")  # an emptied server (state included)
        connection = request.getfixturevalue("neo4j_uri")
        location = connection.uri
        auth = {"user": connection.user, "password": connection.password}
        env = {"NEO4J_USER": connection.user, "NEO4J_PASSWORD": connection.password}
    actors = str(FIXTURES / "csv" / "actors.csv")
    named = _crimegraph("--store", location, "--analyst", "Jane Doe", "load", "csv", actors, env=env)
    assert named.returncode == 0, named.stderr
    by_setting = _crimegraph(
        "--store", location, "load", "csv", actors, env={**env, "CRIMEGRAPH_ANALYST": "ops-7"}
    )
    assert by_setting.returncode == 0, by_setting.stderr
    by_default = _crimegraph("--store", location, "clear", "--yes", env=env)
    assert by_default.returncode == 0, by_default.stderr
    blank = _crimegraph("--store", location, "--analyst", " ", "stats", env=env)
    assert blank.returncode == 1 and blank.stderr.count("\n") == 1 and "--analyst" in blank.stderr
    writes = _writes(location, model, **auth)
    assert [(w["analyst"], w["action"]) for w in writes] == [
        ("Jane Doe", "load"),
        ("ops-7", "load"),
        (getpass.getuser(), "clear"),
    ]
    first = writes[0]
    assert first["files"] == [actors] and first["format"] == "csv" and first["tlp"] == "CLEAR"
    counts = first["counts"]
    assert isinstance(counts, dict) and counts["read"] > 0
    assert writes[0]["data_version"] < writes[1]["data_version"] < writes[2]["data_version"]


def test_settings_take_the_analyst_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRIMEGRAPH_ANALYST", "night shift")
    assert Settings().analyst == "night shift"
    monkeypatch.delenv("CRIMEGRAPH_ANALYST")
    assert Settings().analyst == getpass.getuser()
    assert json.loads(Settings().model_dump_json())["analyst"] == getpass.getuser()
