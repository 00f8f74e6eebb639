"""Same-person candidates: scored pairs of handles with their evidence, clustered into groups.

``identify(store, clearance, scope)`` reads the caller's view (:mod:`queries.identify.profile`), scores
the blocked pairs (:mod:`queries.identify.model`), keeps the pairs whose match probability reaches
``min_score``, writes for each the evidence - every signal the model compared, what exactly is shared,
how specific it is and the signal's weight (its match weight, ``log2`` of the Bayes factor: +3 makes the
pair 8 times likelier) - and clusters the pairs into same-person groups (connected components, as
Splink's clustering: a handle linked strongly to two others puts all three in one group, with the links
that join them). Nothing is merged; ``decisions`` (an analyst's confirm/reject) are honoured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.identify import model
from queries.identify import signals as sig
from queries.identify.profile import Profile, read_profiles
from queries.scope import Scope, scope_graph

DEFAULT_MIN_SCORE = 0.8
NAMESPACE = "identify"  # the store state holding analysts' decisions (queries.identify.decisions)
METHOD = "crimegraph identify: Fellegi-Sunter (Splink, DuckDB), EM-trained"


@dataclass(frozen=True, slots=True)
class Evidence:
    signal: str
    detail: str
    weight: float  # match weight: log2 of the Bayes factor this signal's level gives
    marking: TLP

    def as_dict(self) -> dict[str, Any]:
        return {"signal": self.signal, "detail": self.detail, "weight": round(self.weight, 3)}


@dataclass(frozen=True, slots=True)
class Decision:
    """An analyst's word on a pair: ``confirmed`` or ``rejected``, by whom and when, and the signals (with
    their levels) the pair had then - evidence beyond them is new."""

    verdict: str
    analyst: str
    at: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    a: Profile
    b: Profile
    score: float  # match probability 0..1
    evidence: tuple[Evidence, ...]
    group: int = -1
    status: str = "proposed"  # proposed | confirmed | new evidence since rejected

    @property
    def pair(self) -> tuple[str, str]:
        return (self.a.key, self.b.key)

    @property
    def marking(self) -> TLP:
        """The highest marking among the evidence used."""
        return max((e.marking for e in self.evidence), default=TLP.CLEAR)

    @property
    def fingerprint(self) -> tuple[str, ...]:
        """The agreeing signals and their details, to tell later whether evidence is new."""
        return tuple(sorted(f"{e.signal}: {e.detail}" for e in self.evidence if e.weight > 0))

    def as_dict(self) -> dict[str, Any]:
        def party(p: Profile) -> dict[str, str]:
            return {"key": p.key, "name": p.name, "kind": p.kind}

        return {
            "a": party(self.a),
            "b": party(self.b),
            "score": round(self.score, 6),
            "evidence": [e.as_dict() for e in self.evidence],
            "group": self.group,
            "status": self.status,
            "marking": self.marking.label,
        }


@dataclass(slots=True)
class Identification:
    """All candidates at or above ``min_score`` by score, their groups, and what the model compared."""

    candidates: list[Candidate]
    groups: list[list[str]]
    handles: int
    compared: int
    min_score: float
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def all_pairs(self) -> int:
        return self.handles * (self.handles - 1) // 2

    def as_dict(self) -> dict[str, Any]:
        links: dict[int, list[dict[str, Any]]] = {}
        for c in self.candidates:
            links.setdefault(c.group, []).append({"a": c.a.key, "b": c.b.key, "score": round(c.score, 6)})
        return {
            "candidates": [c.as_dict() for c in self.candidates],
            "groups": [
                {"group": i, "members": members, "links": links.get(i, [])}
                for i, members in enumerate(self.groups)
            ],
            "score": "match probability (0..1) that both handles are one person",
            "min_score": self.min_score,
            "handles": self.handles,
            "pairs_compared": self.compared,
            "all_pairs": self.all_pairs,
            "method": METHOD,
        }


def stored_decisions(store: GraphStore) -> dict[tuple[str, str], Decision]:
    """Every decision analysts recorded (:mod:`queries.identify.decisions`), by pair."""
    found: dict[tuple[str, str], Decision] = {}
    for key, value in store.list_state(NAMESPACE):
        a, _, b = key.partition("|")
        found[(a, b)] = Decision(
            verdict=str(value["verdict"]),
            analyst=str(value["analyst"]),
            at=str(value["at"]),
            evidence=tuple(value.get("evidence", ())),
        )
    return found


def pair_key(a: str, b: str) -> tuple[str, str]:
    """A pair in one order (the smaller key first)."""
    return (a, b) if a <= b else (b, a)


def identify(
    store: GraphStore,
    clearance: TLP,
    scope: Scope | None = None,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    top: int | None = None,
    seed: int = 1,
    decisions: Mapping[tuple[str, str], Decision] | None = None,
    profiles: Mapping[str, Profile] | None = None,
) -> Identification:
    """Same-person candidates among the handles the caller may see.

    ``scope`` (keys, community ...) keeps the pairs with at least one handle inside it; the model is
    always trained on every visible handle, so a value common across the graph stays common in a small
    scope. ``decisions`` default to those recorded in the store: a rejected pair is left out unless its
    evidence has grown since (then ``status`` says so); a confirmed pair is kept with ``status``
    ``confirmed``. ``profiles``: the caller's view as :func:`read_profiles` gives it, when already read.

    Examples
    --------
    >>> from graph_model import default_model
    >>> from graph_model.store.embedded import EmbeddedStore
    >>> identify(EmbeddedStore(":memory:", default_model()), TLP.RED).candidates
    []
    """
    found = read_profiles(store, clearance) if profiles is None else profiles
    inside: set[str] | None = None
    if scope is not None and (scope.keys or scope.community is not None or scope.since or scope.until):
        inside = {
            k for k, d in scope_graph(store, clearance, scope).nodes(data=True) if d.get("kind") == "Actor"
        }
    counts = model.holders(found)
    scored = model.score(model.records(found, counts), seed=seed, min_probability=min_score)
    decided = stored_decisions(store) if decisions is None else decisions
    levels = level_labels(scored.parameters)
    candidates: list[Candidate] = []
    for row in scored.pairs:
        a, b = found[row["unique_id_l"]], found[row["unique_id_r"]]
        if inside is not None and a.key not in inside and b.key not in inside:
            continue
        candidate = Candidate(a, b, float(row["match_probability"]), _evidence(row, a, b, counts, levels))
        decision = decided.get(pair_key(a.key, b.key))
        if decision is not None:
            if decision.verdict == "rejected":
                if set(candidate.fingerprint) <= set(decision.evidence):
                    continue
                candidate = _with(candidate, status="new evidence since rejected")
            elif decision.verdict == "confirmed":
                candidate = _with(candidate, status="confirmed")
        candidates.append(candidate)
    candidates.sort(key=lambda c: (-c.score, c.a.key, c.b.key))
    if top is not None:
        candidates = candidates[:top]
    groups = _groups(candidates)
    index = {key: i for i, members in enumerate(groups) for key in members}
    candidates = [_with(c, group=index[c.a.key]) for c in candidates]
    return Identification(candidates, groups, len(found), scored.compared, min_score, scored.parameters)


def _with(c: Candidate, **changes: Any) -> Candidate:
    return replace(c, **changes)


def _groups(candidates: list[Candidate]) -> list[list[str]]:
    """Connected components of the candidate links, strongest group first."""
    graph = nx.Graph()
    best: dict[str, float] = {}
    for c in candidates:
        graph.add_edge(c.a.key, c.b.key)
        for key in c.pair:
            best[key] = max(best.get(key, 0.0), c.score)
    parts = [sorted(part) for part in nx.connected_components(graph)]
    return sorted(parts, key=lambda p: (-max(best[k] for k in p), p[0]))


# -- evidence: one describer per signal ------------------------------------------------------------


def _shared(
    name: str, a: dict[str, TLP], b: dict[str, TLP], holders: Mapping[str, int], limit: int
) -> tuple[str, TLP]:
    common = [v for v in a.keys() & b.keys() if holders.get(v, 0) <= limit]
    marking = max((max(a[v], b[v]) for v in common), default=max([*a.values(), *b.values(), TLP.CLEAR]))
    if not common:
        return f"no {name} in common (each has its own)", marking
    return sig.shared_detail(name, common, holders), marking


def _wallet(a: Profile, b: Profile, h: model.Holders) -> tuple[str, TLP]:
    return _shared("wallets", a.wallets, b.wallets, h.wallet, sig.SHARED)


def _contact(a: Profile, b: Profile, h: model.Holders) -> tuple[str, TLP]:
    return _shared("contacts", a.contacts, b.contacts, h.contact, sig.SHARED)


def _product(a: Profile, b: Profile, h: model.Holders) -> tuple[str, TLP]:
    return _shared("products sold", a.products, b.products, h.product, sig.PRODUCT_SHARED)


def _infrastructure(a: Profile, b: Profile, h: model.Holders) -> tuple[str, TLP]:
    return _shared(
        "operated infrastructure", a.infrastructure, b.infrastructure, h.infrastructure, sig.SHARED
    )


def _handle(a: Profile, b: Profile, h: model.Holders) -> tuple[str, TLP]:
    sa, sb = sig.handle_skeleton(a.name), sig.handle_skeleton(b.name)
    marking = max(a.marking, b.marking)
    if sa == sb:
        n = h.skeleton[sa]
        return (
            f"same handle skeleton {sa!r} ({n} handles share it, specificity {sig.specificity(n):.2f})",
            marking,
        )
    return (
        f"handles {a.name!r} and {b.name!r}: Jaro-Winkler {sig.jaro_winkler(sa, sb):.2f} on skeletons",
        marking,
    )


def _hours(a: Profile, b: Profile, h: model.Holders) -> tuple[str, TLP]:
    similarity = sig.cosine(sig.hour_of_week(a.post_times), sig.hour_of_week(b.post_times))
    shown = "n/a" if similarity is None else f"{similarity:.2f}"
    posts = f"{len(a.post_times)} and {len(b.post_times)} posts"
    detail = f"posting hours (UTC, by hour of day): cosine {shown} over {posts}"
    return detail, max(a.posts_marking, b.posts_marking)


def _style(a: Profile, b: Profile, h: model.Holders) -> tuple[str, TLP]:
    chars = (sum(len(t) for t in a.texts), sum(len(t) for t in b.texts))
    detail = f"writing style: character 3-gram profiles (TF-IDF) of {chars[0]:,} and {chars[1]:,} characters"
    return detail, max(a.posts_marking, b.posts_marking)


def _succession(a: Profile, b: Profile, h: model.Holders) -> tuple[str, TLP]:
    for old, new in ((a, b), (b, a)):
        if old.quiet is not None and new.first_seen is not None and new.first_seen >= old.quiet[1][:10]:
            forum, closed, marking = old.quiet
            return (
                f"{old.name!r} went quiet on {forum!r} (closed {closed[:10]}); {new.name!r} first seen "
                f"{new.first_seen[:10]}",
                max(marking, a.marking, b.marking),
            )
    return "no succession", max(a.marking, b.marking)


DESCRIBE: dict[str, Callable[[Profile, Profile, model.Holders], tuple[str, TLP]]] = {
    "wallet": _wallet,
    "contact": _contact,
    "handle": _handle,
    "hours": _hours,
    "style": _style,
    "product": _product,
    "infrastructure": _infrastructure,
    "succession": _succession,
}


def level_labels(parameters: Mapping[str, Any]) -> dict[tuple[str, float], str]:
    """(signal, match weight) -> the name of the comparison level that has that weight in the model."""
    import math

    found: dict[tuple[str, float], str] = {}
    for comparison in parameters.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level") or not m or not u:
                continue
            weight = round(math.log2(m / u), 6)
            found[(comparison["output_column_name"], weight)] = level["label_for_charts"]
    return found


def _evidence(
    row: Mapping[str, Any],
    a: Profile,
    b: Profile,
    counts: model.Holders,
    levels: Mapping[tuple[str, float], str],
) -> tuple[Evidence, ...]:
    """Every signal the model could compare for this pair, strongest first."""
    found: list[Evidence] = []
    for signal in model.SIGNALS:
        weight = float(row.get(f"mw_{signal}") or 0.0) + float(row.get(f"mw_tf_adj_{signal}") or 0.0)
        if weight == 0.0:
            continue  # not known for both (the null level weighs exactly 0): no evidence either way
        if signal == "succession" and weight < 0.01:
            continue  # nearly every pair has no succession; it says nothing
        detail, marking = DESCRIBE[signal](a, b, counts)
        label = levels.get((signal, round(float(row.get(f"mw_{signal}") or 0.0), 6)))
        found.append(Evidence(signal, f"{label}: {detail}" if label else detail, weight, marking))
    found.sort(key=lambda e: (-e.weight, e.signal))
    return tuple(found)
