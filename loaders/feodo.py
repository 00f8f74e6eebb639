"""abuse.ch Feodo Tracker botnet C2 blocklists, JSON (``ipblocklist.json``) or CSV (``ipblocklist.csv``).

Each entry is a C2 server: an IP node (its ports gathered in ``port``, its ``country``) with a
COMMUNICATES_WITH edge from the malware family per port (``status`` online/offline on the edge, since
one IP can be up on one port and down on another). The JSON format adds the autonomous system (an ASN
node with ``as_name``, BELONGS_TO from the IP) and the reverse hostname (a domain node RESOLVES_TO
the IP). The CSV may open with a ``#`` banner and end with ``# END n entries``; both are comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph_model.entities import Edge, Node, make_node
from loaders.json_stream import json_entries
from loaders.records import LoadContext, Record, location
from loaders.rows import built, row_records
from loaders.tabular import csv_rows, integer, open_source

CSV_COLUMNS = ("first_seen_utc", "dst_ip", "dst_port", "c2_status", "last_online", "malware")
JSON_FIELDS = ("ip_address", "port", "malware")
# CSV column -> JSON field, so both formats go through one function.
_CSV_TO_JSON = {
    "first_seen_utc": "first_seen",
    "dst_ip": "ip_address",
    "dst_port": "port",
    "c2_status": "status",
    "last_online": "last_online",
    "malware": "malware",
}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _c2_server(ctx: LoadContext, ref: str | int, entry: dict[str, Any]) -> list[Node | Edge]:
    missing = [name for name in JSON_FIELDS if _text(entry.get(name)) == ""]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    port = entry["port"] if isinstance(entry["port"], int) else integer(_text(entry["port"]), "port")
    if not 0 < port < 65536:
        raise ValueError(f"port: out of range: {port}")
    prov = ctx.prov(ref, first_seen=_text(entry.get("first_seen")), last_seen=_text(entry.get("last_online")))
    country = _text(entry.get("country")).upper() or None
    ip = make_node(
        ctx.model,
        "Infrastructure",
        "ip",
        _text(entry["ip_address"]),
        prov=prov,
        props={"port": [port], "country": country},
    )
    family = make_node(ctx.model, "Malware", "malware", _text(entry["malware"]), prov=prov)
    status = _text(entry.get("status")).lower() or None
    props: dict[str, Any] = {"port": port, "threat_type": "botnet_cc"}
    if status:
        props["status"] = status
    items: list[Node | Edge] = [
        ip,
        family,
        Edge("COMMUNICATES_WITH", family.key, ip.key, prov, props, str(port)),
    ]
    if _text(entry.get("as_number")):
        number = _text(entry["as_number"])
        asn = make_node(
            ctx.model,
            "Infrastructure",
            "asn",
            number,
            prov=prov,
            name=f"AS{number.upper().removeprefix('AS')}",
            props={"as_name": _text(entry.get("as_name")) or None},
        )
        items += [asn, Edge("BELONGS_TO", ip.key, asn.key, prov)]
    if _text(entry.get("hostname")):
        host = make_node(ctx.model, "Infrastructure", "domain", _text(entry["hostname"]), prov=prov)
        items += [host, Edge("RESOLVES_TO", host.key, ip.key, prov)]
    return items


def _is_json(path: Path) -> bool:
    with open_source(path) as handle:
        start = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start[:1] in (b"[", b"{")


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per C2 entry; the format (JSON or CSV) is told from the first character."""
    if _is_json(path):
        for item in json_entries(path):
            where = location(path, item.line)
            if item.error or not isinstance(item.value, dict):
                error = item.error or "not a C2 entry (expected an object)"
                yield Record(where, "c2", error=error, raw=item.raw)
            else:
                yield built(where, "c2", item.value, _c2_server, ctx, item.line, item.value)
        return
    rows = csv_rows(path, required=CSV_COLUMNS)
    yield from row_records(
        path,
        "c2",
        rows,
        lambda row: _c2_server(ctx, row.line, {_CSV_TO_JSON[c]: row[c] for c in CSV_COLUMNS}),
    )
