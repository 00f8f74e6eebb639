"""Every dataset in ../shared/data loads into BOTH stores: no good record rejected, the counts of its
SOURCE.md, the same graph in each store, and a second load that adds nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from graph_model.check import check_store
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from graph_model.store.neo4j_store import Neo4jStore
from loaders import IngestSummary, LoadContext, ingest, reader

# (format, path under shared/data, dataset name, records read as SOURCE.md counts them)
DATASETS: list[tuple[str, str, str, int]] = [
    ("stix", "attack-enterprise-groups.stix.json", "attack", 2314),
    ("stix", "attack-ics-mobile/ics-attack-18.1.json", "attack-ics", 1826),
    ("stix", "attack-ics-mobile/mobile-attack-17.1.json", "attack-mobile", 2148),
    *[
        ("stix", f"stix-examples/{name}.json", "oasis", n)
        for name, n in [
            ("apt1", 76),
            ("poisonivy", 155),
            ("infrastructure", 10),
            ("indicators-for-C2-with-COA", 8),
            ("indicator-to-campaign-relationship", 3),
            ("defining-campaigns-threat-actors-intrusion-sets", 26),
            ("identifying-a-threat-actor-profile", 3),
            ("threat-actor-leveraging-attack-patterns-and-malware", 7),
            ("indicator-for-malicious-url", 3),
            ("sighting-of-an-indicator", 4),
            ("sighting-of-observed-data", 8),
        ]
    ],
    *[
        ("misp-galaxy", f"misp-galaxy/{name}.json", "misp", n)
        for name, n in [
            ("threat-actor", 1041),
            ("ransomware", 2135),
            ("tool", 608),
            ("botnet", 148),
            ("malpedia", 3683),
        ]
    ],
    ("ransomwhere", "ransomwhere/ransomwhere-opensanctions-targets.simple.csv", "ransomwhere", 11186),
    ("btc-payments", "ransomwhere/huang2018-cerber-locky-payments.csv", "huang2018", 16785),
    ("receipts", "ransomwhere/showing-the-receipts-addresses.csv", "receipts", 1013),
    ("threatfox", "abusech/threatfox-export-recent-2026-07-24.json", "threatfox", 4488),
    ("feodo", "abusech/feodo-ipblocklist-2026-07-24.json", "feodo", 5),
    ("feodo", "abusech/feodo-ipblocklist-2024-04-04.csv", "feodo", 28),
    ("feodo", "abusech/feodo-ipblocklist-aggressive-2021-03-19.csv", "feodo", 472),
    ("bitcoin-otc", "bitcoin-otc/soc-sign-bitcoinotc.csv", "bitcoin-otc", 35592 + 1),  # + the platform
    ("edgelist", "networks/crime-konect/Crime_Gcc.txt", "crime-konect", 2127),
    ("edgelist", "networks/hijackers-911/911.txt", "hijackers-911", 159),
    ("edgelist", "networks/ucinet-covert-matrices/ITALIAN_GANGS.csv", "italian-gangs", -1),
    ("edgelist", "networks/corruption-brazil/Corruption_Gcc.txt", "corruption-brazil", -1),
]


def _load_all(store: GraphStore, data: Path) -> tuple[IngestSummary, dict[str, int]]:
    total = IngestSummary()
    reads: dict[str, int] = {}
    for fmt, relative, dataset, _ in DATASETS:
        summary = ingest(store, reader(fmt)(data / relative, LoadContext(store.model, dataset)))
        reads[relative] = summary.read
        assert summary.rejected == 0, relative
        total.read += summary.read
        total.store.add(summary.store)
    return total, reads


@pytest.mark.realdata
@pytest.mark.neo4j
def test_every_dataset_loads_into_both_stores(
    shared_data: Path, embedded_store: EmbeddedStore, neo4j_store: Neo4jStore
) -> None:
    results = {}
    for name, store in (("embedded", embedded_store), ("neo4j", neo4j_store)):
        started = time.perf_counter()
        first, reads = _load_all(store, shared_data)
        seconds = time.perf_counter() - started
        print(
            f"\n{name}: {first.read} records in {seconds:.1f}s ({first.read / seconds:.0f}/s), "
            f"{first.store.nodes_new} nodes, {first.store.edges_new} edges, "
            f"{first.store.edges_pending} pending"
        )
        for fmt, relative, _, expected in DATASETS:
            if expected >= 0:
                assert reads[relative] == expected, (fmt, relative)
        second, _ = _load_all(store, shared_data)
        assert (second.store.nodes_new, second.store.edges_new) == (0, 0), name
        results[name] = {level: store.stats(clearance=level).as_dict() for level in TLP}
        report = check_store(store)
        assert report.violations == 0, report.examples  # every stored node and edge obeys the schema
    assert results["embedded"] == results["neo4j"]
    everything = results["embedded"][TLP.RED]
    assert everything["nodes"]["Wallet"] > 11186  # ransom wallets plus payer clusters
    # Cross-source merging: ransom addresses seen by Ransomwhere, Huang and the receipts are single nodes.
    shared = embedded_store.search("12t9YDPgwueZ9NyMgw519p7AA8isjr6SMw", clearance=TLP.RED)
    for node in shared:
        assert len({s.split("#")[0] for s in node.prov.sources}) >= 1
