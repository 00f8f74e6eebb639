"""Rejection and skip reasons grouped by kind: the ids and positions inside a reason are not part of it."""

from __future__ import annotations

import re

_STIX_ID = re.compile(
    r"\b[a-z][a-z0-9-]*--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_POSITION = re.compile(r"\b(line|column|row|index|item) \d+")
# A quoted value closing a reason or a clause ("not a number: 'heavy'"), not a quoted property name.
_QUOTED_VALUE = re.compile(r"(: |got |value )'[^']{1,200}'(?=$|[,;)])")


def reason_kind(reason: str) -> str:
    """``reason`` with object ids, UUIDs, positions and quoted values replaced by placeholders.

    >>> reason_kind("relationship--0a1b2c3d-0000-4000-8000-000000000001 has no source_ref")
    '<id> has no source_ref'
    >>> reason_kind("invalid JSON at line 75 column 3: Expecting value")
    'invalid JSON at line N column N: Expecting value'
    """
    text = _STIX_ID.sub("<id>", reason)
    text = _UUID.sub("<uuid>", text)
    text = _POSITION.sub(lambda m: f"{m.group(1)} N", text)
    return _QUOTED_VALUE.sub(lambda m: f"{m.group(1)}'…'", text)
