"""Canonical values and deterministic keys: the same thing from two sources gets the same key."""

from __future__ import annotations

import ipaddress
import re
import uuid as uuidlib
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from graph_model.errors import ValidationError
from graph_model.model import STIX_NAMESPACE, UUID_NAMESPACE, Model

_SPACE = re.compile(r"\s+")
_STIX_ID = re.compile(r"^([a-z0-9-]+)--([0-9a-fA-F-]{36})$")


def canonical_domain(value: str) -> str:
    """Lower-case, strip a trailing dot and encode international names as IDNA (punycode)."""
    text = value.strip().rstrip(".").lower()
    if not text or " " in text:
        raise ValueError(f"not a domain name: {value!r}")
    try:
        return text.encode("idna").decode("ascii")
    except UnicodeError:
        # Labels such as '_dmarc' or over-long ones are invalid IDNA but real in the wild.
        if text.isascii():
            return text
        raise ValueError(f"not a domain name: {value!r}") from None


def canonical_ip(value: str) -> str:
    """Normalised IPv4/IPv6 text (``::ffff:1.2.3.4`` becomes ``1.2.3.4``)."""
    addr = ipaddress.ip_address(value.strip().strip("[]"))
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def canonical_cidr(value: str) -> str:
    return str(ipaddress.ip_network(value.strip(), strict=False))


def canonical_url(value: str) -> str:
    """Scheme and host lower-cased, host IDNA-encoded, default path '/'; path and query kept exact."""
    text = value.strip()
    parts = urlsplit(text if "://" in text else f"http://{text}")
    if not parts.hostname:
        raise ValueError(f"not a URL: {value!r}")
    host = parts.hostname
    try:
        host = canonical_ip(host)
        if ":" in host:
            host = f"[{host}]"
    except ValueError:
        host = canonical_domain(host)
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def canonical_asn(value: str | int) -> str:
    text = str(value).strip().upper().removeprefix("AS")
    number = int(text)
    if not 0 <= number < 2**32:
        raise ValueError(f"not an AS number: {value!r}")
    return str(number)


def canonical_email(value: str) -> str:
    local, sep, domain = value.strip().rpartition("@")
    if not sep or not local:
        raise ValueError(f"not an e-mail address: {value!r}")
    return f"{local.lower()}@{canonical_domain(domain)}"


def canonical_name(value: str) -> str:
    """Case- and space-insensitive name, used for software families and free-text names."""
    return _SPACE.sub(" ", value).strip().casefold()


def canonical_uuid(value: str) -> str:
    """The UUID of a STIX id (``intrusion-set--<uuid>``) or of a bare UUID, lower-cased."""
    text = value.strip()
    match = _STIX_ID.match(text)
    return str(uuidlib.UUID(match.group(2) if match else text))


CANONICAL: dict[str, Callable[[str], str]] = {
    "exact": lambda v: v.strip(),
    "lower": lambda v: v.strip().lower(),
    "casefold": canonical_name,
    "name": canonical_name,
    "domain": canonical_domain,
    "ip": canonical_ip,
    "cidr": canonical_cidr,
    "url": canonical_url,
    "asn": canonical_asn,
    "email": canonical_email,
}


def canonical(model: Model, kind: str, type_: str, value: str) -> str:
    """The canonical form of ``value`` for a node of ``kind``/``type_``; ValidationError if invalid."""
    node_kind = model.node_kind(kind)
    ntype = node_kind.types.get(type_)
    if ntype is None:
        raise ValidationError(f"{kind} has no type {type_!r} (known: {', '.join(node_kind.types)})")
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{kind}/{type_} needs a non-empty value")
    try:
        result = CANONICAL[ntype.identity](value)
    except ValueError as exc:
        raise ValidationError(f"invalid {kind}/{type_} value {value!r}: {exc}") from None
    if not result:
        raise ValidationError(f"{kind}/{type_} value {value!r} is empty once normalised")
    return result


def node_key(model: Model, kind: str, type_: str, value: str) -> str:
    """``namespace:canonical`` - e.g. ``domain:example.com``, ``btc:1A1z…``, ``software:cobalt strike``."""
    namespace = model.node_kind(kind).types[type_].namespace if type_ in model.node_kind(kind).types else ""
    return f"{namespace}:{canonical(model, kind, type_, value)}"


def uuid_key(value: str) -> str:
    """Key of an object identified by a UUID or STIX id, whatever its kind: ``uuid:<uuid>``."""
    try:
        return f"{UUID_NAMESPACE}:{canonical_uuid(value)}"
    except ValueError:
        raise ValidationError(f"not a UUID or STIX id: {value!r}") from None


def stix_key(value: str) -> str:
    """Key of a STIX object by its whole id, ``stix:<type>--<uuid>``: objects of different types that
    share a UUID (MISP writes an attribute as ``indicator--X`` and ``observed-data--X``) stay apart."""
    match = _STIX_ID.match(value.strip())
    if match is None:
        raise ValidationError(f"not a STIX id: {value!r}")
    return f"{STIX_NAMESPACE}:{match.group(1)}--{canonical_uuid(value)}"
