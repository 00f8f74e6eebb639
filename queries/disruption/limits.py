"""The caps every surface of the planner shares (CLI and GraphQL check the same numbers here).

| what | cap |
|---|---|
| ``budget`` (targets in a plan) | 1 - :data:`MAX_BUDGET` |
| ``max_cost`` | positive, at most :data:`MAX_COST` |
| ``time_limit`` (seconds) | positive, at most :data:`MAX_TIME_LIMIT` |
| nodes named in a simulation | at most :data:`MAX_REMOVE` |
| ``top`` (nodes in a score list) | 1 - :data:`MAX_TOP` |
| ``recovery`` | a share 0 - 1 |
"""

from __future__ import annotations

import math

from graph_model.errors import InvalidArgument, LimitExceeded

MAX_BUDGET = 500
MAX_COST = 1e9
MAX_TIME_LIMIT = 3600.0
MAX_REMOVE = 5000
MAX_TOP = 1000


def check_budget(budget: object, max_cost: object = None) -> None:
    """InvalidArgument (below the range, or not a whole number) or LimitExceeded (above it) naming a bad
    budget (a whole number 1-MAX_BUDGET) or cost budget.

    Examples
    --------
    >>> check_budget(0)
    Traceback (most recent call last):
    ...
    graph_model.errors.InvalidArgument: budget must be a whole number of targets within 1-500, got 0
    """
    message = f"budget must be a whole number of targets within 1-{MAX_BUDGET}, got {budget!r}"
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise InvalidArgument(message)
    if budget > MAX_BUDGET:
        raise LimitExceeded(message)
    if max_cost is not None:
        _positive("max cost", max_cost, MAX_COST)


def check_time_limit(seconds: object) -> None:
    """A bad time limit (positive seconds, at most MAX_TIME_LIMIT) named."""
    if seconds is not None:
        _positive("time limit", seconds, MAX_TIME_LIMIT)


def check_top(top: object) -> None:
    """A bad ``top`` (a whole number 1-MAX_TOP) named."""
    message = f"top must be a whole number within 1-{MAX_TOP}, got {top!r}"
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InvalidArgument(message)
    if top > MAX_TOP:
        raise LimitExceeded(message)


def check_remove(count: int) -> None:
    """LimitExceeded when a simulation names more than MAX_REMOVE nodes."""
    if count > MAX_REMOVE:
        raise LimitExceeded(f"a simulation removes at most {MAX_REMOVE} nodes, got {count}")


def _positive(what: str, value: object, cap: float) -> None:
    message = f"{what} must be a positive number at most {cap:g}, got {value!r}"
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidArgument(message)
    if value > cap:
        raise LimitExceeded(message)
