"""STIX data markings: which TLP level each part of an object is shared at.

- **Marking definitions** are read in every form found in the wild: the STIX 2.1 standard TLP ids (1.0
  and 2.0), ``definition_type: tlp`` with ``definition.tlp``, OpenCTI's ``definition_type: "TLP"`` with
  ``definition: {"TLP": "TLP:RED"}`` and no ``name`` (which the ``stix2`` library refuses, so marking
  definitions are read here and never given to it), a ``TLP:…`` name, and the TLP 2.0 extension; TLP 2.0
  names (CLEAR, AMBER+STRICT) and 1.0 (WHITE). Statement markings (copyright, terms of use) and other
  non-TLP markings (extension-based ones included) do not change the level; each object keeps them as
  markings (:func:`kept`): the references to them, object and granular, and each definition whole, as the
  source wrote it, so an export writes them back as the same marking definitions.
- **Object markings** (``object_marking_refs``) set the level of the whole object, the highest one wins.
- **Granular markings** (``granular_markings``) raise the level of the properties their selectors name:
  the object is mapped once per level, each time without the properties marked above that level, so
  every node and edge it gives carries, at each level, only what that level may see.
- A reference that cannot be resolved (not defined in the bundle, not a standard TLP id), a TLP marking
  whose level cannot be read, and a malformed granular marking never default to CLEAR: what they mark
  takes the most restrictive level, TLP:RED, and the record says so in a warning.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graph_model.provenance import TLP

# The standard TLP 1.0 and 2.0 marking-definition ids.
STANDARD_TLP: dict[str, TLP] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": TLP.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": TLP.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": TLP.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": TLP.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": TLP.RED,
}
UNRESOLVED = TLP.RED  # what an unresolvable marking reference means
_FIXED = frozenset({"type", "id"})  # never hidden: without them there is no object


@dataclass(slots=True)
class Markings:
    """The marking definitions a bundle defines (on top of the standard TLP ones)."""

    levels: dict[str, TLP] = field(default_factory=lambda: dict(STANDARD_TLP))
    # Non-TLP markings (statements, PAP, …): each definition whole, as the bundle gives it.
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)
    # TLP markings whose label is not a TLP level (``TLP:TEST``): the label, for the warning.
    unknown: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, definitions: Iterable[Any]) -> Markings:
        """The markings ``definitions`` define (marking-definition objects kept from earlier: TAXII pages and
        posts; anything not an object is passed over)."""
        found = cls()
        for definition in definitions:
            if isinstance(definition, dict):
                found.learn(definition)
        return found

    def learn(self, raw: Mapping[str, Any]) -> None:
        """Read one ``marking-definition`` object (any form; nothing is rejected here)."""
        marking_id = raw.get("id")
        if not isinstance(marking_id, str):
            return
        level = definition_level(raw)
        if level is not None:
            self.levels[marking_id] = level
        elif _is_tlp(raw):
            self.levels[marking_id] = UNRESOLVED  # a TLP marking whose level cannot be read
            self.unknown[marking_id] = _label(raw)
        else:
            self.statements[marking_id] = dict(raw)

    def level(self, ref: Any, warnings: list[str]) -> TLP | None:
        """The TLP level of a reference; None for a known non-TLP marking; RED (with a warning) if unknown."""
        if isinstance(ref, str):
            if ref in self.unknown:
                warnings.append(
                    f"unknown TLP label {self.unknown[ref]!r}: treated as the most restrictive, TLP:RED"
                )
            if ref in self.levels:
                return self.levels[ref]
            if ref in self.statements:
                return None
        warnings.append("unresolvable marking reference: marked TLP:RED")
        return UNRESOLVED


def _is_tlp(raw: Mapping[str, Any]) -> bool:
    kind = raw.get("definition_type")
    name = raw.get("name")
    return (isinstance(kind, str) and kind.lower() == "tlp") or (
        isinstance(name, str) and name.upper().startswith("TLP:")
    )


def _label(raw: Mapping[str, Any]) -> str:
    """The label a TLP marking definition gives, as written (for a warning naming it)."""
    definition = raw.get("definition")
    if isinstance(definition, dict):
        for key, value in definition.items():
            if str(key).lower() == "tlp" and isinstance(value, str):
                return value[:40]
    name = raw.get("name")
    return name[:40] if isinstance(name, str) else "?"


def _parse(value: Any) -> TLP | None:
    try:
        return TLP.parse(value) if isinstance(value, str) else None
    except ValueError:
        return None


def definition_level(raw: Mapping[str, Any]) -> TLP | None:
    """The TLP level a marking definition declares, in any of the forms found in the wild (else None)."""
    marking_id = raw.get("id")
    if isinstance(marking_id, str) and marking_id in STANDARD_TLP:
        return STANDARD_TLP[marking_id]
    definition = raw.get("definition")
    kind = raw.get("definition_type")
    if isinstance(kind, str) and kind.lower() == "tlp" and isinstance(definition, dict):
        for key, value in definition.items():  # {"tlp": "red"} (STIX) or {"TLP": "TLP:RED"} (OpenCTI)
            if str(key).lower() == "tlp" and (level := _parse(value)) is not None:
                return level
    name = raw.get("name")
    if isinstance(name, str) and name.upper().startswith("TLP:") and (level := _parse(name)) is not None:
        return level
    extensions = raw.get("extensions")
    for extension in extensions.values() if isinstance(extensions, dict) else ():
        if isinstance(extension, dict) and (level := _parse(extension.get("tlp_2_0"))) is not None:
            return level
    return None


def definitions_in(objects: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The ``marking-definition`` objects among ``objects``, by id."""
    return {
        o["id"]: o
        for o in objects
        if isinstance(o, dict) and o.get("type") == "marking-definition" and isinstance(o.get("id"), str)
    }


