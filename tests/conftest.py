"""Shared fixtures: a throw-away project root so tests never touch data/processed or reports/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_RAW = REPO / "data" / "raw" / "sample"


@pytest.fixture(scope="session")
def project_root(tmp_path_factory) -> Path:
    """A project root with the real notebooks and raw sample linked in, empty processed/reports."""
    root = tmp_path_factory.mktemp("project")
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "sample").symlink_to(SAMPLE_RAW)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    return root


@pytest.fixture(scope="session")
def use_root(project_root):
    """Point helpers.paths (and kernels started by papermill) at the temporary root."""
    old = os.environ.get("ASN_EVAL_ROOT")
    os.environ["ASN_EVAL_ROOT"] = str(project_root)
    yield project_root
    if old is None:
        os.environ.pop("ASN_EVAL_ROOT", None)
    else:
        os.environ["ASN_EVAL_ROOT"] = old


@pytest.fixture(scope="session")
def ingested(use_root):
    """The sample dataset ingested into the temporary root."""
    from helpers.ingest import ingest

    result = ingest(use_root / "data" / "raw" / "sample")
    return result


@pytest.fixture(scope="session")
def sample_data(ingested):
    from helpers.store import load_processed

    return load_processed("sample")
