"""Set-up files agree with each other: pyproject, environment.yml and the lock file."""

from __future__ import annotations

import re
import tomllib

import yaml

from .conftest import REPO


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_deps() -> set[str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return {_name(d) for d in data["project"]["dependencies"]}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == _pyproject_deps()
    pip_part = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e ." in pip_part


def test_lock_file_pins_every_dependency_exactly():
    pins = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"unpinned line in requirements.lock: {line}"
            pins[_name(name)] = version
    missing = _pyproject_deps() - set(pins)
    assert not missing, f"requirements.lock lacks {missing}: run `make lock`"
