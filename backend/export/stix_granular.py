"""Granular markings out: one STIX object per node or edge, marked per property at the level of the
statements that give it.

A reader's view of a node or edge its sources state at several TLP levels says what it shows only from
the statements above its lowest level (``Node.marked``, ``graph_model.views``; the ``marked`` attribute of
an export's graph). The object is marked as a whole (``object_marking_refs``) at that lowest level, and
every property - list element, or key of a dictionary property - that only a higher level gives is
marked at that level with a ``granular_markings`` entry (STIX 2.1 section 7.2.3: selectors in dot
notation, ``[n]`` for list items), referring to the standard TLP 2.0 marking definitions.

The object is built once per level from the view without what is marked above that level, and the
objects are compared property by property, so whatever an object carries - STIX fields, crimegraph's
``x_crimegraph_*`` properties, external references (the sources), dates - is marked the same way. A
reader below a property's level (``loaders.markings``) gets the object without it, never the value with a
marking it is not cleared for. Where sources at two levels state different values of one property, the
object carries the value the export's clearance sees, marked at the level that states it: readers below
that level get no value for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.export.stix_objects import TLP2
from graph_model.entities import NAME, Marks
from graph_model.provenance import TLP
from graph_model.store.base import read_marks

# What is never marked apart from the object: without them there is no object (or no marking).
FIXED = frozenset({"type", "id", "spec_version", "object_marking_refs", "granular_markings"})
_MISSING = object()
_LEVELS = {marking_id: level for level, (marking_id, _) in TLP2.items()}


def level_of(marking_ref: str) -> TLP:
    """The TLP level of one of the standard TLP 2.0 marking definitions."""
    return _LEVELS[marking_ref]


def seen_at(attrs: dict[str, Any], marks: Marks, level: TLP, stand_in: str) -> dict[str, Any]:
    """The attributes of a view as a reader at ``level`` sees them: every field and list element marked
    above ``level`` left out (a name marked above it gives way to ``stand_in``, the key)."""
    seen = dict(attrs)
    for name, mark in marks.items():
        if name == "tlp":
            continue
        if isinstance(mark, dict):
            value = seen.get(name)
            if isinstance(value, list):
                kept = [v for v in value if mark.get(str(v), level) <= level]
                if kept:
                    seen[name] = kept
                else:
                    seen.pop(name)
        elif mark > level:
            if name == NAME:
                seen[NAME] = stand_in
            elif name == "confidence":
                seen[name] = -1  # every object states one: a value no object has, so it differs
            else:
                seen.pop(name, None)
    seen["tlp"] = level.label
    seen.pop("marked", None)
    return seen


def marked_object(
    obj: dict[str, Any], attrs: dict[str, Any], build: Callable[[dict[str, Any]], dict[str, Any]], key: str
) -> dict[str, Any]:
    """``obj`` (built by ``build`` from ``attrs``) marked at the lowest level of the view, with granular
    markings for what higher levels alone give (see the module's text); ``obj`` itself without ``marked``."""
    marks = read_marks(attrs.get("marked"))
    if not marks:
        return obj
    floor = marks["tlp"]
    assert isinstance(floor, TLP)
    levels = {floor}
    for name, mark in marks.items():
        if name != "tlp":
            levels.update(mark.values() if isinstance(mark, dict) else (mark,))
    top = TLP.parse(attrs["tlp"])
    lower = [(level, build(seen_at(attrs, marks, level, key))) for level in sorted(levels) if level < top]
    found: dict[TLP, set[str]] = {}
    for name, value in obj.items():
        if name not in FIXED:
            _walk(name, value, [(level, o.get(name, _MISSING)) for level, o in lower], top, floor, found)
    made = dict(obj)
    # The non-TLP markings (a statement) the view at its lowest level has: a reader there sees them.
    lowest = lower[0][1] if lower else obj
    made["object_marking_refs"] = [TLP2[floor][0], *others(lowest.get("object_marking_refs"))]
    tlp = [
        {"marking_ref": TLP2[level][0], "selectors": sorted(selectors)}
        for level, selectors in sorted(found.items())
    ]
    granular = [
        *tlp,
        *(g for g in lowest.get("granular_markings") or () if g.get("marking_ref") not in _LEVELS),
    ]
    if granular:
        made["granular_markings"] = granular
    else:
        made.pop("granular_markings", None)
    return made


def others(refs: Any) -> list[str]:
    """The references to markings other than the standard TLP 2.0 ones (a statement), in their order."""
    return [r for r in refs or () if r not in _LEVELS]


def _walk(
    selector: str,
    value: Any,
    lower: list[tuple[TLP, Any]],
    top: TLP,
    floor: TLP,
    found: dict[TLP, set[str]],
) -> None:
    """Mark ``selector`` (whose value is ``value``) at the lowest level whose object has that value; a list
    or dictionary that lower levels have in part, at the level it first appears at, and its parts each at
    the lowest level that gives them."""
    level = next((lv for lv, other in lower if other == value), top)
    if level <= floor or not isinstance(value, dict | list) or not value:
        _mark(found, selector, level, floor)
        return
    kind = dict if isinstance(value, dict) else list
    present = [(lv, other) for lv, other in lower if isinstance(other, kind)]
    if isinstance(value, dict) and any("." in k or k.startswith("[") for k in value):
        _mark(found, selector, top, floor)  # keys a selector cannot name: the dictionary as a whole
        return
    since = present[0][0] if present else top
    _mark(found, selector, since, floor)
    if isinstance(value, dict):
        for name, part in value.items():
            below = [(lv, other.get(name, _MISSING)) for lv, other in present if isinstance(other, dict)]
            _walk(f"{selector}.{name}", part, below, top, since, found)
    else:
        for i, element in enumerate(value):
            level = next((lv for lv, other in present if element in other), top)
            _mark(found, f"{selector}.[{i}]", level, since)


def _mark(found: dict[TLP, set[str]], selector: str, level: TLP, floor: TLP) -> None:
    if level > floor:
        found.setdefault(level, set()).add(selector)
