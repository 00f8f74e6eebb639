"""Merge rules are a semilattice: idempotent, commutative and associative (so load order never matters)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from graph_model.entities import Node, merge_nodes
from graph_model.provenance import TLP, Provenance, merge_provenance
from graph_model.views import node_view

times = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    ),
)
provenances = st.builds(
    Provenance,
    sources=st.frozensets(st.sampled_from(["attack#G0007", "misp#1", "threatfox#42", "feodo#7"]), min_size=1),
    first_seen=times,
    last_seen=times,
    confidence=st.integers(0, 100),
    tlp=st.sampled_from(list(TLP)),
)
names = st.sampled_from(["APT28", "apt28", "Fancy Bear", "Sofacy", "uuid:x"])  # the key: no name given
props = st.fixed_dictionaries(
    {},
    optional={
        "aliases": st.lists(names, max_size=3),
        "country": st.sampled_from(["RU", "CN", "KP"]),
        "attack_id": st.sampled_from(["G0007", "G0016"]),
        "revoked": st.booleans(),
    },
)
nodes = st.builds(
    lambda name, prov, p, ids: Node(
        "uuid:x", "Actor", "group", name, prov, dict(p), tuple(sorted({"uuid:x", *ids}))
    ),
    names,
    provenances,
    props,
    st.lists(st.sampled_from(["attack:G0007", "group:apt28"]), max_size=2),
)


@given(provenances)
def test_provenance_merge_is_idempotent(a: Provenance) -> None:
    assert merge_provenance(a, a) == a


@given(provenances, provenances, provenances)
def test_provenance_merge_is_order_independent(a: Provenance, b: Provenance, c: Provenance) -> None:
    assert merge_provenance(a, b) == merge_provenance(b, a)
    assert merge_provenance(merge_provenance(a, b), c) == merge_provenance(a, merge_provenance(b, c))


@given(provenances, provenances)
def test_merged_provenance_is_marked_with_its_most_restrictive_source(a: Provenance, b: Provenance) -> None:
    """What a caller sees merged from sources at several levels is marked with the highest of them."""
    merged = merge_provenance(a, b)
    assert merged.tlp == max(a.tlp, b.tlp)
    assert merged.sources == a.sources | b.sources
    assert merged.confidence == max(a.confidence, b.confidence)


@given(nodes)
def test_node_merge_is_idempotent(a: Node) -> None:
    once = merge_nodes(a, a)
    assert merge_nodes(once, once) == once
    assert merge_nodes(once, a) == once


@settings(max_examples=1000, deadline=None)
@given(nodes, nodes, nodes)
def test_node_merge_is_order_independent(a: Node, b: Node, c: Node) -> None:
    assert merge_nodes(a, b) == merge_nodes(b, a)
    assert merge_nodes(merge_nodes(a, b), c) == merge_nodes(a, merge_nodes(b, c))
    assert merge_nodes(merge_nodes(a, b), c) == merge_nodes(merge_nodes(c, a), b)


def test_a_key_or_identifier_given_as_an_alias_is_no_alias_in_any_order() -> None:
    """Found by the property above: an alias that is the key stood in for a name in one merge order
    and stayed an alias in another."""
    prov = Provenance.of("attack", "G0007")
    unnamed = Node("uuid:x", "Actor", "group", "uuid:x", prov, {}, ("uuid:x",))
    named = Node("uuid:x", "Actor", "group", "APT28", prov, {}, ("uuid:x",))
    echoed = Node(
        "uuid:x", "Actor", "group", "uuid:x", prov, {"aliases": ["uuid:x", "attack:G0007"]}, ("uuid:x",)
    )
    merged = merge_nodes(merge_nodes(unnamed, named), echoed)
    assert merged == merge_nodes(merge_nodes(echoed, unnamed), named)
    assert merged.name == "APT28" and merged.props.get("aliases") == ["attack:G0007"]
    with_id = merge_nodes(merged, replace(named, ids=("attack:G0007", "uuid:x")))
    assert "aliases" not in with_id.props


def test_an_alias_that_is_the_name_credits_no_one_with_the_aliases_in_any_order() -> None:
    """Found by the property above: MISP also gave the name as an alias; whether that alias was dropped
    before or after APT28 lost the name to Fancy Bear, MISP is not credited with the alias APT28, which
    only ATT&CK gave."""
    attack = Provenance.of("attack", "G0007")
    both = merge_provenance(attack, Provenance.of("misp", "1"))
    apt28 = Node("uuid:x", "Actor", "group", "APT28", attack, {}, ("uuid:x",))
    fancy = Node("uuid:x", "Actor", "group", "Fancy Bear", attack, {}, ("uuid:x",))
    echoed = Node("uuid:x", "Actor", "group", "Fancy Bear", both, {"aliases": ["Fancy Bear"]}, ("uuid:x",))
    first = merge_nodes(merge_nodes(apt28, fancy), echoed)
    assert first == merge_nodes(apt28, merge_nodes(fancy, echoed))
    assert first.name == "Fancy Bear" and first.props["aliases"] == ["APT28"]
    assert first.stated == {"aliases": frozenset({"attack#G0007"})}


@given(st.lists(nodes, min_size=1, max_size=5), st.sampled_from(list(TLP)))
def test_a_view_is_the_merge_of_the_visible_records(records: list[Node], clearance: TLP) -> None:
    """Whatever the order of merging, a caller sees the merge of the records within clearance only."""
    merged = records[0]
    for node in records[1:]:
        merged = merge_nodes(merged, node)
    visible = [n for n in records if n.prov.tlp <= clearance]
    view = node_view(merged, clearance)
    if not visible:
        assert view is None
        return
    expected = visible[0]
    for node in visible[1:]:
        expected = merge_nodes(expected, node)
    assert view == node_view(expected, TLP.RED)
    assert view is not None and view.prov.sources == frozenset().union(*(n.prov.sources for n in visible))
