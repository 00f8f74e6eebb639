"""The schema is data: the shipped YAML loads, and inconsistent schemas fail with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from graph_model.errors import SchemaError
from graph_model.model import Model, build_model, load_model

ACTOR = {
    "name": "Actor",
    "types": {"person": {"identity": "casefold"}},
    "properties": {"alias": {"type": "string"}},
}
EDGE = {"name": "KNOWS", "source": ["Actor"], "target": ["Actor"]}


def test_shipped_schema_has_the_core_kinds() -> None:
    model = load_model()
    assert {"Actor", "Infrastructure", "Wallet", "Forum", "Malware", "Campaign"} <= set(model.nodes)
    assert set(model.nodes["Actor"].types) == {"person", "handle", "group"}
    assert {"domain", "ip", "url", "host", "asn", "provider", "email"} <= set(
        model.nodes["Infrastructure"].types
    )
    assert {"forum", "marketplace", "channel", "thread", "post"} <= set(model.nodes["Forum"].types)
    for edge in (
        "MEMBER_OF",
        "ALIAS_OF",
        "OPERATES",
        "CONTROLS",
        "USES",
        "DEVELOPS",
        "HOSTED_ON",
        "RESOLVES_TO",
        "BELONGS_TO",
        "COMMUNICATES_WITH",
        "TRANSFERRED",
        "ACTIVE_ON",
        "ADMINISTERS",
        "SELLS_ON",
        "ATTRIBUTED_TO",
    ):
        assert edge in model.edges
    assert model.edge_sets["money"] >= {"TRANSFERRED"}
    assert model.edges["TRANSFERRED"].allows("Wallet", "Wallet")
    assert not model.edges["TRANSFERRED"].allows("Actor", "Wallet")


def test_one_yaml_file_per_kind() -> None:
    schema = Path(__file__).resolve().parents[2] / "graph_model" / "schema"
    model = load_model(schema)
    assert {p.stem for p in (schema / "nodes").glob("*.yaml")} == set(model.nodes)
    assert {p.stem for p in (schema / "edges").glob("*.yaml")} == set(model.edges)


@pytest.mark.parametrize(
    ("nodes", "edges", "sets", "message"),
    [
        ([{**ACTOR, "properties": {"x": {"type": "colour"}}}], [], {}, "unknown range 'colour'"),
        ([ACTOR, ACTOR], [], {}, "duplicate node kind 'Actor'"),
        ([ACTOR], [EDGE, EDGE], {}, "duplicate name 'KNOWS'"),
        ([ACTOR], [{**EDGE, "target": ["Wallet"]}], {}, "endpoint 'Wallet' is not a node kind"),
        ([ACTOR], [EDGE], {"social": ["KNOWS", "HATES"]}, "unknown edge kind 'HATES'"),
        ([{**ACTOR, "types": {"person": {"identity": "vibes"}}}], [], {}, "unknown identity"),
        ([{**ACTOR, "name": "actor"}], [], {}, "capitalised name"),
        ([ACTOR], [{**EDGE, "name": "knows"}], {}, "CONST_CASE"),
    ],
)
def test_inconsistent_schema_is_a_clear_error(
    nodes: list[dict[str, object]], edges: list[dict[str, object]], sets: dict[str, object], message: str
) -> None:
    with pytest.raises(SchemaError, match=message):
        build_model(
            [(f"n{i}.yaml", d) for i, d in enumerate(nodes)],
            [(f"e{i}.yaml", d) for i, d in enumerate(edges)],
            sets,
        )


def test_schema_directory_round_trip(tmp_path: Path) -> None:
    (tmp_path / "nodes").mkdir()
    (tmp_path / "edges").mkdir()
    (tmp_path / "nodes" / "Actor.yaml").write_text(yaml.safe_dump(ACTOR))
    (tmp_path / "edges" / "KNOWS.yaml").write_text(yaml.safe_dump(EDGE))
    (tmp_path / "edge_sets.yaml").write_text("social: [KNOWS]\n")
    model = load_model(tmp_path)
    assert model.edge_types("social") == {"KNOWS"}
    (tmp_path / "nodes" / "Bad.yaml").write_text("- not\n- a mapping\n")
    with pytest.raises(SchemaError, match="Bad.yaml: expected a mapping"):
        load_model(tmp_path)


def test_unknown_edge_set_is_named() -> None:
    with pytest.raises(SchemaError, match="unknown edge set 'nope'"):
        load_model().edge_types("nope")


def test_every_node_kind_keeps_aliases(model: Model) -> None:
    """Merging records that name one entity differently keeps the other names as ``aliases``: every kind
    must declare it, or a store that writes only schema properties (Neo4j) would drop them."""
    assert [k for k, kind in model.nodes.items() if "aliases" not in kind.properties] == []
