"""Takedown packages of the demo's own plan (a generated ecosystem with routing data) and of hand-made plans:
the right addressee (never a suspect), a request and evidence with its source for every target, XARF that the
``xarf`` library accepts, transactions for wallets, need to know, the same items in the STIX bundle and the
report, a manifest that catches a changed byte, nothing above the package's marking."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import xarf

from backend.export.package import Requester, package_files, takedown_package, verify, write_package
from backend.export.package.manifest import sha256
from backend.export.package.parties import rules
from graph_model.entities import Edge, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from queries.disruption import words
from queries.disruption.actions import action_table
from queries.disruption.plan import takedown_plan
from queries.results import Plan
from queries.scope import Scope
from tests.backend.export.graphs import HOSTILE
from tests.backend.export.stix_check import stix_errors

ASKING = Requester("alice", "Cybercrime Unit NL", "ncu@police.example", "+31 70 000 0000", "NL", "OP-17")


def _prov(tlp: str, record: str = "r") -> Provenance:
    return Provenance.of("intel", f"{tlp.lower()}-{record}", first_seen="2024-05-01", confidence=80, tlp=tlp)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, model: Model) -> tuple[EmbeddedStore, dict[str, Any]]:
    """The demo's data (generate --routing) at 150 actors, an AMBER handle and an AMBER provider added."""
    out = tmp_path_factory.mktemp("demo")
    report = generate(out / "eco", 150, 7, routing=True)
    store = EmbeddedStore(out / "demo.db", model)
    for table in report.tables:
        assert ingest(store, reader("csv")(table, LoadContext(model, "demo"))).rejected == 0
    truth: dict[str, Any] = json.loads((out / "eco" / "truth.json").read_text())
    secret = make_node(model, "Infrastructure", "provider", "Quiet Secret Hosting", prov=_prov("AMBER"))
    lone = make_node(
        model, "Infrastructure", "ip", "203.0.113.77", prov=_prov("GREEN"), props={"country": "SE"}
    )
    store.upsert([secret, lone], [Edge("BELONGS_TO", lone.key, secret.key, _prov("AMBER"))])
    return store, truth


def _files(package: Any, language: str = "en") -> dict[str, bytes]:
    return package_files(package, language)


