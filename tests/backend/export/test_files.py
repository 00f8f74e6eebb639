"""Writes that never destroy: atomic files, folders with a manifest, ``--force``, missing parents.

The failures are real: a writer raising halfway, and the CLI run under a file-size limit
(``RLIMIT_FSIZE``, as a full disk would stop it), which makes its write fail with EFBIG midway.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from backend.export.files import MANIFEST, TEMP_MARK, atomic_file, output_folder, write_file, write_folder
from graph_model.entities import make_node
from graph_model.errors import InvalidArgument
from graph_model.model import Model
from graph_model.provenance import Provenance
from graph_model.store import open_store
from tests.backend.export.graphs import seed
from tests.backend.test_cli import crimegraph


class Halfway(Exception):
    """The failure the tests inject after half of a file is written."""


def _everything(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_a_failure_halfway_leaves_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "export.gexf"
    write_file(path, b"<gexf>the earlier export</gexf>\n")
    with pytest.raises(Halfway), atomic_file(path) as handle:
        handle.write(b"<gexf>half of the new one")
        raise Halfway
    assert path.read_bytes() == b"<gexf>the earlier export</gexf>\n"
    assert [p.name for p in tmp_path.iterdir()] == ["export.gexf"]  # no temporary file left
    with pytest.raises(KeyboardInterrupt), atomic_file(path) as handle:
        handle.write(b"x" * 100_000)
        raise KeyboardInterrupt
    assert path.read_bytes() == b"<gexf>the earlier export</gexf>\n"
    assert write_file(path, "new").paths == [path] and path.read_text() == "new"


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_files_get_the_permissions_open_would_give(tmp_path: Path, mask: int) -> None:
    """Files handed to other parties are not left private (mkstemp's 0600): 0o666 & ~umask, as open()."""
    before = os.umask(mask)
    try:
        single = write_file(tmp_path / "one" / "view.html", "<html></html>").paths[0]
        folder = write_folder(tmp_path / "pkg", {"report.html": "r", "sub/bundle.json": "{}"})
        with open(tmp_path / "plain.txt", "w") as plain:  # what open() gives under this umask
            plain.write("x")
    finally:
        os.umask(before)
    expected = stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
    assert expected == 0o666 & ~mask
    written = [single, *folder.paths, tmp_path / "pkg" / MANIFEST]
    assert len(written) >= 4
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_a_missing_parent_is_created_and_said(tmp_path: Path) -> None:
    written = write_file(tmp_path / "a" / "b" / "view.html", "<html></html>")
    assert written.created == tmp_path / "a"
    assert written.notes == [f"created the folder {tmp_path / 'a'} (it did not exist)"]
    assert write_file(tmp_path / "a" / "b" / "view.html", "again").notes == []
    with pytest.raises(InvalidArgument, match="is a folder"):
        write_file(tmp_path / "a", "x")


def test_a_folder_with_a_manifest_and_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = write_folder(
        out, {"red/secret.csv": "RED data\n", "index.json": "{}\n"}, about={"clearance": "RED"}
    )
    assert first.created == out
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["clearance"] == "RED"
    assert [f["path"] for f in manifest["files"]] == ["index.json", "red/secret.csv"]
    with pytest.raises(InvalidArgument, match="not empty.*--force"):
        write_folder(out, {"index.json": "{}\n"})
    second = write_folder(out, {"index.json": "[]\n", "clear/a.csv": "a\n"}, force=True)
    assert _everything(out).keys() == {"index.json", "clear/a.csv", MANIFEST}
    assert not (out / "red").exists()  # the emptied subfolder goes too
    assert second.removed == [out / "red" / "secret.csv"] and second.created is None
    assert "removed 1 file" in second.notes[0]


def test_force_removes_only_what_crimegraph_wrote(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InvalidArgument, match="no crimegraph manifest"):
        write_folder(out, {"a.csv": "a"}, force=True)
    (out / "notes.txt").unlink()
    write_folder(out, {"a.csv": "a"})
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InvalidArgument, match=r"1 file no earlier export wrote \(notes.txt\)"):
        write_folder(out, {"a.csv": "b"}, force=True)
    assert (out / "a.csv").read_text() == "a" and (out / "notes.txt").read_text() == "mine"
    # A manifest that names something outside the folder is not trusted.
    (out / "notes.txt").unlink()
    (out / MANIFEST).write_text(json.dumps({"files": [{"path": "../victim.txt"}, {"path": "a.csv"}]}))
    (tmp_path / "victim.txt").write_text("keep me")
    with pytest.raises(InvalidArgument, match="no crimegraph manifest"):
        write_folder(out, {"a.csv": "c"}, force=True)
    assert (tmp_path / "victim.txt").read_text() == "keep me"


def test_a_folder_failing_halfway_stays_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_folder(out, {"a.csv": "old a\n", "sub/b.csv": "old b\n"})
    before = _everything(out)
    with pytest.raises(Halfway), output_folder(out, force=True) as folder:
        folder.write("a.csv", "new a\n")
        folder.write("other/c.csv", "new c\n")
        with folder.open("sub/b.csv") as handle:
            handle.write(b"half of new b")
            raise Halfway
    assert _everything(out) == before
    assert not (out / "other").exists()
    # A run killed after staging leaves temporary files; the next run recognises and removes them.
    (out / f".a.csv{TEMP_MARK}dead").write_text("left by a killed run")
    write_folder(out, {"a.csv": "new a\n"}, force=True)
    assert _everything(out).keys() == {"a.csv", MANIFEST}
    # A new folder that fails is removed again.
    with pytest.raises(Halfway), output_folder(tmp_path / "new" / "deeper") as folder:
        folder.write("x/y.csv", "y")
        raise Halfway
    assert not (tmp_path / "new").exists()


