"""Disruption commands: score, plan, dismantle, simulate - each a thin call into queries.disruption."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from backend.commands.scope_options import (
    ClearanceOpt,
    CommunityOpt,
    DepthOpt,
    EdgeSetOpt,
    KeysOpt,
    KindsOpt,
    SinceOpt,
    UntilOpt,
    make_scope,
)
from backend.console import app, console, opened_store, out, read_clearance, run
from graph_model.errors import InvalidArgument
from graph_model.heap import collection_paused
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from graph_model.words import counted
from queries.disruption.centrality import allow_forked_workers
from queries.disruption.costs import read_costs
from queries.disruption.dismantle import dismantle as dismantle_scope
from queries.disruption.limits import MAX_BUDGET, MAX_TOP, check_remove, check_top
from queries.disruption.objectives import OBJECTIVES
from queries.disruption.plan import check_request, takedown_plan
from queries.disruption.recovery import check_probability
from queries.disruption.scores import METRICS, disruption_scores, legend
from queries.disruption.simulate import simulate_takedown
from queries.results import Plan, Target
from queries.scope import Scope

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
# Numbers are read as text and checked here, so a bad one is one line and exit 1 like every expected
# failure (typer's own checks print a usage box and exit 2); the caps are queries.disruption.limits'.
RecoveryOpt = Annotated[
    str | None,
    typer.Option(
        metavar="P",
        help="Simulate recovery: the share (0-1) of the ties the recovery model predicts that form "
        "(docs/disruption.md, 'Simulation and recovery').",
    ),
]
SeedOpt = Annotated[str, typer.Option(metavar="N", help="Random seed (recovery ties, sampling, restarts).")]


def _int(name: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidArgument(f"{name} must be a whole number, got {text!r}") from None


def _float(name: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        raise InvalidArgument(f"{name} must be a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidArgument(f"{name} must be a finite number, got {text!r}")
    return value


@contextmanager
def _working(what: str, quiet: bool) -> Iterator[None]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    ) as progress:
        progress.add_task(what, total=None)
        yield


def _with_store(
    clearance: str | TLP | None, what: str, quiet: bool, action: Callable[[GraphStore, TLP], T]
) -> T:
    level = clearance if isinstance(clearance, TLP) else read_clearance(clearance)
    allow_forked_workers()  # one command per process: a large betweenness may run beside the rest
    # no cyclic collection while the graph is read and worked on: what is built then holds no cycles,
    # yet each full collection walks all of it (a third of reading and indexing the M graph)
    with opened_store() as store, _working(what, quiet), collection_paused():
        return action(store, level)


def _print_json(data: Any) -> None:
    print(json.dumps(data, default=str))


def _targets_table(targets: list[Target], title: str, limit: int | None = None) -> Table:
    table = Table("#", "name", "kind", "score", "cost", "why", title=title)
    for i, t in enumerate(targets[:limit] if limit else targets, 1):
        table.add_row(str(t.rank or i), t.name, t.kind, f"{t.score:.4g}", f"{t.cost:g}", t.why)
    return table


def _print_plan(plan: Plan, title: str, limit: int | None = None) -> None:
    if plan.verdict:
        out.print(plan.verdict["text"], markup=False, highlight=False)
    out.print(_targets_table(plan.targets, title, limit))
    if limit and len(plan.targets) > limit:
        out.print(f"... {len(plan.targets) - limit} more in --json")
    keys = ("nodes", "lcc", "components", "fragmentation", "cashout_reachable", "group_links")
    table = Table("measure", "before", "after", *(["after recovery"] if plan.recovery else []))
    for key in keys:
        if key in plan.before:
            row = [key, _fmt(plan.before.get(key)), _fmt(plan.after.get(key))]
            if plan.recovery:
                row.append(_fmt(plan.recovery.get(key)))
            table.add_row(*row)
    for key in ("R", "q10", "q10_reinserted", "method"):
        if key in plan.after:
            table.add_row(key, "", _fmt(plan.after[key]))
    out.print(table)
    if plan.recovery:
        retained = plan.recovery.get("retained") or {}
        shares = ", ".join(
            f"{name} {share:.0%}" for name, share in retained.items() if isinstance(share, int | float)
        )
        if shares:
            out.print(f"retained after recovery (share of each effect that survives): {shares}")
        if plan.recovery.get("flag"):
            out.print(f"[yellow]warning:[/yellow] {plan.recovery['flag']}")


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


@app.command()
def score(
    metric: Annotated[str, typer.Option(help=f"One of: {', '.join(METRICS)}.")] = "composite",
    top: Annotated[str, typer.Option(metavar="N", help=f"How many nodes to list (1-{MAX_TOP}).")] = "20",
    keys: KeysOpt = None,
    depth: DepthOpt = 2,
    community: CommunityOpt = None,
    kinds: KindsOpt = None,
    edge_set: EdgeSetOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    clearance: ClearanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score nodes as disruption points (cut vertices, betweenness, collective influence, k-core, bridges)."""

    def body() -> None:
        n = _int("top", top)
        check_top(n)
        scope = make_scope(keys, depth, community, kinds, edge_set, since, until)
        targets = _with_store(
            clearance,
            f"scoring ({metric})",
            as_json,
            lambda store, level: disruption_scores(store, level, scope, metric=metric, top=n),
        )
        if as_json:
            _print_json(
                {
                    "targets": [t.as_dict() for t in targets],
                    "metric": metric,
                    "legend": legend(metric),
                    "scope": scope.as_dict(),
                }
            )
            return
        out.print(_targets_table(targets, f"disruption scores: {metric} (score 0-100)"))
        for name, meaning in legend(metric).items():
            out.print(f"{name}: {meaning}", markup=False, highlight=False)

    run(body)


