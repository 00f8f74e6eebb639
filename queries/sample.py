"""A tiny ecosystem in an in-memory store: what the docstring examples of ``queries/`` run on.

Two ransomware groups share an affiliate and a server; one group's ransom moves through an affiliate's
wallet to an exchange, one transfer of it too early to be part of the flow; a RED insider sits between
the affiliate and the other group's admin. Names are made up (``.example`` domains, documentation IPs).
"""

from __future__ import annotations

from graph_model.entities import Edge, Node, make_node
from graph_model.model import Model, default_model
from graph_model.provenance import TLP, Provenance
from graph_model.store.embedded import EmbeddedStore

WALLETS = {
    "group": "bc1qgroupwallet0000000000000000000000000",
    "affiliate": "bc1qaffiliate00000000000000000000000000",
    "exchange": "bc1qexchangehot000000000000000000000000",
    "early": "bc1qearlybird0000000000000000000000000000",
}


def _prov(record: str, when: str | None = None, tlp: TLP = TLP.CLEAR) -> Provenance:
    return Provenance.of("sample", record, first_seen=when, tlp=tlp)


def sample_graph(model: Model) -> tuple[list[Node], list[Edge]]:
    """The nodes and edges of the sample ecosystem."""

    def node(kind: str, type_: str, value: str, tlp: TLP = TLP.CLEAR, **props: object) -> Node:
        return make_node(model, kind, type_, value, prov=_prov(value, tlp=tlp), props=dict(props))

    lockbit, conti = node("Actor", "group", "LockBit"), node("Actor", "group", "Conti")
    bassterlord, wazawaka = node("Actor", "handle", "bassterlord"), node("Actor", "handle", "wazawaka")
    stern = node("Actor", "handle", "stern", roles=["admin"])
    insider = node("Actor", "person", "Insider", TLP.RED)
    leak = node("Infrastructure", "domain", "lockbit-leaks.example")
    blog = node("Infrastructure", "domain", "conti-news.example")
    server = node("Infrastructure", "ip", "203.0.113.10")
    group_w = node("Wallet", "btc", WALLETS["group"])
    affiliate_w = node("Wallet", "btc", WALLETS["affiliate"])
    exchange_w = node(
        "Wallet", "btc", WALLETS["exchange"], service="Example Exchange", service_type="exchange"
    )
    early_w = node("Wallet", "btc", WALLETS["early"])

    def edge(
        type_: str, a: Node, b: Node, when: str | None = None, tlp: TLP = TLP.CLEAR, **props: object
    ) -> Edge:
        return Edge(type_, a.key, b.key, _prov(f"{type_}:{a.name}>{b.name}", when, tlp), dict(props))

    def transfer(a: Node, b: Node, amount: float, when: str) -> Edge:
        return edge("TRANSFERRED", a, b, when, amount=amount, asset="BTC", time=when)

    nodes = [lockbit, conti, bassterlord, wazawaka, stern, insider, leak, blog, server]
    nodes += [group_w, affiliate_w, exchange_w, early_w]
    edges = [
        edge("MEMBER_OF", bassterlord, lockbit, "2021-01-10"),
        edge("MEMBER_OF", wazawaka, lockbit, "2021-02-01"),
        edge("MEMBER_OF", wazawaka, conti, "2021-06-01"),
        edge("MEMBER_OF", stern, conti, "2020-05-01"),
        edge("ASSOCIATES_WITH", bassterlord, insider, "2022-01-01", TLP.RED),
        edge("ASSOCIATES_WITH", insider, stern, "2022-01-02", TLP.RED),
        edge("OPERATES", lockbit, leak, "2021-03-01"),
        edge("OPERATES", conti, blog, "2021-04-01"),
        edge("HOSTED_ON", leak, server, "2021-03-02"),
        edge("HOSTED_ON", blog, server, "2021-04-02"),
        edge("OWNS", lockbit, group_w),
        edge("OWNS", bassterlord, affiliate_w),
        transfer(group_w, affiliate_w, 2.5, "2022-03-01T10:00:00Z"),
        transfer(affiliate_w, exchange_w, 2.4, "2022-03-02T08:00:00Z"),
        transfer(affiliate_w, early_w, 0.3, "2022-02-01T00:00:00Z"),
    ]
    return nodes, edges


def sample_store() -> EmbeddedStore:
    """An in-memory embedded store holding the sample ecosystem.

    Examples
    --------
    >>> store = sample_store()
    >>> store.stats(clearance=TLP.RED).as_dict()["total_nodes"]
    13
    """
    model = default_model()
    store = EmbeddedStore(":memory:", model)
    nodes, edges = sample_graph(model)
    store.upsert(nodes, edges)
    return store
