"""``crimegraph export`` and ``crimegraph package`` run as real subprocesses on an embedded store."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import networkx as nx

from graph_model.model import Model
from graph_model.store import open_store
from loaders import LoadContext, ingest, reader
from tests.backend.export.graphs import seed
from tests.backend.test_cli import crimegraph


def _store(tmp_path: Path, model: Model) -> str:
    location = f"embedded:{tmp_path / 'graph.db'}"
    store = open_store(location, model)
    seed(store)
    store.close()
    return location


def test_export_every_format(tmp_path: Path, model: Model) -> None:
    location = _store(tmp_path, model)
    formats = [("stix", "x.json"), ("gexf", "x.gexf"), ("graphml", "x.graphml"), ("csv", "x.zip")]
    for fmt, name in [*formats, ("misp-stix", "x.misp.stix.json")]:
        result = crimegraph(
            "--store", location, "export", fmt, "-o", str(tmp_path / name), "--clearance", "GREEN", "--json"
        )
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["clearance"] == "GREEN" and summary["nodes"] == 9
        assert b"bassterlord" not in (tmp_path / name).read_bytes()
    assert json.loads((tmp_path / "x.json").read_text())["type"] == "bundle"
    # MISP's STIX dialect at GREEN: marked CLEAR or GREEN only (TLP 2.0 or 1.0 marking definitions).
    misp_made = json.loads((tmp_path / "x.misp.stix.json").read_text())["objects"]
    low = {"94868c89-83c2-464b-929b-a1a8aa3c8487", "bab4a63c-aed9-4cf5-a766-dfca5abac2bb"}
    low |= {"613f2e26-407d-48c7-9eca-b8e91df99dc9", "34098fce-860f-48ae-8e50-ebd3cc5e41da"}
    marked = {m for o in misp_made for m in o.get("object_marking_refs", [])}
    assert marked and {m.partition("--")[2] for m in marked} <= low
    assert nx.read_graphml(tmp_path / "x.graphml").number_of_nodes() == 9
    names = zipfile.ZipFile(io.BytesIO((tmp_path / "x.zip").read_bytes())).namelist()
    assert "datasets.json" in names and "cases/01-actors.csv" in names
    folder = crimegraph(
        "--store",
        location,
        "export",
        "csv",
        "-o",
        str(tmp_path / "tables"),
        "--kind",
        "Actor",
        "--clearance",
        "RED",
    )
    assert folder.returncode == 0, folder.stderr
    assert (tmp_path / "tables" / "cases" / "01-actors.csv").read_text().count("\n") == 3  # header + 2
    scoped = crimegraph(
        "--store",
        location,
        "export",
        "stix",
        "-o",
        str(tmp_path / "s.json"),
        "--key",
        "group:lockbit",
        "--depth",
        "1",
        "--json",
    )
    assert json.loads(scoped.stdout)["nodes"] == 3  # by default CLEAR: LockBit, its domain and its forum


def test_export_fails_on_one_line(tmp_path: Path, model: Model) -> None:
    location = _store(tmp_path, model)
    for args in (
        ["export", "pdf", "-o", "x"],
        ["export", "stix", "-o", "x", "--kind", "Nope"],
        ["export", "stix", "-o", "x", "--key", "domain:nowhere.example"],
        ["package", str(tmp_path / "missing.json"), "-o", "x"],
    ):
        result = crimegraph("--store", location, *args, cwd=tmp_path)
        assert result.returncode == 1, args
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"targets": "no"}')
    result = crimegraph("--store", location, "package", str(bad), "-o", str(tmp_path / "p"))
    assert result.returncode == 1 and "targets" in result.stderr


def test_package_command(tmp_path: Path, model: Model) -> None:
    location = _store(tmp_path, model)
    plan = {
        "targets": [
            {
                "key": "provider:stark industries solutions",
                "name": "Stark",
                "kind": "Infrastructure",
                "score": 0.9,
                "cost": 2.0,
                "why": "hosts the group's domain",
            },
            {
                "key": "handle:bassterlord",
                "name": "b",
                "kind": "Actor",
                "score": 0.5,
                "cost": 1.0,
                "why": "x",
            },
        ],
        "before": {},
        "after": {},
        "objective": "fragmentation",
        "scope": {},
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    # The form before "create" existed still works.
    result = crimegraph(
        "--store",
        location,
        "package",
        str(path),
        "-o",
        str(tmp_path / "out"),
        "--json",
        "--clearance",
        "GREEN",
    )
    assert result.returncode == 0, result.stderr
    index = json.loads(result.stdout)
    listed = {k for p in index["parties"] for k in p["targets"]}
    assert "provider:stark industries solutions" in listed
    for entry in index["parties"]:
        folder = tmp_path / "out" / entry["folder"]
        assert {"package.json", "report.html", "bundle.stix.json"} <= {p.name for p in folder.iterdir()}
        assert entry["party"]["key"] != "provider:stark industries solutions"  # a target is never asked
    verified = crimegraph("package", "verify", str(tmp_path / "out"), "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"], verified.stderr
    created = crimegraph(
        "--store",
        location,
        "package",
        "create",
        str(path),
        "-o",
        str(tmp_path / "fr"),
        "--language",
        "fr",
        env={"SOURCE_DATE_EPOCH": "1765055505"},
    )
    assert created.returncode == 0, created.stderr
    # SOURCE_DATE_EPOCH fixes the time the package says it was made (reproducible examples)
    assert json.loads((tmp_path / "fr" / "index.json").read_text())["created"] == "2025-12-06T21:11:45Z"
    report = next((tmp_path / "fr").rglob("report.html"))
    assert 'lang="fr"' in report.read_text()
    report.write_text(report.read_text().replace("Demande", "Demandé", 1))
    changed = crimegraph("package", "verify", str(tmp_path / "fr"))
    assert changed.returncode == 1 and "changed: " in changed.stderr
    for args in (
        ["package", "verify", str(tmp_path)],
        ["package", "create", str(path), "-o", "x", "--language", "xx"],
    ):
        failed = crimegraph("--store", location, *args, cwd=tmp_path)
        assert failed.returncode == 1 and failed.stderr.count("\n") == 1, failed.stderr
    failed = crimegraph(
        "--store", location, "package", "create", str(path), "-o", "x", env={"SOURCE_DATE_EPOCH": "yesterday"}
    )
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1, failed.stderr
    assert "SOURCE_DATE_EPOCH is whole seconds since 1970-01-01 UTC, got 'yesterday'" in failed.stderr


def test_a_stix_export_says_which_indicators_it_leaves_out(
    tmp_path: Path, model: Model, fixtures: Path
) -> None:
    """OASIS's granular-marking example: the indicator's pattern is RED, so below RED it is no STIX indicator;
    the summary counts what the file holds and names what was left out, and why."""
    location = f"embedded:{tmp_path / 'graph.db'}"
    path = fixtures / "stix" / "granular-markings.json"
    assert crimegraph("--store", location, "load", "stix", str(path)).returncode == 0
    out = tmp_path / "green.json"
    result = crimegraph(
        "--store", location, "export", "stix", "-o", str(out), "--clearance", "GREEN", "--json"
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["nodes"], summary["edges"], summary["indicators_left_out"]) == (1, 0, 1)
    kinds = [o["type"] for o in json.loads(out.read_text())["objects"]]
    assert "indicator" not in kinds and "relationship" not in kinds and kinds.count("malware") == 1
    said = crimegraph(
        "--store", location, "export", "stix", "-o", str(tmp_path / "red.json"), "--clearance", "RED"
    )
    assert said.returncode == 0 and "left out" not in said.stdout
    said = crimegraph("--store", location, "export", "stix", "-o", str(tmp_path / "c.json"), "--force")
    assert "left out 1 indicator (and its links): its pattern is marked above CLEAR" in " ".join(
        said.stdout.split()
    )


def test_the_same_store_gives_the_same_stix_bytes_under_any_hash_seed(
    tmp_path: Path, model: Model, fixtures: Path
) -> None:
    """``stix2`` writes the properties of an extension it does not know in a set's order: the exporter puts
    them in a fixed order, so two runs with different hash seeds write the same bytes."""
    location = f"embedded:{tmp_path / 'graph.db'}"
    store = open_store(location, model)
    ingest(store, reader("stix")(fixtures / "stix" / "infrastructure.json", LoadContext(model, "oasis")))
    seed(store)
    store.close()
    written = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"seed-{hash_seed}.json"
        result = crimegraph(
            "--store", location, "export", "stix", "-o", str(out), "--clearance", "RED",
            env={"PYTHONHASHSEED": hash_seed},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        written.append(out.read_bytes())
    assert b'"x_crimegraph_key"' in written[0]  # the extension's properties are there to be ordered
    assert written[0] == written[1]
