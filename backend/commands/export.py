"""``crimegraph export``: findings leave in partners' formats, within clearance (packages: ``package.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from backend.commands.scope_options import (
    CommunityOpt,
    DepthOpt,
    EdgeSetOpt,
    KeysOpt,
    KindsOpt,
    SinceOpt,
    UntilOpt,
    make_scope,
)
from backend.console import app, console, opened_store, out, parse_tlp, run, tell
from backend.export.files import FORMATS, check_format, export, single_file, write_file, write_folder

ClearanceOpt = Annotated[
    str,
    typer.Option(
        help="Export only what this TLP clearance may see (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)."
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Write into a folder an earlier export wrote: first remove every file its manifest lists.",
    ),
]


@app.command("export")
def export_command(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help=f"One of: {', '.join(FORMATS)}.")],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="File to write; for csv a folder (one per dataset), or a .zip file."
        ),
    ],
    keys: KeysOpt = None,
    depth: DepthOpt = 2,
    community: CommunityOpt = None,
    kinds: KindsOpt = None,
    edge_set: EdgeSetOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    clearance: ClearanceOpt = "CLEAR",
    force: ForceOpt = False,
    aggregate: Annotated[
        bool,
        typer.Option(
            "--aggregate-transfers",
            help="gexf/graphml: parallel transfers between two wallets as one edge (count, total, "
            "first/last date), for Gephi's default import.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
) -> None:
    """Export the visible graph of a scope as STIX 2.1, GEXF, GraphML or CSV tables."""

    def body() -> None:
        level = parse_tlp(clearance)
        check_format(fmt)
        scope = make_scope(keys, depth, community, kinds, edge_set, since, until)
        with opened_store() as store, console.status(f"exporting {fmt}"):
            exported = export(store, level, scope, fmt, aggregate=aggregate)
        if len(exported.files) > 1 and output.suffix.lower() != ".zip":
            about = {"format": fmt.lower(), "clearance": level.label}
            written = write_folder(output, exported.files, force=force, about=about)
        else:
            written = write_file(output, single_file(exported))
        tell(written.notes)
        summary = {
            "format": fmt.lower(),
            "clearance": level.label,
            "nodes": exported.nodes,
            "edges": exported.edges,
            "files": sorted(str(path) for path in written.paths),
            "created_folder": str(written.created) if written.created else None,
            "removed": [str(path) for path in written.removed],
        }
        if as_json:
            print(json.dumps(summary))
        else:
            out.print(
                f"exported {exported.nodes} nodes, {exported.edges} edges at clearance {level.label} "
                f"to {output}",
                highlight=False,
            )

    run(body)
