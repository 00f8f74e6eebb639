"""The one-reader-per-file CSV reader gives exactly what reading each record on its own gave.

The reference below is the earlier reader: a csv.reader per record, re-parsing the joined lines of a
quoted field until it closes. The fast reader must agree with it on every record: line, cells, raw
text and error, on damaged input as well as on clean input.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders import tabular
from loaders.records import SourceError
from loaders.tabular import Line, records, text_lines

Record = tuple[int, list[str] | None, str, str | None]


def _split(text: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=True), [])
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise ValueError("open quote") from None
        raise ValueError(f"malformed CSV ({exc})") from None


def _reference(path: Path, comments: tuple[str, ...], delimiter: str = ",") -> Iterator[Record]:
    pending: list[Line] = []
    for line in text_lines(path):
        if not pending:
            if line.text is not None and (not line.text.strip() or line.text.lstrip().startswith(comments)):
                continue
            if line.text is None:
                yield line.number, None, line.shown, line.error
                continue
        elif line.text is None:
            yield pending[0].number, None, "\n".join(p.shown for p in pending), line.error
            pending = []
            continue
        pending.append(line)
        text = "\n".join(p.text or "" for p in pending)
        try:
            cells = _split(text, delimiter)
        except ValueError as exc:
            if str(exc) == "open quote" and len(pending) < tabular.MAX_RECORD_LINES:
                continue
            reason = "unterminated quoted field" if str(exc) == "open quote" else str(exc)
            yield pending[0].number, None, text, reason
            pending = []
            continue
        yield pending[0].number, cells, text, None
        pending = []
    if pending:
        text = "\n".join(p.shown for p in pending)
        yield pending[0].number, None, text, "unterminated quoted field at end of file"


def _both(
    path: Path, comments: tuple[str, ...] = (), delimiter: str = ","
) -> tuple[list[Record], list[Record]]:
    def run(reader: Iterator[Record]) -> list[Record]:
        try:
            return list(reader)
        except SourceError as exc:
            return [(0, None, str(exc), "SourceError")]

    return run(records(path, delimiter, comments)), run(_reference(path, comments, delimiter))


TRICKY = {
    "multi-line quotes": b'a,b\n"x\ny",1\n"p\n\nq\r\n",2\n3,4\n',
    "invalid UTF-8 alone": b"a,b\n1,2\n3,\xff\xfe\n5,6\n",
    "invalid UTF-8 inside a quoted field": b'a,b\n"x\n\xc3(\n5,6\n',
    "invalid UTF-8 on the header": b"\xef\xbb\xbfa,\xe9\n1,2\n",
    "wrong width": b"a,b\n1\n1,2,3\n,\n",
    "blank, space-only and comment lines": b"\n  \n# c\na,b\n\n \t\n# 1,2\n1,2\n",
    "BOM and CRLF": b"\xef\xbb\xbfa,b\r\n1,2\r\r\n\r\n3,4",
    "stray CR": b"a,b\n1\r2,3\n4,5\n",
    "malformed quotes": b'a,b\n1,"2"x\n"3"",4\n5,6\n',
    "unterminated at end": b'a,b\n1,2\n"x,3\nmore\n',
    "quoted empties": b'a,b\n"",""\n""\n',
    "NUL": b"a,b\n1,\x002\n3,4\n",
    "empty": b"",
    "only blank lines": b"\n\n  \n",
}


@pytest.mark.parametrize("data", TRICKY.values(), ids=TRICKY.keys())
def test_the_fast_reader_agrees_on_tricky_input(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    fast, reference = _both(path)
    assert fast == reference
    assert _both(path, ("#",))[0] == _both(path, ("#",))[1]


@pytest.mark.parametrize("extra", [-1, 0, 1, 2])
def test_a_quoted_field_running_past_the_line_limit(tmp_path: Path, extra: int) -> None:
    lines = tabular.MAX_RECORD_LINES + extra
    path = tmp_path / "t.csv"
    path.write_bytes(b'a,b\n"x' + b"\ny" * (lines - 1) + b'",1\n2,3\n"open\n' + b"z\n" * 150 + b'"end\n')
    fast, reference = _both(path)
    assert fast == reference
    assert (fast[1][3] is None) == (extra <= 0)
    assert "unterminated quoted field" in [r[3] for r in fast]
    assert fast[-1][3] == "unterminated quoted field at end of file"


LINE = st.lists(
    st.sampled_from(
        [b"a", b"bc", b",", b";", b'"', b'""', b" ", b"\t", b"#", b"\r", b"\xff", b"\xc3\xa9", b"\x00"]
    ),
    max_size=8,
).map(b"".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, max_size=12), final_newline=st.booleans())
def test_the_fast_reader_agrees_on_random_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: list[bytes], final_newline: bool
) -> None:
    monkeypatch.setattr(tabular, "MAX_RECORD_LINES", 3)  # so random input also reaches the limit
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))
    for comments in ((), ("#",)):
        for delimiter in (",", ";"):
            fast, reference = _both(path, comments, delimiter)
            assert fast == reference


def test_a_line_longer_than_the_field_size_limit_goes_to_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"x" * 40 + b",1\n2,3\n" + b"y" * 20 + b",z\n")
    old = csv.field_size_limit(30)
    try:
        fast, reference = _both(path)
    finally:
        csv.field_size_limit(old)
    assert fast == reference
    assert [r[3] is None for r in fast] == [True, False, True, True]
