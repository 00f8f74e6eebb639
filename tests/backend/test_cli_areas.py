"""A crimegraph process imports only the command module its command needs, and every command still runs.

Run as the program (``python -m backend ...`` or ``crimegraph ...``), the CLI imports only the area module
that registers the command asked for (for help, an unknown command or anything unsure: all of them);
imported by anything else (as here), it registers every command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import typer

from backend import cli

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "backend", *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"},
        timeout=120,
    )


def _command_lines() -> list[list[str]]:
    """Every command and every subcommand of a group, as the words that call it."""
    lines: list[list[str]] = []
    group = typer.main.get_command(cli.app)
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        lines.append([name])
        for sub in sorted(getattr(command, "commands", {})):
            lines.append([name, sub])
    return lines


def test_imported_by_anything_else_every_area_is_registered() -> None:
    assert cli.program_arguments() is None  # pytest is not the crimegraph program
    assert "disruption" in cli._AREAS and "views" in cli._AREAS and "api" in cli._AREAS
    assert {"score", "plan", "serve", "export", "bulk-load", "taxii", "identify"} <= {
        line[0] for line in _command_lines()
    }


def test_every_command_runs_with_only_its_area_imported(tmp_path: Path) -> None:
    store = f"embedded:{tmp_path / 'g.db'}"
    lines = _command_lines()
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda words: _run("--store", store, *words, "--help"), lines))
    for words, result in zip(lines, done, strict=True):
        assert result.returncode == 0, (words, result.stderr)
        assert f"Usage: python -m backend {' '.join(words)}" in result.stdout, words


def test_a_command_imports_its_area_alone() -> None:
    # as `python -m backend --store X --analyst a:b score --top 3` starts: only the disruption commands,
    # none of the server's, the exporters' or Neo4j's libraries
    code = (
        "import sys\n"
        "sys.argv = ['backend/__main__.py', *sys.argv[1:]]\n"
        "import backend.cli as cli\n"
        "heavy = ('neo4j', 'strawberry', 'fastapi', 'stix2', 'pyvis')\n"
        "print(cli._AREAS, [m for m in heavy if m in sys.modules])\n"
    )
    result = _run(
        "--store", "embedded:x.db", "--analyst", "k:analyst:RED:Ann", "score", "--top", "3", code=code
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['disruption'] []"


def test_the_command_asked_for() -> None:
    assert cli.requested(["--store", "score", "plan", "--budget", "3"]) == "plan"
    assert cli.requested(["--store=embedded:x", "--include-undated", "score"]) == "score"
    assert cli.requested(["--analyst", "a", "--", "taxii", "collection"]) == "taxii"
    assert cli.requested(["--version"]) is None and cli.requested([]) is None
    assert cli.import_areas(["--store", "s", "load", "csv", "x"]) == []  # the main module's own command
    assert cli.import_areas(["nonsense"]) == cli.import_areas(None)  # unknown: every area
