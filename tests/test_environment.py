"""Set-up files agree with each other: pyproject, environment.yml and the lock file.

pyproject.toml splits packages into the runtime `dependencies` and the `dev` extra (tests, lint,
notebook hygiene). environment.yml and requirements.lock serve developers, so both must cover the
union of the two.
"""

from __future__ import annotations

import re
import tomllib

import yaml

from .conftest import REPO

DEV_EXTRA = "dev"


def _name(req: str) -> str:
    """Canonical (PEP 503) project name of a requirement string: `Pre_Commit>=4` -> `pre-commit`."""
    raw = re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", raw).lower()


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _runtime_deps() -> set[str]:
    return {_name(d) for d in _pyproject()["dependencies"]}


def _dev_deps() -> set[str]:
    return {_name(d) for d in _pyproject()["optional-dependencies"][DEV_EXTRA]}


def _all_deps() -> set[str]:
    return _runtime_deps() | _dev_deps()


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"unpinned line in requirements.lock: {line}"
            pins[_name(name)] = version
    return pins


def test_name_canonicalises_like_pip():
    assert _name("pre_commit==4.7.0") == "pre-commit"
    assert _name("PyYAML>=6") == "pyyaml"
    assert _name("jupyter.core [extra]") == "jupyter-core"


def test_dev_tools_are_an_extra_not_runtime_dependencies():
    runtime, dev = _runtime_deps(), _dev_deps()
    assert {"pytest", "hypothesis", "nbval", "ruff", "pre-commit", "nbstripout", "jupytext"} <= dev
    assert not runtime & dev, f"listed both as runtime and dev: {runtime & dev}"


def test_environment_yml_lists_the_same_packages_as_pyproject():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    expected = _all_deps()
    assert conda == expected, f"only in environment.yml: {conda - expected}; missing: {expected - conda}"
    pip_part = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e ." in pip_part


def test_lock_file_pins_every_dependency_exactly():
    missing = _all_deps() - set(_lock_pins())
    assert not missing, f"requirements.lock lacks {missing}: install them and add their pins"
