"""What STIX and MISP loading share: who claims which name, observables and their patterns.

Both read their files with :func:`loaders.json_stream.json_members`.

Threat-intelligence files name the same actor or family many times, and sometimes one alias for two
different things. A name or id claimed by exactly one entity may join it to another source's node;
anything shared is only a candidate link (ALIAS_OF with confidence), never a merge.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from stix2patterns.exceptions import ParseException
from stix2patterns.v20.pattern import Pattern as Pattern20
from stix2patterns.v21.pattern import Pattern as Pattern21

from graph_model.entities import Edge, Node, make_node
from graph_model.identity import canonical_name
from graph_model.model import Model
from graph_model.provenance import Provenance

ALIAS_CONFIDENCE = 60
# An alias shared by this many entities is a generic word ("RAT", "unknown"), not a hint of identity.
MAX_SHARED_ALIAS = 10
ATTACK_ID = re.compile(r"^[GSC]\d{4}$")


def sole_claims(claims: Mapping[str, Collection[str]]) -> dict[str, str]:
    """The identifier each entity may take as its own: it claims only that one, and no one else does."""
    holders = Counter(i for ids in claims.values() for i in set(ids))
    sole: dict[str, str] = {}
    for entity, ids in claims.items():
        unique = set(ids)
        if len(unique) == 1 and holders[next(iter(unique))] == 1:
            sole[entity] = next(iter(unique))
    return sole


class AliasIndex:
    """Which entities (by key) go by which alias, compared case- and space-insensitively."""

    def __init__(self) -> None:
        self._claims: defaultdict[str, dict[str, str]] = defaultdict(dict)

    def add(self, key: str, aliases: Iterable[str]) -> None:
        for alias in aliases:
            if isinstance(alias, str) and alias.strip():
                self._claims[canonical_name(alias)].setdefault(key, alias.strip())

    def collisions(self) -> dict[str, list[tuple[str, str]]]:
        """Pairs of entities sharing an alias, each pair listed once under its smaller key.

        Maps a key to ``(other key, shared alias)``; several shared aliases are joined by ", ".
        """
        shared: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        for holders in self._claims.values():
            if not 2 <= len(holders) <= MAX_SHARED_ALIAS:
                continue
            keys = sorted(holders)
            for i, first in enumerate(keys):
                for second in keys[i + 1 :]:
                    shared[first, second].add(holders[first])
        pairs: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
        for (first, second), aliases in sorted(shared.items()):
            pairs[first].append((second, ", ".join(sorted(aliases, key=str.casefold))))
        return dict(pairs)


def alias_candidate(source: str, target: str, alias: str, prov: Provenance, reason: str) -> Edge:
    """An ALIAS_OF edge: two records may name the same entity. ``prov`` should carry the confidence."""
    return Edge("ALIAS_OF", source, target, prov, {"alias": alias, "reason": reason})


# STIX observable type -> Infrastructure type (an ipv4-addr holding a range becomes a cidr).
OBSERVABLE_TYPES: dict[str, str] = {
    "ipv4-addr": "ip",
    "ipv6-addr": "ip",
    "domain-name": "domain",
    "url": "url",
    "email-addr": "email",
    "autonomous-system": "asn",
}
_PATTERN_PATHS = {(t, "number" if t == "autonomous-system" else "value") for t in OBSERVABLE_TYPES}
_EQUALITY = frozenset({"=", "IN", "ISSUBSET"})
_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")
_ESCAPE = re.compile(r"\\(.)")
_NUMBER = re.compile(r"-?\d+")
# Reserved for documentation and testing (RFC 2606, RFC 6761).
_EXAMPLE_DOMAINS = ("example", "example.com", "example.net", "example.org", "test", "invalid", "localhost")


def pattern_observables(pattern: str, version: str | None = None) -> list[tuple[str, str]]:
    """``(observable type, value)`` pairs a STIX pattern tests for equality (``=``, ``IN``, ``ISSUBSET``).

    Only addresses, domains, URLs, e-mail addresses and AS numbers; file hashes and other objects
    stay in the pattern text. An unparsable pattern names nothing.
    """
    try:
        parser = Pattern20 if version == "2.0" else Pattern21
        comparisons = parser(pattern).inspect().comparisons
    except ParseException:
        return []
    found: dict[tuple[str, str], None] = {}
    for stix_type, tests in comparisons.items():
        for path, operator, literal in tests:
            if operator not in _EQUALITY or (stix_type, ".".join(map(str, path))) not in _PATTERN_PATHS:
                continue
            values = [_ESCAPE.sub(r"\1", s) for s in _STRING.findall(literal)] or _NUMBER.findall(literal)
            found.update(((stix_type, v), None) for v in values)
    return list(found)


def observable_node(
    model: Model,
    stix_type: str,
    value: str,
    prov: Provenance,
    *,
    ids: tuple[str, ...] = (),
    props: dict[str, Any] | None = None,
) -> Node:
    """An Infrastructure node keyed by the observable's canonical value; ValidationError if invalid.

    Documentation, private and reserved values (RFC 5737, RFC 1918, example.com…) are loaded with
    ``example: true`` so that analyses can leave them out.
    """
    type_, text = OBSERVABLE_TYPES[stix_type], str(value).strip()
    if type_ == "ip" and "/" in text:
        network = ipaddress.ip_network(text, strict=False)
        type_, text = (
            ("ip", str(network.network_address)) if network.num_addresses == 1 else ("cidr", str(network))
        )
    node = make_node(model, "Infrastructure", type_, text, prov=prov, props=props, ids=ids)
    if is_example(type_, node.key.partition(":")[2]):
        node.props["example"] = True
    return node


def _example_domain(domain: str) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in _EXAMPLE_DOMAINS)


def is_example(type_: str, value: str) -> bool:
    """Whether a canonical Infrastructure value is private, reserved or for documentation only."""
    if type_ == "ip":
        return not ipaddress.ip_address(value).is_global
    if type_ == "cidr":
        return not ipaddress.ip_network(value).is_global
    if type_ == "domain":
        return _example_domain(value)
    if type_ == "email":
        return _example_domain(value.rpartition("@")[2])
    if type_ == "url":
        host = urlsplit(value).hostname or ""
        try:
            return not ipaddress.ip_address(host).is_global
        except ValueError:
            return _example_domain(host)
    if type_ == "asn":
        number = int(value)
        return number in (0, 23456) or 64496 <= number <= 65551 or number >= 4200000000
    return False
