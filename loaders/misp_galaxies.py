"""Which node kind a MISP galaxy's values become: one table, read top to bottom, with a default.

All MISP galaxies share one cluster format; only the meaning of their values differs. A galaxy type is
looked up by its exact name first, then by the first pattern it matches; anything else becomes a
Concept (``galaxy-value``), so no galaxy is refused. MISP's ``mitre-*`` galaxies reuse ATT&CK's STIX
UUIDs and carry ATT&CK ids, so their values join the ATT&CK objects loaded from STIX.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Galaxy type -> (node kind, node type).
EXACT: dict[str, tuple[str, str]] = {
    "threat-actor": ("Actor", "group"),
    "microsoft-activity-group": ("Actor", "group"),
    "360net": ("Actor", "group"),
    "mitre-ics-groups": ("Actor", "group"),
    "ransomware": ("Malware", "malware"),
    "malpedia": ("Malware", "malware"),
    # A botnet value names a family's botnet (Mirai, Necurs, Emotet), not an address or a server:
    # as Malware it meets the same family from ATT&CK, Malpedia and abuse.ch by name.
    "botnet": ("Malware", "malware"),
    "rat": ("Malware", "malware"),
    "stealer": ("Malware", "malware"),
    "backdoor": ("Malware", "malware"),
    "banker": ("Malware", "malware"),
    "android": ("Malware", "malware"),
    "ios": ("Malware", "malware"),
    "cryptominers": ("Malware", "malware"),
    "exploit-kit": ("Malware", "malware"),
    "mitre-ics-software": ("Malware", "malware"),
    "mitre-software": ("Malware", "malware"),
    "tool": ("Malware", "tool"),
    "tds": ("Malware", "tool"),
    "mitre-campaign": ("Campaign", "campaign"),
    "mitre-asset": ("Asset", "ics-asset"),
    "mitre-ics-assets": ("Asset", "ics-asset"),
    "mitre-data-component": ("Detection", "data-component"),
    "mitre-detection-strategy": ("Detection", "detection-strategy"),
    "disarm-detections": ("Detection", "detection-strategy"),
    "mitre-ics-techniques": ("Technique", "attack-pattern"),
    "mitre-fight-techniques": ("Technique", "attack-pattern"),
    "attck4fraud": ("Technique", "attack-pattern"),
    "disarm-techniques": ("Technique", "attack-pattern"),
    "dima-techniques": ("Technique", "attack-pattern"),
    "mitre-fight-mitigations": ("Mitigation", "course-of-action"),
    "disarm-countermeasures": ("Mitigation", "course-of-action"),
    "mitre-d3fend": ("Mitigation", "course-of-action"),
    "branded-vulnerability": ("Vulnerability", "cve"),
    "country": ("Location", "country"),
    "region": ("Location", "region"),
    "sector": ("Identity", "sector"),
    "target-information": ("Identity", "organization"),
    "surveillance-vendor": ("Identity", "organization"),
    "intelligence-agencies": ("Identity", "organization"),
}
# Patterns for the families of galaxies (ATT&CK domains and their old spellings, e.g. "entreprise",
# and producers' own galaxies: ``360net-threat-actor``, ``sekoia-intrusion-set``, ``x-tools``).
PATTERNS: list[tuple[re.Pattern[str], tuple[str, str]]] = [
    (re.compile(r"intrusion-set$"), ("Actor", "group")),
    (re.compile(r"(threat-actors?|activity-groups?|apt-groups?|-groups)$"), ("Actor", "group")),
    (re.compile(r"^mitre-.*malware$"), ("Malware", "malware")),
    (re.compile(r"^mitre-.*tool$"), ("Malware", "tool")),
    (
        re.compile(
            r"(^|-)(malware|ransomware|rats?|stealers?|backdoors?|bankers?|botnets?|trojans?|loaders?)$"
        ),
        ("Malware", "malware"),
    ),
    (re.compile(r"(^|-)tools?$"), ("Malware", "tool")),
    (re.compile(r"attack-pattern$"), ("Technique", "attack-pattern")),
    (re.compile(r"course-of-action$"), ("Mitigation", "course-of-action")),
]
DEFAULT: tuple[str, str] = ("Concept", "galaxy-value")
# Meta entries that only values naming an actor (or a malware family) carry, across MISP's galaxies.
ACTOR_META = frozenset(
    {
        "cfr-suspected-state-sponsor",
        "cfr-suspected-victims",
        "cfr-target-category",
        "cfr-type-of-incident",
        "attribution-confidence",
        "threat-actor-classification",
        "suspected-state-sponsor",
        "suspected-victims",
        "targeted-sector",
    }
)
MALWARE_META = frozenset(
    {"ransomnotes", "ransomnotes-refs", "ransomnotes-filenames", "encryption", "extensions"}
)


def galaxy_kind(
    galaxy_type: str, *, category: str | None = None, meta: Mapping[str, int] | None = None, values: int = 0
) -> tuple[str, str]:
    """``(node kind, node type)`` for a galaxy: its type by the table, then by the patterns; then what its
    values' meta says (most values carry actor entries, or ransomware entries), then the galaxy's
    ``category`` (``actor``); else Concept. ``meta`` counts the values carrying each meta key."""
    name = galaxy_type.strip().lower().replace("_", "-")
    if name in EXACT:
        return EXACT[name]
    for pattern, kind in PATTERNS:
        if pattern.search(name):
            return kind
    if meta and values:
        actor = max((meta.get(k, 0) for k in ACTOR_META), default=0)
        malware = max((meta.get(k, 0) for k in MALWARE_META), default=0)
        if actor * 2 >= values and actor >= malware:
            return ("Actor", "group")
        if malware * 2 >= values:
            return ("Malware", "malware")
    if (category or "").strip().lower() == "actor":
        return ("Actor", "group")
    return DEFAULT
