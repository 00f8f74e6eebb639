"""The API's limits: document limits as strawberry extensions, argument limits as small checks.

Document: query depth, aliases and tokens (the rules of strawberry's ``QueryDepthLimiter``,
``MaxAliasesLimiter`` and ``MaxTokensLimiter``). Arguments: page size, nodes per neighbourhood, path
length and count, scope size.
Time: a budget per request (:class:`backend.api.deps.Runner`) and a Neo4j transaction timeout
(``Neo4jStore.read_timeout``). Every breach is a ``LimitExceeded`` error with code ``LIMIT_EXCEEDED``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from backend.settings import ApiSettings
from graph_model.errors import InvalidArgument, LimitExceeded

MAX_DEPTH = 4  # neighbourhood hops
CACHED_DOCUMENTS = 1000


def document_limits(settings: ApiSettings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (strawberry makes each request its own instances): the limits of
    strawberry's ``QueryDepthLimiter``, ``MaxAliasesLimiter`` and ``MaxTokensLimiter``.

    Parsing and validating a document costs milliseconds, more than most answers, so both are cached
    by document. The depth and alias rules are made once here rather than by those extensions on every
    request: a new rule class per request would make every validation a cache miss.
    """
    rules: list[type[ASTValidationRule]] = [
        depth_rule(settings.max_depth, None, None),
        alias_rule(settings.max_aliases),
    ]
    return [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(ParserCache, maxsize=CACHED_DOCUMENTS),
        partial(AddValidationRules, rules),
        partial(ValidationCache, maxsize=CACHED_DOCUMENTS),
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
