"""Import a graph file with gephi-toolkit 0.10.1 (the library Gephi runs on) and print what Gephi holds.

    python .ci/gephi/gephi_import.py build                      # fetch and compile (cached), print the path
    python .ci/gephi/gephi_import.py FILE [NO_MERGE|SUM] [NODE_ID ...]   # JSON on stdout

The small Java program beside this script (``src/main/java/crimegraph/GephiImport.java``) is built with
Maven from ``pom.xml`` the first time: gephi-toolkit resolves from Maven Central once
``net.java.dev:stax-utils`` (published only in Gephi's own repository, unused by the import) is
excluded. The Maven repository and the build are cached under ``~/.cache/crimegraph/`` (a new build
whenever the pom or the program change), so CI builds it once per cache.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCES = (HERE / "pom.xml", HERE / "src" / "main" / "java" / "crimegraph" / "GephiImport.java")
CACHE = Path(os.environ.get("CRIMEGRAPH_CACHE", Path.home() / ".cache" / "crimegraph"))
MAIN = "crimegraph.GephiImport"
STRATEGIES = ("NO_MERGE", "SUM", "AVG", "MIN", "MAX", "FIRST", "LAST")


class GephiError(RuntimeError):
    """The program could not be built, or Gephi could not import the file."""


def _digest() -> str:
    digest = hashlib.sha256()
    for path in SOURCES:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_dir() -> Path:
    return CACHE / f"gephi-import-{_digest()}"


def ensure_built() -> list[str]:
    """The command that runs the program (``java -cp … crimegraph.GephiImport``), building it if needed."""
    done = build_dir()
    if not (done / "classpath.txt").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with (CACHE / "gephi-import.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time, whoever asks
            if not (done / "classpath.txt").exists():
                _build(done)
    classpath = (done / "classpath.txt").read_text().strip()
    return ["java", "-Xmx1g", "-Djava.awt.headless=true", "-cp", f"{done / 'classes'}:{classpath}", MAIN]


def _build(done: Path) -> None:
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise GephiError("building the Gephi import needs 'mvn' and 'java' (17+) on PATH")
    work = Path(tempfile.mkdtemp(prefix="gephi-import-", dir=CACHE))
    command = [
        "mvn",
        "-B",
        "-q",
        f"-Dmaven.repo.local={CACHE / 'm2'}",
        f"-Dgephi.build={work / 'target'}",
        "-f",
        str(HERE / "pom.xml"),
        "compile",
        "dependency:build-classpath",
        f"-Dmdep.outputFile={work / 'classpath.txt'}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if result.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
        raise GephiError(f"mvn failed ({result.returncode}):\n{tail}")
    (work / "target" / "classes").rename(work / "classes")
    shutil.rmtree(work / "target", ignore_errors=True)
    work.rename(done)


def gephi_import(path: Path, strategy: str = "NO_MERGE", samples: tuple[str, ...] = ()) -> dict[str, Any]:
    """What Gephi holds after importing ``path`` with the edge merge strategy ``strategy``."""
    if strategy not in STRATEGIES:
        raise GephiError(f"strategy is one of {', '.join(STRATEGIES)}")
    command = [*ensure_built(), str(path), strategy, *samples]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-30:])
        raise GephiError(f"gephi-toolkit failed on {path} ({result.returncode}):\n{tail}")
    found: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def main(argv: list[str]) -> int:
    if argv[:1] == ["build"]:
        print(build_dir() if ensure_built() else "")
        return 0
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    strategy = argv[1] if len(argv) > 1 else "NO_MERGE"
    print(json.dumps(gephi_import(Path(argv[0]), strategy, tuple(argv[2:])), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
