"""``/view/...``: the network views served as HTML pages, with the keys, roles and clearance of GraphQL.

Reading a neighbourhood needs the ``read`` right; paths, communities, money flow and plans need
``analyse`` (as their GraphQL fields do). Every page carries a Content-Security-Policy that lets only its
own inline scripts run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from backend.api.auth import Caller, require
from backend.api.deps import Runner, StoreHolder
from backend.api.limits import FETCH_DEFAULT, HUB_CAP_MAX, MAX_DEPTH, NODE_CAP_DEFAULT, NODE_CAP_MAX, within
from backend.settings import ApiSettings
from backend.views.build import (
    Ambiguous,
    community_view,
    entity,
    investigation_view,
    money_view,
    neighbourhood_view,
    paths_view,
    plan_clearance,
    plan_view,
    saved_keys,
)
from backend.views.identity import identity_view, pair_path
from backend.views.page import VIS_PATH, Page, candidates_page, choose_page, vis_script
from backend.views.render import View, ViewOptions, render, view_data
from backend.views.shaping import AGGREGATE_BY
from graph_model.errors import CrimegraphError, InvalidArgument, LimitExceeded
from graph_model.heap import paused
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from queries.identify.candidates import DEFAULT_MIN_SCORE, identify
from queries.identify.pair import plain_probability
from queries.results import Plan
from queries.scope import Scope


async def known_parameters(request: Request) -> None:
    """An unknown query parameter is a 400 naming it (``maxHops`` for ``max_hops`` is not silently
    ignored)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidArgument(
            f"unknown parameter {unknown[0]!r} (this view takes: {', '.join(sorted(known)) or 'none'})"
        )


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameter names a route and its dependencies declare."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


router = APIRouter(prefix="/view", tags=["views"], dependencies=[Depends(known_parameters)])
Reader = Annotated[Caller, Depends(require("read"))]
Analyst = Annotated[Caller, Depends(require("analyse"))]
MAX_NODE_CAP = NODE_CAP_MAX
MAX_PLAN_BYTES = 2_000_000
RECENT_SECONDS = 5.0  # at most this long to remember a view on the session's recent list
log = logging.getLogger("crimegraph.views")
MAX_HOPS = 8  # transfers a money view follows (the CLI's --max-hops allows as many)


