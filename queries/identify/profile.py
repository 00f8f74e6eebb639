"""What the signals read about each handle, gathered once from the caller's view of the graph.

A :class:`Profile` holds, per handle, the wallets it owns, the contact identifiers it gives (profile
properties, its description and its posts), the products it sells, the infrastructure it operates, its
post times and texts, and when it was first and last active - each shared thing with the TLP marking of
the statement it came from, so a candidate can carry the highest marking among the evidence it used.
Everything is read through ``clearance``: a GREEN caller's profiles hold nothing only an AMBER source said.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graph_model.provenance import TLP
from graph_model.store.base import GraphStore
from queries.identify.signals import CONTACT_KINDS, canonical_contact, extract_contacts

HANDLE_TYPES = frozenset({"handle", "person"})
KINDS = ("Actor", "Wallet", "Forum", "Infrastructure")
EDGE_TYPES = ("OWNS", "POSTED", "ACTIVE_ON", "SELLS_ON", "ADMINISTERS", "OPERATES", "CONTROLS")


@dataclass(slots=True)
class Profile:
    """One handle as the signals see it; each ``dict`` maps a shared thing to its marking."""

    key: str
    name: str
    kind: str
    type: str
    marking: TLP
    wallets: dict[str, TLP] = field(default_factory=dict)
    contacts: dict[str, TLP] = field(default_factory=dict)
    products: dict[str, TLP] = field(default_factory=dict)
    infrastructure: dict[str, TLP] = field(default_factory=dict)
    post_times: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    posts_marking: TLP = TLP.CLEAR
    first_seen: str | None = None
    last_seen: str | None = None
    # (forum name, closed_at, marking) of the closed forum this handle went quiet on, if any
    quiet: tuple[str, str, TLP] | None = None
    # activity per forum: forum key -> (first seen, last seen)
    forums: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def _keep(found: dict[str, TLP], value: str, marking: TLP) -> None:
    """Remember ``value`` at the lowest marking any statement of it has (what a lower caller sees too)."""
    found[value] = min(found.get(value, marking), marking)


def _tlp(data: dict[str, Any]) -> TLP:
    return TLP.parse(data.get("tlp", "CLEAR"))


def _earliest(a: str | None, b: str | None) -> str | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: str | None, b: str | None) -> str | None:
    return b if a is None else a if b is None else max(a, b)


def read_graph(store: GraphStore, clearance: TLP) -> nx.MultiDiGraph:
    """The part of the caller's view the signals read: actors, wallets, forums/posts, infrastructure, and
    the ownership, posting, activity and operation edges between them."""
    return store.subgraph(clearance=clearance, kinds=list(KINDS), edge_types=list(EDGE_TYPES))


def profiles(graph: nx.MultiDiGraph, keys: Iterable[str] | None = None) -> dict[str, Profile]:
    """A :class:`Profile` per handle (Actor of type handle or person) in ``graph``, or only of ``keys``."""
    wanted = None if keys is None else set(keys)
    found: dict[str, Profile] = {}
    for key, data in graph.nodes(data=True):
        if data.get("kind") != "Actor" or data.get("type") not in HANDLE_TYPES:
            continue
        if wanted is not None and key not in wanted:
            continue
        marking = _tlp(data)
        profile = Profile(key, str(data.get("name", key)), "Actor", str(data.get("type")), marking)
        for kind in CONTACT_KINDS:
            for value in data.get(kind) or ():
                _keep(profile.contacts, canonical_contact(kind, str(value)), marking)
        for value in extract_contacts(str(data.get("description") or "")):
            _keep(profile.contacts, value, marking)
        found[key] = profile
    closed: dict[str, str] = {}
    for key, data in graph.nodes(data=True):
        if data.get("kind") == "Forum" and data.get("closed_at"):
            closed[key] = str(data["closed_at"])
    for source, target, data in graph.edges(data=True):
        owner = found.get(source)
        if owner is None:
            continue
        profile = owner
        etype, marking = data.get("type"), _tlp(data)
        other = graph.nodes[target]
        if etype == "OWNS":
            _keep(profile.wallets, target, marking)
        elif etype in ("OPERATES", "CONTROLS") and other.get("kind") == "Infrastructure":
            _keep(profile.infrastructure, target, marking)
        elif etype == "POSTED":
            seen = max(marking, _tlp(other))
            text = other.get("text") or other.get("title")
            if text:
                profile.texts.append(str(text))
                for value in extract_contacts(str(text)):
                    _keep(profile.contacts, value, seen)
            if other.get("posted_at"):
                profile.post_times.append(str(other["posted_at"]))
                profile.first_seen = _earliest(profile.first_seen, str(other["posted_at"]))
                profile.last_seen = _latest(profile.last_seen, str(other["posted_at"]))
            profile.posts_marking = max(profile.posts_marking, seen)
        elif etype in ("ACTIVE_ON", "SELLS_ON", "ADMINISTERS"):
            first, last = data.get("first_seen"), data.get("last_seen")
            profile.first_seen = _earliest(profile.first_seen, first)
            profile.last_seen = _latest(profile.last_seen, last)
            was = profile.forums.get(target, (None, None))
            profile.forums[target] = (_earliest(was[0], first), _latest(was[1], last))
            if etype == "SELLS_ON" and data.get("product"):
                _keep(profile.products, str(data["product"]).strip().lower(), marking)
    for profile in found.values():
        profile.post_times.sort()
        profile.quiet = _quiet(graph, profile, closed)
    return found


def _quiet(graph: nx.MultiDiGraph, profile: Profile, closed: dict[str, str]) -> tuple[str, str, TLP] | None:
    """The closed forum this handle went quiet on: active there, and nowhere after it closed."""
    from queries.identify.signals import QUIET_DAYS

    best: tuple[str, str, TLP] | None = None
    for forum, (_first, last) in profile.forums.items():
        shut = closed.get(forum)
        if shut is None or last is None or profile.last_seen is None:
            continue
        if profile.last_seen > shut or _days(last, shut) > QUIET_DAYS:
            continue
        data = graph.nodes[forum]
        if best is None or shut > best[1]:
            best = (str(data.get("name", forum)), shut, _tlp(data))
    return best


def _days(earlier: str, later: str) -> float:
    from datetime import datetime

    a = datetime.fromisoformat(earlier.replace("Z", "+00:00"))
    b = datetime.fromisoformat(later.replace("Z", "+00:00"))
    return (b - a).total_seconds() / 86400
