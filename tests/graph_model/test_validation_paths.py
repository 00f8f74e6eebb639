"""The fast paths of validation and provenance give exactly what the straightforward code gave.

The references below are the earlier implementations. Validation must agree with them on every node
and edge, valid or not: the same error text, and the same normalised properties.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_model.entities import Edge, Node, _check_value, validate_edge, validate_node
from graph_model.errors import ValidationError
from graph_model.model import Model, default_model
from graph_model.provenance import TLP, Provenance, to_iso

MODEL = default_model()


def _reference_props(props: dict[str, Any], schema: Any, what: str, record: str) -> None:
    for pname, value in list(props.items()):
        spec = schema.get(pname)
        if spec is None:
            raise ValidationError(f"{what} has no property {pname!r}", record)
        if isinstance(value, str) and spec.type in ("string", "text"):
            continue
        try:
            props[pname] = _check_value(spec, value)
        except ValueError as exc:
            raise ValidationError(f"{what}.{pname}: {exc}", record) from None


def _reference_prov(prov: Provenance, record: str) -> None:
    if not isinstance(prov, Provenance) or not prov.sources:
        raise ValidationError("provenance with at least one source is required", record)
    if not 0 <= prov.confidence <= 100:
        raise ValidationError(f"confidence {prov.confidence} is outside 0-100", record)


def _reference_node(model: Model, node: Node) -> None:
    record = node.key or "<node without key>"
    if node.kind not in model.nodes:
        raise ValidationError(f"unknown node kind {node.kind!r}", record)
    kind = model.nodes[node.kind]
    if node.type not in kind.types:
        raise ValidationError(f"{node.kind} has no type {node.type!r}", record)
    if not node.key or ":" not in node.key:
        raise ValidationError("missing key", record)
    if not isinstance(node.name, str) or not node.name:
        raise ValidationError("missing name", record)
    _reference_prov(node.prov, record)
    _reference_props(node.props, kind.properties, node.kind, record)


def _reference_edge(model: Model, edge: Edge) -> None:
    record = f"{edge.type} {edge.source} -> {edge.target}"
    if edge.type not in model.edges:
        raise ValidationError(f"unknown edge kind {edge.type!r}", record)
    if not edge.source or not edge.target:
        raise ValidationError("edge needs a source and a target", record)
    _reference_prov(edge.prov, record)
    _reference_props(edge.props, model.edges[edge.type].properties, edge.type, record)


def _outcome(check: Any, item: Node | Edge) -> tuple[str | None, dict[str, Any]]:
    try:
        check(MODEL, item)
    except Exception as exc:  # also the errors validation lets through (a time out of range)
        return f"{type(exc).__name__}: {exc}", item.props
    return None, item.props


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "2023-03-01T10:00:00Z", "2023-03-01 10:00", "not a time", "12"]),
    st.lists(st.one_of(st.integers(0, 3), st.sampled_from(["b", "a", "a"])), max_size=3),
    st.datetimes(timezones=st.just(UTC)),
)
PROPERTY_NAMES = sorted(
    {p for kind in MODEL.nodes.values() for p in kind.properties}
    | {p for kind in MODEL.edges.values() for p in kind.properties}
    | {"no_such_property"}
)
PROPS = st.dictionaries(st.sampled_from(PROPERTY_NAMES), VALUES, max_size=4)
PROVS = st.builds(
    Provenance,
    sources=st.frozensets(st.sampled_from(["a", "b#1"]), max_size=1),
    confidence=st.integers(-1, 101),
    tlp=st.sampled_from(list(TLP)),
)
KINDS = st.sampled_from([*MODEL.nodes, "Nothing"])
TYPES = st.sampled_from(sorted({t for kind in MODEL.nodes.values() for t in kind.types} | {"nothing"}))


@settings(max_examples=600, deadline=None)
@given(
    kind=KINDS,
    type_=TYPES,
    key=st.sampled_from(["", "x", "btc:1A", "actor:bob"]),
    name=st.sampled_from(["", "Bob", None]),
    prov=PROVS,
    props=PROPS,
)
def test_nodes_validate_as_before(
    kind: str, type_: str, key: str, name: Any, prov: Provenance, props: dict[str, Any]
) -> None:
    fast = Node(key, kind, type_, name, prov, dict(props))
    reference = Node(key, kind, type_, name, prov, dict(props))
    assert _outcome(validate_node, fast) == _outcome(_reference_node, reference)


@st.composite
def _fitting_nodes(draw: st.DrawFn) -> Node:
    """Nodes of a real kind and type with that kind's properties, so that many pass and get normalised."""
    kind = MODEL.nodes[draw(st.sampled_from(sorted(MODEL.nodes)))]
    props = draw(st.dictionaries(st.sampled_from(sorted(kind.properties)), VALUES, max_size=4))
    type_ = draw(st.sampled_from(sorted(kind.types)))
    return Node(f"{type_}:x", kind.name, type_, "X", draw(PROVS), props)


