"""Adjacency-matrix CSV (the UCINET covert-network matrices): labels in the first row and column.

A cell is the tie value, 0 (or blank) for none. When the row labels are the column labels the matrix
is one-mode and is symmetrised - a tie where either cell is non-zero, weighted by the larger value -
streaming row by row and holding only the non-zero cells above the diagonal until their mirror row
arrives. Otherwise it is two-mode: rows are persons, columns the events or groups they belong to.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from graph_model.entities import Node
from graph_model.errors import ValidationError
from loaders.records import LoadContext, Record, location
from loaders.tabular import Row, csv_rows, number

if TYPE_CHECKING:
    from loaders.edgelist import Network


def _row_labels(path: Path) -> list[str]:
    rows = csv_rows(path, header=False, comments=())
    next(rows)
    return [row.cells[0].strip() if row.cells else "" for row in rows]


def _cells(row: Row, width: int) -> list[float]:
    """The tie values of a data row; ValueError naming the first bad column."""
    values = []
    for column, cell in enumerate(row.cells[1 : width + 1], start=1):
        values.append(number(cell, f"column {column + 1}") if cell.strip() else 0.0)
    return values


def matrix_records(path: Path, ctx: LoadContext, network: Network) -> Iterator[Record]:
    """Vertex records, then tie (one-mode) or membership (two-mode) records, row by row."""
    rows = csv_rows(path, header=False, comments=())
    header = next(rows)
    columns = [cell.strip() for cell in header.cells[1:]]
    two_mode = _row_labels(path) != columns
    column_nodes: list[Node | None] = [None] * len(columns)
    if two_mode:
        for i, label in enumerate(columns):
            node = network.vertex(label, ctx.prov(header.line), second_mode=True)
            column_nodes[i] = node
            yield Record(location(path, header.line), "vertex", [node], raw=label)
    # Non-zero cells above the diagonal, waiting for their mirror row; a rejected row loses its ties.
    upper: dict[tuple[int, int], float] = {}
    row_nodes: dict[int, Node] = {}
    for r, row in enumerate(rows):
        where = location(path, row.line)
        if row.error or len(row.cells) != len(columns) + 1:
            error = row.error or f"expected {len(columns) + 1} cells, found {len(row.cells)}"
            yield Record(where, "vertex", error=error, raw=row.text)
            continue
        try:
            prov = ctx.prov(row.line)
            person = network.vertex(row.cells[0].strip(), prov)
            values = _cells(row, len(columns))
        except (ValueError, ValidationError) as exc:
            yield Record(where, "vertex", error=str(exc), raw=row.text)
            continue
        yield Record(where, "vertex", [person], raw=row.text)
        row_nodes[r] = person
        for c, value in enumerate(values):
            if two_mode:
                target = column_nodes[c]
                if value and target is not None:
                    yield network.record(row.line, person, target, value, row.text)
            elif c > r:
                if value:
                    upper[(r, c)] = value
            elif c < r and c in row_nodes:
                mirror = upper.pop((c, r), 0.0)
                if value or mirror:
                    yield network.record(row.line, row_nodes[c], person, max(value, mirror), row.text)
