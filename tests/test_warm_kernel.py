"""The warm kernel: a report rendered in a kernel that has run other reports is the report a new
kernel renders, and a kernel that failed or died is replaced before the next report."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest

from helpers import paths
from helpers.present.text import Text
from helpers.render import runner as render
from helpers.render.kernels import WarmKernel

from .conftest import REPO

pytestmark = pytest.mark.e2e


def _without_render_time(html: str, lang: str) -> str:
    """The reproducibility appendix says when the report was rendered (to the second): drop that row."""
    try:
        label = Text(lang)("apparatus.provenance.rendered")
    except Exception:  # noqa: BLE001 - no such row (yet)
        return html
    return re.sub(rf"<tr><td>{re.escape(label)}</td><td>[^<]*</td></tr>", "", html)


def _outputs(outcome, lang: str = "id") -> list:
    """What a reader gets from the executed notebook: every code cell's execution count and
    outputs (HTML, images, text), without papermill's timings and the render time."""
    assert outcome.ok, outcome.error
    nb = nbformat.read(outcome.html.with_suffix(".ipynb"), as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outs = []
        for out in cell.get("outputs", []):
            data = {k: v for k, v in out.get("data", {}).items() if k in ("text/html", "text/plain", "image/png")}
            if "text/html" in data:
                data["text/html"] = _without_render_time("".join(data["text/html"]), lang)
            outs.append((out["output_type"], out.get("name"), out.get("text"), json.dumps(data, sort_keys=True)))
        cells.append((cell.get("execution_count"), outs))
    return cells


def _metrics(outcome) -> dict:
    return json.loads(outcome.html.with_name(outcome.html.name.replace(".html", ".metrics.json")).read_text("utf-8"))


@pytest.fixture
def root(ingested, use_root, tmp_path, monkeypatch):
    """A project root of its own (the session's processed data, read-only; the real notebooks), so
    that the reports rendered here do not mix with those other tests render."""
    root = tmp_path / "warm"
    (root / "data").mkdir(parents=True)
    (root / "data" / "processed").symlink_to(use_root / "data" / "processed")
    (root / "notebooks").symlink_to(REPO / "notebooks")
    monkeypatch.setenv("ASN_EVAL_ROOT", str(root))
    return root


def test_a_report_rendered_after_others_in_a_warm_kernel_equals_a_cold_render(root):
    """Indonesian, then another region in English (with its own settings overrides), then the
    first again: nothing of the first two (language, table and figure numbers, settings,
    warnings shown once, open figures) reaches the third."""
    with WarmKernel(paths.notebooks_dir()) as kernel:
        first = render.render_region("sample", "plaju", "id", kernel=kernel)
        first_outputs = _outputs(first)
        other = render.render_region("sample", "dki-jakarta", "en", kernel=kernel)
        assert other.ok, other.error
        again = render.render_region("sample", "plaju", "id", kernel=kernel)
        warm_outputs, warm_metrics = _outputs(again), _metrics(again)
        assert kernel.starts == 1 and kernel.notebooks == 3  # one kernel did all three
    cold = render.render_region("sample", "plaju", "id")
    cold_outputs = _outputs(cold)
    assert warm_outputs == cold_outputs
    assert first_outputs == cold_outputs
    assert warm_metrics == _metrics(cold)
    assert [c[0] for c in cold_outputs] == list(range(1, len(cold_outputs) + 1))  # counts restart at 1
    assert any("image/png" in o[3] for _, outs in cold_outputs for o in outs)  # figures' pixels compared too


def test_a_failed_report_retires_its_kernel_and_the_next_report_gets_a_new_one(root):
    with WarmKernel(paths.notebooks_dir()) as kernel:
        failed = render.render_region("sample", "atlantis", "id", kernel=kernel)  # the notebook raises
        assert not failed.ok and "atlantis" in failed.error
        good = render.render_region("sample", "sawahlunto", "id", kernel=kernel)
        assert good.ok, good.error
        assert kernel.starts == 2


@pytest.fixture
def deadly_root(ingested, use_root, tmp_path, monkeypatch):
    """A project root whose region notebook kills its kernel for Plaju (the processed data is the
    session's, read-only)."""
    root = tmp_path / "deadly"
    (root / "data").mkdir(parents=True)
    (root / "data" / "processed").symlink_to(use_root / "data" / "processed")
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    path = root / "notebooks" / render.REGION_NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell('if region == "plaju":\n    import os\n    os._exit(1)'))
    nbformat.write(nb, path)
    monkeypatch.setenv("ASN_EVAL_ROOT", str(root))
    return root


def test_a_kernel_that_died_is_replaced_and_the_other_regions_still_render(deadly_root):
    lines: list[str] = []
    outcomes = {
        o.name: o
        for o in render.render_all("sample", ["plaju", "sawahlunto"], jobs=1, progress=lines.append, summary=False)
    }
    assert not outcomes["plaju"].ok
    assert "DeadKernelError" in outcomes["plaju"].error or "died" in outcomes["plaju"].error
    assert outcomes["sawahlunto"].ok, outcomes["sawahlunto"].error  # same job, a new kernel
    assert any(line.startswith("[1/2] plaju: FAILED") or line.startswith("[2/2] plaju: FAILED") for line in lines)
    assert (deadly_root / "reports" / "sample" / "failed" / "plaju.ipynb").is_file()
