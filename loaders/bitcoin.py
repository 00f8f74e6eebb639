"""Bitcoin addresses as Wallet nodes, and the ransomware families that collect into them.

Shared by the ransomware wallet loaders (Ransomwhere, Huang et al. payments, "Showing the Receipts"),
so an address or a family seen by several sources becomes one node with all their provenance.
"""

from __future__ import annotations

import re
from typing import Any

from graph_model.entities import Edge, Node, make_node
from graph_model.provenance import Provenance
from loaders.records import LoadContext

# Legacy (P2PKH '1…', P2SH '3…') base58 addresses and bech32/bech32m ('bc1…') segwit addresses.
_BASE58 = re.compile(r"[13][1-9A-HJ-NP-Za-km-z]{25,34}")
_BECH32 = re.compile(r"bc1[02-9ac-hj-np-z]{11,71}|BC1[02-9AC-HJ-NP-Z]{11,71}")
# Labels that name no family: the wallet keeps the label, no Malware node is made.
NO_FAMILY = frozenset({"unlabeled", "unlabelled", "unknown", ""})


def btc_address(text: str) -> str:
    """The address exactly as written (case matters in base58); ValueError if it is not Bitcoin."""
    address = text.strip()
    if _BASE58.fullmatch(address) or _BECH32.fullmatch(address):
        return address
    raise ValueError(f"not a Bitcoin address: {text!r}")


def btc_wallet(ctx: LoadContext, address: str, prov: Provenance, props: dict[str, Any] | None = None) -> Node:
    """A Wallet/btc node for ``address`` (checked with :func:`btc_address`)."""
    return make_node(ctx.model, "Wallet", "btc", btc_address(address), prov=prov, props=props)


def is_family(label: str) -> bool:
    return label.strip().casefold() not in NO_FAMILY


def family_node(ctx: LoadContext, label: str, prov: Provenance) -> Node:
    """A Malware/malware node keyed by the family's name, so ATT&CK and MISP entries merge with it."""
    return make_node(ctx.model, "Malware", "malware", label.strip(), prov=prov)


def collects_into(ctx: LoadContext, label: str, wallet: Node, prov: Provenance) -> list[Node | Edge]:
    """The family node and its COLLECTS_INTO edge to ``wallet``; nothing for 'Unlabeled' and the like."""
    if not is_family(label):
        return []
    family = family_node(ctx, label, prov)
    return [family, Edge("COLLECTS_INTO", family.key, wallet.key, prov)]
