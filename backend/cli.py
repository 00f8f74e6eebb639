"""The ``crimegraph`` command. Each command's docstring is its help; expected failures exit 1 in one line."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
from contextlib import ExitStack
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from backend import __version__, commands
from backend.console import (
    analyst,
    app,
    console,
    entity_table,
    fail,
    new_embedded_file,
    opened_store,
    out,
    parse_tlp,
    read_clearance,
    run,
    state,
    tell,
)
from graph_model.errors import CrimegraphError
from graph_model.words import counted
from graph_model.writes import now_iso, record_write
from loaders import FORMATS, IngestSummary, LoadContext, ingest, reader


def _version(value: bool) -> None:
    if value:
        out.print(f"crimegraph {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            envvar="CRIMEGRAPH_STORE",
            help="embedded:PATH (default embedded:./crimegraph.db) or bolt://host:7687 / neo4j://…",
            show_default=False,
        ),
    ] = None,
    analyst: Annotated[
        str | None,
        typer.Option(
            "--analyst",
            envvar="CRIMEGRAPH_ANALYST",
            help="Who is working: recorded with every write (default: the OS user).",
            show_default=False,
        ),
    ] = None,
    include_undated: Annotated[
        bool,
        typer.Option(
            "--include-undated",
            help="With --since/--until: also keep links that carry no observed date (left out by default).",
        ),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Criminal ecosystem graph explorer for cybercrime investigation units."""
    state.store_location = store or None
    if analyst is not None and not analyst.strip():
        fail("--analyst needs a name")
    state.analyst = analyst.strip() if analyst else None
    state.include_undated = include_undated


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    clearance: Annotated[
        str | None,
        typer.Option(
            help="Count only what this TLP clearance may see (default: CRIMEGRAPH_CLEARANCE, else RED).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Count nodes by kind and edges by type."""

    def body() -> None:
        level = read_clearance(clearance)
        with opened_store() as store:
            result = store.stats(clearance=level).as_dict()
        if as_json:
            out.print_json(json.dumps(result)) if out.is_terminal else print(json.dumps(result))
            return
        table = Table(
            "kind / type",
            "count",
            title=f"{counted(result['total_nodes'], 'node')}, {counted(result['total_edges'], 'edge')}",
        )
        for name, count in result["nodes"].items():
            table.add_row(name, str(count))
        for name, count in result["edges"].items():
            table.add_row(f"[dim]{name}[/dim]", str(count))
        out.print(table)

    run(body)


def _summary_table(summary: IngestSummary) -> Table:
    table = Table("record kind", "read", "rejected", title="records")
    for kind, count in sorted(summary.read_by_kind.items()):
        table.add_row(kind, str(count), str(summary.rejected_by_kind.get(kind, 0)))
    return table


@app.command()
def load(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help=f"One of: {', '.join(FORMATS)}, taxii.")],
    paths: Annotated[
        list[str], typer.Argument(metavar="PATH...", help="Files to load (for taxii: the server's URL).")
    ],
    source: Annotated[
        str | None, typer.Option(help="Dataset name recorded in provenance (default: file name).")
    ] = None,
    tlp: Annotated[str, typer.Option(help="TLP marking of the loaded data.")] = "CLEAR",
    confidence: Annotated[int, typer.Option(min=0, max=100, help="Default confidence 0-100.")] = 50,
    rejects: Annotated[
        Path | None, typer.Option(help="Write rejected (and skipped) records here as JSON lines.")
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, help="Nodes and edges per transaction (default: the store's, 20,000)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    collection: Annotated[
        str | None, typer.Option(help="taxii: the collection to pull (its id, title or alias).")
    ] = None,
    added_after: Annotated[
        str | None,
        typer.Option(help="taxii: only objects added after this time (default: where the last pull ended)."),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(help="taxii: the user name (the password is read from CRIMEGRAPH_TAXII_PASSWORD)."),
    ] = None,
) -> None:
    """Load files of one FORMAT into the store; bad records are reported, good ones always load.

    A file that cannot be read at all is reported and the others still load; the exit code is 1 then.
    `load taxii URL --collection ID` pulls a TAXII 2.1 collection, resuming where the last pull ended.
    """
    from backend.export.files import Written, atomic_text  # here: the exporters are heavy to import
    from backend.taxii.client import pull

    level = parse_tlp(tlp)
    failed: list[str] = []
    total = IngestSummary()
    created = new_embedded_file()
    rejects_written = Written()
    resumed: dict[str, str | None] = {}
    if fmt == "taxii" and (len(paths) != 1 or not collection):
        fail("load taxii takes one server URL and --collection ID")
    if fmt != "taxii" and (collection or added_after or user):
        fail("--collection, --added-after and --user are options of load taxii")
    if added_after is not None:
        try:
            datetime.fromisoformat(added_after.replace("Z", "+00:00"))
        except ValueError:
            fail(f"--added-after: not a date and time: {added_after!r} (e.g. 2026-01-31T00:00:00Z)")

    def body() -> None:
        read = reader(fmt) if fmt != "taxii" else None
        started = now_iso()
        with ExitStack() as stack:
            store = stack.enter_context(opened_store(create=True))
            sink: TextIO | None = (
                stack.enter_context(atomic_text(rejects, report=rejects_written)) if rejects else None
            )
            progress = stack.enter_context(
                Progress(
                    SpinnerColumn(),
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=console,
                    disable=as_json or not console.is_terminal,
                    transient=True,
                )
            )
            if read is None:
                url = paths[0]
                ctx = LoadContext(store.model, source or f"taxii:{collection}", level, confidence)
                task = progress.add_task(f"taxii {collection}", total=None)
                try:
                    summary, begun, ended = pull(
                        store, ctx, url, str(collection), added_after=added_after, user=user,
                        password=os.environ.get("CRIMEGRAPH_TAXII_PASSWORD") or None, rejects=sink,
                        batch_size=batch_size, progress=partial(progress.advance, task),
                    )  # fmt: skip
                    total.add(summary)
                    resumed.update(started=begun, ended=ended)
                except (CrimegraphError, OSError) as exc:
                    failed.append(" ".join(str(exc).split()))
                    console.print(f"[red]error:[/red] {failed[-1]}", highlight=False, soft_wrap=True)
            else:
                for path in map(Path, paths):
                    ctx = LoadContext(store.model, source or path.stem, level, confidence)
                    task = progress.add_task(f"{fmt} {path.name}", total=None)
                    try:
                        summary = ingest(
                            store,
                            read(path, ctx),
                            batch_size=batch_size,
                            rejects=sink,
                            progress=partial(progress.advance, task),
                        )
                    except (CrimegraphError, OSError) as exc:
                        failed.append(_one_line(exc, path))
                        console.print(f"[red]error:[/red] {failed[-1]}", highlight=False, soft_wrap=True)
                        continue
                    total.add(summary)
            waiting = store.pending_count()
            if total.read:
                record_write(
                    store,
                    analyst=analyst(),
                    action="load",
                    started=started,
                    details={
                        "format": fmt,
                        "files": [str(p) for p in paths],
                        "source": source,
                        "tlp": level.label,
                        "counts": total.as_json(),
                        "failed": len(failed),
                    },
                )
        tell(rejects_written.notes)
        if as_json:
            print(json.dumps({**total.as_json(), "waiting": waiting, "failed": failed, **resumed}))
        elif total.read_by_kind or not failed:  # a file that could not be read at all is its one line
            _print_summary(total, waiting, rejects)
            if resumed:
                out.print(
                    f"taxii: objects added after {resumed['started'] or 'the start'} up to {resumed['ended']}"
                )
        if total.rejected and rejects is None:
            _print_first_rejects(total)

    try:
        run(body)
    finally:
        # A load that wrote nothing into a store file it created leaves no empty file behind.
        if (
            created is not None
            and total.store.nodes_new + total.store.edges_new + total.store.edges_pending == 0
        ):
            for leftover in (created, *(created.with_name(created.name + s) for s in ("-wal", "-shm"))):
                leftover.unlink(missing_ok=True)
    if failed:
        raise typer.Exit(1)


