"""Execute the report notebooks with papermill and export them to HTML without code.

Each region renders into a temporary folder and is moved into ``reports/<dataset>/`` only when
it succeeded, so a failure never replaces a good report with a half-written one. A failed
notebook is kept, with its error, under ``reports/<dataset>/failed/``; the other regions go on.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
from nbconvert import HTMLExporter

from .. import paths
from ..analysis.report import RegionData, build_sections, headline_metrics
from ..store import ProcessedDataset, load_processed
from ..present.text import Text

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
    """Export an executed notebook to standalone HTML with inputs and prompts removed."""
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    nb = nbformat.read(notebook_path, as_version=4)
    body, _ = exporter.from_notebook_node(nb)
    return body


def _execute(notebook: str, stem: str, parameters: dict) -> RenderOutcome:
    name = parameters.get("region", "summary")
    start = time.perf_counter()
    dest = paths.reports_dataset_dir(parameters["dataset"])
    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}.tmp-", dir=dest))
    executed = tmp / f"{stem}.ipynb"
    try:
        try:
            pm.execute_notebook(str(paths.notebooks_dir() / notebook), str(executed), parameters=parameters,
                                kernel_name="python3", progress_bar=False, log_output=False,
                                cwd=str(paths.notebooks_dir()))
        except pm.PapermillExecutionError as exc:
            failed_dir = dest / "failed"
            failed_dir.mkdir(exist_ok=True)
            kept = failed_dir / f"{stem}.ipynb"
            if executed.exists():
                os.replace(executed, kept)
            message = f"{exc.ename}: {exc.evalue}"
            return RenderOutcome(name, False, time.perf_counter() - start, error=message, failed_notebook=kept)
        (tmp / f"{stem}.html").write_text(html_without_code(executed), encoding="utf-8")
        for f in tmp.iterdir():
            os.replace(f, dest / f.name)
        stale = dest / "failed" / f"{stem}.ipynb"
        if stale.exists():
            stale.unlink()
        return RenderOutcome(name, True, time.perf_counter() - start, html=dest / f"{stem}.html")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def render_region(dataset: str, region: str, lang: str = "id") -> RenderOutcome:
    """Render one region's report and write its headline metrics next to it."""
    outcome = _execute(REGION_NOTEBOOK, region,
                       {"dataset": dataset, "region": region, "lang": lang})
    if outcome.ok:
        data = RegionData(load_processed(dataset), region, lang)
        sections = build_sections(data)
        folder = paths.reports_dataset_dir(dataset)
        _write_json(folder / f"{region}.metrics.json", headline_metrics(sections, data))
        write_tables_xlsx(sections, folder / f"{region}.xlsx")
    return outcome


def write_tables_xlsx(sections: dict, path: Path) -> Path:
    """Every table of a report, one sheet each, for partners who rework the numbers in Excel.

    Suppressed cells are empty and flagged in the ``suppressed`` column, as in the report.
    """
    tmp = path.with_name(path.name + ".tmp")
    used: set[str] = set()
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for sec in sections.values():
            for name, table in sec.tables.items():
                sheet = f"{sec.key}-{name}"[:31]
                while sheet in used:
                    sheet = sheet[:29] + f"{len(used):02d}"
                used.add(sheet)
                table.to_excel(writer, sheet_name=sheet, index=False)
    os.replace(tmp, path)
    return path


def render_summary(dataset: str, lang: str = "id") -> RenderOutcome:
    return _execute(SUMMARY_NOTEBOOK, "summary",
                    {"dataset": dataset, "lang": lang})


def render_all(dataset: str, regions: list[str], lang: str = "id", jobs: int = 1,
               progress=print, summary: bool = True) -> list[RenderOutcome]:
    """Render every region (``jobs`` at a time), then the summary and the index page.

    Failures are collected, not raised: every region gets its chance.
    """
    outcomes: list[RenderOutcome] = []
    total = len(regions) + (1 if summary else 0)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(render_region, dataset, r, lang): r for r in regions}
        for fut in as_completed(futures):
            out = fut.result()
            outcomes.append(out)
            progress(f"[{len(outcomes)}/{total}] {out.name}: "
                     + (f"ok ({out.seconds:.1f} s)" if out.ok else f"FAILED ({out.error})"))
    if summary:
        out = render_summary(dataset, lang)
        outcomes.append(out)
        progress(f"[{len(outcomes)}/{total}] summary: " + (f"ok ({out.seconds:.1f} s)" if out.ok
                                                          else f"FAILED ({out.error})"))
    write_index(load_processed(dataset), lang)
    return outcomes


def _write_text_atomic(path: Path, text: str) -> None:
    """Write beside the target and rename: a reader never sees a half-written file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_json(path: Path, payload: dict) -> None:
    _write_text_atomic(path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def write_index(dataset: ProcessedDataset, lang: str = "id") -> Path:
    """``reports/<dataset>/index.html``: a link to every rendered report, with its headline numbers."""
    t = Text(lang)
    folder = paths.reports_dataset_dir(dataset.name)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for r in dataset.regions:
        page = folder / f"{r['id']}.html"
        metrics_path = folder / f"{r['id']}.metrics.json"
        m = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
        link = (f"<a href='{html.escape(page.name)}'>{html.escape(r['name'])}</a>" if page.is_file()
                else f"{html.escape(r['name'])} ({'belum dibuat' if lang == 'id' else 'not rendered'})")
        completion, jp = t.pct(m.get("completion_rate")), t.pct(m.get("jp_share"))
        dz = t.num(m.get("learning_d_z"))
        rows.append(f"<tr><td>{link}</td><td>{html.escape(r.get('kemendagri_code', ''))}</td>"
                    f"<td>{m.get('participants', '–')}</td><td>{completion}</td><td>{dz}</td><td>{jp}</td></tr>")
    summary = folder / "summary.html"
    summary_link = (f"<p><a href='summary.html'>{html.escape(t('cross.title'))}</a></p>"
                    if summary.is_file() else "")
    banner = (f"<div style='border:3px solid #b2182b;background:#fde0dd;padding:10px;font-weight:bold'>"
              f"{html.escape(t('report.synthetic_banner', region=', '.join(r['name'] for r in dataset.regions)))}</div>"
              if dataset.synthetic else "")
    head = "".join(f"<th>{h}</th>" for h in (t.column("region"), "Kemendagri", "ASN", t.column("completion"),
                                                t.level("learning") + " d_z", t.column("share")))
    page = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<title>{html.escape(t('index.title', dataset=dataset.name))}</title></head>"
            f"<body style='font-family:sans-serif;max-width:60em;margin:2em auto'>"
            f"<h1>{html.escape(t('index.title', dataset=dataset.name))}</h1>{banner}"
            f"<table border='1' cellpadding='6' style='border-collapse:collapse'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{summary_link}</body></html>\n")
    path = folder / "index.html"
    _write_text_atomic(path, page)
    return path
