"""Per-source statements: every property of a merged node is credited to the sources that stated it.

A reader sees a property only from a source within its clearance, credited to exactly the sources that
stated the value it sees - never a combination attributed to a source that did not state it - whatever
the order the sources were loaded in, in both stores.
"""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_model.entities import (
    NAME,
    Edge,
    Node,
    credits,
    link_credits,
    make_node,
    merge_edges,
    merge_nodes,
)
from graph_model.errors import StoreError
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from graph_model.store.neo4j_files import import_files
from graph_model.store.staging import StagingStore
from graph_model.views import edge_view, node_view

WALLET = "1NDyJtNTjmwk5xPNhjgAMu4HDHigtobu1s"
KEY = f"btc:{WALLET}"


def _wallet(model: Model, dataset: str, record: str, tlp: str, **kw: Any) -> Node:
    return make_node(model, "Wallet", "btc", WALLET, prov=Provenance.of(dataset, record, tlp=tlp), **kw)


def _public_and_report(model: Model) -> tuple[Node, Node]:
    """A public dataset names the wallet as an exchange's; an AMBER report says it is a mixer's cash-out."""
    public = _wallet(
        model,
        "public",
        "1",
        "CLEAR",
        props={"service": "Binance", "service_type": "exchange", "families": ["A"]},
    )
    report = _wallet(
        model,
        "report",
        "7",
        "AMBER",
        name="Kestrel cash-out",
        props={"service_type": "mixer", "cluster": "kestrel-7", "families": ["B"]},
    )
    return public, report


def test_a_clear_and_an_amber_source_each_keep_their_own_statements(store: GraphStore, model: Model) -> None:
    """The issue's wallet: a CLEAR reader sees exactly what the public dataset stated, credited to it; an
    AMBER reader sees each value credited to the one source that stated it (the mixer label to the
    report, never to the public dataset), in either load order."""
    for order in ((0, 1), (1, 0)):
        store.clear()
        records = _public_and_report(model)
        for i in order:
            store.upsert([records[i]])
        clear = store.get(KEY, clearance=TLP.CLEAR)
        assert clear.props == {"service": "Binance", "service_type": "exchange", "families": ["A"]}
        assert set(credits(clear).values()) == {frozenset({"public#1"})}
        amber = store.get(KEY, clearance=TLP.AMBER)
        said = credits(amber)
        assert amber.name == "Kestrel cash-out" and said[NAME] == {"report#7"}
        assert amber.props["service_type"] == "mixer" and said["service_type"] == {"report#7"}
        assert amber.props["service"] == "Binance" and said["service"] == {"public#1"}
        assert said["cluster"] == {"report#7"}
        assert amber.props["families"] == ["A", "B"] and said["families"] == {"public#1", "report#7"}


@dataclass(frozen=True)
class Said:
    source: str
    level: TLP
    name: str | None
    props: dict[str, Any]


said = st.builds(
    Said,
    source=st.sampled_from(["a#1", "b#2", "c#3", "d#4"]),
    level=st.sampled_from(list(TLP)),
    name=st.sampled_from([None, "Kestrel", "kestrel", "Binance 7"]),
    props=st.fixed_dictionaries(
        {},
        optional={
            "service": st.sampled_from(["Binance", "Kraken", "mixer"]),
            "cluster": st.sampled_from(["k-1", "k-2"]),
            "families": st.lists(
                st.sampled_from(["Locky", "Cerber", "Ryuk"]), min_size=1, max_size=2, unique=True
            ).map(sorted),
        },
    ),
)


def _node(model: Model, s: Said) -> Node:
    dataset, _, record = s.source.partition("#")
    prov = Provenance.of(dataset, record, tlp=s.level)
    return make_node(model, "Wallet", "btc", WALLET, prov=prov, name=s.name, props=dict(s.props))


def _check_credits(view: Node, told: list[Said]) -> None:
    """Independently of the merge code: each shown value credited to exactly the visible sources that
    stated it (a list to those that stated any of it, and together they stated all of it)."""
    by_source = {s.source for s in told}
    said = credits(view)
    assert set(said) == {NAME, *view.props}
    for name, sources in said.items():
        assert sources and sources <= by_source, name
        if name == NAME:
            stated = {s.source for s in told if (s.name or WALLET) == view.name}
            assert sources == stated
        elif name == "aliases":
            continue  # names that lost to another: credited to the sources that gave those names
        elif isinstance(view.props[name], list):
            gave = [s for s in told if name in s.props]
            assert sources == {s.source for s in gave}
            assert set(view.props[name]) == {v for s in gave for v in s.props[name]}
        else:
            assert sources == {s.source for s in told if s.props.get(name) == view.props[name]}, name


