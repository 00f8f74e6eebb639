"""The crimegraph command, run as a real subprocess against both stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from graph_model.entities import Edge, make_node
from graph_model.model import Model
from graph_model.provenance import Provenance
from graph_model.store import open_store


def crimegraph(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def _seed(location: str, model: Model, **auth: Any) -> None:
    store = open_store(location, model, **auth)
    wallet = make_node(
        model, "Wallet", "btc", "1Mz7153HMuxXTuR2R1t78mGSdzaAtNbBWX", prov=Provenance.of("t", "1")
    )
    locky = make_node(model, "Malware", "malware", "Locky", prov=Provenance.of("t", "2", tlp="RED"))
    store.upsert([wallet, locky], [Edge("COLLECTS_INTO", locky.key, wallet.key, Provenance.of("t", "3"))])
    store.close()


def test_version() -> None:
    result = crimegraph("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("crimegraph ")


def test_stats_json_shape_on_the_embedded_default(tmp_path: Path, model: Model) -> None:
    _seed(f"embedded:{tmp_path / 'crimegraph.db'}", model)
    result = crimegraph("stats", "--json", cwd=tmp_path, env={"CRIMEGRAPH_STORE": ""})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "total_nodes": 2,
        "total_edges": 1,
        "nodes": {"Malware": 1, "Wallet": 1},
        "edges": {"COLLECTS_INTO": 1},
    }
    green = crimegraph(
        "--store", f"embedded:{tmp_path / 'crimegraph.db'}", "stats", "--json", "--clearance", "GREEN"
    )
    assert json.loads(green.stdout)["nodes"] == {"Wallet": 1}


@pytest.mark.neo4j
def test_stats_json_against_neo4j(neo4j_store: Any, neo4j_uri: Any, model: Model) -> None:
    _seed(neo4j_uri.uri, model, user=neo4j_uri.user, password=neo4j_uri.password)
    env = {
        "CRIMEGRAPH_STORE": neo4j_uri.uri,
        "NEO4J_USER": neo4j_uri.user,
        "NEO4J_PASSWORD": neo4j_uri.password,
    }
    result = crimegraph("stats", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["edges"] == {"COLLECTS_INTO": 1}
    wrong = crimegraph("stats", env={**env, "NEO4J_PASSWORD": "wrong"})
    assert wrong.returncode == 1
    assert wrong.stderr.count("\n") == 1 and "Traceback" not in wrong.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--store", "bolt://127.0.0.1:1", "stats"], "cannot reach Neo4j at bolt://127.0.0.1:1"),
        (["--store", "ftp://x", "stats"], "unsupported store"),
        (["--store", "embedded:/proc/nope/x.db", "load", "stix", "x.json"], "cannot open embedded store"),
        (["load", "klingon", "x.txt"], "unknown format 'klingon'"),
        (["load", "stix", "table.csv"], "not a JSON object or array (starts with 'c'): a CSV or text file?"),
        (
            [
                "load",
                "taxii",
                "http://127.0.0.1:1/taxii2/",
                "--collection",
                "x",
                "--added-after",
                "yesterday",
            ],
            "--added-after: not a date and time: 'yesterday'",
        ),
        (
            ["load", "taxii", "http://127.0.0.1:1/taxii2/", "--collection", "x"],
            "cannot connect to 127.0.0.1:1:",
        ),
    ],
)
def test_expected_failures_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    (tmp_path / "table.csv").write_text("chain,address\nbtc,1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n")
    result = crimegraph(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert needle in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr


READS = [  # one command for each place a command opens the store (score, dismantle, simulate: as plan)
    ["stats"],
    ["check"],
    ["communities"],
    ["plan", "--budget", "1"],
    ["export", "stix", "-o", "out.json"],
    ["export", "neo4j-admin", "-o", "admin"],
    ["identify"],
    ["identify", "confirm", "handle:a", "handle:b"],
    ["package", "create", "plan.json", "-o", "packages"],
    ["view", "plan", "plan.json", "-o", "view.html"],
    ["taxii", "collection", "list"],
    ["clear", "--yes"],
]


def test_a_read_of_a_missing_store_says_so_and_creates_nothing(tmp_path: Path) -> None:
    plan = {"targets": [{"key": "handle:a", "name": "a", "kind": "Actor", "score": 1, "cost": 1, "why": ""}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    missing = tmp_path / "typo.db"
    with ThreadPoolExecutor(4) as pool:
        done = pool.map(lambda args: crimegraph("--store", f"embedded:{missing}", *args, cwd=tmp_path), READS)
        results = list(zip(READS, done, strict=True))
    for args, result in results:
        assert result.returncode == 1, (args, result.stdout)
        assert result.stderr.strip() == (
            f"error: no store at {missing}: load data first with crimegraph load FORMAT FILE..., or name an "
            "existing store with --store or CRIMEGRAPH_STORE"
        ), (args, result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]  # nothing created
    # the same for the default store, and a write still creates it
    default = crimegraph("score", cwd=tmp_path, env={"CRIMEGRAPH_STORE": ""})
    assert default.returncode == 1 and "no store at crimegraph.db" in default.stderr
    added = crimegraph("--store", f"embedded:{missing}", "taxii", "collection", "add", "All", cwd=tmp_path)
    assert added.returncode == 0 and missing.is_file(), added.stderr


def test_load_json_summary_and_reload(tmp_path: Path, fixtures: Path) -> None:
    store = ["--store", f"embedded:{tmp_path / 'g.db'}"]
    bundle = str(fixtures / "stix" / "attack-excerpt.json")
    first = crimegraph(*store, "load", "stix", bundle, "--source", "attack", "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert {"read", "nodes_new", "edges_new", "merged", "rejected", "skipped", "skipped_by_reason"} <= set(
        summary
    )
    assert summary["read"] > 0 and summary["nodes_new"] > 0 and summary["rejected"] == 0
    again = json.loads(crimegraph(*store, "load", "stix", bundle, "--source", "attack", "--json").stdout)
    assert (again["nodes_new"], again["edges_new"]) == (0, 0)
    assert again["read"] == summary["read"]
    table = crimegraph(*store, "load", "stix", bundle, "--source", "attack")
    assert "read " in table.stdout and "0 new nodes" in table.stdout


def test_warnings_are_said_as_warnings(tmp_path: Path) -> None:
    # A warning is not always a field left out: an unknown TLP label marks the object TLP:RED.
    bundle = tmp_path / "test-tlp.json"
    marking = "marking-definition--12345678-1111-4222-8333-444455556666"
    bundle.write_text(
        json.dumps(
            {
                "type": "bundle",
                "id": "bundle--12345678-1111-4222-8333-444455556667",
                "objects": [
                    {"type": "marking-definition", "spec_version": "2.1", "id": marking,
                     "created": "2024-01-01T00:00:00.000Z", "definition_type": "tlp",
                     "definition": {"tlp": "test"}},
                    {"type": "malware", "spec_version": "2.1",
                     "id": "malware--12345678-1111-4222-8333-444455556666",
                     "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                     "name": "TestBot", "is_family": True, "object_marking_refs": [marking]},
                ],
            }
        )
    )  # fmt: skip
    result = crimegraph(
        "--store", f"embedded:{tmp_path / 'g.db'}", "load", "stix", str(bundle), env={"COLUMNS": "200"}
    )
    assert result.returncode == 0, result.stderr
    assert "loaded, with a warning" in result.stdout and "bad optional field" not in result.stdout
    assert "unknown TLP label 'test': treated as the most restrictive, TLP:RED" in result.stdout


def test_load_reports_rejects_and_fails_only_when_unreadable(tmp_path: Path, fixtures: Path) -> None:
    store = ["--store", f"embedded:{tmp_path / 'g.db'}"]
    rejects = tmp_path / "rejects.jsonl"
    bad = str(fixtures / "stix" / "malformed-bundle.json")
    result = crimegraph(*store, "load", "stix", bad, "--rejects", str(rejects), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rejected"] >= 1 and summary["nodes_new"] >= 1
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert len([line for line in lines if not line.get("skipped")]) == summary["rejected"]
    assert len([line for line in lines if line.get("skipped")]) == summary["skipped"] == 2
    assert {"file", "location", "reason", "record"} <= set(lines[0])
    missing = crimegraph(*store, "load", "stix", str(tmp_path / "nope.json"))
    assert missing.returncode == 1 and "nope.json" in missing.stderr and "Traceback" not in missing.stderr
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert crimegraph(*store, "load", "stix", str(empty)).returncode == 1


def test_generate_and_demo(tmp_path: Path) -> None:
    result = crimegraph("generate", "--actors", "60", "--seed", "3", "--out", str(tmp_path / "eco"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "eco" / "truth.json").exists()
    demo = crimegraph(
        "demo", "--path", str(tmp_path / "demo.db"), "--actors", "60", "--no-serve", cwd=tmp_path
    )
    assert demo.returncode == 0, demo.stderr
    assert "0 rejected records" in demo.stdout
    stats = json.loads(crimegraph("--store", f"embedded:{tmp_path / 'demo.db'}", "stats", "--json").stdout)
    assert {"Actor", "Forum", "Infrastructure", "Wallet"} <= set(stats["nodes"])
    assert stats["edges"]["TRANSFERRED"] > 0
