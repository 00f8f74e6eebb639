"""Search as analysts paste: every identifier form, exact and by prefix, ranked, on both stores."""

from __future__ import annotations

import pytest

from graph_model.entities import Edge, Node, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from queries.search import Match, ranked, resolve

APT28_STIX = "intrusion-set--bef4c620-0787-42a8-a96d-b7eb6e85917c"
COBALT_STIX = "tool--aafea02e-ece5-4bb2-91a6-3bf8c7f38a39"
BTC = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
ETH = "0x52908400098527886E0F7030069857D2E4169EE7"


def _prov(record: str, tlp: TLP = TLP.CLEAR) -> Provenance:
    return Provenance.of("search-test", record, tlp=tlp)


def _graph(model: Model) -> tuple[list[Node], list[Edge]]:
    def node(kind: str, type_: str, value: str | None = None, **extra: object) -> Node:
        return make_node(model, kind, type_, value, prov=_prov(value or str(extra.get("name"))), **extra)  # type: ignore[arg-type]

    apt28 = node(
        "Actor",
        "group",
        uuid=APT28_STIX,
        name="APT28",
        ids=["attack:G0007"],
        props={"aliases": ["Fancy Bear", "Sofacy", "APT28 Fancy"]},
    )
    apt28_fan = node("Actor", "handle", "apt28fan", props={"aliases": ["APT28 admirer"]})
    cobalt = node("Malware", "tool", uuid=COBALT_STIX, name="Cobalt Strike", ids=["attack:S0154"])
    technique = node("Technique", "attack-pattern", "PowerShell", ids=["attack:T1059.001"])
    cve = node("Vulnerability", "cve", "CVE-2021-44228", props={"aliases": ["Log4Shell"]})
    domain = node("Infrastructure", "domain", "evil-updates.example")
    ip = node("Infrastructure", "ip", "203.0.113.77")
    email = node("Infrastructure", "email", "Ops.Team@Evil-Updates.example")
    btc = node("Wallet", "btc", BTC)
    eth = node("Wallet", "eth", ETH)
    hidden = make_node(model, "Actor", "handle", "bc1qxy2kgdyg-lookalike", prov=_prov("hidden", TLP.RED))
    return [apt28, apt28_fan, cobalt, technique, cve, domain, ip, email, btc, eth, hidden], []


@pytest.fixture()
def pasted(store: GraphStore, model: Model) -> GraphStore:
    store.upsert(*_graph(model))
    return store


def _first(store: GraphStore, text: str) -> tuple[str, Match]:
    hits = ranked(store, TLP.GREEN, text)
    assert hits, text
    return hits[0].node.name, hits[0].match


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("G0007", "APT28"),  # ATT&CK external ids, any case
        ("g0007", "APT28"),
        ("attack:G0007", "APT28"),
        ("S0154", "Cobalt Strike"),
        ("T1059.001", "PowerShell"),
        ("CVE-2021-44228", "CVE-2021-44228"),
        ("cve-2021-44228", "CVE-2021-44228"),
        (APT28_STIX, "APT28"),  # STIX ids and their UUIDs
        (APT28_STIX.split("--")[1], "APT28"),
        (f"uuid:{APT28_STIX.split('--')[1]}", "APT28"),
        ("Evil-Updates.EXAMPLE.", "evil-updates.example"),  # domains, IPs, e-mails as canonical keys
        ("::ffff:203.0.113.77", "203.0.113.77"),
        ("ops.team@evil-updates.example", "Ops.Team@Evil-Updates.example"),
        (BTC, BTC),  # wallet addresses exactly (ETH in any case)
        (ETH.lower(), ETH),
        (ETH, ETH),
    ],
)
def test_every_identifier_form_finds_its_entity_first(pasted: GraphStore, text: str, name: str) -> None:
    assert _first(pasted, text) == (name, Match.ID)


def test_names_and_aliases_exactly_then_prefixes_then_words(pasted: GraphStore) -> None:
    assert _first(pasted, "fancy  BEAR") == ("APT28", Match.NAME)
    assert _first(pasted, "Log4Shell") == ("CVE-2021-44228", Match.NAME)
    apt = [(h.node.name, h.match) for h in ranked(pasted, TLP.GREEN, "APT28")]
    assert apt[0] == ("APT28", Match.NAME) and ("apt28fan", Match.WORDS) in apt
    # A wallet address by its first 8 characters or more; fewer is only a word prefix.
    assert _first(pasted, BTC[:8]) == (BTC, Match.PREFIX)
    assert _first(pasted, BTC[:7]) == (BTC, Match.WORDS)
    assert _first(pasted, ETH[:12]) == (ETH, Match.PREFIX)
    assert [h.match for h in ranked(pasted, TLP.GREEN, "cobalt")] == [Match.WORDS]


def test_nothing_above_clearance_is_found_or_ranked(pasted: GraphStore) -> None:
    green = [h.node.key for h in ranked(pasted, TLP.GREEN, BTC[:10])]
    red = [h.node.key for h in ranked(pasted, TLP.RED, BTC[:10])]
    assert len(red) == len(green) + 1 and [k for k in red if k in green] == green


def test_resolve_names_a_reference_or_says_it_is_ambiguous(pasted: GraphStore) -> None:
    assert [n.name for n in resolve(pasted, TLP.GREEN, "APT28")] == ["APT28"]
    assert [n.name for n in resolve(pasted, TLP.GREEN, "G0007")] == ["APT28"]
    assert [n.name for n in resolve(pasted, TLP.GREEN, "Sofacy", kinds=["Actor"])] == ["APT28"]
    assert resolve(pasted, TLP.GREEN, "Sofacy", kinds=["Wallet"]) == []
    assert resolve(pasted, TLP.GREEN, "APT") == []
