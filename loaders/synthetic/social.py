"""The social and forum layers: groups and their members, brokers, forums with admins, activity,
threads and posts, and ties between members.

Ordinary actors stay inside their group's community (its groups and forums); only brokers cross
communities, which is what makes them the planted key brokers.
"""

from __future__ import annotations

import random
import time

from loaders.synthetic import names
from loaders.synthetic.output import Output
from loaders.synthetic.plan import Forum, Plan

START = 1546300800  # 2019-01-01
END = 1735603200  # 2024-12-31
DAY = 86400
LANGUAGES = ("ru", "en", "zh", "fa", "pt", "es", "vi", "tr")
PRODUCTS = (
    "rdp access",
    "vpn access",
    "crypter",
    "stealer logs",
    "card dumps",
    "bulletproof hosting",
    "loader",
)
GROUP_ROLES = ("ransomware-as-a-service", "initial-access broker", "carding", "botnet operator")
TITLES = (
    "Selling {p}",
    "Looking for {p}",
    "[WTB] {p}",
    "Fresh {p} daily",
    "Escrow deal: {p}",
    "Review of {p}",
)


def iso(moment: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def venue(seed: int, forum: Forum) -> str:
    """How a row names a forum: its name, prefixed by its type unless it is a plain forum."""
    name = names.forum(seed, forum.index)
    return name if forum.type == "forum" else f"{forum.type}:{name}"


def write_actors(out: Output, rng: random.Random, plan: Plan, seed: int) -> None:
    sizes = plan.sizes
    for g in range(sizes.groups):
        out.write(
            "actors.csv",
            (
                names.group(seed, g),
                "group",
                names.alias(seed, 10**9 + g) if rng.random() < 0.5 else "",
                rng.choice(GROUP_ROLES),
                names.country(seed, "group", g),
                rng.choice(("active", "active", "inactive")),
                "",
                rng.randint(60, 95),
            ),
        )
    out.node("Actor", "group", sizes.groups)
    roles: dict[int, set[str]] = {}
    for forum in plan.forums:
        for admin in forum.admins:
            roles.setdefault(admin, set()).add("admin")
        if forum.escrow_admin is not None:
            roles.setdefault(forum.escrow_admin, set()).add("escrow agent")
    for mule in plan.mules.values():
        roles.setdefault(mule, set()).add("money mule")
    for actor in range(sizes.actors):
        if actor in plan.brokers:
            groups = plan.brokers[actor]
            role = {"broker", "initial-access broker"}
        else:
            primary = plan.group_of(actor)
            groups = [primary]
            if rng.random() < 0.1:
                # A second programme, always in the same community.
                other = rng.choice(range(plan.community(primary), sizes.groups, sizes.communities))
                groups += [other] if other != primary else []
            role = {"affiliate"}
        out.write(
            "actors.csv",
            (
                names.handle(seed, actor),
                "handle",
                names.alias(seed, actor) if rng.random() < 0.2 else "",
                ";".join(sorted(role | roles.get(actor, set()))),
                names.country(seed, "handle", actor),
                rng.choice(("active", "active", "active", "inactive", "arrested")),
                ";".join(names.group(seed, g) for g in groups),
                rng.randint(40, 95),
            ),
        )
        out.edge("MEMBER_OF", len(groups))
    out.node("Actor", "handle", sizes.actors)


def write_forums(out: Output, plan: Plan, seed: int) -> None:
    for forum in plan.forums:
        out.write(
            "forums.csv",
            (
                names.forum(seed, forum.index),
                forum.type,
                f"http://{names.handle(seed, 10**9 + forum.index)}.onion/",
                "true" if forum.escrow else "false",
                ";".join(names.handle(seed, a) for a in forum.admins),
                names.handle(seed, forum.escrow_admin) if forum.escrow_admin is not None else "",
                LANGUAGES[forum.community % len(LANGUAGES)],
                names.ip(forum.host_asn, 0),
            ),
        )
        out.node("Forum", forum.type)
        out.edge("ADMINISTERS", len(forum.admins) + (forum.escrow_admin is not None))
        out.edge("HOSTED_ON")


def _forums_of(rng: random.Random, plan: Plan, actor: int) -> list[Forum]:
    if actor in plan.brokers:
        chosen: list[Forum] = []
        for community in sorted({plan.community(g) for g in plan.brokers[actor]}):
            options = plan.community_forums(community)
            chosen += rng.sample(options, min(len(options), rng.randint(1, 2)))
        return chosen
    options = plan.community_forums(plan.community(plan.group_of(actor)))
    return rng.sample(options, min(len(options), 1 + int(rng.expovariate(1 / 1.4))))


class ForumActivity:
    """Writes each actor's activity rows, and the threads and posts behind their counts."""

    def __init__(self, out: Output, rng: random.Random, plan: Plan, seed: int) -> None:
        self.out, self.rng, self.plan, self.seed = out, rng, plan, seed
        self.next_thread = 0
        self.next_post = 0
        self.broker_forums: dict[int, list[int]] = {}

    def write(self) -> None:
        for actor in range(self.plan.sizes.actors):
            start = self.rng.randrange(START, END - 200 * DAY)
            forums = _forums_of(self.rng, self.plan, actor)
            if actor in self.plan.brokers:
                self.broker_forums[actor] = sorted(f.index for f in forums)
            for forum in forums:
                self._on_forum(actor, forum, start)

    def _on_forum(self, actor: int, forum: Forum, start: int) -> None:
        rng = self.rng
        first = start + rng.randrange(200 * DAY)
        last = min(END, first + DAY + rng.randrange(600 * DAY))
        threads = int(rng.lognormvariate(-1.9, 1.4))
        posts = int(rng.lognormvariate(-0.35, 1.3)) if threads or forum.threads else 0
        selling = rng.random() < (0.6 if forum.type == "marketplace" else 0.1)
        product = rng.choice(PRODUCTS) if selling else ""
        author = names.handle(self.seed, actor)
        where = venue(self.seed, forum)
        self.out.write(
            "activity.csv",
            (
                author,
                where,
                "sells_on" if selling else "active_on",
                posts,
                threads,
                product,
                iso(first),
                iso(last),
            ),
        )
        self.out.edge("SELLS_ON" if selling else "ACTIVE_ON")
        for _ in range(threads):
            moment = rng.randrange(first, last)
            title = rng.choice(TITLES).format(p=product or rng.choice(PRODUCTS))
            self.out.write("threads.csv", (f"t{self.next_thread}", where, title, author, iso(moment)))
            forum.threads.append(self.next_thread)
            forum.thread_times.append(moment)
            self.next_thread += 1
        self.out.node("Forum", "thread", threads)
        self.out.edge("PART_OF", threads)
        self.out.edge("POSTED", threads)
        for _ in range(posts):
            at = rng.randrange(len(forum.threads))
            moment = max(forum.thread_times[at] + rng.randrange(3600, 30 * DAY), rng.randrange(first, last))
            self.out.write(
                "posts.csv", (f"p{self.next_post}", f"t{forum.threads[at]}", where, author, iso(moment))
            )
            self.next_post += 1
        self.out.node("Forum", "post", posts)
        self.out.edge("PART_OF", posts)
        self.out.edge("POSTED", posts)


def write_ties(out: Output, rng: random.Random, plan: Plan, seed: int) -> None:
    """ASSOCIATES_WITH between members of the same group, as generic edges."""
    for actor in range(plan.sizes.actors):
        if actor in plan.brokers or rng.random() >= 0.6:
            continue
        group = plan.group_of(actor)
        other = plan.member(rng, group)
        if other == actor:
            continue
        row = ("Actor", "handle", names.handle(seed, actor), "ASSOCIATES_WITH", "Actor", "handle")
        out.write("edges.csv", (*row, names.handle(seed, other), rng.randint(30, 90)))
        out.edge("ASSOCIATES_WITH")
