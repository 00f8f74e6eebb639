"""No cyclic garbage collection while a view is read and drawn.

A 1,000-node view builds some hundred thousand small objects (the graph's attribute dicts, the vis nodes
and edges, their tooltips) that stay alive until the page is written and hold no cycles; each full
collection meanwhile walks all of them and the rest of the process (measured: two full collections took
half of the server's time for the 1,000-node / 9,449-edge view). Reference counting still frees them when
the page is done; the collector resumes then. Counted, so that views drawn side by side in threads do not
turn it back on under one another.
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
_held = 0
_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Automatic garbage collection off inside (re-entrant, thread-safe); back as it was after."""
    global _held, _was_enabled
    with _LOCK:
        if _held == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _held += 1
    try:
        yield
    finally:
        with _LOCK:
            _held -= 1
            if _held == 0 and _was_enabled:
                gc.enable()


def paused(fn: Callable[P, T]) -> Callable[P, T]:
    """``fn`` run with :func:`collection_paused`."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with collection_paused():
            return fn(*args, **kwargs)

    return run
