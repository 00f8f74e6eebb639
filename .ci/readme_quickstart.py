"""Run README's quick start exactly as written, as a new user would; exit 1 if any command fails.

The two bash blocks after the ``<!-- quickstart:serve`` and ``<!-- quickstart:next -->`` markers are run
from the repository's folder: the first in the background (``make demo`` builds the demo graph and serves
it), then the ``curl`` the demo prints is executed as printed, then the second block (the "other terminal"
commands) runs in one bash with ``set -euo pipefail``. The demo is stopped at the end.

Usage: ``python3 .ci/readme_quickstart.py`` (CI calls it from ``.ci/run``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 900  # `make demo` installs into .venv first
CREATED = (
    "crimegraph-demo.db",
    "crimegraph-demo.db-wal",
    "crimegraph-demo.db-shm",
    "plan.json",
    "plan.html",
    "rejects.jsonl",
)


def block_after(readme: str, marker: str) -> str:
    at = readme.index(marker)
    match = re.compile(r"```bash\n(.*?)```", re.S).search(readme, at)
    if match is None:
        raise SystemExit(f"README: no bash block after {marker!r}")
    return match.group(1)


def main() -> int:
    readme = (ROOT / "README.md").read_text()
    serve_block = block_after(readme, "<!-- quickstart:serve")
    next_block = block_after(readme, "<!-- quickstart:next -->")
    existed = {name for name in CREATED if (ROOT / name).exists()}
    print(f"quick start, first terminal:\n{serve_block}", flush=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "400"}
    demo = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", serve_block],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    lines: list[str] = []
    found = threading.Event()
    curl: list[str] = []

    def read() -> None:
        assert demo.stdout is not None
        for line in demo.stdout:
            lines.append(line)
            print(f"  demo| {line}", end="", flush=True)
            if not curl and (m := re.match(r"try: (curl .*)$", line.strip())):
                curl.append(m.group(1))
                found.set()
        found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not found.wait(STARTUP_SECONDS) or not curl:
            print("FAILED: the demo printed no `try: curl ...` line", file=sys.stderr)
            return 1
        print(f"\nthe printed curl, as printed:\n{curl[0]}", flush=True)
        deadline = time.monotonic() + 120
        while True:
            done = subprocess.run(["bash", "-c", curl[0]], capture_output=True, text=True, cwd=ROOT)
            try:
                totals = json.loads(done.stdout)["data"]["stats"]
                break
            except (ValueError, KeyError, TypeError):
                if time.monotonic() > deadline or demo.poll() is not None:
                    print(
                        f"FAILED: the printed curl answered {done.stdout!r} {done.stderr!r}", file=sys.stderr
                    )
                    return 1
                time.sleep(1)
        print(f"it answered: {totals}", flush=True)
        if not totals.get("totalNodes"):
            print("FAILED: the demo graph is empty", file=sys.stderr)
            return 1
        print(f"\nquick start, other terminal:\n{next_block}", flush=True)
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", next_block], cwd=ROOT, env=env)
        if done.returncode != 0:
            print(f"FAILED: the other-terminal commands exited {done.returncode}", file=sys.stderr)
            return 1
        json.loads((ROOT / "plan.json").read_text())
        print("README quick start: every command worked as written", flush=True)
        return 0
    finally:
        try:
            os.killpg(demo.pid, signal.SIGINT)
            demo.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        for name in set(CREATED) - existed:
            (ROOT / name).unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
