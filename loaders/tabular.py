"""Reading delimited text for loaders, record by record, with line numbers.

Every reader here streams: a file is never held whole, and each physical line is decoded on its own.
Trouble in one record comes back as a :class:`Row` carrying an ``error`` (invalid UTF-8, a malformed
or unterminated quoted field, a wrong cell count), so the loader can turn it into a rejected record
and carry on. Only a file that cannot be read at all - missing, empty, the wrong header - raises
:class:`~loaders.records.SourceError`, with a one-line message naming the file (for a header: the
expected and the found columns). JSON documents are read the same way by :mod:`loaders.json_stream`.

Typical use in a loader::

    for row in csv_rows(path, required=("address", "type")):
        if row.error:
            yield Record(location(path, row.line), "wallet", error=row.error, raw=row.text)
            continue
        address = row["address"]
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from loaders.records import SourceError

BOM = "\ufeff"
# Longest run of physical lines one quoted CSV field may span before the record is given up.
MAX_RECORD_LINES = 100


@dataclass(frozen=True, slots=True)
class Line:
    """One physical line: 1-based ``number``, decoded ``text`` (None if not UTF-8) and its ``raw`` bytes."""

    number: int
    text: str | None
    raw: bytes

    @property
    def error(self) -> str | None:
        if self.text is not None:
            return None
        try:
            self.raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"invalid UTF-8 (byte 0x{self.raw[exc.start]:02x} at column {exc.start + 1})"
        return None  # pragma: no cover - text is None only when decoding failed

    @property
    def shown(self) -> str:
        """The text, with undecodable bytes replaced, for messages and the rejects file."""
        return self.text if self.text is not None else self.raw.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Row:
    """One record of a table: the line it starts on, its cells, and the raw text for the rejects file.

    With a header, cells are also reachable by column name (``row["address"]``, ``row.get("x")``).
    A row with ``error`` has no cells; the loader rejects it.
    """

    line: int
    cells: tuple[str, ...]
    text: str
    columns: tuple[str, ...] = ()
    error: str | None = None
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, column: str) -> str:
        return self.cells[self._index[column]]

    def get(self, column: str, default: str = "") -> str:
        at = self._index.get(column)
        return self.cells[at] if at is not None and at < len(self.cells) else default

    def as_dict(self) -> dict[str, str]:
        return {name: self.get(name) for name in self.columns if name}


def open_source(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, or raise SourceError naming it."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from None


def text_lines(path: Path) -> Iterator[Line]:
    """Physical lines of a text file, each decoded on its own; SourceError if the file is empty.

    Line endings (LF or CRLF) and a leading byte-order mark are removed.
    """
    with open_source(path) as handle:
        number = 0
        for number, raw in enumerate(handle, start=1):  # noqa: B007 - number is read after the loop
            raw = raw.rstrip(b"\r\n")
            try:
                text: str | None = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if number == 1 and text is not None:
                text = text.removeprefix(BOM)
            yield Line(number, text, raw)
        if number == 0:
            raise SourceError(f"{path}: empty file")


def check_header(path: Path, found: Sequence[str], required: Sequence[str]) -> None:
    """Raise SourceError unless every ``required`` column is in ``found`` (order and extras are free)."""
    missing = [name for name in required if name not in found]
    if missing:
        shown = ", ".join(name or '""' for name in found) or "nothing"
        raise SourceError(
            f"{path}: expected columns {', '.join(required)}; found {shown} (missing {', '.join(missing)})"
        )


class _Spoilt(Exception):
    """Raised by :class:`_Feed` through csv.reader to give up the record being read, with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Feed:
    """The physical lines of a file, each decoded on its own, for :func:`records` and its csv.reader.

    :meth:`start` gives the first line of each record, skipping blank and comment lines; a record that
    needs the reader (a quoted field may run on over lines) is handed to it with ``again``, and the
    reader then takes its further lines from ``__next__``. ``first`` and ``pending`` are the number and
    the text of the lines of the record being read. A line that is not UTF-8, or a record running past
    MAX_RECORD_LINES lines, is raised as :class:`_Spoilt` (through the reader, which starts afresh).
    """

    def __init__(self, handle: IO[bytes], comments: tuple[str, ...]) -> None:
        self._raw = iter(handle)
        self._comments = comments
        self.number = 0
        self.first = 0
        self.pending: list[str] = []
        self.again = False

    def _spoilt(self, raw: bytes) -> _Spoilt:
        line = Line(self.number, None, raw)
        if not self.pending:
            self.first = self.number
            self.pending = [line.shown]
        # A bad line inside a quoted field spoils the record it continues, not the lines after it.
        return _Spoilt(line.error or "invalid UTF-8")

    def _line(self) -> str | None:
        """The next physical line, decoded (None at the end of the file); :class:`_Spoilt` if not UTF-8."""
        raw = next(self._raw, None)
        if raw is None:
            return None
        self.number += 1
        raw = raw.rstrip(b"\r\n")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self._spoilt(raw) from None
        return text.removeprefix(BOM) if self.number == 1 else text

    def start(self) -> str:
        """The first line of the next record; StopIteration at the end of the file."""
        self.pending = []
        while (text := self._line()) is not None:
            if not text or text.isspace() or (self._comments and text.lstrip().startswith(self._comments)):
                continue
            self.first = self.number
            self.pending = [text]
            return text
        raise StopIteration

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.again:
            self.again = False
            return self.pending[0] + "\n"
        if len(self.pending) >= MAX_RECORD_LINES:
            raise _Spoilt("unterminated quoted field")
        text = self._line()
        if text is None:
            raise StopIteration
        self.pending.append(text)
        return text + "\n"  # csv.reader keeps the line break inside a quoted field


