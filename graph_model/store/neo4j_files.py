"""The Neo4j store's layout as files ``neo4j-admin database import full`` reads.

Rows are built by the store's own functions (:func:`graph_model.store.neo4j_store.node_params` and
:func:`~graph_model.store.neo4j_store.edge_params`, over ``graph_model.store.codec``) and their columns
are the store's own (``cypher`` field lists and the schema's properties), so a database imported from
these files holds what the online store writes: entities labelled ``Entity`` and their kind, keyed by
their key, with every marking level, ``date_added`` and the full-text words; relationships of the
schema's types; the identifiers (``EntityId``), the edges waiting for an endpoint (``PendingEdge``), the
write counter and the state records.

One node file per kind and one relationship file per type, each with its header (``key:ID(Entity)``,
``:LABEL``, ``:START_ID(Entity)``, ``:END_ID(Entity)``, ``:TYPE``, typed properties, arrays joined with
``;``); every text is quoted, so values may hold commas, quotes and line breaks (import with
``--multiline-fields=true``). An array element holding ``;`` cannot be written (the importer's array
delimiter): :class:`~graph_model.errors.InvalidArgument` names it.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from graph_model.entities import Edge, Node
from graph_model.errors import InvalidArgument
from graph_model.model import Model
from graph_model.provenance import TLP
from graph_model.store import cypher
from graph_model.store.base import state_value
from graph_model.store.codec import edge_row
from graph_model.store.neo4j_store import edge_params, node_params, state_id
from graph_model.store.staging import Stored

ID_SPACE = "Entity"
ARRAY_DELIMITER = ";"
# The importer's types for the schema's (datetime: ISO text, as the online store keeps it).
_TYPES = {
    "string": "string",
    "text": "string",
    "datetime": "string",
    "integer": "long",
    "number": "double",
    "boolean": "boolean",
    "string[]": "string[]",
    "integer[]": "long[]",
}
# The stored fields beside the schema's properties, with their types (``cypher._NODE_FIELDS`` and
# ``cypher._EDGE_FIELDS``, in that order).
_FIXED = {
    "key": "string",
    "kind": "string",
    "type": "string",
    "name": "string",
    "ids": "string[]",
    "sources": "string[]",
    "first_seen": "string",
    "last_seen": "string",
    "date_added": "string",
    "created": "string",
    "modified": "string",
    "confidence": "long",
    "tlp": "string",
    "tlp_rank": "long",
    "levels": "string",
    "stated": "string",
    "search_text": "string",
    "discriminator": "string",
    "first_seen_by": "string[]",
    "last_seen_by": "string[]",
}


_COUNTER = [("id", "long"), ("epoch", "string"), ("seq", "long"), ("version", "long")]


@dataclass(frozen=True, slots=True)
class ImportFile:
    """One file for the importer: its name, whether it holds nodes or relationships, its lines (a header,
    then one a row) and how many rows they are."""

    name: str
    group: str  # "nodes" or "relationships"
    lines: Iterator[str]
    rows: int = 0


def _text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _array(name: str, values: Iterable[Any]) -> str:
    items = []
    for value in values:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if ARRAY_DELIMITER in text:
            raise InvalidArgument(
                f"{name}: the list value {text!r} holds {ARRAY_DELIMITER!r}, the importer's array "
                "delimiter; load this data with `crimegraph load` instead"
            )
        items.append(text)
    return _text(ARRAY_DELIMITER.join(items))


def field(name: str, value: Any) -> str:
    """One value as the importer reads it: empty for none (no property), text quoted, arrays joined."""
    kind = type(value)
    if kind is str:
        return _text(value)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return repr(value)
    if isinstance(value, list | tuple | set | frozenset):
        return _array(name, value)
    return _text(str(value))


def _string(name: str, value: Any) -> str:
    return _text(value) if type(value) is str else field(name, value)


def _number(name: str, value: Any) -> str:
    kind = type(value)
    return repr(value) if kind is int or kind is float else field(name, value)


def _texts(name: str, value: Any) -> str:
    """A list of texts joined at once (checked for the delimiter by counting it); anything else by
    ``field``."""
    kind = type(value)
    if kind is list or kind is tuple:
        try:
            joined = ARRAY_DELIMITER.join(value)
        except TypeError:  # not all texts
            return field(name, value)
        if value and joined.count(ARRAY_DELIMITER) == len(value) - 1:
            return _text(joined)
    return field(name, value)


# How a cell of each importer type is written: the common value at once, anything else by ``field``.
_FORMATS: dict[str, Callable[[str, Any], str]] = {
    "string": _string,
    "long": _number,
    "double": _number,
    "string[]": _texts,
}


def _cells(columns: list[tuple[str, str]]) -> list[tuple[str, Callable[[str, Any], str]]]:
    return [(name, _FORMATS.get(kind, field)) for name, kind in columns]


def _columns(fixed: Iterable[str], declared: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(property, importer type) for the stored fields and the schema's properties."""
    columns = [(name, _FIXED[name]) for name in fixed]
    taken = {name for name, _ in columns}
    for name in sorted(declared):
        if name not in taken:
            columns.append((name, _TYPES.get(declared[name].type, "string")))
    return columns


