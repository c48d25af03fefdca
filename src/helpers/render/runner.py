"""Execute the report notebooks with papermill and export them to HTML without code.

Each region renders into a staging folder and is moved into ``reports/<dataset>/`` only when
everything succeeded (notebook, its metrics.json and xlsx, the HTML export), so a failure never
replaces a good report with a half-written one. A failed notebook is kept, with its error, under
``reports/<dataset>/failed/``; the other regions go on. Failures are collected, never raised.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter

from .. import paths
from ..store import load_processed
from .index import write_index

REGION_NOTEBOOK = "region_report.ipynb"
SUMMARY_NOTEBOOK = "cross_region_summary.ipynb"


@dataclass(frozen=True)
class RenderOutcome:
    name: str  # region id, or "summary"
    ok: bool
    seconds: float
    html: Path | None = None
    error: str = ""
    failed_notebook: Path | None = None


def html_without_code(notebook_path: Path) -> str:
    """Export an executed notebook to standalone HTML with inputs, prompts and markdown removed.

    The notebook's markdown cells are notes for the researcher who adapts it (in English); every
    word the reader sees is an output of a cell, from the message catalogue.
    """
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, exclude_markdown=True
    )
    body, _ = exporter.from_notebook_node(nbformat.read(notebook_path, as_version=4))
    return body


def _execute(notebook: str, stem: str, parameters: dict, expected: tuple[str, ...] = ()) -> RenderOutcome:
    """Run one notebook into a staging folder; move its files into place only if all succeeded."""
    name = parameters.get("region", "summary")
    start = time.perf_counter()
    dest = paths.reports_dataset_dir(parameters["dataset"])
    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}.tmp-", dir=dest))
    executed = tmp / f"{stem}.ipynb"
    try:
        pm.execute_notebook(
            str(paths.notebooks_dir() / notebook),
            str(executed),
            parameters={**parameters, "output_dir": str(tmp)} if expected else parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            cwd=str(paths.notebooks_dir()),
        )
        missing = [f for f in expected if not (tmp / f).is_file()]
        if missing:
            raise RuntimeError(f"the notebook did not write {', '.join(missing)}")
        (tmp / f"{stem}.html").write_text(html_without_code(executed), encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - every failure of a region is collected for that region
        outcome = _failed(name, stem, dest, executed, exc, time.perf_counter() - start)
        shutil.rmtree(tmp, ignore_errors=True)
        return outcome
    try:
        for f in sorted(tmp.iterdir(), key=lambda p: p.suffix == ".html"):  # the HTML last: it marks success
            os.replace(f, dest / f.name)
        (dest / "failed" / f"{stem}.ipynb").unlink(missing_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return RenderOutcome(name, True, time.perf_counter() - start, html=dest / f"{stem}.html")


def _failed(name: str, stem: str, dest: Path, executed: Path, exc: Exception, seconds: float) -> RenderOutcome:
    kept = None
    if executed.exists():
        failed_dir = dest / "failed"
        failed_dir.mkdir(exist_ok=True)
        kept = failed_dir / f"{stem}.ipynb"
        os.replace(executed, kept)
    if isinstance(exc, pm.PapermillExecutionError):
        message = f"{exc.ename}: {exc.evalue}"
    else:
        message = f"{type(exc).__name__}: {exc}"
    return RenderOutcome(name, False, seconds, error=message, failed_notebook=kept)


def render_region(dataset: str, region: str, lang: str = "id") -> RenderOutcome:
    """Render one region: the notebook computes the report once and writes HTML, xlsx and metrics."""
    return _execute(
        REGION_NOTEBOOK,
        region,
        {"dataset": dataset, "region": region, "lang": lang},
        expected=(f"{region}.metrics.json", f"{region}.xlsx"),
    )


def render_summary(dataset: str, lang: str = "id") -> RenderOutcome:
    """Render the cross-region summary from the regions' saved metrics.json files."""
    return _execute(SUMMARY_NOTEBOOK, "summary", {"dataset": dataset, "lang": lang})


def render_all(
    dataset: str, regions: list[str], lang: str = "id", jobs: int = 1, progress=print, summary: bool = True
) -> list[RenderOutcome]:
    """Render every region (``jobs`` at a time), then the summary and the index page.

    Failures are collected, not raised: every region gets its chance.
    """
    outcomes: list[RenderOutcome] = []
    total = len(regions) + (1 if summary else 0)

    def report(out: RenderOutcome) -> None:
        outcomes.append(out)
        progress(
            f"[{len(outcomes)}/{total}] {out.name}: "
            + (f"ok ({out.seconds:.1f} s)" if out.ok else f"FAILED ({out.error})")
        )

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(render_region, dataset, r, lang): r for r in regions}
        for fut in as_completed(futures):
            report(fut.result())
    if summary:
        report(render_summary(dataset, lang))
    write_index(load_processed(dataset), lang)
    return outcomes
