"""Following the money: time-respecting transfer chains from (or into) a wallet, and where they end.

A chain is a sequence of TRANSFERRED edges each no earlier than the one before it (``out``) or no later
than the one after it (``in``). The walk keeps, per wallet, the earliest time money from the origin
can be there (the latest time money can leave it, for ``in``): any later continuation of a chain is
also a continuation of the earliest one, so that is all it needs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from graph_model.entities import Node
from graph_model.errors import InvalidArgument, LimitExceeded
from graph_model.provenance import TLP
from graph_model.store.base import Facts, GraphStore, Link, to_networkx
from queries.results import Destination, MoneyFlow, Network, ParallelTransfers, Transfer
from queries.scope import resolve_keys, time_window

MAX_HOPS = 6
MAX_LIMIT = 5000
PAGE_WALLETS = 64  # new wallets whose transfers a hop reads at once, at least
TRANSFER = "TRANSFERRED"
FACTS = frozenset({"amount", "asset", "time"})  # what the walk and the totals read of a transfer
# Edges by which an actor holds a wallet: a wallet held by a service actor is that service's.
HOLDS = frozenset({"OWNS", "COLLECTS_INTO", "OPERATES", "CONTROLS"})
# Words that mark a wallet's holder as a place where money leaves the chain or is pooled with others'.
SERVICE_WORDS = frozenset(
    {"exchange", "exchanger", "mixer", "mixing", "tumbler", "cashout", "otc", "gambling"}
)


def service_of(props: Mapping[str, Any]) -> str | None:
    """What kind of service an entity's properties say it is (``exchange: Binance``), or None.

    Reads ``service_type`` and ``service`` (wallets tables, the synthetic generator), ``label_kind``
    (wallet-label datasets) and an actor's ``roles``.

    Examples
    --------
    >>> service_of({"service": "Example Exchange", "service_type": "exchange"})
    'exchange: Example Exchange'
    >>> service_of({"roles": ["money mule"]}) is None
    True
    """
    kind = str(props.get("service_type") or "").strip()
    name = str(props.get("service") or "").strip()
    labels = [str(v) for v in props.get("label_kind") or () if _is_service(str(v))]
    roles = [str(v) for v in props.get("roles") or () if _is_service(str(v))]
    kind = kind or (labels[0] if labels else "") or (roles[0] if roles else "")
    if not kind and not name:
        return None
    if kind and name and name.casefold() != kind.casefold():
        return f"{kind}: {name}"
    return kind or name


def _is_service(text: str) -> bool:
    """Whether a label names a service: one of its words (``cash-out`` read as ``cashout``) says so."""
    return not SERVICE_WORDS.isdisjoint(re.findall(r"[a-z]+", text.casefold().replace("cash-out", "cashout")))


@dataclass(slots=True)
class _Arrival:
    time: str  # earliest arrival ("out") or latest departure ("in"); "" when no dated transfer bounds it
    hops: int


def money_flow(
    store: GraphStore,
    clearance: TLP,
    wallet: str,
    *,
    direction: str = "out",
    max_hops: int = 4,
    min_amount: float = 0.0,
    since: str | None = None,
    until: str | None = None,
    limit: int = 500,
    include_undated: bool = False,
    records: bool = True,
) -> MoneyFlow:
    """Where money from ``wallet`` went (``direction="out"``) or where money into it came from (``"in"``).

    Follows visible TRANSFERRED edges for up to ``max_hops`` hops, each transfer no earlier than the one
    before it in the chain (an undated transfer is taken without a time and does not constrain the next),
    of at least ``min_amount`` and seen between ``since`` and ``until``. The trail stops at a service
    (exchange, mixer, cash-out...: see :func:`service_of`, read from the wallet or from an actor that
    OWNS/OPERATES/CONTROLS it or COLLECTS_INTO it): beyond it, money is pooled with everyone's.

    ``destinations`` lists every wallet reached with the total of the chain transfers into it (out of
    it, for ``in``), their count, the fewest hops to it and its ``service``; services first, then by
    total. ``network`` holds the origin, the wallets reached (at most ``limit``, breadth-first) and the
    transfers between them; ``records=False`` leaves ``network.edges`` empty and gives the transfers as
    ``links`` alone (each read by :meth:`GraphStore.edges` when wanted: the API reads them only when a
    query asks for more than their keys and ends).

    Examples
    --------
    >>> from queries.sample import sample_store, WALLETS
    >>> flow = money_flow(sample_store(), TLP.CLEAR, "btc:" + WALLETS["group"])
    >>> [(d.node.name[:14], d.total, d.min_hops, d.service) for d in flow.destinations]
    [('bc1qexchangeho', 2.4, 2, 'exchange: Example Exchange'), ('bc1qaffiliate0', 2.5, 1, None)]
    """
    if direction not in ("out", "in"):
        raise InvalidArgument(f"direction is 'out' or 'in', not {direction!r}")
    if not 1 <= max_hops <= MAX_HOPS:
        raise LimitExceeded(f"max_hops {max_hops} is outside 1-{MAX_HOPS}")
    if not 1 <= limit <= MAX_LIMIT:
        raise LimitExceeded(f"limit {limit} is outside 1-{MAX_LIMIT}")
    if not min_amount >= 0:  # also refuses NaN
        raise InvalidArgument(f"min_amount must be a number of at least 0, got {min_amount}")
    window = time_window(since, until, include_undated)
    undated = window is not None and not window.include_undated
    left_out = 0
    (origin_key,) = resolve_keys(store, [wallet], clearance)
    origin = store.nodes([origin_key], clearance=clearance)[origin_key]
    if origin.kind != "Wallet":
        raise InvalidArgument(f"{wallet!r} is a {origin.kind}, not a Wallet")
    out = direction == "out"
    types = frozenset({TRANSFER})
    best: dict[str, _Arrival] = {origin_key: _Arrival("", 0)}
    used: dict[str, Facts] = {}
    nodes: dict[str, Node] = {origin_key: origin}
    services: dict[str, str | None] = {origin_key: None}
    truncated = False
    frontier = [origin_key]
    for hop in range(1, max_hops + 1):
        if not frontier:
            break
        if undated:  # count the onward transfers the window left out for having no date, where they are
            left_out += store.undated_links(frontier, clearance=clearance, types=types, out=out)
        moved: dict[str, _Arrival] = {}
        room = limit - len(nodes)
        # The hop's transfers a page at a time: first those to wallets already reached (they may move an
        # arrival), then those to new wallets in key order - the order in which new wallets fill the
        # room - so a hub's thousands of transfers are read only up to the wallets the answer can hold.
        reached = frozenset(best)
        after: str | None = None
        while True:
            page, after = store.onward_page(
                frontier,
                clearance=clearance,
                types=types,
                out=out,
                props=FACTS,
                reached=reached,
                after=after,
                ends=max(room + 1, PAGE_WALLETS),
                window=window,
            )
            for fact in page:
                link = fact.link
                here, there = (link.source, link.target) if out else (link.target, link.source)
                amount = fact.props.get("amount")
                if isinstance(amount, int | float) and amount < min_amount:
                    continue
                if amount is None and min_amount > 0:
                    continue
                when = _when(fact)
                start = best[here].time
                if when and start and (when < start if out else when > start):
                    continue  # before the money got here (after it left, for "in")
                used[link.key] = fact
                arrival = when or start
                known = moved.get(there) or best.get(there)
                if known is None or _better(arrival, known.time, out):
                    moved[there] = _Arrival(arrival, known.hops if known else hop)
            if after is None or sum(1 for k in moved if k not in best) > room:
                break  # every wallet read, or enough new ones to fill the room and tell that more exist
        fresh = sorted(k for k in moved if k not in best)
        for key in sorted(moved):
            if key in best:
                best[key].time = moved[key].time
        if len(fresh) > room:
            truncated = True
            fresh = fresh[: max(room, 0)]
        nodes.update(store.nodes(fresh, clearance=clearance))
        services.update(_services(store, clearance, [k for k in fresh if k in nodes], nodes))
        frontier = []
        for key in fresh:
            if key in nodes:
                best[key] = moved[key]
                if services.get(key) is None:
                    frontier.append(key)
        # A wallet reached again earlier is walked again: its later transfers may now be in time.
        frontier += [k for k in sorted(moved) if k in nodes and k not in fresh and services.get(k) is None]
        frontier = sorted(set(frontier))
        if truncated:
            break
    kept = [f for _, f in sorted(used.items()) if f.link.source in nodes and f.link.target in nodes]
    links = [fact.link for fact in kept]
    return MoneyFlow(
        origin=origin,
        direction=direction,
        network=Network(
            nodes=list(nodes.values()),
            edges=store.edges(links, clearance=clearance) if records else [],
            truncated=truncated,
            undated_left_out=left_out,
        ),
        destinations=_destinations(origin_key, nodes, kept, best, services, out),
        links=links,
    )


def _when(fact: Facts) -> str:
    value = fact.props.get("time") or fact.first_seen
    return str(value) if value else ""


def _better(new: str, old: str, out: bool) -> bool:
    """Whether an arrival at ``new`` lets more continue than one at ``old``."""
    if not old:
        return False  # unbounded already
    if not new:
        return True
    return new < old if out else new > old


def _services(
    store: GraphStore, clearance: TLP, keys: list[str], nodes: dict[str, Node]
) -> dict[str, str | None]:
    """The service each wallet belongs to, from its own properties or a service actor holding it."""
    found: dict[str, str | None] = {key: service_of(nodes[key].props) for key in keys}
    unknown = [key for key, service in found.items() if service is None]
    if not unknown:
        return found
    holders: dict[str, list[Link]] = {}
    for link in store.links(unknown, clearance=clearance, types=HOLDS):
        if link.target in found and link.source_kind == "Actor":
            holders.setdefault(link.source, []).append(link)
    if holders:
        actors = store.nodes(sorted(holders), clearance=clearance)
        for actor_key, links in sorted(holders.items()):
            service = service_of(actors[actor_key].props) if actor_key in actors else None
            if service:
                for link in links:
                    found[link.target] = found[link.target] or service
    return found


def _destinations(
    origin: str,
    nodes: dict[str, Node],
    transfers: list[Facts],
    best: dict[str, _Arrival],
    services: dict[str, str | None],
    out: bool,
) -> list[Destination]:
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    assets: dict[str, set[str]] = {}
    for fact in transfers:
        there = fact.link.target if out else fact.link.source
        if there == origin:
            continue
        amount = fact.props.get("amount")
        totals[there] = totals.get(there, 0.0) + (float(amount) if isinstance(amount, int | float) else 0.0)
        counts[there] = counts.get(there, 0) + 1
        if fact.props.get("asset"):
            assets.setdefault(there, set()).add(str(fact.props["asset"]))
    found = [
        Destination(
            node=nodes[key],
            total=round(totals[key], 8),
            transfers=counts[key],
            min_hops=best[key].hops,
            asset=next(iter(assets[key])) if len(assets.get(key, ())) == 1 else None,
            service=services.get(key),
        )
        for key in totals
        if key in nodes and key in best
    ]
    found.sort(key=lambda d: (d.service is None, -d.total, d.node.key))
    return found


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _transfer(key: str, data: Mapping[str, Any]) -> Transfer:
    when = data.get("time") or data.get("first_seen")
    return Transfer(
        key=key,
        tx_id=str(data["tx_id"]) if data.get("tx_id") not in (None, "") else None,
        time=str(when) if when else None,
        amount=_number(data.get("amount")),
        asset=str(data["asset"]) if data.get("asset") else None,
        amount_usd=_number(data.get("amount_usd")),
        tlp=str(data.get("tlp") or TLP.CLEAR.label),
    )


def _together(source: str, target: str, transfers: list[Transfer]) -> ParallelTransfers:
    transfers.sort(key=lambda t: (t.time is None, t.time or "", t.key))
    totals: dict[str, float] = {}
    for item in transfers:
        if item.amount is not None:
            totals[item.asset or ""] = totals.get(item.asset or "", 0.0) + item.amount
    assets = {item.asset for item in transfers}
    one_asset = len(assets) == 1
    usd = [item.amount_usd for item in transfers if item.amount_usd is not None]
    times = [item.time for item in transfers if item.time]
    return ParallelTransfers(
        source=source,
        target=target,
        count=len(transfers),
        total=round(sum(totals.values()), 8) if one_asset and totals else None,
        asset=next(iter(assets)) if one_asset else None,
        totals={asset: round(value, 8) for asset, value in sorted(totals.items())},
        total_usd=round(sum(usd), 2) if usd else None,
        usd_known=len(usd),
        first=min(times) if times else None,
        last=max(times) if times else None,
        undated=len(transfers) - len(times),
        tlp=max((TLP.parse(item.tlp) for item in transfers), default=TLP.CLEAR).label,
        transfers=tuple(transfers),
    )


def parallel_transfers(graph: nx.MultiDiGraph) -> list[ParallelTransfers]:
    """The TRANSFERRED edges of ``graph`` taken together per (source wallet, target wallet), in that order.

    ``graph`` is a graph as :func:`queries.scope.scope_graph` (or
    :func:`graph_model.store.base.to_networkx` of edges read at a clearance) gives it, so it holds only
    what the caller may see. Each pair gets the count, the total amount (per asset when they differ), the
    USD total where known, the first and last time and the transfers themselves (edge key, tx id, time,
    amount), earliest first. A transfer's time is its ``time``, else its first seen.

    Examples
    --------
    >>> g = nx.MultiDiGraph()
    >>> for i, (amount, when) in enumerate([(1.5, "2024-01-02T00:00:00Z"), (0.5, "2024-01-01T00:00:00Z")]):
    ...     g.add_edge("btc:a", "btc:b", key=f"t{i}", type="TRANSFERRED", tlp="CLEAR", amount=amount,
    ...                asset="BTC", time=when, tx_id=f"tx{i}")
    't0'
    't1'
    >>> (pair,) = parallel_transfers(g)
    >>> pair.count, pair.total, pair.asset, pair.first, [t.tx_id for t in pair.transfers]
    (2, 2.0, 'BTC', '2024-01-01T00:00:00Z', ['tx1', 'tx0'])
    """
    pairs: dict[tuple[str, str], list[Transfer]] = {}
    for source, target, key, data in graph.edges(keys=True, data=True):
        if data.get("type") == TRANSFER:
            pairs.setdefault((source, target), []).append(_transfer(str(key), data))
    return [_together(source, target, pairs[source, target]) for source, target in sorted(pairs)]


def transfers_between(
    store: GraphStore,
    clearance: TLP,
    wallet_a: str,
    wallet_b: str,
    *,
    since: str | None = None,
    until: str | None = None,
    include_undated: bool = False,
) -> list[ParallelTransfers]:
    """The transfers between two wallets that ``clearance`` may see, per direction (a to b first).

    Wallets are named by key or identifier; one not visible is :class:`NotFound`, as if it did not exist.
    ``since``/``until`` keep transfers seen in that window (undated ones only with ``include_undated``:
    see :func:`queries.scope.time_window`). An empty list when no visible transfer joins them.

    Examples
    --------
    >>> from queries.sample import sample_store, WALLETS
    >>> a, b = "btc:" + WALLETS["affiliate"], "btc:" + WALLETS["group"]
    >>> (pair,) = transfers_between(sample_store(), TLP.CLEAR, a, b)
    >>> pair.source == b, pair.count, pair.total, pair.first
    (True, 1, 2.5, '2022-03-01T10:00:00Z')
    """
    window = time_window(since, until, include_undated)
    a, b = resolve_keys(store, [wallet_a, wallet_b], clearance)
    found = store.nodes([a, b], clearance=clearance)
    for key, named in ((a, wallet_a), (b, wallet_b)):
        if found[key].kind != "Wallet":
            raise InvalidArgument(f"{named!r} is a {found[key].kind}, not a Wallet")
    links = [
        link
        for link in store.links([a], clearance=clearance, types=frozenset({TRANSFER}), window=window)
        if {link.source, link.target} == {a, b}
    ]
    pairs = parallel_transfers(to_networkx((), store.edges(links, clearance=clearance)))
    return sorted(pairs, key=lambda pair: pair.source != a)
