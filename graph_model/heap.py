"""Less garbage collection while big, cycle-free structures are built and held.

Reading a graph, merging a load or drawing a view builds hundreds of thousands (a bulk load: millions) of
small objects that stay alive until the work ends and hold no cycles. Each full collection walks all of them
and the rest of the process: measured, two full collections were half of the server's time for a 1,000-node
view, 20 % of a bulk load at size M, and building a batch's rows ran 3x slower with the default thresholds
(forked writers would also copy every page a collection touched). Reference counting still frees everything
when the work is done. Both helpers are counted, so work running side by side in threads does not turn
collection back on under one another; the first to start changes the setting and the last to end puts it
back.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_LOCK = threading.Lock()
_paused = 0
_was_enabled = False
_fewer = 0
_saved_threshold: tuple[int, int, int] = gc.get_threshold()
FEWER_THRESHOLD = 100_000  # young-generation allocations between collections while a load runs


@contextmanager
def collection_paused() -> Iterator[None]:
    """Automatic garbage collection off inside (re-entrant, thread-safe); back as it was after."""
    global _paused, _was_enabled
    with _LOCK:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _LOCK:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


def paused(fn: Callable[P, T]) -> Callable[P, T]:
    """``fn`` run with :func:`collection_paused`."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with collection_paused():
            return fn(*args, **kwargs)

    return run


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collection on, but the young generation collected only every ``FEWER_THRESHOLD`` allocations."""
    global _fewer, _saved_threshold
    with _LOCK:
        if _fewer == 0:
            _saved_threshold = gc.get_threshold()
            gc.set_threshold(max(_saved_threshold[0], FEWER_THRESHOLD), *_saved_threshold[1:])
        _fewer += 1
    try:
        yield
    finally:
        with _LOCK:
            _fewer -= 1
            if _fewer == 0:
                gc.set_threshold(*_saved_threshold)
