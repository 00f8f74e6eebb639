"""Where a fact came from, how sure we are and who may see it - and the pure rules that merge them."""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class TLP(enum.IntEnum):
    """Traffic Light Protocol 2.0 markings, ordered from least to most restrictive."""

    CLEAR = 0
    GREEN = 1
    AMBER = 2
    AMBER_STRICT = 3
    RED = 4

    @property
    def label(self) -> str:
        return self.name.replace("_", "+")

    @classmethod
    def parse(cls, value: str | TLP) -> TLP:
        """Accept ``AMBER+STRICT``, ``amber_strict``, ``TLP:RED`` and ``WHITE`` (TLP 1.0 for CLEAR)."""
        if isinstance(value, TLP):
            return value
        text = str(value).strip().upper().removeprefix("TLP:").replace("+", "_").replace("-", "_")
        if text == "WHITE":
            return cls.CLEAR
        try:
            return cls[text]
        except KeyError:
            raise ValueError(
                f"unknown TLP marking {value!r} (use CLEAR, GREEN, AMBER, AMBER+STRICT, RED)"
            ) from None


_CANONICAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# The last text found already in the stored form: a loaded record's time is checked two or three times
# over (its provenance, its property, validation), each time the same string object.
_last_canonical: str | None = None


def to_iso(value: Any) -> str | None:
    """A UTC timestamp as ``YYYY-MM-DDTHH:MM:SSZ`` from a datetime, epoch seconds or ISO-like text."""
    global _last_canonical
    if value is None or value == "":
        return None
    if value is _last_canonical:
        return value
    if isinstance(value, str) and _CANONICAL_TIME.match(value):
        _last_canonical = value
        return value  # already in the stored form
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"not a time: {value!r}")
        moment = datetime.fromtimestamp(round(value), tz=UTC)
    elif isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "T", 1)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:  # its own words show the text as changed here ("2024-05-01Tat noon")
            raise ValueError(f"not a time: {value!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    else:
        raise ValueError(f"not a time: {value!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Sources are ``dataset#record`` strings; times are UTC ISO text; confidence is 0-100.

    ``first_seen``/``last_seen`` are when the thing was observed (as its sources say);
    ``created``/``modified`` are the source object's own dates (a STIX object's ``created``/``modified``:
    when its producer wrote and last changed the record, not when anything was seen); ``date_added`` is
    when crimegraph first loaded it - set by the store when a record is first written, never by a
    loader, and kept (the earliest) by every later merge or re-load.
    """

    sources: frozenset[str]
    first_seen: str | None = None
    last_seen: str | None = None
    confidence: int = 50
    tlp: TLP = TLP.CLEAR
    date_added: str | None = None
    created: str | None = None
    modified: str | None = None

    @classmethod
    def of(
        cls,
        dataset: str,
        record: str | int | None = None,
        *,
        first_seen: Any = None,
        last_seen: Any = None,
        confidence: int = 50,
        tlp: TLP | str = TLP.CLEAR,
        created: Any = None,
        modified: Any = None,
    ) -> Provenance:
        """Provenance of one record; ``last_seen`` defaults to ``first_seen`` (``modified`` does not
        default to ``created``: a source that never changed its record gives no ``modified``)."""
        source = dataset if record is None else f"{dataset}#{record}"
        first = None if first_seen is None else to_iso(first_seen)
        last = (None if last_seen is None else to_iso(last_seen)) or first
        if first and last and last < first:
            first, last = last, first
        marking = tlp if type(tlp) is TLP else TLP.parse(tlp)
        # The frozen __init__ sets each field through object.__setattr__, which costs as much as all the
        # rest here; every loaded record makes one of these, so its fields are set directly.
        made = object.__new__(cls)
        (
            set_sources,
            set_first,
            set_last,
            set_confidence,
            set_tlp,
            set_added,
            set_created,
            set_modified,
        ) = _SETTERS
        set_sources(made, frozenset((source,)))
        set_first(made, first)
        set_last(made, last or first)
        set_confidence(made, confidence)
        set_tlp(made, marking)
        set_added(made, None)
        set_created(made, None if created is None else to_iso(created))
        set_modified(made, None if modified is None else to_iso(modified))
        return made

    def added(self, when: str) -> Provenance:
        """This provenance with ``date_added`` set to ``when`` if it has none yet (itself otherwise)."""
        if self.date_added is not None:
            return self
        made = object.__new__(Provenance)
        values = (
            self.sources,
            self.first_seen,
            self.last_seen,
            self.confidence,
            self.tlp,
            when,
            self.created,
            self.modified,
        )
        for setter, value in zip(_SETTERS, values, strict=True):
            setter(made, value)
        return made


_SETTERS = tuple(Provenance.__dict__[name].__set__ for name in Provenance.__dataclass_fields__)


def _earliest(a: str | None, b: str | None) -> str | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: str | None, b: str | None) -> str | None:
    return b if a is None else a if b is None else max(a, b)


def merge_provenance(a: Provenance, b: Provenance) -> Provenance:
    """Union of sources, earliest first_seen, latest last_seen, highest confidence, most restrictive TLP,
    earliest date_added, earliest created, latest modified.

    Every rule is a join of a semilattice, so merging is idempotent, commutative and associative.
    """
    return Provenance(
        sources=a.sources | b.sources,
        first_seen=_earliest(a.first_seen, b.first_seen),
        last_seen=_latest(a.last_seen, b.last_seen),
        confidence=max(a.confidence, b.confidence),
        tlp=max(a.tlp, b.tlp),
        date_added=_earliest(a.date_added, b.date_added),
        created=_earliest(a.created, b.created),
        modified=_latest(a.modified, b.modified),
    )


def absorbs(a: Provenance, b: Provenance) -> bool:
    """Whether ``merge_provenance(a, b) == a``, i.e. ``b`` adds nothing to ``a`` (checked without merging)."""
    return (
        a.confidence >= b.confidence
        and a.tlp >= b.tlp
        and (b.first_seen is None or (a.first_seen is not None and a.first_seen <= b.first_seen))
        and (b.last_seen is None or (a.last_seen is not None and a.last_seen >= b.last_seen))
        and b.sources <= a.sources
        and (b.date_added is None or (a.date_added is not None and a.date_added <= b.date_added))
        and (b.created is None or (a.created is not None and a.created <= b.created))
        and (b.modified is None or (a.modified is not None and a.modified >= b.modified))
    )


def _rank(value: Any) -> tuple[int, str]:
    # A total order on scalars so conflicts resolve the same way whatever the load order:
    # text with capitals (a display name) beats its lower-case spelling, then the greatest wins.
    text = str(value)
    return (int(isinstance(value, str) and value != value.lower()), f"{type(value).__name__}:{text}")


def prefer(a: Any, b: Any) -> Any:
    """Pick one of two conflicting scalar values, deterministically and order-independently."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    return a if _rank(a) >= _rank(b) else b


def merge_values(a: Any, b: Any) -> Any:
    """Lists merge as a sorted union; scalars through :func:`prefer`."""
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        items = set(a or ()) | set(b or ())
        return sorted(items, key=_rank)
    return prefer(a, b)


def merge_properties(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    merged = dict(a)
    for name, value in b.items():
        merged[name] = merge_values(merged.get(name), value)
    return merged