# The key under which an object's ``stix_extra`` keeps the non-TLP marking definitions it refers to.
DEFINITIONS = "x_crimegraph_marking_definitions"


def kept(raw: Mapping[str, Any], markings: Markings) -> dict[str, Any]:
    """The non-TLP markings of an object, as its ``stix_extra`` keeps them: ``object_marking_refs`` and
    ``granular_markings`` with only the references to them (language markings kept too), and under
    :data:`DEFINITIONS` each definition they refer to, whole. Empty when there are none."""
    found: dict[str, Any] = {}
    refs = raw.get("object_marking_refs")
    ids = sorted(
        {r for r in refs if isinstance(r, str) and r in markings.statements} if isinstance(refs, list) else ()
    )
    if ids:
        found["object_marking_refs"] = ids
    granular = raw.get("granular_markings")
    entries = []
    for mark in granular if isinstance(granular, list) else ():
        if not isinstance(mark, dict) or not isinstance(mark.get("selectors"), list):
            continue
        if mark.get("marking_ref") in markings.statements or ("marking_ref" not in mark and "lang" in mark):
            # Only what this portion has (a selector of a property marked above it would say it exists).
            selectors = [s for s in mark["selectors"] if isinstance(s, str) and _exists(raw, s.split("."))]
            if selectors:
                entries.append({**mark, "selectors": selectors})
    if entries:
        found["granular_markings"] = entries
    used = {*ids, *(g["marking_ref"] for g in entries if "marking_ref" in g)}
    if used:
        found[DEFINITIONS] = {i: markings.statements[i] for i in sorted(used)}
    return found


def object_level(raw: Mapping[str, Any], markings: Markings, warnings: list[str]) -> TLP | None:
    """The level ``object_marking_refs`` give the whole object (None when it has no TLP marking)."""
    refs = raw.get("object_marking_refs")
    if refs is None:
        return None
    if not isinstance(refs, list):
        warnings.append("malformed object_marking_refs: marked TLP:RED")
        return UNRESOLVED
    levels = [level for ref in refs if (level := markings.level(ref, warnings)) is not None]
    return max(levels) if levels else None


def portions(
    raw: Mapping[str, Any], clean: dict[str, Any], markings: Markings, floor: TLP
) -> tuple[list[tuple[TLP, dict[str, Any]]], list[str]]:
    """The object to map at each level it is shared at, most restrictive first, and warnings.

    ``raw`` is the object as read (its markings are taken from it, whatever checking left out), ``clean``
    the object to map and ``floor`` the load's own level. Without granular markings: one portion.
    """
    warnings: list[str] = []
    base = max(floor, object_level(raw, markings, warnings) or floor)
    marked: list[tuple[TLP, str]] = []
    granular = raw.get("granular_markings")
    if granular is not None:
        for mark in granular if isinstance(granular, list) else [None]:
            selectors = mark.get("selectors") if isinstance(mark, dict) else None
            if not isinstance(mark, dict) or not isinstance(selectors, list):
                warnings.append("malformed granular marking: object marked TLP:RED")
                return [(max(base, UNRESOLVED), clean)], warnings
            if "marking_ref" not in mark:
                continue  # a language marking
            level = markings.level(mark["marking_ref"], warnings)
            if level is not None and level > base:
                marked.extend((level, str(s)) for s in selectors)
    levels = sorted({base, *(level for level, _ in marked)}, reverse=True)
    parts = [(levels[0], clean)]
    for level in levels[1:]:
        parts.append((level, _without(clean, [s for above, s in marked if above > level])))
    return parts, warnings


_GONE = object()


def _exists(obj: Any, path: list[str]) -> bool:
    """Whether a selector's path names something in ``obj``."""
    return _place(obj, path) is not None


def _place(obj: Any, path: list[str]) -> tuple[Any, Any] | None:
    """Where a selector's path (``labels.[1]``, ``external_references.[0].url``) leads in ``obj``: the
    mapping or list holding what it names and its key or index there; None when it names nothing. Inside
    what another selector hid already (:data:`_GONE`): ``(_GONE, None)``."""
    here = obj
    for i, step in enumerate(path):
        if here is _GONE:
            return _GONE, None
        if isinstance(here, Mapping) and step in here:
            at: Any = step
        elif (
            isinstance(here, list)
            and step[:1] == "["
            and step[-1:] == "]"
            and step[1:-1].isdecimal()
            and int(step[1:-1]) < len(here)
        ):
            at = int(step[1:-1])
        else:
            return None
        if i == len(path) - 1:
            return here, at
        here = here[at]
    return None


def _without(obj: dict[str, Any], selectors: list[str]) -> dict[str, Any]:
    """A copy of ``obj`` without what the selectors name (``description``, ``labels.[1]``,
    ``external_references.[0].url``); a selector that names nothing there hides its whole property."""
    result = copy.deepcopy(obj)
    for selector in selectors:
        path = selector.split(".")
        if not _drop(result, path):
            result.pop(path[0], None)
    for name in _FIXED:
        if name in obj:
            result[name] = obj[name]
    pruned: dict[str, Any] = _prune(result)
    return pruned


def _drop(obj: dict[str, Any], path: list[str]) -> bool:
    """Hide what a selector's path names in ``obj`` (marked :data:`_GONE`, pruned after); whether it
    named something (or lies inside what another selector hid already)."""
    found = _place(obj, path)
    if found is None:
        return False
    holder, at = found
    if holder is not _GONE:
        holder[at] = _GONE
    return True


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not _GONE}
    if isinstance(value, list):
        return [_prune(v) for v in value if v is not _GONE]
    return value
