"""What a loader yields: one :class:`Record` per input record, and the context it builds provenance from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph_model.entities import Edge, Node
from graph_model.errors import CrimegraphError
from graph_model.model import Model
from graph_model.provenance import TLP, Provenance


class SourceError(CrimegraphError):
    """The input cannot be read at all (missing file, not the expected format)."""


@dataclass(slots=True)
class Record:
    """One input record and the nodes/edges it yields.

    ``error`` marks a bad record (it goes to the rejects file, its items are not loaded);
    ``skipped`` marks a good record deliberately not loaded (e.g. file hashes), with the reason.
    ``kind`` names what the record is, for the per-kind summary (``intrusion-set``, ``wallet``…).
    ``warnings`` name what a loaded record left out (a bad optional field), each in words without ids.
    """

    location: str
    kind: str
    items: list[Node | Edge] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    raw: Any = None
    warnings: tuple[str, ...] = ()


# Nodes named by rows (a wallet named by thousands of transfers) that a load keeps to hand out again;
# past this many the keeping starts afresh, so memory stays bounded whatever the input size.
NAMED_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class LoadContext:
    """Settings of one load: the model, the dataset name and the default marking and confidence.

    ``named``: how many nodes named by rows the load keeps to hand out again (:data:`NAMED_LIMIT`); a
    load holding everything it reads anyway (a bulk load) keeps more: a node made anew for a row is
    checked, sent and merged anew."""

    model: Model
    dataset: str
    tlp: TLP = TLP.CLEAR
    confidence: int = 50
    named: int = NAMED_LIMIT

    def prov(
        self,
        record: str | int | None,
        *,
        first_seen: Any = None,
        last_seen: Any = None,
        confidence: int | None = None,
        tlp: TLP | None = None,
        created: Any = None,
        modified: Any = None,
    ) -> Provenance:
        """Provenance for a record of this dataset; confidence/TLP default to the load's settings.

        ``first_seen``/``last_seen`` only when the source says the thing was observed then;
        ``created``/``modified`` are the source record's own dates (never a stand-in for observation).
        A record's own TLP can only make it more restrictive than the load's ``--tlp``.
        """
        return Provenance.of(
            self.dataset,
            record,
            first_seen=first_seen,
            last_seen=last_seen,
            confidence=self.confidence if confidence is None else confidence,
            tlp=max(self.tlp, tlp) if tlp is not None else self.tlp,
            created=created,
            modified=modified,
        )


def location(path: Path, where: str | int) -> str:
    """``file.csv:12`` for a line, ``bundle.json#indicator--…`` for an object id."""
    return f"{path.name}:{where}" if isinstance(where, int) else f"{path.name}#{where}"
