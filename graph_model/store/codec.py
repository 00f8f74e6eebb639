"""Nodes and edges as flat property maps - the shape both stores keep them in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from graph_model.entities import RESERVED, Credit, Edge, Node, layered_edge, layered_node
from graph_model.provenance import TLP, Provenance
from graph_model.views import edge_view

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
        "date_added": prov.date_added,
        "created": prov.created,
        "modified": prov.modified,
    }


def _prov(row: Mapping[str, Any]) -> Provenance:
    return Provenance(
        sources=frozenset(row["sources"]),
        first_seen=row.get("first_seen"),
        last_seen=row.get("last_seen"),
        confidence=int(row["confidence"]),
        tlp=_LEVELS[int(row["tlp_rank"])],
        date_added=row.get("date_added"),
        created=row.get("created"),
        modified=row.get("modified"),
    )


def _props(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (sorted(v) if isinstance(v, list) else v) for k, v in row.items() if k not in RESERVED}


# A node or edge whose sources carry several markings is stored as the merge of them all (what a RED
# caller sees, and what the full-text index holds) with ``tlp_rank`` the lowest level - the one stores
# filter on - and ``levels``: a JSON text of what each level contributed, from which reads build the
# caller's view (``graph_model.views``). The common single-level row has no ``levels``.
# A node's ``stated`` (which sources stated each property, ``Node.stated``) is a JSON text of property ->
# sorted sources, only for the properties not stated by every source of the node (no ``stated`` when there
# is none: a node from one source, or from sources that agree); inside ``levels``, each level's own. An
# edge's ``stated`` (``Edge.stated``) is the same for its properties; an edge stored before edges had one
# (layout 5 as first written) has none, which reads as every source of it having stated every property.


def _level_prov(part: Mapping[str, Any], level: TLP) -> Provenance:
    return Provenance(
        sources=frozenset(part["sources"]),
        first_seen=part.get("first_seen"),
        last_seen=part.get("last_seen"),
        confidence=int(part["confidence"]),
        tlp=level,
        date_added=part.get("date_added"),
        created=part.get("created"),
        modified=part.get("modified"),
    )


def _stated_row(stated: Credit) -> dict[str, list[str]]:
    return {name: sorted(sources) for name, sources in stated.items()}


def _stated(value: Any) -> Credit | None:
    """``Node.stated`` from its stored form (JSON text at the top of a row, a map inside ``levels``)."""
    if value is None:
        return None
    found = orjson.loads(value) if isinstance(value, str) else value
    return {name: frozenset(sources) for name, sources in found.items()}


def _node_levels(node: Node) -> str:
    assert node.levels is not None
    return orjson.dumps(
        {
            str(int(level)): {
                "type": part.type,
                "name": part.name,
                "ids": list(part.ids),
                "props": part.props,
                **_prov_row(part.prov),
                **({"stated": _stated_row(part.stated)} if part.stated else {}),
            }
            for level, part in node.levels.items()
        }
    ).decode()


def _read_node_levels(key: str, kind: str, text: str) -> Node:
    levels: dict[TLP, Node] = {}
    for rank, part in orjson.loads(text).items():
        level = _LEVELS[int(rank)]
        props = {k: (sorted(v) if isinstance(v, list) else v) for k, v in part["props"].items()}
        prov = _level_prov(part, level)
        levels[level] = Node(
            key,
            kind,
            part["type"],
            part["name"],
            prov,
            props,
            tuple(part["ids"]),
            stated=_stated(part.get("stated")),
        )
    return layered_node(levels)


def node_row(node: Node) -> dict[str, Any]:
    row = {
        **node.props,
        "key": node.key,
        "kind": node.kind,
        "type": node.type,
        "name": node.name,
        "ids": list(node.ids),
        **_prov_row(node.prov),
    }
    if node.stated:
        row["stated"] = orjson.dumps(_stated_row(node.stated)).decode()
    if node.levels is not None:
        row["tlp_rank"] = int(min(node.levels))
        row["levels"] = _node_levels(node)
    return row


def row_node(row: Mapping[str, Any]) -> Node:
    """The stored node (with its levels, if any): reads pass it through ``views.node_view``."""
    levels = row.get("levels")
    if levels is not None:
        return _read_node_levels(row["key"], row["kind"], levels)
    return Node(
        key=row["key"],
        kind=row["kind"],
        type=row["type"],
        name=row["name"],
        prov=_prov(row),
        props=_props(row),
        ids=tuple(row["ids"]),
        stated=_stated(row.get("stated")),
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
    data["tlp"] = _LABELS[edge.prov.tlp]  # the label of the merge of every level
    return data


def edge_fields(edge: Edge) -> dict[str, Any]:
    """An edge's properties and provenance, without its TLP label (which ``tlp_rank`` gives) or what
    identifies it: what every store keeps of an edge beside its type, ends and discriminator."""
    prov = edge.prov
    sources = prov.sources
    fields = {
        **edge.props,
        "sources": sorted(sources) if len(sources) > 1 else list(sources),
        "first_seen": prov.first_seen,
        "last_seen": prov.last_seen,
        "confidence": prov.confidence,
        "tlp_rank": int(prov.tlp),
        "date_added": prov.date_added,
    }
    if prov.created is not None:
        fields["created"] = prov.created
    if prov.modified is not None:
        fields["modified"] = prov.modified
    if edge.stated:
        fields["stated"] = orjson.dumps(_stated_row(edge.stated)).decode()
    if edge.levels is not None:
        fields["tlp_rank"] = int(min(edge.levels))
        fields["levels"] = orjson.dumps(
            {
                str(int(level)): {
                    "props": part.props,
                    **_prov_row(part.prov),
                    **({"stated": _stated_row(part.stated)} if part.stated else {}),
                }
                for level, part in edge.levels.items()
            }
        ).decode()
    return fields


def seen_by(edge: Edge) -> tuple[list[str], list[str]]:
    """The first and last seen dates of an edge with sources at several levels as each clearance sees
    it (``graph_model.views``), indexed by TLP rank, '' where that view has no date or no view exists:
    what lets a store filter by the caller's dates without reading the levels."""
    views = [edge_view(edge, level) for level in TLP]
    return (
        [(view.prov.first_seen or "") if view else "" for view in views],
        [(view.prov.last_seen or "") if view else "" for view in views],
    )


