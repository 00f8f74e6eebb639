"""Markings that are not TLP - ATT&CK's copyright statement, OpenCTI's PAP, an extension-based marking -
stay markings: load → export → load → export keeps each definition whole (the same bytes in both exports)
and every object's reference to it, object and granular, beside its TLP marking; never an external
reference made up from it. A statement is no clearance: what a reader may see is still its TLP's affair,
and an export carries only the definitions its objects refer to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backend.export import stix
from backend.export.graph import export_graph
from backend.export.stix_objects import TLP2
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from queries.scope import Scope
from tests.backend.export.stix_check import stix_errors

MITRE = "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"
TLP_IDS = {marking_id for marking_id, _ in TLP2.values()}


def _hop(source: Path, folder: Path, model: Model, name: str, clearance: TLP = TLP.RED) -> Path:
    """``source`` loaded into a fresh store and exported at ``clearance``: the export's path."""
    store = EmbeddedStore(folder / f"{name}.db", model)
    try:
        assert ingest(store, reader("stix")(source, LoadContext(model, name))).rejected == 0
        path = folder / f"{name}.json"
        path.write_bytes(stix.dumps(export_graph(store, clearance, Scope())))
        return path
    finally:
        store.close()


def _objects(path: Path) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in json.loads(path.read_text())["objects"]}


def _definition_text(path: Path, marking_id: str) -> str:
    """A marking definition's bytes as the export wrote it."""
    objects = json.loads(path.read_text())["objects"]
    return json.dumps(next(o for o in objects if o["id"] == marking_id), indent=1, ensure_ascii=False)


def _statement_refs(obj: dict[str, Any]) -> set[str]:
    granular = {g.get("marking_ref") for g in obj.get("granular_markings") or ()}
    return ({*(obj.get("object_marking_refs") or ())} | granular) - TLP_IDS - {None}


def _two_hops(source: Path, folder: Path, model: Model, sample: int | None = None) -> None:
    """Every object of ``source`` that refers to a non-TLP marking refers to it in both hops' exports, next
    to its TLP marking; the definitions are the source's (the same bytes in both exports); both valid."""
    original = _objects(source)
    first = _hop(source, folder, model, "first")
    second = _hop(first, folder, model, "second")
    defined = {i for i, o in original.items() if o["type"] == "marking-definition"} - TLP_IDS
    for path in (first, second):
        made = _objects(path)
        marked = 0
        for object_id, obj in original.items():
            if object_id in made and obj["type"] != "marking-definition" and _statement_refs(obj):
                assert _statement_refs(obj) <= _statement_refs(made[object_id]), object_id
                assert set(made[object_id]["object_marking_refs"]) & TLP_IDS, object_id
                marked += 1
        assert marked == sum(1 for o in original.values() if _statement_refs(o) & defined)
        for marking_id in {r for o in original.values() for r in _statement_refs(o)} & defined:
            assert made[marking_id] == original[marking_id]
            assert _definition_text(first, marking_id) == _definition_text(second, marking_id)
        # Never a made-up external reference for a marking.
        assert not any(
            "marking-definition--" in json.dumps(o.get("external_references") or []) for o in made.values()
        )
        size = len(made)
        assert stix_errors(json.loads(path.read_text()), sample=sample if size > 500 else None)[0] == []


