"""The notebooks are stored as a reviewable pair (.ipynb + jupytext percent .py), without outputs,
with plain-valued parameters, and thin: their logic lives in src/helpers (docs/architecture.md)."""

from __future__ import annotations

import ast

import jupytext
import nbformat
import pytest

from .conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert {p.name for p in NOTEBOOKS} >= {"region_report.ipynb", "cross_region_summary.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_paired_py_file_has_the_same_cells(path):
    pair = path.with_suffix(".py")
    assert pair.is_file(), f"{pair.name} missing: run `jupytext --sync {path}`"
    stored = nbformat.read(path, as_version=4)
    text = jupytext.read(pair)
    assert [(c.cell_type, c.source) for c in stored.cells] == [(c.cell_type, c.source) for c in text.cells], (
        f"{path.name} and {pair.name} differ: run `jupytext --sync {path}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: run nbstripout"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_are_plain_values(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    for node in ast.parse(cells[0].source).body:
        assert isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant), ast.dump(node)
        assert isinstance(node.value.value, str | int | float | bool)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_are_thin_and_explained(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(len(c.source.splitlines()) <= 15 for c in code), "a long cell is a helper waiting to be written"
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= len(code) - 1
