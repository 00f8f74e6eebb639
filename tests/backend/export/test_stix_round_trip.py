"""Load → export STIX → load into a fresh store gives the same nodes, edges and properties, on the real
CTI datasets (ATT&CK Enterprise, ICS and Mobile, OASIS's STIX examples) and on a generated ecosystem (the
demo's kinds: wallets, transfers, forums, threads, handles, persons, providers, registrars); each export
passes the OASIS validator. The markings are the official TLP 2.0 marking definitions, and granular markings
come back out per property."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backend.export import stix
from backend.export.graph import export_graph
from backend.export.stix_objects import TLP2, TLP2_EXTENSION
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from queries.scope import Scope
from tests.backend.export.stix_check import assert_same_graph, stix_errors

REAL = [
    ("attack-enterprise-groups.stix.json", "attack"),
    ("attack-ics-mobile/ics-attack-18.1.json", "attack-ics"),
    ("attack-ics-mobile/mobile-attack-17.1.json", "attack-mobile"),
    ("stix-examples/*.json", "oasis"),
]


def _round_trip(store: EmbeddedStore, folder: Path, model: Model) -> tuple[dict[str, Any], EmbeddedStore]:
    before = export_graph(store, TLP.RED, Scope())
    path = folder / "export.json"
    path.write_bytes(stix.dumps(before))
    data = json.loads(path.read_text())
    again = EmbeddedStore(folder / "again.db", model)
    summary = ingest(again, reader("stix")(path, LoadContext(model, "partner")))
    assert summary.rejected == 0
    assert_same_graph(before, export_graph(again, TLP.RED, Scope()))
    return data, again


@pytest.mark.realdata
@pytest.mark.parametrize(("pattern", "dataset"), REAL, ids=[r[1] for r in REAL])
def test_real_cti_comes_back_the_same(
    shared_data: Path, model: Model, tmp_path: Path, pattern: str, dataset: str
) -> None:
    store = EmbeddedStore(tmp_path / "first.db", model)
    for path in sorted(shared_data.glob(pattern)):
        assert ingest(store, reader("stix")(path, LoadContext(model, dataset))).rejected == 0
    data, again = _round_trip(store, tmp_path, model)
    size = len(data["objects"])
    assert stix_errors(data, sample=None if size < 500 else max(10, size // 100))[0] == []
    store.close()
    again.close()


def test_the_demo_ecosystem_comes_back_the_same(model: Model, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "first.db", model)
    report = generate(tmp_path / "eco", 60, 7, routing=True, identities="standard")
    for table in report.tables:
        ingest(store, reader("csv")(table, LoadContext(model, "demo")))
    data, again = _round_trip(store, tmp_path, model)
    kinds = {o.get("x_crimegraph_kind") for o in data["objects"]}
    assert {"Wallet", "Forum", "Actor", "Infrastructure", "Identity"} <= kinds
    types = {o.get("x_crimegraph_type") for o in data["objects"] if o["type"] == "relationship"}
    assert {"TRANSFERRED", "ACTIVE_ON", "MEMBER_OF", "OWNS"} <= types
    # Crimegraph's own object types are declared by extension definitions in the bundle.
    declared = {o["id"] for o in data["objects"] if o["type"] == "extension-definition"}
    used = {
        e for o in data["objects"] for e in o.get("extensions", {}) if e.startswith("extension-definition--")
    }
    assert used - {TLP2_EXTENSION} <= declared
    assert stix_errors(data, sample=max(10, len(data["objects"]) // 100))[0] == []
    store.close()
    again.close()


def test_markings_are_the_official_tlp_2_definitions(model: Model, tmp_path: Path) -> None:
    """Exactly OASIS's TLP 2.0 marking-definition objects (cti-stix-common-objects), read back."""
    official = {
        level: {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": marking_id,
            "created": "2022-10-01T00:00:00.000Z",
            "name": f"TLP:{name.upper()}",
            "extensions": {TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": name}},
        }
        for level, (marking_id, name) in TLP2.items()
    }
    from tests.backend.export.graphs import seed

    store = EmbeddedStore(tmp_path / "first.db", model)
    seed(store)
    data = stix.bundle(export_graph(store, TLP.RED, Scope()))
    markings = [o for o in data["objects"] if o["type"] == "marking-definition"]
    assert markings and all(m == official[TLP.parse(m["name"])] for m in markings)
    assert not any("external_id" in json.dumps(m) for m in markings)
    store.close()
