"""Which load format a JSON file's top level looks like, so a file given to the wrong loader is refused
with one line naming the command that reads it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# What each format's file is called in a message.
NAMES = {
    "stix": "a STIX bundle",
    "misp-galaxy": "a MISP galaxy cluster file",
    "misp-event": "a MISP event",
}


def looks_like(header: Mapping[str, Any]) -> str | None:
    """The format whose files have this top level (the JSON object's members), or None."""
    if "Event" in header or "response" in header or ("info" in header and "Attribute" in header):
        return "misp-event"
    if header.get("type") == "bundle" or "objects" in header:
        return "stix"
    if isinstance(header.get("type"), str) and "values" in header:
        return "misp-galaxy"
    return None


def wrong_format(path: object, header: Mapping[str, Any], expected: str, detail: str) -> str:
    """The one-line refusal of a file that is not ``expected``: naming the command that reads it."""
    found = looks_like(header)
    if found is not None and found != expected:
        return f"{path}: {NAMES[found]}, not {NAMES[expected]}: load it with `crimegraph load {found}`"
    return f"{path}: not {NAMES[expected]} ({detail})"
