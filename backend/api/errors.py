"""Errors at the API's edge: expected failures become typed GraphQL errors with a code, anything else
is masked, logged with the request id (and its traceback) and returned with that id."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from backend.api.auth import Forbidden
from graph_model.errors import (
    CrimegraphError,
    InvalidArgument,
    LimitExceeded,
    NotFound,
    SchemaError,
    StoreError,
    ValidationError,
)

log = logging.getLogger("crimegraph.api")

NOT_FOUND = "NOT_FOUND"
BAD_ARGUMENT = "BAD_ARGUMENT"
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
FORBIDDEN = "FORBIDDEN"
STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
GRAPHQL_VALIDATION = "GRAPHQL_VALIDATION"
BAD_REQUEST = "BAD_REQUEST"  # the HTTP request cannot run (backend.api.http): not JSON, wrong parameters
INTERNAL_ERROR = "INTERNAL_ERROR"

_CODES: tuple[tuple[type[CrimegraphError], str], ...] = (
    (NotFound, NOT_FOUND),
    (LimitExceeded, LIMIT_EXCEEDED),
    (Forbidden, FORBIDDEN),
    (StoreError, STORE_UNAVAILABLE),
    (InvalidArgument, BAD_ARGUMENT),
    (ValidationError, BAD_ARGUMENT),
)
# The messages of strawberry's limit rules (depth, aliases, tokens), which raise plain GraphQL errors.
_LIMIT_MESSAGES = re.compile(r"exceeds maximum operation depth|aliases found|maximum allowed token", re.I)


def code_of(error: GraphQLError) -> str | None:
    """The code of an expected error, or None for an unexpected one (a bug, to be masked)."""
    original = error.original_error
    if error.path is None and error.message.startswith("Variable '$"):
        return GRAPHQL_VALIDATION  # a variable's value does not coerce to its type (graphql-core's words)
    if original is None:
        # Raised by GraphQL itself before anything ran: syntax, validation, variables, limit rules.
        return LIMIT_EXCEEDED if _LIMIT_MESSAGES.search(error.message) else GRAPHQL_VALIDATION
    if isinstance(original, SchemaError):
        return None
    for kind, code in _CODES:
        if isinstance(original, kind):
            return code
    if isinstance(original, CrimegraphError):
        return BAD_ARGUMENT
    return None


class ErrorCodes(SchemaExtension):
    """Adds ``extensions.code`` to every error and masks the unexpected ones (logged with traceback).

    A store that cannot be reached also turns the HTTP status to 503.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors or result is None:
            return
        context: Any = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        processed = [self._process(error, request_id, context) for error in errors]
        result.errors = processed

    def _process(self, error: GraphQLError, request_id: str, context: Any) -> GraphQLError:
        code = code_of(error)
        if code is None:
            log.error(
                "request %s: unexpected error in %s",
                request_id,
                ".".join(str(p) for p in error.path or ()) or "the operation",
                exc_info=error.original_error or error,
            )
            return GraphQLError(
                f"internal error (request id {request_id}); the administrator can find it in the log",
                nodes=error.nodes,
                path=error.path,
                extensions={"code": INTERNAL_ERROR, "requestId": request_id},
            )
        if code == STORE_UNAVAILABLE and getattr(context, "response", None) is not None:
            context.response.status_code = 503
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={**(error.extensions or {}), "code": code, "requestId": request_id},
        )