def test_credits_in_any_order_are_what_each_visible_source_stated(model: Model) -> None:
    @settings(max_examples=200, deadline=None)
    @given(st.lists(said, min_size=1, max_size=5), st.randoms(use_true_random=False))
    def check(statements: list[Said], rnd: Any) -> None:
        # One source states one thing at one marking (a record is one statement).
        statements = list({s.source: s for s in statements}.values())
        nodes = [_node(model, s) for s in statements]
        merged = nodes[0]
        for node in nodes[1:]:
            merged = merge_nodes(merged, node)
        shuffled = list(nodes)
        rnd.shuffle(shuffled)
        again = shuffled[0]
        for node in shuffled[1:]:
            again = merge_nodes(again, node)
        for clearance in TLP:
            view, other = node_view(merged, clearance), node_view(again, clearance)
            assert view == other
            told = [s for s in statements if s.level <= clearance]
            if view is None:
                assert not told
                continue
            _check_credits(view, told)

    check()


def test_stores_keep_the_credits_of_every_level(store: GraphStore, model: Model) -> None:
    """Loaded one record per batch, the stored node credits what the in-memory merge does, per clearance."""
    statements = [
        Said("public#1", TLP.CLEAR, None, {"service": "Binance", "families": ["Locky"]}),
        Said("feed#2", TLP.CLEAR, "Binance 7", {"service": "Kraken"}),
        Said("feed#3", TLP.GREEN, None, {"cluster": "k-1"}),
        Said("report#7", TLP.AMBER, "Kestrel", {"service": "mixer", "families": ["Cerber"]}),
    ]
    nodes = [_node(model, s) for s in statements]
    for permutation in itertools.islice(itertools.permutations(range(len(nodes))), 0, None, 7):
        store.clear()
        for i in permutation:
            store.upsert([_node(model, statements[i])])
        merged = nodes[0]
        for node in nodes[1:]:
            merged = merge_nodes(merged, node)
        for clearance in TLP:
            got = store.get(KEY, clearance=clearance)
            view = node_view(merged, clearance)
            assert view is not None
            assert (got.props, got.name, credits(got)) == (view.props, view.name, credits(view))
            _check_credits(got, [s for s in statements if s.level <= clearance])