def records(
    path: Path, delimiter: str | None = ",", comments: tuple[str, ...] = ()
) -> Iterator[tuple[int, list[str] | None, str, str | None]]:
    """(first line, cells or None, raw text, error) for every non-blank, non-comment record of a file.

    ``delimiter=None`` splits each line on runs of whitespace. SourceError if the file is empty.
    """
    if delimiter is None:
        for line in text_lines(path):
            if line.text is None:
                yield line.number, None, line.shown, line.error
            elif line.text.strip() and not line.text.lstrip().startswith(comments):
                yield line.number, line.text.split(), line.text, None
        return
    with open_source(path) as handle:
        feed = _Feed(handle, comments)
        # One reader for the whole file (a reader per record costs more than the parsing itself), and
        # only for the records that need it: a line with no quote or CR, and no longer than the reader's
        # field size limit, the reader would only cut at its delimiters - which str.split does faster.
        reader = csv.reader(feed, delimiter=delimiter, strict=True)
        limit = csv.field_size_limit()
        while True:
            error = None
            try:
                text = feed.start()
                if '"' in text or "\r" in text or len(text) > limit:
                    feed.again = True
                    cells: list[str] | None = next(reader)
                    if len(feed.pending) > 1:
                        text = "\n".join(feed.pending)
                else:
                    cells = text.split(delimiter)
            except StopIteration:
                break
            except _Spoilt as exc:
                cells, error = None, exc.reason
            except csv.Error as exc:
                ended = str(exc) == "unexpected end of data"
                cells = None
                error = "unterminated quoted field at end of file" if ended else f"malformed CSV ({exc})"
            if cells is None:
                text = "\n".join(feed.pending)
            yield feed.first, cells, text, error
        if feed.number == 0:
            raise SourceError(f"{path}: empty file")


def csv_rows(
    path: Path,
    *,
    required: Sequence[str] = (),
    header: bool = True,
    delimiter: str | None = ",",
    comments: Sequence[str] = ("#",),
    strict_width: bool = True,
) -> Iterator[Row]:
    """Records of a delimited file, one :class:`Row` each, in file order.

    ``header``: the first record names the columns, checked against ``required`` (SourceError when one
    is missing). ``delimiter=None`` splits on runs of whitespace. Lines starting with one of ``comments``
    and blank lines are skipped. With ``strict_width`` a row whose cell count differs from the header's
    is returned with an error. A file with no record at all raises SourceError.
    """
    columns: tuple[str, ...] = ()
    index: dict[str, int] = {}
    seen_any = False
    for number, cells, text, error in records(path, delimiter, tuple(comments)):
        seen_any = True
        if header and not columns:
            if cells is None:
                raise SourceError(f"{path}:{number}: cannot read the header line ({error})")
            columns = tuple(c.strip() for c in cells)
            check_header(path, columns, required)
            index = {name: i for i, name in reversed(list(enumerate(columns)))}
            continue
        if cells is None:
            yield Row(number, (), text, columns, error, index)
        elif header and strict_width and len(cells) != len(columns):
            yield Row(number, (), text, columns, f"expected {len(columns)} cells, found {len(cells)}", index)
        else:
            yield Row(number, tuple(cells), text, columns, None, index)
    if not seen_any:
        raise SourceError(f"{path}: empty file (no data lines)")


def first_record(path: Path, *, delimiter: str | None = ",", comments: Sequence[str] = ("#",)) -> list[str]:
    """Cells of the first data record (to tell formats apart before reading); SourceError if none."""
    for _, cells, _, error in records(path, delimiter, tuple(comments)):
        if cells is None:
            raise SourceError(f"{path}: cannot read the first line ({error})")
        return cells
    raise SourceError(f"{path}: empty file (no data lines)")


def number(text: str, column: str) -> float:
    """A finite decimal number (``0.5``, ``2.526e-05``); ValueError naming the column otherwise."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{column}: not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{column}: not a finite number: {text!r}")
    return value


def integer(text: str, column: str) -> int:
    """A whole number, also written as ``12.0``; ValueError naming the column otherwise."""
    value = number(text, column)
    if not value.is_integer():
        raise ValueError(f"{column}: not a whole number: {text!r}")
    return int(value)
