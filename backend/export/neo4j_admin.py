"""Folders ``neo4j-admin database import full`` reads, and running that importer (a bulk first load).

The files are the Neo4j store's own layout (:mod:`graph_model.store.neo4j_files`); they are written
through :func:`backend.export.files.output_folder` (staged, renamed into place, with a manifest) beside
``import.args``, the importer's arguments for that folder (``neo4j-admin database import full
@import.args neo4j``, run from inside it).
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from backend.export.files import Written, output_folder
from graph_model.errors import CrimegraphError, InvalidArgument
from graph_model.model import Model
from graph_model.store.neo4j_files import ImportFile, RowsAhead, import_files
from graph_model.store.staging import Stored

ADMIN_TOOL = "org.neo4j.cli.AdminTool"
T = TypeVar("T")
R = TypeVar("R")
# What the importer needs besides its defaults: text values may span lines.
OPTIONS = ("--multiline-fields=true",)
ARGS_FILE = "import.args"
# CPU per row of a bulk load's files, microseconds (size M, session 13): a node row, a relationship row
# built while writing, one written ahead (joined and written only).
NODE_ROW_US, EDGE_ROW_US, ROW_AHEAD_US = 7.0, 5.0, 0.4


class ImportFailed(CrimegraphError):
    """``neo4j-admin database import`` refused the files or could not run."""


@dataclass(frozen=True, slots=True)
class ImportFolder:
    """A written folder: the node and relationship files (names inside it), what the write did, and
    which files hold a value spanning lines (``multiline``; None: any may)."""

    folder: Path
    nodes: list[str]
    relationships: list[str]
    written: Written
    multiline: tuple[str, ...] | None = None

    def arguments(self, database: str, *, overwrite: bool = False, relative: bool = False) -> list[str]:
        """``database import full`` with every file of the folder (absolute paths unless ``relative``).

        Files that may hold a value spanning lines are parsed as such: all of them (``OPTIONS``) unless the
        folder knows which; a file the importer may read as plain lines is read in parallel parts, much
        faster (session 13, size M: 20 -> 13 s)."""
        where = (lambda name: name) if relative else (lambda name: str(self.folder.resolve() / name))
        # The database first: --nodes and --relationships take any number of values.
        args = ["database", "import", "full", database]
        if self.multiline is None:
            args += OPTIONS
        elif not self.multiline:
            args.append("--multiline-fields=false")
        else:  # v2: the files named, as --nodes and --relationships name them
            listed = ",".join(where(name) for name in self.multiline)
            args += ["--multiline-fields-format=v2", f"--multiline-fields={listed}"]
        if overwrite:
            args.append("--overwrite-destination=true")
        args += [f"--nodes={where(name)}" for name in self.nodes]
        return args + [f"--relationships={where(name)}" for name in self.relationships]


def write_import_folder(
    folder: Path,
    model: Model,
    stored: Stored,
    *,
    force: bool = False,
    about: Mapping[str, Any] | None = None,
    state: Iterable[tuple[str, str, Mapping[str, Any]]] = (),
) -> ImportFolder:
    """Write ``stored`` as import files in ``folder`` (refused when not empty, unless ``force``)."""
    nodes: list[str] = []
    relationships: list[str] = []
    with output_folder(folder, force=force, about={"format": "neo4j-admin", **(about or {})}) as out:
        for item in import_files(model, stored, state=state):
            with out.open_text(item.name) as handle:
                _write_lines(handle, item.lines)
            (nodes if item.group == "nodes" else relationships).append(item.name)
        made = ImportFolder(folder, nodes, relationships, Written())
        lines = made.arguments("neo4j", relative=True)[4:]  # the options and files, one a line
        out.write(ARGS_FILE, "\n".join(lines) + "\n")
    return ImportFolder(folder, nodes, relationships, out.written)


def write_bulk_files(
    folder: Path,
    model: Model,
    stored: Stored,
    *,
    state: Iterable[tuple[str, str, Mapping[str, Any]]] = (),
    workers: int = 1,
    ahead: RowsAhead | None = None,
) -> ImportFolder:
    """Write ``stored`` as import files into the new, empty ``folder`` for a bulk load to import at once.

    Not an export: the files are written in place, unsynced (the importer reads them straight away and
    the folder is thrown away after), in ``workers`` processes (forked, sharing what is held in memory),
    big kinds and types split in parts so that the processes get even shares of the work; with the
    relationship rows written ``ahead`` while merging.
    """
    parts = _part_rows(stored, workers)
    files = list(import_files(model, stored, state=state, part_rows=parts, ahead=ahead))
    # What a row costs to write (microseconds of CPU, measured at size M): written ahead, or built now
    # (the share left).
    edges_left = len(ahead.waiting) / max(1, len(stored.edges)) if ahead is not None else 1.0
    nodes_left = len(ahead.nodes_waiting) / max(1, len(stored.nodes)) if ahead is not None else 1.0
    cost = {
        "nodes": ROW_AHEAD_US + nodes_left * NODE_ROW_US,
        "relationships": ROW_AHEAD_US + edges_left * EDGE_ROW_US,
    }
    shares: list[list[ImportFile]] = [[] for _ in range(workers)]
    load = [0.0] * workers
    for item in sorted(files, key=lambda f: -(f.rows + 1) * cost[f.group]):  # the costliest first,
        least = load.index(min(load))  # each to the least loaded
        shares[least].append(item)
        load[least] += (item.rows + 1) * cost[item.group]
    written = in_processes(lambda share: _write_files(folder, share), shares)
    broken = {name for names in written for name in names}
    nodes = [item.name for item in files if item.group == "nodes"]
    relationships = [item.name for item in files if item.group != "nodes"]
    multiline = tuple(name for name in nodes + relationships if name in broken)
    return ImportFolder(folder, nodes, relationships, Written(), multiline)


def writers() -> int:
    """How many processes write a bulk load's files: one a processor (at most 4) where processes fork and
    the memory is there. A forked writer shares the loader's memory, but touching what it writes copies
    most pages (measured: 0.7 of the loader's resident size at size M), so each writer beyond the first
    needs the loader's resident size available."""
    if not hasattr(os, "fork"):
        return 1
    try:
        resident = _kib(Path("/proc/self/status"), "VmRSS:")
        available = _kib(Path("/proc/meminfo"), "MemAvailable:")
    except (OSError, ValueError):
        return 1
    return max(1, min(os.cpu_count() or 1, 4, 1 + available // max(resident, 1)))


def _kib(path: Path, name: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(name):
            return int(line.split()[1])
    raise ValueError(f"no {name} in {path}")


def _part_rows(stored: Stored, workers: int) -> int | None:
    """Rows per file so that ``workers`` processes get even shares: a quarter of each one's share."""
    if workers <= 1:
        return None
    return max(1, (len(stored.nodes) + len(stored.edges)) // (4 * workers) + 1)


def _write_lines(handle: Any, lines: Iterator[str]) -> bool:
    """``lines`` one a line, written in chunks (one call per line costs as much as building it); whether
    a value spans lines (a line break inside a line: counted per chunk)."""
    chunk: list[str] = []
    broken = False
    for line in lines:
        chunk.append(line)
        if len(chunk) == 4096:
            broken = _write_chunk(handle, chunk) or broken
            chunk.clear()
    if chunk:
        broken = _write_chunk(handle, chunk) or broken
    return broken


def _write_chunk(handle: Any, chunk: list[str]) -> bool:
    count = len(chunk)
    chunk.append("")
    text = "\n".join(chunk)
    handle.write(text)
    return text.count("\n") != count or "\r" in text


def _write_files(folder: Path, files: list[ImportFile]) -> list[str]:
    """Write ``files`` into ``folder``; the names of those holding a value that spans lines."""
    broken = []
    for item in files:
        with (folder / item.name).open("w", encoding="utf-8", newline="", buffering=1 << 20) as handle:
            if _write_lines(handle, item.lines):
                broken.append(item.name)
    return broken


def in_processes(work: Callable[[list[T]], R], shares: list[list[T]]) -> list[R]:
    """``work(share)`` for every share: the first here, each other (not empty) in a forked child process;
    what each returned (the first's first; a child's comes back pickled). A child's failure is raised
    here, as :class:`~graph_model.errors.InvalidArgument` when it was one."""
    children: list[tuple[int, int]] = []
    failures: list[tuple[str, str]] = []
    results: list[R] = []
    try:
        for share in shares[1:]:
            if not share:
                continue
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: its share, then out at once (no exit handlers of the parent's)
                os.close(read)
                code = 0
                try:
                    message = pickle.dumps(work(share))
                except BaseException as exc:
                    message = f"{type(exc).__name__}\n{exc}".encode()[:8192]
                    code = 1
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(message)
                os._exit(code)
            os.close(write)
            children.append((pid, read))
        results.append(work(shares[0]))
    except BaseException:
        for pid, _ in children:
            os.kill(pid, signal.SIGTERM)
        raise
    finally:
        for pid, read in children:
            with os.fdopen(read, "rb") as pipe:
                message = pipe.read()
            _, status = os.waitpid(pid, 0)
            if status == 0:
                results.append(pickle.loads(message))
            else:
                kind, _, text = message.decode("utf-8", errors="replace").partition("\n")
                failures.append((kind, text or f"a process writing the importer's files ended ({status})"))
    if failures:
        kind, text = failures[0]
        if kind == InvalidArgument.__name__:
            raise InvalidArgument(text)
        raise ImportFailed(f"writing the importer's files failed: {text}")
    return results


def admin_command(neo4j_home: Path) -> list[str]:
    """How to run ``neo4j-admin`` of the installation at ``neo4j_home``: its ``bin/neo4j-admin``, else the
    AdminTool from its ``lib`` jars (Neo4j from Maven Central, as the tests run it)."""
    script = neo4j_home / "bin" / "neo4j-admin"
    if script.is_file():
        return [str(script)]
    lib = neo4j_home / "lib"
    if lib.is_dir() and any(lib.glob("neo4j-command-line-*.jar")):
        if shutil.which("java") is None:
            raise InvalidArgument("running neo4j-admin from the jars needs 'java' (17+) on PATH")
        return ["java", "-Xmx2g", "-cp", f"{lib}/*", ADMIN_TOOL]
    raise InvalidArgument(
        f"{neo4j_home} is not a Neo4j installation (no bin/neo4j-admin, no lib/ jars); give --neo4j-home "
        "the folder holding Neo4j's bin/, conf/ and data/"
    )


def run_import(
    neo4j_home: Path,
    made: ImportFolder,
    *,
    database: str = "neo4j",
    overwrite: bool = False,
    meanwhile: Callable[[], object] | None = None,
) -> str:
    """Build the database ``database`` of the (stopped) Neo4j at ``neo4j_home`` from ``made``; the
    importer's output. :class:`ImportFailed` with its first error when it refuses. ``meanwhile`` runs
    while the importer does (a bulk load lets go of what it held: at size L about 5 s of CPU), in a
    thread at the lowest priority, so that it takes only the processor time the importer leaves."""
    command = [*admin_command(neo4j_home), *made.arguments(database, overwrite=overwrite)]
    env = dict(os.environ, NEO4J_HOME=str(neo4j_home))
    if (neo4j_home / "conf").is_dir():
        env["NEO4J_CONF"] = str(neo4j_home / "conf")
    # From inside the folder: the importer writes its report (import.report) where it runs. Its output
    # goes to a file: a pipe nobody reads while ``meanwhile`` runs would stop it once full.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=made.folder, env=env, stdout=log, stderr=subprocess.STDOUT)
        aside = threading.Thread(target=_gently, args=(meanwhile,)) if meanwhile is not None else None
        try:
            if aside is not None:
                aside.start()
        finally:
            code = process.wait()
            if aside is not None and aside.ident is not None:
                aside.join()
        log.seek(0)
        output = log.read().decode("utf-8", errors="replace")
    if code != 0:
        raise ImportFailed(f"neo4j-admin database import failed: {_first_error(output)}")
    return output


def _gently(work: Callable[[], object]) -> None:
    """``work()`` in this thread at the lowest priority (Linux sets it per thread; elsewhere as it is)."""
    with suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    work()


def _first_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        lowered = line.lower()
        if "exist" in lowered or "error" in lowered or "exception" in lowered or "invalid" in lowered:
            return line
    return lines[-1] if lines else "no output"
