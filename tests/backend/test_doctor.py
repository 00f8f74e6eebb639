"""``crimegraph doctor`` as a new user runs it: what is there, what is missing, and the fix."""

from __future__ import annotations

import json
from pathlib import Path

from backend.api.server import free_port
from tests.backend.test_cli import crimegraph


def test_doctor_finds_a_working_embedded_store(tmp_path: Path) -> None:
    built = crimegraph(
        "--store", f"embedded:{tmp_path / 'g.db'}", "generate", "--actors", "50", "--out", str(tmp_path)
    )
    assert built.returncode == 0, built.stderr
    loaded = crimegraph(
        "--store", f"embedded:{tmp_path / 'g.db'}", "load", "csv", *map(str, tmp_path.glob("*.csv"))
    )
    assert loaded.returncode == 0, loaded.stderr
    done = crimegraph("--store", f"embedded:{tmp_path / 'g.db'}", "doctor", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    found = {f["check"]: f for f in report["findings"]}
    assert found["Python"]["status"] == "ok"
    assert found["packages"]["status"] == "ok"
    assert found["store"]["status"] == "ok" and " nodes, " in found["store"]["found"]
    # What the tests drive is looked at too (required only with --tests).
    assert {"Java (Neo4j test server)", "Chromium (view tests)", "npm (GraphQL-over-HTTP audit)"} <= set(
        found
    )


def test_doctor_exits_1_with_a_fix_when_the_store_cannot_be_reached() -> None:
    done = crimegraph("--store", f"bolt://127.0.0.1:{free_port()}", "doctor", "--json")
    assert done.returncode == 1
    store = next(f for f in json.loads(done.stdout)["findings"] if f["check"] == "store")
    assert store["status"] == "MISSING"
    assert "start Neo4j" in store["fix"]


def test_doctor_does_not_create_a_missing_embedded_file(tmp_path: Path) -> None:
    missing = tmp_path / "new.db"
    done = crimegraph("--store", f"embedded:{missing}", "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not created yet" in done.stdout
    assert not missing.exists()
