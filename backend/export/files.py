"""Files leaving crimegraph: one entry for every export format, and writes that never destroy.

:func:`export` reads a scope through the clearance and returns the files; the API sends them (CSV, which
is several tables, as one zip), the CLI writes them with the writers below, which every file output uses
(exports, views, packages, rejects):

- :func:`atomic_file` / :func:`write_file` write to a temporary file in the same folder, flush it to disk
  and rename it into place, so a failure halfway (disk full, killed) leaves the previous file as it was;
- :func:`output_folder` / :func:`write_folder` write a folder and a manifest of what they wrote
  (:data:`MANIFEST`); a folder that is not empty is refused unless ``force``, which removes exactly what
  the earlier run's manifest lists (nothing else: a folder holding files crimegraph did not write is
  refused even then), so nothing of an earlier export at a higher clearance remains beside the new one.
  Every file is staged before any old one is touched: a failure leaves the earlier folder as it was.

A missing parent folder is created, and :attr:`Written.notes` says so.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TextIO

import networkx as nx

from backend.export import csv as csv_export
from backend.export import gexf, graphml, stix
from backend.export.graph import aggregate_transfers, export_graph
from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from queries.scope import Scope


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    media_type: str
    suffix: str


FORMATS = {
    "stix": Format("stix", "application/stix+json;version=2.1", ".stix.json"),
    "gexf": Format("gexf", "application/gexf+xml", ".gexf"),
    "graphml": Format("graphml", "application/graphml+xml", ".graphml"),
    "csv": Format("csv", "application/zip", ".zip"),
    "misp": Format("misp", "application/json", ".misp.json"),
    # MISP's own STIX 2.1 dialect of the MISP export, made by misp-stix: what MISP's STIX import keeps whole.
    "misp-stix": Format("misp-stix", "application/stix+json;version=2.1", ".misp.stix.json"),
}


@dataclass(frozen=True, slots=True)
class Exported:
    """An export's files by name (one file except for CSV), and what it holds."""

    files: dict[str, bytes]
    nodes: int
    edges: int
    # STIX: indicators left out because their pattern is above the clearance (their links go with them).
    left_out: int = 0


def check_format(name: str) -> Format:
    found = FORMATS.get(name.lower())
    if found is None:
        raise InvalidArgument(f"unknown export format {name!r}; known: {', '.join(FORMATS)}")
    return found


def export(store: GraphStore, clearance: TLP, scope: Scope, fmt: str, *, aggregate: bool = False) -> Exported:
    """The scope's visible graph in ``fmt``; InvalidArgument for an unknown format or scope.

    ``aggregate`` (GEXF and GraphML) writes the parallel transfers between two wallets as one edge with
    their count, total and first/last date (:func:`backend.export.graph.aggregate_transfers`).
    """
    found = check_format(fmt)
    if aggregate and found.name not in ("gexf", "graphml"):
        raise InvalidArgument("aggregated transfers are an option of the gexf and graphml exports")
    graph = export_graph(store, clearance, scope)
    if aggregate:
        graph = aggregate_transfers(graph)
    left_out = stix.unpatterned(graph) if found.name == "stix" else []
    if left_out:
        graph = nx.MultiDiGraph(graph)
        graph.remove_nodes_from(left_out)
    if found.name == "stix":
        files = {"export.stix.json": stix.dumps(graph)}
    elif found.name == "gexf":
        files = {"export.gexf": gexf.dumps(graph, store.model, weight="count" if aggregate else None)}
    elif found.name == "graphml":
        files = {"export.graphml": graphml.dumps(graph, store.model)}
    elif found.name == "misp":
        from backend.export import misp  # PyMISP is imported only when a MISP export is asked for

        files = {"export.misp.json": misp.dumps(graph, clearance)}
    elif found.name == "misp-stix":
        from backend.export import misp

        files = {"export.misp.stix.json": misp.stix_dumps(graph, clearance)}
    else:
        files = csv_export.tables(graph, store.model)
    return Exported(files, graph.number_of_nodes(), graph.number_of_edges(), len(left_out))


