"""Named nodes are made once per load and shared between rows, with no effect on what a load yields."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_model.model import Model
from loaders import csv_row
from loaders.csv_tables import read
from loaders.generate import generate
from loaders.records import NAMED_LIMIT, LoadContext, Record


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory, fixtures: Path) -> list[Path]:
    generated = generate(tmp_path_factory.mktemp("synthetic"), 200, seed=5).tables
    return [*sorted((fixtures / "csv").glob("*.csv")), *generated]


def _read_all(tables: list[Path], model: Model, named: int = NAMED_LIMIT) -> list[Record]:
    ctx = LoadContext(model, "analyst", named=named)
    return [record for path in tables for record in read(path, ctx)]


@pytest.mark.parametrize("limit", [0, 1, 7, 1 << 21])
def test_sharing_named_nodes_changes_no_record(tables: list[Path], model: Model, limit: int) -> None:
    shared = _read_all(tables, model)
    assert _read_all(tables, model, limit) == shared  # 0: every named node made anew


def test_a_wallet_named_by_many_rows_is_one_object(tables: list[Path], model: Model) -> None:
    transactions = next(p for p in tables if p.name == "transactions.csv" and "fixtures" not in p.parts)
    by_key: dict[str, set[int]] = {}
    for record in read(transactions, LoadContext(model, "analyst")):
        for item in record.items[:2]:
            by_key.setdefault(item.key, set()).add(id(item))
    assert max(len(ids) for ids in by_key.values()) == 1
    assert len(by_key) < sum(1 for _ in read(transactions, LoadContext(model, "analyst")))


def test_the_cache_is_bounded(model: Model) -> None:
    shared = csv_row.Shared(LoadContext(model, "analyst", named=3))
    markings = [shared.marking(confidence, None) for confidence in (None, 10, 20)]
    for n in range(10):
        prov, nodes = markings[n % 3]
        shared.named(nodes, "Wallet", "btc", f"1A{n}", prov)
        assert sum(len(kept) for _, kept in markings) <= 3


def test_empty_cells_read_as_missing_and_a_repeated_column_keeps_its_filled_cell(
    tmp_path: Path, model: Model
) -> None:
    path = tmp_path / "actors.csv"
    path.write_text("actor,type,country,Country,status\nalice,handle,,NL, \nbob,handle,DE,,\n")
    nodes = [r.items[0] for r in read(path, LoadContext(model, "analyst"))]
    assert [n.props for n in nodes] == [{"country": "NL"}, {"country": "DE"}]
    path.write_text("actor,type,country,status,member_of\nalice,handle,, ,\n")
    (record,) = read(path, LoadContext(model, "analyst"))
    assert record.error is None and record.items[0].props == {} and len(record.items) == 1
