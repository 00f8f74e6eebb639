"""The graphql-http audit suite (npm ``graphql-http``, ``serverAudits``: GraphQL-over-HTTP conformance) run
against a real ``crimegraph serve``: every MUST and every SHOULD passes; each MAY is named in docs/api.md
with the choice made.

The package is installed once into ``~/.cache/crimegraph/npm/`` (pinned versions), with Node 20.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from backend.api.server import free_port
from tests.backend.api.conftest import API_KEYS, KEYS
from tests.backend.api.test_serve import crimegraph, read_until, wait_ready

PACKAGES = ("graphql-http@1.23.1", "graphql@16.15.0")
CACHE = Path.home() / ".cache" / "crimegraph" / "npm" / "graphql-http-1.23.1"
SCRIPT = Path(__file__).parent / "audit" / "graphql_http_audit.mjs"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """graphql-http's node_modules, installed with npm on first use and kept."""
    modules = CACHE / "node_modules"
    if not (modules / "graphql-http" / "package.json").exists():
        npm = shutil.which("npm")
        assert npm, "npm (Node 20) is needed to run the graphql-http audits"
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), *PACKAGES],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return modules


def test_graphql_http_audits_pass(node_modules: Path, tmp_path: Path) -> None:
    port = free_port()
    store = f"embedded:{tmp_path / 'audit.db'}"
    args = ("--store", store, "serve", "--port", str(port), "--workers", "1")
    with crimegraph(*args, env={"CRIMEGRAPH_API_KEYS": API_KEYS}) as process:
        read_until(process, r"crimegraph API on ")
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        node = shutil.which("node")
        assert node, "node (Node 20) is needed to run the graphql-http audits"
        ran = subprocess.run(
            [node, str(SCRIPT), str(node_modules), f"{url}/graphql", KEYS["viewer"][0]],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
        )
    assert ran.returncode == 0, ran.stderr
    results = json.loads(ran.stdout)
    assert len(results) >= 60  # the suite has 61 audits (1.23.1)
    failed = [
        f"{r['id']} {r['name']}: {r['reason']}"
        for r in results
        if r["status"] != "ok" and r["name"].startswith(("MUST", "SHOULD"))
    ]
    assert not failed, "\n".join(failed)
    documented = DOCS.read_text(encoding="utf-8")
    mays = [r for r in results if r["name"].startswith("MAY")]
    assert mays and all(f"`{r['id']}`" in documented for r in mays), [r["id"] for r in mays]
