"""The project's paths, in one place.

Every module asks here where data and reports live, so that a different project root
(a test's temporary folder, say) is one environment variable away: ``ASN_EVAL_ROOT``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """Return the project root: ``$ASN_EVAL_ROOT`` if set, else the checkout holding ``src/``."""
    env = os.environ.get("ASN_EVAL_ROOT")
    if env:
        return Path(env).resolve()
    # src/helpers/paths.py -> project root is two levels above the package.
    return PACKAGE_DIR.parent.parent


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
