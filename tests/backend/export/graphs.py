"""Small graphs the export tests share: a hand-made ecosystem with every marking, on any store."""

from __future__ import annotations

from graph_model.entities import Edge, Node, make_node
from graph_model.model import Model
from graph_model.provenance import Provenance
from graph_model.store import GraphStore

HOSTILE = "<script>alert(\"x\")</script> & 'quoted' <img src=x onerror=alert(1)>"


def prov(
    record: str, tlp: str = "CLEAR", confidence: int = 70, seen: str | None = "2024-01-02"
) -> Provenance:
    return Provenance.of(
        "cases",
        record,
        first_seen=seen,
        last_seen="2024-03-04" if seen else None,
        confidence=confidence,
        tlp=tlp,
    )


def small_ecosystem(model: Model) -> tuple[list[Node], list[Edge]]:
    """A group, its affiliate, malware, a domain on an IP in an AS at a provider, wallets, a forum.

    The AMBER node (a handle), the RED wallet and the AMBER edge must never reach a GREEN requester.
    """
    n = {
        "group": make_node(
            model,
            "Actor",
            "group",
            "LockBit",
            prov=prov("a1", confidence=90),
            props={"aliases": ["ABCD"], "country": "RU", "description": HOSTILE},
        ),
        "handle": make_node(model, "Actor", "handle", "bassterlord", prov=prov("a2", "AMBER")),
        "malware": make_node(
            model,
            "Malware",
            "malware",
            "LockBit 3.0",
            prov=prov("m1", "GREEN"),
            props={"categories": ["ransomware"]},
        ),
        "domain": make_node(model, "Infrastructure", "domain", "lockbitapt.example", prov=prov("i1")),
        "ip": make_node(
            model,
            "Infrastructure",
            "ip",
            "45.134.26.10",
            prov=prov("i2", "GREEN"),
            props={"country": "NL", "port": [443, 8080]},
        ),
        "asn": make_node(
            model,
            "Infrastructure",
            "asn",
            "AS44477",
            prov=prov("i3"),
            props={"as_name": "STARK-INDUSTRIES", "bulletproof": True},
        ),
        "provider": make_node(
            model,
            "Infrastructure",
            "provider",
            "Stark Industries Solutions",
            prov=prov("i4"),
            props={"bulletproof": True, "country": "GB"},
        ),
        "wallet": make_node(
            model, "Wallet", "btc", "bc1qlockbit9w8xk2m4z7q0r5t6y3u1p8n7c6v5b4", prov=prov("w1", "GREEN")
        ),
        "exchange": make_node(
            model,
            "Wallet",
            "btc",
            "bc1qexch5x9w8xk2m4z7q0r5t6y3u1p8n7c6v5b4a",
            prov=prov("w2"),
            props={"service": "Garantex", "service_type": "exchange"},
        ),
        "secret": make_node(
            model, "Wallet", "btc", "bc1qsecretsecretsecretsecretsecretsecret0", prov=prov("w3", "RED")
        ),
        "forum": make_node(model, "Forum", "forum", "XSS", prov=prov("f1"), props={"escrow": True}),
    }
    k = {name: node.key for name, node in n.items()}
    edges = [
        Edge("MEMBER_OF", k["handle"], k["group"], prov("e1", "AMBER")),
        Edge("USES", k["group"], k["malware"], prov("e2", "GREEN")),
        Edge("COMMUNICATES_WITH", k["malware"], k["domain"], prov("e3")),
        Edge("RESOLVES_TO", k["domain"], k["ip"], prov("e4")),
        Edge("BELONGS_TO", k["ip"], k["asn"], prov("e5")),
        Edge("BELONGS_TO", k["asn"], k["provider"], prov("e6")),
        Edge("HOSTED_ON", k["domain"], k["provider"], prov("e7", "GREEN")),
        Edge("OPERATES", k["group"], k["domain"], prov("e8")),
        Edge("OWNS", k["group"], k["wallet"], prov("e9", "GREEN")),
        Edge(
            "TRANSFERRED",
            k["wallet"],
            k["exchange"],
            prov("e10", "GREEN"),
            {"amount": 1.5, "asset": "BTC", "tx_id": "a1f0"},
            "a1f0:0",
        ),
        Edge(
            "TRANSFERRED", k["wallet"], k["secret"], prov("e11", "RED"), {"amount": 2.0, "asset": "BTC"}, "b2"
        ),
        Edge("ADMINISTERS", k["group"], k["forum"], prov("e12"), {"role": "admin"}),
        Edge("HOSTED_ON", k["forum"], k["ip"], prov("e13")),
    ]
    return list(n.values()), edges


def seed(store: GraphStore) -> tuple[list[Node], list[Edge]]:
    nodes, edges = small_ecosystem(store.model)
    store.upsert(nodes, edges)
    return nodes, edges
