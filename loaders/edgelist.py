"""Social and covert networks: whitespace edge lists, ``source,target[,weight]`` CSV, adjacency matrices.

Every vertex is an Actor/person named by its label (or id) in the file; every tie an ASSOCIATES_WITH
edge with a ``weight`` (1 when the file has none). Ties are undirected unless a KONECT header says
``asym``: the two endpoints are ordered by key, so A-B and B-A rows are one edge. Self-loops are
dropped (the vertex is kept); a pair listed again is kept once, and when its weights differ the largest
is kept - each counted and named in the load summary's warnings. In a two-mode (affiliation) network,
the second mode - summits, events, organisations - becomes Actor/group and each tie a MEMBER_OF edge from
the person to it.

Vertex ids mean nothing outside their network, so a vertex's value is ``<dataset>/<id>``, or
``<dataset>/<network>/<id>`` when the dataset name is not the file's own (several networks loaded
under one ``--source``): ids of different networks never merge.

Shapes, told apart by the file:
- ``*.txt`` and other text: ``u v [weight | {networkx data}]`` per line, ``%``/``#`` comments; a first
  line ``N M`` followed by exactly M edge lines is a size header (GND's ``BenchmarkNetwork.txt``).
- CSV with a ``source,target[,weight]`` header; a sibling ``<name>__nodes.csv`` (the UCINET covert
  collection) gives each id its ``name`` and, in two-mode graphs, its ``type`` (TRUE = second mode).
- CSV whose first header cell is empty: an adjacency matrix (see :mod:`loaders.adjacency`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph_model.entities import Edge, Node, make_node
from graph_model.provenance import Provenance
from loaders.adjacency import matrix_records
from loaders.network_shape import Shape, sniff
from loaders.records import LoadContext, Record, location
from loaders.rows import Items, row_records
from loaders.tabular import Row, csv_rows, first_record, number, open_source

EDGE_COLUMNS = ("source", "target")
COMMENTS = ("%", "#")


class Network:
    """Makes the vertices and ties of one network file, with the file's naming and direction."""

    def __init__(self, path: Path, ctx: LoadContext, *, directed: bool = False) -> None:
        self.path = path
        self.ctx = ctx
        self.directed = directed
        name = path.stem.removesuffix("__edges")
        self.prefix = ctx.dataset if ctx.dataset in (name, path.stem) else f"{ctx.dataset}/{name}"
        self.weights: dict[tuple[str, str, str], float] = {}  # the weight kept for each tie so far

    def vertex(self, vid: str, prov: Provenance, *, label: str = "", second_mode: bool = False) -> Node:
        kind = "group" if second_mode else "person"
        return make_node(self.ctx.model, "Actor", kind, f"{self.prefix}/{vid}", prov=prov, name=label or vid)

    def tie(self, a: Node, b: Node, weight: float, prov: Provenance) -> Edge:
        if a.type != b.type:
            person, group = (a, b) if a.type == "person" else (b, a)
            return Edge(
                "MEMBER_OF", person.key, group.key, prov, {"weight": weight, "relation": "affiliation"}
            )
        source, target = (a.key, b.key) if self.directed else sorted((a.key, b.key))
        return Edge("ASSOCIATES_WITH", source, target, prov, {"weight": weight})

    def record(self, line: int, a: Node, b: Node, weight: float, raw: Any) -> Record:
        where = location(self.path, line)
        if a.key == b.key:
            return Record(where, "self-loop", [a], raw=raw, warnings=(SELF_LOOP,))
        edge = self.tie(a, b, weight, a.prov)
        kind = "tie" if edge.type == "ASSOCIATES_WITH" else "membership"
        pair = (edge.type, edge.source, edge.target)
        seen = self.weights.get(pair)
        if seen is None:
            self.weights[pair] = weight
            return Record(where, kind, [a, b, edge], raw=raw)
        if seen == weight:
            return Record(where, kind, [a, b, edge], raw=raw, warnings=(DUPLICATE,))
        kept = max(seen, weight)
        self.weights[pair] = kept
        edge = self.tie(a, b, kept, a.prov)
        return Record(where, kind, [a, b, edge], raw=raw, warnings=(CONFLICT,))


TWO_IDS = "expected two vertex ids"
SELF_LOOP = "self-loop dropped (a tie of a vertex with itself; the vertex is kept)"
DUPLICATE = "duplicate pair: the same tie listed again, kept once"
CONFLICT = "conflicting weights: the same pair listed again with another weight, the largest kept"


def _weight(rest: list[str]) -> float:
    """The weight in what follows ``u v``: a number, a networkx data dict, or nothing (1)."""
    if not rest:
        return 1.0
    if rest[0].startswith("{"):
        try:
            data = ast.literal_eval(" ".join(rest))
        except (ValueError, SyntaxError):
            raise ValueError(f"unreadable edge data: {' '.join(rest)!r}") from None
        if not isinstance(data, dict):
            raise ValueError(f"edge data is not a dict: {' '.join(rest)!r}")
        return number(str(data.get("weight", 1)), "weight")
    return number(rest[0], "weight")