def html(result: Page) -> HTMLResponse:
    """A page with its policy and no caching (it holds what this caller's clearance shows)."""
    return HTMLResponse(
        result.html,
        headers={
            "Content-Security-Policy": result.header_csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def _options(node_cap: int, hub_cap: int, aggregate_by: str) -> ViewOptions:
    within("node_cap", node_cap, MAX_NODE_CAP, 10)
    within("hub_cap", hub_cap, HUB_CAP_MAX)
    if aggregate_by not in AGGREGATE_BY:
        raise InvalidArgument(f"aggregate_by must be one of {', '.join(AGGREGATE_BY)}")
    return ViewOptions(node_cap=node_cap, hub_cap=hub_cap, aggregate_by=aggregate_by)


def api_info(request: Request) -> dict[str, Any]:
    """Where a served page's script reaches the API, its CSRF token (browser sessions) and page size."""
    settings: ApiSettings = request.app.state.settings.api
    return {
        "graphql": "/graphql",
        "reopen": "/view/investigation",
        "csrf": getattr(request.state, "csrf", None),
        "page": settings.max_page,
    }


async def _serve(
    request: Request,
    caller: Caller,
    build: Callable[[GraphStore, TLP], View],
    options: ViewOptions,
    *,
    clearance: TLP | None = None,
) -> HTMLResponse:
    """Read the view from the store (under the store's lock), then lay it out and render it without holding
    the lock, both in worker threads within the request's time budget. ``clearance``: read at most at
    this level (a plan's own), never above the caller's."""
    holder: StoreHolder = request.app.state.store_holder
    settings: ApiSettings = request.app.state.settings.api
    store = holder.get()
    runner = Runner(holder, settings.time_budget)
    level = min(caller.clearance, clearance) if clearance is not None else caller.clearance
    try:
        view = await runner(paused(build), store, level)  # no collector walking the read graph
    except Ambiguous as exc:
        return _choose(request, exc, level)
    view.clearance = level
    view.data_version = await runner(store.data_version)
    remaining = runner.deadline - time.monotonic()
    api = api_info(request)
    try:
        result = await asyncio.wait_for(
            asyncio.to_thread(partial(render, view, store.model, options, api=api)), remaining
        )
    except TimeoutError:
        raise LimitExceeded(
            f"the view ran out of the request's time budget ({settings.time_budget:g} s)"
        ) from None
    session = getattr(request.state, "session", None)
    if session is not None and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:  # the start page's list of recent views: never worth failing the view for
            await Runner(holder, RECENT_SECONDS)(
                request.app.state.sessions.remember, store, session, target, view.title, level
            )
        except CrimegraphError as exc:
            log.warning("recent views not updated: %s", exc)
    return html(result)


def _choose(request: Request, exc: Ambiguous, clearance: TLP, route: str | None = None) -> HTMLResponse:
    """The entities a reference names, each a link to the same view of that one."""
    items = []
    for node in exc.candidates:
        if route is not None:
            href = str(request.url_for(route, **{exc.param: node.key}).path)
        elif exc.param in request.path_params:
            name = getattr(request.scope.get("route"), "name", "")
            params = {**request.path_params, exc.param: node.key}
            href = str(request.url_for(name, **params).path)
            href += f"?{request.url.query}" if request.url.query else ""
        else:
            changed = request.url.include_query_params(**{exc.param: node.key})
            href = changed.path + "?" + changed.query
        exact = node.key in exc.exact
        items.append({"href": href, "name": node.name, "kind": node.kind, "key": node.key, "exact": exact})
    highest = max((n.prov.tlp for n in exc.candidates), default=TLP.CLEAR)
    return html(choose_page(exc.ref, items, highest.label, clearance.label))


def _api(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings.api
    return settings


@router.get(VIS_PATH.removeprefix("/view"), include_in_schema=False)
async def vis_network() -> Response:
    """vis-network, as served pages load it (by its hash: see :func:`backend.views.page.page`). The open
    library itself, the same for everyone: no key needed, cached for a year (its name holds its version)."""
    return Response(
        vis_script(),
        media_type="text/javascript",
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "same-origin",
        },
    )


NodeCap = Annotated[int, Query(description="Above this many nodes the view is aggregated.")]
HubCap = Annotated[int, Query(description='Leaf neighbours shown per hub before "+N more".')]
AggregateBy = Annotated[str, Query(description="Aggregate big views by community or kind.")]
Kinds = Annotated[list[str] | None, Query(alias="kind", description="Only these node kinds; repeatable.")]


@router.get("/neighbourhood/{key:path}", response_class=HTMLResponse)
async def neighbourhood(
    request: Request,
    caller: Reader,
    key: str,
    depth: int = 2,
    edge_set: str | None = None,
    kinds: Kinds = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = FETCH_DEFAULT,
    node_cap: NodeCap = NODE_CAP_DEFAULT,
    hub_cap: HubCap = 50,
    aggregate_by: AggregateBy = "community",
) -> HTMLResponse:
    """The entities within ``depth`` hops of ``key``."""
    within("depth", depth, MAX_DEPTH, 0)
    within("limit", limit, _api(request).max_neighbourhood)
    options = _options(node_cap, hub_cap, aggregate_by)

    def build(store: GraphStore, clearance: TLP) -> View:
        return neighbourhood_view(
            store,
            clearance,
            key,
            depth=depth,
            edge_set=edge_set,
            kinds=kinds,
            since=since,
            until=until,
            limit=limit,
            hub_cap=hub_cap,
        )

    return await _serve(request, caller, build, options)


@router.get("/find", response_class=HTMLResponse)
async def find(
    request: Request,
    caller: Reader,
    ref: Annotated[str, Query(description="A key, STIX id, ATT&CK id, address, domain, name or alias.")],
) -> Response:
    """The neighbourhood of the entity ``ref`` names (303 to it), or the list of those it may name."""
    holder: StoreHolder = request.app.state.store_holder
    store = holder.get()
    runner = Runner(holder, _api(request).time_budget)
    try:
        found = await runner(entity, store, caller.clearance, ref)
    except Ambiguous as exc:
        return _choose(request, exc, caller.clearance, route="neighbourhood")
    target = request.url_for("neighbourhood", key=found.key).path
    return RedirectResponse(target, status_code=303)


@router.post("/investigation")
async def investigation(request: Request, caller: Reader) -> JSONResponse:
    """A saved investigation read again through this caller's clearance: what it may see, laid out as
    saved by the page; what it may not see (or what is gone) left out and counted, never named."""
    body = await request.body()
    if len(body) > MAX_PLAN_BYTES:
        raise InvalidArgument(f"a saved investigation is at most {MAX_PLAN_BYTES} bytes")
    try:
        saved: Any = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidArgument("the request body is not a saved investigation (JSON)") from None
    keys = saved_keys(saved, limit=_api(request).max_scope)
    holder: StoreHolder = request.app.state.store_holder
    store = holder.get()
    runner = Runner(holder, _api(request).time_budget)
    view = await runner(investigation_view, store, caller.clearance, keys)
    view.clearance = caller.clearance
    view.data_version = await runner(store.data_version)
    saved_version = saved.get("dataVersion")
    if isinstance(saved_version, int) and saved_version != view.data_version:
        view.notes.append(
            f"Saved at data version {saved_version:,}; the store is now at version {view.data_version:,}: "
            "what was loaded since is in it, what was removed is not."
        )
    options = ViewOptions(node_cap=NODE_CAP_MAX)
    data = await asyncio.to_thread(view_data, view, store.model, options)
    shown = sum(1 for _ in view.graph.nodes)
    data["leftOut"] = len(keys) - shown
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@router.get("/paths", response_class=HTMLResponse)
async def paths(
    request: Request,
    caller: Analyst,
    source: Annotated[str, Query(description="One end (key or identifier).")],
    target: Annotated[str, Query(description="The other end.")],
    max_length: int = 6,
    k: int = 3,
    edge_set: str | None = None,
    kinds: Kinds = None,
) -> HTMLResponse:
    """The ``k`` shortest paths between ``source`` and ``target``."""
    within("max_length", max_length, _api(request).max_path_length)
    within("k", k, _api(request).max_paths)

    def build(store: GraphStore, clearance: TLP) -> View:
        return paths_view(
            store, clearance, source, target, max_length=max_length, k=k, edge_set=edge_set, kinds=kinds
        )

    return await _serve(request, caller, build, ViewOptions())


@router.get("/community/{community}", response_class=HTMLResponse)
async def community(
    request: Request,
    caller: Analyst,
    community: str,
    keys: Annotated[list[str] | None, Query(alias="key", description="Scope: around these keys.")] = None,
    depth: int = 2,
    edge_set: str | None = None,
    kinds: Kinds = None,
    since: str | None = None,
    until: str | None = None,
    node_cap: NodeCap = NODE_CAP_DEFAULT,
    hub_cap: HubCap = 50,
    aggregate_by: AggregateBy = "kind",
) -> HTMLResponse:
    """One community of the visible graph (or of the scope the parameters name)."""
    within("depth", depth, MAX_DEPTH, 0)
    scope = Scope(
        keys=tuple(keys or ()),
        depth=depth,
        kinds=tuple(kinds or ()),
        edge_set=edge_set,
        since=since,
        until=until,
        limit=_api(request).max_scope,
    )
    options = _options(node_cap, hub_cap, aggregate_by)

    def build(store: GraphStore, clearance: TLP) -> View:
        return community_view(store, clearance, community, scope)

    return await _serve(request, caller, build, options)


@router.get("/money/{wallet:path}", response_class=HTMLResponse)
async def money(
    request: Request,
    caller: Analyst,
    wallet: str,
    direction: str = "out",
    max_hops: int = 4,
    min_amount: float = 0.0,
    since: str | None = None,
    until: str | None = None,
    limit: int = FETCH_DEFAULT,
    node_cap: NodeCap = NODE_CAP_DEFAULT,
    hub_cap: HubCap = 50,
) -> HTMLResponse:
    """Where money from (``direction=out``) or to (``in``) ``wallet`` went."""
    within("limit", limit, _api(request).max_neighbourhood)
    within("max_hops", max_hops, MAX_HOPS)
    if direction not in ("in", "out"):
        raise InvalidArgument(f"direction must be in or out, got {direction!r}")
    if not min_amount >= 0:
        raise InvalidArgument(f"min_amount must be at least 0, got {min_amount}")
    options = _options(node_cap, hub_cap, "community")

    def build(store: GraphStore, clearance: TLP) -> View:
        return money_view(
            store,
            clearance,
            wallet,
            direction=direction,
            max_hops=max_hops,
            min_amount=min_amount,
            since=since,
            until=until,
            limit=limit,
        )

    return await _serve(request, caller, build, options)


@router.post("/plan", response_class=HTMLResponse)
async def plan(
    request: Request,
    caller: Analyst,
    node_cap: NodeCap = NODE_CAP_DEFAULT,
    hub_cap: HubCap = 50,
) -> HTMLResponse:
    """A takedown plan (its JSON as the request body) drawn on the graph it was made on."""
    body = await request.body()
    if len(body) > MAX_PLAN_BYTES:
        raise InvalidArgument(f"a plan is at most {MAX_PLAN_BYTES} bytes")
    try:
        data: Any = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidArgument("the request body is not a JSON plan") from None
    parsed = Plan.from_dict(data)
    own = plan_clearance(data)
    options = _options(node_cap, hub_cap, "community")

    def build(store: GraphStore, clearance: TLP) -> View:
        return plan_view(store, clearance, parsed)

    return await _serve(request, caller, build, options, clearance=own)


MAX_CANDIDATES = 500  # pairs the candidates page lists at most


@router.get("/identify", response_class=HTMLResponse)
async def candidates(
    request: Request,
    caller: Analyst,
    min_score: Annotated[float, Query(description="Least match probability (0..1).")] = DEFAULT_MIN_SCORE,
    top: Annotated[int, Query(description="At most this many pairs.")] = 100,
) -> HTMLResponse:
    """The same-person candidates the caller may see (``crimegraph identify``), each a link to its pair."""
    if not 0.0 <= min_score <= 1.0:
        raise InvalidArgument(f"min_score is a probability between 0 and 1, got {min_score}")
    within("top", top, MAX_CANDIDATES)
    holder: StoreHolder = request.app.state.store_holder
    store = holder.get()
    level = caller.clearance
    found = await Runner(holder, _api(request).time_budget)(identify, store, level, min_score=min_score)
    items = []
    for c in found.candidates[:top]:
        best = c.evidence[0] if c.evidence else None
        items.append(
            {
                "href": pair_path(c.a.key, c.b.key),
                "a": c.a.name,
                "b": c.b.name,
                "score": plain_probability(c.score),
                "group": c.group,
                "status": c.status,
                "why": f"{best.signal} ({best.weight:+.1f}): {best.detail}" if best else "",
            }
        )
    highest = max((c.marking for c in found.candidates[:top]), default=TLP.CLEAR)
    listing = {
        "shown": len(items),
        "total": len(found.candidates),
        "min_score": min_score,
        "compared": found.compared,
        "all_pairs": found.all_pairs,
        "handles": found.handles,
    }
    return html(candidates_page(listing, items, highest, level))


@router.get("/identity", response_class=HTMLResponse)
async def identity(
    request: Request,
    caller: Analyst,
    a: Annotated[str, Query(description="One handle (key or identifier).")],
    b: Annotated[str, Query(description="The other handle.")],
) -> HTMLResponse:
    """A same-person candidate pair: both handles, their shared evidence highlighted, confirm / reject."""

    def build(store: GraphStore, clearance: TLP) -> View:
        return identity_view(store, clearance, a, b)

    return await _serve(request, caller, build, ViewOptions())
