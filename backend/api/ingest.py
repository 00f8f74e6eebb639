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
from graph_model.writes import now_iso, record_write
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
    analyst: str,
) -> tuple[IngestSummary, list[dict[str, Any]]]:
    """Load ``payload`` (the content of one file of ``fmt``) with the CLI's validation and rejects; the
    write is recorded as made by ``analyst`` (the caller's name, :mod:`graph_model.writes`)."""
    read = reader(fmt)
    name = Path(filename or f"payload.{fmt}").name  # a file name only, never a path
    if not name or name.startswith("."):
        raise InvalidArgument(f"filename {filename!r} is not a plain file name")
    sink = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="crimegraph-ingest-") as tmp:
        path = Path(tmp) / name
        path.write_text(payload, encoding="utf-8")
        context = LoadContext(store.model, source, tlp, confidence)
        started = now_iso()
        summary = ingest(store, read(path, context), rejects=sink)
    if summary.read:
        details = {
            "format": fmt,
            "files": [name],
            "source": source,
            "tlp": tlp.label,
            "counts": summary.as_json(),
        }
        record_write(store, analyst=analyst, action="ingest", started=started, details=details)
    rejects = [json.loads(line) for line in sink.getvalue().splitlines()[:MAX_REJECTS]]
    for entry in rejects:
        entry.pop("file", None)  # the temporary directory means nothing to the caller
    return summary, rejects
