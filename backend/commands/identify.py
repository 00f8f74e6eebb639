"""``crimegraph identify``: same-person candidates with their evidence; ``--write`` stores them as
candidate links (never merging nodes)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from backend.commands.scope_options import (
    CommunityOpt,
    DepthOpt,
    KeysOpt,
    SinceOpt,
    UntilOpt,
    make_scope,
)
from backend.console import analyst, app, opened_store, out, parse_tlp, run
from backend.views.identity import pair_path
from graph_model.entities import Edge
from graph_model.provenance import Provenance
from graph_model.words import counted, plural
from queries.identify.candidates import DEFAULT_MIN_SCORE, METHOD, Identification, identify
from queries.identify.decisions import decide

identify_app = typer.Typer(help="Same-person candidates: which handles are one person, with the evidence.")
app.add_typer(identify_app, name="identify")
CANDIDATE = "SAME_PERSON_CANDIDATE"


def candidate_edges(found: Identification) -> list[Edge]:
    """The candidate links ``--write`` stores: confidence = score, the method as provenance, the highest
    marking among the evidence used, the agreeing signals."""
    edges = []
    for c in found.candidates:
        prov = Provenance.of(
            "identify", f"{c.a.key}|{c.b.key}", confidence=round(c.score * 100), tlp=c.marking
        )
        props = {
            "score": round(c.score, 6),
            "method": METHOD,
            "signals": sorted({e.signal for e in c.evidence if e.weight > 0}),
            "weight": round(sum(e.weight for e in c.evidence), 3),
        }
        edges.append(Edge(CANDIDATE, c.a.key, c.b.key, prov, props))
    return edges


@identify_app.callback(invoke_without_command=True)
def identify_command(
    ctx: typer.Context,
    keys: KeysOpt = None,
    depth: DepthOpt = 2,
    community: CommunityOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    min_score: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Least match probability a candidate needs (0..1).")
    ] = DEFAULT_MIN_SCORE,
    top: Annotated[int | None, typer.Option(min=1, help="At most this many candidates.")] = None,
    clearance: Annotated[str, typer.Option(help="Use only what this TLP clearance may see.")] = "RED",
    seed: Annotated[int, typer.Option(help="Seed of the model's random sampling.")] = 1,
    write: Annotated[
        bool, typer.Option("--write", help="Store the candidates as SAME_PERSON_CANDIDATE links.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Score pairs of handles as one person (a match probability) and list those above --min-score, each
    with its evidence; groups of handles linked together are one group. Nothing is merged."""
    if ctx.invoked_subcommand is not None:
        return
    scope = make_scope(keys, depth, community, None, None, since, until)

    def body() -> None:
        level = parse_tlp(clearance)
        with opened_store() as store:
            found = identify(store, level, scope, min_score=min_score, top=top, seed=seed)
            if write and found.candidates:
                store.upsert(edges=candidate_edges(found))
        if as_json:
            data = found.as_dict()
            data["written"] = len(found.candidates) if write else 0
            for item in data["candidates"]:  # where `crimegraph serve` shows the pair in the workspace
                item["view"] = pair_path(item["a"]["key"], item["b"]["key"])
            print(json.dumps(data))
            return
        table = Table("#", "a", "b", "score", "group", "strongest evidence", title="same-person candidates")
        for i, c in enumerate(found.candidates, 1):
            best = c.evidence[0] if c.evidence else None
            why = f"{best.signal} (+{best.weight:.1f}): {best.detail}" if best else ""
            table.add_row(str(i), c.a.name, c.b.name, f"{c.score:.3f}", str(c.group), why)
        out.print(table)
        out.print(
            f"{counted(len(found.candidates), 'candidate')} (match probability >= {min_score}) in "
            f"{counted(len(found.groups), 'group')}; {found.compared:,} of "
            f"{counted(found.all_pairs, 'handle pair')} compared"
            + (
                f"; {len(found.candidates):,} written as {CANDIDATE} {plural(len(found.candidates), 'link')}"
                if write
                else ""
            )
        )
        if found.candidates:
            first = found.candidates[0]
            out.print(
                f"Open a pair with its shared evidence: crimegraph view identity {first.a.key} {first.b.key} "
                f"(a file), or {pair_path(first.a.key, first.b.key)} on crimegraph serve (to confirm or "
                "reject it there; /view/identify lists them all).",
                highlight=False,
                markup=False,
            )

    run(body)


HandleArg = Annotated[str, typer.Argument(help="A handle's key or identifier, e.g. handle:darkviper12.")]
DecideClearance = Annotated[str, typer.Option(help="Decide on what this TLP clearance may see.")]


def _decide(first: str, second: str, verdict: str, clearance: str, as_json: bool) -> None:
    def body() -> None:
        level = parse_tlp(clearance)
        with opened_store() as store:
            record = decide(store, level, first, second, verdict, analyst=analyst())
        if as_json:
            print(json.dumps(record))
            return
        score = "not proposed by the model" if record["score"] is None else f"score {record['score']:.3f}"
        out.print(
            f"{record['a']} and {record['b']}: {verdict} by {record['analyst']} at {record['at']} ({score})"
        )

    run(body)


@identify_app.command("confirm")
def confirm(
    first: HandleArg,
    second: HandleArg,
    clearance: DecideClearance = "RED",
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Confirm that two handles are one person: recorded with who (--analyst) and when, and written as an
    ALIAS_OF link (relation 'same person'); the nodes are not merged."""
    _decide(first, second, "confirmed", clearance, as_json)


@identify_app.command("reject")
def reject(
    first: HandleArg,
    second: HandleArg,
    clearance: DecideClearance = "RED",
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Reject a candidate: recorded with who (--analyst) and when; later runs leave the pair out unless new
    evidence arrives (then it is marked as such)."""
    _decide(first, second, "rejected", clearance, as_json)
