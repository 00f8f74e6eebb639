#!/usr/bin/env python3
"""Run a real Neo4j 5.26 LTS Community server from Maven Central jars, without Docker.

Library:  ``server = start(Path("/tmp/n4j"), bolt_port=7687); ...; server.stop()``
Script:   ``python .ci/neo4j/neo4j_server.py start|stop|status [--home DIR] [--port N]
          [--heap 1g] [--pagecache 512m] [--password PW]``  (``--port 0`` picks a free port)

Jars are resolved once with Maven (``pom.xml`` beside this file) into
``$CRIMEGRAPH_NEO4J_CACHE`` (default ``~/.cache/crimegraph/neo4j-5.26.30/lib``).
The server runs ``org.neo4j.server.CommunityEntryPoint`` with a generated ``neo4j.conf``,
listens on 127.0.0.1 only and requires auth (user ``neo4j``); the initial password is set
with ``neo4j-admin dbms set-initial-password`` (class ``org.neo4j.cli.AdminTool``).
Stdlib only; the ``neo4j`` Python driver is used for the readiness check when importable.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

NEO4J_VERSION = "5.26.30"
USER = "neo4j"
DEFAULT_PASSWORD = "crimegraph-test"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
HOST = "127.0.0.1"
POM = Path(__file__).resolve().with_name("pom.xml")
PID_FILE = "run/crimegraph-neo4j.json"
# Subset of the JVM options the official distribution's neo4j.conf passes (Java 17).
JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
]


class Neo4jServerError(RuntimeError):
    """The server could not be resolved, started or reached."""


def lib_dir() -> Path:
    """Directory holding the Neo4j jars (env ``CRIMEGRAPH_NEO4J_CACHE`` overrides)."""
    env = os.environ.get("CRIMEGRAPH_NEO4J_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "crimegraph" / f"neo4j-{NEO4J_VERSION}" / "lib"


def ensure_jars(quiet: bool = True) -> Path:
    """Download the server jars from Maven Central once; return the jar directory."""
    lib = lib_dir()
    marker = lib / ".complete"
    if marker.is_file():
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jServerError("Maven ('mvn') is required to fetch the Neo4j jars")
    tmp = lib.with_name(f".{lib.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        mvn,
        "-B",
        "-Dstyle.color=never",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
    ]
    cmd += [f"-Dneo4j.lib.dir={tmp}"] + (["-q"] if quiet else [])
    if not quiet:
        print(
            f"Fetching Neo4j {NEO4J_VERSION} jars from Maven Central into {lib}",
            flush=True,
        )
    proc = subprocess.run(cmd, capture_output=quiet, text=True, check=False)
    if proc.returncode != 0 or not (tmp / f"neo4j-{NEO4J_VERSION}.jar").is_file():
        out = (proc.stdout or "") + (proc.stderr or "")
        raise Neo4jServerError(f"mvn failed ({proc.returncode}):\n{out[-4000:]}")
    (tmp / ".complete").write_text(NEO4J_VERSION + "\n")
    if lib.is_dir() and not marker.is_file():
        shutil.rmtree(lib)  # an earlier, interrupted download
    try:
        tmp.rename(lib)
    except OSError:  # a concurrent download won the race
        shutil.rmtree(tmp, ignore_errors=True)
    return lib


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return True
    return False


def write_conf(home: Path, bolt_port: int, heap: str, pagecache: str) -> Path:
    """Generate ``home/conf/neo4j.conf``; return the config dir."""
    conf_dir = home / "conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        "server.directories.data": home / "data",
        "server.directories.logs": home / "logs",
        "server.directories.run": home / "run",
        "server.directories.import": home / "import",
        "server.directories.plugins": home / "plugins",
        "server.default_listen_address": HOST,
        "server.default_advertised_address": HOST,
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": f"{HOST}:{bolt_port}",
        "server.bolt.tls_level": "DISABLED",
        "server.http.enabled": "false",
        "server.https.enabled": "false",
        "dbms.security.auth_enabled": "true",
        "server.memory.heap.initial_size": heap,
        "server.memory.heap.max_size": heap,
        "server.memory.pagecache.size": pagecache,
        "dbms.usage_report.enabled": "false",
        "db.tx_log.rotation.retention_policy": "2 files",
        # Bolt's netty shutdown otherwise idles 2 x 5 s on every stop.
        "internal.dbms.bolt.netty_server_shutdown_quiet_period": "0",
    }
    text = "".join(f"{k}={v}\n" for k, v in settings.items())
    (conf_dir / "neo4j.conf").write_text("# Generated by .ci/neo4j/neo4j_server.py\n" + text)
    return conf_dir


def _bolt_handshake(port: int, timeout: float = 2.0) -> bool:
    """TCP connect + Bolt handshake (propose 5.0-5.4 and 4.4); True if a version is agreed."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(bytes.fromhex("6060B01700040405000004040000000000000000"))
            reply = s.recv(4)
            return len(reply) == 4 and reply != b"\x00\x00\x00\x00"
    except OSError:
        return False