def _parties(files: dict[str, bytes]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    index = json.loads(files["index.json"])
    return [(entry, json.loads(files[f"{entry['folder']}/package.json"])) for entry in index["parties"]]


class _Items(HTMLParser):
    """The item keys a report lists (``<code class="item">``)."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open = tag == "code" and ("class", "item") in attrs

    def handle_data(self, data: str) -> None:
        if self._open:
            self.keys.append(data)
            self._open = False


def _report_items(html: bytes) -> set[str]:
    parser = _Items()
    parser.feed(html.decode("utf-8"))
    return set(parser.keys)


def _bundle_items(data: bytes) -> set[str]:
    objects = json.loads(data)["objects"]
    return {o["x_crimegraph_key"] for o in objects if "x_crimegraph_key" in o}


def _suspect(store: GraphStore, key: str, targets: set[str]) -> bool:
    around = store.neighbourhood([key], clearance=TLP.RED, depth=1, edge_set="infrastructure").to_networkx()
    attrs = around.nodes[key]
    operated = any(
        d["type"] in ("OPERATES", "CONTROLS") and around.nodes[s]["kind"] == "Actor"
        for s, _, d in around.in_edges(key, data=True)
    )
    return key in targets or attrs["kind"] == "Actor" or attrs.get("bulletproof") is True or operated


def test_the_demo_plan_goes_to_parties_that_can_act(demo: tuple[EmbeddedStore, dict[str, Any]]) -> None:
    store, _ = demo
    plan = takedown_plan(store, TLP.RED, Scope(), budget=6)
    package = takedown_package(store, TLP.AMBER, plan, requester=ASKING)
    files = _files(package)
    targets = {t.key for t in plan.targets}
    requested: dict[str, int] = {}
    for entry, data in _parties(files):
        party = data["party"]
        if party["key"]:
            assert not _suspect(store, party["key"], targets), party  # never a suspect, never a target
        for request in data["requests"]:
            assert request["actions"] and request["reply_by"] >= data["created"][:10]
            requested[request["target"]] = requested.get(request["target"], 0) + 1
        for target in data["targets"]:
            assert target["facts"] and all(f["sources"] for f in target["facts"])
        assert (
            _report_items(files[f"{entry['folder']}/report.html"])
            == _bundle_items(files[f"{entry['folder']}/bundle.stix.json"])
            == {i["key"] for i in data["items"]}
        )
    assert set(requested) == targets  # every target has at least one request


def _hand_plan(store: GraphStore, truth: dict[str, Any]) -> tuple[Plan, dict[str, str]]:
    """A plan of one target of each kind, and the party kind each must reach."""
    red = TLP.RED
    shared = truth["shared_infrastructure"][0]
    graph = store.subgraph(clearance=red, edge_types=["BELONGS_TO", "RESOLVES_TO", "OPERATES"])
    bp_ip = sorted(u for u, v in graph.edges() if v == shared["asns"][0] and u.startswith("ip:"))[0]
    domain = sorted(u for u, v in graph.edges() if u.startswith("domain:"))[0]
    fragile = truth["sole_cash_out_paths"][0]["chain"][-1]
    exchange = truth["exchange_wallets"][0]
    broker = truth["key_brokers"][0]["actor"]
    group = truth["communities"][0]["groups"][0]
    expected = {
        bp_ip: "network_operator",  # its AS is bulletproof: the upstreams
        domain: "registrar",
        exchange: "wallet_service",
        fragile: "law_enforcement",
        broker: "law_enforcement",
        group: "law_enforcement",
        "ip:203.0.113.77": "law_enforcement",  # its provider is AMBER: a GREEN package names no one
    }
    keys = [*expected, "handle:nobody-at-all"]
    data = {
        "targets": [{"key": k, "score": 1.0, "why": f"pick {i}"} for i, k in enumerate(keys)],
        "scope": {},
    }
    return Plan.from_dict(data), expected


def test_hand_made_plan_routes_by_kind(demo: tuple[EmbeddedStore, dict[str, Any]], tmp_path: Path) -> None:
    store, truth = demo
    plan, expected = _hand_plan(store, truth)
    package = takedown_package(store, TLP.GREEN, plan, requester=ASKING)
    write_package(package, tmp_path / "out")
    parties: dict[str, set[str]] = {k: set() for k in expected}
    for item in package.parties:
        for request in item.requests:
            parties[request.target].add(item.party.kind)
            if item.party.kind == "network_operator":
                assert any(n["id"] == "route.upstream" for n in request.notes)
    for key, kind in expected.items():
        assert kind in parties[key], (key, parties[key])
    group = truth["communities"][0]["groups"][0]
    (unit,) = [p.party for p in package.parties if any(r.target == group for r in p.requests)]
    assert unit.own_unit  # a group's origin ("country") is no jurisdiction
    broker = store.get(truth["key_brokers"][0]["actor"], clearance=TLP.RED)
    units = {p.party.country for p in package.parties if any(r.target == broker.key for r in p.requests)}
    assert units == {broker.props["located_in"]}
    exchange = next(p for p in package.parties if p.party.kind == "wallet_service")
    assert exchange.party.email and exchange.party.email.startswith("compliance@")
    tx = exchange.targets[0]["transactions"]
    assert tx["count"] > 0 and tx["list"] and all(r["tx_id"] and r["counterparty"] for r in tx["list"])
    # Need to know: no actor and no other target in a provider's or exchange's package.
    actors = set(store.subgraph(clearance=TLP.RED, kinds=["Actor"], edge_types=[]).nodes)
    names = {store.get(k, clearance=TLP.RED).name.encode() for k in actors}
    for entry in json.loads((tmp_path / "out" / "index.json").read_text())["parties"]:
        folder = tmp_path / "out" / entry["folder"]
        data = json.loads((folder / "package.json").read_text())
        if data["unit"]:
            assert (folder / "cover-note.html").is_file()
            continue
        keys = {i["key"] for i in data["items"]}
        assert not keys & actors
        assert not keys & (set(expected) - set(entry["targets"]))
        blob = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
        assert not [n for n in names if len(n) > 3 and re.search(rb"\b" + re.escape(n) + rb"\b", blob)]
        for report in folder.glob("xarf/*.json"):
            result = xarf.parse(json.loads(report.read_text()))
            assert result.errors == [] and result.report is not None, result.errors
    assert list((tmp_path / "out").glob("network-operator-*/xarf/*.json"))


def test_green_package_holds_nothing_amber_and_verify_catches_a_byte(
    demo: tuple[EmbeddedStore, dict[str, Any]], tmp_path: Path
) -> None:
    store, truth = demo
    plan, _ = _hand_plan(store, truth)
    write_package(takedown_package(store, TLP.GREEN, plan, requester=ASKING), tmp_path / "green")
    every = sorted(p for p in (tmp_path / "green").rglob("*") if p.is_file())
    blob = b"".join(p.read_bytes() for p in every) + "\n".join(str(p) for p in every).encode()
    for secret in (b"Quiet Secret", b"quiet-secret", b"quiet secret", b"TLP:AMBER", b'"AMBER', b"TLP:RED"):
        assert secret not in blob, secret
    for bundle in (tmp_path / "green").rglob("bundle.stix.json"):
        assert stix_errors(json.loads(bundle.read_text()))[0] == []
    assert (
        verify(tmp_path / "green").ok
        and verify(tmp_path / "green").about["data_version"] == store.data_version()
    )
    assert verify(tmp_path / "green").about["requester"] == "alice"
    report = next((tmp_path / "green").rglob("report.html"))
    data = bytearray(report.read_bytes())
    data[len(data) // 2] ^= 0x01
    report.write_bytes(bytes(data))
    result = verify(tmp_path / "green")
    assert not result.ok and result.changed == [report.relative_to(tmp_path / "green").as_posix()]
    # The AMBER requester sees the provider behind the lone IP, and asks it.
    amber = takedown_package(store, TLP.AMBER, plan, requester=ASKING)
    asked = {p.party.name for p in amber.parties if any(r.target == "ip:203.0.113.77" for r in p.requests)}
    assert "Quiet Secret Hosting" in asked


def test_french_package_and_every_language_has_every_message(
    demo: tuple[EmbeddedStore, dict[str, Any]],
) -> None:
    from backend.export.package.render import catalogue, languages

    assert {"en", "fr"} <= set(languages())
    for language in languages():
        assert set(catalogue(language)) == set(catalogue("en")), language
    store, truth = demo
    plan, _ = _hand_plan(store, truth)
    files = _files(takedown_package(store, TLP.GREEN, plan, requester=ASKING), "fr")
    reports = [v.decode() for k, v in files.items() if k.endswith("report.html")]
    assert reports and all('lang="fr"' in r and "Ce que nous demandons" in r for r in reports)
    assert any("Conserver les données" in r for r in reports)


def test_routing_rules_cover_every_party_of_the_action_table() -> None:
    assert set(action_table().parties) <= set(rules()["parties"])


def test_rdap_responses_give_registrar_network_and_contacts(
    fixtures: Path, embedded_store: EmbeddedStore
) -> None:
    for name in (
        "centralnic-nic.xyz.json",
        "arin-network-192.198.0.0.json",
        "arin-autnum-16509-excerpt.json",
    ):
        path = fixtures / "rdap" / name
        assert (
            ingest(embedded_store, reader("rdap")(path, LoadContext(embedded_store.model, "rdap"))).rejected
            == 0
        )
    keys = ["domain:nic.xyz", "cidr:192.198.0.0/22", "asn:16509"]
    plan = Plan.from_dict({"targets": [{"key": k, "score": 1} for k in keys]})
    package = takedown_package(embedded_store, TLP.CLEAR, plan, requester=ASKING)
    asked = {
        (r.target, p.party.kind, p.party.name, p.party.email) for p in package.parties for r in p.requests
    }
    assert ("domain:nic.xyz", "registrar", "CentralNic Ltd", "ops@centralnic.com") in asked
    assert ("domain:nic.xyz", "registry", "registry of .xyz", None) in asked
    assert ("cidr:192.198.0.0/22", "network_operator", "AS53301", None) in asked  # the AS originating it
    # A target is never asked about itself: the AS's holder is, at its abuse contact.
    assert not any(kind == "network_operator" and t == "asn:16509" for t, kind, _, _ in asked)
    assert ("asn:16509", "hosting_provider", "Amazon.com, Inc.", "abuse@amazonaws.com") in asked
    files = _files(package)
    for name, data in files.items():
        if "/xarf/" in name:
            assert xarf.parse(json.loads(data)).errors == []


def test_report_escapes_hostile_strings(embedded_store: GraphStore, tmp_path: Path) -> None:
    model = embedded_store.model
    actor = make_node(
        model, "Actor", "group", HOSTILE, prov=_prov("CLEAR"), props={"country": HOSTILE, "located_in": "FR"}
    )
    embedded_store.upsert([actor])
    plan = Plan.from_dict({"targets": [{"key": actor.key, "why": HOSTILE, "score": 1}], "objective": HOSTILE})
    write_package(takedown_package(embedded_store, TLP.CLEAR, plan, requester=ASKING), tmp_path / "out")
    for page in (tmp_path / "out").rglob("*.html"):
        html = page.read_text()
        assert "<script" not in html and "<img" not in html and "href=" not in html and ' src="' not in html
        assert "&lt;script&gt;alert(" in html
        assert "default-src 'none'" in html


def test_hand_made_graph_never_asks_a_suspect(embedded_store: EmbeddedStore) -> None:
    """A registrar run by the group goes unasked (the registry is asked); a mixer's wallet goes to the unit of
    the mixer's country; a group with a country but no located_in goes to our own unit; a handle to the unit
    where it is believed to be."""
    model = embedded_store.model

    def node(kind: str, type_: str, value: str, **props: Any) -> Any:
        return make_node(model, kind, type_, value, prov=_prov("CLEAR", value), props=props)

    group = node("Actor", "group", "Crew", country="KP")
    handle = node("Actor", "handle", "nightowl", country="KP", located_in="FR")
    registrar = node("Infrastructure", "registrar", "Shady Names", abuse_email="abuse@shady.example")
    registry = node("Infrastructure", "registry", "registry of .example", abuse_email="abuse@nic.example")
    domain = node("Infrastructure", "domain", "crew-leaks.example")
    mixer = node("Identity", "organization", "TumbleMix", service_type="mixer", country="SC")
    wallet = node("Wallet", "btc", "bc1qmixerwallet000000000000000000000000000", service="TumbleMix")
    edges = [
        Edge("OPERATES", group.key, registrar.key, _prov("CLEAR", "op")),
        Edge("REGISTERED_WITH", domain.key, registrar.key, _prov("CLEAR", "r1"), {"relation": "registrar"}),
        Edge("REGISTERED_WITH", domain.key, registry.key, _prov("CLEAR", "r2"), {"relation": "registry"}),
        Edge("MEMBER_OF", handle.key, group.key, _prov("CLEAR", "m")),
    ]
    embedded_store.upsert([group, handle, registrar, registry, domain, mixer, wallet], edges)
    keys = [domain.key, wallet.key, group.key, handle.key]
    plan = Plan.from_dict({"targets": [{"key": k, "score": 1} for k in keys]})
    package = takedown_package(embedded_store, TLP.CLEAR, plan, requester=ASKING)
    asked: dict[str, set[tuple[str, str | None, str | None, bool]]] = {k: set() for k in keys}
    for item in package.parties:
        assert item.party.key not in {registrar.key, group.key, handle.key, *keys}
        for request in item.requests:
            asked[request.target].add(
                (item.party.kind, item.party.name, item.party.country, item.party.own_unit)
            )
    assert ("registry", "registry of .example", None, False) in asked[domain.key]
    assert not any(kind == "registrar" for kind, *_ in asked[domain.key])
    assert asked[wallet.key] == {("law_enforcement", None, "SC", False)}
    assert asked[group.key] == {("law_enforcement", None, None, True)}
    assert asked[handle.key] == {("law_enforcement", None, "FR", False)}
    notes = {n["id"] for item in package.parties for r in item.requests for n in r.notes}
    assert {"route.suspect", "route.suspect_service"} <= notes


def _texts(files: dict[str, bytes]) -> str:
    """Every human-readable file of a package (pages, XARF reports) as one text, entities decoded."""
    import html

    return "\n".join(
        html.unescape(v.decode()) for k, v in files.items() if k.endswith((".html", ".xarf.json", ".txt"))
    )


def test_a_french_package_of_the_demo_plan_has_no_english_sentence(
    demo: tuple[EmbeddedStore, dict[str, Any]],
) -> None:
    """Item 6: the plan's whys (message id + values, else their English text) and the action table's notes
    reach a French package in French only; every message id has a French rendering."""
    from backend.export.package.render import Renderer
    from queries.disruption import words
    from queries.disruption.actions import note_in, note_languages, notes

    assert set(words.message_ids("fr")) == set(words.message_ids("en"))
    for language in note_languages():
        assert all(note_in(n, language) for n in notes()), language
    store, _ = demo
    plan = takedown_plan(store, TLP.RED, Scope(), budget=6)
    files = _files(takedown_package(store, TLP.AMBER, plan, requester=ASKING), "fr")
    text = _texts(files)
    english: set[str] = set()
    checked_whys = 0
    for _, data in _parties(files):
        for request in data["requests"]:
            for action in request["actions"]:
                if action["needs"]:
                    english.add(action["needs"])
                    assert note_in(action["needs"], "fr") in text
        for target in data["targets"]:
            why = target.get("why")
            if not why:
                continue
            checked_whys += 1
            if why["id"] in words.message_ids("en"):
                assert why["id"] in words.message_ids("fr")
                english.add(words.render(why["id"], why["values"], "en"))
            if why.get("text"):
                english.add(why["text"])
    assert checked_whys and english
    leaked = sorted(s for s in english if s in text)
    assert not leaked, leaked
    # a why that arrives as id + values (the planner's words) is rendered by the planner's renderer in French
    values = {
        "name": "203.0.113.9", "label": "Infrastructure/ip", "component": 1492, "parts": [1490, 1],
        "parts_count": 2, "pairs_cut": 2980, "pairs_before": 1_100_000, "pairs_cut_share": 0.0027,
        "layers": ["infrastructure", "money"], "substitutes_id": "substitutes.few", "count": 2,
        "like": "ip", "likes": "ips", "within": 2, "best": 3, "contacts": 18,
    }  # fmt: skip
    french = Renderer({"language": "fr", "requests": [], "party": {}}).why(
        {"id": "why.split", "values": values}
    )
    assert french == words.render("why.split", values, "fr")
    assert "scinde sa partie connexe de 1\u202f492 entités" in french
    assert "couches infrastructure et argent" in french
    assert words.render("why.split", values, "en") not in french and " the " not in french


def test_an_exchange_is_asked_to_freeze_what_a_target_paid_into_it(
    demo: tuple[EmbeddedStore, dict[str, Any]],
) -> None:
    """Item 3: a target wallet that pays into an exchange's deposit address (the action table's
    pays_into_service) makes that exchange a freezing and disclosure request listing its own addresses and
    every payment into them (ids, times, amounts, counterparties as addresses only), and nothing naming a
    person, handle or other target."""
    store, truth = demo
    planned = [t.key for t in takedown_plan(store, TLP.RED, Scope(), budget=6).targets]
    paying = sorted({path["chain"][-1] for path in truth["sole_cash_out_paths"]})  # pay into exchanges
    keys = [*paying, *(k for k in planned if k not in paying)]
    plan = Plan.from_dict(
        {"targets": [{"key": k, "score": 1.0, "why": f"pick {i}"} for i, k in enumerate(keys)], "scope": {}}
    )
    files = _files(takedown_package(store, TLP.AMBER, plan, requester=ASKING))
    targets = set(keys)
    actors = [
        n.name
        for n in store.neighbourhood(sorted(targets), clearance=TLP.AMBER, depth=2, limit=5000).nodes.values()
        if n.kind == "Actor"
    ]
    exchanges = 0
    for entry, data in _parties(files):
        if data["party"]["kind"] != "wallet_service":
            continue
        for request in data["requests"]:
            asked = {a["action"] for a in request["actions"]}
            assert {"freeze", "disclose"} <= asked, request
        for target in data["targets"]:
            tx = target["transactions"]
            assert tx and tx["deposits"], target["key"]
            exchanges += 1
            paid = {r["counterparty"] for r in tx["list"] if r["direction"] == "out"}
            for deposit in tx["deposits"]:
                assert deposit["address"] in paid and deposit["count"] >= 1 and deposit["amounts"]
                rows = [r for r in tx["list"] if r["counterparty"] == deposit["address"]]
                assert len(rows) >= deposit["count"]
                assert all(r["tx_id"] and r["time"] and r["amount"] for r in rows)
            for row in tx["list"]:
                assert store.get(f"{target['key'].split(':')[0]}:{row['counterparty']}", clearance=TLP.AMBER)
        report = files[f"{entry['folder']}/report.html"].decode()
        assert "Your deposit addresses this wallet paid into" in report
        assert all(d["address"] in report for t in data["targets"] for d in t["transactions"]["deposits"])
        shared = report + files[f"{entry['folder']}/bundle.stix.json"].decode()
        assert not [name for name in actors if name in shared]  # no person, handle or group
        assert not (targets - {t["key"] for t in data["targets"]}) & {i["key"] for i in data["items"]}
        assert {i["kind"] for i in data["items"]} <= {"Wallet", "TRANSFERRED"}
    assert exchanges >= len(paying) >= 1  # every wallet paying into an exchange reaches it


def test_the_action_table_routes_a_payment_into_an_exchange_to_the_exchange() -> None:
    from queries.disruption.actions import FACTS

    assert "pays_into_service" in FACTS
    entry = action_table().entry("Wallet", "btc", roles=[], facts=frozenset({"pays_into_service"}))
    asked = {(a.action, a.party) for a in entry.actions}
    assert {("freeze", "wallet_service"), ("disclose", "wallet_service")} <= asked
    assert ("freeze", "law_enforcement") in asked  # the unit can still seize with the keys
    plain = action_table().entry("Wallet", "btc", roles=[], facts=frozenset())
    assert ("freeze", "wallet_service") not in {(a.action, a.party) for a in plain.actions}


def test_the_docs_example_package_is_current_and_within_its_clearance() -> None:
    """docs/examples/takedown-package (made by docs/examples/takedown-package.sh) holds the planner's current
    words and files that match their manifest, all at or below its clearance (GREEN)."""
    example = Path(__file__).parents[3] / "docs" / "examples" / "takedown-package"
    made = json.loads((example / "plan.json").read_text("utf-8"))
    plan = Plan.from_dict(made)
    assert made["clearance"] == "GREEN" and plan.targets
    for target in plan.targets:  # each why is data, and its text is what the words render today
        assert target.why_message is not None, target.key
        assert target.why == words.render(target.why_message["id"], target.why_message["values"]), target.key
        assert "(s)" not in target.why
    listed = {f["path"]: f for f in json.loads((example / "manifest.json").read_text("utf-8"))["files"]}
    index = json.loads((example / "index.json").read_text("utf-8"))
    assert index["clearance"] == "GREEN"
    assert {party["tlp"] for party in index["parties"]} <= {"CLEAR", "GREEN"}
    kept = [p for p in example.rglob("*") if p.is_file() and p.name not in ("plan.json", "manifest.json")]
    assert len(kept) == 7
    for path in kept:
        entry = listed[path.relative_to(example).as_posix()]
        data = path.read_bytes()
        assert entry["sha256"] == sha256(data) and entry["bytes"] == len(data), path
        assert b"(s)" not in data and b"TLP:AMBER" not in data and b"TLP:RED" not in data, path


def test_a_network_operator_is_asked_for_a_network_by_its_routes_and_for_a_host_by_its_address(
    demo: tuple[EmbeddedStore, dict[str, Any]],
) -> None:
    """Brief P3 item 1: the upstream of a bulletproof AS is asked to stop its prefixes or transit for the AS
    target, and to null-route the address for a target running on that AS - each its own words, in every
    language."""
    store, truth = demo
    asn = truth["shared_infrastructure"][0]["asns"][0]
    graph = store.subgraph(clearance=TLP.RED, edge_types=["BELONGS_TO"])
    ip = sorted(u for u, v in graph.edges() if v == asn and u.startswith("ip:"))[0]
    plan = Plan.from_dict(
        {"targets": [{"key": k, "score": 1.0, "why": "pick"} for k in (asn, ip)], "scope": {}}
    )
    package = takedown_package(store, TLP.GREEN, plan, requester=ASKING)
    wording = {
        "en": ("stop accepting or announcing its prefixes", "null-route this address"),
        "fr": ("cesser d'accepter ou d'annoncer ses préfixes", "(null-route) cette adresse"),
    }
    for language, (network, host) in wording.items():
        files = _files(package, language)
        seen: dict[str, set[str]] = {asn: set(), ip: set()}
        for entry, data in _parties(files):
            if data["party"]["kind"] != "network_operator":
                continue
            report = files[f"{entry['folder']}/report.html"].decode()
            for section in report.split("<h3>")[1:]:
                key = next(t["key"] for t in data["targets"] if f"<code>{t['name']}</code>" in section)
                for words_of, target in ((network, asn), (host, ip)):
                    if words_of.replace("'", "&#39;") in section:
                        seen[key].add(target)
        assert seen == {asn: {asn}, ip: {ip}}, (language, seen)
