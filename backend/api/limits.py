"""The API's limits: document limits as strawberry extensions, argument limits as small checks.

Document: query depth, aliases and tokens (the rules of strawberry's ``QueryDepthLimiter``,
``MaxAliasesLimiter`` and ``MaxTokensLimiter``). Arguments: page size, nodes per neighbourhood, path
length and count, scope size.
Time: a budget per request (:class:`backend.api.deps.Runner`) and a Neo4j transaction timeout
(``Neo4jStore.read_timeout``). Every breach is a ``LimitExceeded`` error with code ``LIMIT_EXCEEDED``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import partial

import orjson
from graphql import DocumentNode, GraphQLError, parse
from graphql.validation import ASTValidationRule
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from backend.settings import ApiSettings
from backend.taxii.media import TAXII
from graph_model.errors import InvalidArgument, LimitExceeded

MAX_DEPTH = 4  # neighbourhood hops
# Views (served and written by the CLI) share these: entities fetched unless told (the maximum is the
# setting ``api.max_neighbourhood``), and the node cap above which a view is aggregated.
FETCH_DEFAULT = 500
NODE_CAP_DEFAULT = 500
NODE_CAP_MAX = 2000
HUB_CAP_MAX = 500
CACHED_DOCUMENTS = 1000


def document_limits(
    settings: ApiSettings, cache: DocumentCache | None = None
) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (strawberry makes each request its own instances): the limits of
    strawberry's ``QueryDepthLimiter``, ``MaxAliasesLimiter`` and ``MaxTokensLimiter``, in one
    :class:`DocumentLimits` with parsing and validation cached by query text.

    Parsing and validating a document costs milliseconds, more than most answers. The depth and alias
    rules are made once here rather than by those extensions on every request: a new rule class per
    request would make every validation a cache miss.
    """
    return [partial(DocumentLimits, cache or document_cache(settings))]


def document_cache(settings: ApiSettings) -> DocumentCache:
    """The parse and validation cache of one schema, with its depth, alias and token limits."""
    rules = (depth_rule(settings.max_depth, None, None), alias_rule(settings.max_aliases))
    return DocumentCache(settings.max_tokens, rules)


class DocumentCache:
    """Parsed documents and their validation errors by query text, the most recent ``size`` of them;
    one per schema (its rules and token limit are part of the answer)."""

    def __init__(
        self, max_tokens: int, rules: tuple[type[ASTValidationRule], ...], size: int = CACHED_DOCUMENTS
    ) -> None:
        self.max_tokens = max_tokens
        self.rules = rules
        self.size = size
        self._found: OrderedDict[str, tuple[DocumentNode, list[GraphQLError] | None]] = OrderedDict()
        self._guard = threading.Lock()

    def document(self, query: str) -> DocumentNode:
        """The parsed ``query``; GraphQLError (syntax, too many tokens) is raised and not remembered."""
        with self._guard:
            entry = self._found.get(query)
            if entry is not None:
                self._found.move_to_end(query)
                return entry[0]
        document = parse(query, max_tokens=self.max_tokens)
        self._remember(query, document, None)
        return document

    def errors(self, query: str, document: DocumentNode) -> list[GraphQLError] | None:
        with self._guard:
            entry = self._found.get(query)
        return entry[1] if entry is not None and entry[0] is document else None

    def _remember(self, query: str, document: DocumentNode, errors: list[GraphQLError] | None) -> None:
        with self._guard:
            self._found[query] = (document, errors)
            self._found.move_to_end(query)
            while len(self._found) > self.size:
                self._found.popitem(last=False)


class DocumentLimits(SchemaExtension):
    """Token, depth and alias limits with parsing and validation cached by query text: what
    strawberry's ``MaxTokensLimiter``, ``AddValidationRules``, ``ParserCache`` and ``ValidationCache``
    do, in one extension. Each extension costs every request a few hook look-ups (a fifth of a node
    lookup's CPU with those four), and ``ValidationCache`` hashes the whole document on each request.
    """

    def __init__(self, cache: DocumentCache) -> None:
        super().__init__()
        self.cache = cache

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.cache.max_tokens
        context.validation_rules = context.validation_rules + self.cache.rules
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            try:
                context.graphql_document = self.cache.document(context.query)
            except GraphQLError:
                pass  # strawberry parses it again next and reports the error as it does
        yield

    def on_validate(self) -> Iterator[None]:
        from strawberry.schema.schema import validate_document

        context = self.execution_context
        document, query = context.graphql_document, context.query
        if document is None or query is None or context.pre_execution_errors is not None:
            yield
            return
        errors = self.cache.errors(query, document)
        if errors is None:
            errors = validate_document(context.schema._schema, document, context.validation_rules)
            self.cache._remember(query, document, errors)
        context.pre_execution_errors = errors
        yield


def within(name: str, value: int, maximum: int, minimum: int = 1) -> int:
    """``value`` if ``minimum <= value <= maximum``; InvalidArgument below, LimitExceeded above."""
    if value < minimum:
        raise InvalidArgument(f"{name} must be at least {minimum}, got {value}")
    if value > maximum:
        raise LimitExceeded(f"{name} {value} is over the limit of {maximum}")
    return value


def at_least(name: str, value: float, minimum: float = 0.0) -> float:
    if not value >= minimum:  # also refuses NaN
        raise InvalidArgument(f"{name} must be at least {minimum:g}, got {value}")
    return value


class BodyLimit:
    """Request sizes by route class: 413 for a body over its limit, told by ``Content-Length`` before it is
    read or counted while it is read (a chunked body has no length). ``limit_of`` gives a path's limit.

    Plain ASGI (a ``BaseHTTPMiddleware`` costs a task group per request); an over-long body read by a route
    raises :class:`starlette.exceptions.HTTPException` 413, which FastAPI passes through unchanged.
    """

    def __init__(self, app: ASGIApp, limit_of: Callable[[str], int]) -> None:
        self.app = app
        self.limit_of = limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit, scope["path"])
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"the request body is over the limit of {limit:,} bytes")
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await _too_large(send, limit, scope["path"])


async def _too_large(send: Send, limit: int, path: str) -> None:
    """The 413 answer: on TAXII routes the spec's error object with the TAXII media type (what TAXII clients
    read), elsewhere the API's ``detail``."""
    said = f"the request body is over the limit of {limit:,} bytes"
    if path.startswith("/taxii2/"):
        error = {"title": "Request Entity Too Large", "http_status": "413"}
        body = orjson.dumps({**error, "description": f"{said} (max_content_length)"})
        media = TAXII.encode()
    else:
        body, media = orjson.dumps({"detail": said}), b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
