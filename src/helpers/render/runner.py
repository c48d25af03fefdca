"""Execute the report notebooks with papermill and export them to HTML (without code) and PDF.

Each region renders into a staging folder and is moved into ``reports/<dataset>/`` only when
everything succeeded (notebook, its metrics.json and xlsx, the HTML export, the PDF made from
that HTML), so a failure never replaces a good report with a half-written one. File names per
language: ``helpers.render.layout``. A failed notebook is kept, with its error, under
``reports/<dataset>/failed/``; the other regions go on. Failures are collected, never raised.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import papermill as pm

from .. import paths
from ..store import load_processed
from . import html as page
from .index import write_indexes
from .layout import file_name, stem

REGION_NOTEBOOK = "region_report.ipynb"
SUMMARY_NOTEBOOK = "cross_region_summary.ipynb"


@dataclass(frozen=True)
class RenderOutcome:
    name: str  # region id, or "summary"
    ok: bool
    seconds: float
    html: Path | None = None
    pdf: Path | None = None
    error: str = ""
    failed_notebook: Path | None = None


def html_without_code(notebook_path: Path, info: page.PageInfo) -> str:
    """The self-contained report page of an executed notebook (``helpers.render.html``)."""
    return page.report_html(notebook_path, info)


def pdf_from_html(html_text: str, path: Path) -> Path:
    """The PDF of a report page, rendered from the same HTML (``helpers.render.html.write_pdf``)."""
    return page.write_pdf(html_text, path)


def _execute(
    notebook: str,
    name: str,
    parameters: dict,
    page_info: Callable[[], page.PageInfo],
    expected: tuple[str, ...] = (),
) -> RenderOutcome:
    """Run one notebook into a staging folder; move its files into place only if all succeeded.

    ``expected`` are the files the notebook must write under fixed names (``<region>.xlsx``...);
    they are renamed to the language's names (``<region>.en.xlsx``) before the move.
    """
    lang = parameters.get("lang", "id")
    base = stem(name, lang)
    start = time.perf_counter()
    dest = paths.reports_dataset_dir(parameters["dataset"])
    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{base}.tmp-", dir=dest))
    executed = tmp / f"{base}.ipynb"
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
        for f in expected:  # "plaju.xlsx" -> "plaju.en.xlsx"
            target = file_name(name, f.removeprefix(name + "."), lang)
            if target != f:
                os.replace(tmp / f, tmp / target)
        html_text = html_without_code(executed, page_info())
        pdf_from_html(html_text, tmp / f"{base}.pdf")
        (tmp / f"{base}.html").write_text(html_text, encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - every failure of a region is collected for that region
        outcome = _failed(name, base, dest, executed, exc, time.perf_counter() - start)
        shutil.rmtree(tmp, ignore_errors=True)
        return outcome
    try:
        for f in sorted(tmp.iterdir(), key=lambda p: p.suffix == ".html"):  # the HTML last: it marks success
            os.replace(f, dest / f.name)
        (dest / "failed" / f"{base}.ipynb").unlink(missing_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return RenderOutcome(name, True, time.perf_counter() - start, html=dest / f"{base}.html", pdf=dest / f"{base}.pdf")


def _failed(name: str, base: str, dest: Path, executed: Path, exc: Exception, seconds: float) -> RenderOutcome:
    kept = None
    if executed.exists():
        failed_dir = dest / "failed"
        failed_dir.mkdir(exist_ok=True)
        kept = failed_dir / f"{base}.ipynb"
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
        lambda: page.region_page(load_processed(dataset), region, lang),
        expected=(f"{region}.metrics.json", f"{region}.xlsx"),
    )


def render_summary(dataset: str, lang: str = "id") -> RenderOutcome:
    """Render the cross-region summary from the regions' saved metrics.json files."""
    return _execute(
        SUMMARY_NOTEBOOK,
        "summary",
        {"dataset": dataset, "lang": lang},
        lambda: page.summary_page(load_processed(dataset), lang),
    )


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
    write_indexes(load_processed(dataset), lang)
    return outcomes
