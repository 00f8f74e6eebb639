"""Nodes and edges as flat property maps - the shape both stores keep them in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graph_model.entities import RESERVED, Edge, Node
from graph_model.provenance import TLP, Provenance

_LABELS = {level: level.label for level in TLP}
_LEVELS = tuple(TLP)  # by rank: indexing is much cheaper than calling the enum


def _prov_row(prov: Provenance) -> dict[str, Any]:
    tlp = prov.tlp
    return {
        "sources": sorted(prov.sources),
        "first_seen": prov.first_seen,
        "last_seen": prov.last_seen,
        "confidence": prov.confidence,
        "tlp": _LABELS[tlp],
        "tlp_rank": int(tlp),
    }


def _prov(row: Mapping[str, Any]) -> Provenance:
    return Provenance(
        sources=frozenset(row["sources"]),
        first_seen=row.get("first_seen"),
        last_seen=row.get("last_seen"),
        confidence=int(row["confidence"]),
        tlp=_LEVELS[int(row["tlp_rank"])],
    )


def _props(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (sorted(v) if isinstance(v, list) else v) for k, v in row.items() if k not in RESERVED}


def node_row(node: Node) -> dict[str, Any]:
    return {
        **node.props,
        "key": node.key,
        "kind": node.kind,
        "type": node.type,
        "name": node.name,
        "ids": list(node.ids),
        **_prov_row(node.prov),
    }


def row_node(row: Mapping[str, Any]) -> Node:
    return Node(
        key=row["key"],
        kind=row["kind"],
        type=row["type"],
        name=row["name"],
        prov=_prov(row),
        props=_props(row),
        ids=tuple(row["ids"]),
    )


def edge_row(edge: Edge) -> dict[str, Any]:
    return {
        **edge_data(edge),
        "key": edge.key,
        "type": edge.type,
        "source": edge.source,
        "target": edge.target,
        "discriminator": edge.discriminator,
    }


def edge_data(edge: Edge) -> dict[str, Any]:
    """:func:`edge_row` without what identifies the edge (its type, ends and discriminator)."""
    data = edge_fields(edge)
    data["tlp"] = _LABELS[edge.prov.tlp]
    return data


def edge_fields(edge: Edge) -> dict[str, Any]:
    """An edge's properties and provenance, without its TLP label (which ``tlp_rank`` gives) or what
    identifies it: what every store keeps of an edge beside its type, ends and discriminator."""
    prov = edge.prov
    sources = prov.sources
    return {
        **edge.props,
        "sources": sorted(sources) if len(sources) > 1 else list(sources),
        "first_seen": prov.first_seen,
        "last_seen": prov.last_seen,
        "confidence": prov.confidence,
        "tlp_rank": int(prov.tlp),
    }


def row_edge(row: Mapping[str, Any]) -> Edge:
    return Edge(
        type=row["type"],
        source=row["source"],
        target=row["target"],
        prov=_prov(row),
        props=_props(row),
        discriminator=row.get("discriminator") or "",
    )


_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Search tokens, the same for both stores: runs of word characters, case-folded."""
    return _WORD.findall(text.casefold())


def search_text(node: Node, fields: tuple[str, ...]) -> str:
    """The words full-text search sees for a node: name, aliases and the kind's searchable fields."""
    parts = [node.name]
    for name in fields:
        value = node.props.get(name)
        if isinstance(value, list):
            parts.extend(str(v) for v in value)
        elif value is not None:
            parts.append(str(value))
    return " ".join(words(" ".join(parts)))