def row_edge(row: Mapping[str, Any]) -> Edge:
    """The stored edge (with its levels, if any): reads pass it through ``views.edge_view``."""
    etype, source, target = row["type"], row["source"], row["target"]
    discriminator = row.get("discriminator") or ""
    levels = row.get("levels")
    if levels is not None:
        parts: dict[TLP, Edge] = {}
        for rank, part in orjson.loads(levels).items():
            level = _LEVELS[int(rank)]
            props = {k: (sorted(v) if isinstance(v, list) else v) for k, v in part["props"].items()}
            stated = _stated(part.get("stated"))
            parts[level] = Edge(
                etype, source, target, _level_prov(part, level), props, discriminator, stated=stated
            )
        return layered_edge(parts)
    return Edge(
        type=etype,
        source=source,
        target=target,
        prov=_prov(row),
        props=_props(row),
        discriminator=discriminator,
        stated=_stated(row.get("stated")),
    )


_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Search tokens, the same for both stores: runs of word characters, case-folded."""
    return _WORD.findall(text.casefold())


def search_text(node: Node, fields: tuple[str, ...]) -> str:
    """The words full-text search sees for a node: name, aliases and the kind's searchable fields.

    For a stored node with several marking levels, the words of every level too (a name one level gives
    may lose to another's in the merge, yet it is the name a caller seeing only that level searches by);
    hits are checked against the caller's view (:func:`shows`).
    """
    text = _words_of(node, fields)
    if node.levels is None:
        return text
    found = dict.fromkeys(text.split())
    for part in node.levels.values():
        found.update(dict.fromkeys(_words_of(part, fields).split()))
    return " ".join(found)


def _words_of(node: Node, fields: tuple[str, ...]) -> str:
    parts = [node.name]
    for name in fields:
        value = node.props.get(name)
        if isinstance(value, list):
            parts.extend(str(v) for v in value)
        elif value is not None:
            parts.append(str(value))
    return " ".join(words(" ".join(parts)))


def shows(node: Node, fields: tuple[str, ...], tokens: list[str]) -> bool:
    """Whether every search token is a prefix of a word of ``node`` (a caller's view) - how search checks
    a hit whose stored words include some from sources above the caller's clearance."""
    have = search_text(node, fields).split()
    return all(any(w.startswith(t) for w in have) for t in tokens)
