"""STIX markings on both stores: granular ones leak nothing, unresolvable ones hide, every TLP form reads."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from graph_model.errors import NotFound
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from loaders import LoadContext, ingest, stix
from loaders.ingest import IngestSummary
from loaders.markings import Markings, definition_level

INDICATOR = "stix:indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
POISON_IVY = "uuid:fdd60b30-b67c-41e3-b0b9-f01faf20d111"
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
COPYRIGHT = "marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f"
STARK = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": COPYRIGHT,
    "created": "2017-04-14T13:07:49.812Z",
    "definition_type": "statement",
    "definition": {"statement": "Copyright (c) Stark Industries 2017."},
}


def load(store: GraphStore, path: Path) -> tuple[IngestSummary, list[dict[str, Any]]]:
    rejects = io.StringIO()
    summary = ingest(store, stix.read(path, LoadContext(store.model, path.stem)), rejects=rejects)
    lines = (json.loads(line) for line in rejects.getvalue().splitlines())
    return summary, [r for r in lines if not r.get("skipped")]


def everything(store: GraphStore, clearance: TLP) -> str:
    """All a caller sees of the whole graph, as text."""
    graph = store.subgraph(clearance=clearance)
    return json.dumps([list(graph.nodes(data=True)), list(graph.edges(data=True))], default=str)


def test_granular_markings_leak_nothing(store: GraphStore, fixtures: Path) -> None:
    summary, rejects = load(store, fixtures / "stix" / "granular-markings.json")
    assert rejects == [] and summary.rejected == 0
    seen = everything(store, TLP.CLEAR)
    for secret in ("Poison Ivy Malware", "part of Poison Ivy", "attribution", "91.219.29.81", "Breut"):
        assert secret not in seen, secret
    clear = store.get(INDICATOR, clearance=TLP.CLEAR)
    assert clear.name == INDICATOR  # its name is RED and no one else names it
    assert clear.props == {
        "indicator_types": ["malicious-activity"],
        "pattern_type": "stix",
        "stix_id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        # What the CLEAR portion states that no property holds (nothing marked above CLEAR is in it), and
        # the copyright statement marking, whole, kept as a marking (not as a source); not the language
        # marking of the AMBER description (it would say there is one).
        "stix_extra": json.dumps(
            {
                "created": "2016-04-06T20:03:48.000Z",
                "modified": "2016-04-06T20:03:48.000Z",
                "valid_from": "2016-01-01T00:00:00Z",
                "object_marking_refs": [COPYRIGHT],
                "x_crimegraph_marking_definitions": {COPYRIGHT: STARK},
            },
            sort_keys=True,
        ),  # fmt: skip
    }
    assert all("Copyright" not in s for s in clear.prov.sources)
    assert store.get(POISON_IVY, clearance=TLP.CLEAR).props["aliases"] == ["Darkmoon"]
    assert store.search("breut", clearance=TLP.CLEAR) == []
    assert [n.key for n in store.search("poison", clearance=TLP.CLEAR)] == [POISON_IVY]
    with pytest.raises(NotFound):
        store.get("ip:91.219.29.81", clearance=TLP.AMBER_STRICT)
    assert store.stats(clearance=TLP.CLEAR).as_dict()["total_edges"] == 0
    assert store.stats(clearance=TLP.GREEN).as_dict()["edges"] == {"INDICATES": 1}

    amber = store.get(INDICATOR, clearance=TLP.AMBER)
    assert amber.props["description"] == "This file is part of Poison Ivy"
    assert amber.props["indicator_types"] == ["attribution", "malicious-activity"]
    assert amber.name == INDICATOR and "pattern" not in amber.props

    red = store.get(INDICATOR, clearance=TLP.RED)
    assert red.name == "Poison Ivy Malware" and red.prov.tlp is TLP.RED
    assert red.props["pattern"] == "[ ipv4-addr:value = '91.219.29.81' ]"
    assert store.get("ip:91.219.29.81", clearance=TLP.RED).prov.tlp is TLP.RED
    assert store.stats(clearance=TLP.RED).as_dict()["edges"] == {"INDICATES": 1, "MATCHES": 1}
    assert sorted(store.get(POISON_IVY, clearance=TLP.RED).props["aliases"]) == ["Breut", "Darkmoon"]
    assert [n.key for n in store.search("breut", clearance=TLP.RED)] == [POISON_IVY]


def test_an_unresolvable_marking_shows_nothing_at_clear(store: GraphStore, tmp_path: Path) -> None:
    unknown = "marking-definition--0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff"
    common = {"spec_version": "2.1", "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z"}
    objects = [
        {
            **common,
            "type": "intrusion-set",
            "id": "intrusion-set--1f4a6f6c-8f2e-4b1d-9c3a-5e6f7a8b9c01",
            "name": "Volt Typhoon",
            "object_marking_refs": [unknown],
        },
        {
            **common,
            "type": "malware",
            "id": "malware--2f4a6f6c-8f2e-4b1d-9c3a-5e6f7a8b9c02",
            "name": "KV-botnet",
            "is_family": True,
            "object_marking_refs": [unknown],
        },
        {
            **common,
            "type": "relationship",
            "id": "relationship--3f4a6f6c-8f2e-4b1d-9c3a-5e6f7a8b9c03",
            "relationship_type": "uses",
            "source_ref": "intrusion-set--1f4a6f6c-8f2e-4b1d-9c3a-5e6f7a8b9c01",
            "target_ref": "malware--2f4a6f6c-8f2e-4b1d-9c3a-5e6f7a8b9c02",
            "object_marking_refs": [unknown],
        },
        {
            **common,
            "type": "malware",
            "id": "malware--4f4a6f6c-8f2e-4b1d-9c3a-5e6f7a8b9c04",
            "name": "KV-agent",
            "is_family": True,
            "granular_markings": [{"marking_ref": unknown, "selectors": ["name"]}],
        },
    ]
    path = tmp_path / "unresolvable.json"
    path.write_text(
        json.dumps(
            {"type": "bundle", "id": "bundle--5f4a6f6c-8f2e-4b1d-9c3a-5e6f7a8b9c05", "objects": objects}
        )
    )
    summary, rejects = load(store, path)
    assert rejects == []
    assert summary.warnings_by_reason == {"unresolvable marking reference: marked TLP:RED": 4}
    for level in (TLP.CLEAR, TLP.AMBER_STRICT):
        stats = store.stats(clearance=level).as_dict()
        assert stats["nodes"] == {"Malware": 1} and stats["total_edges"] == 0  # KV-agent, nameless
        assert "Volt" not in everything(store, level) and "KV-" not in everything(store, level)
        assert store.search("volt", clearance=level) == store.search("kv", clearance=level) == []
    assert store.stats(clearance=TLP.RED).as_dict()["total_nodes"] == 3
    assert store.get("uuid:4f4a6f6c-8f2e-4b1d-9c3a-5e6f7a8b9c04", clearance=TLP.RED).name == "KV-agent"


def test_opencti_tlp_markings_are_read(store: GraphStore, fixtures: Path) -> None:
    summary, rejects = load(store, fixtures / "stix" / "opencti-markings.json")
    assert rejects == [] and summary.rejected == 0
    assert summary.skipped_by_reason.get("marking-definition: read as the marking of the objects") == 4
    assert [n.name for n in store.search("scattered", clearance=TLP.CLEAR)] == ["Scattered Spider"]
    octo = "uuid:0a7c9b1e-2f3d-4e5f-8a9b-0c1d2e3f4a12"
    with pytest.raises(NotFound):
        store.get(octo, clearance=TLP.AMBER)
    seen = store.get(octo, clearance=TLP.AMBER_STRICT)
    assert seen.prov.tlp is TLP.AMBER_STRICT
    pap = "marking-definition--c7a2b5a1-3d5e-4f5a-8a0e-5c6f0b1d2e03"
    assert seen.prov.sources == {"opencti-markings#intrusion-set--0a7c9b1e-2f3d-4e5f-8a9b-0c1d2e3f4a12"}
    extra = json.loads(seen.props["stix_extra"])  # the PAP marking is kept as a marking, whole
    assert extra["object_marking_refs"] == [pap]
    assert extra["x_crimegraph_marking_definitions"][pap]["definition"] == {"PAP": "PAP:AMBER"}
    assert store.stats(clearance=TLP.AMBER_STRICT).as_dict()["nodes"] == {"Actor": 2}
    assert store.stats(clearance=TLP.RED).as_dict()["nodes"] == {"Actor": 2, "Malware": 2}
    assert summary.warnings_by_reason == {"unresolvable marking reference: marked TLP:RED": 1}


@pytest.mark.parametrize(
    ("definition", "level"),
    [
        ({"id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"}, TLP.CLEAR),  # TLP 1.0 WHITE
        ({"id": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"}, TLP.AMBER_STRICT),
        ({"definition_type": "tlp", "definition": {"tlp": "white"}}, TLP.CLEAR),
        ({"definition_type": "tlp", "definition": {"tlp": "amber"}}, TLP.AMBER),
        ({"definition_type": "TLP", "definition": {"TLP": "TLP:RED"}}, TLP.RED),
        ({"definition_type": "TLP", "definition": {"TLP": "TLP:AMBER+STRICT"}}, TLP.AMBER_STRICT),
        ({"name": "TLP:CLEAR", "extensions": {}}, TLP.CLEAR),
        ({"name": "TLP:GREEN"}, TLP.GREEN),
        (
            {
                "extensions": {
                    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {"tlp_2_0": "amber+strict"}
                }
            },
            TLP.AMBER_STRICT,
        ),
        ({"definition_type": "statement", "definition": {"statement": "Copyright 2024"}}, None),
    ],
)
def test_tlp_definitions_in_every_form(definition: dict[str, Any], level: TLP | None) -> None:
    raw = {"type": "marking-definition", "id": "marking-definition--1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b"}
    assert definition_level({**raw, **definition}) is level


def test_a_tlp_marking_of_unknown_level_is_red() -> None:
    markings = Markings()
    ref = "marking-definition--1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b"
    markings.learn({"id": ref, "definition_type": "TLP", "definition": {"TLP": "TLP:EX:CHR"}})
    assert markings.level(ref, []) is TLP.RED
