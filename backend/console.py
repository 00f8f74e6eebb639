"""What every command shares: the typer app, the consoles, the store it opens, one-line expected errors."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from backend.settings import Settings
from graph_model.errors import CrimegraphError, StoreError
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.store.open import NEO4J_SCHEMES
from loaders import IngestSummary

app = typer.Typer(
    name="crimegraph",
    help="Criminal ecosystem graph explorer: load sources, link, score and disrupt.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True)
out = Console()
T = TypeVar("T")


class _State:
    store_location: str | None = None
    clearance_note: str | None = None  # which clearance a read used, said when the command succeeds
    analyst: str | None = None  # --analyst; else the setting CRIMEGRAPH_ANALYST, else the OS user
    include_undated: bool = False  # --include-undated: time windows (--since/--until) keep undated links


def analyst() -> str:
    """Who runs this command, recorded with every write it makes."""
    return state.analyst or Settings().analyst


state = _State()


def fail(message: str) -> None:
    console.print(
        f"[red]error:[/red] {' '.join(message.split())}", highlight=False, soft_wrap=True, markup=True
    )
    raise typer.Exit(1)


def tell(notes: Iterable[str]) -> None:
    """Say on stderr what a file write did that a user may not expect (a folder created, files removed)."""
    for note in notes:
        console.print(note, highlight=False, markup=False, soft_wrap=True)


def run(action: Callable[[], T]) -> T:
    """Run a command body, turning expected failures into a one-line error and exit code 1. After a read
    that succeeded, says on stderr at which clearance it read."""
    try:
        result = action()
        if state.clearance_note:
            console.print(state.clearance_note, highlight=False, markup=False)
            state.clearance_note = None
        return result
    except CrimegraphError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{getattr(exc, 'filename', None) or ''}: {exc.strerror or exc}".lstrip(": "))
    raise AssertionError("unreachable")


@contextmanager
def opened_store(*, create: bool = False) -> Iterator[GraphStore]:
    """The configured store. Only a write (``create``) may create an embedded store file: a read of one
    that is not there stops with one line, rather than creating an empty store and answering for an
    empty network."""
    missing = None if create else new_embedded_file()
    if missing is not None:
        raise StoreError(
            f"no store at {missing}: load data first with crimegraph load FORMAT FILE..., or name an "
            "existing store with --store or CRIMEGRAPH_STORE"
        )
    settings = Settings()
    store = settings.open_store(location=state.store_location)
    try:
        yield store
    finally:
        store.close()


def new_embedded_file() -> Path | None:
    """The embedded store file the command will use, when it does not exist yet (None otherwise)."""
    location = state.store_location or Settings().store
    if location.startswith(NEO4J_SCHEMES):
        return None
    path = location.removeprefix("embedded:")
    if not path or path == ":memory:" or "://" in path:
        return None
    file = Path(path).expanduser()
    return None if file.exists() else file


def parse_tlp(value: str) -> TLP:
    try:
        return TLP.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def read_clearance(value: str | None, *, default: TLP | None = None, quiet: bool = False) -> TLP:
    """The clearance a read runs at: ``--clearance`` when given, else ``default`` (a plan's own), else the
    setting ``CRIMEGRAPH_CLEARANCE`` (RED when unset). :func:`run` says on stderr which it used and where it
    came from once the command succeeded (unless ``quiet``): an error stays one line."""
    if value is not None:
        level, origin = parse_tlp(value), "--clearance"
    elif default is not None:
        level, origin = default, "the plan's clearance"
    else:
        try:
            level = TLP.parse(Settings().clearance)
        except ValueError as exc:
            fail(f"CRIMEGRAPH_CLEARANCE: {exc}")
            raise AssertionError("unreachable") from None
        origin = "CRIMEGRAPH_CLEARANCE" if os.environ.get("CRIMEGRAPH_CLEARANCE") else "the default"
    if not quiet:
        state.clearance_note = f"read at clearance TLP:{level.label} ({origin})"
    return level


def entity_table(summary: IngestSummary) -> Table:
    """What a load added to the graph: new and merged nodes by kind and edges by type."""
    table = Table("node kind / edge type", "new", "merged", title="graph")
    kinds = set(summary.store.new_by_kind) | set(summary.store.merged_by_kind)
    for kind in sorted(kinds):
        table.add_row(
            kind, str(summary.store.new_by_kind.get(kind, 0)), str(summary.store.merged_by_kind.get(kind, 0))
        )
    return table
