"""abuse.ch ThreatFox IOC exports (JSON: an object keyed by IOC id, each value a list of IOCs).

Network IOCs become Infrastructure: ``ip:port`` an IP node (ports gathered in its ``port`` list) with
a COMMUNICATES_WITH edge per port from the malware family; ``domain`` a domain node; ``url`` a URL node
with RESOLVES_TO to its host (domain or IP). The family is a Malware node keyed by its display name
(``malware_printable``) so it merges with ATT&CK and MISP entries, with the Malpedia id as a second
identifier (``malpedia:win.cobalt_strike``). ASN tags (``AS14061``, with the AS-name tag next to it
such as ``DIGITALOCEAN-ASN``) give an ASN node and BELONGS_TO from the IP. File-hash IOCs are skipped:
they are samples, not infrastructure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from graph_model.entities import Edge, Node, make_node
from graph_model.identity import canonical_ip
from graph_model.provenance import Provenance
from loaders.json_stream import json_entries
from loaders.records import LoadContext, Record, location
from loaders.rows import built
from loaders.tabular import integer

NO_FAMILY = frozenset({"", "unknown", "unknown malware"})
HASH_SKIP = "file hash IOC (not infrastructure)"
_ASN_TAG = re.compile(r"AS\d{1,10}")
_UPPER_TAG = re.compile(r"[A-Z0-9][A-Z0-9._-]*[A-Z][A-Z0-9._-]*|[A-Z][A-Z0-9._-]*")
# Upper-case tags that describe the threat, never a network operator.
_GENERIC_TAGS = frozenset(
    {"C2", "CC", "RAT", "APT", "IOC", "VPS", "TOR", "DGA", "SSL", "TLS", "HTTP", "HTTPS", "DNS"}
)


def _split_list(text: Any) -> list[str]:
    return [part.strip() for part in str(text or "").split(",") if part.strip()]


def split_host_port(value: str) -> tuple[str, int]:
    """``1.2.3.4:443`` or ``[2001:db8::1]:443`` to (host, port); ValueError if either is missing."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not an ip:port value: {value!r}")
    return host.strip("[]"), int(port)


def _as_name(tags: list[str], family_words: set[str]) -> str | None:
    """The AS-name tag beside an ASN tag: the one upper-case tag that is no threat or family word."""
    candidates = [
        t
        for t in tags
        if not _ASN_TAG.fullmatch(t)
        and _UPPER_TAG.fullmatch(t)
        and t not in _GENERIC_TAGS
        and t.casefold() not in family_words
    ]
    return candidates[0] if len(candidates) == 1 else None


def _family(ctx: LoadContext, ioc: dict[str, Any], prov: Provenance) -> Node | None:
    printable = str(ioc.get("malware_printable") or "").strip()
    malpedia = str(ioc.get("malware") or "").strip()
    if printable.casefold() in NO_FAMILY or malpedia.casefold() in NO_FAMILY:
        return None
    return make_node(
        ctx.model,
        "Malware",
        "malware",
        printable,
        prov=prov,
        ids=(f"malpedia:{malpedia}",),
        props={"malpedia_id": malpedia, "aliases": _split_list(ioc.get("malware_alias"))},
    )


def _host_node(ctx: LoadContext, host: str, prov: Provenance) -> Node:
    try:
        return make_node(ctx.model, "Infrastructure", "ip", canonical_ip(host), prov=prov)
    except ValueError:
        return make_node(ctx.model, "Infrastructure", "domain", host, prov=prov)


def _provenance(ctx: LoadContext, ioc_id: str, ioc: dict[str, Any]) -> Provenance:
    confidence = ioc.get("confidence_level")
    if isinstance(confidence, bool) or not isinstance(confidence, int | str | None):
        raise ValueError(f"confidence_level: not a whole number: {confidence!r}")
    return ctx.prov(
        ioc_id,
        first_seen=ioc.get("first_seen_utc"),
        last_seen=ioc.get("last_seen_utc"),
        confidence=integer(str(confidence), "confidence_level") if confidence not in (None, "") else None,
    )