def _store(tmp_path: Path, model: Model, extra: int = 0) -> str:
    location = f"embedded:{tmp_path / 'graph.db'}"
    store = open_store(location, model)
    seed(store)
    secret = make_node(
        model, "Actor", "person", "Quiet Secret", prov=Provenance.of("secret-ops", "s1", tlp="RED")
    )
    more = [
        make_node(model, "Actor", "handle", f"handle{i:04}", prov=Provenance.of("forum", f"h{i}"))
        for i in range(extra)
    ]
    store.upsert([secret, *more], [])
    store.close()
    return location


def _limited(limit: int) -> None:
    # A full disk, in effect: writes beyond ``limit`` bytes fail with EFBIG (SIGXFSZ ignored, so the
    # process sees the error rather than dying of the signal).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_the_cli_keeps_the_earlier_export_when_the_disk_fills(tmp_path: Path, model: Model) -> None:
    # Big enough that half of it is well above what SQLite needs to open the store (its 32 KiB -shm).
    location = _store(tmp_path, model, extra=600)
    target = tmp_path / "exports" / "graph.gexf"
    first = crimegraph("--store", location, "export", "gexf", "-o", str(target), "--clearance", "GREEN")
    assert first.returncode == 0, first.stderr
    assert f"created the folder {tmp_path / 'exports'}" in first.stderr
    earlier = target.read_bytes()
    red = crimegraph(
        "--store", location, "export", "gexf", "-o", str(tmp_path / "red.gexf"), "--clearance", "RED"
    )
    assert red.returncode == 0, red.stderr
    size = (tmp_path / "red.gexf").stat().st_size
    assert size > 200_000
    failed = subprocess.run(
        [sys.executable, "-m", "backend", "--store", location, "export", "gexf", "-o", str(target)]
        + ["--clearance", "RED"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: _limited(size // 2),
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: ") and failed.stderr.count("\n") == 1, failed.stderr
    assert "File too large" in failed.stderr
    assert target.read_bytes() == earlier
    assert [p.name for p in target.parent.iterdir()] == ["graph.gexf"]


def test_the_cli_refuses_a_used_folder_and_force_leaves_no_red_behind(tmp_path: Path, model: Model) -> None:
    location = _store(tmp_path, model)
    out = tmp_path / "tables"
    red = crimegraph("--store", location, "export", "csv", "-o", str(out), "--clearance", "RED")
    assert red.returncode == 0, red.stderr
    red_files = set(_everything(out))
    assert any(name.startswith("secret-ops/") for name in red_files)
    assert b"Quiet Secret" in b"".join(_everything(out).values())
    again = crimegraph("--store", location, "export", "csv", "-o", str(out), "--clearance", "CLEAR")
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "--force" in again.stderr
    assert set(_everything(out)) == red_files
    clear = crimegraph(
        "--store", location, "export", "csv", "-o", str(out), "--clearance", "CLEAR", "--force", "--json"
    )
    assert clear.returncode == 0, clear.stderr
    summary = json.loads(clear.stdout)
    assert summary["removed"] and all("secret-ops" in p or "transactions" in p for p in summary["removed"])
    everything = b"".join(_everything(out).values())
    for secret in (b"Quiet Secret", b"bassterlord", b"bc1qsecret", b"RED"):
        assert secret not in everything, secret
    assert not (out / "secret-ops").exists()
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["clearance"] == "CLEAR"
    assert {f["path"] for f in manifest["files"]} | {MANIFEST} == set(_everything(out))


def test_rejects_views_and_packages_use_the_same_writes(tmp_path: Path, model: Model, fixtures: Path) -> None:
    location = _store(tmp_path, model)
    rejects = tmp_path / "logs" / "rejects.jsonl"
    bad = str(fixtures / "stix" / "malformed-bundle.json")
    loaded = crimegraph("--store", location, "load", "stix", bad, "--rejects", str(rejects))
    assert loaded.returncode == 0, loaded.stderr
    assert f"created the folder {tmp_path / 'logs'} (it did not exist)" in loaded.stderr
    assert rejects.read_text().count("\n") >= 3 and [p.name for p in rejects.parent.iterdir()] == [
        rejects.name
    ]
    page = tmp_path / "views" / "lockbit.html"
    view = crimegraph("--store", location, "view", "neighbourhood", "group:lockbit", "-o", str(page))
    assert view.returncode == 0, view.stderr
    assert f"created the folder {tmp_path / 'views'}" in view.stderr and page.read_text().startswith("<!")
    plan = tmp_path / "plan.json"
    planned = crimegraph("--store", location, "plan", "--budget", "2", "--json")
    assert planned.returncode == 0, planned.stderr
    plan.write_text(planned.stdout)
    packages = tmp_path / "packages"
    first = crimegraph("--store", location, "package", str(plan), "-o", str(packages), "--clearance", "RED")
    assert first.returncode == 0, first.stderr
    refused = crimegraph("--store", location, "package", str(plan), "-o", str(packages))
    assert refused.returncode == 1 and "not empty" in refused.stderr
    forced = crimegraph("--store", location, "package", str(plan), "-o", str(packages), "--force")
    assert forced.returncode == 0, forced.stderr
    manifest = json.loads((packages / MANIFEST).read_text())
    assert manifest["clearance"] == "CLEAR"
    assert {f["path"] for f in manifest["files"]} | {MANIFEST} == set(_everything(packages))