def _one_line(exc: BaseException, path: Path) -> str:
    if isinstance(exc, OSError):
        return f"{exc.filename or path}: {exc.strerror or exc}"
    text = " ".join(str(exc).split())
    return text if str(path) in text else f"{path}: {text}"


def _print_summary(total: IngestSummary, waiting: int, rejects: Path | None) -> None:
    out.print(_summary_table(total))
    out.print(entity_table(total))
    if total.skipped_by_reason:
        table = Table("reason", "records", title="skipped (good records not loaded)")
        for reason, count in total.skipped_by_reason.most_common():
            table.add_row(reason, str(count))
        out.print(table)
    if total.warnings_by_reason:
        table = Table("warning", "records", title="loaded, with a warning")
        for reason, count in total.warnings_by_reason.most_common():
            table.add_row(reason, str(count))
        out.print(table)
    note = (
        f" ({total.rejected} rejected" + (f", see {rejects})" if rejects else ")") if total.rejected else ""
    )
    skipped = f", {total.skipped} skipped" if total.skipped else ""
    out.print(
        f"read {total.read}: {counted(total.store.nodes_new, 'new node')}, "
        f"{counted(total.store.edges_new, 'new edge')}, "
        f"{total.store.nodes_merged + total.store.edges_merged} merged, "
        f"{counted(waiting, 'edge')} waiting for an endpoint in the store{skipped}{note}"
    )


def _print_first_rejects(total: IngestSummary) -> None:
    """The first rejections with where they are, then the count of each kind of reason (on stderr)."""
    console.print(
        f"[yellow]{counted(total.rejected, 'record')} rejected[/yellow]; the first:", highlight=False
    )
    for where, reason in total.first_rejects:
        console.print(f"  {where}: {reason}", highlight=False, soft_wrap=True, markup=False)
    more = total.rejected - len(total.first_rejects)
    if more > 0:
        console.print(f"  … and {more} more", highlight=False)
    console.print("by reason:", highlight=False)
    for reason, count in total.rejected_by_reason.most_common(10):
        console.print(f"  {count:>7}  {reason}", highlight=False, soft_wrap=True, markup=False)
    kinds = len(total.rejected_by_reason)
    if kinds > 10:
        console.print(f"  … and {kinds - 10} more kinds of reason", highlight=False)
    console.print("write them all with --rejects FILE", highlight=False)


