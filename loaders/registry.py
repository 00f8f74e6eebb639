"""Source formats by name; each module has ``read(path, ctx) -> Iterator[Record]``."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path

from loaders.records import LoadContext, Record, SourceError

Reader = Callable[[Path, LoadContext], Iterator[Record]]

FORMATS: dict[str, str] = {
    "stix": "loaders.stix",
    "misp-galaxy": "loaders.misp",
    "misp-event": "loaders.misp_event",
    "ransomwhere": "loaders.ransomwhere",
    "btc-payments": "loaders.btc_payments",
    "receipts": "loaders.receipts",
    "threatfox": "loaders.threatfox",
    "feodo": "loaders.feodo",
    "csv": "loaders.csv_tables",
    "edgelist": "loaders.edgelist",
    "bitcoin-otc": "loaders.bitcoin_otc",
    "rdap": "loaders.rdap",
    "as-rel": "loaders.as_rel",
}


def reader(name: str) -> Reader:
    """The reader for a format name."""
    module = FORMATS.get(name)
    if module is None:
        raise SourceError(f"unknown format {name!r}; known: {', '.join(sorted(FORMATS))}")
    read: Reader = importlib.import_module(module).read
    return read
