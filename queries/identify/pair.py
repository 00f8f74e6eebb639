"""One candidate pair as an investigator opens it: both handles, what they share and what each signal says.

:func:`pair_evidence` scores the pair exactly as :func:`queries.identify.candidates.identify` does (the
model trained on every handle the caller may see), and lists the shared things behind the evidence -
wallets, contact identifiers, infrastructure, products - each with how many handles have it and the
marking of what said so. Everything is read through the caller's clearance, so what a caller may not see
is neither drawn nor counted. Weights are put in plain words by :func:`plain_weight`.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.identify import model
from queries.identify import signals as sig
from queries.identify.candidates import Candidate, Decision, identify, pair_key, stored_decisions
from queries.identify.profile import Profile, read_profiles
from queries.scope import Scope

# signal -> (Profile field, what one of them is called, most handles sharing it that still count)
SHARED_THINGS: dict[str, tuple[str, str, int]] = {
    "wallet": ("wallets", "wallet", sig.SHARED),
    "contact": ("contacts", "contact", sig.SHARED),
    "infrastructure": ("infrastructure", "server", sig.SHARED),
    "product": ("products", "product sold", sig.PRODUCT_SHARED),
}


@dataclass(frozen=True, slots=True)
class Shared:
    """One thing both handles have: a wallet or server key (a node of the graph), or a contact identifier
    or product (a value), with how many visible handles have it and the marking of the statements."""

    signal: str
    value: str
    holders: int
    marking: TLP
    counts: bool  # specific enough to be evidence (at most the signal's limit of handles have it)

    @property
    def specificity(self) -> float:
        return sig.specificity(self.holders)

    @property
    def shown(self) -> str:
        """The value as a person reads it (``tox 7393...``, ``e-mail x@y.z``)."""
        shown = self.value.replace("_ids:", " ").replace("_handles:", " ").replace("_fingerprints:", " ")
        return shown.replace("emails:", "e-mail ")

    def words(self) -> str:
        what, shown = SHARED_THINGS[self.signal][1], self.shown
        who = "only these two handles have it" if self.holders <= 2 else f"{self.holders} handles have it"
        if not self.counts:
            who += ", too many for it to count as evidence"
        return f"both have the {what} {shown} ({who}; specificity {self.specificity:.2f})"


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """A pair of handles as the caller may see it: the model's candidate (None when the model did not
    compare the pair: it shares nothing the blocking looks at), the analysts' decision, the shared things
    and the forums each is active on."""

    a: Profile
    b: Profile
    candidate: Candidate | None
    decision: Decision | None
    shared: tuple[Shared, ...]
    handles: int


def plain_weight(weight: float) -> str:
    """A match weight in words: ``+3`` makes "one person" 8 times likelier, ``-1`` half as likely."""
    factor = 2.0 ** abs(weight)
    shown = f"{factor:,.0f}" if factor >= 10 else f"{factor:.1f}"
    if abs(weight) < 0.05:
        return "says nothing either way"
    if weight > 0:
        return f"makes one person {shown} times likelier"
    return f"makes one person {shown} times less likely"


def plain_probability(probability: float) -> str:
    """A probability as a percentage with as many decimals as it takes to tell it from 0 % and 100 %:
    ``0.873`` is "87.3%", ``0.99996`` "99.996%"; "100%" only for exactly 1 and "0%" only for exactly 0;
    closer than a millionth of a percent: "over 99.999999%" or "under 0.000001%".

    Examples
    --------
    >>> [plain_probability(p) for p in (0.873, 0.99996, 1.0, 0.999999999999, 0.00004, 0.0)]
    ['87.3%', '99.996%', '100%', 'over 99.999999%', '0.004%', '0%']
    """
    if probability >= 1.0:
        return "100%"
    if probability <= 0.0:
        return "0%"
    percent = probability * 100.0
    for decimals in range(1, 7):
        shown = f"{percent:.{decimals}f}"
        if 0.0 < float(shown) < 100.0:
            return shown + "%"
    return "over 99.999999%" if probability > 0.5 else "under 0.000001%"


def pair_evidence(
    store: GraphStore, clearance: TLP, first: str, second: str, *, seed: int = 1
) -> PairEvidence:
    """The pair ``first``/``second`` (handle keys the caller may see), scored and explained at
    ``clearance``.

    Examples
    --------
    >>> from graph_model import default_model
    >>> from graph_model.store.embedded import EmbeddedStore
    >>> pair_evidence(EmbeddedStore(":memory:", default_model()), TLP.RED, "handle:a", "handle:b")
    Traceback (most recent call last):
    ...
    graph_model.errors.InvalidArgument: handle:a is not a handle you may see
    """
    found = read_profiles(store, clearance)
    for key in (first, second):
        if key not in found:
            raise InvalidArgument(f"{key} is not a handle you may see")
    if first == second:
        raise InvalidArgument(f"{first} is one handle, not a pair")
    pair = pair_key(first, second)
    scored = identify(
        store,
        clearance,
        Scope(keys=(pair[0],), depth=0),
        min_score=0.0,
        seed=seed,
        decisions={},
        profiles=found,
    )
    candidate = next((c for c in scored.candidates if c.pair == pair), None)
    a, b = found[pair[0]], found[pair[1]]
    counts = model.holders(found)
    by_signal = {
        "wallet": counts.wallet,
        "contact": counts.contact,
        "infrastructure": counts.infrastructure,
        "product": counts.product,
    }
    shared: list[Shared] = []
    for signal, (attribute, _what, limit) in SHARED_THINGS.items():
        mine: dict[str, TLP] = getattr(a, attribute)
        theirs: dict[str, TLP] = getattr(b, attribute)
        for value in sorted(mine.keys() & theirs.keys()):
            n = by_signal[signal][value]
            shared.append(Shared(signal, value, n, max(mine[value], theirs[value]), n <= limit))
    decision = stored_decisions(store).get(pair)
    return PairEvidence(a, b, candidate, decision, tuple(shared), len(found))
