"""``crimegraph communities``: the groups the graph (or a scope of it) falls into, with stable ids."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from backend.commands.scope_options import (
    ClearanceOpt,
    DepthOpt,
    EdgeSetOpt,
    KeysOpt,
    KindsOpt,
    SinceOpt,
    UntilOpt,
    make_scope,
)
from backend.console import app, opened_store, out, read_clearance, run
from queries.communities import MAX_LIMIT
from queries.communities import communities as find_communities
from queries.partition import ALGORITHMS
from queries.results import node_dict


@app.command()
def communities(
    keys: KeysOpt = None,
    depth: DepthOpt = 2,
    kinds: KindsOpt = None,
    edge_set: EdgeSetOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    algorithm: Annotated[str, typer.Option(help=f"One of: {', '.join(ALGORITHMS)}.")] = "louvain",
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="List at most this many.")] = 50,
    clearance: ClearanceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the communities as JSON.")] = False,
) -> None:
    """List the communities of the visible graph (or of the scope the options name), largest first.

    Each has an id (`crimegraph view community ID` and `--community ID` take it; the same data gives the
    same ids whatever order it was loaded in), its size, its best-linked members and its kinds. Entities
    with no tie in the scope are not listed.
    """
    scope = make_scope(keys, depth, None, kinds, edge_set, since, until)
    level = read_clearance(clearance)

    def body() -> None:
        with opened_store() as store:
            found = find_communities(store, level, scope.check(store.model), algorithm=algorithm, limit=limit)
        if as_json:
            rows = [
                {
                    "id": c.id,
                    "size": c.size,
                    "internal_edges": c.internal_edges,
                    "kinds": c.kinds,
                    "top": [node_dict(n) for n in c.top],
                }
                for c in found
            ]
            print(json.dumps({"clearance": level.label, "scope": scope.as_dict(), "communities": rows}))
            return
        table = Table("id", "size", "links inside", "best-linked members", "kinds", title="communities")
        for c in found:
            table.add_row(
                c.id,
                str(c.size),
                str(c.internal_edges),
                ", ".join(n.name for n in c.top),
                ", ".join(f"{kind} {count}" for kind, count in c.kinds.items()),
            )
        out.print(table)
        if not found:
            out.print("no community of two or more entities in this scope")

    run(body)
