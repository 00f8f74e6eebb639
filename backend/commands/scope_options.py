"""The scope options every whole-network command takes (score, plan, view, export ...), declared once.

A command lists the aliases below as parameters and calls :func:`make_scope` with them::

    def score(keys: KeysOpt = None, depth: DepthOpt = 2, community: CommunityOpt = None,
              kinds: KindsOpt = None, edge_set: EdgeSetOpt = None, since: SinceOpt = None,
              until: UntilOpt = None) -> None:
        scope = make_scope(keys, depth, community, kinds, edge_set, since, until)
"""

from __future__ import annotations

from typing import Annotated

import typer

from queries.scope import DEFAULT_DEPTH, Scope

KeysOpt = Annotated[
    list[str] | None,
    typer.Option("--key", help="Limit to the neighbourhood of this entity (key or id); repeatable."),
]
DepthOpt = Annotated[int, typer.Option(min=0, max=4, help="Hops around --key.")]
CommunityOpt = Annotated[
    str | None, typer.Option(help="Limit to one community id (as listed by `crimegraph communities`).")
]
KindsOpt = Annotated[list[str] | None, typer.Option("--kind", help="Only these node kinds; repeatable.")]
EdgeSetOpt = Annotated[
    str | None, typer.Option("--edge-set", help="A named edge set of the schema (e.g. operational, money).")
]
SinceOpt = Annotated[str | None, typer.Option(help="Only edges seen on or after this date (ISO 8601).")]
UntilOpt = Annotated[str | None, typer.Option(help="Only edges seen on or before this date (ISO 8601).")]
ClearanceOpt = Annotated[
    str | None,
    typer.Option(
        help="Read only what this TLP clearance may see (default: the setting CRIMEGRAPH_CLEARANCE, "
        "RED when unset).",
        show_default=False,
    ),
]


def make_scope(
    keys: list[str] | None,
    depth: int = DEFAULT_DEPTH,
    community: str | None = None,
    kinds: list[str] | None = None,
    edge_set: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Scope:
    """The :class:`~queries.scope.Scope` the options name (checked against the schema when used); the
    global ``--include-undated`` says whether a time window keeps links without an observed date."""
    from backend.console import state

    return Scope(
        keys=tuple(keys or ()),
        depth=depth,
        community=community,
        kinds=tuple(kinds or ()),
        edge_set=edge_set,
        since=since,
        until=until,
        include_undated=state.include_undated,
    )
