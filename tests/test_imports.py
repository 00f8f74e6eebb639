"""Every module of the package imports with what ``pyproject.toml`` declares.

CI runs the suite in a virtual environment it creates from nothing (``.ci/run``), so a module that needs
an undeclared package fails here, by name, instead of as a feature that breaks for users.
"""

from __future__ import annotations

import importlib
import pkgutil
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backend", "graph_model", "loaders", "queries")


def _modules() -> list[str]:
    names: list[str] = []
    for package in PACKAGES:
        names.append(package)
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            if not info.name.endswith("__main__"):  # running it would start the CLI
                names.append(info.name)
    return sorted(names)


MODULES = _modules()


def test_the_package_has_modules() -> None:
    assert len(MODULES) > 50, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name: str) -> None:
    importlib.import_module(name)


def test_declared_dependencies_are_installed_at_their_versions() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in ("test", "serve"):
        declared += project["optional-dependencies"][extra]
    problems = []
    for line in declared:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{req.name}: not installed")
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name} {version} does not satisfy {req.specifier}")
    assert not problems, problems


def test_no_dependency_is_listed_twice() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for group in [project["dependencies"], *project["optional-dependencies"].values()]:
        names = [Requirement(line).name.lower() for line in group]
        assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
