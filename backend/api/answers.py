"""Whole lists kept between requests: a ranking, a score list or a partition is computed once per question,
scope, metric and clearance for the same data, so walking its pages does not recompute it.

Each process keeps the most recent :data:`KEPT` lists holding at most :data:`KEPT_ITEMS` items in all
(least recently used first out); a list longer than that is answered but not kept. An entry names the
store's data version (:meth:`graph_model.store.base.GraphStore.data_version`), so any write (an ingest, a
load from another process) makes a new entry. Concurrent requests for the same list wait for one
computation.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
KEPT = 32  # lists per process
KEPT_ITEMS = 500_000  # items in all the kept lists of a process (a ranking of the whole graph: ~100,000)


class Answers:
    """Lists by (question, arguments, clearance, data version): the most recent :data:`KEPT` of them,
    :data:`KEPT_ITEMS` items at most in all."""

    def __init__(self, size: int = KEPT, items: int = KEPT_ITEMS) -> None:
        self.size = size
        self.items = items
        self.held = 0  # items in the kept lists
        self._kept: OrderedDict[Hashable, Sequence[Any]] = OrderedDict()
        self._running: dict[Hashable, asyncio.Future[Sequence[Any]]] = {}
        self.computed = 0  # how many lists were computed (tests read it)

    async def get(self, key: Hashable | None, compute: Callable[[], Awaitable[Sequence[T]]]) -> Sequence[T]:
        """The list under ``key``, computed by ``compute`` when not kept (``key`` None: never kept)."""
        if key is None:
            self.computed += 1
            return await compute()
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Sequence[Any]] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            self.computed += 1
            found = await compute()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            self._running.pop(key, None)
        future.set_result(found)
        if len(found) <= self.items:
            self._kept[key] = found
            self.held += len(found)
            while len(self._kept) > self.size or self.held > self.items:
                self.held -= len(self._kept.popitem(last=False)[1])
        return found