def _bolt_ready(port: int, user: str, password: str) -> bool:
    """True once Bolt accepts a login; raises Neo4jServerError on rejected credentials."""
    if not _bolt_handshake(port):
        return False
    try:
        import neo4j
    except ImportError:
        return True
    try:
        with neo4j.GraphDatabase.driver(f"bolt://{HOST}:{port}", auth=(user, password)) as drv:
            drv.verify_connectivity()
    except neo4j.exceptions.AuthError as exc:
        raise Neo4jServerError(f"server is up but refused {user!r}: {exc}") from exc
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError):
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[-1].startswith("Z"))


def _is_our_java(pid: int) -> bool:
    try:
        return ENTRY_POINT.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return sys.platform != "linux"


@dataclass
class Server:
    """A running Neo4j server process."""

    home: Path
    bolt_port: int
    pid: int
    user: str = USER
    password: str = DEFAULT_PASSWORD
    startup_seconds: float = 0.0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def uri(self) -> str:
        return f"bolt://{HOST}:{self.bolt_port}"

    def running(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return _alive(self.pid) and _is_our_java(self.pid)

    def rss_mib(self) -> float | None:
        """Resident set size of the JVM (Linux), in MiB."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return None

    def log_tail(self, lines: int = 20) -> str:
        return log_tail(self.home, lines)

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM (clean Neo4j shutdown), wait up to ``timeout``, then SIGKILL."""
        if self.running():
            self._signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.2)
            if self.running():
                self._signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()
        (self.home / PID_FILE).unlink(missing_ok=True)

    def _signal(self, sig: signal.Signals) -> None:
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def log_tail(home: Path, lines: int = 20) -> str:
    """Last lines of console.log and neo4j.log, and the last WARN/ERROR lines of debug.log."""
    parts = []
    for name in ("console.log", "neo4j.log", "debug.log"):
        path = home / "logs" / name
        if not path.is_file():
            continue
        text = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
        if name == "debug.log":
            text = [ln for ln in text if " WARN " in ln or " ERROR " in ln]
        if text:
            parts.append(f"--- {path} ---\n" + "\n".join(text[-lines:]))
    return "\n".join(parts) or f"(no logs in {home / 'logs'})"


def set_initial_password(home: Path, lib: Path, password: str) -> None:
    """``neo4j-admin dbms set-initial-password`` (writes data/dbms/auth.ini) before first start."""
    if len(password) < 8:
        raise ValueError("Neo4j requires passwords of at least 8 characters")
    if (home / "data" / "databases" / "system").exists():
        return  # already initialised: the password lives in the system database
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(home / "conf"))
    cmd = [
        "java",
        "-cp",
        f"{lib}/*",
        ADMIN_TOOL,
        "dbms",
        "set-initial-password",
        password,
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).strip().splitlines()
        raise Neo4jServerError("set-initial-password failed:\n" + "\n".join(out[-25:]))


