"""``crimegraph view ...`` run as a subprocess on the embedded store."""

from __future__ import annotations

import json
from pathlib import Path

from graph_model.model import Model
from graph_model.store.embedded import EmbeddedStore
from tests.backend.test_cli import crimegraph
from tests.backend.views.seed import plan_json, seed


def test_view_commands_write_offline_pages(tmp_path: Path, model: Model) -> None:
    db = tmp_path / "graph.db"
    store = EmbeddedStore(db, model)
    keys = seed(store)
    store.close()
    where = ["--store", f"embedded:{db}"]
    out = tmp_path / "n.html"
    result = crimegraph(*where, "view", "neighbourhood", keys.boss, "--depth", "1", "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "file": str(out),
        "kind": "neighbourhood",
        "nodes": 5,
        "edges": 4,
        "aggregated": False,
    }
    assert "https://" not in out.read_text(encoding="utf-8")
    assert "read at clearance TLP:RED (the default)" in result.stderr
    assert 'data-tlp="RED"' in out.read_text(encoding="utf-8")  # the RED informant is drawn
    green = crimegraph(
        *where,
        "view",
        "neighbourhood",
        keys.boss,
        "--depth",
        "1",
        "-o",
        str(out),
        "--json",
        env={"CRIMEGRAPH_CLEARANCE": "GREEN"},
    )
    assert green.returncode == 0, green.stderr
    assert "read at clearance TLP:GREEN (CRIMEGRAPH_CLEARANCE)" in green.stderr
    assert json.loads(green.stdout)["nodes"] == 4 and 'data-tlp="CLEAR"' in out.read_text(encoding="utf-8")
    too_many = crimegraph(*where, "view", "neighbourhood", keys.boss, "--limit", "999999", "-o", str(out))
    assert too_many.returncode == 1 and "limit" in too_many.stderr
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan_json(keys)), encoding="utf-8")
    planned = crimegraph(*where, "view", "plan", str(plan_file), "-o", str(tmp_path / "p.html"))
    assert planned.returncode == 0, planned.stderr
    assert "plan view written to" in planned.stdout
    # A plan made at GREEN is drawn at GREEN unless --clearance says otherwise.
    plan_file.write_text(json.dumps({**plan_json(keys), "clearance": "GREEN"}), encoding="utf-8")
    green_plan = crimegraph(*where, "view", "plan", str(plan_file), "-o", str(tmp_path / "p.html"))
    assert green_plan.returncode == 0, green_plan.stderr
    assert "read at clearance TLP:GREEN (the plan's clearance)" in green_plan.stderr
    assert 'data-tlp="CLEAR"' in (tmp_path / "p.html").read_text(encoding="utf-8")

    # Any reference: a name opens the one it names; words that name many list them on one line.
    by_name = crimegraph(*where, "view", "neighbourhood", "BulletHost", "--depth", "1", "-o", str(out))
    assert by_name.returncode == 0, by_name.stderr
    many = crimegraph(*where, "view", "neighbourhood", "site", "-o", str(out))
    assert many.returncode == 1 and many.stderr.count("\n") == 1 and "names 50 entities" in many.stderr
    missing = crimegraph(*where, "view", "money", "btc:1NoSuchWallet", "-o", str(tmp_path / "m.html"))
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
    plan_file.write_text("{not json", encoding="utf-8")
    broken = crimegraph(*where, "view", "plan", str(plan_file), "-o", str(tmp_path / "p.html"))
    assert broken.returncode == 1 and "not JSON" in broken.stderr
