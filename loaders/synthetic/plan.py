"""The shape of a synthetic ecosystem, decided before any row is written.

Everything here is small (per group, forum, provider or service, never per actor or edge); only the
forums' thread ids and times grow with the size (two integers per thread), never rows or edges.
Actors, wallets and IPs are numbered; a group's members, a group's wallets and an AS's addresses are
contiguous index ranges.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass, field

VENUE_TYPES = ("forum", "forum", "forum", "marketplace", "marketplace", "channel")


@dataclass(frozen=True, slots=True)
class Sizes:
    """How many of each thing ``actors`` handles come with (see ``docs/csv-formats.md``)."""

    actors: int
    groups: int
    communities: int
    forums: int
    brokers: int
    bulletproof: int
    providers: int
    ips: int
    domains: int
    exchanges: int
    mixers: int
    retail_wallets: int
    malware: int
    episodes: int
    retail_episodes: int

    @classmethod
    def for_actors(cls, actors: int) -> Sizes:
        if actors < 50:
            raise ValueError("a synthetic ecosystem needs at least 50 actors")
        groups = max(4, round(actors / 50))
        return cls(
            actors=actors,
            groups=groups,
            communities=max(2, min(8, round(math.sqrt(groups) / 2))),
            forums=max(4, round(actors / 400)),
            brokers=max(3, round(actors / 400)),
            bulletproof=max(2, round(groups / 40)),
            providers=max(4, round(groups / 4)),
            ips=round(actors * 0.8),
            domains=round(actors * 1.3),
            exchanges=max(3, min(15, round(groups / 15))),
            mixers=max(2, min(8, round(groups / 40))),
            retail_wallets=round(actors * 2.0),
            malware=max(3, groups // 3),
            episodes=round(actors * 4.3),
            retail_episodes=round(actors * 4.5),
        )


@dataclass(slots=True)
class Forum:
    index: int
    type: str
    community: int
    escrow: bool
    admins: list[int]
    escrow_admin: int | None
    host_asn: int
    threads: list[int] = field(default_factory=list)
    thread_times: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    """Groups, communities, forums, providers, services and the wallet index layout."""

    sizes: Sizes
    group_start: list[int]
    group_size: list[int]
    fragile: dict[int, list[int]]  # group -> its sole cash-out chain (wallet indices)
    mules: dict[int, int]  # fragile group -> the member who owns the chain
    brokers: dict[int, list[int]]  # actor -> groups
    forums: list[Forum]
    asn_provider: list[int]
    asn_hosts: list[int]
    bulletproof: list[int]  # provider indices
    group_providers: list[list[int]]
    wallet_start: dict[str, int]
    exchange_wallets: list[tuple[int, int]]  # (first wallet, count) per exchange
    mixer_wallets: list[tuple[int, int]]
    group_wallets: list[tuple[int, int]]
    _cumulative: list[int] = field(default_factory=list)
    _venues: dict[int, list[Forum]] = field(default_factory=dict)

    def community(self, group: int) -> int:
        return group % self.sizes.communities

    def group_of(self, actor: int) -> int:
        """The primary group of an ordinary actor (brokers have none)."""
        return bisect.bisect_right(self.group_start, actor) - 1

    def community_forums(self, community: int) -> list[Forum]:
        if not self._venues:
            for forum in self.forums:
                self._venues.setdefault(forum.community, []).append(forum)
        return self._venues.get(community, [])

    def member(self, rng: random.Random, group: int) -> int:
        return self.group_start[group] + rng.randrange(self.group_size[group])

    def community_member(self, rng: random.Random, community: int) -> int:
        groups = range(community, self.sizes.groups, self.sizes.communities)
        return self.member(rng, rng.choice(groups))

    def weighted_group(self, rng: random.Random) -> int:
        """A group, the bigger ones more often."""
        if not self._cumulative:
            self._cumulative = list(itertools.accumulate(self.group_size))
        return bisect.bisect_right(self._cumulative, rng.randrange(self._cumulative[-1]))

    def affiliate_wallet(self, actor: int) -> int:
        return self.wallet_start["affiliate"] + actor

    def retail_wallet(self, rng: random.Random) -> int:
        return self.wallet_start["retail"] + rng.randrange(self.sizes.retail_wallets)


def _group_sizes(rng: random.Random, members: int, groups: int) -> list[int]:
    """Heavy-tailed group sizes (lognormal), at least two members each, summing to ``members``."""
    weights = [rng.lognormvariate(0.0, 1.0) for _ in range(groups)]
    spare, total = members - 2 * groups, sum(weights)
    sizes = [2 + int(spare * w / total) for w in weights]
    for i in range(members - sum(sizes)):
        sizes[i % groups] += 1
    return sizes


def _layout(counts: list[int], start: int) -> list[tuple[int, int]]:
    spans = []
    for count in counts:
        spans.append((start, count))
        start += count
    return spans


def make_plan(rng: random.Random, sizes: Sizes) -> Plan:
    """Draw the ecosystem's structure; the same ``rng`` state gives the same plan."""
    ordinary = sizes.actors - sizes.brokers
    group_size = _group_sizes(rng, ordinary, sizes.groups)
    group_start = list(itertools.accumulate([0, *group_size[:-1]]))
    groups, communities = sizes.groups, sizes.communities
    fragile_groups = sorted(rng.sample(range(groups), max(2, round(groups * 0.15))))

    brokers: dict[int, list[int]] = {}
    for actor in range(ordinary, sizes.actors):
        spread = rng.sample(range(communities), min(communities, rng.randint(2, 4)))
        brokers[actor] = sorted(rng.choice(range(c, groups, communities)) for c in spread)

    # Providers: the first ``bulletproof`` are bulletproof hosters with more, busier ASes.
    providers = sizes.bulletproof + sizes.providers
    asn_provider: list[int] = []
    for p in range(providers):
        asn_provider += [p] * (rng.randint(2, 4) if p < sizes.bulletproof else rng.randint(1, 2))
    weights = [8.0 if asn_provider[a] < sizes.bulletproof else 1.0 for a in range(len(asn_provider))]
    asn_hosts = [0] * len(asn_provider)
    for a in rng.choices(range(len(asn_provider)), weights, k=sizes.ips):
        asn_hosts[a] += 1
    bulletproof = list(range(sizes.bulletproof))
    normal = range(sizes.bulletproof, providers)
    group_providers = [
        sorted({*rng.sample(bulletproof, min(len(bulletproof), rng.randint(1, 2))), rng.choice(normal)})
        for _ in range(groups)
    ]

    exchange_counts = [rng.randint(8, 8 + max(1, sizes.actors // 500)) for _ in range(sizes.exchanges)]
    mixer_counts = [rng.randint(4, 4 + max(1, sizes.actors // 1000)) for _ in range(sizes.mixers)]
    group_wallet_counts = [max(2, round(1.5 * n)) for n in group_size]
    chain_lengths = {g: rng.randint(1, 3) for g in fragile_groups}
    wallet_start: dict[str, int] = {"exchange": 0}
    wallet_start["mixer"] = wallet_start["exchange"] + sum(exchange_counts)
    wallet_start["group"] = wallet_start["mixer"] + sum(mixer_counts)
    wallet_start["chain"] = wallet_start["group"] + sum(group_wallet_counts)
    wallet_start["affiliate"] = wallet_start["chain"] + sum(chain_lengths.values())
    wallet_start["retail"] = wallet_start["affiliate"] + sizes.actors
    wallet_start["end"] = wallet_start["retail"] + sizes.retail_wallets
    fragile: dict[int, list[int]] = {}
    next_chain = wallet_start["chain"]
    for g in fragile_groups:
        fragile[g] = list(range(next_chain, next_chain + chain_lengths[g]))
        next_chain += chain_lengths[g]
    mules = {g: group_start[g] + rng.randrange(group_size[g]) for g in fragile_groups}
    plan = Plan(
        sizes=sizes,
        group_start=group_start,
        group_size=group_size,
        fragile=fragile,
        mules=mules,
        brokers=brokers,
        forums=[],
        asn_provider=asn_provider,
        asn_hosts=asn_hosts,
        bulletproof=bulletproof,
        group_providers=group_providers,
        wallet_start=wallet_start,
        exchange_wallets=_layout(exchange_counts, wallet_start["exchange"]),
        mixer_wallets=_layout(mixer_counts, wallet_start["mixer"]),
        group_wallets=_layout(group_wallet_counts, wallet_start["group"]),
    )
    bp_asns = [a for a, p in enumerate(asn_provider) if p < sizes.bulletproof and asn_hosts[a]]
    for f in range(sizes.forums):
        community = f % communities
        type_ = rng.choice(VENUE_TYPES)
        escrow = type_ == "marketplace" or (type_ == "forum" and rng.random() < 0.4)
        wanted = rng.randint(2, 4)
        staff: set[int] = set()
        while len(staff) < wanted:
            staff.add(plan.community_member(rng, community))
        people = sorted(staff)
        # An escrow venue has exactly one escrow admin: the one person trades depend on.
        escrow_admin = people.pop() if escrow else None
        plan.forums.append(Forum(f, type_, community, escrow, people, escrow_admin, rng.choice(bp_asns)))
    return plan
