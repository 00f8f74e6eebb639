"""ThreatFox IOCs: infrastructure nodes, family edges, ASN tags, skipped hashes, damaged exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders.threatfox import HASH_SKIP, split_host_port
from tests.loaders.loading import edge_types, kinds, load, nothing_new


def test_fixture_excerpt(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    path = fixtures / "abusech" / "threatfox-excerpt.json"
    summary = load(embedded_store, "threatfox", path, "threatfox")
    assert (summary.read, summary.rejected, summary.skipped) == (20, 0, 3)
    assert summary.skipped_by_reason == {HASH_SKIP: 3}
    assert summary.read_by_kind == {"ip:port": 9, "domain": 3, "url": 5, "sha256_hash": 3}
    assert kinds(embedded_store) == {
        "Infrastructure/ip": 10,
        "Infrastructure/domain": 5,
        "Infrastructure/url": 5,
        "Infrastructure/asn": 1,
        "Malware/malware": 7,
    }
    # 13 IOCs name a family ("Unknown malware" x4 keep their node but get no edge), 5 URLs, 3 ASN tags.
    assert edge_types(embedded_store) == {"COMMUNICATES_WITH": 13, "RESOLVES_TO": 5, "BELONGS_TO": 3}
    assert nothing_new(load(embedded_store, "threatfox", path, "threatfox"))


def test_ip_port_family_and_asn(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    load(embedded_store, "threatfox", fixtures / "abusech" / "threatfox-excerpt.json", "threatfox")
    ip = embedded_store.get("ip:8.160.167.144", clearance=TLP.RED)
    assert ip.props["port"] == [22, 8080] and ip.props["compromised"] is True
    cobalt = embedded_store.get("malpedia:win.cobalt_strike", clearance=TLP.RED)
    assert (cobalt.key, cobalt.name) == ("software:cobalt strike", "Cobalt Strike")
    assert {"BEACON", "CobaltStrike"} <= set(cobalt.props["aliases"])
    edges = embedded_store.neighbourhood([ip.key], clearance=TLP.RED).edges.values()
    assert sorted((e.source, e.discriminator, e.props["port"]) for e in edges) == [
        ("software:cobalt strike", "22", 22),
        ("software:cobalt strike", "8080", 8080),
    ]
    assert {e.props["threat_type"] for e in edges} == {"botnet_cc"}
    asn = embedded_store.get("asn:14061", clearance=TLP.RED)
    assert (asn.name, asn.props["as_name"]) == ("AS14061", "DIGITALOCEAN-ASN")
    unknown = embedded_store.get("ip:64.227.105.70", clearance=TLP.RED)
    around = embedded_store.neighbourhood([unknown.key], clearance=TLP.RED)
    assert [e.type for e in around.edges.values()] == ["BELONGS_TO"]
    assert unknown.props["tags"] == ["C2", "Mythic", "censys"]
    assert unknown.prov.confidence == 100
    assert (unknown.prov.first_seen, unknown.prov.last_seen) == (
        "2026-03-16T20:01:02Z",
        "2026-07-24T13:46:06Z",
    )


def test_url_resolves_to_its_host(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    load(embedded_store, "threatfox", fixtures / "abusech" / "threatfox-excerpt.json", "threatfox")
    url = embedded_store.get("url:http://182.123.165.64:33331/Mozi.m", clearance=TLP.RED)
    links = {
        (e.type, e.source, e.target)
        for e in embedded_store.neighbourhood([url.key], clearance=TLP.RED).edges.values()
    }
    assert links == {
        ("RESOLVES_TO", url.key, "ip:182.123.165.64"),
        ("COMMUNICATES_WITH", "software:mozi", url.key),
    }


def test_anonymous_as_text_and_bad_records(
    fixtures: Path, tmp_path: Path, embedded_store: EmbeddedStore
) -> None:
    export = json.loads((fixtures / "abusech" / "threatfox-excerpt.json").read_text(encoding="utf-8"))
    for iocs in export.values():
        iocs[0]["anonymous"] = "0"
    export["1856791"][0]["ioc_value"] = "not a url at all ::"
    export["1856782"][0]["ioc_value"] = "146.56.205.231"  # ip:port without a port
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    summary = load(embedded_store, "threatfox", path, "threatfox")
    assert (summary.read, summary.rejected, summary.skipped) == (20, 2, 3)


def test_truncated_export_keeps_earlier_iocs(
    fixtures: Path, tmp_path: Path, embedded_store: EmbeddedStore
) -> None:
    text = (fixtures / "abusech" / "threatfox-excerpt.json").read_text(encoding="utf-8")
    path = tmp_path / "export.json"
    path.write_text(text[: text.index('"1856776"') + 40], encoding="utf-8")
    summary = load(embedded_store, "threatfox", path, "threatfox")
    # 8 IOCs before the damage, then one rejected record for it.
    assert (summary.read, summary.rejected) == (9, 1)
    assert summary.read_by_kind["ip:port"] == 3


def test_invalid_utf8_in_one_ioc(fixtures: Path, tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    data = (fixtures / "abusech" / "threatfox-excerpt.json").read_bytes()
    path = tmp_path / "export.json"
    path.write_bytes(data.replace(b'"reporter": "crep1x"', b'"reporter": "crep\xff1x"', 1))
    summary = load(embedded_store, "threatfox", path, "threatfox")
    assert (summary.read, summary.rejected, summary.skipped) == (20, 1, 3)


def test_split_host_port() -> None:
    assert split_host_port("1.2.3.4:443") == ("1.2.3.4", 443)
    assert split_host_port("[2001:db8::1]:8443") == ("2001:db8::1", 8443)
    with pytest.raises(ValueError, match="not an ip:port value"):
        split_host_port("1.2.3.4:99999")


@pytest.mark.realdata
def test_real_export_counts(shared_data: Path, embedded_store: EmbeddedStore) -> None:
    path = shared_data / "abusech" / "threatfox-export-recent-2026-07-24.json"
    summary = load(embedded_store, "threatfox", path, "threatfox")
    assert (summary.read, summary.rejected, summary.skipped) == (4_488, 0, 169 + 146 + 146)
    assert summary.skipped_by_reason == {HASH_SKIP: 461}
    assert (summary.read_by_kind["ip:port"], summary.read_by_kind["domain"], summary.read_by_kind["url"]) == (
        2_412,
        1_207,
        408,
    )
    graph = embedded_store.subgraph(clearance=TLP.RED, edge_types=["BELONGS_TO"])
    asns = {t for _, t in graph.edges()}
    assert len(asns) == 90  # of 91 distinct ASN tags, one is only on domain or URL IOCs
    assert nothing_new(load(embedded_store, "threatfox", path, "threatfox"))
