"""``crimegraph view ...``: write an interactive network view as one self-contained HTML file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from backend.api.limits import FETCH_DEFAULT, HUB_CAP_MAX, NODE_CAP_DEFAULT, NODE_CAP_MAX, within
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
from backend.console import app, opened_store, out, read_clearance, run, tell
from backend.settings import Settings
from backend.views.build import (
    community_view,
    money_view,
    neighbourhood_view,
    paths_view,
    plan_clearance,
    plan_view,
)
from backend.views.identity import identity_view
from backend.views.render import View, ViewOptions, render
from backend.views.shaping import AGGREGATE_BY
from graph_model.errors import InvalidArgument
from graph_model.heap import paused
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.words import counted
from queries.results import Plan

view_app = typer.Typer(
    name="view",
    help="Write an interactive network view (one HTML file that works offline) of a query's result.",
    no_args_is_help=True,
)
app.add_typer(view_app)

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")]
NodeCapOpt = Annotated[
    int,
    typer.Option(
        min=10,
        max=NODE_CAP_MAX,
        help="Above this many nodes the view is aggregated (by community or kind).",
    ),
]
HubCapOpt = Annotated[
    int, typer.Option(min=1, max=HUB_CAP_MAX, help='Leaf neighbours shown per hub before "+N more".')
]
AggregateOpt = Annotated[str, typer.Option(help=f"Aggregate big views by: {', '.join(AGGREGATE_BY)}.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")]
LimitOpt = Annotated[
    int,
    typer.Option(
        min=1, help="Most entities fetched (at most the setting CRIMEGRAPH_API__MAX_NEIGHBOURHOOD, 2,000)."
    ),
]


def _write(
    build: Callable[[GraphStore, TLP], View],
    clearance: str | None,
    out_file: Path,
    node_cap: int,
    hub_cap: int,
    aggregate_by: str,
    as_json: bool,
    *,
    default_clearance: TLP | None = None,
    limit: int | None = None,
) -> None:
    level = read_clearance(clearance, default=default_clearance)

    def body() -> None:
        if limit is not None:
            within("--limit", limit, Settings().api.max_neighbourhood)
        if aggregate_by not in AGGREGATE_BY:
            raise InvalidArgument(f"--aggregate-by must be one of {', '.join(AGGREGATE_BY)}")
        with opened_store() as store:
            view = paused(build)(store, level)
            view.clearance = level
            view.data_version = store.data_version()
            options = ViewOptions(node_cap=node_cap, hub_cap=hub_cap, aggregate_by=aggregate_by)
            result = render(view, store.model, options)
        tell(result.write(out_file).notes)
        summary = {"file": str(out_file), "kind": view.kind, **result.counts}
        if as_json:
            print(json.dumps(summary))
            return
        aggregated = " (aggregated)" if result.counts["aggregated"] else ""
        out.print(
            f"{view.kind} view written to {out_file}: {counted(result.counts['nodes'], 'node')}, "
            f"{counted(result.counts['edges'], 'edge')}{aggregated}",
            highlight=False,
            markup=False,
        )

    run(body)


@view_app.command("neighbourhood")
def neighbourhood(
    key: Annotated[str, typer.Argument(help="The entity (key or identifier).")],
    out_file: OutOpt = Path("neighbourhood.html"),
    depth: DepthOpt = 2,
    edge_set: EdgeSetOpt = None,
    kinds: KindsOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: LimitOpt = FETCH_DEFAULT,
    clearance: ClearanceOpt = None,
    node_cap: NodeCapOpt = NODE_CAP_DEFAULT,
    hub_cap: HubCapOpt = 50,
    aggregate_by: AggregateOpt = "community",
    as_json: JsonOpt = False,
) -> None:
    """The entities around KEY, up to --depth hops."""

    def build(store: GraphStore, level: TLP) -> View:
        return neighbourhood_view(
            store,
            level,
            key,
            depth=depth,
            edge_set=edge_set,
            kinds=kinds,
            since=since,
            until=until,
            limit=limit,
            hub_cap=hub_cap,
        )

    _write(build, clearance, out_file, node_cap, hub_cap, aggregate_by, as_json, limit=limit)


@view_app.command("paths")
def paths(
    source: Annotated[str, typer.Argument(metavar="A", help="One end (key or identifier).")],
    target: Annotated[str, typer.Argument(metavar="B", help="The other end.")],
    out_file: OutOpt = Path("paths.html"),
    max_length: Annotated[int, typer.Option(min=1, max=8, help="Longest path in hops.")] = 6,
    k: Annotated[int, typer.Option("-k", min=1, max=10, help="How many shortest paths.")] = 3,
    edge_set: EdgeSetOpt = None,
    kinds: KindsOpt = None,
    clearance: ClearanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The shortest paths between A and B."""

    def build(store: GraphStore, level: TLP) -> View:
        return paths_view(
            store, level, source, target, max_length=max_length, k=k, edge_set=edge_set, kinds=kinds
        )

    _write(build, clearance, out_file, 500, 50, "community", as_json)


