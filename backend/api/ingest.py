"""The ``ingest`` mutation's work: the payload written to a temporary file, loaded as ``crimegraph load``."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

from graph_model.errors import InvalidArgument
from graph_model.provenance import TLP
from graph_model.store import GraphStore
from loaders import IngestSummary, LoadContext, ingest, reader

MAX_REJECTS = 100  # rejected records returned in the response; the counts cover all of them


def ingest_payload(
    store: GraphStore,
    fmt: str,
    payload: str,
    *,
    filename: str | None,
    source: str,
    tlp: TLP,
    confidence: int,
) -> tuple[IngestSummary, list[dict[str, Any]]]:
    """Load ``payload`` (the content of one file of ``fmt``) with the CLI's validation and rejects."""
    read = reader(fmt)
    name = Path(filename or f"payload.{fmt}").name  # a file name only, never a path
    if not name or name.startswith("."):
        raise InvalidArgument(f"filename {filename!r} is not a plain file name")
    sink = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="crimegraph-ingest-") as tmp:
        path = Path(tmp) / name
        path.write_text(payload, encoding="utf-8")
        context = LoadContext(store.model, source, tlp, confidence)
        summary = ingest(store, read(path, context), rejects=sink)
    rejects = [json.loads(line) for line in sink.getvalue().splitlines()[:MAX_REJECTS]]
    for entry in rejects:
        entry.pop("file", None)  # the temporary directory means nothing to the caller
    return summary, rejects
