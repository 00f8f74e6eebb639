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

    daily = [0.0] * 24  # posts by hour of day: the hour-of-week bins summed over the weekdays
    n = 0
    parse = dt.datetime.fromisoformat
    for stamp in times:
        daily[parse(stamp.replace("Z", "+00:00")).hour] += 1.0
        n += 1
    if n < MIN_TIMED_POSTS:
        return None
    # People keep hours, not weekdays: spread each post over the same hour of every day, and one hour
    # either side, so two profiles compare by daily rhythm.
    smooth = [0.5 * daily[(h - 1) % 24] + daily[h] + 0.5 * daily[(h + 1) % 24] for h in range(24)]
    profile = smooth * 7
    return _unit(profile)


def _unit(vector: Sequence[float]) -> list[float] | None:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else None


_BUCKETS: dict[int, int] = {}  # packed 3-gram -> its hashed dimension, computed once per distinct 3-gram
_CHAR = (1 << 21) - 1  # every code point fits in 21 bits, so three pack into one int64


def trigrams(texts: Iterable[str]) -> Counter[int]:
    """Character 3-gram counts of lower-cased texts (spaces collapsed), hashed into :data:`STYLE_DIMS`:
    :func:`trigram_table` of one handle, as a Counter."""
    buckets, counts = trigram_table([texts])[0]
    return Counter(dict(zip(buckets.tolist(), counts.tolist(), strict=True)))


TABLE_CHARS = 4_000_000  # characters counted in one numpy pass (bounds the pass's memory to ~200 MB)


def trigram_table(handles: Sequence[Iterable[str]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each handle's texts, its hashed 3-grams (sorted bucket numbers) and how often each occurs:
    the character 3-grams of its lower-cased texts (spaces collapsed, one space around each text; none
    spans two texts), each distinct 3-gram hashed once (crc32 of its UTF-8, modulo :data:`STYLE_DIMS`).

    Counted in numpy over many handles at once: the texts' code points packed three to an integer per
    position, each position tagged with its handle, the distinct (handle, bucket) pairs counted with
    ``np.unique``."""
    found: list[tuple[np.ndarray, np.ndarray]] = []
    batch: list[list[str]] = []
    chars = 0
    for texts in handles:
        cleans = [" " + " ".join(text.lower().split()) + " " for text in texts]  # each at least 2 long
        batch.append(cleans)
        chars += sum(len(c) for c in cleans)
        if chars >= TABLE_CHARS:
            found.extend(_count_batch(batch))
            batch, chars = [], 0
    found.extend(_count_batch(batch))
    return found


def _count_batch(batch: list[list[str]]) -> list[tuple[np.ndarray, np.ndarray]]:
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    cleans = [c for texts in batch for c in texts]
    if not cleans:
        return [empty for _ in batch]
    lengths = np.fromiter((len(c) for c in cleans), dtype=np.int64, count=len(cleans))
    ends = np.cumsum(lengths)
    starts = np.ones(int(ends[-1]), dtype=bool)
    starts[ends - 1] = False
    starts[ends - 2] = False
    first = np.flatnonzero(starts)
    codes = np.frombuffer("".join(cleans).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    packed = (codes[first] << 42) | (codes[first + 1] << 21) | codes[first + 2]
    owner_of_text = np.repeat(np.arange(len(batch)), [len(texts) for texts in batch])
    owner = owner_of_text[np.searchsorted(ends, first, side="right")]
    grams, inverse = np.unique(packed, return_inverse=True)
    bucket_of = _BUCKETS
    hashed = np.empty(len(grams), dtype=np.int64)
    for i, gram in enumerate(grams.tolist()):
        bucket = bucket_of.get(gram)
        if bucket is None:
            text = chr(gram >> 42) + chr((gram >> 21) & _CHAR) + chr(gram & _CHAR)
            bucket = bucket_of[gram] = zlib.crc32(text.encode()) % STYLE_DIMS
        hashed[i] = bucket
    pairs, counts = np.unique(owner * STYLE_DIMS + hashed[inverse.reshape(-1)], return_counts=True)
    owners, buckets = pairs // STYLE_DIMS, pairs % STYLE_DIMS
    bounds = np.searchsorted(owners, np.arange(len(batch) + 1))
    return [
        (buckets[bounds[i] : bounds[i + 1]], counts[bounds[i] : bounds[i + 1]]) for i in range(len(batch))
    ]


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
    buckets = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    times = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    unit: list[float] = style_of(buckets, times, np.asarray(weights, dtype=np.float64)).tolist()
    return unit


_TF = np.zeros(1)  # 1 + log(count) by count, computed with math.log (the same floats as before numpy)


def style_of(buckets: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """:func:`style_vector` of one handle's :func:`trigram_table` row, ``idf`` as an array (the vector
    as an array)."""
    global _TF
    vector = np.zeros(STYLE_DIMS)
    if len(counts):
        top = int(counts.max())
        if top >= len(_TF):
            _TF = np.array([0.0] + [1 + math.log(c) for c in range(1, 2 * top + 1)])
        vector[buckets] = _TF[counts] * idf[buckets]
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


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
