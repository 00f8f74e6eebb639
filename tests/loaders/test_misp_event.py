"""MISP events: attributes, objects and their references, sightings, galaxies and tlp tags."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from graph_model.errors import NotFound
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import misp_event
from loaders.ingest import IngestSummary, ingest
from loaders.records import LoadContext, SourceError

RED = TLP.RED
EVENT_KEY = "stix:report--6ba9c8a6-1b2d-5cbb-a6a5-cbe8df4be5a4"


def load(store: EmbeddedStore, path: Path) -> tuple[IngestSummary, list[dict[str, str]]]:
    rejects = io.StringIO()
    summary = ingest(store, misp_event.read(path, LoadContext(store.model, "cert-example")), rejects=rejects)
    return summary, [json.loads(line) for line in rejects.getvalue().splitlines()]


def test_an_event_becomes_its_report_infrastructure_wallets_and_actor(
    embedded_store: EmbeddedStore, fixtures: Path
) -> None:
    path = fixtures / "misp-event" / "ransom-event.json"
    event_uuid = json.loads(path.read_text())["Event"]["uuid"]
    summary, rejects = load(embedded_store, path)
    assert summary.rejected == 0 and [r for r in rejects if not r.get("skipped")] == []
    report = embedded_store.get(f"stix:report--{event_uuid}", clearance=RED)
    assert (report.kind, report.type, report.name) == (
        "Report", "misp-event", "Locky affiliate: C2, payment site and wallets"
    )  # fmt: skip
    assert report.prov.tlp is TLP.AMBER  # the event's tlp:amber tag
    paid = embedded_store.get("btc:1BoatSLRHtKNngkdXEeobR76b53LETtpyT", clearance=RED)
    assert paid.prov.tlp is TLP.RED  # its own tlp:red tag
    wallet = embedded_store.get("btc:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", clearance=RED)
    assert wallet.prov.tlp is TLP.AMBER
    graph = embedded_store.subgraph(clearance=RED)
    edges = {(d["type"], u, v) for u, v, d in graph.edges(data=True)}
    assert ("RESOLVES_TO", "domain:c2.locky.example", "ip:198.51.100.9") in edges
    # The domain-ip object refers to the wallet object: the reference joins what the objects name.
    assert ("RELATED_TO", "domain:c2.locky.example", wallet.key) in edges
    assert ("SIGHTED_AT", "ip:203.0.113.7", "uuid:d0b1ea00-f628-510c-9719-170a72697669") in edges
    actor = embedded_store.get("uuid:03c80674-35f8-4fe0-be2b-226ed0fcd69f", clearance=RED)
    assert (actor.kind, actor.name, actor.props["aliases"]) == ("Actor", "TA505", ["Hive0065"])
    referred = {v for u, v, d in graph.edges(data=True) if d["type"] == "REFERS_TO" and u == report.key}
    assert {paid.key, wallet.key, actor.key, "ip:203.0.113.7", "domain:pay-locky.example"} <= referred
    with pytest.raises(NotFound):
        embedded_store.get(wallet.key, clearance=TLP.GREEN)


def test_unknown_tlp_tags_and_wrong_files(
    embedded_store: EmbeddedStore, fixtures: Path, tmp_path: Path
) -> None:
    event = json.loads((fixtures / "misp-event" / "ransom-event.json").read_text())
    event["Event"]["Tag"] = [{"name": "tlp:test"}]
    path = tmp_path / "bare-event.json"
    path.write_text(json.dumps(event["Event"]))  # a bare event (no "Event" wrapper) reads the same
    summary, _ = load(embedded_store, path)
    assert summary.warnings_by_reason[
        "unknown TLP label 'tlp:test': treated as the most restrictive, TLP:RED"
    ]
    assert embedded_store.get("ip:203.0.113.7", clearance=RED).prov.tlp is TLP.RED
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": []}))
    with pytest.raises(
        SourceError, match=r"a STIX bundle, not a MISP event: load it with `crimegraph load stix`"
    ):
        list(misp_event.read(bundle, LoadContext(embedded_store.model, "x")))