def test_attack_copyright_statement_survives_two_hops(model: Model, fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "stix" / "attack-excerpt.json"
    assert sum(MITRE in (o.get("object_marking_refs") or ()) for o in _objects(source).values()) == 27
    _two_hops(source, tmp_path, model)


@pytest.mark.realdata
def test_attack_enterprise_copyright_survives_two_hops(
    shared_data: Path, model: Model, tmp_path: Path
) -> None:
    source = shared_data / "attack-enterprise-groups.stix.json"
    carried = sum(MITRE in (o.get("object_marking_refs") or ()) for o in _objects(source).values())
    assert carried > 2000
    _two_hops(source, tmp_path, model, sample=50)


# A producer's bundle (after STIX 2.1 section 7.2 and its examples): a statement marking on one object and
# on one property of another, an extension-based marking definition (no definition_type, the marking in a
# property-extension its extension-definition declares), OpenCTI's PAP, and objects at CLEAR and AMBER.
ACME = "identity--8c5b1e6a-2f3d-4a5b-9c6d-7e8f9a0b1c2d"
TERMS = "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce"
STATEMENT = "marking-definition--2a4b6c8d-0e1f-4a3b-8c5d-6e7f8a9b0c1d"
EXTENDED = "marking-definition--3b5c7d9e-1f2a-4b4c-9d6e-7f8a9b0c1d2e"
PAP = "marking-definition--4c6d8e0f-2a3b-4c5d-8e6f-8a9b0c1d2e3f"
CREATED = "2024-03-01T10:00:00.000Z"


def _producer_bundle() -> dict[str, Any]:
    clear, amber = TLP2[TLP.CLEAR][0], TLP2[TLP.AMBER][0]
    common = {"spec_version": "2.1", "created": CREATED, "modified": CREATED, "created_by_ref": ACME}
    objects: list[dict[str, Any]] = [
        {**common, "type": "identity", "id": ACME, "name": "ACME CERT", "identity_class": "organization"},
        {
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": TERMS,
            "created_by_ref": ACME,
            "created": CREATED,
            "modified": CREATED,
            "name": "ACME sharing terms",
            "schema": "https://example.org/acme-terms.json",
            "version": "1.0",
            "extension_types": ["property-extension"],
        },
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": STATEMENT,
            "created": CREATED,
            "created_by_ref": ACME,
            "definition_type": "statement",
            "definition": {"statement": "Copyright 2024, ACME CERT."},
        },
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": EXTENDED,
            "created": CREATED,
            "created_by_ref": ACME,
            "name": "ACME: no automated blocking",
            "extensions": {TERMS: {"extension_type": "property-extension", "terms": "no-automated-blocking"}},
        },
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": PAP,
            "created": CREATED,
            "name": "PAP:AMBER",
            "definition_type": "PAP",
            "definition": {"PAP": "PAP:AMBER"},
        },
        {
            **common,
            "type": "intrusion-set",
            "id": "intrusion-set--5d7e9f1a-3b4c-4d6e-8f7a-9b0c1d2e3f4a",
            "name": "Carbon Heron",
            "description": "Phishing crew targeting payment processors.",
            "object_marking_refs": [clear, STATEMENT],
            "granular_markings": [{"marking_ref": EXTENDED, "selectors": ["description"]}],
        },
        {
            **common,
            "type": "malware",
            "id": "malware--6e8f0a2b-4c5d-4e7f-9a8b-0c1d2e3f4a5b",
            "name": "HeronLoader",
            "is_family": True,
            "object_marking_refs": [amber, EXTENDED, PAP],
        },
        {
            **common,
            "type": "relationship",
            "id": "relationship--7f9a1b3c-5d6e-4f8a-8b9c-1d2e3f4a5b6c",
            "relationship_type": "uses",
            "source_ref": "intrusion-set--5d7e9f1a-3b4c-4d6e-8f7a-9b0c1d2e3f4a",
            "target_ref": "malware--6e8f0a2b-4c5d-4e7f-9a8b-0c1d2e3f4a5b",
            "object_marking_refs": [amber, STATEMENT],
        },
    ]
    return {"type": "bundle", "id": "bundle--8a0b2c4d-6e7f-4a9b-9c0d-2e3f4a5b6c7d", "objects": objects}


def test_statement_and_extension_markings_round_trip_within_clearance(model: Model, tmp_path: Path) -> None:
    source = tmp_path / "acme.json"
    source.write_text(json.dumps(_producer_bundle()))
    original = _objects(source)
    _two_hops(source, tmp_path, model)
    made = _objects(tmp_path / "second.json")
    actor = made["intrusion-set--5d7e9f1a-3b4c-4d6e-8f7a-9b0c1d2e3f4a"]
    assert actor["object_marking_refs"] == [TLP2[TLP.CLEAR][0], STATEMENT]
    assert actor["granular_markings"] == [{"marking_ref": EXTENDED, "selectors": ["description"]}]
    malware = made["malware--6e8f0a2b-4c5d-4e7f-9a8b-0c1d2e3f4a5b"]
    assert malware["object_marking_refs"] == [TLP2[TLP.AMBER][0], EXTENDED, PAP]
    assert made[EXTENDED] == original[EXTENDED] and made[PAP] == original[PAP]
    # A statement is no clearance: at CLEAR the AMBER malware and link are not there, and neither is the
    # PAP marking only they carry; the CLEAR actor keeps its statement and extension-based markings.
    clear_path = _hop(source, tmp_path, model, "clear", TLP.CLEAR)
    clear = _objects(clear_path)
    assert "malware--6e8f0a2b-4c5d-4e7f-9a8b-0c1d2e3f4a5b" not in clear
    assert PAP not in clear and "PAP:AMBER" not in clear_path.read_text()
    assert {TLP2[level][0] for level in TLP if level > TLP.CLEAR}.isdisjoint(clear)
    assert clear[STATEMENT] == original[STATEMENT] and clear[EXTENDED] == original[EXTENDED]
    assert stix_errors(json.loads(clear_path.read_text()))[0] == []
