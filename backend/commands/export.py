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
from backend.export.neo4j_admin import ARGS_FILE, write_import_folder
from graph_model.errors import InvalidArgument
from graph_model.words import counted, plural

ClearanceOpt = Annotated[
    str,
    typer.Option(
        help="Export only what this TLP clearance may see (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)."
    ),
]
NEO4J_ADMIN = "neo4j-admin"
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Write into a folder an earlier export wrote: first remove every file its manifest lists.",
    ),
]


@app.command("export")
def export_command(
    fmt: Annotated[
        str, typer.Argument(metavar="FORMAT", help=f"One of: {', '.join(FORMATS)}, {NEO4J_ADMIN}.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="File to write; csv: a folder (one per dataset) or a .zip file; neo4j-admin: a folder.",
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
    """Export the visible graph of a scope as STIX 2.1, a MISP event, MISP's STIX 2.1 (for MISP's STIX
    import), GEXF, GraphML or CSV tables, or the whole store (what the clearance may see) as the files
    `neo4j-admin database import full` builds a database from."""
    if fmt.lower() == NEO4J_ADMIN:
        scoped = keys or community or kinds or edge_set or since or until or aggregate
        run(lambda: _neo4j_admin(output, clearance, force, as_json, bool(scoped)))
        return

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
            "indicators_left_out": exported.left_out,
            "files": sorted(str(path) for path in written.paths),
            "created_folder": str(written.created) if written.created else None,
            "removed": [str(path) for path in written.removed],
        }
        if as_json:
            print(json.dumps(summary))
        else:
            out.print(
                f"exported {counted(exported.nodes, 'node')}, {counted(exported.edges, 'edge')} at "
                f"clearance {level.label} "
                f"to {output}",
                highlight=False,
            )
            if exported.left_out:
                n = exported.left_out
                whose = plural(n, "its links): its pattern is", "their links): their patterns are")
                out.print(
                    f"left out {counted(n, 'indicator')} (and {whose} marked above {level.label}, and a "
                    "STIX indicator needs one",
                    highlight=False,
                )

    run(body)


def _neo4j_admin(output: Path, clearance: str, force: bool, as_json: bool, scoped: bool) -> None:
    if scoped:
        raise InvalidArgument("neo4j-admin exports the whole store: scope options do not apply")
    level = parse_tlp(clearance)
    with opened_store() as store, console.status("reading the store"):
        stored = store.stored().within(level)
        model = store.model
    with console.status("writing the importer's files"):
        made = write_import_folder(output, model, stored, force=force, about={"clearance": level.label})
    tell(made.written.notes)
    command = ["neo4j-admin", *made.arguments("neo4j", relative=True)[:4], f"@{ARGS_FILE}"]
    summary = {
        "format": NEO4J_ADMIN,
        "clearance": level.label,
        "nodes": len(stored.nodes),
        "edges": len(stored.edges),
        "files": sorted(str(path) for path in made.written.paths),
        "created_folder": str(made.written.created) if made.written.created else None,
        "removed": [str(path) for path in made.written.removed],
        "import": command,
    }
    if as_json:
        print(json.dumps(summary))
        return
    out.print(
        f"exported {counted(len(stored.nodes), 'node')}, {counted(len(stored.edges), 'edge')} at clearance "
        f"{level.label} to "
        f"{output}; with Neo4j stopped, from inside that folder: {' '.join(command)}",
        highlight=False,
        markup=False,
    )
