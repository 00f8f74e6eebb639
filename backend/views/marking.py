"""The marking banner every page carries: the caller's clearance and the highest TLP among what is drawn,
in FIRST's TLP 2.0 colours and words (https://www.first.org/tlp/)."""

from __future__ import annotations

from dataclasses import dataclass

from graph_model.provenance import TLP


@dataclass(frozen=True, slots=True)
class Marking:
    """How one TLP level is shown: its label's colour on black, and what it allows, in FIRST's words."""

    color: str
    words: str


# TLP 2.0: the label in its colour on a black background; the definitions shortened from FIRST's.
MARKINGS: dict[TLP, Marking] = {
    TLP.CLEAR: Marking(
        "#FFFFFF", "Recipients can spread this to the world; there is no limit on disclosure."
    ),
    TLP.GREEN: Marking("#33FF00", "Limited disclosure: recipients can spread this within their community."),
    TLP.AMBER: Marking(
        "#FFC000",
        "Limited disclosure: recipients can spread this on a need-to-know basis within their organisation "
        "and its clients.",
    ),
    TLP.AMBER_STRICT: Marking(
        "#FFC000",
        "Limited disclosure: recipients can spread this on a need-to-know basis within their organisation "
        "only.",
    ),
    TLP.RED: Marking(
        "#FF2B2B", "For the eyes and ears of individual recipients only, no further disclosure."
    ),
}


def marking_data() -> dict[str, dict[str, str]]:
    """Every level's colour and words, for the page's script (the banner changes as nodes are added)."""
    return {level.label: {"color": m.color, "words": m.words} for level, m in MARKINGS.items()}


def banner(highest: TLP, clearance: TLP) -> dict[str, str]:
    """What the banner shows (template values)."""
    mark = MARKINGS[highest]
    return {
        "tlp": highest.label,
        "color": mark.color,
        "words": mark.words,
        "clearance": clearance.label,
        "clearance_color": MARKINGS[clearance].color,
    }
