"""``reports/<dataset>/index.html``: a link to every rendered report with its headline numbers,
read from the regions' ``metrics.json`` files."""

from __future__ import annotations

import html

from .. import paths
from ..analysis.cross_region import read_metrics
from ..errors import UsageError
from ..present.headlines import indicator_value
from ..present.text import Text
from ..store import ProcessedDataset
from .export import write_text_atomic

# The learning gain with its programme-clustered interval, as in the reports (not the unclustered d_z).
INDEX_COLUMNS = (
    "profile.participants",
    "participation.completion_rate",
    "learning.mean_gain",
    "participation.jp_share",
)


def write_index(dataset: ProcessedDataset, lang: str = "id"):
    t = Text(lang)
    folder = paths.reports_dataset_dir(dataset.name)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for r in dataset.regions:
        page = folder / f"{r['id']}.html"
        metrics_path = folder / f"{r['id']}.metrics.json"
        try:
            indicators = read_metrics(metrics_path).indicators if metrics_path.is_file() else {}
        except (UsageError, KeyError, ValueError):
            indicators = {}  # an older schema: the link stays, the numbers wait for a re-render
        link = (
            f"<a href='{html.escape(page.name)}'>{html.escape(r['name'])}</a>"
            if page.is_file()
            else f"{html.escape(r['name'])} ({html.escape(t('index.not_rendered'))})"
        )
        cells = "".join(
            f"<td>{html.escape(indicator_value(indicators[i], t)) if i in indicators else '–'}</td>"
            for i in INDEX_COLUMNS
        )
        rows.append(f"<tr><td>{link}</td><td>{html.escape(r.get('kemendagri_code', ''))}</td>{cells}</tr>")
    summary_link = (
        f"<p><a href='summary.html'>{html.escape(t('cross.title'))}</a></p>"
        if (folder / "summary.html").is_file()
        else ""
    )
    banner = (
        f"<div style='border:3px solid #b2182b;background:#fde0dd;padding:10px;font-weight:bold'>"
        f"{html.escape(t('report.synthetic_banner', region=', '.join(r['name'] for r in dataset.regions)))}</div>"
        if dataset.synthetic
        else ""
    )
    headers = (t.column("region"), "Kemendagri", *(t(f"metrics.{i}", target=20) for i in INDEX_COLUMNS))
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    page = (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(t('index.title', dataset=dataset.name))}</title></head>"
        f"<body style='font-family:sans-serif;max-width:60em;margin:2em auto'>"
        f"<h1>{html.escape(t('index.title', dataset=dataset.name))}</h1>{banner}"
        f"<table border='1' cellpadding='6' style='border-collapse:collapse'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{summary_link}</body></html>\n"
    )
    path = folder / "index.html"
    write_text_atomic(path, page)
    return path