def _konect_directed(path: Path) -> bool:
    """KONECT files open with ``% sym …`` or ``% asym …``; only ``asym`` is directed."""
    with open_source(path) as handle:
        first = handle.readline().decode("utf-8", errors="replace").strip()
    words = first.lstrip("%").split() if first.startswith("%") else []
    return bool(words) and words[0] in ("asym", "directed")


def _size_header(path: Path) -> bool:
    """Whether the first record is an ``N M`` header: then exactly M edges follow, on ids 1..N."""
    rows = csv_rows(path, header=False, delimiter=None, comments=COMMENTS)
    first = next(rows)
    if first.error or len(first.cells) != 2 or not all(c.isdigit() for c in first.cells):
        return False
    size, count = int(first.cells[0]), 0
    for row in rows:
        ids = row.cells[:2]
        if len(ids) < 2 or not all(v.isdigit() and int(v) <= size for v in ids):
            return False
        count += 1
    return count == int(first.cells[1])


def _whitespace(path: Path, ctx: LoadContext, *, header: bool = False) -> Iterator[Record]:
    network = Network(path, ctx, directed=_konect_directed(path))
    rows = csv_rows(path, header=False, delimiter=None, comments=COMMENTS)
    if header or _size_header(path):
        next(rows)

    def tie(row: Row) -> Record:
        if len(row.cells) < 2:
            raise ValueError(TWO_IDS)
        weight = _weight(list(row.cells[2:]))
        prov = ctx.prov(row.line)
        a, b = (network.vertex(v, prov) for v in row.cells[:2])
        return network.record(row.line, a, b, weight, row.text)

    yield from row_records(path, "tie", rows, tie)


def _vertices(path: Path, network: Network, labels: dict[str, tuple[str, bool]]) -> Iterator[Record]:
    """The ``__nodes.csv`` beside an edge file: one record per vertex; fills ``labels``."""

    def vertex(row: Row) -> Items:
        vid, label = row["id"].strip(), row.get("name").strip()
        second = row.get("type").strip().lower() in ("true", "1")
        prov = network.ctx.prov(f"{path.name}:{row.line}")
        node = network.vertex(vid, prov, label=label, second_mode=second)
        labels[vid] = (label, second)
        return [node]

    yield from row_records(path, "vertex", csv_rows(path, required=("id",)), vertex)


def _known(network: Network, vid: str, prov: Provenance, labels: dict[str, tuple[str, bool]]) -> Node:
    label, second = labels.get(vid, ("", False))
    return network.vertex(vid, prov, label=label, second_mode=second)


def _edge_csv(path: Path, ctx: LoadContext) -> Iterator[Record]:
    network = Network(path, ctx)
    labels: dict[str, tuple[str, bool]] = {}
    nodes_file = path.with_name(path.name.removesuffix("__edges.csv") + "__nodes.csv")
    if path.name.endswith("__edges.csv") and nodes_file.is_file():
        yield from _vertices(nodes_file, network, labels)

    def tie(row: Row) -> Record:
        weight = number(row["weight"], "weight") if row.get("weight").strip() else 1.0
        prov = ctx.prov(row.line)
        a, b = (_known(network, v, prov, labels) for v in (row["source"].strip(), row["target"].strip()))
        return network.record(row.line, a, b, weight, row.text)

    yield from row_records(path, "tie", csv_rows(path, required=EDGE_COLUMNS), tie)


def _delimited(path: Path, ctx: LoadContext, shape: Shape) -> Iterator[Record]:
    """A tab, semicolon or comma edge list of any header (or none), in the columns ``shape`` found."""
    network = Network(path, ctx)
    rows = csv_rows(path, header=False, delimiter=shape.delimiter, comments=COMMENTS, strict_width=False)
    if shape.header:
        next(rows)

    def tie(row: Row) -> Record:
        cells = [c.strip() for c in row.cells]
        if len(cells) <= max(shape.source, shape.target):
            raise ValueError(TWO_IDS)
        weighed = shape.weight is not None and len(cells) > shape.weight and cells[shape.weight]
        weight = number(cells[shape.weight], "weight") if weighed and shape.weight is not None else 1.0
        prov = ctx.prov(row.line)
        a, b = (network.vertex(cells[i], prov) for i in (shape.source, shape.target))
        return network.record(row.line, a, b, weight, row.text)

    yield from row_records(path, "tie", rows, tie)


def read(path: Path, ctx: LoadContext) -> Iterator[Record]:
    """One record per vertex (where the file lists them) and per tie; the layout is told from the content."""
    header = [cell.strip() for cell in first_record(path, comments=COMMENTS)]
    if tuple(h.lower() for h in header[:2]) == EDGE_COLUMNS and len(header) >= 2:
        yield from _edge_csv(path, ctx)
        return
    if len(header) >= 2 and header[0] == "":  # a matrix, 1 x 1 included
        yield from matrix_records(path, ctx, Network(path, ctx))
        return
    shape = sniff(path)
    if shape.delimiter is None:
        yield from _whitespace(path, ctx, header=shape.header)
    else:
        yield from _delimited(path, ctx, shape)
