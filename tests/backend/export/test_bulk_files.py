"""A bulk load's files, written by several forked processes, hold exactly what one export writer writes.

(The importer reading them is tested in ``test_neo4j_admin.py``; these need no Neo4j.)
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from backend.export.neo4j_admin import (
    ImportFailed,
    in_processes,
    write_bulk_files,
    write_import_folder,
    writers,
)
from graph_model.errors import InvalidArgument
from graph_model.heap import collection_paused
from graph_model.model import Model
from graph_model.store.neo4j_files import _EdgeFormat
from graph_model.store.staging import StagingStore
from loaders import LoadContext, ingest, reader
from loaders.generate import generate
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory, model: Model) -> StagingStore:
    staging = StagingStore(model)
    for path in generate(tmp_path_factory.mktemp("demo"), 60, 5).tables:
        ingest(staging, reader("csv")(path, LoadContext(model, path.stem)))
    return staging


def _rows(folder: Path, names: list[str]) -> dict[str, list[str]]:
    """Per kind or type (parts joined): the header, then the rows. The write counter's new epoch left out."""
    out: dict[str, list[str]] = {}
    for name in names:
        header, *rows = (folder / name).read_text(encoding="utf-8").split("\n")
        assert rows.pop() == ""  # every row ends with a line break
        whole = out.setdefault(name.split(".")[0], [header])
        assert whole[0] == header
        whole += rows
    out.pop("nodes-CrimegraphWrites", None)
    return out


@pytest.mark.parametrize("workers", [1, 3])
def test_forked_writers_write_what_one_writer_writes(
    staged: StagingStore, tmp_path: Path, workers: int
) -> None:
    one = write_import_folder(tmp_path / "one", staged.model, staged.stored)
    (tmp_path / "bulk").mkdir()
    with collection_paused():
        many = write_bulk_files(tmp_path / "bulk", staged.model, staged.stored, workers=workers)
    if workers > 1:  # the big types came in parts
        assert "relationships-TRANSFERRED.2.csv" in many.relationships
    assert _rows(tmp_path / "bulk", many.nodes) == _rows(tmp_path / "one", one.nodes)
    assert _rows(tmp_path / "bulk", many.relationships) == _rows(tmp_path / "one", one.relationships)
    assert sorted(p.name for p in (tmp_path / "bulk").iterdir()) == sorted(many.nodes + many.relationships)
    assert 1 <= writers() <= 4


@pytest.mark.parametrize("workers", [1, 2])
def test_a_writer_failing_is_one_clear_error(staged: StagingStore, tmp_path: Path, workers: int) -> None:
    """A list value holding the importer's array delimiter stops the write, in whichever process it is
    found, with the error naming it (the CLI prints it as one line)."""
    stored = replace(staged.stored, edges=dict(staged.stored.edges))
    key, edge = next((k, e) for k, e in stored.edges.items() if e.type == "TRANSFERRED")
    stored.edges[key] = replace(edge, prov=replace(edge.prov, sources=frozenset({"a;b"})))
    (tmp_path / "bulk").mkdir()
    with pytest.raises(InvalidArgument, match=r"sources: the list value 'a;b' holds ';'"):
        write_bulk_files(tmp_path / "bulk", staged.model, stored, workers=workers)


def test_a_forked_writer_failing_fails_the_write(tmp_path: Path) -> None:
    """What a child process raises is raised in the parent: one clear error, the same class for the
    refusals a user can act on; the other shares are still written (and waited for)."""

    def work(share: list[str]) -> None:
        for name in share:
            if name.startswith("bad"):
                raise InvalidArgument(f"{name}: refused")
            if name.startswith("broken"):
                raise OSError(f"{name}: disk full")
            (tmp_path / name).write_text("done")

    with pytest.raises(InvalidArgument, match="^bad-in-child: refused$"):
        in_processes(work, [["a"], ["b", "bad-in-child"], ["c"]])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]
    with pytest.raises(ImportFailed, match="writing the importer's files failed: broken: disk full"):
        in_processes(work, [["d"], ["broken"]])
    with pytest.raises(InvalidArgument, match="^bad-here: refused$"):
        in_processes(work, [["bad-here"], ["e"]])


@pytest.mark.parametrize("workers", [1, 2])
def test_the_files_holding_a_value_that_spans_lines_are_named(
    model: Model, tmp_path: Path, workers: int
) -> None:
    """The importer parses only the files named as holding a line break inside a value in the slow,
    multiline way: exactly those are named (read back with Python's csv), in whichever process wrote
    them; none named: every file is read as plain lines."""
    staging = StagingStore(model)
    for path in [*generate(tmp_path / "demo", 60, 5).tables, FIXTURES / "csv-levels" / "actors.csv"]:
        ingest(staging, reader("csv")(path, LoadContext(model, path.stem)))
    (tmp_path / "bulk").mkdir()
    with collection_paused():
        made = write_bulk_files(tmp_path / "bulk", model, staging.stored, workers=workers)
    spanning = []
    for name in made.nodes + made.relationships:
        with (tmp_path / "bulk" / name).open(encoding="utf-8", newline="") as handle:
            if any("\n" in cell or "\r" in cell for row in csv.reader(handle) for cell in row):
                spanning.append(name)
    assert made.multiline == tuple(spanning) and spanning and spanning[0].startswith("nodes-Actor")
    args = made.arguments("neo4j")
    listed = ",".join(str((tmp_path / "bulk").resolve() / name) for name in spanning)
    assert args[4:6] == ["--multiline-fields-format=v2", f"--multiline-fields={listed}"]
    plain = replace(made, multiline=())
    assert plain.arguments("neo4j")[4] == "--multiline-fields=false"
    assert replace(made, multiline=None).arguments("neo4j")[4] == "--multiline-fields=true"


def test_the_common_relationship_row_is_the_general_one(
    staged: StagingStore, model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows made in one pass for the common edge equal those of the general path (the online store's row,
    cell by cell), for every edge of a generated ecosystem and for edges with quotes, line breaks, other
    types and several sources."""
    base = next(e for e in staged.stored.edges.values() if e.type == "TRANSFERRED")
    prov = base.prov
    odd = [
        replace(
            base, discriminator='tx "1",\nnext', props={**base.props, "tx_id": 'a"b', "asset": ["B", "C"]}
        ),
        replace(base, source='wallet:btc:"q"', props={**base.props, "amount": 3, "output_index": True}),
        replace(base, prov=replace(prov, created="2020-01-01T00:00:00Z", modified='2021"', date_added=None)),
        replace(base, prov=replace(prov, sources=frozenset({"b#2", "a#1"}), first_seen=None, last_seen=None)),
        replace(base, prov=replace(prov, confidence=True), props={"amount": 1.5e-9, "time": None}),
        replace(base, discriminator=""),
    ]
    edges = [*staged.stored.edges.values(), *odd]
    formats = {t: _EdgeFormat(model, t) for t in {e.type for e in edges}}
    fast = [formats[e.type].line(e) for e in edges]
    assert sum(formats[e.type].plain_line(e) is not None for e in edges) >= len(staged.stored.edges)
    monkeypatch.setattr(_EdgeFormat, "plain_line", lambda self, edge: None)
    assert fast == [formats[e.type].line(e) for e in edges]
