"""Takedown packages of a plan on a generated ecosystem: every visible target exactly once, under the party
that can act, with its evidence; nothing above the requester's clearance; hostile strings escaped in the
report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backend.export import parties
from backend.export.package import takedown_package, write_package
from graph_model.entities import Edge, make_node
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from queries.disruption.plan import takedown_plan
from queries.results import Plan
from queries.scope import Scope
from tests.backend.export.graphs import HOSTILE
from tests.backend.export.stix_check import stix_errors


@pytest.fixture()
def ecosystem(embedded_store: GraphStore, tmp_path: Path) -> dict[str, Any]:
    """A generated ecosystem (50 actors), plus an AMBER provider and a RED handle only some may see."""
    report = generate(tmp_path / "eco", 50, 3)
    for table in report.tables:
        assert (
            ingest(embedded_store, reader("csv")(table, LoadContext(embedded_store.model, "eco"))).rejected
            == 0
        )
    truth: dict[str, Any] = json.loads((tmp_path / "eco" / "truth.json").read_text())
    model = embedded_store.model
    secret = make_node(model, "Infrastructure", "provider", "Quiet Secret Hosting", prov=_prov("AMBER"))
    hidden = make_node(model, "Actor", "handle", "redsecret", prov=_prov("RED"))
    lone_ip = make_node(
        model, "Infrastructure", "ip", "203.0.113.77", prov=_prov("GREEN"), props={"country": "SE"}
    )
    embedded_store.upsert(
        [secret, hidden, lone_ip],
        [Edge("BELONGS_TO", lone_ip.key, secret.key, _prov("AMBER"))],
    )
    return truth


def _prov(tlp: str) -> Provenance:
    return Provenance.of("intel", tlp.lower(), first_seen="2024-05-01", confidence=80, tlp=tlp)


def _ip_in(store: GraphStore, asn: str) -> str:
    graph = store.subgraph(clearance=TLP.RED, edge_types=["BELONGS_TO"])
    return sorted(u for u, v in graph.edges() if v == asn and u.startswith("ip:"))[0]


def _plan(store: GraphStore, truth: dict[str, Any]) -> tuple[Plan, dict[str, tuple[str, str]]]:
    """A plan in the planner's documented JSON, and the party (kind, name) each target must go to."""
    shared = truth["shared_infrastructure"][0]
    provider = shared["provider"]
    provider_name = store.get(provider, clearance=TLP.RED).name
    exchange = truth["exchange_wallets"][0]
    service = store.get(exchange, clearance=TLP.RED).props["service"]
    broker = truth["key_brokers"][0]["actor"]
    escrow = truth["escrow_admins"][0]["admin"]
    group = truth["communities"][0]["groups"][0]
    domain = sorted(store.subgraph(clearance=TLP.RED, kinds=["Infrastructure"], edge_types=[]).nodes)
    domain_key = next(k for k in domain if k.startswith("domain:"))
    expected = {
        provider: (parties.HOSTING, provider_name),
        shared["asns"][0]: (parties.HOSTING, provider_name),
        _ip_in(store, shared["asns"][1]): (parties.HOSTING, provider_name),
        exchange: (parties.WALLET_SERVICE, service),
        broker: (parties.FORUM_OPERATOR, ""),
        escrow: (parties.FORUM_OPERATOR, ""),
        domain_key: (parties.REGISTRAR, ""),
        group: (parties.LAW_ENFORCEMENT, ""),
        "ip:203.0.113.77": (parties.HOSTING, "hosting provider not known"),  # its provider is AMBER
    }
    keys = [*expected, "handle:redsecret", provider]  # a hidden target, and one named twice
    plan = {
        "targets": [
            {"key": k, "name": k, "kind": "?", "score": 1.0 / (i + 1), "cost": 1.0, "why": f"pick {i}: {k}"}
            for i, k in enumerate(keys)
        ],
        "before": {"nodes": 987654321},
        "after": {"nodes": 1},
        "objective": "fragmentation",
        "scope": {},
    }
    return Plan.from_dict(json.loads(json.dumps(plan))), expected


