"""The money layer: wallets of exchanges, mixers, groups, affiliates, mules and the public, and the
transactions between them, written as ransom "episodes" whose times increase along each path.

Money only leaves a group through mixers and exchanges, except for the fragile groups, whose money
(and their affiliates') leaves only through one chain of mule wallets: the planted sole cash-out paths.
Amounts are heavy-tailed: ransoms Pareto, everyday transfers lognormal.
"""

from __future__ import annotations

import itertools
import math
import random

from loaders.synthetic import names
from loaders.synthetic.output import Output
from loaders.synthetic.plan import Plan
from loaders.synthetic.social import DAY, END, START, iso

HOUR = 3600


def price(moment: int) -> float:
    """A made-up, smooth BTC/USD price over 2019-2024."""
    progress = (moment - START) / (END - START)
    return 4000 + 60000 * progress + 9000 * math.sin(progress * 19)


def write_wallets(out: Output, plan: Plan, seed: int) -> None:
    for kind, spans in (("exchange", plan.exchange_wallets), ("mixer", plan.mixer_wallets)):
        for index, (first, count) in enumerate(spans):
            service = names.service(seed, index, kind)
            for w in range(first, first + count):
                out.write("wallets.csv", ("btc", names.btc_address(seed, w), "", service, kind, service))
    for g, (first, count) in enumerate(plan.group_wallets):
        owner = f"group:{names.group(seed, g)}"
        for w in range(first, first + count):
            out.write("wallets.csv", ("btc", names.btc_address(seed, w), owner, "", "", f"cluster-{g}"))
        out.edge("OWNS", count)
    for g, chain in plan.fragile.items():
        for w in chain:
            out.write(
                "wallets.csv",
                ("btc", names.btc_address(seed, w), f"handle:{names.handle(seed, plan.mules[g])}"),
            )
        out.edge("OWNS", len(chain))
    start = plan.wallet_start["affiliate"]
    for actor in range(plan.sizes.actors):
        owner = f"handle:{names.handle(seed, actor)}"
        out.write("wallets.csv", ("btc", names.btc_address(seed, start + actor), owner))
    out.edge("OWNS", plan.sizes.actors)
    for w in range(plan.wallet_start["retail"], plan.wallet_start["end"]):
        out.write("wallets.csv", ("btc", names.btc_address(seed, w)))
    out.node("Wallet", "btc", plan.wallet_start["end"])


class MoneyFlows:
    """Writes transactions; remembers which exchanges each fragile group's chain reached."""

    def __init__(self, out: Output, rng: random.Random, plan: Plan, seed: int) -> None:
        self.out, self.rng, self.plan, self.seed = out, rng, plan, seed
        self.next_tx = 0
        self.reached: dict[int, set[int]] = {g: set() for g in plan.fragile}
        popularity = [1 / (e + 1) for e in range(len(plan.exchange_wallets))]
        self._exchange_weights = list(itertools.accumulate(popularity))

    def write(self) -> None:
        sizes = self.plan.sizes
        # Every group cashes out at least once, so every planted path is really there.
        for g in range(sizes.groups):
            self._episode(g)
        for _ in range(max(0, sizes.episodes - sizes.groups)):
            self._episode(self.plan.weighted_group(self.rng))
        for _ in range(sizes.retail_episodes):
            self._retail()

    def _tx(self, moment: int, *outputs: tuple[int, int, float]) -> None:
        """One transaction; with several outputs each is a row told apart by its output_index."""
        tx_id = names.tx_id(self.seed, self.next_tx)
        self.next_tx += 1
        usd = price(moment)
        for index, (source, target, amount) in enumerate(outputs):
            row = (
                tx_id,
                index if len(outputs) > 1 else "",
                names.btc_address(self.seed, source),
                names.btc_address(self.seed, target),
                f"{amount:.8f}",
                "BTC",
                f"{amount * usd:.2f}",
                iso(moment),
            )
            self.out.write("transactions.csv", row)
        self.out.edge("TRANSFERRED", len(outputs))

    def _exchange_wallet(self) -> tuple[int, int]:
        rng = self.rng
        exchange = rng.choices(range(len(self.plan.exchange_wallets)), cum_weights=self._exchange_weights)[0]
        first, count = self.plan.exchange_wallets[exchange]
        return exchange, first + rng.randrange(count)

    def _mixer_wallet(self) -> int:
        first, count = self.rng.choice(self.plan.mixer_wallets)
        return first + self.rng.randrange(count)

    def _later(self, moment: int, most: int = 2 * DAY) -> int:
        return moment + self.rng.randrange(HOUR, most)

    def _cash_out(self, group: int, wallet: int, amount: float, moment: int) -> None:
        """Move ``amount`` from ``wallet`` (a group's or an affiliate's) to an exchange."""
        rng = self.rng
        chain = self.plan.fragile.get(group)
        if chain:
            hops = chain if wallet == chain[0] else [wallet, *chain]
            for source, target in itertools.pairwise(hops):
                moment = self._later(moment)
                amount *= rng.uniform(0.97, 0.995)
                self._tx(moment, (source, target, amount))
            exchange, target = self._exchange_wallet()
            self.reached[group].add(exchange)
            self._tx(self._later(moment), (chain[-1], target, amount * rng.uniform(0.97, 0.995)))
        elif rng.random() < 0.6:
            mixer = self._mixer_wallet()
            moment = self._later(moment)
            self._tx(moment, (wallet, mixer, amount))
            self._tx(self._later(moment, 7 * DAY), (mixer, self._exchange_wallet()[1], amount * 0.97))
        else:
            self._tx(self._later(moment), (wallet, self._exchange_wallet()[1], amount))

    def _episode(self, group: int) -> None:
        """A victim pays a group wallet; the group pays an affiliate; both cash out."""
        rng, plan = self.rng, self.plan
        moment = rng.randrange(START, END - 60 * DAY)
        first, count = plan.group_wallets[group]
        wallet = first + int(count * rng.random() ** 2)
        ransom = min(400.0, 0.02 * rng.paretovariate(1.3))
        self._tx(moment, (plan.retail_wallet(rng), wallet, ransom))
        if rng.random() < 0.4:
            other = first + rng.randrange(count)
            if other != wallet:
                moment = self._later(moment)
                self._tx(moment, (wallet, other, ransom * 0.999))
                wallet = other
        affiliate = plan.affiliate_wallet(plan.member(rng, group))
        share = rng.uniform(0.6, 0.85)
        kept = ransom * (1 - share)
        chain = plan.fragile.get(group)
        if chain:
            # The fragile group's cut goes straight into its chain; the split is one two-output tx.
            moment = self._later(moment)
            self._tx(moment, (wallet, affiliate, ransom * share), (wallet, chain[0], kept))
            self._cash_out(group, chain[0], kept, moment)
        else:
            moment = self._later(moment)
            self._tx(moment, (wallet, affiliate, ransom * share))
            self._cash_out(group, wallet, kept, moment)
        self._cash_out(group, affiliate, ransom * share * 0.99, self._later(moment, 10 * DAY))

    def _retail(self) -> None:
        """Someone withdraws from an exchange and later deposits at another."""
        rng = self.rng
        moment = rng.randrange(START, END - 30 * DAY)
        wallet = self.plan.retail_wallet(rng)
        amount = rng.lognormvariate(-2.5, 1.6)
        self._tx(moment, (self._exchange_wallet()[1], wallet, amount))
        self._tx(self._later(moment, 20 * DAY), (wallet, self._exchange_wallet()[1], amount * 0.999))
