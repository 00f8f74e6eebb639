"""Standard STIX 2.1 objects stay standard in a STIX export: every node whose source object was of a type the
specification defines (course-of-action, location, incident, report, note, opinion, observed-data, file,
software, ...) is written as that type with its own id, with the type's required properties, so readers that
skip custom objects (OpenCTI, MISP) read it. Only where a required property has no true value does it stay
crimegraph's own ``x-crimegraph-<kind>`` (keeping its UUID); docs/export.md lists those cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backend.export import stix
from backend.export.graph import export_graph
from graph_model.entities import Edge, make_node
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from queries.scope import Scope
from tests.backend.export.graphs import prov
from tests.backend.export.stix_check import assert_same_graph, stix_errors

# The object types STIX 2.1 defines (SDOs and SCOs; relationships and sightings are links, not nodes).
STANDARD = frozenset(
    {
        "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
        "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data",
        "opinion", "report", "threat-actor", "tool", "vulnerability", "artifact", "autonomous-system",
        "directory", "domain-name", "email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr",
        "mac-addr", "mutex", "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "x509-certificate",
    }
)  # fmt: skip
# Source objects of a standard type the STIX examples have that cannot be standard: this observed-data's only
# object_refs is a windows-registry-key, which crimegraph does not model (docs/export.md).
KEPT_OWN = {"observed-data--a0d34360-66ad-4977-b255-d9e1080421c4"}

T0 = "2024-03-01T10:00:00.000Z"
IDS = {
    "actor": "intrusion-set--0f7e3b4a-5a0e-4a36-9d3c-6a5b1c2d3e41",
    "paris": "location--1a2b3c4d-0000-4000-8000-000000000001",
    "incident": "incident--1a2b3c4d-0000-4000-8000-000000000003",
    "note": "note--1a2b3c4d-0000-4000-8000-000000000004",
    "opinion": "opinion--1a2b3c4d-0000-4000-8000-000000000005",
    "software": "software--1a2b3c4d-0000-4000-8000-000000000006",
    "file": "file--1a2b3c4d-0000-4000-8000-000000000007",
    "report": "report--1a2b3c4d-0000-4000-8000-000000000008",
    "observed": "observed-data--1a2b3c4d-0000-4000-8000-000000000009",
    "coa": "course-of-action--1a2b3c4d-0000-4000-8000-00000000000a",
}


def _sdo(which: str, otype: str, **props: Any) -> dict[str, Any]:
    return {"type": otype, "spec_version": "2.1", "id": IDS[which], "created": T0, "modified": T0, **props}


def _bundle() -> dict[str, Any]:
    sha = "a" * 64
    objects = [
        _sdo("actor", "intrusion-set", name="Grey Heron"),
        _sdo(
            "paris",
            "location",
            name="Paris office",
            country="FR",
            city="Paris",
            latitude=48.85,
            longitude=2.35,
        ),
        _sdo("incident", "incident", name="Ransomware at the clinic", description="Files encrypted."),
        _sdo(
            "note",
            "note",
            abstract="Seen twice",
            content="The group came back in March.",
            object_refs=[IDS["actor"], IDS["incident"]],
            authors=["desk"],
        ),
        _sdo(
            "opinion",
            "opinion",
            opinion="agree",
            explanation="Same infrastructure.",
            object_refs=[IDS["incident"]],
        ),
        {
            "type": "software",
            "spec_version": "2.1",
            "id": IDS["software"],
            "name": "Rclone",
            "vendor": "rclone",
            "version": "1.66",
        },
        {
            "type": "file",
            "spec_version": "2.1",
            "id": IDS["file"],
            "name": "locker.exe",
            "hashes": {"SHA-256": sha},
            "size": 4096,
        },
        _sdo(
            "observed",
            "observed-data",
            first_observed=T0,
            last_observed="2024-03-02T10:00:00.000Z",
            number_observed=3,
            object_refs=[IDS["file"]],
        ),
        _sdo("coa", "course-of-action", name="Block the C2", description="At the perimeter."),
        _sdo(
            "report",
            "report",
            name="Clinic intrusion",
            published=T0,
            report_types=["threat-report"],
            object_refs=[IDS["actor"], IDS["incident"], IDS["file"], IDS["coa"]],
        ),
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": "relationship--1a2b3c4d-0000-4000-8000-0000000000a1",
            "created": T0,
            "modified": T0,
            "relationship_type": "located-at",
            "source_ref": IDS["actor"],
            "target_ref": IDS["paris"],
        },
    ]
    return {"type": "bundle", "id": "bundle--1a2b3c4d-0000-4000-8000-0000000000ff", "objects": objects}


def _load(model: Model, db: Path, paths: list[Path], dataset: str) -> EmbeddedStore:
    store = EmbeddedStore(db, model)
    for path in paths:
        assert ingest(store, reader("stix")(path, LoadContext(model, dataset))).rejected == 0
    return store


def _standard_source_objects(store: EmbeddedStore, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(the source object's id, the exported object) of every node loaded from a standard STIX object."""
    graph = export_graph(store, TLP.RED, Scope())
    stix_ids = {k: a.get("stix_id") for k, a in graph.nodes(data=True)}
    found = []
    for obj in data["objects"]:
        source = stix_ids.get(obj.get("x_crimegraph_key"))
        if isinstance(source, str) and source.partition("--")[0] in STANDARD:
            found.append((source, obj))
    return found