def _indicator(
    ctx: LoadContext, kind: str, value: str, props: dict[str, Any], prov: Provenance
) -> tuple[Node, Node | None, int | None, list[Node | Edge]]:
    """The IOC's node, the IP it stands on (if any), its port (ip:port) and any host it resolves to."""
    if kind == "ip:port":
        host, port = split_host_port(value)
        ip = make_node(ctx.model, "Infrastructure", "ip", host, prov=prov, props={**props, "port": [port]})
        return ip, ip, port, []
    if kind == "domain":
        return make_node(ctx.model, "Infrastructure", "domain", value, prov=prov, props=props), None, None, []
    url = make_node(ctx.model, "Infrastructure", "url", value, prov=prov, props=props)
    server = _host_node(ctx, urlsplit(value if "://" in value else f"http://{value}").hostname or "", prov)
    served: list[Node | Edge] = [server, Edge("RESOLVES_TO", url.key, server.key, prov)]
    return url, server if server.type == "ip" else None, None, served


def _items(ctx: LoadContext, ioc_id: str, ioc: dict[str, Any]) -> list[Node | Edge]:
    prov = _provenance(ctx, ioc_id, ioc)
    family = _family(ctx, ioc, prov)
    tags = _split_list(ioc.get("tags"))
    family_words: set[str] = set()
    if family:
        family_words = {w.casefold() for w in (family.name, *family.props.get("aliases", ()))}
        family_words.add(str(ioc.get("malware", "")).rpartition(".")[2].casefold())
    asns = [t for t in tags if _ASN_TAG.fullmatch(t)]
    as_name = _as_name(tags, family_words) if asns else None
    props: dict[str, Any] = {"tags": [t for t in tags if t not in asns and t != as_name]}
    if isinstance(ioc.get("is_compromised"), bool):
        props["compromised"] = ioc["is_compromised"]
    node, ip, port, items = _indicator(ctx, str(ioc["ioc_type"]), str(ioc["ioc_value"]).strip(), props, prov)
    items.insert(0, node)
    if family:
        link: dict[str, Any] = {"threat_type": ioc.get("threat_type") or None, "port": port}
        link = {k: v for k, v in link.items() if v is not None}
        discriminator = "" if port is None else str(port)
        items += [family, Edge("COMMUNICATES_WITH", family.key, node.key, prov, link, discriminator)]
    if ip is not None:
        for tag in asns:
            asn_props = {"as_name": as_name}
            asn = make_node(ctx.model, "Infrastructure", "asn", tag, prov=prov, name=tag, props=asn_props)
            items += [asn, Edge("BELONGS_TO", ip.key, asn.key, prov)]
    return items


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per IOC, located as ``file.json#<ioc id>``."""
    for entry in json_entries(path):
        ref = entry.key if entry.key is not None else str(entry.index)
        if entry.error:
            yield Record(location(path, ref), "ioc", error=entry.error, raw=entry.raw)
            continue
        iocs = entry.value if isinstance(entry.value, list) else [entry.value]
        for n, ioc in enumerate(iocs):
            where = location(path, ref if n == 0 else f"{ref}.{n}")
            if not isinstance(ioc, dict) or not ioc.get("ioc_type") or not ioc.get("ioc_value"):
                yield Record(where, "ioc", error="not an IOC (needs ioc_type and ioc_value)", raw=ioc)
                continue
            kind = str(ioc["ioc_type"])
            if kind.endswith("_hash"):
                yield Record(where, kind, skipped=HASH_SKIP)
                continue
            if kind not in ("ip:port", "domain", "url"):
                yield Record(where, kind, skipped=f"unsupported IOC type {kind!r}")
                continue
            yield built(where, kind, ioc, _items, ctx, ref, ioc)
