"""The API's limits: document limits as strawberry extensions, argument limits as small checks.

Document: query depth, aliases and tokens (strawberry's ``QueryDepthLimiter``, ``MaxAliasesLimiter``,
``MaxTokensLimiter``). Arguments: page size, nodes per neighbourhood, path length and count, scope size.
Time: a budget per request (:class:`backend.api.deps.Runner`) and a Neo4j transaction timeout
(``Neo4jStore.read_timeout``). Every breach is a ``LimitExceeded`` error with code ``LIMIT_EXCEEDED``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension

from backend.settings import ApiSettings
from graph_model.errors import InvalidArgument, LimitExceeded

MAX_DEPTH = 4  # neighbourhood hops


def document_limits(settings: ApiSettings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (strawberry makes each request its own instances)."""
    return [
        partial(QueryDepthLimiter, max_depth=settings.max_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
    ]


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
