"""``crimegraph bulk-load``: a big first load built offline by Neo4j's own importer."""

from __future__ import annotations

import json
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from backend.console import analyst, app, console, out, parse_tlp, run
from backend.export.neo4j_admin import admin_command, run_import, write_bulk_files, writers
from graph_model.errors import InvalidArgument
from graph_model.heap import collection_paused
from graph_model.model import default_model
from graph_model.store.neo4j_files import RowsAhead
from graph_model.store.staging import StagingStore, Stored
from graph_model.words import counted
from graph_model.writes import NAMESPACE, now_iso
from loaders import FORMATS, IngestSummary, LoadContext, reader
from loaders.ingest import BULK_NAMED, ReadFailed, ingest_read_apart


@app.command("bulk-load")
def bulk_load(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help=f"One of: {', '.join(FORMATS)}.")],
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Files to load.")],
    neo4j_home: Annotated[
        Path,
        typer.Option(
            "--neo4j-home",
            help="The stopped Neo4j installation to build the database in (holds bin/ or lib/, conf/).",
        ),
    ],
    source: Annotated[
        str | None, typer.Option(help="Dataset name recorded in provenance (default: file name).")
    ] = None,
    tlp: Annotated[str, typer.Option(help="TLP marking of the loaded data.")] = "CLEAR",
    confidence: Annotated[int, typer.Option(min=0, max=100, help="Default confidence 0-100.")] = 50,
    database: Annotated[str, typer.Option(help="The database to build.")] = "neo4j",
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite-destination", help="Replace the database if it exists (its content is lost)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Load files into a NEW Neo4j database offline: the loaders' checks and merging, then Neo4j's importer.

    For the first load of a big dataset into an empty database, with the server stopped: many times
    faster than `crimegraph load`. The result is what `crimegraph load` would have built.
    """

    def body() -> None:
        with collection_paused():  # what the load holds stays alive to the end and holds no cycles
            load()

    def load() -> None:
        level = parse_tlp(tlp)
        read = reader(fmt)
        command = admin_command(neo4j_home)  # a wrong --neo4j-home fails before any reading
        started, clock = now_iso(), time.perf_counter()
        staging = StagingStore(default_model())
        ahead = RowsAhead(staging.model)  # rows written while the merge waits for records
        staging.written_edges = ahead.waiting
        staging.written_nodes = ahead.nodes_waiting
        total = IngestSummary()
        loads = [
            partial(
                read, path, LoadContext(staging.model, source or path.stem, level, confidence, BULK_NAMED)
            )
            for path in paths
        ]
        shown = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,.0f} records"),
            TimeElapsedColumn(),
            console=console,
            disable=as_json or not console.is_terminal,
            transient=True,
        )
        with shown:
            task = shown.add_task("reading, checking and merging", total=None)
            try:
                for part in ingest_read_apart(
                    staging, loads, meanwhile=ahead.write_ahead, progress=partial(shown.advance, task)
                ):
                    total.add(part)
            except ReadFailed as exc:
                raise InvalidArgument(f"{paths[exc.index]}: {exc}") from None
        staging.written_edges = None
        staging.written_nodes = None
        if not staging.stored.nodes:
            raise InvalidArgument("nothing to load: no record of these files was accepted")
        reading = time.perf_counter() - clock
        record = {
            "analyst": analyst(),
            "action": "bulk-load",
            "format": fmt,
            "files": [str(p) for p in paths],
            "source": source,
            "tlp": level.label,
            "counts": total.as_json(),
            "started": started,
            "finished": now_iso(),
            "data_version": 1,
        }
        key = f"{now_iso(precise=True)}|bulk-load"
        with tempfile.TemporaryDirectory(prefix="crimegraph-bulk-") as tmp:
            with console.status("writing the importer's files"):
                made = write_bulk_files(
                    Path(tmp),
                    staging.model,
                    staging.stored,
                    state=[(NAMESPACE, key, record)],
                    workers=writers(),
                    ahead=ahead,
                )
            writing = time.perf_counter() - clock - reading
            held = staging.stored
            counts = {"nodes": len(held.nodes), "edges": len(held.edges), "waiting": len(held.pending)}
            del held

            def let_go() -> None:  # while the importer runs: freeing millions of objects takes a while
                staging.stored = Stored()
                ahead.clear()

            with console.status(f"importing into database {database} ({' '.join(command[:1])})"):
                run_import(neo4j_home, made, database=database, overwrite=overwrite, meanwhile=let_go)
        summary = {
            **total.as_json(),
            **counts,
            "database": database,
            "neo4j_home": str(neo4j_home),
            "seconds": {
                "reading": round(reading, 2),
                "writing": round(writing, 2),
                "importing": round(time.perf_counter() - clock - reading - writing, 2),
            },
        }
        if as_json:
            print(json.dumps(summary))
            return
        out.print(
            f"built database {database} in {neo4j_home}: {counted(summary['nodes'], 'node')}, "
            f"{counted(summary['edges'], 'edge')} from {counted(total.read, 'record')} "
            f"({total.rejected:,} rejected) in "
            f"{time.perf_counter() - clock:.1f} s; start Neo4j to use it",
            highlight=False,
            markup=False,
        )

    run(body)
