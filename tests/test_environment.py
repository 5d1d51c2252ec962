"""The conda environment.yml lists the same packages and ranges as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# PyPI name -> conda-forge name, where they differ.
CONDA_NAMES: dict[str, str] = {}


def _split(requirement: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return CONDA_NAMES.get(name, name), match.group(2).replace(" ", "")


def _pyproject() -> tuple[dict[str, str], str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    packages: dict[str, str] = {}
    for requirement in requirements:
        name, spec = _split(requirement)
        assert packages.get(name, spec) == spec, f"{name} has two ranges in pyproject.toml"
        packages[name] = spec
    return packages, project["requires-python"].replace(" ", "")


def _environment() -> tuple[dict[str, str], str, list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    packages: dict[str, str] = {}
    python, pip_entries = "", []
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            pip_entries += entry["pip"]
            continue
        name, spec = _split(entry)
        if name == "python":
            python = spec
        elif name != "pip":
            packages[name] = spec
    return packages, python, pip_entries


def test_environment_lists_the_same_packages_and_ranges() -> None:
    declared, _ = _pyproject()
    conda, _, _ = _environment()
    missing = sorted(set(declared) - set(conda))
    extra = sorted(set(conda) - set(declared))
    assert not missing, f"in pyproject.toml but not environment.yml: {missing}"
    assert not extra, f"in environment.yml but not pyproject.toml: {extra}"
    differ = {
        name: (declared[name], conda[name]) for name in declared if declared[name] != conda[name]
    }
    assert not differ, f"version ranges differ (pyproject, environment.yml): {differ}"


def test_environment_python_and_package_install() -> None:
    _, requires_python = _pyproject()
    _, python, pip_entries = _environment()
    assert python == requires_python
    assert pip_entries == ["--editable ."], "environment.yml must install companion itself"


def test_constraints_pin_every_declared_package() -> None:
    declared, _ = _pyproject()
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[re.sub(r"[-_.]+", "-", name).lower()] = version
    unpinned = sorted(set(declared) - set(pinned))
    assert not unpinned, f"declared but not pinned in constraints.txt (run `make lock`): {unpinned}"
