"""Feodo Tracker C2 blocklists in both formats: IPs, ports, families, ASNs, hostnames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders.records import SourceError
from tests.loaders.loading import edge_types, kinds, load, nothing_new


def test_json_blocklist(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    path = fixtures / "abusech" / "feodo-ipblocklist-2026-07-24.json"
    summary = load(embedded_store, "feodo", path, "feodo")
    assert (summary.read, summary.rejected) == (5, 0)
    assert kinds(embedded_store) == {
        "Infrastructure/ip": 5,
        "Infrastructure/asn": 3,
        "Infrastructure/domain": 3,
        "Malware/malware": 2,
    }
    assert edge_types(embedded_store) == {"COMMUNICATES_WITH": 5, "BELONGS_TO": 5, "RESOLVES_TO": 3}
    ip = embedded_store.get("ip:50.16.16.211", clearance=TLP.RED)
    assert ip.props == {"port": [443], "country": "US"}
    assert (ip.prov.first_seen, ip.prov.last_seen) == ("2025-12-30T13:56:31Z", "2026-03-12T00:00:00Z")
    around = embedded_store.neighbourhood([ip.key], clearance=TLP.RED).edges.values()
    assert {(e.type, e.source, e.target) for e in around} == {
        ("COMMUNICATES_WITH", "software:qakbot", ip.key),
        ("BELONGS_TO", ip.key, "asn:14618"),
        ("RESOLVES_TO", "domain:ec2-50-16-16-211.compute-1.amazonaws.com", ip.key),
    }
    c2 = next(e for e in around if e.type == "COMMUNICATES_WITH")
    assert (c2.discriminator, c2.props) == (
        "443",
        {"port": 443, "threat_type": "botnet_cc", "status": "online"},
    )
    assert embedded_store.get("asn:14618", clearance=TLP.RED).props == {"as_name": "AMAZON-AES"}
    assert nothing_new(load(embedded_store, "feodo", path, "feodo"))


def test_csv_with_banner_and_unterminated_end_line(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    path = fixtures / "abusech" / "feodo-ipblocklist-2024-04-04.csv"
    summary = load(embedded_store, "feodo", path, "feodo")
    assert (summary.read, summary.rejected) == (28, 0)
    assert kinds(embedded_store) == {"Infrastructure/ip": 28, "Malware/malware": 1}
    graph = embedded_store.subgraph(clearance=TLP.RED, edge_types=["COMMUNICATES_WITH"])
    statuses = [a["status"] for _, _, a in graph.edges(data=True)]
    assert (statuses.count("online"), statuses.count("offline")) == (4, 24)
    assert nothing_new(load(embedded_store, "feodo", path, "feodo"))


def test_csv_without_banner_one_ip_on_two_ports_and_families(
    fixtures: Path, embedded_store: EmbeddedStore
) -> None:
    path = fixtures / "abusech" / "feodo-aggressive-2021-excerpt.csv"
    summary = load(embedded_store, "feodo", path, "feodo")
    assert (summary.read, summary.rejected) == (14, 0)
    assert kinds(embedded_store) == {"Infrastructure/ip": 12, "Malware/malware": 2}
    ip = embedded_store.get("ip:103.61.101.11", clearance=TLP.RED)
    assert ip.props["port"] == [447, 449]
    edges = embedded_store.neighbourhood([ip.key], clearance=TLP.RED).edges.values()
    assert sorted((e.source, e.discriminator) for e in edges) == [
        ("software:dridex", "449"),
        ("software:trickbot", "447"),
        ("software:trickbot", "449"),
    ]


def test_bad_entries_are_rejected(fixtures: Path, tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    entries = json.loads(
        (fixtures / "abusech" / "feodo-ipblocklist-2026-07-24.json").read_text(encoding="utf-8")
    )
    entries[1]["port"] = "https"
    entries[2]["ip_address"] = "999.1.2.3"
    del entries[3]["malware"]
    path = tmp_path / "ipblocklist.json"
    path.write_text(json.dumps(entries, indent=1), encoding="utf-8")
    summary = load(embedded_store, "feodo", path, "feodo")
    assert (summary.read, summary.rejected) == (5, 3)
    assert kinds(embedded_store)["Infrastructure/ip"] == 2


def test_wrong_csv_header(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "ipblocklist.csv"
    path.write_text('"first_seen","ip","port"\n"2024-01-01","1.2.3.4","443"\n', encoding="utf-8")
    with pytest.raises(
        SourceError, match=r"expected columns first_seen_utc, dst_ip, .*; found first_seen, ip"
    ):
        load(embedded_store, "feodo", path, "feodo")


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "rows", "families"),
    [
        ("feodo-ipblocklist-2026-07-24.json", 5, {"software:qakbot": 4, "software:emotet": 1}),
        ("feodo-ipblocklist-2024-04-04.csv", 28, {"software:pikabot": 28}),
        (
            "feodo-ipblocklist-aggressive-2021-03-19.csv",
            472,
            {"software:emotet": 178, "software:dridex": 166, "software:trickbot": 128},
        ),
    ],
)
def test_real_blocklists(
    shared_data: Path, embedded_store: EmbeddedStore, name: str, rows: int, families: dict[str, int]
) -> None:
    summary = load(embedded_store, "feodo", shared_data / "abusech" / name, "feodo")
    assert (summary.read, summary.rejected, summary.skipped) == (rows, 0, 0)
    graph = embedded_store.subgraph(clearance=TLP.RED, edge_types=["COMMUNICATES_WITH"])
    per_family: dict[str, int] = {}
    for source, _ in graph.edges():
        per_family[source] = per_family.get(source, 0) + 1
    assert per_family == families
