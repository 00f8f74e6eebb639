"""GraphQL over HTTP as the GraphQL-over-HTTP specification (draft) says, at ``/graphql``.

- ``POST`` with ``Content-Type: application/json`` runs queries and mutations; ``GET`` with URL parameters
  (``query``, ``operationName``, ``variables`` and ``extensions`` as JSON) runs queries only - a mutation
  by ``GET`` is 405.
- The answer's media type follows ``Accept``: ``application/graphql-response+json`` when asked for;
  ``application/json`` for ``application/json``, ``*/*`` or no ``Accept``; 406 when neither is acceptable.
- A request that cannot run answers ``{"errors": [...]}`` without ``data``, never a 5xx or a traceback:
  one that is not well-formed - a body that is not JSON or not a JSON object (``null``, a string, an
  array: batches are not supported), no query, a parameter of the wrong type - is 400 whatever the
  client accepts; one that GraphQL refuses before running it - a document that does not parse or
  validate, variables that do not coerce, several operations without ``operationName`` - is 400, or 200
  when the client accepts ``application/json`` rather than ``application/graphql-response+json`` (the
  specification's legacy rule).
- Bodies over the query limit (2 MB) are 413, except mutations (ingest), which may reach the ingest limit
  (20 MB); :class:`backend.api.limits.BodyLimit` enforces the latter while the body is read.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from graphql import GraphQLError, OperationDefinitionNode, OperationType
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType as StrawberryOperation

from backend.api.auth import Caller, current_caller
from backend.api.context import Context, get_context
from backend.api.errors import BAD_REQUEST, INTERNAL_ERROR, STORE_UNAVAILABLE
from backend.api.limits import DocumentCache
from backend.api.schema import QuietSchema

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
PARAMETERS = ("query", "operationName", "variables", "extensions")


class Media(enum.Enum):
    """How to answer: the media type, and whether a request that cannot run is a 4xx."""

    RESPONSE = (GRAPHQL_RESPONSE, True)  # asked for application/graphql-response+json
    LEGACY = (JSON, False)  # asked for application/json (or */*): 200 with errors
    DEFAULT = (JSON, True)  # no Accept: the specification's rule since 2025 (4xx), in JSON

    @property
    def content_type(self) -> str:
        return f"{self.value[0]}; charset=utf-8"

    @property
    def strict(self) -> bool:
        return bool(self.value[1])


class RequestError(Exception):
    """A request that cannot run. ``graphql``: the HTTP request is well-formed and GraphQL refuses it (no
    such operation, several without a name), answered as the media type says; otherwise the request is
    not well-formed (400 whatever the media type). ``status`` overrides both."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        *,
        graphql: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.graphql = graphql


def negotiate(accept: str | None) -> Media | None:
    """The answer's media for an ``Accept`` header; None when it accepts neither JSON media type.

    >>> negotiate(None), negotiate("*/*"), negotiate("application/graphql-response+json, application/json")
    (<Media.DEFAULT: ...>, <Media.LEGACY: ...>, <Media.RESPONSE: ...>)
    >>> negotiate("text/html") is None
    True
    """
    if accept is None or not accept.strip():
        return Media.DEFAULT
    best_response = best_json = 0.0
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        kind = kind.lower()
        if kind == GRAPHQL_RESPONSE:
            best_response = max(best_response, quality)
        elif kind in (JSON, "application/*", "*/*"):
            best_json = max(best_json, quality)
    if best_response > 0 and best_response >= best_json:
        return Media.RESPONSE
    if best_json > 0:
        return Media.LEGACY
    return None


def _json_param(value: str | None, name: str) -> Any:
    """A GET parameter holding JSON (``variables``, ``extensions``)."""
    if value is None or value == "":
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise RequestError(f"the {name} parameter is not JSON") from None


