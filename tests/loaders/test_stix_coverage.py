"""What STIX bundles from other producers hold loads, and nothing good is lost: ATT&CK for ICS and Mobile
(techniques, ICS assets, mitigations, detections), custom types, one bad optional field, individual actors.
The OASIS ``stix2-validator`` is the reference: an object it calls valid is never rejected."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from stix2validator import ValidationOptions, validate_instance

from graph_model.check import check_store
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from loaders import IngestSummary, LoadContext, ingest, stix
from tests.loaders.loading import edge_types, kinds

RED = TLP.RED
VALIDATOR = ValidationOptions(version="2.1")


def load(store: GraphStore, path: Path) -> tuple[IngestSummary, list[dict[str, object]]]:
    sink = io.StringIO()
    summary = ingest(store, stix.read(path, LoadContext(store.model, path.stem)), rejects=sink)
    return summary, [json.loads(line) for line in sink.getvalue().splitlines()]


@pytest.mark.realdata
def test_attack_ics_and_mobile_load_with_every_skip_listed(store: GraphStore, shared_data: Path) -> None:
    folder = shared_data / "attack-ics-mobile"
    ics, ics_lines = load(store, folder / "ics-attack-18.1.json")
    mobile, mobile_lines = load(store, folder / "mobile-attack-17.1.json")
    assert (ics.read, mobile.read) == (1826, 2148)  # the object counts of SOURCE.md
    assert ics.rejected == mobile.rejected == 0
    # What stays out is ATT&CK's framework metadata, each with its reason, nothing else.
    assert ics.skipped_by_reason == {
        "custom object type x-mitre-analytic is not modelled": 82,
        "custom object type x-mitre-data-source is not modelled": 17,
        "custom object type x-mitre-tactic is not modelled": 12,
        "custom object type x-mitre-collection is not modelled": 1,
        "custom object type x-mitre-matrix is not modelled": 1,
        "marking-definition: read as the marking of the objects": 1,
    }
    assert mobile.skipped_by_reason == {
        "custom object type x-mitre-tactic is not modelled": 14,
        "custom object type x-mitre-data-source is not modelled": 6,
        "custom object type x-mitre-matrix is not modelled": 2,
        "custom object type x-mitre-collection is not modelled": 1,
        "marking-definition: read as the marking of the objects": 1,
    }
    skipped_lines = [line for line in ics_lines + mobile_lines if line.get("skipped")]
    assert len(skipped_lines) == ics.skipped + mobile.skipped  # every skip written with its reason
    assert all(line["record"] for line in skipped_lines if "marking" not in str(line["reason"]))
    nodes = kinds(store)
    assert nodes["Technique/attack-pattern"] == 95 + 188
    assert nodes["Asset/ics-asset"] == 18
    assert nodes["Mitigation/course-of-action"] == 52 + 15
    assert nodes["Detection/detection-strategy"] == 83
    assert nodes["Detection/data-component"] == 45  # 36 + 17, of which 8 are the same objects in both
    edges = edge_types(store)
    assert edges["TARGETS"] == 685  # technique -> ICS asset
    assert edges["MITIGATES"] == 331 + 163
    assert edges["DETECTS"] == 83 + 168
    assert edges["SUBTECHNIQUE_OF"] == 46
    graph = store.subgraph(clearance=RED, edge_types=["TARGETS", "DETECTS", "MITIGATES"])
    ends = Counter(
        (graph.nodes[s]["kind"], a["type"], graph.nodes[t]["kind"]) for s, t, a in graph.edges(data=True)
    )
    assert ends[("Technique", "TARGETS", "Asset")] == 685
    assert ends[("Detection", "DETECTS", "Technique")] == 83 + 168
    assert ends[("Mitigation", "MITIGATES", "Technique")] == 331 + 163
    report = check_store(store)
    assert (report.violations, report.waiting) == (0, 0), report.examples
    # Sandworm Team is in both domains: one actor, both sources.
    sandworm = store.get("uuid:381fcf73-60f6-4ab2-9991-6af3cbc35192", clearance=RED)
    assert {s.split("#")[0] for s in sandworm.prov.sources} == {"ics-attack-18.1", "mobile-attack-17.1"}


def test_bad_optional_fields_custom_types_and_individuals(store: GraphStore, fixtures: Path) -> None:
    path = fixtures / "stix" / "tolerance.json"
    summary, lines = load(store, path)
    rejected = {str(line["location"]).partition("#")[2] for line in lines if not line.get("skipped")}
    assert rejected == {"relationship--10000007-1111-4111-8111-111111111111", "malware--not-a-uuid"}
    # The reference: what the OASIS validator calls valid is never rejected.
    for obj in json.loads(path.read_text())["objects"]:
        if validate_instance(obj, VALIDATOR).is_valid:
            assert obj["id"] not in rejected, obj["id"]
    assert summary.warnings_by_reason == {
        "malware property 'is_family' missing: loaded without it": 1,
        "relationship property 'stop_time' left out: 'stop_time' must be later than 'start_time'": 1,
    }
    assert summary.skipped_by_reason == {
        "custom object type case-rfi is not modelled": 1,
        "custom object type x-acme-widget is not modelled": 1,
        "custom object type tracking-number is not modelled": 1,
    }
    assert store.get("uuid:00000001-1111-4111-8111-111111111111", clearance=RED).name == "NoFamilyFlag"
    uses = store.subgraph(clearance=RED, edge_types=["USES"])
    (edge,) = [a for _, _, a in uses.edges(data=True)]
    assert edge["last_seen"] is None or edge["last_seen"] >= "2020-02-01"
    people = {store.get(f"uuid:0000000{i}-1111-4111-8111-111111111111", clearance=RED).type for i in (4, 5)}
    assert people == {"person"}
    assert store.get("uuid:00000006-1111-4111-8111-111111111111", clearance=RED).type == "group"
    counts = store.stats(clearance=RED).as_dict()
    assert counts["nodes"]["Location"] == counts["nodes"]["Incident"] == counts["nodes"]["Report"] == 1
    assert counts["nodes"]["Note"] == 2
    assert counts["edges"]["ANNOTATES"] == 3 and counts["edges"]["REFERS_TO"] == 2  # not to a relationship
    assert counts["edges"]["TARGETS"] == 1
    assert check_store(store).violations == 0


@pytest.mark.realdata
def test_oasis_examples_reject_nothing_the_validator_calls_valid(
    embedded_store: EmbeddedStore, shared_data: Path
) -> None:
    for path in sorted((shared_data / "stix-examples").glob("*.json")):
        summary, lines = load(embedded_store, path)
        rejected = [line for line in lines if not line.get("skipped")]
        assert summary.rejected == len(rejected) == 0, path.name
        for obj in json.loads(path.read_text())["objects"]:
            assert validate_instance(obj, VALIDATOR).is_valid, obj["id"]  # so none may be rejected
    counts = embedded_store.stats(clearance=RED).as_dict()
    assert counts["nodes"]["Report"] == 2 + 2  # apt1 and poisonivy, two observed-data
    assert counts["nodes"]["Mitigation"] == 2
    assert check_store(embedded_store).violations == 0


def test_a_misp_cluster_or_event_given_as_stix_cannot_be_read(
    fixtures: Path, embedded_store: EmbeddedStore, tmp_path: Path
) -> None:
    from loaders.records import SourceError

    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"Event": {"info": "Phishing", "uuid": "5c3a1b2e-1111-4111-8111-111111111111"}})
    )
    for path, right in ((fixtures / "misp" / "botnet-excerpt.json", "misp-galaxy"), (event, "misp-event")):
        with pytest.raises(SourceError, match=f"not a STIX bundle: load it with `crimegraph load {right}`"):
            list(stix.read(path, LoadContext(embedded_store.model, "x")))
