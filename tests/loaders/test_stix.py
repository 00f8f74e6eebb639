"""The STIX 2.1 loader on real bundles: ATT&CK, the OASIS examples, and damaged input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders import stix
from loaders.ingest import IngestSummary, ingest
from loaders.records import LoadContext, SourceError

RED = TLP.RED
APT34 = "uuid:68ba94ab-78b8-43e7-83e2-aed3466882c6"
OILRIG = "uuid:4ca1929c-7d64-4aab-b849-badbfc0c760d"


def load(
    store: EmbeddedStore, path: Path, tlp: TLP = TLP.CLEAR
) -> tuple[IngestSummary, list[dict[str, str]]]:
    rejects = io.StringIO()
    summary = ingest(store, stix.read(path, LoadContext(store.model, path.stem, tlp=tlp)), rejects=rejects)
    lines = (json.loads(line) for line in rejects.getvalue().splitlines())
    return summary, [r for r in lines if not r.get("skipped")]  # skipped records are listed too


def edges(store: EmbeddedStore, edge_type: str) -> list[tuple[str, str, dict[str, object]]]:
    graph = store.subgraph(clearance=RED, edge_types=[edge_type])
    return [(u, v, d) for u, v, d in graph.edges(data=True)]


def test_attack_excerpt_groups_software_and_revocations(
    embedded_store: EmbeddedStore, fixtures: Path
) -> None:
    summary, rejects = load(embedded_store, fixtures / "stix" / "attack-excerpt.json")
    assert rejects == [] and summary.rejected == 0
    assert summary.read_by_kind == {
        "intrusion-set": 9,
        "malware": 4,
        "tool": 2,
        "campaign": 1,
        "relationship": 10,
        "identity": 1,
        "marking-definition": 1,
    }
    assert summary.skipped_by_reason == {"marking-definition: read as the marking of the objects": 1}
    apt28 = embedded_store.get("attack:G0007", clearance=RED)
    assert (apt28.name, apt28.kind, apt28.type, apt28.props["attack_id"]) == (
        "APT28",
        "Actor",
        "group",
        "G0007",
    )
    assert {"Fancy Bear", "Sofacy"} <= set(apt28.props["aliases"])
    assert apt28.props["stix_id"] == "intrusion-set--bef4c620-0787-42a8-a96d-b7eb6e85917c"
    # MITRE never says when a group was observed: created/modified are its record's dates, not sightings.
    assert apt28.prov.first_seen is None and apt28.prov.last_seen is None
    assert apt28.prov.created == "2017-05-31T21:31:48Z" and apt28.prov.modified is not None
    assert embedded_store.get(APT34, clearance=RED).props["revoked"] is True
    assert embedded_store.get("attack:G0015", clearance=RED).props["deprecated"] is True
    assert (APT34, OILRIG) in {(u, v) for u, v, _ in edges(embedded_store, "REVOKED_BY")}
    assert embedded_store.pending_count() == 0


def test_software_gets_a_name_id_unless_revoked(embedded_store: EmbeddedStore, fixtures: Path) -> None:
    load(embedded_store, fixtures / "stix" / "attack-excerpt.json")
    cobalt = embedded_store.get("software:cobalt strike", clearance=RED)
    assert (cobalt.kind, cobalt.type, cobalt.props["attack_id"]) == ("Malware", "malware", "S0154")
    ngrok_tool = embedded_store.get("software:ngrok", clearance=RED)
    assert ngrok_tool.type == "tool"
    revoked = embedded_store.get("uuid:911fe4c3-444d-4e92-83b8-cc761ac5fd3b", clearance=RED)
    assert revoked.props["revoked"] is True and "software:ngrok" not in revoked.ids
    assert revoked.key != ngrok_tool.key


def test_shared_alias_is_a_candidate_edge_not_a_merge(embedded_store: EmbeddedStore, fixtures: Path) -> None:
    load(embedded_store, fixtures / "stix" / "attack-excerpt.json")
    group = embedded_store.get("attack:G0008", clearance=RED)
    software = embedded_store.get("attack:S0030", clearance=RED)
    assert group.key != software.key and group.kind == "Actor" and software.kind == "Malware"
    candidates = {frozenset((u, v)): d for u, v, d in edges(embedded_store, "ALIAS_OF")}
    link = candidates[frozenset((group.key, software.key))]
    assert link["confidence"] == 60 and "Carbanak" in str(link["alias"])


def test_second_load_adds_nothing(embedded_store: EmbeddedStore, fixtures: Path) -> None:
    first, _ = load(embedded_store, fixtures / "stix" / "attack-excerpt.json")
    second, _ = load(embedded_store, fixtures / "stix" / "attack-excerpt.json")
    assert first.store.nodes_new == 17 and first.store.edges_new > 10
    assert (second.store.nodes_new, second.store.edges_new, second.rejected) == (0, 0, 0)


def test_observables_are_keyed_by_value_and_examples_marked(
    embedded_store: EmbeddedStore, fixtures: Path
) -> None:
    summary, _ = load(embedded_store, fixtures / "stix" / "infrastructure.json")
    assert summary.rejected == 0 and embedded_store.pending_count() == 0
    address = embedded_store.get("stix:ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956", clearance=RED)
    assert (address.key, address.props["example"]) == ("ip:198.51.100.3", True)
    assert embedded_store.get("domain:example.com", clearance=RED).props["example"] is True
    c2 = embedded_store.get("uuid:38c47d93-d984-4fd9-b87b-d69d0841628d", clearance=RED)
    assert (c2.kind, c2.type, c2.props["infrastructure_types"]) == (
        "Infrastructure",
        "host",
        ["command-and-control"],
    )
    assert (c2.key, "ip:198.51.100.3") in {(u, v) for u, v, _ in edges(embedded_store, "CONSISTS_OF")}


def test_indicator_patterns_name_cidrs_domains_and_urls(
    embedded_store: EmbeddedStore, fixtures: Path
) -> None:
    summary, _ = load(embedded_store, fixtures / "stix" / "apt1-indicators.json")
    assert summary.rejected == 0
    matched = {v for _, v, _ in edges(embedded_store, "MATCHES")}
    assert matched == {
        "cidr:223.166.0.0/15",
        "cidr:58.246.0.0/15",
        "cidr:112.64.0.0/15",
        "cidr:139.226.0.0/15",
        "domain:hugesoft.org",
        "domain:arrowservice.net",
        "domain:msnhome.org",
    }
    cidr = embedded_store.get("cidr:58.246.0.0/15", clearance=RED)
    assert "example" not in cidr.props
    hashes = embedded_store.get("stix:indicator--8d12f44f-8ac0-4b12-8b4a-3699ca8c9691", clearance=RED)
    assert hashes.kind == "Indicator" and "file:hashes" in hashes.props["pattern"]
    load(embedded_store, fixtures / "stix" / "indicator-for-malicious-url.json")
    assert embedded_store.get("url:http://x4z9arb.cn/4712/", clearance=RED).kind == "Infrastructure"


def test_sighting_links_what_was_seen_to_where(embedded_store: EmbeddedStore, fixtures: Path) -> None:
    summary, _ = load(embedded_store, fixtures / "stix" / "sighting-of-an-indicator.json")
    assert summary.rejected == 0
    ((source, target, data),) = edges(embedded_store, "SIGHTED_AT")
    assert embedded_store.get(source, clearance=RED).kind == "Indicator"
    assert embedded_store.get(target, clearance=RED).name == "Beta Cyber Intelligence Company"
    assert data["count"] == 1


def test_courses_of_action_observed_data_and_files_load(
    embedded_store: EmbeddedStore, fixtures: Path
) -> None:
    summary, _ = load(embedded_store, fixtures / "stix" / "indicators-for-C2-with-COA.json")
    assert summary.rejected == 0 and summary.skipped == 0
    assert len(edges(embedded_store, "MITIGATES")) == 1
    assert embedded_store.pending_count() == 0
    summary, _ = load(embedded_store, fixtures / "stix" / "sighting-of-observed-data.json")
    assert summary.skipped_by_reason == {"STIX type windows-registry-key is not modelled": 1}
    counts = embedded_store.stats(clearance=RED).as_dict()
    assert counts["nodes"]["Report"] == 2 and counts["nodes"]["File"] == 1
    assert counts["edges"]["REFERS_TO"] == 1  # the other observed-data names only the registry key


def test_damaged_bundle_rejects_only_the_damage(embedded_store: EmbeddedStore, fixtures: Path) -> None:
    summary, rejects = load(embedded_store, fixtures / "stix" / "malformed-bundle.json")
    reasons = {r["location"]: r["reason"] for r in rejects}
    assert reasons["malformed-bundle.json:28"] == "object has no id"
    truncated = [r for loc, r in reasons.items() if r.startswith("invalid JSON")]
    assert len(truncated) == 1 and "malformed-bundle.json:75" in reasons
    # A custom type is valid STIX (the OASIS validator agrees), with or without the x- prefix: skipped.
    assert summary.skipped_by_reason == {
        "custom object type x-acme-note is not modelled": 1,
        "custom object type acme-widget is not modelled": 1,
    }
    assert (summary.read, summary.rejected) == (7, 2)
    assert embedded_store.get("software:poison ivy", clearance=RED).name == "Poison Ivy"
    assert embedded_store.get("ip:198.51.100.3", clearance=RED).props["example"] is True
    assert embedded_store.pending_count() == 1  # the relationship waits for its truncated infrastructure


def test_invalid_utf8_rejects_one_object(
    embedded_store: EmbeddedStore, fixtures: Path, tmp_path: Path
) -> None:
    bundle = json.loads((fixtures / "stix" / "indicator-for-malicious-url.json").read_text())
    text = (
        json.dumps(bundle, indent=1)
        .encode()
        .replace(b"Malicious site hosting downloader", b"Malicious \xff site")
    )
    path = tmp_path / "bad-utf8.json"
    path.write_bytes(text)
    summary, rejects = load(embedded_store, path)
    assert [r["reason"] for r in rejects] == ["invalid UTF-8 in this record"]
    assert summary.read == 3 and embedded_store.stats(clearance=RED).as_dict()["nodes"]["Malware"] == 1


def test_markings_raise_the_tlp_never_lower(
    model: Model, embedded_store: EmbeddedStore, tmp_path: Path
) -> None:
    amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
    own = "marking-definition--11111111-2222-4333-8444-555555555555"
    objects = [
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": own,
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "tlp",
            "definition": {"tlp": "red"},
        },
        {
            "type": "threat-actor",
            "spec_version": "2.1",
            "id": "threat-actor--9a8a0d25-7636-429b-a99e-b2a73cd0f11f",
            "created": "2015-05-07T14:22:14.760Z",
            "modified": "2015-05-07T14:22:14.760Z",
            "name": "Adversary Bravo",
            "object_marking_refs": [amber],
            "confidence": 85,
        },
        {
            "type": "threat-actor",
            "spec_version": "2.1",
            "id": "threat-actor--56f3f0db-b5d5-431c-ae56-c18f02caf500",
            "created": "2016-08-08T15:50:10.983Z",
            "modified": "2016-08-08T15:50:10.983Z",
            "name": "Fake BPP",
            "object_marking_refs": [own],
        },
    ]
    path = tmp_path / "marked.json"
    path.write_text(
        json.dumps(
            {"type": "bundle", "id": "bundle--44af6c39-c09b-49c5-9de2-394224b04982", "objects": objects}
        )
    )
    load(embedded_store, path, tlp=TLP.GREEN)
    bravo = embedded_store.get("uuid:9a8a0d25-7636-429b-a99e-b2a73cd0f11f", clearance=RED)
    assert (bravo.prov.tlp, bravo.prov.confidence) == (TLP.AMBER, 85)
    assert embedded_store.get("uuid:56f3f0db-b5d5-431c-ae56-c18f02caf500", clearance=RED).prov.tlp == TLP.RED
    with pytest.raises(Exception, match="no entity"):
        embedded_store.get("uuid:9a8a0d25-7636-429b-a99e-b2a73cd0f11f", clearance=TLP.GREEN)


def test_relationship_types_map_to_edges(embedded_store: EmbeddedStore, tmp_path: Path) -> None:
    infra, malware = (
        "infrastructure--38c47d93-d984-4fd9-b87b-d69d0841628d",
        "malware--16f4f3f9-1b68-4abb-bb66-7639d49f1e30",
    )
    objects: list[dict[str, object]] = [
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": f"relationship--{n}e9f0a3c-2b1d-4c5e-8f7a-9b0c1d2e3f4a",
            "created": "2016-05-09T08:17:27.000Z",
            "modified": "2016-05-09T08:17:27.000Z",
            "relationship_type": rtype,
            "source_ref": infra,
            "target_ref": malware,
        }
        for n, rtype in enumerate(["hosts", "delivers", "drops"])
    ]
    path = tmp_path / "links.json"
    path.write_text(
        json.dumps(
            {"type": "bundle", "id": "bundle--44af6c39-c09b-49c5-9de2-394224b04982", "objects": objects}
        )
    )
    summary, _ = load(embedded_store, path)
    load(embedded_store, Path(__file__).parents[1] / "fixtures" / "stix" / "infrastructure.json")
    assert summary.store.edges_pending == 3 and embedded_store.pending_count() == 0
    ((source, target, _),) = edges(embedded_store, "HOSTED_ON")
    assert (source, target) == (
        "uuid:16f4f3f9-1b68-4abb-bb66-7639d49f1e30",
        "uuid:38c47d93-d984-4fd9-b87b-d69d0841628d",
    )
    assert sorted(str(d["relation"]) for _, _, d in edges(embedded_store, "RELATED_TO")) == [
        "delivers",
        "drops",
    ]


def test_not_a_bundle_cannot_be_read(model: Model, tmp_path: Path) -> None:
    ctx = LoadContext(model, "x")
    for name, text in [("empty.json", " \n"), ("list.txt", "hello"), ("object.json", '{"a": 1}')]:
        (tmp_path / name).write_text(text)
        with pytest.raises(SourceError):
            list(stix.read(tmp_path / name, ctx))
    with pytest.raises(SourceError):
        list(stix.read(tmp_path / "missing.json", ctx))


@pytest.mark.realdata
def test_attack_enterprise_bundle(embedded_store: EmbeddedStore, shared_data: Path) -> None:
    path = shared_data / "attack-enterprise-groups.stix.json"
    summary, rejects = load(embedded_store, path)
    assert rejects == [] and summary.rejected == 0
    counts = {
        k: summary.read_by_kind[k] for k in ("intrusion-set", "campaign", "malware", "tool", "relationship")
    }
    assert counts == {"intrusion-set": 187, "campaign": 52, "malware": 696, "tool": 91, "relationship": 1286}
    stats = embedded_store.stats(clearance=RED).as_dict()
    # Nothing merged by alias: every group, campaign and piece of software stays its own node.
    assert stats["nodes"] == {"Actor": 187, "Campaign": 52, "Malware": 787, "Identity": 1}
    assert stats["edges"]["USES"] + stats["edges"]["ATTRIBUTED_TO"] + stats["edges"]["REVOKED_BY"] == 1286
    assert 30 <= stats["edges"]["ALIAS_OF"] <= 45
    revoked_by = {(u, v) for u, v, _ in edges(embedded_store, "REVOKED_BY")}
    assert (APT34, OILRIG) in revoked_by and len(revoked_by) == 8
    assert embedded_store.pending_count() == 0
    again, _ = load(embedded_store, path)
    assert (again.store.nodes_new, again.store.edges_new, again.rejected) == (0, 0, 0)


@pytest.mark.realdata
def test_every_oasis_example_loads(embedded_store: EmbeddedStore, shared_data: Path) -> None:
    bundles = sorted((shared_data / "stix-examples").glob("*.json"))
    assert len(bundles) == 11
    for path in bundles:
        summary, rejects = load(embedded_store, path)
        assert rejects == [] and summary.rejected == 0, path.name
    for value in (
        "cidr:223.166.0.0/15",
        "cidr:139.226.0.0/15",
        "ip:219.76.208.163",
        "domain:www.webserver.dynssl.com",
    ):
        assert embedded_store.get(value, clearance=RED).kind == "Infrastructure"
    assert (
        embedded_store.get("stix:domain-name--ecb120bf-2694-4902-a737-62b74539a41b", clearance=RED).key
        == "domain:example.com"
    )
    assert embedded_store.get("ip:10.0.0.0", clearance=RED).props["example"] is True
    assert embedded_store.pending_count() == 0


def test_a_link_to_what_is_not_modelled_says_so_in_plain_words(
    embedded_store: EmbeddedStore, tmp_path: Path
) -> None:
    when = "2024-01-01T00:00:00.000Z"
    uid = "0a0a0a0a-0000-4000-8000-0000000000"
    malware = {"type": "malware", "spec_version": "2.1", "id": f"malware--{uid}01",
               "created": when, "modified": when, "name": "X", "is_family": True}  # fmt: skip
    ends = [
        "artifact--0a0a0a0a-0000-4000-8000-000000000002",
        "grouping--0a0a0a0a-0000-4000-8000-000000000003",
    ]
    links = [
        {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{uid}1{i}",
         "created": when, "modified": when, "relationship_type": "related-to", "source_ref": malware["id"],
         "target_ref": end}
        for i, end in enumerate(ends)
    ]  # fmt: skip
    path = tmp_path / "links.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--0a0a0a0a-0000-4000-8000-000000000009",
                                "objects": [malware, *links]}))  # fmt: skip
    summary, _ = load(embedded_store, path)
    assert summary.skipped_by_reason == {
        "relationship with an artifact, which is not modelled": 1,
        "relationship with a grouping, which is not modelled": 1,
    }
