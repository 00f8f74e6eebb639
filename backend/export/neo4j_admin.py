"""Folders ``neo4j-admin database import full`` reads, and running that importer (a bulk first load).

The files are the Neo4j store's own layout (:mod:`graph_model.store.neo4j_files`); they are written
through :func:`backend.export.files.output_folder` (staged, renamed into place, with a manifest) beside
``import.args``, the importer's arguments for that folder (``neo4j-admin database import full
@import.args neo4j``, run from inside it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.export.files import Written, output_folder
from graph_model.errors import CrimegraphError, InvalidArgument
from graph_model.model import Model
from graph_model.store.neo4j_files import import_files
from graph_model.store.staging import Stored

ADMIN_TOOL = "org.neo4j.cli.AdminTool"
# What the importer needs besides its defaults: text values may span lines.
OPTIONS = ("--multiline-fields=true",)
ARGS_FILE = "import.args"


class ImportFailed(CrimegraphError):
    """``neo4j-admin database import`` refused the files or could not run."""


@dataclass(frozen=True, slots=True)
class ImportFolder:
    """A written folder: the node and relationship files (names inside it) and what the write did."""

    folder: Path
    nodes: list[str]
    relationships: list[str]
    written: Written

    def arguments(self, database: str, *, overwrite: bool = False, relative: bool = False) -> list[str]:
        """``database import full`` with every file of the folder (absolute paths unless ``relative``)."""
        where = (lambda name: name) if relative else (lambda name: str(self.folder.resolve() / name))
        # The database first: --nodes and --relationships take any number of values.
        args = ["database", "import", "full", database, *OPTIONS]
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
                for line in item.lines:
                    handle.write(line)
                    handle.write("\n")
            (nodes if item.group == "nodes" else relationships).append(item.name)
        made = ImportFolder(folder, nodes, relationships, Written())
        lines = made.arguments("neo4j", relative=True)[4:]  # the options and files, one a line
        out.write(ARGS_FILE, "\n".join(lines) + "\n")
    return ImportFolder(folder, nodes, relationships, out.written)


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
        return ["java", "-Xmx1g", "-cp", f"{lib}/*", ADMIN_TOOL]
    raise InvalidArgument(
        f"{neo4j_home} is not a Neo4j installation (no bin/neo4j-admin, no lib/ jars); give --neo4j-home "
        "the folder holding Neo4j's bin/, conf/ and data/"
    )


def run_import(
    neo4j_home: Path, made: ImportFolder, *, database: str = "neo4j", overwrite: bool = False
) -> str:
    """Build the database ``database`` of the (stopped) Neo4j at ``neo4j_home`` from ``made``; the
    importer's output. :class:`ImportFailed` with its first error when it refuses."""
    command = [*admin_command(neo4j_home), *made.arguments(database, overwrite=overwrite)]
    env = dict(os.environ, NEO4J_HOME=str(neo4j_home))
    if (neo4j_home / "conf").is_dir():
        env["NEO4J_CONF"] = str(neo4j_home / "conf")
    # From inside the folder: the importer writes its report (import.report) where it runs.
    result = subprocess.run(command, cwd=made.folder, env=env, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise ImportFailed(f"neo4j-admin database import failed: {_first_error(output)}")
    return output


def _first_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        lowered = line.lower()
        if "exist" in lowered or "error" in lowered or "exception" in lowered or "invalid" in lowered:
            return line
    return lines[-1] if lines else "no output"