@app.command()
def plan(
    budget: Annotated[
        str, typer.Option(metavar="K", help=f"At most this many targets (1-{MAX_BUDGET}).")
    ] = "5",
    max_cost: Annotated[
        str | None, typer.Option(metavar="C", help="At most this total cost (the action table's unit).")
    ] = None,
    objective: Annotated[str, typer.Option(help=f"One of: {', '.join(OBJECTIVES)}.")] = "fragmentation",
    costs: Annotated[
        Path | None, typer.Option(help="Costs file (JSON/YAML), see docs/disruption.md.")
    ] = None,
    group: Annotated[str | None, typer.Option(help="The group (key or name) for --objective reach.")] = None,
    recovery: RecoveryOpt = None,
    seed: SeedOpt = "0",
    time_limit: Annotated[
        str | None,
        typer.Option(
            metavar="SECONDS",
            help="Cut the search after this many seconds (the plan then says so); without it the search "
            "is bounded by a deterministic work budget and the same input always gives the same plan.",
        ),
    ] = None,
    keys: KeysOpt = None,
    depth: DepthOpt = 2,
    community: CommunityOpt = None,
    kinds: KindsOpt = None,
    edge_set: EdgeSetOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    clearance: ClearanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan a takedown: the best set of targets for a budget, each with its cost and why."""

    def body() -> None:
        k, cap, p = _int("budget", budget), _float("max cost", max_cost), _float("recovery", recovery)
        limit, rng = _float("time limit", time_limit), _int("seed", seed)
        check_request(k, cap, objective, group, p, limit)
        scope = make_scope(keys, depth, community, kinds, edge_set, since, until)
        cost_table = read_costs(costs) if costs else None
        level = read_clearance(clearance)
        result = _with_store(
            level,
            f"planning {counted(k, 'takedown')} for {objective}",
            as_json,
            lambda store, level: takedown_plan(
                store,
                level,
                scope,
                budget=k,
                max_cost=cap,
                objective=objective,
                costs=cost_table,
                group=group,
                recovery=p,
                seed=rng,
                time_limit=limit,
            ),
        )
        if as_json:
            # The clearance it was made at: `crimegraph view plan` draws it there.
            _print_json({**result.as_dict(), "clearance": level.label})
            return
        _print_plan(result, f"takedown plan ({objective})")

    run(body)


@app.command()
def dismantle(
    reinsertion: Annotated[
        bool, typer.Option("--reinsertion/--no-reinsertion", help="Also try reinsertion-reordered attacks.")
    ] = True,
    by: Annotated[
        str,
        typer.Option(
            help="q10: the order reaching a largest part of 10% of the network with the fewest removals "
            "(ties: lowest R); r: the order with the lowest R (robustness curve)."
        ),
    ] = "q10",
    keys: KeysOpt = None,
    depth: DepthOpt = 2,
    community: CommunityOpt = None,
    kinds: KindsOpt = None,
    edge_set: EdgeSetOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    clearance: ClearanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The full removal order that keeps the giant component small earliest (lowest R)."""
    scope = make_scope(keys, depth, community, kinds, edge_set, since, until)

    def body() -> None:
        result = _with_store(
            clearance,
            "dismantling",
            as_json,
            lambda store, level: dismantle_scope(store, level, scope, reinsertion=reinsertion, by=by),
        )
        if as_json:
            _print_json(result.as_dict())
            return
        _print_plan(result, "dismantling order (score = LCC/N after the removal)", limit=20)

    run(body)


@app.command()
def simulate(
    remove: Annotated[
        list[str], typer.Argument(metavar="KEY...", help="Nodes to take down (keys or names).")
    ],
    recovery: RecoveryOpt = None,
    seed: SeedOpt = "0",
    keys: KeysOpt = None,
    depth: DepthOpt = 2,
    community: CommunityOpt = None,
    kinds: KindsOpt = None,
    edge_set: EdgeSetOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    clearance: ClearanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate taking down KEY...: before/after giant component, components, F, cash-out routes, recovery."""

    def body() -> None:
        p, rng = _float("recovery", recovery), _int("seed", seed)
        check_probability(p)
        check_remove(len(remove))
        scope: Scope = make_scope(keys, depth, community, kinds, edge_set, since, until)
        result = _with_store(
            clearance,
            "simulating",
            as_json,
            lambda store, level: simulate_takedown(store, level, scope, remove, recovery=p, seed=rng),
        )
        if as_json:
            _print_json(result.as_dict())
            return
        _print_plan(result, "simulated takedown")

    run(body)