def start(
    home: Path,
    bolt_port: int = 7687,
    heap: str = "1g",
    pagecache: str = "512m",
    password: str = DEFAULT_PASSWORD,
    timeout: float = 180.0,
    detach: bool = False,
    quiet: bool = False,
) -> Server:
    """Start Neo4j in ``home`` and wait until Bolt accepts ``neo4j``/``password``.

    ``detach=True`` lets the server outlive this Python process (used by the CLI);
    otherwise it is sent SIGTERM if this process dies.
    """
    t0 = time.monotonic()
    home = home.resolve()
    if bolt_port == 0:
        bolt_port = free_port()
    if port_in_use(bolt_port):
        raise Neo4jServerError(f"port {HOST}:{bolt_port} is busy; pass a free port (--port 0)")
    if shutil.which("java") is None:
        raise Neo4jServerError("'java' (17+) is required on PATH")
    lib = ensure_jars(quiet=quiet)
    for sub in ("logs", "run", "data", "import", "plugins"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    conf_dir = write_conf(home, bolt_port, heap, pagecache)
    set_initial_password(home, lib, password)
    # Unless detached, the JVM gets SIGTERM if this Python process dies: no leaked servers.
    setpriv = shutil.which("setpriv")
    cmd = [setpriv, "--pdeathsig", "TERM", "--"] if setpriv and not detach else []
    cmd += ["java", f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS, "-cp", f"{lib}/*", ENTRY_POINT]
    cmd += [f"--home-dir={home}", f"--config-dir={conf_dir}"]
    with (home / "logs" / "console.log").open("ab") as console:
        proc = subprocess.Popen(
            cmd,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=detach,
        )
    server = Server(home, bolt_port, proc.pid, USER, password, process=proc)
    (home / PID_FILE).write_text(json.dumps({"pid": proc.pid, "bolt_port": bolt_port}))
    deadline = t0 + timeout
    try:
        while not _bolt_ready(bolt_port, USER, password):
            if proc.poll() is not None:
                raise Neo4jServerError(f"Neo4j exited with code {proc.returncode}")
            if time.monotonic() > deadline:
                raise Neo4jServerError(f"Bolt not ready on port {bolt_port} after {timeout:.0f}s")
            time.sleep(0.25)
    except Neo4jServerError as exc:
        server.stop(timeout=20)
        raise Neo4jServerError(f"{exc}\n{log_tail(home)}") from None
    server.startup_seconds = time.monotonic() - t0
    if not quiet:
        print(
            f"Neo4j {NEO4J_VERSION} (Maven Central jars) ready at {server.uri}",
            flush=True,
        )
    return server


def attach(home: Path) -> Server | None:
    """The server recorded in ``home``'s pid file, if it is still running."""
    try:
        info = json.loads((home.resolve() / PID_FILE).read_text())
    except (OSError, ValueError):
        return None
    server = Server(home.resolve(), int(info["bolt_port"]), int(info["pid"]))
    return server if server.running() else None


def main(argv: list[str] | None = None) -> int:
    default_home = Path.home() / ".cache" / "crimegraph" / "neo4j-home"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("command", choices=["start", "stop", "status", "fetch"])
    ap.add_argument("--home", type=Path, default=default_home, help=f"default {default_home}")
    ap.add_argument("--port", type=int, default=7687, help="Bolt port; 0 = pick a free one")
    ap.add_argument("--heap", default="1g")
    ap.add_argument("--pagecache", default="512m")
    ap.add_argument("--password", default=os.environ.get("NEO4J_PASSWORD", DEFAULT_PASSWORD))
    ap.add_argument("--timeout", type=float, default=180.0)
    args = ap.parse_args(argv)
    running = attach(args.home)
    try:
        if args.command == "fetch":
            print(f"Neo4j {NEO4J_VERSION} jars in {ensure_jars(quiet=False)}")
        elif args.command == "start":
            if running is not None:
                print(f"already running (pid {running.pid}) at {running.uri}")
                return 0
            srv = start(
                args.home,
                args.port,
                args.heap,
                args.pagecache,
                args.password,
                args.timeout,
                True,
            )
            rss = srv.rss_mib() or 0.0
            print(f"pid {srv.pid}, started in {srv.startup_seconds:.1f}s, RSS {rss:.0f} MiB")
        elif args.command == "stop":
            if running is None:
                print("not running")
                return 0
            running.stop()
            print(f"stopped (pid {running.pid})")
        else:
            if running is None:
                print("not running")
                return 3
            state = "ready" if _bolt_handshake(running.bolt_port) else "starting"
            print(f"running (pid {running.pid}, {state}) at {running.uri}")
    except Neo4jServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
