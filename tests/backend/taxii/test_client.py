"""``crimegraph load taxii`` against crimegraph's own TAXII server running in a second process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from taxii2client.v21 import Collection

from backend.api.server import free_port
from backend.export.stix_objects import TLP2
from backend.taxii.client import pull
from backend.taxii.collections import ALL_ID
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from tests.backend.api.test_serve import crimegraph, read_until, wait_ready

REPO = Path(__file__).resolve().parents[3]
GREEN_KEY = "unit-b-green-key-0123456789"
LOADER_KEY = "unit-b-loader-key-0123456789"
KEYS = f"{GREEN_KEY}:viewer:GREEN,{LOADER_KEY}:loader:AMBER"
MITRE = "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"


def cli(*args: str, password: str | None = GREEN_KEY) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    env.pop("CRIMEGRAPH_TAXII_PASSWORD", None)
    if password is not None:
        env["CRIMEGRAPH_TAXII_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "backend", *args], capture_output=True, text=True, env=env, timeout=600
    )


@pytest.fixture(scope="module")
def partner(
    tmp_path_factory: pytest.TempPathFactory, model: Model, fixtures: Path
) -> Iterator[tuple[str, Path]]:
    """Unit A: a store with ATT&CK objects (CLEAR) and a MISP event (AMBER), served in its own process."""
    folder = tmp_path_factory.mktemp("unit-a")
    store = EmbeddedStore(folder / "a.db", model)
    ingest(store, reader("stix")(fixtures / "stix" / "attack-excerpt.json", LoadContext(model, "attack")))
    event = fixtures / "misp-event" / "ransom-event.json"
    ingest(store, reader("misp-event")(event, LoadContext(model, "cert-example")))
    store.close()
    port = free_port()
    args = ("--store", f"embedded:{folder / 'a.db'}", "serve", "--port", str(port), "--workers", "1")
    with crimegraph(*args, env={"CRIMEGRAPH_API_KEYS": KEYS, "PYTHONPATH": str(REPO)}) as process:
        read_until(process, r"crimegraph API on")
        url = f"http://127.0.0.1:{port}"
        wait_ready(url)
        yield url, folder / "a.db"


def _keys(path: Path, model: Model) -> tuple[set[str], int]:
    store = EmbeddedStore(path, model)
    try:
        graph = store.subgraph(clearance=TLP.RED)
        return set(graph.nodes), graph.number_of_edges()
    finally:
        store.close()


def test_a_pull_equals_the_served_collection_and_resumes(
    partner: tuple[str, Path], tmp_path: Path, model: Model
) -> None:
    url, served_store = partner
    b = f"embedded:{tmp_path / 'b.db'}"
    first = cli("--store", b, "load", "taxii", f"{url}/taxii2/", "--collection", "Everything",
                "--user", "unit-b", "--source", "unit-a", "--json")  # fmt: skip
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["rejected"] == 0 and summary["started"] is None and summary["ended"]
    # The same as loading unit A's STIX export at the key's clearance from a file.
    exported = tmp_path / "a-green.stix.json"
    done = cli(
        "--store", f"embedded:{served_store}", "export", "stix", "-o", str(exported), "--clearance", "GREEN"
    )
    assert done.returncode == 0, done.stderr
    objects = json.loads(exported.read_text())["objects"]
    assert summary["read"] == len(objects)
    assert cli("--store", f"embedded:{tmp_path / 'c.db'}", "load", "stix", str(exported)).returncode == 0
    assert _keys(tmp_path / "b.db", model) == _keys(tmp_path / "c.db", model)
    assert "1BoatSLRHtKNngkdXEeobR76b53LETtpyT" not in first.stdout + json.dumps(objects)  # RED in A
    # The next pull resumes where this one ended: nothing new.
    second = cli("--store", b, "load", "taxii", f"{url}/taxii2/", "--collection", "Everything", "--json")
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    # (It asks from one second before the resume point - additions are dated to the second - so what was
    # added in that second comes again and adds nothing.)
    assert (again["nodes_new"], again["edges_new"], again["started"]) == (0, 0, summary["ended"])
    # A partner posts; the next pull fetches only that.
    posted = {"type": "malware", "spec_version": "2.1", "id": "malware--5e5e5e5e-0000-4000-8000-000000000001",
              "created": "2024-06-01T00:00:00.000Z", "modified": "2024-06-01T00:00:00.000Z",
              "name": "Fresh Loader", "is_family": True,
              "object_marking_refs": [TLP2[TLP.GREEN][0]]}  # fmt: skip
    collection = Collection(f"{url}/taxii2/crimegraph/collections/{ALL_ID}/", user="a", password=LOADER_KEY)
    time.sleep(1.1)  # the post is dated in a later second than the first pull's last object
    assert collection.add_objects({"objects": [posted]}, wait_for_completion=False).success_count == 1
    third = cli("--store", b, "load", "taxii", f"{url}/taxii2/", "--collection", "everything", "--json")
    news = json.loads(third.stdout)
    assert news["nodes_new"] == 1 and news["edges_new"] == 0
    assert news["started"] == summary["ended"] and news["ended"] > summary["ended"]
    # Another, with ATT&CK's copyright: the server sent that definition in the first pull (with the first
    # object that needed it) and not again, but the pull kept it with its resume point, so the object
    # stays GREEN, its statement kept (else it would be an unresolvable marking: TLP:RED, with a warning).
    mitre = next(o for o in objects if o["id"] == MITRE)
    later = {**posted, "id": "malware--5e5e5e5e-0000-4000-8000-000000000002", "name": "Fresh Stealer",
             "object_marking_refs": [TLP2[TLP.GREEN][0], MITRE]}  # fmt: skip
    time.sleep(1.1)
    assert collection.add_objects({"objects": [mitre, later]}, wait_for_completion=False).success_count == 2
    fourth = cli("--store", b, "load", "taxii", f"{url}/taxii2/", "--collection", "everything", "--json")
    last = json.loads(fourth.stdout)
    assert last["nodes_new"] == 1 and not last["warnings_by_reason"]
    store = EmbeddedStore(tmp_path / "b.db", model)
    try:
        fresh = store.get("uuid:5e5e5e5e-0000-4000-8000-000000000002", clearance=TLP.GREEN)
        assert json.loads(fresh.props["stix_extra"])["object_marking_refs"] == [MITRE]
    finally:
        store.close()


def test_small_pages_give_the_same_objects(partner: tuple[str, Path], tmp_path: Path, model: Model) -> None:
    url, _ = partner
    whole = EmbeddedStore(tmp_path / "whole.db", model)
    paged = EmbeddedStore(tmp_path / "paged.db", model)
    try:
        seen: list[Any] = []
        for store, size in ((whole, 1000), (paged, 4)):
            summary, start, end = pull(
                store, LoadContext(model, "unit-a"), f"{url}/taxii2/crimegraph/", "Everything",
                added_after=None, user="b", password=GREEN_KEY, per_request=size,
            )  # fmt: skip
            seen.append((summary.read, summary.rejected, dict(summary.warnings_by_reason)))
            assert start is None and end
        assert seen[0] == seen[1] and seen[0][1] == 0 and seen[0][2] == {}
        graphs = [store.subgraph(clearance=TLP.RED) for store in (whole, paged)]
        assert set(graphs[0].nodes) == set(graphs[1].nodes)
        # ATT&CK's copyright marking, served once (with the first object that needs it), stays a statement
        # for the objects of later pages: the same markings and statements, nothing taken as RED.
        facts = [{k: (a["tlp"], a.get("stix_extra")) for k, a in g.nodes(data=True)} for g in graphs]
        assert facts[0] == facts[1]
        assert sum("fa42a846" in (extra or "") for _, extra in facts[1].values()) >= 10
    finally:
        whole.close()
        paged.close()


def test_refusals_are_one_line(partner: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = partner
    b = f"embedded:{tmp_path / 'b.db'}"
    wrong = cli(
        "--store", b, "load", "taxii", f"{url}/taxii2/", "--collection", "Everything", password="nope"
    )
    assert wrong.returncode == 1 and len(wrong.stderr.strip().splitlines()) == 1
    assert (
        "the TAXII server refused the credentials (HTTP 401)" in wrong.stderr
        and "Traceback" not in wrong.stderr
    )
    unset = cli("--store", b, "load", "taxii", f"{url}/taxii2/", "--collection", "Everything", password=None)
    assert unset.returncode == 1 and len(unset.stderr.strip().splitlines()) == 1
    assert "(HTTP 401): no password was sent (set CRIMEGRAPH_TAXII_PASSWORD)" in unset.stderr
    missing = cli("--store", b, "load", "taxii", f"{url}/taxii2/", "--collection", "Nothing")
    assert missing.returncode == 1 and "no collection 'Nothing'" in missing.stderr
    usage = cli("--store", b, "load", "taxii", f"{url}/taxii2/")
    assert usage.returncode == 1 and "--collection" in usage.stderr
    # The server speaks plain HTTP: an https:// URL is told so, in words, not urllib3's.
    tls = cli("--store", b, "load", "taxii", f"{url.replace('http:', 'https:')}/taxii2/", "--collection", "x")
    assert tls.returncode == 1 and len(tls.stderr.strip().splitlines()) == 1, tls.stderr
    assert "the TLS handshake with 127.0.0.1:" in tls.stderr and "give an http:// URL" in tls.stderr
    assert "ConnectionPool" not in tls.stderr
