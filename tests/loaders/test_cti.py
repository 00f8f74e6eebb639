"""Helpers shared by the STIX and MISP loaders: JSON streaming, claims, aliases, observables."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_model.errors import ValidationError
from graph_model.model import Model
from graph_model.provenance import Provenance
from loaders.cti import AliasIndex, is_example, observable_node, pattern_observables, sole_claims
from loaders.json_stream import json_members

PROV = Provenance.of("test")


def test_pattern_observables_read_or_lists_in_sets_and_spaces() -> None:
    pattern = (
        "[domain-name:value = 'www.webserver.dynssl.com' OR ipv4-addr:value = '113.10.246.30'"
        " OR ipv4-addr:value = '219.90.112.203'] AND [ url:value = 'http://a.example/it\\'s' ]"
    )
    assert pattern_observables(pattern) == [
        ("domain-name", "www.webserver.dynssl.com"),
        ("ipv4-addr", "113.10.246.30"),
        ("ipv4-addr", "219.90.112.203"),
        ("url", "http://a.example/it's"),
    ]
    assert pattern_observables("[email-addr:value IN ('a@b.com', 'c@d.com')]") == [
        ("email-addr", "a@b.com"),
        ("email-addr", "c@d.com"),
    ]
    assert pattern_observables("[ipv4-addr:value ISSUBSET '198.51.100.0/24']") == [
        ("ipv4-addr", "198.51.100.0/24")
    ]
    assert pattern_observables("[autonomous-system:number = 64500]") == [("autonomous-system", "64500")]


def test_pattern_observables_leave_hashes_negations_and_garbage() -> None:
    assert pattern_observables("[file:hashes.'SHA-256' = 'ef537f25c895bfa78252']") == []
    assert pattern_observables("[ipv4-addr:value != '1.2.3.4']") == []
    assert pattern_observables("[domain-name:value MATCHES '^evil']") == []
    assert pattern_observables("not a pattern") == []


def test_observable_nodes(model: Model) -> None:
    cidr = observable_node(model, "ipv4-addr", "223.166.0.0/15", PROV)
    assert (cidr.key, cidr.type, "example" in cidr.props) == ("cidr:223.166.0.0/15", "cidr", False)
    assert observable_node(model, "ipv4-addr", "8.8.8.8/32", PROV).key == "ip:8.8.8.8"
    assert observable_node(model, "autonomous-system", "AS13335", PROV).key == "asn:13335"
    private = observable_node(
        model, "ipv4-addr", "10.0.0.0", PROV, ids=("stix:ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956",)
    )
    assert private.props["example"] is True
    assert "stix:ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956" in private.ids
    with pytest.raises(ValidationError):
        observable_node(model, "domain-name", "domain autuo.xicp.net", PROV)


@pytest.mark.parametrize(
    ("type_", "value", "example"),
    [
        ("ip", "198.51.100.3", True),
        ("ip", "219.76.208.163", False),
        ("cidr", "10.0.0.0/8", True),
        ("domain", "www.example.com", True),
        ("domain", "example.com.cn", False),
        ("url", "http://x4z9arb.cn/4712/", False),
        ("url", "http://192.0.2.1/a", True),
        ("email", "hank@pym.test", True),
        ("asn", "64501", True),
        ("asn", "13335", False),
    ],
)
def test_is_example(type_: str, value: str, example: bool) -> None:
    assert is_example(type_, value) is example


def test_sole_claims_grant_only_uncontested_ids() -> None:
    claims = {
        "a": {"attack:G0007"},
        "b": {"attack:G0013"},
        "c": {"attack:G0013"},
        "d": {"x", "y"},
        "e": set(),
    }
    assert sole_claims(claims) == {"a": "attack:G0007"}


def test_alias_index_pairs_each_collision_once() -> None:
    index = AliasIndex()
    index.add("uuid:2", ["Carbanak", "Anunak"])
    index.add("uuid:1", ["carbanak", "FIN7"])
    index.add("uuid:3", ["anunak ", "Other"])
    assert index.collisions() == {
        "uuid:1": [("uuid:2", "carbanak")],
        "uuid:2": [("uuid:3", "Anunak")],
    }


def test_json_members_stream_items_and_report_damage(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text('{"objects": [\n{"a": 1},\n {"b": 2}\n],\n"type": "bundle"}')
    members = list(json_members(path, "objects"))
    assert [(m.key, m.line, m.value) for m in members] == [
        ("objects", 2, {"a": 1}),
        ("objects", 3, {"b": 2}),
        ("type", 5, "bundle"),
    ]
    path.write_text('[{"a": 1},\n{"b": ')
    *good, damage = json_members(path, "objects")
    assert [m.value for m in good] == [{"a": 1}]
    assert damage.error is not None and damage.line == 2 and damage.error.startswith("invalid JSON at line 2")
    assert "truncated" in damage.error