def _header(lead: list[str], columns: list[tuple[str, str]]) -> str:
    return ",".join([*lead, *(name if kind == "string" else f"{name}:{kind}" for name, kind in columns)])


def node_columns(model: Model, kind: str) -> list[tuple[str, str]]:
    fixed = [f for f in cypher.STORED_NODE_FIELDS if f != "key"]
    return _columns(fixed, model.nodes[kind].properties)


def edge_columns(model: Model, edge_type: str) -> list[tuple[str, str]]:
    return _columns(cypher.STORED_EDGE_FIELDS, model.edges[edge_type].properties)


class _NodeFormat:
    """How the rows of one node kind are written (:func:`_node_lines`, :meth:`RowsAhead.write_ahead`)."""

    def __init__(self, model: Model, kind: str) -> None:
        self.model = model
        self.columns = node_columns(model, kind)
        labels = _text(f"{cypher.ENTITY};{kind}")
        # Most of a kind's columns are empty on most rows: a row starts empty and only the values its
        # node has are written, each into its column (a row holds no field twice and nothing outside the
        # columns but its key, written first).
        self.place = {name: (at, write) for at, (name, write) in enumerate(_cells(self.columns), 2)}
        self.empty = ["", labels, *([""] * len(self.columns))]

    def header(self) -> str:
        return _header([f"key:ID({ID_SPACE})", ":LABEL"], self.columns)

    def line(self, node: Node) -> str:
        row = node_params(self.model, node)  # the online store's row
        line = self.empty.copy()
        line[0] = field("key", row["key"])
        place = self.place
        for name, value in row.items():
            if value is not None and (found := place.get(name)) is not None:
                at, write = found
                line[at] = write(name, value)
        return ",".join(line)


def _node_lines(model: Model, kind: str, nodes: list[Node], ahead: RowsAhead | None = None) -> Iterator[str]:
    return _lines(_NodeFormat(model, kind), nodes, ahead.node_rows if ahead is not None else {})


def _lines(form: Any, items: list[Any], ahead: dict[int, tuple[Any, str]]) -> Iterator[str]:
    """The header and rows of ``form``'s file: each item's row written ahead if it was, else now."""
    yield form.header()
    if not ahead:
        yield from map(form.line, items)
        return
    for item in items:
        found = ahead.get(id(item))
        yield found[1] if found is not None and found[0] is item else form.line(item)


# The stored fields of a relationship in column order (``cypher.STORED_EDGE_FIELDS``), as
# :meth:`_EdgeFormat.plain_line` writes them for the common edge: one marking level, every source stating
# every property (no ``levels``, ``stated``, ``first_seen_by`` or ``last_seen_by``).
_PLAIN_EDGE = (
    "discriminator",
    "sources",
    "first_seen",
    "last_seen",
    "date_added",
    "created",
    "modified",
    "confidence",
    "tlp_rank",
    "levels",
    "stated",
    "first_seen_by",
    "last_seen_by",
)

# How a declared property's cell is written by :meth:`_EdgeFormat.plain_line`: text quoted, a number as
# ``repr`` (inline, as ``_string`` and ``_number`` write them), anything else by its cell writer.
_TEXT, _NUMBER, _OTHER = 0, 1, 2
_INLINE = {"string": _TEXT, "long": _NUMBER, "double": _NUMBER}


