"""``crimegraph check``: does what the store holds obey the schema?"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from backend.console import app, opened_store, out, run
from graph_model.check import CheckReport, check_store
from graph_model.words import counted


@app.command()
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    examples: Annotated[int, typer.Option(min=0, max=1000, help="How many examples of each to list.")] = 20,
) -> None:
    """Report every stored node or edge that violates the schema, and the edges waiting for an endpoint.

    Exit code 0 when nothing violates the schema (waiting edges are listed, not failures), else 1.
    """

    def body() -> CheckReport:
        with opened_store() as store:
            report = check_store(store, examples=examples)
        if as_json:
            print(json.dumps(report.as_dict()))
        else:
            _print(report)
        return report

    if run(body).violations:
        raise typer.Exit(1)


def _print(report: CheckReport) -> None:
    if report.by_reason:
        table = Table("violation", "count", title=counted(report.violations, "schema violation"))
        for reason, count in report.by_reason.most_common():
            table.add_row(reason, str(count))
        out.print(table)
        for example in report.examples:
            out.print(f"  {example['what']}: {example['reason']}", highlight=False, markup=False)
    if report.waiting_examples:
        out.print(f"{counted(report.waiting, 'edge')} waiting for an endpoint, e.g.:")
        for edge in report.waiting_examples:
            out.print(f"  {edge['edge']} (from {edge['from']})", highlight=False, markup=False)
    out.print(
        f"{counted(report.violations, 'violation')}, "
        f"{counted(report.waiting, 'edge')} waiting for an endpoint"
    )
