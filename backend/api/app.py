"""The FastAPI app: GraphQL at ``/graphql``, GraphiQL (local assets) at ``/graphiql``, health probes.

Other areas add their routes as ``APIRouter``\\ s included below (views under ``/view``, exports under
``/export``), each protected with ``Depends(current_caller)`` / ``Depends(require(...))`` and reaching
the store through :func:`backend.api.deps.get_store`.
"""

from __future__ import annotations

import gc
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.answers import Answers
from backend.api.auth import KeyRing
from backend.api.browser import router as browser_router
from backend.api.deps import Runner, StoreHolder
from backend.api.graphiql import graphiql_router
from backend.api.http import GraphQLEndpoint
from backend.api.limits import BodyLimit
from backend.api.schema import build_schema
from backend.api.sessions import Sessions
from backend.export.routes import router as export_router
from backend.settings import ApiSettings, Settings
from backend.taxii.routes import install as install_taxii
from backend.views.routes import router as view_router
from graph_model.errors import CrimegraphError, LimitExceeded, StoreError
from graph_model.provenance import TLP
from graph_model.store import GraphStore

log = logging.getLogger("crimegraph.api")
READY_SECONDS = 5.0
# Allocations between young collections in a serving process (Python's default: 700).
YOUNG_COLLECTION = 10_000


def settle_heap() -> None:
    """Tune the garbage collector for a process that serves requests.

    What start-up built (the schema, the model, the store's driver or index) lives as long as the
    process: frozen, the collector no longer walks it on every full collection. Each request leaves a
    few hundred objects in reference cycles (the GraphQL executor's, the ASGI stack's closures) that
    only the collector frees; collecting them every 10,000 allocations rather than every 700 walks
    fewer live objects of requests still running. With 10 concurrent node lookups in process this took
    the collector's share of a lookup from ~0.35 ms to ~0.07 ms (docs/api.md, Performance).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION, *gc.get_threshold()[1:])


class RequestId:
    """Gives every request an id (``request.state.request_id``, header ``X-Request-ID``) that errors
    quote and logs carry. Plain ASGI: a ``BaseHTTPMiddleware`` costs a task group per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def one_line(exc: RequestValidationError) -> str:
    """The first problem of a request FastAPI could not validate, as one line naming the parameter."""
    errors = list(exc.errors())
    if not errors:
        return "malformed request"
    first = errors[0]
    where = [str(part) for part in first.get("loc", ()) if part not in ("query", "path", "body")]
    name = ".".join(where) or "request"
    return f"parameter {name}: {str(first.get('msg', 'is malformed')).lower()}"


def request_limit(api: ApiSettings, path: str) -> int:
    """The largest request body a path takes: ingest's for GraphQL (where a mutation may carry a file;
    queries are held to the query limit once parsed) and TAXII POSTs, the query limit elsewhere."""
    if path == "/graphql" or path.startswith("/taxii"):
        return api.max_payload
    return api.max_request


def create_app(
    settings: Settings | None = None, store: GraphStore | None = None, *, serving: bool = False
) -> FastAPI:
    """The API app. ``store`` given: the app uses it (and leaves closing it to the caller); otherwise it
    opens ``settings.store`` at start-up, or later when it is not reachable yet. ``serving``: the app
    is the process's only job (``crimegraph serve``), which may tune the process (:func:`settle_heap`)."""
    settings = settings or Settings()
    keyring = KeyRing.parse(settings.api_keys)
    holder = StoreHolder(
        store,
        None if store is not None else (lambda: settings.open_store(serving=True)),
        read_timeout=settings.api.neo4j_timeout,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is None:
            try:
                app.state.store = holder.get()
            except StoreError as exc:
                log.warning("store not reachable at start-up (will retry on each request): %s", exc)
        if serving:
            settle_heap()
        try:
            yield
        finally:
            await holder.aclose(owned=store is None)

    app = FastAPI(
        title="crimegraph",
        description="Criminal ecosystem graph explorer: GraphQL at /graphql.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.keyring = keyring
    app.state.sessions = Sessions.from_settings(
        settings.session_secret, settings.api_keys, settings.session_hours
    )
    app.state.store_holder = holder
    app.state.answers = Answers()
    app.state.store = store

    app.add_middleware(BodyLimit, limit_of=lambda path: request_limit(settings.api, path))
    app.add_middleware(RequestId)

    @app.exception_handler(CrimegraphError)
    async def expected(request: Request, exc: CrimegraphError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        """A parameter of the wrong type: 400 with one line naming it (not FastAPI's list)."""
        return JSONResponse({"detail": one_line(exc)}, status_code=400)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        """The store answers (503 with the reason while it does not)."""
        try:
            current = await holder.aget()
            # A cheap read that still reaches the server.
            await Runner(holder, READY_SECONDS)(current.get_many, ["readyz"], clearance=TLP.CLEAR)
        except (StoreError, LimitExceeded) as exc:
            return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
        return JSONResponse({"status": "ready"})

    api = settings.api
    app.include_router(GraphQLEndpoint(build_schema(api), api.max_request, api.max_payload).router())
    if settings.api.graphiql:
        app.include_router(graphiql_router())
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    # Routers of other areas (views, exports) are included here, one line each.
    app.include_router(browser_router)
    app.include_router(view_router)
    app.include_router(export_router)
    install_taxii(app)
    return app


def serving_app() -> FastAPI:
    """The app of a ``crimegraph serve`` worker process (uvicorn's factory): settings from the
    environment, the process tuned for serving."""
    return create_app(serving=True)
