"""What this machine has and lacks for crimegraph and its tests, each finding with a fix.

``crimegraph doctor`` prints these. Required findings (Python, the declared packages, the store) make it
exit 1 when they fail; with ``--tests`` so do the tools the test suite drives (Java and Maven for the Neo4j
test server, Debian's Chromium for the view tests, Node.js/npm for the GraphQL-over-HTTP audit).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from backend.settings import Settings
from graph_model.provenance import TLP
from graph_model.store.open import NEO4J_SCHEMES

MIN_PYTHON = (3, 11)
MIN_JAVA = 17
NEO4J_CACHE = Path(os.environ.get("CRIMEGRAPH_NEO4J_CACHE", "~/.cache/crimegraph")).expanduser()


@dataclass(frozen=True)
class Finding:
    """One check: what was looked at, whether it is fine, what was found and how to fix it."""

    check: str
    ok: bool
    found: str
    fix: str = ""
    required: bool = True

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "MISSING" if self.required else "warning"

    def as_dict(self) -> dict[str, object]:
        return {
            "check": self.check,
            "status": self.status,
            "required": self.required,
            "found": self.found,
            "fix": self.fix,
        }


def _command_version(argv: list[str]) -> str | None:
    """The first line a tool prints about its version, or None when it is not there or fails."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout or done.stderr).strip()
    return text.splitlines()[0] if done.returncode == 0 and text else None


def python() -> Finding:
    version = ".".join(map(str, sys.version_info[:3]))
    return Finding(
        "Python",
        sys.version_info[:2] >= MIN_PYTHON,
        f"{version} at {sys.executable}",
        "install Python 3.11 or newer (Debian/Ubuntu: apt-get install python3 python3-venv)",
    )


def packages(extras: tuple[str, ...], *, required: bool) -> list[Finding]:
    """One finding per declared requirement of crimegraph (its base, or the given extras)."""
    try:
        declared = metadata.requires("crimegraph") or []
    except metadata.PackageNotFoundError:
        return [
            Finding(
                "crimegraph package",
                False,
                "not installed (running from a source tree?)",
                "pip install -e . from the repository (or `make demo`)",
            )
        ]
    findings: list[Finding] = []
    fine: list[str] = []
    for line in declared:
        req = Requirement(line)
        extra = _extra_of(req)
        if extra not in extras:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": extra or ""}):
            continue
        where = f" [{extra}]" if extra else ""
        fix = f"pip install -e '.[{extra}]'" if extra else "pip install -e ."
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            findings.append(Finding(f"{req.name}{where}", False, "not installed", fix, required))
            continue
        if not req.specifier or req.specifier.contains(version, prereleases=True):
            fine.append(f"{req.name} {version}")
        else:
            findings.append(
                Finding(f"{req.name}{where}", False, f"{version}, needs {req.specifier}", fix, required)
            )
    if fine:
        group = f"packages ({extras[0]} extra)" if extras[0] else "packages"
        findings.insert(0, Finding(group, True, f"{len(fine)} installed as declared"))
    return findings


def _extra_of(req: Requirement) -> str:
    match = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", str(req.marker or ""))
    return match.group(1) if match else ""


def store(settings: Settings, location: str | None) -> Finding:
    """Whether the store crimegraph would use opens, without creating an embedded file that is not there."""
    where = location or settings.store
    if not where.startswith(NEO4J_SCHEMES):
        file = Path(where.removeprefix("embedded:")).expanduser()
        if not file.exists():
            folder = file.parent if str(file.parent) else Path(".")
            writable = folder.is_dir() and os.access(folder, os.W_OK)
            return Finding(
                "store",
                writable,
                f"{where}: not created yet (the first load creates it)",
                f"make {folder} a writable folder, or set CRIMEGRAPH_STORE / --store",
            )
    try:
        opened = settings.open_store(location=where)
    except Exception as exc:  # whatever the driver or SQLite says is the finding
        return Finding("store", False, f"{where}: {' '.join(str(exc).split())[:200]}", _store_fix(where))
    try:
        counts = opened.stats(clearance=TLP.RED).as_dict()
    except Exception as exc:
        return Finding("store", False, f"{where}: {' '.join(str(exc).split())[:200]}", _store_fix(where))
    finally:
        opened.close()
    return Finding("store", True, f"{where}: {counts['total_nodes']} nodes, {counts['total_edges']} edges")


def _store_fix(where: str) -> str:
    if where.startswith(NEO4J_SCHEMES):
        return (
            "start Neo4j (docker compose up -d, or python3 .ci/neo4j/neo4j_server.py start --port 7687) "
            "and check NEO4J_USER / NEO4J_PASSWORD"
        )
    return "check the file is a crimegraph store and its folder is writable, or choose another with --store"


def neo4j_for_tests() -> Finding:
    """Tests use NEO4J_URI when set, else start their own server from the Maven Central jars."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return Finding(
            "Neo4j for tests", True, "NEO4J_URI not set: the tests start Neo4j 5.26 from Maven Central jars"
        )
    from neo4j import GraphDatabase

    auth = (os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""))
    try:
        with GraphDatabase.driver(uri, auth=auth, connection_timeout=5.0) as driver:
            driver.verify_connectivity()
    except Exception as exc:
        return Finding(
            "Neo4j for tests",
            False,
            f"{uri}: {' '.join(str(exc).split())[:160]}",
            "start it, fix NEO4J_USER/NEO4J_PASSWORD, or unset NEO4J_URI so the tests start their own",
        )
    return Finding("Neo4j for tests", True, f"{uri} answers")


def java(*, required: bool) -> Finding:
    line = _command_version(["java", "-version"])
    match = re.search(r'version "(\d+)', line or "")
    major = int(match.group(1)) if match else 0
    return Finding(
        "Java (Neo4j test server)",
        major >= MIN_JAVA,
        line or "not found",
        "apt-get install openjdk-17-jre-headless",
        required,
    )


def maven(*, required: bool) -> Finding:
    cached = sorted(NEO4J_CACHE.glob("neo4j-*/lib/*.jar"))
    line = _command_version(["mvn", "-v"])
    if line:
        return Finding("Maven (fetches the Neo4j jars)", True, line)
    if cached:
        return Finding("Maven (fetches the Neo4j jars)", True, f"not found; jars already in {NEO4J_CACHE}")
    return Finding("Maven (fetches the Neo4j jars)", False, "not found", "apt-get install maven", required)


def chromium(*, required: bool) -> Finding:
    line = _command_version(["chromium", "--version"])
    return Finding(
        "Chromium (view tests)",
        line is not None,
        line or "not found",
        "bash .ci/install-chromium.sh (Debian's chromium package)",
        required,
    )


def node(*, required: bool) -> list[Finding]:
    return [
        Finding(
            f"{name} (GraphQL-over-HTTP audit)",
            line is not None,
            line or "not found",
            "apt-get install nodejs npm",
            required,
        )
        for name, line in (
            ("Node.js", _command_version(["node", "--version"])),
            ("npm", _command_version(["npm", "--version"])),
        )
    ]


def diagnose(location: str | None = None, *, tests: bool = False) -> list[Finding]:
    """Every finding, required ones first; ``tests`` makes the test suite's tools required."""
    settings = Settings()
    findings = [python(), *packages(("",), required=True), store(settings, location)]
    findings += packages(("serve",), required=False)
    findings += packages(("test",), required=tests)
    findings += [neo4j_for_tests(), java(required=tests), maven(required=tests), chromium(required=tests)]
    findings += node(required=tests)
    return findings
