"""Real producers' files: MISP's own STIX converter, sightings and relationships with every property the
spec allows, producers' galaxies, files given to the wrong loader, unknown TLP labels."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from misp_stix_converter import MISPtoSTIX21Parser

from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import misp, stix
from loaders.ingest import IngestSummary, ingest
from loaders.misp_galaxies import galaxy_kind
from loaders.records import LoadContext

RED = TLP.RED
REPO = Path(__file__).resolve().parents[2]
EVENT = "ransom-event.json"
C2_UUID = "d038e6e5-020b-5adc-8b43-cb7e702b42a2"


def misp_stix(fixtures: Path, tmp_path: Path) -> Path:
    """The fixture MISP event converted to STIX 2.1 by MISP's own converter (misp-stix)."""
    parser = MISPtoSTIX21Parser()
    parser.parse_misp_event(json.loads((fixtures / "misp-event" / EVENT).read_text()))
    path = tmp_path / "misp-export.stix.json"
    path.write_text(parser.bundle.serialize())
    return path


def load(store: EmbeddedStore, path: Path, module: Any = stix) -> tuple[IngestSummary, list[dict[str, Any]]]:
    rejects = io.StringIO()
    summary = ingest(store, module.read(path, LoadContext(store.model, path.stem)), rejects=rejects)
    return summary, [json.loads(line) for line in rejects.getvalue().splitlines()]


def test_misp_stix_export_keeps_types_sharing_a_uuid_apart(
    embedded_store: EmbeddedStore, fixtures: Path, tmp_path: Path
) -> None:
    summary, rejects = load(embedded_store, misp_stix(fixtures, tmp_path))
    assert summary.rejected == 0, [r for r in rejects if not r.get("skipped")]
    indicator = embedded_store.get(f"stix:indicator--{C2_UUID}", clearance=RED)
    observed = embedded_store.get(f"stix:observed-data--{C2_UUID}", clearance=RED)
    assert (indicator.kind, indicator.type) == ("Indicator", "pattern")
    assert (observed.kind, observed.type) == ("Report", "observed-data")
    # The address itself is one node keyed by its value, its STIX id an identifier of it.
    address = embedded_store.get(f"stix:ipv4-addr--{C2_UUID}", clearance=RED)
    assert address.key == "ip:203.0.113.7"
    # The sighting (of the indicator, at the sighting organisation) is an edge, not a reject.
    sightings = embedded_store.subgraph(clearance=RED, edge_types=["SIGHTED_AT"])
    assert [(u, v) for u, v in sightings.edges()] == [
        (indicator.key, "uuid:d0b1ea00-f628-510c-9719-170a72697669")
    ]
    (data,) = [d for _, _, d in sightings.edges(data=True)]
    extra = json.loads(data["stix_extra"])
    assert extra["observed_data_refs"] == [f"observed-data--{C2_UUID}"]
    assert set(extra) == {"observed_data_refs", "created", "modified"}


SIGHTING: dict[str, Any] = {
    "type": "sighting",
    "spec_version": "2.1",
    "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
    "created": "2016-04-06T20:08:31.000Z",
    "modified": "2016-04-06T20:08:31.000Z",
    "first_seen": "2015-12-21T19:00:00Z",
    "last_seen": "2015-12-21T19:00:00Z",
    "count": 50,
    "summary": True,
    "description": "seen on the mail gateway",
    "sighting_of_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
    "where_sighted_refs": [
        "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
        "location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64",
    ],
    "confidence": 80,
    "labels": ["gateway"],
    "lang": "en",
    "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
    "external_references": [{"source_name": "ticket", "external_id": "T-1"}],
    "x_acme_ticket": "keep me",
}
RELATIONSHIP: dict[str, Any] = {
    "type": "relationship",
    "spec_version": "2.1",
    "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
    "created": "2016-04-06T20:08:31.000Z",
    "modified": "2016-04-06T20:08:31.000Z",
    "relationship_type": "targets",
    "source_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
    "target_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
    "start_time": "2015-01-01T00:00:00Z",
    "stop_time": "2016-01-01T00:00:00Z",
    "description": "targets the finance team",
    "confidence": 70,
    "labels": ["l"],
    "revoked": False,
    "x_other": 5,
}


