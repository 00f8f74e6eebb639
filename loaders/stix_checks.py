"""Checking a STIX object with ``stix2`` without losing a good object to one bad optional field.

``stix2`` is the checker, but a record is not rejected whole for a property it can do without: a bad
optional property (a ``stop_time`` equal to ``start_time``, a malformed ``confidence``) is left out and
named in a warning, and a malware or infrastructure missing a boolean ``stix2`` insists on
(``is_family``) is checked as if it were present. Errors in the object's identity (``id``, ``type``,
``created``…) or a required reference still reject it.
"""

from __future__ import annotations

import re
from typing import Any

import stix2
import stix2.exceptions

# Properties whose absence stix2 refuses but a record can load without.
DEFAULTED = {"is_family": True}
# Never dropped: without them the object is not itself, or links nothing.
ESSENTIAL = frozenset(
    {
        "type",
        "id",
        "spec_version",
        "created",
        "modified",
        "name",
        "relationship_type",
        "source_ref",
        "target_ref",
        "sighting_of_ref",
        "pattern",
        "pattern_type",
        "valid_from",
        "object_refs",
        "value",
        "number",
        "identity_class",
        "content",
        "opinion",
        "first_observed",
        "last_observed",
        "number_observed",
        "published",
    }
)
_LATER = re.compile(r"'(\w+)' must be later than (?:or equal to )?'(\w+)'")
_TYPE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*-?$")
MAX_REPAIRS = 5


def valid_type_name(name: str) -> bool:
    """Whether ``name`` is a well-formed STIX type name (3-250 characters, lower-case words and dashes)."""
    return 3 <= len(name) <= 250 and bool(_TYPE_NAME.match(name))


def checked(raw: dict[str, Any]) -> tuple[dict[str, Any], Any, list[str]]:
    """``(the object to map, what stix2 parsed, warnings)``; stix2's exception if it cannot be repaired.

    The object to map is ``raw`` without the properties that were left out.
    """
    current = raw
    warnings: list[str] = []
    for _ in range(MAX_REPAIRS):
        candidate = {**current, **{k: v for k, v in DEFAULTED.items() if k not in current}}
        try:
            parsed = stix2.parse(candidate, allow_custom=True)
            missing = [k for k in DEFAULTED if k not in current and k in getattr(parsed, "_properties", {})]
            warnings += [
                f"{current.get('type', 'object')} property {k!r} missing: loaded without it" for k in missing
            ]
            return current, parsed, warnings
        except Exception as exc:  # stix2 raises many exception types; each is one object's problem
            bad = _optional_culprit(exc, current)
            if bad is None:
                raise
            warnings.append(f"{current.get('type', 'object')} property {bad!r} left out: {_reason(exc)}")
            current = {k: v for k, v in current.items() if k != bad}
    return current, stix2.parse({**current, **DEFAULTED}, allow_custom=True), warnings


def _optional_culprit(exc: Exception, raw: dict[str, Any]) -> str | None:
    """The optional property ``exc`` is about, when there is exactly one."""
    name: str | None = None
    if isinstance(exc, stix2.exceptions.InvalidValueError):
        name = exc.prop_name
    elif isinstance(exc, stix2.exceptions.DependentPropertiesError):
        names = {dependent for _, dependent in exc.dependencies}
        name = next(iter(names)) if len(names) == 1 else None
    elif (match := _LATER.search(str(exc))) is not None:
        name = match.group(1)
    if name is None or name in ESSENTIAL or name not in raw:
        return None
    return name


def _reason(exc: Exception) -> str:
    if isinstance(exc, stix2.exceptions.InvalidValueError):
        return str(exc.reason).splitlines()[0][:120]
    text = str(exc).strip().splitlines()
    # Leave out the object id, so the same problem on many objects reads the same.
    return re.sub(r"\b[a-z0-9-]+--[0-9a-f-]{36}\s*", "", text[0] if text else type(exc).__name__)[:120]
