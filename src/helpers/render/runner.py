"""Execute the report notebooks with papermill and export them to HTML (without code) and PDF.

Each region renders into a staging folder and is moved into ``reports/<dataset>/`` only when
everything succeeded (notebook, its metrics.json and xlsx, the HTML export, the PDF made from
that HTML), so a failure never replaces a good report with a half-written one. File names per
language: ``helpers.render.layout``. A failed notebook is kept, with its error, under
``reports/<dataset>/failed/``; the other regions go on. Failures are collected, never raised.

``render_all`` renders only what changed: after a successful render it records the digests of the
report's inputs (``helpers.render.build``), and the next run skips a report whose inputs and files
are unchanged ("up to date"); ``force=True`` renders everything. The notebooks it does render run
in one warm kernel per job (``helpers.render.kernels``), so the heavy imports are paid once per
job, not once per report, and one export thread makes the pages and PDFs meanwhile.
``render_region`` and ``render_summary`` always render, in a new kernel unless given one, and
record what they rendered.

``executor="dask"`` renders the same reports as tasks on Dask distributed instead
(``helpers.render.dask_executor``): this module still decides what is up to date, each worker
renders its report with ``render_planned`` (the same ``_Render``), and the outcomes are collected
and reported here as for the local jobs.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths
from ..errors import UsageError
from . import build
from .layout import file_name, stem

if TYPE_CHECKING:
    from ..store import ProcessedDataset
    from .html import PageInfo
    from .kernels import WarmKernel
    from .progress import Reporter

REGION_NOTEBOOK = "region_report.ipynb"
SUMMARY_NOTEBOOK = "cross_region_summary.ipynb"
# What the notebooks import, imported by each warm kernel as soon as it is up (pandas, statsmodels,
# scipy, matplotlib, seaborn come with them).
KERNEL_PRELOAD = ("helpers.analysis", "helpers.present.figures", "helpers.present.notebook", "helpers.store")


@dataclass(frozen=True)
class RenderOutcome:
    name: str  # region id, or "summary"
    ok: bool
    seconds: float
    html: Path | None = None
    pdf: Path | None = None
    error: str = ""
    failed_notebook: Path | None = None
    skipped: bool = False  # up to date: nothing rendered, the report's files stay as they are
    changed: tuple[str, ...] = ()  # why it was rendered: the inputs that changed, "new", "forced"...


def html_without_code(notebook_path: Path, info: PageInfo) -> str:
    """The self-contained report page of an executed notebook (``helpers.render.html``)."""
    from . import html as page

    return page.report_html(notebook_path, info)


def pdf_from_html(html_text: str, path: Path) -> Path:
    """The PDF of a report page, rendered from the same HTML (``helpers.render.html.write_pdf``)."""
    from . import html as page

    return page.write_pdf(html_text, path)


@dataclass(frozen=True)
class _Context:
    """What every render of one run shares: the processed dataset and the common build inputs."""

    dataset: ProcessedDataset
    common: build.Common

    @classmethod
    def load(cls, dataset: str) -> _Context:
        from ..store import load_processed

        return cls(load_processed(dataset), build.Common.collect())


class _Render:
    """One report: its notebook run into a staging folder (``execute``), then the page, its PDF
    and the move into ``reports/<dataset>/`` (``export``), only if everything succeeded.

    ``expected`` are the files the notebook must write under fixed names (``<region>.xlsx``...);
    they are renamed to the language's names (``<region>.en.xlsx``) before the move. ``inputs``
    are recorded as the report's build record once its files are in place.
    """

    def __init__(
        self,
        notebook: str,
        name: str,
        parameters: dict,
        page_info: Callable[[], PageInfo],
        expected: tuple[str, ...] = (),
        inputs: dict | None = None,
    ):
        self.notebook, self.name, self.parameters = notebook, name, parameters
        self.page_info, self.expected, self.inputs = page_info, expected, inputs
        self.lang = parameters.get("lang", "id")
        self.base = stem(name, self.lang)
        self.dest = paths.reports_dataset_dir(parameters["dataset"])
        self.tmp: Path | None = None
        self.start = 0.0
        self.seconds = 0.0  # spent executing and exporting (not waiting for the export thread)

    @property
    def executed(self) -> Path:
        return self.tmp / f"{self.base}.ipynb"

    def execute(self, kernel: WarmKernel) -> RenderOutcome | None:
        """Run the notebook in ``kernel`` (replaced after a failure). None when it succeeded (the
        report is staged for ``export``), else the failure's outcome."""
        import papermill as pm

        from .engine import ENGINE_NAME

        self.start = time.perf_counter()
        self.dest.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.base}.tmp-", dir=self.dest))
        parameters = {**self.parameters, "output_dir": str(self.tmp)} if self.expected else self.parameters
        try:
            pm.execute_notebook(
                str(paths.notebooks_dir() / self.notebook),
                str(self.executed),
                parameters=parameters,
                engine_name=ENGINE_NAME,
                warm_kernel=kernel,
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
            )
            missing = [f for f in self.expected if not (self.tmp / f).is_file()]
            if missing:
                raise RuntimeError(f"the notebook did not write {', '.join(missing)}")
            for f in self.expected:  # "plaju.xlsx" -> "plaju.en.xlsx"
                target = file_name(self.name, f.removeprefix(self.name + "."), self.lang)
                if target != f:
                    os.replace(self.tmp / f, self.tmp / target)
        except Exception as exc:  # noqa: BLE001 - every failure of a region is collected for that region
            kernel.retire()  # whatever the failure left in the kernel must not reach the next report
            return self._failed(exc)
        finally:
            self.seconds = time.perf_counter() - self.start
        return None

    def export(self, pdf: Callable[[str, Path], Path] | None = None) -> RenderOutcome:
        """The HTML page and its PDF (made by ``pdf``, default ``pdf_from_html``), then every file
        into place (the HTML last) and the build record."""
        self.start = time.perf_counter() - self.seconds  # the time waiting for the export thread does not count
        try:
            html_text = html_without_code(self.executed, self.page_info())
            (pdf or pdf_from_html)(html_text, self.tmp / f"{self.base}.pdf")
            (self.tmp / f"{self.base}.html").write_text(html_text, encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - the export's failure is that report's failure
            return self._failed(exc)
        try:
            for f in sorted(self.tmp.iterdir(), key=lambda p: p.suffix == ".html"):  # the HTML marks success
                os.replace(f, self.dest / f.name)
            (self.dest / "failed" / f"{self.base}.ipynb").unlink(missing_ok=True)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
        seconds = time.perf_counter() - self.start
        if self.inputs is not None:  # after the files: a record always describes files that are in place
            build.write_record(self.parameters["dataset"], self.name, self.lang, self.inputs, seconds)
        html = self.dest / f"{self.base}.html"
        return RenderOutcome(self.name, True, seconds, html=html, pdf=html.with_suffix(".pdf"))

    def _failed(self, exc: Exception) -> RenderOutcome:
        outcome = _failed(self.name, self.base, self.dest, self.executed, exc, time.perf_counter() - self.start)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return outcome

    def __call__(self, kernel: WarmKernel) -> RenderOutcome:
        """Execute, then export: the whole render in the calling thread."""
        return self.execute(kernel) or self.export()


def _failed(name: str, base: str, dest: Path, executed: Path, exc: Exception, seconds: float) -> RenderOutcome:
    import papermill as pm

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


def _page(kind: str, ctx: _Context, *args) -> PageInfo:
    """The page shell's information (``html.region_page`` or ``html.summary_page``), when exporting."""
    from . import html as page

    return getattr(page, f"{kind}_page")(ctx.dataset, *args)


def _region_render(ctx: _Context, region: str, lang: str, inputs: dict | None = None) -> _Render:
    if inputs is None:
        inputs = build.region_inputs(ctx.dataset, region, lang, REGION_NOTEBOOK, ctx.common)
    return _Render(
        REGION_NOTEBOOK,
        region,
        {"dataset": ctx.dataset.name, "region": region, "lang": lang},
        functools.partial(_page, "region", ctx, region, lang),
        expected=(f"{region}.metrics.json", f"{region}.xlsx"),
        inputs=inputs,
    )


def _summary_render(ctx: _Context, lang: str, inputs: dict | None = None) -> _Render:
    if inputs is None:
        inputs = build.summary_inputs(ctx.dataset, lang, SUMMARY_NOTEBOOK, ctx.common)
    return _Render(
        SUMMARY_NOTEBOOK,
        "summary",
        {"dataset": ctx.dataset.name, "lang": lang},
        functools.partial(_page, "summary", ctx, lang),
        inputs=inputs,
    )


def _in_kernel(render, kernel: WarmKernel | None) -> RenderOutcome:
    """``render(kernel)`` in the given kernel, or in a new one shut down afterwards."""
    if kernel is not None:
        return render(kernel)
    from .kernels import WarmKernel

    with WarmKernel(paths.notebooks_dir()) as own:
        return render(own)


def render_region(dataset: str, region: str, lang: str = "id", *, kernel: WarmKernel | None = None) -> RenderOutcome:
    """Render one region: the notebook computes the report once and writes HTML, xlsx and metrics.

    Always renders (``render_all`` decides what is up to date), in ``kernel`` if given (a
    ``helpers.render.kernels.WarmKernel``), else in a new kernel.
    """
    return _in_kernel(_region_render(_Context.load(dataset), region, lang), kernel)


def render_summary(dataset: str, lang: str = "id", *, kernel: WarmKernel | None = None) -> RenderOutcome:
    """Render the cross-region summary from the regions' saved metrics.json files."""
    return _in_kernel(_summary_render(_Context.load(dataset), lang), kernel)


def render_planned(dataset: str, name: str, lang: str, inputs: dict, kernel: WarmKernel) -> RenderOutcome:
    """Render one report that ``render_all`` found out of date, in ``kernel``, and record
    ``inputs`` (the digests it planned with) as its build record: what a Dask worker runs.

    ``name`` is a region id or ``"summary"``. Failures are collected as in ``render_all``.
    """
    ctx = _Context.load(dataset)
    if name == "summary":
        return _summary_render(ctx, lang, inputs)(kernel)
    return _region_render(ctx, name, lang, inputs)(kernel)


def _up_to_date(dataset: str, name: str, lang: str) -> RenderOutcome:
    folder = paths.reports_dataset_dir(dataset)
    base = stem(name, lang)
    return RenderOutcome(name, True, 0.0, html=folder / f"{base}.html", pdf=folder / f"{base}.pdf", skipped=True)


def _bug(name: str, exc: Exception) -> RenderOutcome:
    return RenderOutcome(name, False, 0.0, error=f"{type(exc).__name__}: {exc}")


def _import_for_exports() -> None:
    """Import ahead what the jobs, the exports and the index need (papermill, nbconvert, WeasyPrint,
    the analysis package the index reads metrics with). A failure here is met again, and reported,
    where it matters."""
    try:
        import papermill  # noqa: F401
        import weasyprint  # noqa: F401

        from . import engine, html, index  # noqa: F401
    except Exception:  # noqa: BLE001 - only a head start
        pass


class _Workers:
    """The workers of one ``render_all``, started at the first report to render, so that a run
    with everything up to date starts none (and does not even import papermill).

    The notebooks run in a thread per job, each with its warm kernel
    (``helpers.render.kernels.KernelPool``). As many export threads make the pages and PDFs and
    move each report's files into place, while the kernels already run the next notebooks. WeasyPrint
    lays out in pure Python under a lock (``html.write_pdf``), so only the first export thread
    makes its PDFs in this process; each other one has a PDF process of its own
    (``helpers.render.pdfworker``), so that ``jobs`` PDFs are made at once.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.kernels = None
        self.exporter: ThreadPoolExecutor | None = None
        self._lane = threading.local()  # an export thread's PDF process, or None: this process
        self._lanes = 0
        self._lanes_lock = threading.Lock()
        self._pdf_processes: list = []

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        cancel = exc_type is not None  # Ctrl-C: the reports not started are dropped
        try:
            if self.kernels is not None:
                self.kernels.close(cancel=cancel)
        finally:
            if self.exporter is not None:
                self.exporter.shutdown(cancel_futures=cancel)
            for process in self._pdf_processes:
                process.close()

    def release(self) -> None:
        """No more notebooks: let the kernels shut down meanwhile (``__exit__`` waits for them)."""
        if self.kernels is not None:
            self.kernels.release()

    def submit(self, render: _Render) -> Future:
        """Render in a free job's kernel, then export in an export thread; a Future of the outcome."""
        if self.kernels is None:
            from .kernels import KernelPool

            self.kernels = KernelPool(self.jobs, paths.notebooks_dir(), preload=KERNEL_PRELOAD)
            self.exporter = ThreadPoolExecutor(self.jobs, thread_name_prefix="asn-export")
            # While the kernels start, this process only waits: a head start on its imports.
            threading.Thread(target=_import_for_exports, name="asn-imports", daemon=True).start()
        done: Future = Future()
        self.kernels.submit(self._execute, render, done)
        return done

    def _execute(self, render: _Render, done: Future, *, kernel: WarmKernel) -> None:
        try:
            failed = render.execute(kernel)
            if failed is not None:
                done.set_result(failed)
            else:
                self.exporter.submit(self._export, render, done)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the outcome
            done.set_exception(exc)

    def _export(self, render: _Render, done: Future) -> None:
        try:
            done.set_result(render.export(pdf=self._pdf))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the outcome
            shutil.rmtree(render.tmp, ignore_errors=True)
            done.set_exception(exc)

    def _pdf(self, html_text: str, path: Path) -> Path:
        if not hasattr(self._lane, "process"):
            with self._lanes_lock:
                first = self._lanes == 0
                self._lanes += 1
            if first:
                self._lane.process = None
            else:
                from .pdfworker import PdfProcess

                self._lane.process = PdfProcess()
                self._pdf_processes.append(self._lane.process)
        if self._lane.process is None:
            return pdf_from_html(html_text, path)
        return self._lane.process.render(html_text, path)


EXECUTORS = ("local", "dask")


def _executor(name: str, jobs: int, scheduler: str | None):
    """The workers of one ``render_all``: ``_Workers`` (local: warm kernels in this process's
    threads) or ``dask_executor.DaskWorkers`` (tasks on a Dask cluster). Both offer ``jobs``,
    ``submit(render)`` (a ``concurrent.futures.Future`` of its outcome), ``release`` and ``with``."""
    if name == "dask":
        from .dask_executor import DaskWorkers

        return DaskWorkers(jobs, scheduler)
    if name != "local":
        raise ValueError(f"unknown executor {name!r}: one of {', '.join(EXECUTORS)}")
    if scheduler:
        raise UsageError("a Dask scheduler needs the dask executor (--executor dask)")
    return _Workers(jobs)


class _Run:
    """One ``render_all``: decides what is up to date, renders the rest, collects the outcomes."""

    def __init__(self, dataset: str, lang: str, force: bool, reporter: Reporter):
        self.ctx = _Context.load(dataset)
        self.lang, self.force, self.reporter = lang, force, reporter
        self.outcomes: list[RenderOutcome] = []

    def report(self, out: RenderOutcome) -> None:
        self.outcomes.append(out)
        self.reporter.update(out)

    def plan(self, name: str, inputs: Callable[[], dict]) -> tuple[dict, tuple[str, ...]] | None:
        """``(inputs, why)`` when ``name`` must be rendered; None (reported) when it is up to date.
        A report that cannot even be planned is reported as failed and not rendered."""
        try:
            digests = inputs()
            why = ("forced",) if self.force else build.why_render(self.ctx.dataset.name, name, self.lang, digests)
        except Exception as exc:  # noqa: BLE001 - one report's failure, the others go on
            self.report(_bug(name, exc))
            return None
        if not why:
            self.report(_up_to_date(self.ctx.dataset.name, name, self.lang))
            return None
        return digests, why

    def collect(self, name: str, future, why: tuple[str, ...]) -> None:
        try:
            self.report(dataclasses.replace(future.result(), changed=why))
        except Exception as exc:  # noqa: BLE001 - a bug in one report's render stays that report's failure
            self.report(_bug(name, exc))

    def regions(self, regions: list[str], workers: _Workers) -> None:
        ctx, lang = self.ctx, self.lang
        todo = []
        for r in regions:
            planned = self.plan(r, lambda r=r: build.region_inputs(ctx.dataset, r, lang, REGION_NOTEBOOK, ctx.common))
            if planned:
                todo.append((r, *planned))
        workers.jobs = min(workers.jobs, max(1, len(todo)))  # no more kernels than reports
        futures = {workers.submit(_region_render(ctx, r, lang, inputs)): (r, why) for r, inputs, why in todo}
        for future in as_completed(futures):
            name, why = futures[future]
            self.collect(name, future, why)

    def summary(self, workers: _Workers) -> None:
        """After the regions: the summary reads the metrics.json files they have just written."""
        ctx, lang = self.ctx, self.lang
        planned = self.plan("summary", lambda: build.summary_inputs(ctx.dataset, lang, SUMMARY_NOTEBOOK, ctx.common))
        if planned:
            inputs, why = planned
            self.collect("summary", workers.submit(_summary_render(ctx, lang, inputs)), why)

    def index(self) -> None:
        """Rewrite the index pages unless nothing they show has changed since they were written
        (then they would come out the same, byte for byte)."""
        ctx = self.ctx
        inputs = build.index_inputs(ctx.dataset, self.lang, ctx.common)
        if self.force or build.why_render(ctx.dataset.name, "index", self.lang, inputs):
            from .index import write_indexes

            start = time.perf_counter()
            write_indexes(ctx.dataset, self.lang)
            build.write_record(ctx.dataset.name, "index", self.lang, inputs, time.perf_counter() - start)


def render_all(
    dataset: str,
    regions: list[str],
    lang: str = "id",
    jobs: int = 1,
    progress: Callable[[str], None] | Reporter = print,
    summary: bool = True,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
) -> list[RenderOutcome]:
    """Render every region that changed (``jobs`` at a time), then the summary if it changed,
    then the index pages (always).

    A report is up to date when its build record matches its inputs and its files exist
    (``helpers.render.build``); ``force`` renders every one. Failures are collected, not raised:
    every region gets its chance. ``progress`` is a function taking one line per finished report
    (``print``) or a ``helpers.render.progress.Reporter`` (a bar on a terminal).

    ``executor`` is ``"local"`` (``jobs`` warm kernels in this process's threads) or ``"dask"``
    (one Dask task per report: on the cluster of the scheduler at ``scheduler``, an address or a
    scheduler file, else on a ``LocalCluster`` of ``jobs`` worker processes started for the run).
    """
    from .progress import Lines

    reporter = progress if hasattr(progress, "update") else Lines(progress)
    run = _Run(dataset, lang, force, reporter)
    workers = _executor(executor, jobs, scheduler)
    reporter.start(len(regions) + (1 if summary else 0), workers.jobs)
    try:
        with workers:
            run.regions(regions, workers)
            if summary:
                run.summary(workers)
            workers.release()
            run.index()  # while the kernels shut down
    finally:
        reporter.close()
    return run.outcomes
