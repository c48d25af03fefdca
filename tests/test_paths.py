"""Where the project root is: $ASN_EVAL_ROOT, an editable checkout, or the folder asn-eval runs in.

Each branch of ``find_project_root`` is tested on a fake layout in a temporary folder; the last
tests go through ``project_root()`` itself, with the environment and working directory patched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import paths
from helpers.errors import UsageError
from helpers.paths import ROOT_ENV, find_project_root

from .conftest import REPO

NOT_FOUND = "cannot find the project root: set ASN_EVAL_ROOT or run asn-eval from the project folder"


def _project(folder: Path) -> Path:
    """A folder that looks like the project to someone running asn-eval in it."""
    (folder / "notebooks").mkdir(parents=True)
    (folder / "data").mkdir()
    return folder


def _installed_package(tmp_path: Path) -> Path:
    """The package as a non-editable install puts it: inside an environment's site-packages."""
    package = tmp_path / "env" / "lib" / "python3.11" / "site-packages" / "helpers"
    package.mkdir(parents=True, exist_ok=True)
    return package


def _checkout(folder: Path, name: str = "asn-eval") -> Path:
    """A source checkout, ``<folder>/src/helpers`` beside a pyproject.toml; returns the package dir."""
    (folder / "src" / "helpers").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n', encoding="utf-8")
    return folder / "src" / "helpers"


def _elsewhere(tmp_path: Path) -> Path:
    """A working directory with no project anywhere above it (inside the temporary folder)."""
    folder = tmp_path / "somewhere" / "else"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(autouse=True)
def _no_project_above_tmp(tmp_path):
    """The walk up from a temporary folder must not find a real project by accident."""
    for folder in tmp_path.parents:
        if paths._looks_like_project(folder):
            pytest.skip(f"{folder} looks like a project, so the cwd tests would find it")


# ---------------------------------------------------------------- 1. $ASN_EVAL_ROOT


def test_env_root_wins_over_checkout_and_cwd(tmp_path):
    root = (tmp_path / "root").resolve()
    root.mkdir()
    package = _checkout(tmp_path / "checkout")
    cwd = _project(tmp_path / "cwd")
    assert find_project_root(str(root), package, cwd) == root


def test_env_root_is_resolved(tmp_path):
    (tmp_path / "root").mkdir()
    winding = str(tmp_path / "root" / ".." / "root")
    assert find_project_root(winding, tmp_path, tmp_path) == (tmp_path / "root").resolve()


@pytest.mark.parametrize("make", [lambda p: None, lambda p: p.write_text("not a folder")], ids=["missing", "file"])
def test_env_root_that_is_not_a_folder_is_a_usage_error(tmp_path, make):
    target = tmp_path / "root"
    make(target)
    with pytest.raises(UsageError, match=f"{ROOT_ENV} is set to '.*root', which is not an existing folder"):
        find_project_root(str(target), _checkout(tmp_path / "checkout"), _project(tmp_path / "cwd"))


def test_env_root_inside_site_packages_is_refused(tmp_path):
    package = _installed_package(tmp_path)
    with pytest.raises(UsageError, match="site-packages"):
        find_project_root(str(package), package, _project(tmp_path / "cwd"))


def test_empty_env_counts_as_unset(tmp_path):
    package = _checkout(tmp_path / "checkout")
    assert find_project_root("", package, _elsewhere(tmp_path)) == (tmp_path / "checkout").resolve()


# ---------------------------------------------------------------- 2. editable checkout


def test_editable_checkout_is_the_root_wherever_asn_eval_runs(tmp_path):
    package = _checkout(tmp_path / "checkout")
    other = _project(tmp_path / "other-project")
    assert find_project_root(None, package, other) == (tmp_path / "checkout").resolve()
    assert find_project_root(None, package, _elsewhere(tmp_path)) == (tmp_path / "checkout").resolve()


def test_src_layout_without_pyproject_is_not_a_checkout(tmp_path):
    package = tmp_path / "loose" / "src" / "helpers"
    package.mkdir(parents=True)
    cwd = _project(tmp_path / "project")
    assert find_project_root(None, package, cwd) == cwd.resolve()


def test_package_not_under_src_is_not_a_checkout(tmp_path):
    package = tmp_path / "vendored" / "lib" / "helpers"
    package.mkdir(parents=True)
    (tmp_path / "vendored" / "pyproject.toml").write_text('[project]\nname = "asn-eval"\n')
    with pytest.raises(UsageError):
        find_project_root(None, package, _elsewhere(tmp_path))


