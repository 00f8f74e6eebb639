"""A small criminal network for the view tests: a crew, a bulletproof hoster with 60 domains, a money trail,
a RED informant, and a handle whose name is an HTML injection."""

from __future__ import annotations

from dataclasses import dataclass

from graph_model.entities import Edge, Node, make_node
from graph_model.model import Model
from graph_model.provenance import Provenance
from graph_model.store import GraphStore

INJECTION = '<img src=x onerror="window.__pwned=1;alert(1)">'
SCRIPT = "<script>window.__pwned=2</script>"
DOMAINS = 60


@dataclass(frozen=True)
class Keys:
    boss: str
    evil: str
    mule: str
    dev: str
    informant: str
    provider: str
    c2: str
    w_evil: str
    w_mid: str
    w_cash: str
    w_other: str


def _prov(record: str, tlp: str = "CLEAR") -> Provenance:
    return Provenance.of("views-test", record, first_seen="2024-01-05", confidence=70, tlp=tlp)


def seed(store: GraphStore) -> Keys:
    m: Model = store.model

    def actor(kind: str, value: str, tlp: str = "CLEAR", **props: object) -> Node:
        return make_node(m, "Actor", kind, value, prov=_prov(value, tlp), props=dict(props))

    boss = actor("group", "Crew")
    evil = actor("handle", INJECTION, description=SCRIPT, roles=[INJECTION])
    mule = actor("handle", "mule", roles=["money mule"])
    dev = actor("handle", "dev", roles=["developer"])
    informant = actor("handle", "informant", tlp="RED")
    provider = make_node(
        m, "Infrastructure", "provider", "BulletHost", prov=_prov("bullethost"), props={"bulletproof": True}
    )
    c2 = make_node(m, "Infrastructure", "domain", "c2.example", prov=_prov("c2"))
    domains = [
        make_node(m, "Infrastructure", "domain", f"site{i:02d}.example", prov=_prov(f"d{i}"))
        for i in range(DOMAINS)
    ]

    def wallet(address: str, **props: object) -> Node:
        return make_node(m, "Wallet", "btc", address, prov=_prov(address), props=dict(props))

    w_evil = wallet("1EvilEvilEvilEvilEvilEvilEvil1111")
    w_mid = wallet("1MidMidMidMidMidMidMidMidMid11111")
    w_cash = wallet("1CashCashCashCashCashCashCash1111", service="exchange", service_type="exchange")
    w_other = wallet("1OtherOtherOtherOtherOtherOther11")

    def edge(kind: str, a: Node, b: Node, tlp: str = "CLEAR", **props: object) -> Edge:
        return Edge(kind, a.key, b.key, _prov(f"{kind}:{a.name}>{b.name}", tlp), props=dict(props))

    edges = [
        edge("MEMBER_OF", evil, boss),
        edge("MEMBER_OF", mule, boss),
        edge("MEMBER_OF", dev, boss),
        edge("MEMBER_OF", informant, boss, tlp="RED"),
        edge("OPERATES", evil, provider),
        edge("OPERATES", dev, c2),
        edge("HOSTED_ON", c2, provider),
        *(edge("HOSTED_ON", d, provider) for d in domains),
        edge("OWNS", evil, w_evil),
        edge("OWNS", mule, w_mid),
        edge("TRANSFERRED", w_evil, w_mid, amount=2.5, asset="BTC"),
        edge("TRANSFERRED", w_mid, w_cash, amount=1.0, asset="BTC"),
        edge("TRANSFERRED", w_mid, w_other, amount=0.2, asset="BTC"),
    ]
    nodes = [boss, evil, mule, dev, informant, provider, c2, *domains, w_evil, w_mid, w_cash, w_other]
    store.upsert(nodes, edges)
    return Keys(
        boss.key,
        evil.key,
        mule.key,
        dev.key,
        informant.key,
        provider.key,
        c2.key,
        w_evil.key,
        w_mid.key,
        w_cash.key,
        w_other.key,
    )


def plan_json(keys: Keys) -> dict[str, object]:
    """A takedown plan in the planner's JSON format: take out the injection handle and the mule."""
    return {
        "targets": [
            {"key": keys.evil, "name": INJECTION, "kind": "Actor", "score": 0.8, "cost": 1.0, "why": SCRIPT},
            {"key": keys.mule, "name": "mule", "kind": "Actor", "score": 0.5, "cost": 2.0, "why": "cash-out"},
        ],
        "before": {"giant_component": 9, "components": 1},
        "after": {"giant_component": 3, "components": 4},
        "objective": "fragmentation",
        "scope": {"keys": [keys.boss], "depth": 2},
        "recovery": {"giant_component": 6, "components": 2},
    }
