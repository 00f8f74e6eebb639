"""The disruption commands as real subprocesses, on a network loaded with the edgelist loader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph_model import default_model
from graph_model.store.embedded import EmbeddedStore
from tests.backend.test_cli import crimegraph


def _run_all(
    store: list[str], fixtures: Path, env: dict[str, str] | None = None, *, simulate: bool = True
) -> None:
    loaded = crimegraph(*store, "load", "edgelist", str(fixtures / "networks" / "911.txt"), "--json", env=env)
    assert loaded.returncode == 0, loaded.stderr
    plan = crimegraph(*store, "plan", "--budget", "3", "--json", env=env)
    assert plan.returncode == 0, plan.stderr
    data = json.loads(plan.stdout)
    assert [t["name"] for t in data["targets"]] == ["1", "14", "16"]
    assert {"rank", "key", "name", "kind", "score", "gain", "cost", "why", "why_message"} <= set(
        data["targets"][0]
    )
    assert data["verdict"]["id"] == "plan.verdict" and data["verdict"]["text"].startswith(
        "Taking down these 3"
    )
    assert data["before"]["nodes"] == 62 and round(data["after"]["fragmentation"], 3) == 0.504
    if not simulate:
        return
    simulated = crimegraph(*store, "simulate", "1", "14", "16", "--recovery", "0.5", "--json", env=env)
    assert simulated.returncode == 0, simulated.stderr
    sim = json.loads(simulated.stdout)
    assert sim["after"]["fragmentation"] == data["after"]["fragmentation"]
    assert sim["recovery"]["probability"] == 0.5


def test_plan_simulate_score_dismantle_on_the_embedded_store(tmp_path: Path, fixtures: Path) -> None:
    store = ["--store", f"embedded:{tmp_path / 'g.db'}"]
    _run_all(store, fixtures)
    scored = crimegraph(*store, "score", "--metric", "cut", "--top", "2", "--json")
    assert scored.returncode == 0, scored.stderr
    top = json.loads(scored.stdout)["targets"]
    assert len(top) == 2 and top[0]["name"] == "5" and "Alone it cuts" in top[0]["why"]
    assert [t["rank"] for t in top] == [1, 2] and top[0]["score"] == 100.0 > top[1]["score"]
    assert set(top[0]["components"]["cut"]) == {"raw", "percentile"}
    assert "cut" in json.loads(scored.stdout)["legend"]
    order = crimegraph(*store, "dismantle", "--by", "r", "--json")
    assert order.returncode == 0, order.stderr
    full = json.loads(order.stdout)
    assert full["after"]["R"] <= 0.1225 and full["verdict"]["id"] == "dismantle.verdict"
    assert all(t["why"] for t in full["targets"])
    table = crimegraph(*store, "plan", "--budget", "2", "--objective", "lcc")
    assert table.returncode == 0 and "takedown plan (lcc)" in table.stdout
    assert table.stdout.startswith("Taking down these 2")  # the verdict is the first line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["plan", "--objective", "chaos"], "unknown objective 'chaos'"),
        (["plan", "--objective", "reach"], "needs a group"),
        (["score", "--metric", "luck"], "unknown metric 'luck'"),
        (["simulate", "nobody"], "'nobody' is not in this scope"),
        (["plan", "--costs", "missing.json"], "cannot read costs file"),
        (["plan", "--edge-set", "nonsense"], "nonsense"),
        (["plan", "--budget", "0"], "budget must be a whole number of targets within 1-500, got 0"),
        (["plan", "--budget", "501"], "budget must be a whole number of targets within 1-500, got 501"),
        (["plan", "--budget", "three"], "budget must be a whole number, got 'three'"),
        (["plan", "--budget", "-2"], "budget must be a whole number of targets within 1-500, got -2"),
        (["plan", "--max-cost", "0"], "max cost must be a positive number"),
        (["plan", "--max-cost", "lots"], "max cost must be a number, got 'lots'"),
        (["plan", "--time-limit", "-1"], "time limit must be a positive number"),
        (["plan", "--recovery", "1.5"], "recovery must be a share of predicted ties within 0-1"),
        (["simulate", "x", "--recovery", "nan"], "recovery must be a finite number"),
        (["score", "--top", "0"], "top must be a whole number within 1-1000, got 0"),
        (["score", "--top", "many"], "top must be a whole number, got 'many'"),
        (["dismantle", "--by", "luck"], "dismantle by 'luck'?"),
        (["plan", "--costs", "bad.yaml"], "costs file"),
    ],
)
def test_expected_failures_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    EmbeddedStore(tmp_path / "g.db", default_model()).close()  # an empty store (a missing one is refused)
    store = ["--store", f"embedded:{tmp_path / 'g.db'}"]
    (tmp_path / "bad.yaml").write_text("kinds: {Actor: -3}\n", encoding="utf-8")
    result = crimegraph(*store, *args, cwd=tmp_path)
    assert result.returncode == 1
    assert needle in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_costs_file_and_max_cost(tmp_path: Path, fixtures: Path) -> None:
    store = ["--store", f"embedded:{tmp_path / 'g.db'}"]
    crimegraph(*store, "load", "edgelist", str(fixtures / "networks" / "911.txt"))
    costs = tmp_path / "costs.yaml"
    costs.write_text("default: 1\nnodes:\n  '16': 50\n", encoding="utf-8")
    result = crimegraph(*store, "plan", "--budget", "3", "--max-cost", "3", "--costs", str(costs), "--json")
    assert result.returncode == 0, result.stderr
    targets = json.loads(result.stdout)["targets"]
    assert "16" not in {t["name"] for t in targets}
    assert sum(t["cost"] for t in targets) <= 3


@pytest.mark.neo4j
def test_plan_and_simulate_against_neo4j(neo4j_store: Any, neo4j_uri: Any, fixtures: Path) -> None:
    env = {
        "CRIMEGRAPH_STORE": neo4j_uri.uri,
        "NEO4J_USER": neo4j_uri.user,
        "NEO4J_PASSWORD": neo4j_uri.password,
    }
    _run_all([], fixtures, env, simulate=False)