@settings(max_examples=600, deadline=None)
@given(node=_fitting_nodes())
def test_fitting_nodes_validate_as_before(node: Node) -> None:
    fast = Node(node.key, node.kind, node.type, node.name, node.prov, dict(node.props))
    assert _outcome(validate_node, fast) == _outcome(_reference_node, node)


@settings(max_examples=600, deadline=None)
@given(
    type_=st.sampled_from([*MODEL.edges, "NOTHING"]),
    source=st.sampled_from(["", "btc:1A"]),
    prov=PROVS,
    props=PROPS,
)
def test_edges_validate_as_before(type_: str, source: str, prov: Provenance, props: dict[str, Any]) -> None:
    fast = Edge(type_, source, "btc:1B", prov, dict(props))
    reference = Edge(type_, source, "btc:1B", prov, dict(props))
    assert _outcome(validate_edge, fast) == _outcome(_reference_edge, reference)


def test_a_non_finite_number_or_a_bool_is_no_number() -> None:
    for value in (math.inf, math.nan, True):
        edge = Edge("TRANSFERRED", "btc:1A", "btc:1B", Provenance.of("x"), {"amount": value})
        assert _outcome(validate_edge, edge)[0] is not None


def _reference_of(
    dataset: str, record: str | None, first_seen: Any, last_seen: Any, confidence: int, tlp: TLP | str
) -> Provenance:
    source = dataset if record is None else f"{dataset}#{record}"
    first = to_iso(first_seen)
    last = to_iso(last_seen) or first
    if first and last and last < first:
        first, last = last, first
    return Provenance(frozenset({source}), first, last or first, confidence, TLP.parse(tlp))


TIMES = st.one_of(
    st.none(),
    st.just(""),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
    st.just("not a time"),
    st.integers(0, 2**31),
)


@settings(max_examples=300, deadline=None)
@given(
    record=st.sampled_from([None, "f.csv:3"]),
    first_seen=TIMES,
    last_seen=TIMES,
    confidence=st.integers(0, 100),
    tlp=st.sampled_from([*TLP, "amber+strict", "WHITE"]),
)
def test_provenance_of_is_as_before(
    record: str | None, first_seen: Any, last_seen: Any, confidence: int, tlp: TLP | str
) -> None:
    try:
        expected = _reference_of("d", record, first_seen, last_seen, confidence, tlp)
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            Provenance.of(
                "d", record, first_seen=first_seen, last_seen=last_seen, confidence=confidence, tlp=tlp
            )
        return
    made = Provenance.of(
        "d", record, first_seen=first_seen, last_seen=last_seen, confidence=confidence, tlp=tlp
    )
    assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)


def test_a_time_checked_again_gives_the_same_answer() -> None:
    canonical = "2024-02-29T23:59:59Z"
    assert [to_iso(canonical), to_iso(canonical)] == [canonical, canonical]
    assert to_iso("2024-02-29 23:59:59+01:00") == "2024-02-29T22:59:59Z"
    assert to_iso(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"
    assert to_iso("") is None and to_iso(None) is None
