"""Concurrent lookups by identifier that share round trips to a remote store.

A node lookup on Neo4j costs about as much in fixed costs (a session, a Bolt exchange, the server's
per-query work) as in anything that depends on how many identifiers it asks for. When many requests
look entities up at once, :class:`Coalescer` sends the identifiers of every lookup waiting at the same
clearance in one read, at most ``parallel`` reads at a time per clearance: a lookup that arrives while
that many are in flight waits for the next one, which takes everything waiting by then. With no
other lookup in flight, a lookup is sent at once, so a lone request waits no longer than before.

Each caller keeps its own cancellation: a read is cancelled only once every lookup it serves has
been (a request past its time budget), as a caller's own read would have been.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, TypeVar

from graph_model.provenance import TLP

T = TypeVar("T")

# (identifiers, clearance) -> what was found, by identifier.
Fetch = Callable[[list[str], TLP], Awaitable[Mapping[str, T]]]
Waiting = list[tuple[Sequence[str], "asyncio.Future[dict[str, T]]"]]


class Coalescer(Generic[T]):
    """Lookups on one event loop, sent together by clearance (see the module's text).

    >>> async def fetch(ids, clearance):
    ...     reads.append(sorted(ids))
    ...     await asyncio.sleep(0)
    ...     return {i: i.upper() for i in ids if i != "gone"}
    >>> async def main():
    ...     lookups = Coalescer(fetch, parallel=1)
    ...     return await asyncio.gather(*(lookups.get([k], TLP.CLEAR) for k in ("a", "b", "gone", "a")))
    >>> reads = []
    >>> asyncio.run(main())
    [{'a': 'A'}, {'b': 'B'}, {}, {'a': 'A'}]
    >>> reads  # the first lookup went alone; the three that waited shared the next read
    [['a'], ['a', 'b', 'gone']]
    """

    def __init__(self, fetch: Fetch[T], parallel: int = 2) -> None:
        self._fetch = fetch
        self.parallel = parallel
        self._waiting: dict[TLP, Waiting[T]] = {}
        self._running: defaultdict[TLP, int] = defaultdict(int)
        self._reads: set[asyncio.Task[None]] = set()  # strong references while they run

    async def get(self, identifiers: Sequence[str], clearance: TLP) -> dict[str, T]:
        """What ``fetch`` finds for ``identifiers`` at ``clearance``, by identifier."""
        future: asyncio.Future[dict[str, T]] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(clearance, []).append((identifiers, future))
        if self._running[clearance] < self.parallel:
            self._send(clearance)
        return await future

    def _send(self, clearance: TLP) -> None:
        waiting = self._waiting.pop(clearance, None)
        if not waiting:
            return
        self._running[clearance] += 1
        read = asyncio.get_running_loop().create_task(self._read(clearance, waiting))
        self._reads.add(read)
        read.add_done_callback(lambda _: self._finished(read, clearance))

        def abandoned(_: object) -> None:
            if not read.done() and all(future.done() for _, future in waiting):
                read.cancel()

        for _, future in waiting:
            future.add_done_callback(abandoned)

    def _finished(self, read: asyncio.Task[None], clearance: TLP) -> None:
        self._reads.discard(read)
        self._running[clearance] -= 1
        self._send(clearance)

    async def _read(self, clearance: TLP, waiting: Waiting[T]) -> None:
        identifiers = list(dict.fromkeys(i for wanted, _ in waiting for i in wanted))
        try:
            found = await self._fetch(identifiers, clearance)
        except asyncio.CancelledError:  # abandoned by all, or the loop is closing
            for _, future in waiting:
                future.cancel()
            raise
        except Exception as exc:  # every lookup it served fails the same way
            for _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        for wanted, future in waiting:
            if not future.done():
                future.set_result({i: found[i] for i in wanted if i in found})
