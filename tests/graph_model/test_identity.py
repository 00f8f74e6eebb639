"""Deterministic keys from kind and canonical value."""

from __future__ import annotations

import pytest

from graph_model.errors import ValidationError
from graph_model.identity import node_key, uuid_key
from graph_model.model import Model


@pytest.mark.parametrize(
    ("kind", "type_", "value", "key"),
    [
        ("Infrastructure", "domain", "Bücher.Example.", "domain:xn--bcher-kva.example"),
        ("Infrastructure", "domain", "MICROSOFT-UPDATER.net", "domain:microsoft-updater.net"),
        ("Infrastructure", "ip", " 185.086.148.227 ".replace("086", "86"), "ip:185.86.148.227"),
        ("Infrastructure", "ip", "2001:0DB8::0001", "ip:2001:db8::1"),
        ("Infrastructure", "ip", "::ffff:10.0.0.1", "ip:10.0.0.1"),
        ("Infrastructure", "cidr", "223.166.0.0/15", "cidr:223.166.0.0/15"),
        ("Infrastructure", "url", "HTTP://X4Z9ARB.cn/4712/", "url:http://x4z9arb.cn/4712/"),
        ("Infrastructure", "url", "http://1.2.3.4:8080", "url:http://1.2.3.4:8080/"),
        ("Infrastructure", "asn", "AS14061", "asn:14061"),
        ("Infrastructure", "asn", "14061", "asn:14061"),
        ("Infrastructure", "email", "Admin@Example.COM", "email:admin@example.com"),
        (
            "Wallet",
            "eth",
            "0x52908400098527886E0F7030069857D2E4169EE7",
            "eth:0x52908400098527886e0f7030069857d2e4169ee7",
        ),
        (
            "Wallet",
            "btc",
            "bc1qXY2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
            "btc:bc1qXY2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
        ),
        ("Malware", "malware", "Cobalt  Strike", "software:cobalt strike"),
        ("Malware", "tool", "cobalt strike", "software:cobalt strike"),
        ("Actor", "group", "LockBit", "group:lockbit"),
    ],
)
def test_keys(model: Model, kind: str, type_: str, value: str, key: str) -> None:
    assert node_key(model, kind, type_, value) == key


def test_stix_ids_keep_their_uuid() -> None:
    assert (
        uuid_key("intrusion-set--BEF4C620-0787-42a8-a96d-b7eb6e85917c")
        == "uuid:bef4c620-0787-42a8-a96d-b7eb6e85917c"
    )
    assert uuid_key("bef4c620-0787-42a8-a96d-b7eb6e85917c") == "uuid:bef4c620-0787-42a8-a96d-b7eb6e85917c"


@pytest.mark.parametrize(
    ("kind", "type_", "value"),
    [
        ("Infrastructure", "ip", "999.1.1.1"),
        ("Infrastructure", "asn", "ASX"),
        ("Infrastructure", "domain", "a b"),
        ("Infrastructure", "email", "nobody"),
        ("Actor", "robot", "x"),
        ("Actor", "person", "  "),
    ],
)
def test_invalid_values_are_validation_errors(model: Model, kind: str, type_: str, value: str) -> None:
    with pytest.raises(ValidationError):
        node_key(model, kind, type_, value)
