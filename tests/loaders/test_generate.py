"""The synthetic ecosystem: deterministic, loads cleanly, and the planted truth is really in the graph."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store.embedded import EmbeddedStore
from loaders.csv_tables import read
from loaders.generate import SIZES, TRUTH, GenerateReport, generate
from loaders.ingest import IngestSummary, ingest
from loaders.records import LoadContext

RED = TLP.RED


@pytest.fixture(scope="module")
def small(
    tmp_path_factory: pytest.TempPathFactory, model: Model
) -> Iterator[tuple[GenerateReport, EmbeddedStore, list[IngestSummary]]]:
    """Size S generated and loaded once for the module."""
    out = tmp_path_factory.mktemp("synthetic")
    report = generate(out / "s", SIZES["S"], seed=11)
    store = EmbeddedStore(out / "graph.db", model)
    ctx = LoadContext(model, "synthetic")
    summaries = [ingest(store, read(path, ctx)) for path in report.tables]
    yield report, store, summaries
    store.close()


@pytest.fixture(scope="module")
def truth(small: tuple[GenerateReport, EmbeddedStore, list[IngestSummary]]) -> dict[str, Any]:
    report = small[0]
    loaded: dict[str, Any] = json.loads((report.out_dir / TRUTH).read_text())
    return loaded


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 200, seed=3)
    second = generate(tmp_path / "b", 200, seed=3)
    other = generate(tmp_path / "c", 200, seed=4)
    assert [f.name for f in first.files] == [f.name for f in second.files]
    assert first.files[-1].name == TRUTH and len(first.tables) == 9
    for a, b, c in zip(first.files, second.files, other.files, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
        assert a.read_bytes() != c.read_bytes(), a.name
    assert first == GenerateReport(
        tmp_path / "a", 3, 200, first.files, *(first.rows, first.nodes, first.node_types, first.edges)
    )


def test_too_few_actors_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 50"):
        generate(tmp_path, 10, seed=1)


def test_size_s_loads_without_rejects_and_matches_the_report(
    small: tuple[GenerateReport, EmbeddedStore, list[IngestSummary]],
) -> None:
    report, store, summaries = small
    assert sum(s.rejected for s in summaries) == 0
    assert sum(s.skipped for s in summaries) == 0
    assert sum(s.read for s in summaries) == report.total_rows
    assert store.pending_count() == 0
    stats = store.stats(clearance=RED).as_dict()
    assert stats["nodes"] == report.nodes
    assert stats["edges"] == report.edges
    # S is about ten thousand nodes and fifty thousand edges.
    assert 8_000 < report.total_nodes < 12_000
    assert 40_000 < report.total_edges < 60_000
    assert set(report.nodes) == {"Actor", "Forum", "Infrastructure", "Malware", "Wallet"}


def test_truth_entities_exist(
    truth: dict[str, Any], small: tuple[GenerateReport, EmbeddedStore, list[IngestSummary]]
) -> None:
    store = small[1]
    keys = [b["actor"] for b in truth["key_brokers"]]
    keys += [k for p in truth["sole_cash_out_paths"] for k in (p["group"], p["mule"], *p["chain"])]
    keys += [k for s in truth["shared_infrastructure"] for k in (s["provider"], *s["asns"], *s["groups"])]
    keys += [k for e in truth["escrow_admins"] for k in (e["forum"], e["admin"])]
    assert len(truth["key_brokers"]) >= 3 and len(truth["sole_cash_out_paths"]) >= 2
    assert truth["escrow_admins"] and truth["shared_infrastructure"]
    for key in keys:
        assert store.get(key, clearance=RED).key == key


def test_only_brokers_join_communities(
    truth: dict[str, Any], small: tuple[GenerateReport, EmbeddedStore, list[IngestSummary]]
) -> None:
    store = small[1]
    community = {k: c["community"] for c in truth["communities"] for k in (*c["groups"], *c["forums"])}
    graph = nx.Graph(
        store.subgraph(
            clearance=RED, edge_types=[*store.model.edge_sets["social"], *store.model.edge_sets["forum"]]
        )
    )

    def spans() -> list[set[int]]:
        return [{community[k] for k in part if k in community} for part in nx.connected_components(graph)]

    assert max(len(s) for s in spans()) == len(truth["communities"])
    graph.remove_nodes_from(b["actor"] for b in truth["key_brokers"])
    assert max(len(s) for s in spans()) == 1


def test_sole_cash_out_chains_cut_their_group_from_every_exchange(
    truth: dict[str, Any], small: tuple[GenerateReport, EmbeddedStore, list[IngestSummary]]
) -> None:
    store = small[1]
    money = nx.DiGraph(store.subgraph(clearance=RED, edge_types=["TRANSFERRED"]))
    owns = store.subgraph(clearance=RED, edge_types=["OWNS"])
    exchanges = set(truth["exchange_wallets"])
    for path in truth["sole_cash_out_paths"]:
        owners = {path["group"], *path["members"]}
        wallets = {w for o in owners for w in owns.successors(o)} - set(path["chain"])
        reached = set().union(*(nx.descendants(money, w) for w in wallets if w in money))
        assert reached & exchanges and path["exchanges"], path["group"]
        for cut in path["chain"]:
            without = money.copy()
            without.remove_node(cut)
            reached = set().union(*(nx.descendants(without, w) for w in wallets if w in without))
            assert not reached & exchanges, (path["group"], cut)


def test_bulletproof_hosters_serve_the_most_groups(
    truth: dict[str, Any], small: tuple[GenerateReport, EmbeddedStore, list[IngestSummary]]
) -> None:
    store = small[1]
    graph = store.subgraph(clearance=RED, edge_types=["OPERATES", "RESOLVES_TO", "BELONGS_TO"])
    served: dict[str, set[str]] = {}
    for group, domain in graph.edges():
        if not group.startswith("group:") or not domain.startswith("domain:"):
            continue
        for ip in graph.successors(domain):
            for asn in graph.successors(ip):
                for provider in graph.successors(asn):
                    served.setdefault(provider, set()).add(group)
    for shared in truth["shared_infrastructure"]:
        assert served[shared["provider"]] == set(shared["groups"])
    bulletproof = {s["provider"] for s in truth["shared_infrastructure"]}
    others = [len(g) for p, g in served.items() if p not in bulletproof]
    assert min(len(served[p]) for p in bulletproof) > max(others)


def test_each_escrow_venue_has_one_escrow_admin(
    truth: dict[str, Any], small: tuple[GenerateReport, EmbeddedStore, list[IngestSummary]]
) -> None:
    store = small[1]
    graph = store.subgraph(clearance=RED, edge_types=["ADMINISTERS"])
    for entry in truth["escrow_admins"]:
        escrow = [s for s, _, role in graph.in_edges(entry["forum"], data="role") if role == "escrow"]
        assert escrow == [entry["admin"]]
        assert store.get(entry["forum"], clearance=RED).props["escrow"] is True


def test_routing_data_leaves_the_other_files_as_they_were(tmp_path: Path, model: Model) -> None:
    """--routing adds files (registrars, upstreams, exchanges, locations) from a stream of its own."""
    plain = generate(tmp_path / "plain", 120, seed=5)
    routed = generate(tmp_path / "routed", 120, seed=5, routing=True)
    assert [f.name for f in routed.files] == [
        *(f.name for f in plain.tables),
        "registrations.csv",
        "upstreams.csv",
        "services.csv",
        "locations.csv",
        TRUTH,
    ]
    for before in plain.files:
        assert (tmp_path / "routed" / before.name).read_bytes() == before.read_bytes(), before.name
    store = EmbeddedStore(tmp_path / "graph.db", model)
    try:
        ctx = LoadContext(model, "synthetic")
        summaries = [ingest(store, read(path, ctx)) for path in routed.tables]
        assert sum(s.rejected for s in summaries) == 0
        assert store.pending_count() == 0
        stats = store.stats(clearance=RED).as_dict()
        assert stats["nodes"] == routed.nodes
        assert stats["edges"] == routed.edges
        truth = json.loads((tmp_path / "routed" / TRUTH).read_text())
        graph = store.subgraph(clearance=RED, edge_types=["CUSTOMER_OF", "REGISTERED_WITH"])
        for shared in truth["shared_infrastructure"]:  # bulletproof: cut off by ordinary providers' ASes
            for asn in shared["asns"]:
                upstreams = list(graph.successors(asn))
                assert upstreams and all(not graph.nodes[u].get("bulletproof") for u in upstreams)
        domains = [n for n in graph if n.startswith("domain:")]
        assert domains and all(
            sorted(graph.nodes[t]["type"] for t in graph.successors(d)) == ["registrar", "registry"]
            for d in domains
        )
        exchange = store.get(truth["exchange_wallets"][0], clearance=RED).props["service"]
        contact = store.get(f"organization:{exchange.casefold()}", clearance=RED)
        assert contact.props["service_type"] == "exchange" and contact.props["abuse_email"].startswith(
            "compliance@"
        )
        broker = store.get(truth["key_brokers"][0]["actor"], clearance=RED)
        assert len(broker.props["located_in"]) == 2
    finally:
        store.close()


def test_identities_leave_the_other_files_as_they_were(tmp_path: Path, model: Model) -> None:
    """--identities adds files (people behind handles, planted groups, decoys) from a stream of its own;
    truth.json gains only its `identities` part."""
    plain = generate(tmp_path / "plain", 120, seed=5)
    people = generate(tmp_path / "people", 120, seed=5, identities="shifted")
    for before in plain.tables:
        assert (tmp_path / "people" / before.name).read_bytes() == before.read_bytes(), before.name
    truth = json.loads((tmp_path / "people" / TRUTH).read_text())
    planted = truth.pop("identities")
    assert truth == json.loads((tmp_path / "plain" / TRUTH).read_text())
    assert len(planted["groups"]) >= 60 and planted["config"] == "shifted"
    with EmbeddedStore(tmp_path / "graph.db", model) as store:
        ctx = LoadContext(model, "synthetic")
        summaries = [ingest(store, read(path, ctx)) for path in people.tables]
        assert sum(s.rejected for s in summaries) == 0
        assert store.pending_count() == 0
        handles = {k for g in planted["groups"] for k in g["members"]}
        assert len(store.get_many(sorted(handles), clearance=RED)) == len(handles)
    with pytest.raises(ValueError, match="unknown identity configuration"):
        generate(tmp_path / "bad", 120, seed=5, identities="nonsense")
