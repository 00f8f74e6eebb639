"""``crimegraph taxii collection add|list|remove``: the collections the TAXII server offers, each a saved
scope (as in OpenCTI), kept in the store's state and served by ``crimegraph serve`` under ``/taxii2/``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

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
from backend.console import app, opened_store, out, parse_tlp, run
from backend.settings import Settings
from backend.taxii import collections as saved
from backend.taxii.collections import Collection
from graph_model.provenance import TLP
from queries.scope import Scope

taxii_app = typer.Typer(
    help="The TAXII 2.1 server's collections (served by `crimegraph serve` under /taxii2/)."
)
collection_app = typer.Typer(
    help="Collections: saved scopes a partner pulls, each at the partner key's clearance."
)
taxii_app.add_typer(collection_app, name="collection")
app.add_typer(taxii_app, name="taxii")


def _default_tlp() -> TLP:
    return TLP.parse(Settings().api.taxii_default_tlp)


def _row(found: Collection) -> dict[str, object]:
    return {
        "id": found.id,
        "alias": found.alias,
        "title": found.title,
        "description": found.description,
        "default_tlp": found.default_tlp.label,
        "scope": _scope(found),
    }


def _scope(found: Collection) -> dict[str, object]:
    """What the collection's scope sets (fields left at their default are left out)."""
    default = Scope().as_dict()
    return {k: v for k, v in found.scope.as_dict().items() if v != default[k]}


@collection_app.command("add")
def add(
    title: Annotated[str, typer.Argument(help="The collection's title, as partners see it.")],
    alias: Annotated[
        str | None, typer.Option(help="Short name (lower case, hyphens; default: made of the title).")
    ] = None,
    description: Annotated[str, typer.Option(help="What the collection holds, for partners.")] = "",
    default_tlp: Annotated[
        str | None,
        typer.Option(
            "--default-tlp",
            help="Marking of objects posted without one (default: CRIMEGRAPH_API__TAXII_DEFAULT_TLP, AMBER).",
            show_default=False,
        ),
    ] = None,
    keys: KeysOpt = None,
    depth: DepthOpt = 2,
    community: CommunityOpt = None,
    kinds: KindsOpt = None,
    edge_set: EdgeSetOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the collection as JSON.")] = False,
) -> None:
    """Save a collection: the scope the options name (everything when none), served to every key at its
    own clearance."""
    scope = make_scope(keys, depth, community, kinds, edge_set, since, until)
    level = parse_tlp(default_tlp) if default_tlp else None

    def body() -> Collection:
        wanted = Collection(
            "",
            title.strip(),
            description,
            scope,
            level or _default_tlp(),
            alias if alias is not None else saved.slug(title),
        )
        with opened_store(create=True) as store:
            return saved.add(store, wanted)

    made = run(body)
    if as_json:
        out.print_json(json.dumps(_row(made)))
    else:
        out.print(
            f"TAXII collection {made.title!r} (alias {made.alias}) saved: id {made.id}",
            markup=False,
            soft_wrap=True,
        )


@collection_app.command("list")
def list_collections(
    as_json: Annotated[bool, typer.Option("--json", help="Print the collections as JSON.")] = False,
) -> None:
    """The collections the TAXII server offers: everything, then the saved ones."""

    def body() -> list[Collection]:
        with opened_store() as store:
            return saved.collections(store, _default_tlp())

    found = run(body)
    if as_json:
        out.print_json(json.dumps([_row(c) for c in found]))
        return
    table = Table("id", "alias", "title", "default TLP", "scope")
    for c in found:
        scope = ", ".join(f"{k}={v}" for k, v in _scope(c).items()) or "everything"
        table.add_row(c.id, c.alias, c.title, c.default_tlp.label, scope)
    out.print(table)


@collection_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The collection's id, alias or title.")],
) -> None:
    """Remove a saved collection (what it served stays in the graph)."""

    def body() -> Collection:
        with opened_store() as store:
            return saved.remove(store, name)

    gone = run(body)
    out.print(f"TAXII collection {gone.title!r} (alias {gone.alias}) removed", markup=False, soft_wrap=True)
