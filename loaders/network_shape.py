"""What kind of network file this is, told from its content, not its name (``csv.Sniffer``-like).

Published criminal-network files come as whitespace or tab-separated ``u v [weight]`` lists (often named
``.csv``), comma or semicolon CSV with or without a header, and adjacency matrices. The first records are
split by each candidate delimiter; the one giving every record the same number of cells (at least two)
wins, tab and semicolon before comma before runs of whitespace. A first record whose cells name columns
(``source``, ``target``, ``weight``…), or that is words above numbers, is a header.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loaders.records import SourceError
from loaders.tabular import text_lines

SAMPLE = 50
COMMENTS = ("%", "#")
SOURCE_NAMES = ("source", "from", "src", "u", "node1", "node_1", "source_id", "id1", "actor1", "head")
TARGET_NAMES = ("target", "to", "dst", "v", "node2", "node_2", "target_id", "id2", "actor2", "tail")
WEIGHT_NAMES = ("weight", "w", "value", "strength", "count", "amount")
# Candidate delimiters in order of preference; None is runs of whitespace (tabs included).
DELIMITERS: tuple[str | None, ...] = ("\t", ";", ",", None)
NAMES: dict[str | None, str] = {"\t": "tab", ";": "semicolon", ",": "comma", None: "whitespace"}


@dataclass(frozen=True, slots=True)
class Shape:
    """How to read an edge list: the delimiter (None: whitespace), whether line one is a header, and the
    columns of the two ends and the weight (None: every tie weighs 1)."""

    delimiter: str | None
    header: bool
    source: int = 0
    target: int = 1
    weight: int | None = None

    @property
    def described(self) -> str:
        return f"{NAMES[self.delimiter]}-separated, {'with' if self.header else 'no'} header"


def _split(text: str, delimiter: str | None) -> list[str]:
    return [c.strip().strip('"') for c in (text.split(delimiter) if delimiter else text.split())]


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def sample(path: Path) -> list[str]:
    """The first data lines (comments and blank lines left out)."""
    lines: list[str] = []
    for line in text_lines(path):
        if line.text is None:
            break
        if line.text.strip() and not line.text.lstrip().startswith(COMMENTS):
            lines.append(line.text.rstrip("\r\n"))
            if len(lines) >= SAMPLE:
                break
    return lines


def _column(names: Sequence[str], wanted: Sequence[str]) -> int | None:
    lowered = [n.lower() for n in names]
    return next((lowered.index(w) for w in wanted if w in lowered), None)


def sniff(path: Path) -> Shape:
    """The shape of the edge list at ``path``; SourceError saying what was seen when no shape fits."""
    lines = sample(path)
    if not lines:
        raise SourceError(f"{path}: empty file (no data lines)")
    seen: list[str] = []
    for delimiter in DELIMITERS:
        rows = [_split(line, delimiter) for line in lines]
        widths = Counter(len(r) for r in rows)
        width, count = widths.most_common(1)[0]
        if delimiter is None:
            # networkx data ({'weight': 2}) or an "N M" size line vary the width: two cells or more will do.
            fits = sum(n for w, n in widths.items() if w >= 2) * 2 > len(rows)
        else:
            fits = width >= 2 and count * 10 >= len(rows) * 9  # a bad line here and there is its own reject
        if fits:
            return _fit([r for r in rows if len(r) >= 2], delimiter)
        seen.append(f"by {NAMES[delimiter]} into {', '.join(map(str, sorted(widths)))} cells")
    shown = lines[0][:80]
    raise SourceError(
        f"{path}: cannot tell how this network file is laid out - first line {shown!r}; lines split "
        + "; ".join(seen)
        + " (an edge list needs the same two or more columns on every line)"
    )


def _fit(rows: list[list[str]], delimiter: str | None) -> Shape:
    first, rest = rows[0], rows[1:]
    named = _column(first, SOURCE_NAMES) is not None and _column(first, TARGET_NAMES) is not None
    words_over_numbers = bool(rest) and (
        not all(_numeric(c) for c in first[: len(rest[0])]) and all(all(_numeric(c) for c in r) for r in rest)
    )
    if named or words_over_numbers:
        source = _column(first, SOURCE_NAMES)
        target = _column(first, TARGET_NAMES)
        weight = _column(first, WEIGHT_NAMES)
        if source is None or target is None:
            source, target = 0, 1
        if weight is None and len(first) >= 3 and all(_numeric(r[2]) for r in rest if len(r) > 2):
            weight = 2
        return Shape(delimiter, True, source, target, weight)
    weight = 2 if all(len(r) > 2 and _numeric(r[2]) for r in rows) else None
    return Shape(delimiter, False, 0, 1, weight)