# ---------------------------------------------------------------- 3. installed package: the cwd


def test_installed_package_uses_the_project_folder_it_runs_in(tmp_path):
    project = _project(tmp_path / "project")
    assert find_project_root(None, _installed_package(tmp_path), project) == project.resolve()


def test_installed_package_finds_the_nearest_project_above_the_cwd(tmp_path):
    package = _installed_package(tmp_path)
    outer = _project(tmp_path / "outer")
    inner = _project(outer / "data" / "inner")
    assert find_project_root(None, package, outer / "notebooks") == outer.resolve()
    (inner / "notebooks" / "deep").mkdir()
    assert find_project_root(None, package, inner / "notebooks" / "deep") == inner.resolve()


@pytest.mark.parametrize("name", ["asn-eval", "asn_eval", "ASN.Eval"])
def test_pyproject_naming_asn_eval_marks_the_project(tmp_path, name):
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n')
    assert find_project_root(None, _installed_package(tmp_path), project / "sub") == project.resolve()


@pytest.mark.parametrize(
    "text",
    ['[project]\nname = "other-tool"\n', "[project\nname = broken", "[tool.x]\na = 1\n", 'project = "asn-eval"\n'],
)
def test_other_or_broken_pyproject_does_not_mark_the_project(tmp_path, text):
    folder = _elsewhere(tmp_path)
    (folder / "pyproject.toml").write_text(text)
    with pytest.raises(UsageError):
        find_project_root(None, _installed_package(tmp_path), folder)


def test_only_notebooks_or_only_data_is_not_the_project(tmp_path):
    folder = _elsewhere(tmp_path)
    (folder / "notebooks").mkdir()
    (folder / "sub").mkdir()
    (folder / "sub" / "data").mkdir()
    with pytest.raises(UsageError):
        find_project_root(None, _installed_package(tmp_path), folder / "sub")


def test_nothing_found_names_both_ways_out(tmp_path):
    with pytest.raises(UsageError) as err:
        find_project_root(None, _installed_package(tmp_path), _elsewhere(tmp_path))
    assert str(err.value) == NOT_FOUND


# ---------------------------------------------------------------- never inside site-packages


def test_a_project_like_folder_inside_site_packages_is_skipped(tmp_path):
    package = _installed_package(tmp_path)
    _project(package.parent)  # site-packages/ holding notebooks/ and data/: a coincidence, not the project
    with pytest.raises(UsageError, match="cannot find the project root"):
        find_project_root(None, package, package)


def test_a_checkout_inside_site_packages_is_not_the_root(tmp_path):
    site = _installed_package(tmp_path).parent
    package = _checkout(site / "vendored")
    with pytest.raises(UsageError, match="cannot find the project root"):
        find_project_root(None, package, _elsewhere(tmp_path))


def test_walking_up_from_inside_an_environment_reaches_the_project_holding_it(tmp_path):
    project = _project(tmp_path / "project")
    package = _installed_package(project / ".venv")
    _project(package.parent)
    assert find_project_root(None, package, package) == project.resolve()


# ---------------------------------------------------------------- project_root() itself


def test_project_root_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    assert paths.project_root() == tmp_path.resolve()
    assert paths.processed_dataset_dir("sample") == tmp_path.resolve() / "data" / "processed" / "sample"
    assert paths.reports_dataset_dir("sample") == tmp_path.resolve() / "reports" / "sample"


def test_project_root_of_this_editable_checkout_is_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv(ROOT_ENV, raising=False)
    monkeypatch.chdir(_elsewhere(tmp_path))
    assert paths.project_root() == REPO.resolve()


def test_project_root_of_an_installed_package_follows_the_cwd(monkeypatch, tmp_path):
    monkeypatch.delenv(ROOT_ENV, raising=False)
    monkeypatch.setattr(paths, "_PACKAGE_DIR", _installed_package(tmp_path))
    project = _project(tmp_path / "project")
    monkeypatch.chdir(project / "notebooks")  # as when a report notebook runs
    assert paths.project_root() == project.resolve()
    assert paths.raw_dir() == project.resolve() / "data" / "raw"
    monkeypatch.chdir(_elsewhere(tmp_path))
    with pytest.raises(UsageError, match="cannot find the project root"):
        paths.project_root()
