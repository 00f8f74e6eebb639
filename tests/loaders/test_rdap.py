"""RDAP responses (RFC 9083's examples and real registry responses): registrars, registries, networks, AS
numbers, their holders and abuse contacts; on both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.embedded import EmbeddedStore
from loaders import LoadContext, reader
from loaders.records import SourceError
from tests.loaders.loading import edge_types, kinds, load, nothing_new


def _links(store: GraphStore, key: str) -> set[tuple[str, str, str]]:
    around = store.neighbourhood([key], clearance=TLP.RED).edges.values()
    return {(e.type, e.source, e.target) for e in around}


def test_registry_response_names_registrar_registry_and_abuse_contact(
    fixtures: Path, store: GraphStore
) -> None:
    path = fixtures / "rdap" / "centralnic-nic.xyz.json"
    summary = load(store, "rdap", path, "rdap")
    assert (summary.read, summary.rejected) == (1, 0)
    assert kinds(store) == {
        "Infrastructure/domain": 1,
        "Infrastructure/registrar": 1,
        "Infrastructure/registry": 1,
    }
    domain = store.get("domain:nic.xyz", clearance=TLP.RED)
    assert domain.props["registrant_country"] == "US"
    assert domain.props["registry_handle"] == "D1465615-CNIC"
    assert domain.props["status"].startswith("server transfer prohibited")
    assert domain.prov.sources == frozenset({"rdap#https://rdap.centralnic.com/xyz/domain/nic.xyz"})
    assert domain.prov.first_seen == "2024-06-12T13:31:47Z"  # the registry's last database update
    registrar = store.get("registrar:centralnic ltd", clearance=TLP.RED)
    assert registrar.name == "CentralNic Ltd"
    assert registrar.props == {
        "iana_id": "9999",
        "abuse_email": "ops@centralnic.com",
        "abuse_phone": "+44.2033880600",
    }
    assert store.get("registry:registry of .xyz", clearance=TLP.RED).props == {"tlds": ["xyz"]}
    assert _links(store, domain.key) == {
        ("REGISTERED_WITH", domain.key, "registrar:centralnic ltd"),
        ("REGISTERED_WITH", domain.key, "registry:registry of .xyz"),
    }
    assert nothing_new(load(store, "rdap", path, "rdap"))


def test_rfc9083_domain_example_has_a_registry_and_no_person(
    fixtures: Path, embedded_store: EmbeddedStore
) -> None:
    summary = load(embedded_store, "rdap", fixtures / "rdap" / "rfc9083-domain.json", "rfc")
    assert (summary.read, summary.rejected) == (1, 0)
    # The registrant is an individual: only the country is kept, no person enters the graph.
    assert kinds(embedded_store) == {"Infrastructure/domain": 1, "Infrastructure/registry": 1}
    domain = embedded_store.get("domain:xn--fo-5ja.example", clearance=TLP.RED)
    assert domain.props["registrant_country"] == "Canada"
    assert domain.props["status"] == "locked, transfer prohibited"
    assert edge_types(embedded_store) == {"REGISTERED_WITH": 1}


def test_real_network_holder_origin_as_and_abuse_contact(
    fixtures: Path, embedded_store: EmbeddedStore
) -> None:
    summary = load(embedded_store, "rdap", fixtures / "rdap" / "arin-network-192.198.0.0.json", "arin")
    assert (summary.read, summary.rejected) == (1, 0)
    cidr = embedded_store.get("cidr:192.198.0.0/22", clearance=TLP.RED)
    assert cidr.props["abuse_email"] == "daniel.petsinger@radiolinkinternet.com"
    assert cidr.props["registry_handle"] == "NET-192-198-0-0-1"
    provider = embedded_store.get("provider:radio link internet", clearance=TLP.RED)
    assert provider.props == {
        "country": "United States",
        "abuse_email": "daniel.petsinger@radiolinkinternet.com",
        "abuse_phone": "+1-507-417-4176",
    }
    assert _links(embedded_store, cidr.key) == {
        ("BELONGS_TO", cidr.key, provider.key),
        ("BELONGS_TO", cidr.key, "asn:53301"),
    }


def test_rfc9083_network_example_from_its_address_range(
    fixtures: Path, embedded_store: EmbeddedStore
) -> None:
    summary = load(embedded_store, "rdap", fixtures / "rdap" / "rfc9083-ip-network.json", "rfc")
    assert (summary.read, summary.rejected) == (1, 0)
    cidr = embedded_store.get("cidr:2001:db8::/48", clearance=TLP.RED)
    assert cidr.props["country"] == "AU"
    assert kinds(embedded_store) == {"Infrastructure/cidr": 1}  # the registrant is an individual


def test_autnums_real_and_rfc_range(fixtures: Path, embedded_store: EmbeddedStore) -> None:
    summary = load(embedded_store, "rdap", fixtures / "rdap" / "arin-autnum-16509-excerpt.json", "arin")
    assert (summary.read, summary.rejected) == (1, 0)
    asn = embedded_store.get("asn:16509", clearance=TLP.RED)
    assert asn.name == "AS16509"
    assert asn.props["as_name"] == "AMAZON-02"
    assert asn.props["abuse_email"] == "abuse@amazonaws.com"
    assert _links(embedded_store, asn.key) == {("BELONGS_TO", asn.key, "provider:amazon.com, inc.")}
    summary = load(embedded_store, "rdap", fixtures / "rdap" / "rfc9083-autnum.json", "rfc")
    assert (summary.read, summary.rejected) == (1, 0)
    for number in range(65536, 65542):
        assert embedded_store.get(f"asn:{number}", clearance=TLP.RED).props["country"] == "AU"


def test_bad_objects_are_rejected_and_others_skipped(tmp_path: Path, embedded_store: EmbeddedStore) -> None:
    path = tmp_path / "mixed.json"
    objects = [
        {"objectClassName": "domain"},
        {"objectClassName": "autnum", "startAutnum": 1, "endAutnum": 5000},
        {"objectClassName": "ip network", "startAddress": "10.0.0.0", "endAddress": "nope"},
        {"objectClassName": "nameserver", "ldhName": "ns1.example.com"},
        {"errorCode": 404, "title": "Not Found"},
        "text",
        {"objectClassName": "domain", "ldhName": "Example.COM"},
    ]
    path.write_text(json.dumps(objects))
    summary = load(embedded_store, "rdap", path, "mixed")
    assert (summary.read, summary.rejected, summary.skipped) == (7, 4, 2)
    reasons = set(summary.rejected_by_reason)
    assert "a domain object needs an ldhName" in reasons
    assert any("5000 numbers" in r for r in reasons)
    assert any("bad address range" in r for r in reasons)
    assert embedded_store.get("domain:example.com", clearance=TLP.RED).name == "Example.COM"


@pytest.mark.parametrize("text", ["{not json", '"a string"'])
def test_unreadable_file_is_one_clear_error(tmp_path: Path, embedded_store: EmbeddedStore, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(SourceError, match="bad.json|RDAP response"):
        list(reader("rdap")(path, LoadContext(embedded_store.model, "bad")))