def test_every_spec_property_of_a_sighting_or_relationship_is_accepted_and_kept(
    embedded_store: EmbeddedStore, tmp_path: Path
) -> None:
    created = {"created": "2016-04-06T20:03:00.000Z", "modified": "2016-04-06T20:03:00.000Z"}
    objects = [
        {"type": "identity", "spec_version": "2.1", "id": RELATIONSHIP["target_ref"], **created,
         "name": "ACME", "identity_class": "organization"},
        {"type": "location", "spec_version": "2.1", "id": SIGHTING["where_sighted_refs"][1], **created,
         "country": "DE"},
        {"type": "malware", "spec_version": "2.1", "id": SIGHTING["sighting_of_ref"], **created,
         "name": "Poison", "is_family": True},
        SIGHTING,
        RELATIONSHIP,
    ]  # fmt: skip
    path = tmp_path / "links.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}))
    summary, rejects = load(embedded_store, path)
    assert summary.rejected == 0 and rejects == [] and not summary.warnings_by_reason
    graph = embedded_store.subgraph(clearance=RED)
    sighted = {v: d for _, v, t, d in graph.edges(keys=True, data=True) if d["type"] == "SIGHTED_AT"}
    assert set(sighted) == {
        "uuid:f431f809-377b-45e0-aa1c-6a4751cae5ff",
        "uuid:a6e9345f-5a15-4c29-8bb3-7dcc5d168d64",
    }
    for data in sighted.values():
        assert (data["count"], data["summary"], data["description"]) == (50, True, "seen on the mail gateway")
        assert data["confidence"] == 80
        extra = json.loads(data["stix_extra"])
        assert extra == {k: SIGHTING[k] for k in ("labels", "lang", "created_by_ref", "external_references",
                                                   "x_acme_ticket", "created", "modified")}  # fmt: skip
    (targets,) = [d for _, _, d in graph.edges(data=True) if d["type"] == "TARGETS"]
    assert targets["description"] == "targets the finance team"
    assert json.loads(targets["stix_extra"]) == {
        "labels": ["l"], "revoked": False, "x_other": 5, "created": RELATIONSHIP["created"],
        "modified": RELATIONSHIP["modified"],
    }  # fmt: skip


def _galaxy(tmp_path: Path, galaxy_type: str, values: list[dict[str, Any]], **header: Any) -> Path:
    path = tmp_path / f"{galaxy_type}.json"
    doc = {"type": galaxy_type, "name": galaxy_type, "uuid": "00000000-0000-4000-8000-00000000aaaa",
           "values": values, **header}  # fmt: skip
    path.write_text(json.dumps(doc))
    return path


def test_galaxy_types_are_recognised_by_name_and_meta(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    actor = {"value": "Golden Falcon", "uuid": "0b4e4c5e-0000-4000-8000-000000000001", "meta": {}}
    path = _galaxy(tmp_path, "360net-threat-actor", [actor])
    summary, _ = load(embedded_store, path, misp)
    assert summary.rejected == 0
    node = embedded_store.get("uuid:0b4e4c5e-0000-4000-8000-000000000001", clearance=RED)
    assert (node.kind, node.type) == ("Actor", "group")
    assert galaxy_kind("sekoia-intrusion-set") == ("Actor", "group")
    assert galaxy_kind("acme-stealers") == ("Malware", "malware")
    assert galaxy_kind("vendor-tools") == ("Malware", "tool")
    # A galaxy named nothing telling: its values' meta says they are actors.
    meta = {"cfr-suspected-victims": ["FR"], "country": "XX"}
    values = [{"value": f"Group {i}", "uuid": f"0b4e4c5e-0000-4000-8000-00000000010{i}", "meta": meta}
              for i in range(3)]  # fmt: skip
    load(embedded_store, _galaxy(tmp_path, "acme-watchlist", values), misp)
    assert embedded_store.get("uuid:0b4e4c5e-0000-4000-8000-000000000100", clearance=RED).kind == "Actor"
    assert galaxy_kind("firearms") == ("Concept", "galaxy-value")  # a catalogue stays a Concept


def test_one_bad_related_entry_is_left_out_and_its_cluster_kept(
    embedded_store: EmbeddedStore, tmp_path: Path
) -> None:
    related = [
        {"dest-uuid": "", "type": "similar"},
        {"type": "similar"},
        {"dest-uuid": "0b4e4c5e-0000-4000-8000-000000000009", "type": ""},
        {"dest-uuid": "0b4e4c5e-0000-4000-8000-000000000002", "type": "similar"},
    ]
    values = [
        {"value": "Alpha", "uuid": "0b4e4c5e-0000-4000-8000-000000000001", "related": related},
        {"value": "Beta", "uuid": "0b4e4c5e-0000-4000-8000-000000000002"},
    ]
    summary, rejects = load(embedded_store, _galaxy(tmp_path, "threat-actor", values), misp)
    assert summary.rejected == 0 and rejects == []
    assert summary.warnings_by_reason == {
        "related entry without a valid 'dest-uuid' left out": 2,
        "related entry without a 'type' left out": 1,
    }
    assert embedded_store.get("uuid:0b4e4c5e-0000-4000-8000-000000000001", clearance=RED).name == "Alpha"
    assert embedded_store.subgraph(clearance=RED, edge_types=["SIMILAR_TO"]).number_of_edges() == 1


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "backend", "--store", f"embedded:{cwd / 'g.db'}", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )  # fmt: skip