class _EdgeFormat:
    """How the rows of one relationship type are written (:func:`_edge_lines`)."""

    def __init__(self, model: Model, edge_type: str) -> None:
        self.columns = edge_columns(model, edge_type)
        self.label = _text(edge_type)
        self.cells = _cells(self.columns)
        fixed = len(_PLAIN_EDGE)
        self.plain = tuple(name for name, _ in self.columns[:fixed]) == _PLAIN_EDGE
        self.declared = tuple(
            (name, _INLINE.get(kind, _OTHER), write)
            for (name, kind), (_, write) in zip(self.columns[fixed:], self.cells[fixed:], strict=True)
        )
        self.ranks = {level: repr(int(level)) for level in TLP}

    def header(self) -> str:
        return _header([f":START_ID({ID_SPACE})", f":END_ID({ID_SPACE})", ":TYPE"], self.columns)

    def line(self, edge: Edge) -> str:
        found = self.plain_line(edge) if self.plain else None
        if found is not None:
            return found
        row = edge_params(edge, edge.source, edge.target)
        get = row.get
        line = [_text(edge.source), _text(edge.target), self.label]
        line += ["" if (value := get(name)) is None else write(name, value) for name, write in self.cells]
        return ",".join(line)

    def plain_line(self, edge: Edge) -> str | None:
        """The common edge's row (one marking level, every source stating every property, texts and
        numbers where the columns say so) in one pass, without the row's dict, each cell as the cell
        writers make it; None for any other edge (several levels, credits, a source holding the array
        delimiter, a value of another type: the general path writes or refuses it)."""
        if edge.levels is not None or edge.stated:
            return None
        prov = edge.prov
        sources, confidence, rank = prov.sources, prov.confidence, self.ranks.get(prov.tlp)
        if type(confidence) is not int or rank is None:
            return None
        if len(sources) == 1:
            (only,) = sources
            if type(only) is not str or ARRAY_DELIMITER in only:
                return None
            listed = _text(only)
        else:
            listed = _array("sources", sorted(sources))
        discriminator = edge.discriminator
        first, last, added = prov.first_seen, prov.last_seen, prov.date_added
        created, modified = prov.created, prov.modified
        q, qq = '"', '""'
        try:  # a value of another type than text where text is written: the general path
            cells = [
                q + edge.source.replace(q, qq) + q,
                q + edge.target.replace(q, qq) + q,
                self.label,
                q + discriminator.replace(q, qq) + q if discriminator else "",
                listed,
                "" if first is None else q + first.replace(q, qq) + q,
                "" if last is None else q + last.replace(q, qq) + q,
                "" if added is None else q + added.replace(q, qq) + q,
                "" if created is None else q + created.replace(q, qq) + q,
                "" if modified is None else q + modified.replace(q, qq) + q,
                repr(confidence),
                rank,
                "",
                "",
                "",
                "",
            ]
            get = edge.props.get
            for name, how, write in self.declared:
                value = get(name)
                if value is None:
                    cells.append("")
                elif how == _TEXT and type(value) is str:
                    cells.append(q + value.replace(q, qq) + q)
                elif how == _NUMBER and (type(value) is float or type(value) is int):
                    cells.append(repr(value))
                else:
                    cells.append(write(name, value))
        except (TypeError, AttributeError):
            return None
        return ",".join(cells)


_TYPE, _KIND = attrgetter("type"), attrgetter("kind")


class RowsAhead:
    """Rows written ahead: a bulk load's merging process writes the rows of the edges, then of the nodes,
    it stores while it waits for the next batch of records (:meth:`write_ahead`), so that fewer are left
    to write once the merge is done. A row is kept with the object it was written from and used only for
    that very object: a stored edge or node is never changed in place (a merge or a renamed end stores a
    new object), so a row found is the row that object gives."""

    CHUNK = 2_000  # rows written per call of write_ahead

    def __init__(self, model: Model) -> None:
        self.model = model
        self.waiting: list[Edge] = []  # stored edges without a row yet (the store appends them)
        self.rows: dict[int, tuple[Edge, str]] = {}
        self._formats: dict[str, _EdgeFormat] = {}
        self.nodes_waiting: list[Node] = []  # stored nodes without a row yet (the store appends them)
        self.node_rows: dict[int, tuple[Node, str]] = {}
        self._node_formats: dict[str, _NodeFormat] = {}

    def clear(self) -> None:
        """Let go of every row (once the files are written)."""
        self.rows.clear()
        self.node_rows.clear()

    def write_ahead(self) -> bool:
        """Write the rows of a few waiting edges, else nodes; whether there were any."""
        if self.waiting:
            self._write(self.waiting, self.rows, self._formats, _EdgeFormat, _TYPE)
        elif self.nodes_waiting:
            self._write(self.nodes_waiting, self.node_rows, self._node_formats, _NodeFormat, _KIND)
        else:
            return False
        return True

    def _write(
        self,
        waiting: list[Any],
        rows: dict[int, tuple[Any, str]],
        formats: dict[str, Any],
        make: Callable[[Model, str], Any],
        sort: Callable[[Any], str],
    ) -> None:
        chunk = waiting[-self.CHUNK :]
        del waiting[-self.CHUNK :]
        for item in chunk:
            name = sort(item)
            found = formats.get(name)
            if found is None:
                found = formats[name] = make(self.model, name)
            rows[id(item)] = (item, found.line(item))


