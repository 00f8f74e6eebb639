"""The manifest that lets a package be verified later: every file with its SHA-256 and size, when the package
was made, by whom (who is asking), from which data version of the store, at which clearance.

``verify(folder)`` reads ``manifest.json`` back and checks every listed file byte for byte (its SHA-256), and
that no file was added (the never-destroy writer's own folder manifest aside).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.export.files import MANIFEST as FOLDER_MANIFEST
from graph_model.errors import InvalidArgument

MANIFEST = "manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(files: dict[str, bytes], about: dict[str, Any]) -> bytes:
    """The manifest of ``files`` (relative name -> bytes) with ``about`` (time, requester, data version)."""
    listed = [
        {"path": name, "sha256": sha256(data), "bytes": len(data)} for name, data in sorted(files.items())
    ]
    document = {"manifest": "crimegraph takedown package", **about, "files": listed}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(slots=True)
class Verified:
    """What ``verify`` found: files whose bytes changed, files missing, files not listed."""

    checked: int = 0
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    about: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.unlisted)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "changed": self.changed,
            "missing": self.missing,
            "unlisted": self.unlisted,
            **{k: self.about.get(k) for k in ("created", "requester", "data_version", "clearance")},
        }


def verify(folder: Path) -> Verified:
    """Check ``folder`` against its ``manifest.json``; InvalidArgument when there is no readable manifest."""
    path = folder / MANIFEST
    try:
        document = json.loads(path.read_text("utf-8"))
        listed = {str(f["path"]): (str(f["sha256"]), int(f["bytes"])) for f in document["files"]}
    except FileNotFoundError:
        raise InvalidArgument(f"{folder}: no {MANIFEST} (not a takedown package folder)") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument(f"{path}: not a package manifest ({exc})") from None
    result = Verified(about={k: v for k, v in document.items() if k != "files"})
    for name, (digest, _) in sorted(listed.items()):
        target = folder / name
        if not target.is_file():
            result.missing.append(name)
            continue
        result.checked += 1
        if sha256(target.read_bytes()) != digest:
            result.changed.append(name)
    present = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    result.unlisted = [n for n in present if n not in listed and n not in (MANIFEST, FOLDER_MANIFEST)]
    return result