def test_standard_kinds_are_written_as_their_stix_types(model: Model, tmp_path: Path) -> None:
    path = tmp_path / "standard.json"
    path.write_text(json.dumps(_bundle()))
    store = _load(model, tmp_path / "first.db", [path], "desk")
    # A location another source names by its city alone (STIX wants a region, country or coordinates).
    lyon = make_node(model, "Location", "city", "Lyon", prov=prov("l1"), props={"city": "Lyon"})
    actor = "uuid:" + IDS["actor"].partition("--")[2]
    # ... and another's link from the observed-data to the group (STIX: it refers to observables only).
    also = Edge("REFERS_TO", "stix:" + IDS["observed"], actor, prov("o1"))
    store.upsert([lyon], [Edge("LOCATED_AT", actor, lyon.key, prov("l2")), also])
    data = stix.bundle(export_graph(store, TLP.RED, Scope()))
    by_id = {o["id"]: o for o in data["objects"]}
    # Each keeps its own id (the hashed file its STIX id too), and the type's required properties.
    for name, own in IDS.items():
        assert own in by_id, name
    assert by_id[IDS["paris"]]["country"] == "FR" and by_id[IDS["paris"]]["latitude"] == 48.85
    assert by_id[IDS["note"]]["content"] == "The group came back in March."
    assert by_id[IDS["note"]]["abstract"] == "Seen twice"
    assert sorted(by_id[IDS["note"]]["object_refs"]) == sorted([IDS["actor"], IDS["incident"]])
    assert by_id[IDS["opinion"]]["opinion"] == "agree"
    assert by_id[IDS["opinion"]]["object_refs"] == [IDS["incident"]]
    assert by_id[IDS["report"]]["published"].startswith("2024-03-01T10:00:00")
    assert sorted(by_id[IDS["report"]]["object_refs"]) == sorted(
        [IDS["actor"], IDS["incident"], IDS["file"], IDS["coa"]]
    )
    assert (
        by_id[IDS["file"]]["hashes"] == {"SHA-256": "a" * 64} and by_id[IDS["file"]]["name"] == "locker.exe"
    )
    assert by_id[IDS["software"]]["name"] == "Rclone" and by_id[IDS["software"]]["version"] == "1.66"
    assert by_id[IDS["observed"]]["number_observed"] == 3 and by_id[IDS["observed"]]["object_refs"] == [
        IDS["file"]
    ]
    assert by_id[IDS["coa"]]["type"] == "course-of-action" and by_id[IDS["incident"]]["name"]
    # A location with only a city has none of region, country or coordinates: crimegraph's own type.
    (city,) = [o for o in data["objects"] if o.get("x_crimegraph_key") == lyon.key]
    assert city["type"] == "x-crimegraph-location" and city["x_crimegraph_properties"]["city"] == "Lyon"
    assert not any(o["type"].startswith("x-crimegraph-") for o in data["objects"] if o is not city), (
        "only the city-only location may stay crimegraph's own"
    )
    assert stix_errors(data)[0] == []
    # And it loads back to the same graph.
    again_path = tmp_path / "export.json"
    again_path.write_text(json.dumps(data))
    again = _load(model, tmp_path / "again.db", [again_path], "partner")
    assert_same_graph(export_graph(store, TLP.RED, Scope()), export_graph(again, TLP.RED, Scope()))
    store.close()
    again.close()


def test_a_container_without_its_required_properties_stays_crimegraphs_own(
    model: Model, tmp_path: Path
) -> None:
    """A report's object_refs are only the links the reader may see: with none left it cannot be a STIX
    report (object_refs needs one), so it is written as crimegraph's own report, never with invented refs."""
    raw = _bundle()
    raw["objects"] = [o for o in raw["objects"] if o["type"] in ("report", "intrusion-set")]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(raw))
    store = _load(model, tmp_path / "first.db", [path], "desk")
    data = stix.bundle(export_graph(store, TLP.RED, Scope(kinds=("Report",))))
    (report,) = [o for o in data["objects"] if o.get("x_crimegraph_kind") == "Report"]
    assert report["type"] == "x-crimegraph-report" and "object_refs" not in report
    assert report["id"] == "x-crimegraph-report--" + IDS["report"].partition("--")[2]
    assert stix_errors(data)[0] == []
    store.close()


@pytest.mark.realdata
@pytest.mark.parametrize(
    "pattern", ["stix-examples/*.json", "attack-ics-mobile/ics-attack-18.1.json"], ids=["oasis", "ics"]
)
def test_no_standard_source_object_becomes_a_crimegraph_type(
    shared_data: Path, model: Model, tmp_path: Path, pattern: str
) -> None:
    store = _load(model, tmp_path / "first.db", sorted(shared_data.glob(pattern)), "source")
    data = stix.bundle(export_graph(store, TLP.RED, Scope()))
    found = _standard_source_objects(store, data)
    assert found
    own = sorted(source for source, obj in found if obj["type"].startswith("x-crimegraph-"))
    assert own == sorted(KEPT_OWN & {s for s, _ in found})
    # Each keeps its source's type and id (crimegraph's own keeps the UUID under its type).
    for source, obj in found:
        otype, _, uuid = source.lower().partition("--")
        if obj["type"].startswith("x-crimegraph-"):
            assert obj["id"] == f"{obj['type']}--{uuid}"
        else:
            assert obj["type"] == otype and obj["id"].lower() == source.lower()
    types = {obj["type"] for _, obj in found}
    if "ics" in pattern:
        assert "course-of-action" in types
    else:
        assert {"course-of-action", "report", "observed-data", "file"} <= types
    store.close()
