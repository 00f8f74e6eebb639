"""Lookups that share reads (graph_model.store.coalesce): each caller gets exactly its own answer, at
its own clearance, with its own errors and cancellation; on Neo4j, the same answers as one lookup each."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from graph_model.entities import Node, make_node
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance
from graph_model.store.coalesce import Coalescer
from graph_model.store.neo4j_store import Neo4jStore

T = TypeVar("T")

# What a store holds: identifier -> (value, the least clearance that sees it).
HELD = {f"k{i}": (f"v{i}", TLP(1 + i % 4)) for i in range(40)}


class Store:
    """A lookup with a visible round trip: it records every read it is asked for."""

    def __init__(self, delay: float = 0.001, fail: set[str] | None = None) -> None:
        self.reads: list[tuple[list[str], TLP]] = []
        self.delay = delay
        self.fail = fail or set()
        self.running = 0
        self.most_running = 0
        self.cancelled = 0

    async def fetch(self, ids: list[str], clearance: TLP) -> Mapping[str, str]:
        self.reads.append((ids, clearance))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1
        if self.fail & set(ids):
            raise RuntimeError(f"cannot read {sorted(self.fail & set(ids))}")
        return {i: HELD[i][0] for i in ids if i in HELD and HELD[i][1] <= clearance}


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: the browser tests' Playwright keeps an event loop running
    in the main thread for the whole session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main).result()


def alone(ids: list[str], clearance: TLP) -> dict[str, str]:
    return {i: HELD[i][0] for i in ids if i in HELD and HELD[i][1] <= clearance}


def test_many_lookups_share_reads_and_each_gets_its_own_answer() -> None:
    rng = random.Random(7)
    asks = [
        ([rng.choice([*HELD, "missing"]) for _ in range(rng.randint(1, 4))], rng.choice(list(TLP)))
        for _ in range(300)
    ]
    store = Store()

    async def main() -> list[dict[str, str]]:
        lookups = Coalescer(store.fetch, parallel=2)
        return await asyncio.gather(*(lookups.get(ids, clearance) for ids, clearance in asks))

    answers = run(main())
    assert answers == [alone(ids, clearance) for ids, clearance in asks]
    assert len(store.reads) < len(asks) / 3  # shared
    assert store.most_running <= 2 * len(TLP)  # at most `parallel` reads per clearance
    for ids, _ in store.reads:  # no duplicate identifier in a read
        assert len(ids) == len(set(ids))
    # A read serves one clearance: what it returns is never given to a caller of another.
    assert {clearance for _, clearance in store.reads} == {clearance for _, clearance in asks}


def test_a_lone_lookup_is_sent_at_once() -> None:
    store = Store(delay=0)

    async def main() -> list[dict[str, str]]:
        lookups = Coalescer(store.fetch)
        return [await lookups.get([key], TLP.RED) for key in ("k0", "k1", "k2")]

    assert run(main()) == [{"k0": "v0"}, {"k1": "v1"}, {"k2": "v2"}]
    assert store.reads == [(["k0"], TLP.RED), (["k1"], TLP.RED), (["k2"], TLP.RED)]


def test_a_failed_read_fails_the_lookups_it_served_and_the_next_read_works() -> None:
    store = Store(fail={"k3"})

    async def main() -> list[object]:
        lookups = Coalescer(store.fetch, parallel=1)
        first = await asyncio.gather(
            lookups.get(["k0"], TLP.RED),  # sent alone
            lookups.get(["k3"], TLP.RED),  # these two share the next read, which fails
            lookups.get(["k1"], TLP.RED),
            return_exceptions=True,
        )
        return [*first, await lookups.get(["k2"], TLP.RED)]

    ok, failed, shared, later = run(main())
    assert ok == {"k0": "v0"}
    assert isinstance(failed, RuntimeError) and isinstance(shared, RuntimeError)
    assert later == {"k2": "v2"}


def test_a_cancelled_lookup_leaves_the_read_to_the_others_and_the_last_one_cancels_it() -> None:
    store = Store(delay=0.05)

    async def main() -> tuple[object, ...]:
        lookups = Coalescer(store.fetch, parallel=1)
        first = asyncio.ensure_future(lookups.get(["k0"], TLP.RED))
        await asyncio.sleep(0)  # first read sent
        quitter = asyncio.ensure_future(lookups.get(["k1"], TLP.RED))
        stayer = asyncio.ensure_future(lookups.get(["k2"], TLP.RED))
        await asyncio.sleep(0)
        quitter.cancel()
        answers = await asyncio.gather(first, stayer)
        # Everyone waiting on a read gives up: the read is cancelled, and the next lookup still works.
        gone = asyncio.ensure_future(lookups.get(["k3"], TLP.RED))
        await asyncio.sleep(0.01)
        gone.cancel()
        await asyncio.sleep(0.01)
        return (*answers, quitter.cancelled(), await lookups.get(["k4"], TLP.RED))

    first, stayer, quitter_cancelled, after = run(main())
    assert (first, stayer) == ({"k0": "v0"}, {"k2": "v2"})
    assert quitter_cancelled
    assert store.cancelled == 1  # the read of k3 alone; the read k1 shared with k2 went on
    assert after == {"k4": "v4"}


@pytest.mark.neo4j
def test_concurrent_neo4j_lookups_equal_one_lookup_each(neo4j_store: Neo4jStore, model: Model) -> None:
    """On a real Neo4j through the async driver: many concurrent lookups (keys, identifiers, missing
    ones, four clearances) give what each would alone, in fewer reads than lookups."""
    prov = {tlp: Provenance.of("test", f"r-{tlp.name}", tlp=tlp) for tlp in TLP}
    nodes = [
        make_node(model, "Actor", "handle", f"actor{i}", prov=prov[TLP(1 + i % 4)], ids=(f"alias:{i}",))
        for i in range(30)
    ]
    neo4j_store.upsert(nodes, [])
    wanted = [n.key for n in nodes] + [f"alias:{i}" for i in range(30)] + ["handle:nobody", "nothing"]
    rng = random.Random(3)
    asks = [(rng.sample(wanted, rng.randint(1, 3)), rng.choice(list(TLP))) for _ in range(200)]
    reads = 0
    read = neo4j_store._get_many_on

    async def counted(*args: object) -> dict[str, Node]:
        nonlocal reads
        reads += 1
        return await read(*args)  # type: ignore[arg-type]

    neo4j_store._get_many_on = counted  # type: ignore[method-assign]

    async def main() -> list[dict[str, Node]]:
        try:
            return await asyncio.gather(
                *(neo4j_store.get_many_async(ids, clearance=clearance) for ids, clearance in asks)
            )
        finally:
            await neo4j_store.close_async()

    try:
        answers = run(main())
    finally:
        del neo4j_store._get_many_on
    assert answers == [neo4j_store.get_many(ids, clearance=clearance) for ids, clearance in asks]
    assert sum(len(a) for a in answers) > 100  # most lookups found something
    assert reads < len(asks) / 2
