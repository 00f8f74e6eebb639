"""What a STIX source stated comes back out verbatim: timestamps at the source's precision, external
references with their citations, ``created_by_ref``, custom properties - and survives a second round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backend.export import stix
from backend.export.graph import export_graph
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from queries.scope import Scope

# (created/modified of objects with observed dates of their own follow those until the dates contract lands.)
VERBATIM = (
    "created",
    "modified",
    "created_by_ref",
    "x_mitre_version",
    "x_mitre_attack_spec_version",
    "labels",
)


def _exported(model: Model, path: Path, folder: Path, name: str) -> dict[str, dict[str, Any]]:
    store = EmbeddedStore(folder / f"{name}.db", model)
    try:
        ingest(store, reader("stix")(path, LoadContext(model, name)))
        return {o["id"]: o for o in stix.bundle(export_graph(store, TLP.RED, Scope()))["objects"]}
    finally:
        store.close()


def test_attack_objects_come_back_as_the_source_stated_them(
    model: Model, fixtures: Path, tmp_path: Path
) -> None:
    source_path = fixtures / "stix" / "attack-excerpt.json"
    source = {o["id"]: o for o in json.loads(source_path.read_text())["objects"]}
    first = _exported(model, source_path, tmp_path, "attack")
    checked = 0
    for object_id, original in source.items():
        if original["type"] == "marking-definition":
            continue
        made = first[object_id]
        for name in VERBATIM:
            if name in ("created", "modified") and {"first_seen", "start_time"} & set(original):
                continue  # an object's created/modified are still its first/last seen (the dates contract)
            if name in original:
                assert made.get(name) == original[name], (object_id, name)
                checked += 1
        refs = original.get("external_references")
        if refs:
            assert made["external_references"][: len(refs)] == refs, object_id  # citations included
            checked += 1
    assert checked > 60
    assert any(
        "(Citation:" in str(r.get("description"))
        for o in first.values()
        for r in o.get("external_references", ())
    )
    # Loaded back from the export and exported again: the same statements.
    path = tmp_path / "first.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--first", "objects": list(first.values())}))
    second = _exported(model, path, tmp_path, "again")
    for object_id, original in source.items():
        if original["type"] == "marking-definition":
            continue
        for name in VERBATIM:
            if name in ("created", "modified") and {"first_seen", "start_time"} & set(original):
                continue
            if name in original:
                assert second[object_id].get(name) == original[name], (object_id, name)
        if original.get("external_references"):
            refs = original["external_references"]
            assert second[object_id]["external_references"][: len(refs)] == refs
