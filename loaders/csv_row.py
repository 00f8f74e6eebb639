"""One row of an analyst's CSV table: its cells read as typed values, and the nodes it names.

A cell that cannot be read raises :class:`RowError`; the reader turns it into a rejected record.
References to other nodes are ``value`` or ``type:value`` (``handle:bob``, ``marketplace:hydra``):
a leading type of the referenced kind wins, otherwise the column's default type applies.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from typing import Any

from graph_model.entities import Edge, Node, make_node
from graph_model.identity import node_key
from graph_model.provenance import TLP, Provenance, to_iso
from loaders.records import LoadContext

LIST_SEPARATOR = ";"
COMMON_COLUMNS = ("confidence", "tlp", "first_seen", "last_seen", "source_ref")
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_ASN = re.compile(r"^AS\d+$", re.IGNORECASE)


Marking = tuple[int | None, TLP | None]
NamedNodes = dict[tuple[str, str, str], Node]


class RowError(ValueError):
    """A cell of a row cannot be read (non-numeric amount, unknown type, bad time…)."""


def infrastructure_type(value: str, default: str) -> str:
    """The type an infrastructure reference has by its shape: IP, ``AS<n>``, URL, e-mail, else ``default``."""
    if "://" in value:
        return "url"
    if _ASN.match(value):
        return "asn"
    if "@" in value and " " not in value:
        return "email"
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return default
    return "ip"


class Shared:
    """What the rows of one load have in common, by the (confidence, TLP) of a row: the provenance of the
    nodes it names, and those nodes themselves.

    The same few thousand wallets or actors are named by hundreds of thousands of rows, so a named node
    is made once and handed out again, the same object, to every row naming it with the same marking.
    Nothing downstream changes a node it is given (validation normalises a node's properties in place,
    and a named node has none), so sharing it is safe.
    """

    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.limit = ctx.named
        self.kept = 0  # named nodes kept, over all markings
        self._by_marking: dict[Marking, tuple[Provenance, NamedNodes]] = {}

    def marking(self, confidence: int | None, tlp: TLP | None) -> tuple[Provenance, NamedNodes]:
        """The provenance of nodes named by a row so marked, and the named nodes made with it so far."""
        found = self._by_marking.get((confidence, tlp))
        if found is None:
            prov = self.ctx.prov(None, confidence=confidence, tlp=tlp)
            found = self._by_marking[confidence, tlp] = (prov, {})
        return found

    def named(self, nodes: NamedNodes, kind: str, type_: str, value: str, prov: Provenance) -> Node:
        """Make a named node with ``prov`` and keep it in ``nodes`` (one of :meth:`marking`'s)."""
        node = make_node(self.ctx.model, kind, type_, value, prov=prov)
        if self.kept >= self.limit:
            for _, kept in self._by_marking.values():
                kept.clear()
            self.kept = 0
        if self.limit:
            nodes[kind, type_, value] = node
            self.kept += 1
        return node


@dataclass(slots=True, init=False)
class Row:
    """The cells of one row by lower-case column name (an empty cell reads as missing), and its provenance.

    ``dated_by`` names the column holding the row's event time, used when ``first_seen`` is empty.
    ``shared`` is one per load, keeping what rows have in common (named nodes and their provenance).
    """

    ctx: LoadContext
    cells: dict[str, str]
    where: str
    dated_by: str | None
    shared: Shared
    prov: Provenance
    ref_prov: Provenance
    _named: NamedNodes = field(repr=False)

    def __init__(
        self, shared: Shared, cells: dict[str, str], where: str, dated_by: str | None = None
    ) -> None:
        self.ctx = ctx = shared.ctx
        self.cells = cells
        self.where = where
        self.dated_by = dated_by
        self.shared = shared
        confidence = self.integer("confidence") if cells.get("confidence") else None
        if confidence is not None and not 0 <= confidence <= 100:
            raise RowError(f"column 'confidence': {confidence} is outside 0-100")
        tlp_text = cells.get("tlp")
        try:
            tlp = TLP.parse(tlp_text) if tlp_text else None
        except ValueError as exc:
            raise RowError(f"column 'tlp': {exc}") from None
        # A row's own event time (a transaction's time, a post's date) dates it when first_seen is empty.
        first_seen = cells.get("first_seen") or (cells.get(dated_by) if dated_by else None)
        try:
            self.prov = ctx.prov(
                cells.get("source_ref") or where,
                first_seen=first_seen,
                last_seen=cells.get("last_seen"),
                confidence=confidence,
                tlp=tlp,
            )
        except ValueError:
            for column in ("first_seen", "last_seen", dated_by or "first_seen"):
                self.time(column)  # raises, naming the column
            raise
        # A node named only as the far end of a link gets the dataset as its source, not the row:
        # a hub named by a million rows must not collect a million sources.
        self.ref_prov, self._named = shared.marking(confidence, tlp)

    # -- cells -------------------------------------------------------------------------------
    def text(self, column: str) -> str | None:
        return self.cells.get(column) or None

    def required(self, column: str) -> str:
        value = self.cells.get(column)
        if not value:
            raise RowError(f"column {column!r} is empty")
        return value

    def items(self, column: str) -> list[str]:
        value = self.cells.get(column)
        if not value:
            return []
        return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]

    def integer(self, column: str) -> int | None:
        value = self.cells.get(column)
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            raise RowError(f"column {column!r}: not an integer: {value!r}") from None

    def integers(self, column: str) -> list[int]:
        try:
            return [int(item) for item in self.items(column)]
        except ValueError:
            raise RowError(f"column {column!r}: not a list of integers: {self.cells[column]!r}") from None

    def number(self, column: str) -> float | None:
        value = self.cells.get(column)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            raise RowError(f"column {column!r}: not a number: {value!r}") from None
        if not math.isfinite(number):
            raise RowError(f"column {column!r}: not a finite number: {value!r}")
        return number

    def boolean(self, column: str) -> bool | None:
        value = self.cells.get(column)
        if not value:
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise RowError(f"column {column!r}: not true/false: {value!r}")

    def time(self, column: str) -> str | None:
        value = self.cells.get(column)
        try:
            return to_iso(value)
        except ValueError:
            raise RowError(f"column {column!r}: not a date/time: {value!r}") from None

    # -- nodes and edges ---------------------------------------------------------------------
    def node(self, kind: str, type_: str, value: str, *, uuid: str | None = None, **props: Any) -> Node:
        """The node this row describes, with the row's provenance.

        With ``uuid`` the node is keyed by it, and its canonical value stays an id that resolves to it.
        """
        model = self.ctx.model
        ids = (node_key(model, kind, type_, value),) if uuid else ()
        return make_node(model, kind, type_, value, prov=self.prov, uuid=uuid, props=props, ids=ids)

    def named(self, kind: str, type_: str, value: str) -> Node:
        """A node this row names as the far end of a link."""
        node = self._named.get((kind, type_, value))
        return self.shared.named(self._named, kind, type_, value, self.ref_prov) if node is None else node

    def reference(self, kind: str, text: str, default: str, allowed: frozenset[str] | None = None) -> Node:
        """A node named by a reference cell; ``allowed`` limits the types a reference may name."""
        type_, value = self.split_reference(kind, text, default)
        if allowed is not None and type_ not in allowed:
            raise RowError(
                f"{text!r}: a {kind} of type {type_!r} cannot be named here ({', '.join(sorted(allowed))})"
            )
        return self.named(kind, type_, value)

    def split_reference(self, kind: str, text: str, default: str) -> tuple[str, str]:
        head, sep, rest = text.partition(":")
        if sep and head.strip().lower() in self.ctx.model.node_kind(kind).types and rest.strip():
            return head.strip().lower(), rest.strip()
        if kind == "Infrastructure":
            return infrastructure_type(text, default), text
        return default, text

    def edge(
        self,
        type_: str,
        source: Node,
        target: Node,
        discriminator: str = "",
        props: dict[str, Any] | None = None,
        *,
        implied: bool = False,
    ) -> Edge:
        """An edge of this row (``implied``: one the row only presupposes); empty properties are left out."""
        clean = {k: v for k, v in props.items() if v is not None and v != ""} if props else {}
        prov = self.ref_prov if implied else self.prov
        return Edge(type_, source.key, target.key, prov, clean, discriminator)