def single_file(exported: Exported) -> bytes:
    """The export as one file: itself, or a zip of the CSV tables (fixed timestamps, so stable bytes)."""
    if len(exported.files) == 1:
        return next(iter(exported.files.values()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(exported.files.items()):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


# --- Writes that never destroy -------------------------------------------------------------------------

MANIFEST = ".crimegraph-manifest.json"
# Temporary files carry this in their name: a run killed before it could remove them leaves them behind,
# and the next run into that folder recognises them as its own.
TEMP_MARK = ".crimegraph-tmp-"


@dataclass(slots=True)
class Written:
    """What a write did: the files now in place, the folder it had to create, what ``force`` removed."""

    paths: list[Path] = field(default_factory=list)
    created: Path | None = None
    removed: list[Path] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """One line for a person per thing they may not expect (a new folder, removed files)."""
        lines = []
        if self.created is not None:
            lines.append(f"created the folder {self.created} (it did not exist)")
        if self.removed:
            count = len(self.removed)
            lines.append(
                f"removed {count} file{'s' if count != 1 else ''} the earlier export wrote there (--force)"
            )
        return lines


def _missing_parent(folder: Path) -> Path | None:
    """The outermost folder of ``folder``'s path that does not exist yet (None when it exists)."""
    missing = None
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing = candidate
    return missing


def _make_folder(folder: Path) -> Path | None:
    """Create ``folder`` with its parents; the outermost one created, if any."""
    if folder.exists() and not folder.is_dir():
        raise InvalidArgument(f"{folder} is a file, not a folder")
    created = _missing_parent(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return created


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (the renames into it) to disk."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux), else set and reset."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temp(folder: Path, name: str) -> tuple[IO[bytes], Path]:
    """A temporary file beside ``name`` with the permissions ``open()`` would give a new file
    (``0o666 & ~umask``, not mkstemp's private 0600): the files are handed to other people and tools."""
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{name}{TEMP_MARK}")
    try:
        os.fchmod(handle, 0o666 & ~_umask())
    except BaseException:
        os.close(handle)
        os.unlink(temp)
        raise
    return os.fdopen(handle, "wb"), Path(temp)


@contextmanager
def atomic_file(path: Path, *, report: Written | None = None) -> Iterator[IO[bytes]]:
    """A binary handle whose content replaces ``path`` only when the block ends without an error.

    Written to a temporary file in the same folder, flushed to disk and renamed over ``path``; on any
    failure (including KeyboardInterrupt) the temporary file is removed and ``path`` is as it was. A
    missing parent folder is created and recorded in ``report``.
    """
    report = report if report is not None else Written()
    if path.is_dir():
        raise InvalidArgument(f"{path} is a folder, not a file")
    created = _make_folder(path.parent)
    report.created = report.created or created
    raw, temp = _temp(path.parent, path.name)
    try:
        with raw:
            yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    report.paths.append(path)


@contextmanager
def atomic_text(path: Path, *, report: Written | None = None) -> Iterator[TextIO]:
    """:func:`atomic_file` for UTF-8 text (newlines written as given)."""
    with atomic_file(path, report=report) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        yield text
        text.flush()
        text.detach()


def write_file(path: Path, data: bytes | str) -> Written:
    """Replace ``path`` with ``data`` (text as UTF-8) atomically; see :func:`atomic_file`."""
    report = Written()
    with atomic_file(path, report=report) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    return report


def _relative(name: str) -> str:
    """``name`` as a plain relative path inside a folder; InvalidArgument for anything escaping it."""
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise InvalidArgument(f"{name!r} is not a file name inside the output folder")
    return "/".join(parts)


def _files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir())


def _listed(folder: Path) -> set[str] | None:
    """The files the manifest in ``folder`` lists, or None when there is no readable manifest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        return {_relative(str(entry["path"])) for entry in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError, InvalidArgument):
        return None


def _few(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


class OutputFolder:
    """A folder being written by one run: each file staged beside its place, all put in place at the end.

    Use :func:`output_folder`. Nothing in the folder changes until every file is staged; then the files
    the earlier run's manifest lists and this run does not write are removed, the staged files renamed
    into place and the manifest rewritten (it lists old and new files while that happens, so a run killed
    in between leaves nothing a later ``force`` would miss).
    """

    def __init__(self, folder: Path, *, force: bool, about: Mapping[str, Any]) -> None:
        self.folder = folder
        self.about = dict(about)
        self.written = Written()
        self._staged: dict[str, tuple[Path, int]] = {}
        self._made: list[Path] = []
        self._old: set[str] = set()
        self._leftovers: list[str] = []
        if folder.exists() and not folder.is_dir():
            raise InvalidArgument(f"{folder} is a file, not a folder")
        present = _files_under(folder) if folder.exists() else []
        self._leftovers = [name for name in present if TEMP_MARK in name.rsplit("/", 1)[-1]]
        content = [name for name in present if name not in self._leftovers]
        if content:
            self._check_replace(content, force)
        self.written.created = _make_folder(folder)
        if self.written.created is not None:
            self._made.append(self.written.created)

    def _check_replace(self, content: list[str], force: bool) -> None:
        where = self.folder
        if not force:
            raise InvalidArgument(
                f"{where} is not empty: choose an empty folder, or give --force to replace what an earlier "
                "crimegraph export wrote there"
            )
        listed = _listed(where)
        if listed is None:
            raise InvalidArgument(
                f"{where} holds files but no crimegraph manifest ({MANIFEST}), so --force cannot tell "
                "what an earlier export wrote: choose an empty folder"
            )
        foreign = [name for name in content if name not in listed and name != MANIFEST]
        if foreign:
            raise InvalidArgument(
                f"{where} holds {len(foreign)} file{'s' if len(foreign) != 1 else ''} no earlier export "
                f"wrote ({_few(foreign)}); --force removes only what crimegraph wrote: move them or "
                "choose another folder"
            )
        self._old = listed

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A binary handle for the file ``name`` (``a/b.csv`` for a subfolder), staged until the end."""
        relative = _relative(name)
        if relative in self._staged or relative == MANIFEST:
            raise InvalidArgument(f"{relative} is written twice")
        target = self.folder / relative
        missing = _missing_parent(target.parent)
        target.parent.mkdir(parents=True, exist_ok=True)
        if missing is not None:
            self._made.append(missing)
        raw, temp = _temp(target.parent, target.name)
        try:
            with raw:
                yield raw
                raw.flush()
                os.fsync(raw.fileno())
                size = raw.tell()
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        self._staged[relative] = (temp, size)

    @contextmanager
    def open_text(self, name: str) -> Iterator[TextIO]:
        """:meth:`open` for UTF-8 text (newlines written as given)."""
        with self.open(name) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            yield text
            text.flush()
            text.detach()

    def write(self, name: str, data: bytes | str) -> None:
        """Stage the file ``name`` with ``data`` (text as UTF-8)."""
        with self.open(name) as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)

    def _manifest(self, names: list[str]) -> bytes:
        entries = []
        for name in sorted(names):
            size = self._staged[name][1] if name in self._staged else None
            entries.append({"path": name, "bytes": size} if size is not None else {"path": name})
        manifest = {
            "written_by": "crimegraph",
            "written": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **self.about,
            "files": entries,
        }
        return (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode("utf-8")

    def commit(self) -> Written:
        """Put every staged file in place and remove what the earlier run wrote and this one did not."""
        new = sorted(self._staged)
        write_file(self.folder / MANIFEST, self._manifest(sorted(self._old | set(new))))
        for name in sorted(self._old - set(new)):
            path = self.folder / name
            if path.exists() or path.is_symlink():
                path.unlink()
                self.written.removed.append(path)
            self._prune(path.parent)
        for name in new:
            os.replace(self._staged[name][0], self.folder / name)
            self.written.paths.append(self.folder / name)
        for name in self._leftovers:
            (self.folder / name).unlink(missing_ok=True)
        folders = {(self.folder / name).parent for name in new}
        for folder in sorted(folders):
            _sync_folder(folder)
        write_file(self.folder / MANIFEST, self._manifest(new))
        self._staged.clear()
        return self.written

    def _prune(self, folder: Path) -> None:
        """Remove ``folder`` and its parents up to the output folder while they are empty."""
        while folder != self.folder and self.folder in folder.parents and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent

    def abandon(self) -> None:
        """Remove everything staged and every folder this run created; the earlier content stays."""
        for temp, _ in self._staged.values():
            temp.unlink(missing_ok=True)
        self._staged.clear()
        for folder in reversed(self._made):
            for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
                if not any(sub.iterdir()):
                    sub.rmdir()
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


@contextmanager
def output_folder(
    folder: Path, *, force: bool = False, about: Mapping[str, Any] | None = None
) -> Iterator[OutputFolder]:
    """Write a folder: stage files with :meth:`OutputFolder.write` / ``open`` inside the block.

    Refuses (InvalidArgument) a folder that is not empty unless ``force``, and even then one holding files
    no crimegraph manifest lists. When the block ends without an error the files are put in place and
    ``about`` (e.g. format and clearance) is recorded in the manifest with the file list; on an error
    nothing in the folder has changed. The result is in the object's ``written``.
    """
    out = OutputFolder(folder, force=force, about=about or {})
    try:
        yield out
    except BaseException:
        out.abandon()
        raise
    out.commit()


def write_folder(
    folder: Path,
    files: Mapping[str, bytes | str],
    *,
    force: bool = False,
    about: Mapping[str, Any] | None = None,
) -> Written:
    """Write ``files`` (relative name -> content) as the folder's whole content; see :func:`output_folder`."""
    with output_folder(folder, force=force, about=about) as out:
        for name, data in files.items():
            out.write(name, data)
    return out.written