@app.command()
def clear(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete everything in the store."""
    if not yes and not typer.confirm("Delete every node and edge in the store?"):
        raise typer.Exit(1)
    run(lambda: _clear())


def _clear() -> None:
    with opened_store() as store:
        started = now_iso()
        store.clear()
        record_write(store, analyst=analyst(), action="clear", started=started)
    out.print("store cleared")


@app.command()
def generate(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory to write the CSV tables and truth.json into.")
    ],
    actors: Annotated[
        int, typer.Option(min=50, help="Number of actors; 1000 ≈ S (10k nodes), 10000 ≈ M.")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes byte-identical files.")] = 1,
    routing: Annotated[
        bool,
        typer.Option(
            "--routing/--no-routing",
            help="Also write who can act on it: registrars, registries, AS upstreams, abuse contacts, "
            "exchanges, where actors are believed to be (the other files stay the same).",
        ),
    ] = False,
    identities: Annotated[
        str | None,
        typer.Option(
            help="Add the identity layer (people behind handles, planted same-person groups, decoys): "
            "'standard' or 'shifted'. The other files stay byte-identical."
        ),
    ] = None,
) -> None:
    """Write a deterministic synthetic criminal ecosystem as CSV tables plus its planted truth."""
    from loaders.generate import generate as write_ecosystem
    from loaders.synthetic.identities import CONFIGS

    if identities is not None and identities not in CONFIGS:
        fail(f"unknown --identities {identities!r}; known: {', '.join(CONFIGS)}")

    def body() -> None:
        with console.status(f"generating {actors} actors into {out_dir}"):
            report = write_ecosystem(out_dir, actors, seed, routing=routing, identities=identities)
        title = f"{counted(report.total_nodes, 'node')}, {counted(report.total_edges, 'edge')}"
        table = Table("file", "rows", title=title)
        for name, rows in report.rows.items():
            table.add_row(name, str(rows))
        out.print(table)
        out.print(f"load with: crimegraph load csv {' '.join(str(p) for p in report.tables)}")

    run(body)


# Commands of each area live in their own module under backend/commands and register on the same app
# when imported, so adding a command never touches this file. A process runs one command: only the module
# that registers it is imported (a command's start does not pay for every other area's libraries - the
# API server's, the exporters', Neo4j's driver); for help, an unknown command or anything unsure, all of
# them are.


def requested(argv: list[str]) -> str | None:
    """The command a command line asks for: its first argument that is neither an option of the main
    command nor an option's value (None when there is none)."""
    valued = {  # options of the main command that take a value (arguments have no is_flag)
        name
        for param in typer.main.get_command(app).params
        if not getattr(param, "is_flag", True) and not getattr(param, "count", False)
        for name in param.opts
    }
    args = iter(argv)
    for arg in args:
        if arg == "--":
            return next(args, None)
        if arg in valued:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def registered(name: str) -> bool:
    """Whether a command (or a group of them) of this name is registered on the app."""
    names = {info.name for info in app.registered_groups}
    for info in app.registered_commands:
        if info.name:
            names.add(info.name)
        elif info.callback is not None:
            names.add(typer.main.get_command_name(info.callback.__name__))
    return name in names


def import_areas(argv: list[str] | None) -> list[str]:
    """Import the command modules the command line ``argv`` needs (None: all of them); the modules
    imported, in order."""
    areas = [found.name for found in pkgutil.iter_modules(commands.__path__)]
    wanted = requested(argv) if argv is not None else None
    if wanted is not None and not registered(wanted):
        # the module that names it (a guess from its text, checked: if the command is not registered
        # after importing it, every module is imported)
        folder = Path(commands.__path__[0])
        marks = (f'"{wanted}"', f"def {wanted.replace('-', '_')}(")
        for area in areas:
            text = (folder / f"{area}.py").read_text(encoding="utf-8")
            if any(mark in text for mark in marks):
                importlib.import_module(f"{commands.__name__}.{area}")
                if registered(wanted):
                    return [area]
    elif wanted is not None:
        return []
    for area in areas:
        importlib.import_module(f"{commands.__name__}.{area}")
    return areas


def program_arguments() -> list[str] | None:
    """The command line when this process is the crimegraph program (``crimegraph ...`` or ``python -m
    backend ...``), None when the CLI is imported by anything else (then every command is registered)."""
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if program is not None and (
        program.name == "crimegraph" or program.parts[-2:] == ("backend", "__main__.py")
    ):
        return sys.argv[1:]
    return None


_AREAS = import_areas(program_arguments())

__all__ = ["app"]
