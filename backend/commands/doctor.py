"""``crimegraph doctor``: what this machine has and lacks, with a fix for each problem."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from backend.console import app, out, run, state
from backend.doctor import Finding, diagnose
from graph_model.words import counted

STYLES = {"ok": "green", "MISSING": "red", "warning": "yellow"}


@app.command()
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    tests: Annotated[
        bool,
        typer.Option("--tests", help="Also require what the test suite needs (Java, Maven, Chromium, npm)."),
    ] = False,
) -> None:
    """Check Python, the installed packages, the store, and the tools the tests use; print a fix for each.

    Exit code 1 when something required is missing.
    """

    def body() -> list[Finding]:
        return diagnose(state.store_location, tests=tests)

    findings = run(body)
    missing = [f for f in findings if f.status == "MISSING"]
    if as_json:
        print(json.dumps({"ok": not missing, "findings": [f.as_dict() for f in findings]}))
    else:
        table = Table("check", "status", "found", "fix", title="crimegraph doctor")
        for f in findings:
            style = STYLES[f.status]
            table.add_row(
                escape(f.check),
                f"[{style}]{f.status}[/{style}]",
                escape(f.found),
                "" if f.ok else escape(f.fix),
            )
        out.print(table)
        if missing:
            names = escape(", ".join(f.check for f in missing))
            out.print(f"[red]{counted(len(missing), 'required item')} missing[/red]: {names}")
        else:
            out.print("[green]everything required is here[/green]")
    if missing:
        raise typer.Exit(1)
