"""Every stored edge obeys the schema's end kinds, also when its ends come from other loads: the store checks
an edge when both its ends are known, and the load that writes it reports a misfit as a rejected record."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from graph_model.check import check_store
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from loaders import stix
from loaders.ingest import IngestSummary, ingest
from loaders.records import LoadContext

UUID = "5e0fa9a1-7b3c-4c4e-9a43-3f1d2b6c8e01"  # used by one producer for an identity, by another for malware
GROUP = "intrusion-set--0b6c7c1e-9d0f-4b8e-8f0e-5a6f7a1c2d30"
USES = "relationship--7d1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a41"
TARGETS = "relationship--7d1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a42"
WHEN = "2024-01-01T00:00:00.000Z"
MISFIT = "the schema has no USES from Actor to Identity"


def _object(type_: str, id_: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "spec_version": "2.1", "id": id_, "created": WHEN, "modified": WHEN, **fields}


def _link(id_: str, relationship: str, target: str) -> dict[str, Any]:
    """A relationship from the group to ``target``."""
    return _object("relationship", id_, relationship_type=relationship, source_ref=GROUP, target_ref=target)


def _bundle(path: Path, *objects: dict[str, Any]) -> Path:
    bundle = {"type": "bundle", "id": f"bundle--{UUID}", "objects": list(objects)}
    path.write_text(json.dumps(bundle))
    return path


def _victim(tmp_path: Path) -> Path:
    """A: the identity ``identity--UUID``."""
    return _bundle(tmp_path / "victims.json", _object("identity", f"identity--{UUID}", name="Victim Org"))


def _uses(tmp_path: Path) -> Path:
    """B: a group that uses ``malware--UUID`` (whose UUID A gave an identity)."""
    return _bundle(
        tmp_path / "reports.json",
        _object("intrusion-set", GROUP, name="Sloppy Group"),
        _link(USES, "uses", f"malware--{UUID}"),
    )


def _load(store: GraphStore, path: Path) -> tuple[IngestSummary, list[dict[str, Any]]]:
    rejects = io.StringIO()
    summary = ingest(store, stix.read(path, LoadContext(store.model, path.stem)), rejects=rejects)
    lines = (json.loads(line) for line in rejects.getvalue().splitlines())
    return summary, [r for r in lines if not r.get("skipped")]


def _edge_types(store: GraphStore) -> list[str]:
    return sorted(attrs["type"] for _, _, attrs in store.subgraph(clearance=TLP.RED).edges(data=True))


def _clean(store: GraphStore) -> bool:
    report = check_store(store)
    return report.violations == 0 and report.waiting == 0


def test_an_edge_to_a_node_of_a_forbidden_kind_from_an_earlier_load_is_rejected(
    store: GraphStore, tmp_path: Path
) -> None:
    first, _ = _load(store, _victim(tmp_path))
    assert first.rejected == 0
    summary, rejects = _load(store, _uses(tmp_path))
    assert summary.rejected == 1 and summary.edges_rejected == 1
    assert summary.as_json()["edges_rejected"] == 1 and summary.as_json()["rejected"] == 1
    assert summary.rejected_by_reason == {MISFIT: 1}
    assert summary.first_rejects == [(f"reports.json#{USES}", MISFIT)]
    assert [(r["file"], r["location"], r["reason"]) for r in rejects] == [
        ("reports.json", f"reports.json#{USES}", MISFIT)
    ]
    assert rejects[0]["record"]["type"] == "USES"  # the edge refused
    assert _edge_types(store) == []  # nothing stored, nothing left waiting
    assert _clean(store)


def test_a_waiting_edge_whose_end_arrives_with_a_forbidden_kind_is_rejected_by_that_load(
    store: GraphStore, tmp_path: Path
) -> None:
    first, _ = _load(store, _uses(tmp_path))
    assert first.rejected == 0 and store.pending_count() == 1
    summary, rejects = _load(store, _victim(tmp_path))
    assert summary.rejected == 1 and summary.rejected_by_reason == {MISFIT: 1}
    # Reported where it came from: the source the waiting edge carries (dataset#record of the first load).
    assert [(r["location"], r["reason"]) for r in rejects] == [(f"reports#{USES}", MISFIT)]
    assert rejects[0]["record"]["type"] == "USES"
    assert store.pending_count() == 0
    assert _edge_types(store) == []
    assert _clean(store)


def test_a_valid_cross_load_edge_still_lands_in_either_order(store: GraphStore, tmp_path: Path) -> None:
    targets = _bundle(
        tmp_path / "targeting.json",
        _object("intrusion-set", GROUP, name="Sloppy Group"),
        _link(TARGETS, "targets", f"identity--{UUID}"),
    )
    first, _ = _load(store, targets)  # the identity is not loaded yet: the edge waits
    assert store.pending_count() == 1
    second, rejects = _load(store, _victim(tmp_path))
    assert first.rejected == second.rejected == 0 and rejects == []
    assert _edge_types(store) == ["TARGETS"]
    again, _ = _load(store, targets)  # both ends stored now
    assert again.rejected == 0 and again.store.edges_new == 0
    assert _edge_types(store) == ["TARGETS"]
    assert _clean(store)
