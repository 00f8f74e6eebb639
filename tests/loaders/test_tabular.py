"""The shared CSV/JSON readers: line numbers, per-line decoding, header checks, damaged files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from loaders.json_stream import json_entries, json_members
from loaders.records import SourceError
from loaders.tabular import csv_rows, first_record, integer, number, text_lines


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_rows_carry_line_numbers_past_comments_and_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", b"\xef\xbb\xbf# banner\n\na,b\r\n1,2\r\n# END 1 entries")
    rows = list(csv_rows(path, required=("a", "b")))
    assert [(r.line, r["a"], r["b"]) for r in rows] == [(4, "1", "2")]


def test_a_bom_on_the_header_line_is_removed(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", b'\xef\xbb\xbf"",x\nx,0\n')
    assert first_record(path) == ["", "x"]


def test_wrong_header_is_one_line_naming_expected_and_found_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", b"addr,kind\n1,2\n")
    with pytest.raises(SourceError) as err:
        list(csv_rows(path, required=("address", "type")))
    message = str(err.value)
    assert "\n" not in message
    assert "expected columns address, type" in message and "found addr, kind" in message


def test_invalid_utf8_rejects_that_line_only(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", b"a,b\n1,2\n3,\xff\xfe\n5,6\n")
    rows = list(csv_rows(path, required=("a",)))
    assert [r.line for r in rows] == [2, 3, 4]
    assert rows[1].error is not None and "invalid UTF-8" in rows[1].error and "column 3" in rows[1].error
    assert rows[0].error is None and rows[2]["b"] == "6"


def test_quoted_field_may_span_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", b'a,b\n"x\ny",1\n2,3\n')
    rows = list(csv_rows(path))
    assert [(r.line, r["a"]) for r in rows] == [(2, "x\ny"), (4, "2")]


def test_unterminated_quote_is_rejected_at_end_of_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", b'a,b\n1,2\n"x,3\n')
    rows = list(csv_rows(path))
    assert rows[0].error is None
    assert rows[1].line == 3 and rows[1].error is not None and "unterminated" in rows[1].error


def test_wrong_cell_count_is_a_row_error(tmp_path: Path) -> None:
    rows = list(csv_rows(_write(tmp_path, "t.csv", b"a,b\n1\n1,2\n")))
    assert rows[0].error == "expected 2 cells, found 1" and rows[1].error is None


def test_whitespace_tables(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.txt", b"% sym\n1  2\n3\t4 {}\n")
    rows = list(csv_rows(path, header=False, delimiter=None, comments=("%",)))
    assert [r.cells for r in rows] == [("1", "2"), ("3", "4", "{}")]


@pytest.mark.parametrize("data", [b"", b"\n\n", b"# only a comment\n"])
def test_empty_file_is_a_source_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(SourceError, match="empty file"):
        list(csv_rows(_write(tmp_path, "t.csv", data)))


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        list(text_lines(tmp_path / "nope.csv"))


def test_numbers() -> None:
    assert number("2.526e-05", "btc") == pytest.approx(2.526e-05)
    assert integer("1289241912.0", "time") == 1289241912
    with pytest.raises(ValueError, match="amount: not a number: 'abc'"):
        number("abc", "amount")
    with pytest.raises(ValueError, match="not a finite number"):
        number("nan", "amount")
    with pytest.raises(ValueError, match="not a whole number"):
        integer("1.5", "rating")


def test_json_object_members_with_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.json", b'{\n "1": [{"a": 1}],\n "2": [{"a": 2}]\n}\n')
    entries = list(json_entries(path))
    assert [(e.key, e.line, e.value) for e in entries] == [("1", 2, [{"a": 1}]), ("2", 3, [{"a": 2}])]


def test_json_array_items_and_numbers_across_chunks(tmp_path: Path) -> None:
    items = list(range(0, 200000, 7))
    path = _write(tmp_path, "t.json", ("[" + ", ".join(map(str, items)) + "]").encode())
    assert [e.value for e in json_entries(path)] == items


def test_a_value_larger_than_the_window_is_parsed_in_linear_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A MISP event is one member of tens of MB: each read used to add 64 KiB and parse the value again
    # from its start (n² / 64 KiB: 2.5 minutes for the demo's 48 MB `export misp`). Reads now double, so
    # the decoder is asked to parse about twice the value, whatever its size.
    attributes = [{"value": "x" * 40}]
    objects = [{"uuid": f"{i:08d}", "name": "btc-wallet", "Attribute": attributes} for i in range(40000)]
    event = {"info": "big", "Object": objects}
    path = _write(tmp_path, "e.json", json.dumps({"head": 1, "Event": event, "tail": [2]}).encode())
    parsed = 0
    decode = json.JSONDecoder.raw_decode

    def counting(self: json.JSONDecoder, s: str, idx: int = 0) -> tuple[Any, int]:
        nonlocal parsed
        parsed += len(s) - idx
        return decode(self, s, idx)

    monkeypatch.setattr(json.JSONDecoder, "raw_decode", counting)
    members = list(json_members(path, "response"))
    assert [(m.key, m.error) for m in members] == [("head", None), ("Event", None), ("tail", None)]
    assert members[1].value == event
    size = path.stat().st_size
    assert size > 4_000_000
    assert parsed < 4 * size, f"parsed {parsed:,} characters of a {size:,}-byte file"


def test_truncated_json_keeps_what_came_before(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.json", b'[\n{"a": 1},\n{"b": 2},\n{"c": ')
    entries = list(json_entries(path))
    assert [e.value for e in entries[:2]] == [{"a": 1}, {"b": 2}]
    assert entries[2].error is not None and "truncated" in entries[2].error and entries[2].line == 4


def test_invalid_utf8_in_json_rejects_that_entry_only(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.json", b'[{"a": "\xff"}, {"b": 2}]')
    entries = list(json_entries(path))
    assert entries[0].error == "invalid UTF-8 in this record"
    assert entries[1].value == {"b": 2} and entries[1].error is None


@pytest.mark.parametrize(("data", "message"), [(b"", "empty file"), (b" 12", "not a JSON object or array")])
def test_unreadable_json_is_a_source_error(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        list(json_entries(_write(tmp_path, "t.json", data)))
