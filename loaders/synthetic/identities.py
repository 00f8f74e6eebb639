"""The identity layer: people behind handles, written only when asked (``generate(..., identities=...)``).

Every ordinary handle becomes a person with habits - when they post (time zone, evening peaks), how they
write (signature words, spelling), which contacts they give - and posts a few texts. Some people get
second (and third) handles: the planted same-person groups, each sharing a random subset of the signals
``queries.identify`` reads, at varied strengths (a wallet, a contact in the profile or only in a post, a
handle variant, products, a server, succession after a forum closed, and always the person's hours and
style, sometimes disguised). Decoys look like evidence and are not: exchange deposit wallets many handles
list, families of common handles, impostor handles copying a name, contacts on public servers, an escrow
contact everyone posts, and one time zone shared by many.

Everything comes from its own random stream (``random.Random(f"identities:{config.name}:{seed}")``) and
goes into files of its own, so the files of the ecosystem itself stay byte-identical.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from loaders.synthetic import names
from loaders.synthetic.output import Output
from loaders.synthetic.plan import Plan
from loaders.synthetic.social import DAY, END, START, iso

HOUR = 3600
FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "identity_forums.csv": ("forums", ("forum", "type", "status", "closed_at", "language")),
    "identity_actors.csv": (
        "actors",
        (
            "actor",
            "type",
            "roles",
            "description",
            "emails",
            "jabber_ids",
            "tox_ids",
            "telegram_handles",
            "pgp_fingerprints",
        ),
    ),
    "identity_activity.csv": (
        "activity",
        ("actor", "forum", "relation", "posts", "product", "first_seen", "last_seen"),
    ),
    "identity_threads.csv": ("threads", ("thread_id", "forum", "title", "author", "posted_at")),
    "identity_posts.csv": ("posts", ("post_id", "thread_id", "forum", "author", "posted_at", "text")),
    "identity_wallets.csv": ("wallets", ("chain", "address", "owner")),
    "identity_infrastructure.csv": ("infrastructure", ("type", "value", "operated_by")),
}
CONTACTS = ("emails", "jabber_ids", "tox_ids", "telegram_handles", "pgp_fingerprints")
PUBLIC_JABBER = ("jabber.ru", "xmpp.jp", "exploit.im", "thesecure.biz")
PUBLIC_MAIL = ("protonmail.com", "cock.li", "tutanota.com")
ESCROW_CONTACT = "escrow@exploit.im"
COMMON_HANDLES = ("admin", "support", "ghost", "hacker", "alex", "maxim", "king", "shadow")
SIGNATURES = (
    "bro", "asap", "ofc", "imho", "tnx", "pls", "legit", "100%", "no refunds", "guaranteed", "))", "xD",
    ":)", "!!!", "...", "fast delivery", "bulk discount", "hmu", "dm me", "on point", "fresh stock",
    "top quality", "no scam", "trusted seller", "long time vendor", "w/e", "idk", "btw", "ttyl", "fyi",
    "kek", "lol", "respect", "peace", "cheers", "regards", "bless", "stay safe", "good luck", "salute",
)  # fmt: skip
QUIRKS = (("you", "u"), ("please", "plz"), ("the", "teh"), ("thanks", "thx"), ("are", "r"), ("for", "4"))
NICHE = (
    "uk fullz", "de bank logs", "fr rdp", "jp cards", "au dumps", "0day wordpress", "citrix access",
    "fortinet vpn", "exchange shells", "aws keys", "azure tenants", "crypto drainer", "sms bomber",
    "otp bot", "pos malware", "atm jackpot kit", "sim swaps", "kyc docs", "paypal logs", "steam logs",
)  # fmt: skip
PRODUCTS = ("rdp access", "vpn access", "crypter", "stealer logs", "card dumps", "loader")
BODIES = (
    "selling {p}, price in pm",
    "thanks for the {p}, you are the best",
    "please check the {p} before you pay",
    "if you need {p} please write, the price is fair",
    "got the {p} for you, thanks for waiting",
    "have {p} in stock, contact me",
    "looking for {p}, paying good",
    "{p} available now, escrow ok",
    "new batch of {p} today",
    "need {p}, who has it",
    "vouch for this guy, got {p}",
)
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


@dataclass(frozen=True, slots=True)
class Config:
    """How a generated population behaves. ``standard`` is what the demo and the tests use; ``shifted``
    has other distributions (more decoys, fewer posts, weaker evidence) to measure on without tuning."""

    name: str
    planted_share: float  # planted people per ordinary handle
    min_planted: int
    group_share: float  # planted people with two extra handles
    succession_share: float
    share: dict[str, float]  # signal -> probability that a planted person shares it
    disguise: float  # alters that drop half their writing habits
    contact_in_post: float  # a shared contact given only inside a post text
    posts: tuple[int, int]
    common_tz: float  # people in the one popular time zone with the popular evening
    exchange_owners: tuple[int, int]  # handles listing each of 3 exchange deposit wallets
    impostors: float  # impostor handles per planted person
    common_family: tuple[int, int]


CONFIGS = {
    "standard": Config(
        name="standard",
        planted_share=0.2,
        min_planted=60,
        group_share=0.15,
        succession_share=0.15,
        share={"wallet": 0.35, "contact": 0.5, "handle": 0.45, "product": 0.3, "infrastructure": 0.2},
        disguise=0.3,
        contact_in_post=0.4,
        posts=(3, 12),
        common_tz=0.4,
        exchange_owners=(12, 40),
        impostors=0.3,
        common_family=(3, 7),
    ),
    "shifted": Config(
        name="shifted",
        planted_share=0.12,
        min_planted=60,
        group_share=0.25,
        succession_share=0.25,
        share={"wallet": 0.25, "contact": 0.4, "handle": 0.55, "product": 0.4, "infrastructure": 0.3},
        disguise=0.5,
        contact_in_post=0.6,
        posts=(2, 8),
        common_tz=0.6,
        exchange_owners=(30, 80),
        impostors=0.6,
        common_family=(5, 10),
    ),
}


def _hex(tag: str, length: int) -> str:
    out = ""
    counter = 0
    while len(out) < length:
        out += hashlib.blake2b(f"{tag}:{counter}".encode(), digest_size=32).hexdigest()
        counter += 1
    return out[:length].upper()


@dataclass(slots=True)
class Person:
    """One human: when they post, how they write, whom to contact."""

    index: int
    tz: int
    peaks: tuple[int, int]
    habits: list[str]
    quirks: list[tuple[str, str]]
    niche: str
    contacts: dict[str, list[str]] = field(default_factory=dict)


def _person(rng: random.Random, index: int, config: Config, seed: int) -> Person:
    if rng.random() < config.common_tz:
        tz, peaks = 3, (20, 22)
    else:
        tz, peaks = rng.randint(-8, 10), (rng.randint(8, 23), rng.randint(0, 23))
    tag = f"{seed}:{config.name}:{index}"
    word = names.handle(seed, 3 * 10**8 + index).rstrip("0123456789")
    contacts = {
        "jabber_ids": [f"{word}{index % 97}@{rng.choice(PUBLIC_JABBER)}"],
        "tox_ids": [_hex(f"tox:{tag}", 76)],
        "telegram_handles": [f"@{word}_{index % 89}"],
        "pgp_fingerprints": [_hex(f"pgp:{tag}", 40)],
        "emails": [f"{word}.{index}@{rng.choice(PUBLIC_MAIL)}"],
    }
    return Person(
        index=index,
        tz=tz,
        peaks=peaks,
        habits=rng.sample(SIGNATURES, 4),
        quirks=rng.sample(QUIRKS, 2),
        niche=rng.choice(NICHE),
        contacts=contacts,
    )


def _moment(rng: random.Random, person: Person, first: int, last: int) -> int:
    """A posting time in [first, last] at one of the person's local peak hours (give or take)."""
    day = rng.randrange(first // DAY, max(first // DAY + 1, last // DAY))
    local = (rng.choice(person.peaks) + round(rng.gauss(0, 1.2))) % 24
    return max(first, min(last, day * DAY + ((local - person.tz) % 24) * HOUR + rng.randrange(HOUR)))


def _text(rng: random.Random, person: Person, habits: list[str], product: str, contact: str) -> str:
    words = rng.choice(BODIES).format(p=product)
    for plain, quirk in person.quirks:
        words = words.replace(f" {plain} ", f" {quirk} ")
    tail = " ".join(rng.sample(habits, min(len(habits), 2)))
    text = f"{words} {tail}"
    if rng.random() < 0.15:
        text += f" (escrow via {ESCROW_CONTACT})"
    return f"{text} {contact}".strip()


def _variant(rng: random.Random, name: str) -> str:
    """A look-alike of ``name``: letters swapped for digits, a separator, a case change - never equal to
    it case-insensitively."""
    letters = name.rstrip("0123456789")
    digits = name[len(letters) :]
    for _ in range(10):
        style = rng.randrange(4)
        if style == 0:
            spots = [i for i, c in enumerate(letters) if c in LEET]
            out = list(letters)
            for i in rng.sample(spots, min(len(spots), rng.randint(1, 2))):
                out[i] = LEET[out[i]]
            candidate = "".join(out) + digits
        elif style == 1:
            cut = rng.randint(2, max(2, len(letters) - 2))
            candidate = f"{letters[:cut]}{rng.choice('_.-')}{letters[cut:]}{digits}"
        elif style == 2:
            candidate = f"{letters.title()}_{digits}" if digits else f"{letters.title()}_"
        else:
            candidate = f"{letters}{rng.choice('_.')}{digits}x"
        if candidate.casefold() != name.casefold():
            return candidate
    return f"{name}_"


class IdentityLayer:
    """Writes the identity files and remembers what it planted for ``truth.json``."""

    def __init__(self, out: Output, plan: Plan, seed: int, config: Config) -> None:
        self.out, self.plan, self.seed, self.config = out, plan, seed, config
        self.rng = random.Random(f"identities:{config.name}:{seed}")
        self.groups: list[dict[str, Any]] = []
        self.decoys: dict[str, list[Any]] = {}
        self.next_post = 0
        self.next_thread = 0
        self.next_handle = 0
        self.next_person = 0

    # -- small writers ----------------------------------------------------------------------
    def _new_person(self) -> Person:
        self.next_person += 1
        return _person(self.rng, self.next_person, self.config, self.seed)

    def _new_handle(self) -> str:
        self.next_handle += 1
        return names.handle(self.seed, 10**8 + self.next_handle)

    def _actor(self, handle: str, contacts: dict[str, list[str]], roles: str = "") -> None:
        cells = [";".join(contacts.get(c, [])) for c in CONTACTS]
        self.out.write("identity_actors.csv", (handle, "handle", roles, "", *cells))

    def _posts(
        self,
        handle: str,
        person: Person,
        forum: str,
        first: int,
        last: int,
        *,
        habits: list[str] | None = None,
        product: str | None = None,
        post_contact: str = "",
        count: int | None = None,
    ) -> int:
        rng = self.rng
        n = count if count is not None else rng.randint(*self.config.posts)
        thread = f"it{self.next_thread}"
        self.next_thread += 1
        self.out.write("identity_threads.csv", (thread, forum, f"{handle}'s thread", handle, iso(first)))
        self.out.node("Forum", "thread")
        self.out.edge("POSTED")
        self.out.edge("PART_OF", 2)
        for k in range(n):
            moment = _moment(rng, person, first, last)
            what = product or rng.choice((person.niche, *PRODUCTS))
            contact = post_contact if k == 0 else ""
            text = _text(rng, person, habits if habits is not None else person.habits, what, contact)
            self.out.write(
                "identity_posts.csv", (f"ip{self.next_post}", thread, forum, handle, iso(moment), text)
            )
            self.next_post += 1
        self.out.node("Forum", "post", n)
        self.out.edge("POSTED", n)
        self.out.edge("PART_OF", n)
        return n

    def _activity(self, handle: str, forum: str, first: int, last: int, posts: int, product: str) -> None:
        relation = "sells_on" if product else "active_on"
        row = (handle, forum, relation, posts, product, iso(first), iso(last))
        self.out.write("identity_activity.csv", row)
        self.out.edge("SELLS_ON" if product else "ACTIVE_ON")

    def _forum_name(self, index: int) -> str:
        forum = self.plan.forums[index]
        name = names.forum(self.seed, index)
        return name if forum.type == "forum" else f"{forum.type}:{name}"

    # -- the population --------------------------------------------------------------------
    def write(self) -> None:
        rng, plan, config = self.rng, self.plan, self.config
        sizes = plan.sizes
        ordinary = sizes.actors - sizes.brokers
        closed = [f"Closed {names.forum(self.seed, 10**6 + c)}" for c in range(max(2, sizes.forums // 4))]
        closed_at: dict[str, int] = {}
        for name in closed:
            when = rng.randrange(START + 400 * DAY, END - 400 * DAY)
            closed_at[name] = when
            self.out.write("identity_forums.csv", (name, "forum", "closed", iso(when), "en"))
        self.out.node("Forum", "forum", len(closed))
        persons: dict[int, Person] = {}
        # Every ordinary handle is a person who posts a little in its community's forums.
        for actor in range(ordinary):
            person = self._new_person()
            persons[actor] = person
            handle = names.handle(self.seed, actor)
            given = {c: v for c, v in person.contacts.items() if rng.random() < 0.3}
            self._actor(handle, given)
            community = plan.community(plan.group_of(actor))
            forum = rng.choice(plan.community_forums(community))
            first = rng.randrange(START, END - 300 * DAY)
            self._posts(handle, person, self._forum_name(forum.index), first, first + 250 * DAY)
        planted = max(config.min_planted, round(config.planted_share * ordinary))
        bases = rng.sample(range(ordinary), min(ordinary, planted))
        for n, actor in enumerate(bases):
            if rng.random() < config.succession_share:
                self._succession(n, rng.choice(closed), closed_at)
            else:
                self._alters(n, actor, persons[actor])
        self._decoys(ordinary, persons, closed, closed_at)
        self.out.node("Actor", "handle", self.next_handle)

    def _shared(self) -> set[str]:
        return {signal for signal, p in self.config.share.items() if self.rng.random() < p}

    def _alters(self, n: int, actor: int, person: Person) -> None:
        rng, plan = self.rng, self.plan
        base = names.handle(self.seed, actor)
        extra = 2 if rng.random() < self.config.group_share else 1
        members = [base]
        signals: dict[str, list[str]] = {}
        community = plan.community(plan.group_of(actor))
        for _ in range(extra):
            shared = self._shared()
            if "handle" in shared:
                alter = _variant(rng, base)
                strength = "variant"
            else:
                alter = self._new_handle()
                strength = ""
            if alter.casefold() in {m.casefold() for m in members}:
                alter = self._new_handle()
            members.append(alter)
            given: dict[str, list[str]] = {}
            post_contact = ""
            used: list[str] = []
            if "contact" in shared:
                kind = rng.choice(CONTACTS)
                value = person.contacts[kind][0]
                if rng.random() < self.config.contact_in_post:
                    post_contact = _in_text(kind, value)
                    used.append(f"contact:{kind}:post")
                else:
                    given[kind] = [value]
                    used.append(f"contact:{kind}:profile")
                # The base handle states it too, in its profile.
                self._actor(base, {kind: [value]})
            self._actor(alter, given)
            if "wallet" in shared:
                address = names.btc_address(self.seed, plan.affiliate_wallet(actor))
                self.out.write("identity_wallets.csv", ("btc", address, f"handle:{alter}"))
                self.out.edge("OWNS")
                used.append("wallet")
            if "infrastructure" in shared:
                host = f"srv-{_hex(f'host:{self.seed}:{n}', 8).lower()}.example"
                for who in (base, alter):
                    self.out.write("identity_infrastructure.csv", ("host", host, f"handle:{who}"))
                self.out.node("Infrastructure", "host")
                self.out.edge("OPERATES", 2)
                used.append("infrastructure")
            # The alter works elsewhere: another community's forum when there is one.
            others = [f for f in plan.forums if f.community != community] or plan.forums
            forum = self._forum_name(rng.choice(others).index)
            first = rng.randrange(START, END - 300 * DAY)
            last = first + rng.randrange(60, 300) * DAY
            habits = person.habits
            if rng.random() < self.config.disguise:
                habits = habits[:2] + rng.sample(SIGNATURES, 2)
                used.append("style:disguised")
            product = ""
            if "product" in shared:
                product = person.niche
                base_forum = self._forum_name(rng.choice(plan.community_forums(community)).index)
                b_first = rng.randrange(START, END - 300 * DAY)
                self._activity(base, base_forum, b_first, b_first + 200 * DAY, 0, product)
                used.append("product")
            posts = self._posts(
                alter, person, forum, first, last, habits=habits, product=product or None,
                post_contact=post_contact,
            )  # fmt: skip
            self._activity(alter, forum, first, last, posts, product)
            if strength:
                used.append(f"handle:{strength}")
            signals[alter] = sorted(used)
        self.groups.append({"members": members, "signals": signals, "succession": False})

    def _succession(self, n: int, forum: str, closed_at: dict[str, int]) -> None:
        """One person: a handle active on a forum until it closed, then a new handle elsewhere."""
        rng = self.rng
        person = self._new_person()
        old, new = self._new_handle(), self._new_handle()
        shut = closed_at[forum]
        first = shut - rng.randrange(200, 500) * DAY
        self._actor(old, {})
        posts = self._posts(old, person, forum, first, shut - rng.randrange(1, 20) * DAY)
        self._activity(old, forum, first, shut - DAY, posts, "")
        start = shut + rng.randrange(5, 90) * DAY
        used = ["succession"]
        given: dict[str, list[str]] = {}
        if rng.random() < self.config.share["contact"]:
            kind = rng.choice(CONTACTS)
            self._actor(old, {kind: person.contacts[kind]})
            given[kind] = person.contacts[kind]
            used.append(f"contact:{kind}:profile")
        self._actor(new, given)
        elsewhere = self._forum_name(rng.randrange(len(self.plan.forums)))
        posts = self._posts(new, person, elsewhere, start, start + rng.randrange(60, 300) * DAY)
        self._activity(new, elsewhere, start, start + 300 * DAY, posts, "")
        self.groups.append({"members": [old, new], "signals": {new: used}, "succession": True})

    def _decoys(
        self, ordinary: int, persons: dict[int, Person], closed: list[str], closed_at: dict[str, int]
    ) -> None:
        rng, plan, config = self.rng, self.plan, self.config
        # Exchange deposit wallets many handles list as theirs.
        exchange: list[str] = []
        for first, _count in plan.exchange_wallets[:3]:
            address = names.btc_address(self.seed, first)
            owners = rng.sample(range(ordinary), min(ordinary, rng.randint(*config.exchange_owners)))
            for actor in owners:
                self.out.write(
                    "identity_wallets.csv", ("btc", address, f"handle:{names.handle(self.seed, actor)}")
                )
            self.out.edge("OWNS", len(owners))
            exchange.append(address)
        # Families of common handles: different people, names that normalise alike.
        families: list[list[str]] = []
        for word in COMMON_HANDLES:
            family: list[str] = []
            for k in range(rng.randint(*config.common_family)):
                handle = word if k == 0 else _variant(rng, f"{word}{rng.choice(['', str(k)])}")
                if handle.casefold() in {f.casefold() for f in family}:
                    continue
                family.append(handle)
                person = self._new_person()
                self._actor(handle, {})
                forum = self._forum_name(rng.randrange(len(plan.forums)))
                first = rng.randrange(START, END - 300 * DAY)
                posts = self._posts(handle, person, forum, first, first + 200 * DAY)
                self._activity(handle, forum, first, first + 200 * DAY, posts, "")
            self.next_handle += len(family)
            families.append(family)
        # Impostors: someone else's name, slightly changed; nothing else in common.
        impostors: list[list[str]] = []
        for _ in range(round(config.impostors * len(self.groups))):
            victim = names.handle(self.seed, rng.randrange(ordinary))
            handle = _variant(rng, victim)
            person = self._new_person()
            self._actor(handle, {})
            forum = self._forum_name(rng.randrange(len(plan.forums)))
            first = rng.randrange(START, END - 300 * DAY)
            posts = self._posts(handle, person, forum, first, first + 200 * DAY)
            self._activity(handle, forum, first, first + 200 * DAY, posts, "")
            self.next_handle += 1
            impostors.append([victim, handle])
        # Handles that went quiet when a forum closed and never came back (no successor).
        quiet: list[str] = []
        for forum in closed:
            for _ in range(rng.randint(2, 4)):
                person = self._new_person()
                handle = self._new_handle()
                shut = closed_at[forum]
                self._actor(handle, {})
                posts = self._posts(handle, person, forum, shut - 300 * DAY, shut - 5 * DAY)
                self._activity(handle, forum, shut - 300 * DAY, shut - 5 * DAY, posts, "")
                quiet.append(handle)
        self.decoys = {
            "exchange_deposit_wallets": exchange,
            "common_handle_families": families,
            "impostors": impostors,
            "quiet_without_successor": quiet,
            "public_jabber_servers": list(PUBLIC_JABBER),
            "shared_escrow_contact": [ESCROW_CONTACT],
        }

    def truth(self, key: Any) -> dict[str, Any]:
        """The planted groups and decoys, handles named by their keys (``key(handle)``)."""
        return {
            "config": self.config.name,
            "definition": "handles of one synthetic person; every pair inside a group is a same-person pair",
            "groups": [
                {
                    "members": [key(m) for m in g["members"]],
                    "signals": {key(a): s for a, s in sorted(g["signals"].items())},
                    "succession": g["succession"],
                }
                for g in self.groups
            ],
            "decoys": {
                "exchange_deposit_wallets": self.decoys["exchange_deposit_wallets"],
                "common_handle_families": [
                    [key(h) for h in f] for f in self.decoys["common_handle_families"]
                ],
                "impostors": [[key(a), key(b)] for a, b in self.decoys["impostors"]],
                "quiet_without_successor": [key(h) for h in self.decoys["quiet_without_successor"]],
                "public_jabber_servers": self.decoys["public_jabber_servers"],
                "shared_escrow_contact": self.decoys["shared_escrow_contact"],
            },
        }


def _in_text(kind: str, value: str) -> str:
    """How a contact appears inside a post (the patterns ``queries.identify.signals`` extracts)."""
    return {
        "emails": f"mail me {value}",
        "jabber_ids": f"jabber: {value}",
        "tox_ids": f"tox {value}",
        "telegram_handles": f"tg {value}",
        "pgp_fingerprints": f"pgp fingerprint {value}",
    }[kind]