def _edge_lines(
    model: Model, edge_type: str, edges: list[Edge], ahead: RowsAhead | None = None
) -> Iterator[str]:
    return _lines(_EdgeFormat(model, edge_type), edges, ahead.rows if ahead is not None else {})


def _simple(label: str, columns: list[tuple[str, str]], rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    yield _header([":LABEL"], columns)
    for row in rows:
        yield ",".join([_text(label), *(field(name, row.get(name)) for name, _ in columns)])


def import_files(
    model: Model,
    stored: Stored,
    *,
    state: Iterable[tuple[str, str, Mapping[str, Any]]] = (),
    version: int = 1,
    part_rows: int | None = None,
    ahead: RowsAhead | None = None,
) -> Iterator[ImportFile]:
    """The files that make a database holding ``stored`` (and the ``state`` records: namespace, key,
    value) in the online store's layout; the write counter starts a new epoch at data version ``version``.

    One file per kind and per type; with ``part_rows``, a kind or type with more rows is split into files
    of at most that many, each with its header (``nodes-Wallet.csv``, ``nodes-Wallet.2.csv`` ...), so that
    several processes can write them. With ``ahead``, the rows it wrote ahead are used."""
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for node in stored.nodes.values():
        by_kind[node.kind].append(node)
    for kind in sorted(by_kind):
        for name, part in _parts(f"nodes-{kind}", by_kind[kind], part_rows):
            yield ImportFile(name, "nodes", _node_lines(model, kind, part, ahead), len(part))
    ids = ({"id": i, "key": key} for i, key in stored.ids.items())
    yield ImportFile(
        f"nodes-{cypher.IDENTIFIER}.csv",
        "nodes",
        _simple(cypher.IDENTIFIER, [("id", "string"), ("key", "string")], ids),
        len(stored.ids),
    )
    pending = (
        {"key": key, "source": e.source, "target": e.target, "data": json.dumps(edge_row(e))}
        for key, e in stored.pending.items()
    )
    yield ImportFile(
        f"nodes-{cypher.PENDING}.csv",
        "nodes",
        _simple(cypher.PENDING, [(c, "string") for c in ("key", "source", "target", "data")], pending),
        len(stored.pending),
    )
    counter = {
        "id": 0,
        "epoch": str(uuid.uuid4()),
        "seq": version,
        "version": version,
        "layout": cypher.LAYOUT,
    }
    yield ImportFile(
        f"nodes-{cypher.WRITES}.csv",
        "nodes",
        _simple(
            cypher.WRITES,
            [("id", "long"), ("epoch", "string"), ("seq", "long"), ("version", "long"), ("layout", "long")],
            [counter],
        ),
    )
    records = (
        {"id": state_id(ns, key), "namespace": ns, "key": key, "value": state_value(dict(value))}
        for ns, key, value in state
    )
    yield ImportFile(
        f"nodes-{cypher.STATE}.csv",
        "nodes",
        _simple(cypher.STATE, [(c, "string") for c in ("id", "namespace", "key", "value")], records),
    )
    by_type: dict[str, list[Any]] = defaultdict(list)
    for edge in stored.edges.values():
        by_type[edge.type].append(edge)
    for edge_type in sorted(by_type):
        for name, part in _parts(f"relationships-{edge_type}", by_type[edge_type], part_rows):
            yield ImportFile(name, "relationships", _edge_lines(model, edge_type, part, ahead), len(part))


def _parts(stem: str, items: list[Any], size: int | None) -> Iterator[tuple[str, list[Any]]]:
    """``items`` in parts of at most ``size`` (all at once without), each with its file name."""
    if size is None or len(items) <= size:
        yield f"{stem}.csv", items
        return
    for number, start in enumerate(range(0, len(items), size), 1):
        yield (f"{stem}.csv" if number == 1 else f"{stem}.{number}.csv"), items[start : start + size]