def test_an_embedded_file_of_the_previous_layout_is_refused(model: Model, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    EmbeddedStore(path, model).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 4")
    with pytest.raises(StoreError, match=r"file layout 4, this one reads 5\); load the data again"):
        EmbeddedStore(path, model)


@pytest.mark.neo4j
def test_a_neo4j_database_of_the_previous_layout_is_refused(neo4j_store: Any, model: Model) -> None:
    public, _ = _public_and_report(model)
    neo4j_store.upsert([public])
    neo4j_store.driver.execute_query(
        "MATCH (w:CrimegraphWrites) REMOVE w.layout", database_=neo4j_store.database
    )
    try:
        with pytest.raises(StoreError, match=r"written by an earlier crimegraph .* load the sources again"):
            neo4j_store.ensure_schema()
    finally:
        neo4j_store.clear(state=True)
    neo4j_store.ensure_schema()  # emptied, the database is taken as it is


ATTACK = "22222222-0000-4000-8000-000000000002"  # the greater key
MISP = "11111111-0000-4000-8000-000000000001"


def _same_group(model: Model) -> tuple[list[Node], list[Edge]]:
    """ATT&CK's APT28 and a MISP cluster of it (other UUIDs), one entity through ``attack:G0007``; each
    record brings a link of its own, named by its own key."""
    attack = make_node(
        model,
        "Actor",
        "group",
        prov=Provenance.of("attack", "g"),
        uuid=ATTACK,
        name="APT28",
        ids=["attack:G0007"],
        props={"country": "RU"},
    )
    misp = make_node(
        model,
        "Actor",
        "group",
        prov=Provenance.of("misp", "c", tlp="AMBER"),
        uuid=MISP,
        name="Sofacy",
        ids=["attack:G0007"],
        props={"aliases": ["Fancy Bear"]},
    )
    tool = make_node(model, "Malware", "malware", "X-Agent", prov=Provenance.of("misp", "m"))
    domain = make_node(model, "Infrastructure", "domain", "apt28.example", prov=Provenance.of("attack", "d"))
    edges = [
        Edge("USES", misp.key, tool.key, Provenance.of("misp", "u", tlp="AMBER")),
        Edge("OPERATES", attack.key, domain.key, Provenance.of("attack", "o")),
    ]
    return [attack, misp, tool, domain], edges


def test_a_merged_nodes_key_does_not_depend_on_load_order(store: GraphStore, model: Model) -> None:
    """Whichever record comes first, and in one batch or two, the entity is keyed by the greatest of its
    records' keys, answers to the other key as an identifier, and keeps both records' links."""
    seen = set()
    for order, together in itertools.product(((0, 1), (1, 0)), (False, True)):
        store.clear()
        nodes, edges = _same_group(model)
        first, second = ([nodes[i]] for i in order)
        if together:
            store.upsert([*first, *second, *nodes[2:]], edges)
        else:
            store.upsert([*first, *nodes[2:]], [edges[order[0]]])
            store.upsert(second, [edges[order[1]]])
        node = store.get("attack:G0007", clearance=TLP.RED)
        assert node.key == f"uuid:{ATTACK}", (order, together)
        assert store.get(f"uuid:{MISP}", clearance=TLP.RED).key == node.key
        around = store.neighbourhood([node.key], clearance=TLP.RED)
        links = sorted(e.key for e in around.edges.values())
        assert len(links) == 2, (order, together, links)
        seen.add((node.key, node.ids, node.name, tuple(links), repr(sorted(credits(node).items()))))
        # Below the MISP cluster's marking, the entity is ATT&CK's alone, under the same key.
        clear = store.get(node.key, clearance=TLP.CLEAR)
        assert clear.name == "APT28" and f"uuid:{MISP}" not in clear.ids
    assert len(seen) == 1, seen


def test_a_bulk_loads_staging_keys_the_merged_node_as_the_stores_do(model: Model) -> None:
    """The in-memory staging of ``bulk-load`` (what the neo4j-admin files are written from) merges as the
    stores do: the greatest key, the other an identifier, the links moved to it."""
    nodes, edges = _same_group(model)
    staging = StagingStore(model)
    staging.upsert([nodes[1], *nodes[2:]], [edges[0]])  # the MISP cluster first: keyed anew after
    staging.upsert([nodes[0]], [edges[1]])
    stored = staging.stored
    key = f"uuid:{ATTACK}"
    assert f"uuid:{MISP}" not in stored.nodes and stored.nodes[key].key == key
    assert stored.ids[f"uuid:{MISP}"] == key and stored.ids["attack:G0007"] == key
    assert sorted((e.source, e.type) for e in stored.edges.values()) == [(key, "OPERATES"), (key, "USES")]
    assert all(k == e.key for k, e in stored.edges.items())


# -- links: every property of a link is credited to the sources that stated it, as for nodes --------------
VICTIM = "12t9YDPgwueZ9NyMgw519p7AA8isjr6SMw"
TRANSFER = f"TRANSFERRED|btc:{VICTIM}|{KEY}|tx1"

said_of_link = st.builds(
    Said,
    source=st.sampled_from(["a#1", "b#2", "c#3", "d#4"]),
    level=st.sampled_from(list(TLP)),
    name=st.none(),
    props=st.fixed_dictionaries(
        {},
        optional={
            "amount": st.sampled_from([0.5, 0.25]),
            "asset": st.sampled_from(["BTC", "XBT"]),
            "amount_usd": st.sampled_from([31337.0, 100.0]),
        },
    ),
)


def _link(s: Said) -> Edge:
    dataset, _, record = s.source.partition("#")
    prov = Provenance.of(dataset, record, tlp=s.level)
    return Edge("TRANSFERRED", f"btc:{VICTIM}", KEY, prov, dict(s.props), "tx1")


def _check_link_credits(view: Edge, told: list[Said]) -> None:
    """Independently of the merge code: each shown value credited to exactly the visible sources that
    stated it."""
    said = link_credits(view)
    assert set(said) == set(view.props)
    for name, sources in said.items():
        assert sources == {s.source for s in told if s.props.get(name) == view.props[name]}, name


def test_link_credits_in_any_order_are_what_each_visible_source_stated() -> None:
    @settings(max_examples=200, deadline=None)
    @given(st.lists(said_of_link, min_size=1, max_size=5), st.randoms(use_true_random=False))
    def check(statements: list[Said], rnd: Any) -> None:
        statements = list({s.source: s for s in statements}.values())
        links = [_link(s) for s in statements]
        merged = links[0]
        for link in links[1:]:
            merged = merge_edges(merged, link)
        shuffled = list(links)
        rnd.shuffle(shuffled)
        again = shuffled[0]
        for link in shuffled[1:]:
            again = merge_edges(again, link)
        for clearance in TLP:
            view, other = edge_view(merged, clearance), edge_view(again, clearance)
            assert view == other
            told = [s for s in statements if s.level <= clearance]
            if view is None:
                assert not told
                continue
            _check_link_credits(view, told)

    check()


LINK_STATEMENTS = [
    Said("public#tx1", TLP.CLEAR, None, {"amount": 0.5}),
    Said("explorer#tx1", TLP.CLEAR, None, {"asset": "BTC", "amount": 0.5}),
    Said("feed#9", TLP.GREEN, None, {"asset": "XBT"}),
    Said("report#7", TLP.AMBER, None, {"amount_usd": 31337.0, "amount": 0.25}),
]


def _merged_link() -> Edge:
    links = [_link(s) for s in LINK_STATEMENTS]
    merged = links[0]
    for link in links[1:]:
        merged = merge_edges(merged, link)
    return merged


def _wallets(model: Model) -> list[Node]:
    prov = Provenance.of("public", "w")
    return [make_node(model, "Wallet", "btc", a, prov=prov) for a in (VICTIM, WALLET)]


def test_stores_keep_the_credits_of_every_level_of_a_link(store: GraphStore, model: Model) -> None:
    """Loaded one statement per batch in any order, the stored link credits what the in-memory merge does,
    per clearance: a CLEAR reader never sees the report's dollar value, nor its amount credited to anyone."""
    merged = _merged_link()
    for permutation in itertools.islice(itertools.permutations(range(len(LINK_STATEMENTS))), 0, None, 5):
        store.clear()
        for i in permutation:
            store.upsert(_wallets(model), [_link(LINK_STATEMENTS[i])])
        for clearance in TLP:
            (got,) = store.neighbourhood([KEY], clearance=clearance).edges.values()
            view = edge_view(merged, clearance)
            assert view is not None
            assert (got.props, link_credits(got)) == (view.props, link_credits(view))
            _check_link_credits(got, [s for s in LINK_STATEMENTS if s.level <= clearance])
        clear = store.neighbourhood([KEY], clearance=TLP.CLEAR).edges[TRANSFER]
        assert clear.props == {"amount": 0.5, "asset": "BTC"}
        assert link_credits(clear) == {
            "amount": {"public#tx1", "explorer#tx1"},
            "asset": {"explorer#tx1"},
        }


def test_a_bulk_loads_staging_credits_a_link_as_the_stores_do(model: Model, tmp_path: Path) -> None:
    """The in-memory staging of ``bulk-load`` (what the neo4j-admin files are written from) keeps the same
    credits as a store, and writes them in the same column."""
    staging = StagingStore(model)
    store = EmbeddedStore(tmp_path / "online.db", model)
    for s in reversed(LINK_STATEMENTS):
        staging.upsert(_wallets(model), [_link(s)])
        store.upsert(_wallets(model), [_link(s)])
    staged = staging.stored.edges[TRANSFER]
    assert staged == store.stored().edges[TRANSFER]
    assert staged.stated is not None and staged.levels is not None
    files = import_files(model, staging.stored)
    (transfers,) = [f for f in files if f.group == "relationships" and "TRANSFERRED" in f.name]
    header, row = list(transfers.lines)
    assert "stated" in header.split(",")
    assert '""report#7""' in row and '""explorer#tx1""' in row  # per level, inside ``levels``
    store.close()
