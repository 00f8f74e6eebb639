"""The signals that two handles are one person, each a pure function, and how specific a shared thing is.

Each signal compares two :class:`~queries.identify.profile.Profile` s and says at which *level* they agree
(the level names are the comparison levels of :mod:`queries.identify.model`, whose trained weights turn a
level into evidence) and what exactly they share. Sharing counts only as far as the shared thing is
specific to few handles: the *specificity* of a value is ``1 / (handles that have it)`` - a wallet two
handles list is strong evidence, an exchange deposit address forty handles list is none.

=============== ================================================================ =====================
signal          levels (strongest first)                                         specificity
=============== ================================================================ =====================
wallet          shares a wallet only 2 handles own / one at most 10 own          1 / owners
contact         shares an e-mail, Jabber, Tox, Telegram id or PGP fingerprint     1 / handles giving it
                only 2 handles give / one at most 10 give (profile or posts)
handle          same skeleton / Jaro-Winkler >= 0.92 / >= 0.80                    skeleton's frequency
                                                                                 (term-frequency
                                                                                 adjusted in the model)
hours           hour-of-week posting profiles, cosine >= 0.90 / >= 0.75          learnt (many people
                                                                                 share a time zone)
style           character 3-gram profiles of posts (TF-IDF), cosine >= 0.55 /    IDF of each 3-gram
                >= 0.35
product         sells a product only 3 handles sell / one at most 30 sell        1 / sellers
infrastructure  operates a server/domain only 2 handles operate / at most 10      1 / operators
succession      one went quiet on a forum that closed, the other first appeared  -
                within 90 days after the closure (and not before the first's
                last activity)
=============== ================================================================ =====================
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

RARE = 2  # a value at most this many handles have is "only theirs"
SHARED = 10  # beyond this many handles a value is no evidence at all
PRODUCT_RARE, PRODUCT_SHARED = 3, 30
SUCCESSION_DAYS = 90
QUIET_DAYS = 30  # last activity at most this long before a closure counts as "went quiet with it"
STYLE_DIMS = 1024
MIN_TIMED_POSTS = 4
MIN_STYLE_CHARS = 120

# Contact identifiers in free text (post texts, profile descriptions). Documented in docs/identify.md.
PATTERNS: dict[str, re.Pattern[str]] = {
    "jabber_ids": re.compile(
        r"(?:jabber|xmpp|jid)\s*[:=]?\s*([a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,})", re.IGNORECASE
    ),
    "emails": re.compile(r"(?<![\w.@])([a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,})(?![\w@])", re.IGNORECASE),
    "tox_ids": re.compile(r"\b([0-9a-f]{76})\b", re.IGNORECASE),
    "telegram_handles": re.compile(
        r"(?:\btg\b|telegram|t\.me/)\s*[:=]?\s*@?([a-z][a-z0-9_]{4,31})\b", re.IGNORECASE
    ),
    "pgp_fingerprints": re.compile(r"\b((?:[0-9a-f]{4}\s?){9}[0-9a-f]{4})\b", re.IGNORECASE),
}
CONTACT_KINDS = tuple(PATTERNS)
_SEPARATORS = re.compile(r"[\s._\-]+")
_LEET = str.maketrans({"4": "a", "3": "e", "1": "i", "0": "o", "5": "s", "7": "t", "@": "a", "$": "s"})


def canonical_contact(kind: str, value: str) -> str:
    """One spelling per identifier: lower-case, Telegram without ``@``, fingerprints without spaces."""
    text = value.strip().lower()
    if kind == "telegram_handles":
        text = text.removeprefix("@")
    if kind == "pgp_fingerprints":
        text = text.replace(" ", "")
    return f"{kind}:{text}"


def extract_contacts(text: str) -> set[str]:
    """Contact identifiers named in ``text`` by :data:`PATTERNS`, canonical (kind-prefixed).

    >>> sorted(extract_contacts("jabber: Dark@xmpp.jp or tg @dark_fox1"))
    ['jabber_ids:dark@xmpp.jp', 'telegram_handles:dark_fox1']
    """
    found: set[str] = set()
    jabber = {m.group(1).lower() for m in PATTERNS["jabber_ids"].finditer(text)}
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            value = match.group(1)
            if kind == "emails" and value.lower() in jabber:
                continue  # a Jabber id looks like an e-mail address; it was named as Jabber
            found.add(canonical_contact(kind, value))
    return found


def handle_skeleton(name: str) -> str:
    """A handle without what people vary to make a "new" one: case, separators, and digits standing in
    for letters (``3`` for ``e`` between letters); digits at the end are kept.

    >>> handle_skeleton("D4rk_V1per12"), handle_skeleton("darkviper12")
    ('darkviper12', 'darkviper12')
    """
    text = _SEPARATORS.sub("", name.casefold())
    letters = text.rstrip("0123456789")
    return letters.translate(_LEET) + text[len(letters) :]


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two strings (1.0 = equal), prefix scale 0.1 over at most 4 characters.

    >>> round(jaro_winkler("martha", "marhta"), 4)
    0.9611
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    reach = max(len(a), len(b)) // 2 - 1
    used = [False] * len(b)
    matched_a: list[str] = []
    for i, ch in enumerate(a):
        for j in range(max(0, i - reach), min(len(b), i + reach + 1)):
            if not used[j] and b[j] == ch:
                used[j] = True
                matched_a.append(ch)
                break
    if not matched_a:
        return 0.0
    matched_b = [b[j] for j in range(len(b)) if used[j]]
    transpositions = sum(x != y for x, y in zip(matched_a, matched_b, strict=True)) / 2
    m = len(matched_a)
    jaro = (m / len(a) + m / len(b) + (m - transpositions) / m) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def hour_of_week(times: Iterable[str]) -> list[float] | None:
    """A smoothed, unit-length 168-bin histogram of UTC hour-of-week (Monday 00h = 0) of ISO times, or None
    with fewer than :data:`MIN_TIMED_POSTS` times."""
    import datetime as dt

    counts = [0.0] * 168
    n = 0
    for stamp in times:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        counts[moment.weekday() * 24 + moment.hour] += 1.0
        n += 1
    if n < MIN_TIMED_POSTS:
        return None
    # People keep hours, not weekdays: spread each post over the same hour of every day, and one hour
    # either side, so two profiles compare by daily rhythm.
    daily = [sum(counts[d * 24 + h] for d in range(7)) for h in range(24)]
    smooth = [0.5 * daily[(h - 1) % 24] + daily[h] + 0.5 * daily[(h + 1) % 24] for h in range(24)]
    profile = [smooth[i % 24] for i in range(168)]
    return _unit(profile)


def _unit(vector: Sequence[float]) -> list[float] | None:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else None


_BUCKETS: dict[str, int] = {}  # 3-gram -> its hashed dimension, computed once per distinct 3-gram
_CHAR = (1 << 21) - 1  # every code point fits in 21 bits, so three pack into one int64


def trigrams(texts: Iterable[str]) -> Counter[int]:
    """Character 3-gram counts of lower-cased texts (spaces collapsed), hashed into :data:`STYLE_DIMS`.

    Counted in numpy: each text's code points packed three to an integer per position, the distinct
    packed 3-grams counted with ``np.unique``, and each distinct 3-gram hashed once (crc32 of its UTF-8)."""
    cleans = [" " + " ".join(text.lower().split()) + " " for text in texts]  # each at least 2 long
    # A 3-gram starts at every position but the last two of each text: none spans two texts.
    ends = np.cumsum(np.fromiter((len(c) for c in cleans), dtype=np.int64, count=len(cleans)))
    starts = np.ones(int(ends[-1]) if len(ends) else 0, dtype=bool)
    starts[ends - 1] = False
    starts[ends - 2] = False
    first = np.flatnonzero(starts)
    codes = np.frombuffer("".join(cleans).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    packed = [(codes[first] << 42) | (codes[first + 1] << 21) | codes[first + 2]] if len(first) else []
    counts: Counter[int] = Counter()
    if not packed:
        return counts
    grams, ns = np.unique(np.concatenate(packed), return_counts=True)
    buckets = _BUCKETS
    for gram, n in zip(grams.tolist(), ns.tolist(), strict=True):
        text = chr(gram >> 42) + chr((gram >> 21) & _CHAR) + chr(gram & _CHAR)
        bucket = buckets.get(text)
        if bucket is None:
            bucket = buckets[text] = zlib.crc32(text.encode()) % STYLE_DIMS
        counts[bucket] += n
    return counts


def idf_weights(document_frequency: Mapping[int, int], handles: int) -> list[float]:
    """The inverse document frequency of every hashed 3-gram among ``handles`` handles."""
    return [math.log((1 + handles) / (1 + document_frequency.get(g, 0))) + 1 for g in range(STYLE_DIMS)]


def style_vector(
    counts: Mapping[int, int],
    document_frequency: Mapping[int, int],
    handles: int,
    idf: Sequence[float] | None = None,
) -> list[float]:
    """A TF-IDF, unit-length style vector: 3-grams everyone writes weigh little, a person's habits much.
    ``idf`` is :func:`idf_weights` of the same frequencies, when already computed (one per run)."""
    weights = idf_weights(document_frequency, handles) if idf is None else idf
    vector = np.zeros(STYLE_DIMS)
    log = math.log
    if counts:
        vector[list(counts)] = [(1 + log(count)) * weights[gram] for gram, count in counts.items()]
    norm = float(np.linalg.norm(vector))
    unit: list[float] = (vector / norm if norm else vector).tolist()
    return unit


def cosine(a: Sequence[float] | None, b: Sequence[float] | None) -> float | None:
    """Cosine similarity of two unit vectors, None when either is missing."""
    if a is None or b is None:
        return None
    return sum(x * y for x, y in zip(a, b, strict=True))


def specificity(holders: int) -> float:
    """How specific a value is to the handles that have it: ``1 / holders`` (1.0 = one pair only)."""
    return 1.0 / max(1, holders)


def banded(values: Mapping[str, int], rare: int, shared: int) -> tuple[list[str] | None, list[str] | None]:
    """Values a handle has, split by how many handles have each: (at most ``rare``, at most ``shared``);
    None for an empty band (a model's null level)."""
    rare_values = sorted(v for v, n in values.items() if n <= rare)
    shared_values = sorted(v for v, n in values.items() if n <= shared)
    return rare_values or None, shared_values or None


def shared_detail(kind: str, common: Iterable[str], holders: Mapping[str, int]) -> str:
    """The evidence words for shared values: each with how many handles have it and its specificity."""
    parts = []
    for value in sorted(common, key=lambda v: (holders.get(v, 0), v)):
        n = holders.get(value, 0)
        shown = value.replace("_ids:", " ").replace("_handles:", " ").replace("_fingerprints:", " ")
        shown = shown.replace("emails:", "e-mail ")
        parts.append(f"{shown} ({n} handles have it, specificity {specificity(n):.2f})")
    return f"both list {kind} " + "; ".join(parts)
