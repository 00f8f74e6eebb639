"""The CSV files of a synthetic ecosystem, written row by row, and the counts of what they hold."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import IO, Any

from graph_model.words import plural
from loaders.csv_tables import BY_NAME

# File name -> (CSV table, columns written). Columns must be columns of that table.
FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "actors.csv": (
        "actors",
        ("actor", "type", "aliases", "roles", "country", "status", "member_of", "confidence"),
    ),
    "forums.csv": (
        "forums",
        ("forum", "type", "url", "escrow", "admins", "escrow_admins", "language", "hosted_on"),
    ),
    "infrastructure.csv": (
        "infrastructure",
        (
            "type",
            "value",
            "resolves_to",
            "belongs_to",
            "operated_by",
            "bulletproof",
            "country",
            "as_name",
            "status",
        ),
    ),
    "wallets.csv": ("wallets", ("chain", "address", "owner", "service", "service_type", "cluster")),
    "activity.csv": (
        "activity",
        ("actor", "forum", "relation", "posts", "threads", "product", "first_seen", "last_seen"),
    ),
    "threads.csv": ("threads", ("thread_id", "forum", "title", "author", "posted_at")),
    "posts.csv": ("posts", ("post_id", "thread_id", "forum", "author", "posted_at")),
    "transactions.csv": (
        "transactions",
        ("tx_id", "output_index", "from", "to", "amount", "asset", "amount_usd", "time"),
    ),
    "edges.csv": (
        "edges",
        (
            "source_kind",
            "source_type",
            "source",
            "type",
            "target_kind",
            "target_type",
            "target",
            "confidence",
        ),
    ),
}


class Output:
    """Open writers for every file, and counters of rows, nodes (by kind and type) and edges (by type).

    Callers count each node and edge once, when they write the row that creates it.
    """

    def __init__(self, out_dir: Path, files: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.dir = out_dir
        self._files = FILES if files is None else files
        self.rows: Counter[str] = Counter()
        self.nodes: Counter[str] = Counter()
        self.node_types: Counter[str] = Counter()
        self.edges: Counter[str] = Counter()
        self._handles: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        self._width: dict[str, int] = {}
        for name, (table, columns) in self._files.items():
            unknown = set(columns) - set(BY_NAME[table].columns)
            if unknown:
                raise ValueError(
                    f"{name}: {table} has no {plural(len(unknown), 'column')} {', '.join(sorted(unknown))}"
                )
            handle = (out_dir / name).open("w", encoding="utf-8", newline="")
            self._handles[name] = handle
            self._writers[name] = csv.writer(handle, lineterminator="\n")
            self._writers[name].writerow(columns)
            self._width[name] = len(columns)

    def write(self, name: str, row: tuple[Any, ...]) -> None:
        """Write a row; trailing empty cells may be left out. Booleans are written ``true``/``false``."""
        missing = self._width[name] - len(row)
        if missing < 0:
            raise ValueError(f"{name}: {len(row)} cells for {self._width[name]} columns")
        cells = [("true" if c else "false") if isinstance(c, bool) else c for c in row]
        self._writers[name].writerow(cells + [""] * missing if missing else cells)
        self.rows[name] += 1

    def node(self, kind: str, type_: str, count: int = 1) -> None:
        self.nodes[kind] += count
        self.node_types[f"{kind}/{type_}"] += count

    def edge(self, type_: str, count: int = 1) -> None:
        self.edges[type_] += count

    @property
    def files(self) -> list[Path]:
        return [self.dir / name for name in self._files]

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