def test_package_lists_every_target_once_under_its_party(
    embedded_store: GraphStore, ecosystem: dict[str, Any], tmp_path: Path
) -> None:
    plan, expected = _plan(embedded_store, ecosystem)
    package = takedown_package(embedded_store, TLP.GREEN, plan)
    write_package(package, tmp_path / "out")
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    listed: dict[str, tuple[str, str]] = {}
    for entry in index["parties"]:
        data = json.loads((tmp_path / "out" / entry["folder"] / "package.json").read_text())
        assert [t["key"] for t in data["targets"]] == entry["targets"]
        for target in data["targets"]:
            assert target["key"] not in listed, "listed twice"
            listed[target["key"]] = (data["party"]["kind"], data["party"]["name"])
            evidence = target["evidence"]
            assert evidence["provenance"]["sources"] and evidence["provenance"]["confidence"] > 0
            assert target["why"].startswith(target["name"])  # explained again at the requester's clearance
        bundle = json.loads((tmp_path / "out" / entry["folder"] / "bundle.stix.json").read_text())
        assert stix_errors(bundle)[0] == []
        grouping = next(o for o in bundle["objects"] if o["type"] == "grouping")
        assert len(grouping["object_refs"]) == len(entry["targets"])
    assert set(listed) == set(expected)
    for key, (kind, name) in expected.items():
        assert listed[key][0] == kind, key
        if name:
            assert listed[key][1] == name, key
    # The key broker's evidence: the path through it that the takedown cuts.
    broker = ecosystem["key_brokers"][0]["actor"]
    paths = next(t for p in package.parties for t in p.targets if t.node.key == broker).paths
    assert paths and all(broker in [n["key"] for n in p["nodes"]] for p in paths)


def test_package_holds_nothing_above_clearance(
    embedded_store: GraphStore, ecosystem: dict[str, Any], tmp_path: Path
) -> None:
    plan, _ = _plan(embedded_store, ecosystem)
    write_package(takedown_package(embedded_store, TLP.GREEN, plan), tmp_path / "green")
    everything = b"".join(p.read_bytes() for p in sorted((tmp_path / "green").rglob("*")) if p.is_file())
    for secret in (
        b"redsecret",
        b"Quiet Secret",
        b"quiet secret",
        b"TLP:AMBER",
        b"TLP:RED",
        b'"AMBER',
        b'"RED',
    ):
        assert secret not in everything, secret
    assert b"987654321" not in everything  # the plan's measures, taken over a graph the requester may not see
    # With AMBER clearance the provider behind the lone IP is named.
    package = takedown_package(embedded_store, TLP.AMBER, plan)
    lone = {p.party.name for p in package.parties for t in p.targets if t.node.key == "ip:203.0.113.77"}
    assert lone == {"Quiet Secret Hosting"}


def test_report_escapes_hostile_strings(embedded_store: GraphStore, tmp_path: Path) -> None:
    model = embedded_store.model
    actor = make_node(model, "Actor", "group", HOSTILE, prov=_prov("CLEAR"), props={"country": HOSTILE})
    embedded_store.upsert([actor])
    plan = Plan.from_dict({"targets": [{"key": actor.key, "why": HOSTILE, "score": 1}], "objective": HOSTILE})
    write_package(takedown_package(embedded_store, TLP.CLEAR, plan), tmp_path / "out")
    (report,) = (tmp_path / "out").rglob("report.html")
    html = report.read_text()
    assert "<script" not in html and "<img" not in html and "href=" not in html and ' src="' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "default-src 'none'" in html


def test_package_of_a_real_plan(
    embedded_store: GraphStore, ecosystem: dict[str, Any], tmp_path: Path
) -> None:
    """The planner's own plan, made at RED where a hidden handle ties the groups together, packaged for a
    GREEN requester: each visible pick once, under a party of the right kind, and nothing of the hidden."""
    model = embedded_store.model
    groups = [g for c in ecosystem["communities"] for g in c["groups"]]
    hidden = make_node(model, "Actor", "handle", "redsecret", prov=_prov("RED"))
    embedded_store.upsert([hidden], [Edge("MEMBER_OF", hidden.key, g, _prov("RED")) for g in groups])
    data = takedown_plan(embedded_store, TLP.RED, Scope(), budget=8).as_dict()
    assert len(data["targets"]) == 8
    # A RED analyst adds the hidden broker to the plan before it is packaged for partners.
    data["targets"].insert(0, {"key": hidden.key, "name": "redsecret", "kind": "Actor", "why": "redsecret"})
    plan = Plan.from_dict(json.loads(json.dumps(data)))
    package = takedown_package(embedded_store, TLP.GREEN, plan)
    write_package(package, tmp_path / "out")
    listed = [t.node.key for p in package.parties for t in p.targets]
    assert sorted(listed) == sorted(t.key for t in plan.targets if t.key != hidden.key)
    kinds = {
        "Wallet": {parties.WALLET_SERVICE},
        "Forum": {parties.HOSTING, parties.NETWORK, parties.FORUM_OPERATOR, parties.LAW_ENFORCEMENT},
        "Actor": {parties.FORUM_OPERATOR, parties.LAW_ENFORCEMENT},
        "Infrastructure": {parties.HOSTING, parties.NETWORK, parties.REGISTRAR},
    }
    for item in package.parties:
        for target in item.targets:
            assert item.party.kind in kinds.get(target.node.kind, {parties.LAW_ENFORCEMENT}), target.node.key
            assert target.why and target.node.prov.sources
    everything = b"".join(p.read_bytes() for p in sorted((tmp_path / "out").rglob("*")) if p.is_file())
    assert b"redsecret" not in everything and b"TLP:RED" not in everything