async def _read_body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(f"the request body is over the limit of {limit:,} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _checked(data: Any) -> dict[str, Any]:
    """The request parameters, each of the type the specification gives it."""
    if not isinstance(data, dict):
        kind = (
            "null"
            if data is None
            else "an array (batches are not supported)"
            if isinstance(data, list)
            else (f"a {type(data).__name__}")
        )
        raise RequestError(f"the body must be a JSON object with a query; got {kind}")
    query = data.get("query")
    if query is None or query == "":
        raise RequestError("the request has no query")
    if not isinstance(query, str):
        raise RequestError("the query parameter must be a string")
    if not isinstance(data.get("operationName"), str | None):
        raise RequestError("the operationName parameter must be a string or null")
    for name in ("variables", "extensions"):
        if not isinstance(data.get(name), dict | None):
            raise RequestError(f"the {name} parameter must be a JSON object or null")
    return data


def _operation(documents: DocumentCache, query: str, name: str | None) -> OperationDefinitionNode | None:
    """The operation that ``name`` picks from the document (None when it does not parse: running it says
    why); a request error when it names none, or several operations leave it ambiguous."""
    try:
        document = documents.document(query)  # parsed once: the schema's extension finds it cached
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        if len(operations) > 1:
            raise RequestError(
                "the document has several operations: name the one to run with operationName", graphql=True
            )
        return operations[0] if operations else None
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    raise RequestError(f"the document has no operation named {name!r}", graphql=True)


class GraphQLEndpoint:
    """The ``/graphql`` route over one strawberry schema."""

    def __init__(self, schema: QuietSchema, query_limit: int, ingest_limit: int) -> None:
        self.schema = schema
        self.query_limit = query_limit
        self.ingest_limit = ingest_limit

    def router(self) -> APIRouter:
        router = APIRouter()

        async def graphql(request: Request, caller: Annotated[Caller, Depends(current_caller)]) -> Response:
            return await self.answer(request, caller)

        router.add_api_route("/graphql", graphql, methods=["GET", "POST"], include_in_schema=False)
        return router

    async def answer(self, request: Request, caller: Caller) -> Response:
        media = negotiate(request.headers.get("accept"))
        if media is None:
            return self._refused(
                Media.DEFAULT,
                request,
                RequestError(f"Accept names neither {GRAPHQL_RESPONSE} nor {JSON}", 406),
            )
        try:
            params, size = await self._params(request)
            operation = _operation(self.schema.documents, params["query"], params.get("operationName"))
            if size > self.query_limit and (
                operation is None or operation.operation != OperationType.MUTATION
            ):
                raise RequestError(f"the request body is over the limit of {self.query_limit:,} bytes", 413)
            if (
                request.method == "GET"
                and operation is not None
                and operation.operation != OperationType.QUERY
            ):
                raise RequestError(
                    "only queries may be sent by GET: send mutations by POST", 405, {"Allow": "POST"}
                )
            context = await get_context(request, caller)
            context.response = Response()
            result = await self._execute(request, params, context)
        except RequestError as error:
            return self._refused(media, request, error)
        return self._answered(media, result, context)

    async def _params(self, request: Request) -> tuple[dict[str, Any], int]:
        if request.method == "GET":
            query = request.query_params
            data = {
                "query": query.get("query"),
                "operationName": query.get("operationName") or None,
                "variables": _json_param(query.get("variables"), "variables"),
                "extensions": _json_param(query.get("extensions"), "extensions"),
            }
            return _checked(data), 0
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != JSON:
            raise RequestError(f"send the request as {JSON} (Content-Type), not {kind or 'nothing'}", 415)
        body = await _read_body(request, self.ingest_limit)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise RequestError("the request body is not JSON") from None
        return _checked(data), len(body)

    async def _execute(self, request: Request, params: dict[str, Any], context: Context) -> Any:
        allowed = (
            {StrawberryOperation.QUERY}
            if request.method == "GET"
            else {StrawberryOperation.QUERY, StrawberryOperation.MUTATION}
        )
        try:
            return await self.schema.execute(
                params["query"],
                variable_values=params.get("variables"),
                context_value=context,
                operation_name=params.get("operationName"),
                allowed_operation_types=allowed,
                operation_extensions=params.get("extensions"),
            )
        except InvalidOperationTypeError:
            raise RequestError(
                "only queries may be sent by GET: send mutations by POST", 405, {"Allow": "POST"}
            ) from None
        except (CannotGetOperationTypeError, MissingQueryError) as error:
            raise RequestError(str(error) or "the request names no operation to run", graphql=True) from None

    def _refused(self, media: Media, request: Request, error: RequestError) -> Response:
        request_id = getattr(request.state, "request_id", "-")
        body = {
            "errors": [{"message": str(error), "extensions": {"code": BAD_REQUEST, "requestId": request_id}}]
        }
        status = error.status or (400 if media.strict or not error.graphql else 200)
        return Response(
            orjson.dumps(body), status_code=status, media_type=media.content_type, headers=error.headers
        )

    def _answered(self, media: Media, result: Any, context: Context) -> Response:
        errors: list[GraphQLError] = list(result.errors or ())
        formatted = [e.formatted for e in errors]
        codes = {(e.extensions or {}).get("code") for e in errors}
        status = context.response.status_code if context.response is not None else 200
        if result.data is None and errors and all(e.path is None for e in errors):
            # Nothing ran: the document did not parse or validate, or the variables did not coerce.
            body: dict[str, Any] = {"errors": formatted}
            if INTERNAL_ERROR in codes:
                status = 500
            elif STORE_UNAVAILABLE not in codes:
                status = 400 if media.strict else 200
        else:
            body = {"data": result.data}
            if formatted:
                body["errors"] = formatted
        if result.extensions:
            body["extensions"] = result.extensions
        return Response(_encode(body), status_code=status, media_type=media.content_type)


def _encode(data: object) -> bytes:
    """orjson; integers beyond 64 bits in a property fall back to the standard encoder."""
    try:
        return orjson.dumps(data)
    except TypeError:
        import json

        return json.dumps(data, separators=(",", ":")).encode()