def test_a_file_of_the_wrong_format_names_the_command_that_reads_it(fixtures: Path, tmp_path: Path) -> None:
    event = fixtures / "misp-event" / EVENT
    done = _cli("load", "stix", str(event), cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == (
        f"error: {event}: a MISP event, not a STIX bundle: load it with `crimegraph load misp-event`"
    )
    bundle = misp_stix(fixtures, tmp_path)
    done = _cli("load", "misp-galaxy", str(bundle), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: {bundle}: a STIX bundle, not a MISP galaxy cluster file: load it with `crimegraph load stix`"
    )
    galaxy = _galaxy(
        tmp_path, "threat-actor", [{"value": "A", "uuid": "0b4e4c5e-0000-4000-8000-000000000001"}]
    )
    done = _cli("load", "stix", str(galaxy), cwd=tmp_path)
    assert done.returncode == 1 and "load it with `crimegraph load misp-galaxy`" in done.stderr
    assert not (tmp_path / "g.db").exists()


def test_an_unknown_tlp_label_is_named_and_taken_as_the_most_restrictive(
    embedded_store: EmbeddedStore, tmp_path: Path
) -> None:
    marking = {"type": "marking-definition", "spec_version": "2.1",
               "id": "marking-definition--3a1e3c0e-0000-4000-8000-000000000001",
               "created": "2020-01-01T00:00:00.000Z", "definition_type": "tlp",
               "name": "TLP:TEST", "definition": {"tlp": "test"}}  # fmt: skip
    actor = {"type": "intrusion-set", "spec_version": "2.1",
             "id": "intrusion-set--3a1e3c0e-0000-4000-8000-000000000002",
             "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
             "name": "Test Group", "object_marking_refs": [marking["id"]]}  # fmt: skip
    path = tmp_path / "test-tlp.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [marking, actor]}))
    summary, _ = load(embedded_store, path)
    assert summary.warnings_by_reason == {
        "unknown TLP label 'test': treated as the most restrictive, TLP:RED": 1
    }
    node = embedded_store.get("uuid:3a1e3c0e-0000-4000-8000-000000000002", clearance=RED)
    assert node.prov.tlp is TLP.RED
    with pytest.raises(Exception, match="no entity"):
        embedded_store.get(node.key, clearance=TLP.AMBER_STRICT)


def test_old_keys_of_saved_plans_resolve_as_identifiers(
    embedded_store: EmbeddedStore, fixtures: Path, tmp_path: Path
) -> None:
    """Before STIX ids were typed, an indicator or an observable's id was ``uuid:<uuid>``: a plan or
    investigation saved then names it so, and still finds it (a UUID MISP gives two types: the first)."""
    from queries.results import Plan

    load(embedded_store, misp_stix(fixtures, tmp_path))
    old = f"uuid:{C2_UUID}"
    plan = Plan.from_dict({"targets": [{"key": old, "name": "old plan target"}]})
    found = embedded_store.get(plan.targets[0].key, clearance=RED)
    assert found.key in (f"stix:indicator--{C2_UUID}", f"stix:observed-data--{C2_UUID}", "ip:203.0.113.7")
    oasis = fixtures / "stix" / "indicator-for-malicious-url.json"
    load(embedded_store, oasis)
    indicator = next(o for o in json.loads(oasis.read_text())["objects"] if o["type"] == "indicator")
    uuid = indicator["id"].partition("--")[2]
    assert embedded_store.get(f"uuid:{uuid}", clearance=RED).key == f"stix:indicator--{uuid}"
