"""Reading a JSON document entry by entry: members of a top-level object or items of a top-level array.

Exports such as ThreatFox's (an object of thousands of IOC lists) are parsed one entry at a time from a
window over the file, so memory stays small and the entries before any damage still load: truncation
or a syntax error comes back as a last :class:`JsonEntry` with an ``error`` and its line, and an entry
holding invalid UTF-8 comes back with an error while reading goes on. The CSV side of this is
:mod:`loaders.tabular`.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from loaders.records import SourceError
from loaders.tabular import BOM, open_source

_SURROGATE = re.compile("[\udc80-\udcff]")
_CHUNK = 1 << 16
_BLANK = re.compile(r"[ \t\n\r]*")
_TRAILING_OFFSET = re.compile(r"\s*\d+$")
BAD_UTF8 = "invalid UTF-8 in this record"


@dataclass(frozen=True, slots=True)
class JsonEntry:
    """One member of a top-level JSON object (``key``) or item of a top-level array (``index``).

    ``line`` is where the value starts. A damaged file ends with one entry carrying ``error``.
    """

    key: str | None
    index: int
    line: int
    value: Any = None
    raw: str | None = None
    error: str | None = None


class _JsonStream:
    """A window over a JSON text that is read in chunks and parsed value by value."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self.json = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.started = False

    def fill(self, size: int = _CHUNK) -> None:
        """Read the next ``size`` bytes onto the window, dropping what has been consumed."""
        chunk = self.handle.read(size)
        self.eof = not chunk
        text = self.decoder.decode(chunk, final=self.eof)
        if not self.started:
            text = text.removeprefix(BOM)
            self.started = True
        self.buf = self.buf[self.pos :] + text
        self.pos = 0

    def advance(self, end: int) -> None:
        self.line += self.buf.count("\n", self.pos, end)
        self.pos = end

    def peek(self) -> str:
        """The next non-blank character, or '' at the end of the text."""
        while True:
            match = _BLANK.match(self.buf, self.pos)
            self.advance(match.end() if match else self.pos)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return ""
            self.fill()

    def value(self) -> tuple[Any, str]:
        """Parse one JSON value at the cursor; ValueError with the line and column where it breaks.

        A value longer than the window is parsed again from its start after each read, so each read
        doubles what is added: a value of n bytes costs about 2n of parsing, not n²/64 KiB (a MISP event
        is one value of tens of MB).
        """
        size = _CHUNK
        while True:
            try:
                value, end = self.json.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if not self.eof:
                    self.fill(size)
                    size *= 2
                    continue
                line = self.line + self.buf.count("\n", self.pos, exc.pos)
                column = exc.pos - self.buf.rfind("\n", 0, exc.pos)
                reason = _TRAILING_OFFSET.sub("", exc.msg).removesuffix(" at")
                truncated = " (the file ends here: truncated)" if exc.pos >= len(self.buf.rstrip()) else ""
                where = f"line {line} column {column}"
                raise _Damage(f"invalid JSON at {where}: {reason}{truncated}", line) from None
            # A number at the end of the window might continue in the next chunk.
            if end == len(self.buf) and not self.eof:
                self.fill(size)
                size *= 2
                continue
            raw = self.buf[self.pos : end]
            self.advance(end)
            return value, raw

    def expect(self, chars: str) -> str:
        found = self.peek()
        if not found or found not in chars:
            what = repr(found) if found else "the end of the file (truncated)"
            wanted = " or ".join(repr(c) for c in chars)
            raise ValueError(f"invalid JSON at line {self.line}: expected {wanted}, found {what}")
        self.advance(self.pos + 1)
        return found

    def item(self, key: str | None, index: int) -> JsonEntry:
        """The value at the cursor as an entry; one holding invalid UTF-8 comes back with an error."""
        self.peek()
        line = self.line
        value, raw = self.value()
        error = BAD_UTF8 if _SURROGATE.search(raw) else None
        if key is not None and _SURROGATE.search(key):
            error = "invalid UTF-8 in this record's key"
        if error:
            shown = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return JsonEntry(key, index, line, None, shown, error)
        return JsonEntry(key, index, line, value, raw)

    def damage(self, key: str | None, index: int, exc: ValueError) -> JsonEntry:
        """The entry that ends a damaged stream, at the line where the damage is."""
        line = exc.line if isinstance(exc, _Damage) else self.line
        return JsonEntry(key, index, line, None, self.buf[self.pos : self.pos + 200], str(exc))


