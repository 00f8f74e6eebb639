"""``crimegraph load`` loses nothing silently; ``crimegraph check`` finds what breaks the schema."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from graph_model.entities import Edge, make_node
from graph_model.model import Model
from graph_model.provenance import Provenance
from graph_model.store import open_store
from tests.backend.test_cli import crimegraph


def test_one_unreadable_file_fails_the_exit_code_not_the_others(tmp_path: Path, fixtures: Path) -> None:
    store = ["--store", f"embedded:{tmp_path / 'g.db'}"]
    good = str(fixtures / "stix" / "attack-excerpt.json")
    cluster = str(fixtures / "misp" / "botnet-excerpt.json")  # a MISP cluster given as STIX
    result = crimegraph(*store, "load", "stix", cluster, good, str(tmp_path / "nope.json"), "--json")
    assert result.returncode == 1
    assert "botnet-excerpt.json: a MISP galaxy cluster file, not a STIX bundle: load it with" in result.stderr
    assert "nope.json" in result.stderr and "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["nodes_new"] > 0 and len(summary["failed"]) == 2
    assert summary["skipped_by_reason"] == {"marking-definition: read as the marking of the objects": 1}
    stats = json.loads(crimegraph(*store, "stats", "--json").stdout)
    assert stats["nodes"]["Actor"] == 9


def test_a_failed_load_leaves_no_empty_store_file(tmp_path: Path, fixtures: Path) -> None:
    path = tmp_path / "new.db"
    cluster = str(fixtures / "misp" / "botnet-excerpt.json")
    result = crimegraph("--store", f"embedded:{path}", "load", "stix", cluster)
    assert result.returncode == 1 and "not a STIX bundle" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_first_rejections_and_reasons_by_kind_on_stderr(tmp_path: Path) -> None:
    net = tmp_path / "net.txt"
    good = "".join(f"{n} {n + 1}\n" for n in range(1, 21))
    net.write_text(good + "".join(f"{n}\n" for n in range(3, 11)) + "2 3 heavy\n", encoding="utf-8")
    result = crimegraph("--store", f"embedded:{tmp_path / 'g.db'}", "load", "edgelist", str(net))
    assert result.returncode == 0, result.stderr
    err = " ".join(result.stderr.split())
    assert "9 records rejected" in err and "net.txt:21: expected two vertex ids" in err
    assert "… and 4 more" in err
    assert "8 expected two vertex ids" in err and "1 weight: not a number: '…'" in err


def test_check_reports_violations_and_waiting_edges(tmp_path: Path, fixtures: Path, model: Model) -> None:
    location = f"embedded:{tmp_path / 'g.db'}"
    loaded = crimegraph("--store", location, "load", "stix", str(fixtures / "stix" / "tolerance.json"))
    assert loaded.returncode == 0, loaded.stderr
    clean = crimegraph("--store", location, "check", "--json")
    assert clean.returncode == 0, clean.stderr
    report = json.loads(clean.stdout)
    assert (report["violations"], report["examples"]) == (0, [])
    # The rejected relationship's malware is missing, so nothing waits; a dangling edge does. The write
    # path refuses a misfit edge, so the one here was written under an older schema that allowed it:
    uses = model.edges["USES"]
    older = replace(model, edges={**model.edges, "USES": replace(uses, target=uses.target | {"Actor"})})
    store = open_store(location, older)
    prov = Provenance.of("t", "1")
    a = make_node(model, "Actor", "group", "Crew A", prov=prov)
    b = make_node(model, "Actor", "group", "Crew B", prov=prov)
    store.upsert([a, b], [Edge("USES", a.key, b.key, prov), Edge("USES", a.key, "uuid:missing", prov)])
    store.close()
    broken = crimegraph("--store", location, "check", "--json")
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["violations"] == 1 and report["waiting"] == 1
    assert report["examples"][0]["reason"] == "the schema has no USES from Actor to Actor"
    assert report["waiting_examples"][0]["edge"].endswith("|uuid:missing|")
    text = crimegraph("--store", location, "check")
    assert "1 violation, 1 edge waiting" in " ".join(text.stdout.split())
