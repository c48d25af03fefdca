"""The project's paths, in one place.

Every module asks here where data and reports live. The project root is, in this order:

1. ``$ASN_EVAL_ROOT`` if set (a test's temporary folder, say); it must be an existing folder;
2. the checkout holding the package, when the package sits in ``<root>/src/helpers`` next to
   ``<root>/pyproject.toml`` (an editable install, ``pip install -e .``);
3. the current folder or its nearest parent that looks like the project: it has ``notebooks/``
   and ``data/``, or a ``pyproject.toml`` naming asn-eval (a package installed into an
   environment, run from the project folder).

The root is never a folder inside ``site-packages``: data and reports written there would be
lost with the environment, and mixed with other people's packages.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from .errors import UsageError

ROOT_ENV = "ASN_EVAL_ROOT"
PROJECT_NAME = "asn-eval"
# Where this module lives: only to recognise an editable checkout, never to locate data files
# (package data such as contract.yml is found next to the module that reads it).
_PACKAGE_DIR = Path(__file__).resolve().parent
_ENVIRONMENT_DIRS = frozenset({"site-packages", "dist-packages"})  # dist-packages: Debian's Python


def project_root() -> Path:
    """Return the project root (see the module docstring); raise UsageError if there is none."""
    return find_project_root(os.environ.get(ROOT_ENV), _PACKAGE_DIR, Path.cwd())


def find_project_root(env: str | None, package_dir: Path, cwd: Path) -> Path:
    """Resolve the project root from its three possible sources.

    Parameters
    ----------
    env : str or None
        The value of ``$ASN_EVAL_ROOT``; None or ``""`` when unset.
    package_dir : Path
        The folder of the ``helpers`` package.
    cwd : Path
        The current working directory.

    Returns
    -------
    Path
        The project root, absolute and resolved.

    Raises
    ------
    UsageError
        ``env`` names no existing folder, or no source gives a project root.
    """
    if env:
        root = Path(env).expanduser().resolve()
        if not root.is_dir():
            raise UsageError(
                f"{ROOT_ENV} is set to '{env}', which is not an existing folder: point it at the "
                "project folder (the one holding data/ and notebooks/), or unset it"
            )
        if _in_environment(root):
            raise UsageError(
                f"{ROOT_ENV} is set to '{env}', inside a Python environment's site-packages: "
                "point it at the project folder instead"
            )
        return root
    package_dir = Path(package_dir).resolve()
    checkout = package_dir.parent.parent
    if package_dir.parent.name == "src" and (checkout / "pyproject.toml").is_file() and not _in_environment(checkout):
        return checkout
    cwd = Path(cwd).resolve()
    for folder in (cwd, *cwd.parents):
        if not _in_environment(folder) and _looks_like_project(folder):
            return folder
    raise UsageError(f"cannot find the project root: set {ROOT_ENV} or run {PROJECT_NAME} from the project folder")


def _in_environment(path: Path) -> bool:
    """Whether ``path`` is inside an installed-packages folder of some Python environment."""
    return any(part in _ENVIRONMENT_DIRS for part in path.parts)


def _looks_like_project(folder: Path) -> bool:
    if (folder / "notebooks").is_dir() and (folder / "data").is_dir():
        return True
    try:
        meta = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    name = meta.get("project", {}).get("name") if isinstance(meta.get("project"), dict) else None
    # Package names compare case-insensitively with runs of "-", "_" and "." alike (PEP 503).
    return isinstance(name, str) and re.sub(r"[-_.]+", "-", name).lower() == PROJECT_NAME


def raw_dir() -> Path:
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    return project_root() / "data" / "processed"


def reports_dir() -> Path:
    return project_root() / "reports"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def processed_dataset_dir(dataset: str) -> Path:
    return processed_dir() / dataset


def reports_dataset_dir(dataset: str) -> Path:
    return reports_dir() / dataset


# Where each rendered file goes, per language, so that languages never overwrite each other.
# Bahasa Indonesia (the default) keeps the plain names; another language adds its code before
# the extension:
#
#     reports/<dataset>/<region>.html   .pdf   .xlsx   .metrics.json   .ipynb   (id)
#     reports/<dataset>/<region>.en.html .en.pdf .en.xlsx .en.metrics.json .en.ipynb
#     reports/<dataset>/summary.html  summary.pdf  summary.ipynb   / summary.en.*
#     reports/<dataset>/index.html    / index.en.html
#     reports/<dataset>/failed/<stem>.ipynb   (an executed notebook that failed)
DEFAULT_LANG = "id"


def stem(name: str, lang: str = DEFAULT_LANG) -> str:
    """``plaju`` (id) or ``plaju.en``: the file name of a region, ``summary`` or ``index`` without extension."""
    return name if lang == DEFAULT_LANG else f"{name}.{lang}"


def file_name(name: str, ext: str, lang: str = DEFAULT_LANG) -> str:
    """``file_name("plaju", "metrics.json", "en")`` -> ``plaju.en.metrics.json``."""
    return f"{stem(name, lang)}.{ext}"