class _Damage(ValueError):
    """Invalid JSON, and the line it is on."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _opened(path: Path, stream: _JsonStream) -> str:
    """The document's opening bracket; SourceError if the file is empty or not a JSON object or array."""
    opener = stream.peek()
    if not opener:
        raise SourceError(f"{path}: empty file")
    if opener not in "{[":
        raise SourceError(
            f"{path}: not a JSON object or array (starts with {opener!r}): a CSV or text file? "
            "`crimegraph load --help` lists the formats"
        )
    return opener


def json_entries(path: Path) -> Iterator[JsonEntry]:
    """Members of a top-level JSON object, or items of a top-level array, one at a time.

    Entries before any damage (truncation, a syntax error) are returned; the damage comes back as a
    final entry with ``error``. An entry whose text holds invalid UTF-8 is returned with an error and
    reading goes on. SourceError if the file is empty or not a JSON object or array.
    """
    with open_source(path) as handle:
        stream = _JsonStream(handle)
        opener = _opened(path, stream)
        closer = "}" if opener == "{" else "]"
        stream.advance(stream.pos + 1)
        index = 0
        try:
            if stream.peek() == closer:
                return
            while True:
                key: str | None = None
                if opener == "{":
                    key = _member_name(stream)
                yield stream.item(key, index)
                index += 1
                if stream.expect("," + closer) == closer:
                    break
            if stream.peek():
                raise ValueError(f"unexpected text after the JSON {'object' if opener == '{' else 'array'}")
        except ValueError as exc:
            yield stream.damage(None, index, exc)


def json_members(path: Path, array_key: str) -> Iterator[JsonEntry]:
    """A JSON document's top-level members whole, and the items of its ``array_key`` array one at a time.

    Items come back with ``key == array_key`` (a top-level array is streamed as if it were that array),
    other members with their own name; ``line`` is where each starts. Damage ends the stream with one
    entry carrying ``error`` (after everything decoded before it); an item holding invalid UTF-8 is an
    entry with an error of its own and reading goes on. This is how STIX bundles (``objects``) and MISP
    clusters (``values``) are read: memory holds one item, not the file.
    """
    with open_source(path) as handle:
        stream = _JsonStream(handle)
        opener = _opened(path, stream)
        index = 0
        key = array_key
        try:
            if opener == "[":
                for entry in _array_items(stream, array_key):
                    index = entry.index + 1
                    yield entry
            else:
                stream.advance(stream.pos + 1)
                if stream.peek() == "}":
                    stream.advance(stream.pos + 1)
                else:
                    while True:
                        key = _member_name(stream)
                        if key == array_key and stream.peek() == "[":
                            for entry in _array_items(stream, array_key):
                                index = entry.index + 1
                                yield entry
                        else:
                            yield stream.item(key, 0)
                        if stream.expect(",}") == "}":
                            break
            if stream.peek():
                raise ValueError("unexpected text after the JSON document")
        except ValueError as exc:
            yield stream.damage(key, index, exc)


def _member_name(stream: _JsonStream) -> str:
    if stream.peek() != '"':
        stream.expect('"')
    name, _ = stream.value()
    stream.expect(":")
    return str(name)


def _array_items(stream: _JsonStream, key: str) -> Iterator[JsonEntry]:
    stream.expect("[")
    if stream.peek() == "]":
        stream.advance(stream.pos + 1)
        return
    index = 0
    while True:
        yield stream.item(key, index)
        index += 1
        if stream.expect(",]") == "]":
            return
