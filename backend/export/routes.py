"""The export API: ``GET /export/{format}`` and ``POST /export/package``, for the caller's key and clearance.

A caller may ask for a lower clearance than their key's (``?clearance=GREEN`` to prepare something for a
partner), never a higher one. Store work runs off the event loop within the API's time budget.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from backend.api.auth import Caller, require
from backend.api.deps import Runner, StoreHolder
from backend.export.files import Exported, check_format, export, single_file
from backend.export.package import Requester, package_files, takedown_package
from backend.export.package.render import languages
from backend.settings import Settings
from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from queries.results import Plan
from queries.scope import DEFAULT_DEPTH, Scope

router = APIRouter(prefix="/export", tags=["export"])
Exporter = Annotated[Caller, Depends(require("export"))]


def _clearance(caller: Caller, requested: str | None) -> TLP:
    if requested is None:
        return caller.clearance
    try:
        level = TLP.parse(requested)
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None
    return min(level, caller.clearance)


def _runner(request: Request) -> Runner:
    holder: StoreHolder = request.app.state.store_holder
    return Runner(holder, request.app.state.settings.api.time_budget)


def _file(data: bytes, media_type: str, name: str, level: TLP) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Crimegraph-Clearance": level.label,
        },
    )


@router.get("/{fmt}")
async def export_file(
    request: Request,
    caller: Exporter,
    fmt: str,
    key: Annotated[list[str] | None, Query(description="Neighbourhood of these entities.")] = None,
    depth: int = DEFAULT_DEPTH,
    community: str | None = None,
    kind: Annotated[list[str] | None, Query(description="Only these node kinds.")] = None,
    edge_set: str | None = None,
    since: str | None = None,
    until: str | None = None,
    clearance: str | None = None,
    aggregate_transfers: Annotated[
        bool, Query(description="gexf/graphml: parallel transfers between two wallets as one edge.")
    ] = False,
) -> Response:
    """The visible graph of a scope as ``stix``, ``misp``, ``misp-stix``, ``gexf``, ``graphml`` or ``csv`` (a
    zip of the tables)."""
    found = check_format(fmt)
    level = _clearance(caller, clearance)
    scope = Scope(
        keys=tuple(key or ()),
        depth=depth,
        community=community,
        kinds=tuple(kind or ()),
        edge_set=edge_set,
        since=since,
        until=until,
    )
    holder: StoreHolder = request.app.state.store_holder
    store = await holder.aget()
    exported: Exported = await _runner(request)(
        export, store, level, scope, found.name, aggregate=aggregate_transfers
    )
    return _file(single_file(exported), found.media_type, f"crimegraph{found.suffix}", level)


@router.post("/package")
async def export_package(
    request: Request,
    caller: Exporter,
    plan: Annotated[dict[str, Any], Body(description="A takedown plan (its JSON).")],
    clearance: str | None = None,
    language: str | None = None,
) -> Response:
    """A takedown plan's packages, one folder per party that can act, as a zip (the caller asks)."""
    level = _clearance(caller, clearance)
    parsed = Plan.from_dict(plan)
    settings = Settings().package
    chosen = language or settings.language
    if chosen not in languages():
        raise InvalidArgument(f"no package language {chosen!r}; known: {', '.join(languages())}")
    asking = Requester.of(caller.name, settings)
    holder: StoreHolder = request.app.state.store_holder
    store = await holder.aget()

    def build() -> Exported:
        files = package_files(takedown_package(store, level, parsed, requester=asking), chosen)
        index = json.loads(files["index.json"])
        return Exported(files, sum(len(p["targets"]) for p in index["parties"]), 0)

    exported = await _runner(request)(build)
    return _file(single_file(exported), "application/zip", "takedown-package.zip", level)