@view_app.command("community")
def community(
    community_id: Annotated[
        str, typer.Argument(metavar="ID", help="A community id (as `crimegraph communities` lists them).")
    ],
    out_file: OutOpt = Path("community.html"),
    keys: KeysOpt = None,
    depth: DepthOpt = 2,
    kinds: KindsOpt = None,
    edge_set: EdgeSetOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    clearance: ClearanceOpt = None,
    node_cap: NodeCapOpt = NODE_CAP_DEFAULT,
    hub_cap: HubCapOpt = 50,
    aggregate_by: AggregateOpt = "kind",
    as_json: JsonOpt = False,
) -> None:
    """One community of the graph (or of the scope the options name)."""
    scope = make_scope(keys, depth, None, kinds, edge_set, since, until)

    def build(store: GraphStore, level: TLP) -> View:
        return community_view(store, level, community_id, scope)

    _write(build, clearance, out_file, node_cap, hub_cap, aggregate_by, as_json)


@view_app.command("money")
def money(
    wallet: Annotated[str, typer.Argument(help="The wallet (key or address identifier).")],
    out_file: OutOpt = Path("money.html"),
    direction: Annotated[
        str, typer.Option(help="out: where its money went; in: where it came from.")
    ] = "out",
    max_hops: Annotated[int, typer.Option(min=1, max=8, help="Most transfers followed.")] = 4,
    min_amount: Annotated[float, typer.Option(min=0.0, help="Ignore transfers below this amount.")] = 0.0,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: LimitOpt = FETCH_DEFAULT,
    clearance: ClearanceOpt = None,
    node_cap: NodeCapOpt = NODE_CAP_DEFAULT,
    hub_cap: HubCapOpt = 50,
    as_json: JsonOpt = False,
) -> None:
    """Where money from (or to) WALLET went, hop by hop."""

    def build(store: GraphStore, level: TLP) -> View:
        return money_view(
            store,
            level,
            wallet,
            direction=direction,
            max_hops=max_hops,
            min_amount=min_amount,
            since=since,
            until=until,
            limit=limit,
        )

    _write(build, clearance, out_file, node_cap, hub_cap, "community", as_json, limit=limit)


@view_app.command("plan")
def plan(
    plan_file: Annotated[
        Path, typer.Argument(metavar="PLAN.json", help="A takedown plan as JSON (`crimegraph plan --json`).")
    ],
    out_file: OutOpt = Path("plan.html"),
    clearance: ClearanceOpt = None,
    node_cap: NodeCapOpt = NODE_CAP_DEFAULT,
    hub_cap: HubCapOpt = 50,
    as_json: JsonOpt = False,
) -> None:
    """A takedown plan on its graph: targets highlighted, before/after removal, what recovery reconnects.

    Drawn at the plan's own clearance (its "clearance" field) unless --clearance says otherwise."""
    parsed, own = run(lambda: read_plan(plan_file))

    def build(store: GraphStore, level: TLP) -> View:
        return plan_view(store, level, parsed)

    _write(build, clearance, out_file, node_cap, hub_cap, "community", as_json, default_clearance=own)


@view_app.command("identity")
def identity(
    first: Annotated[str, typer.Argument(help="One handle (key or identifier), e.g. handle:coldeel59.")],
    second: Annotated[str, typer.Argument(help="The other handle.")],
    out_file: OutOpt = Path("identity.html"),
    clearance: ClearanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A same-person candidate pair (as `crimegraph identify` lists it): both handles with their shared
    evidence highlighted and every signal's weight in words. Confirming or rejecting from the page needs
    the server (crimegraph serve); from the CLI: crimegraph identify confirm / reject."""

    def build(store: GraphStore, level: TLP) -> View:
        return identity_view(store, level, first, second)

    _write(build, clearance, out_file, NODE_CAP_DEFAULT, 50, "community", as_json)


def read_plan(path: Path) -> tuple[Plan, TLP | None]:
    """A plan from its JSON file and the clearance it was made at (None when it does not say);
    InvalidArgument when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    return Plan.from_dict(data), plan_clearance(data)
