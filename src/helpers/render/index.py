"""``reports/<dataset>/index.html`` (``index.en.html``): a card per region with its headline numbers,
read from the regions' ``metrics.json`` files, and links to its HTML, PDF, xlsx and executed
notebook, plus the cross-region summary. Self-contained (inline CSS, no external resources) and
readable on a phone."""

from __future__ import annotations

import html
from pathlib import Path

from .. import paths
from ..analysis.cross_region import read_metrics
from ..errors import UsageError
from ..present.headlines import indicator_value
from ..present.text import LANGS, Text
from ..store import ProcessedDataset
from .export import write_text_atomic
from .layout import file_name

# The learning gain with its programme-clustered interval, as in the reports (not the unclustered d_z).
INDEX_COLUMNS = (
    "profile.participants",
    "participation.completion_rate",
    "learning.mean_gain",
    "participation.jp_share",
)

INDEX_CSS = """
body{font-family:"Noto Sans","DejaVu Sans","Liberation Sans",Arial,sans-serif;font-size:16px;line-height:1.45;
color:#1a1a1a;max-width:60rem;margin:0 auto;padding:0 1rem 2rem}
h1{font-size:1.5rem;line-height:1.25}
.asn-banner{border:3px solid #b2182b;background:#fde0dd;padding:10px 14px;font-weight:bold;color:#67001f}
.asn-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem;margin:1rem 0}
.asn-card{border:1px solid #ccc;border-radius:6px;padding:.8rem 1rem;min-width:0}
.asn-card h2{font-size:1.1rem;margin:0 0 .2rem}
.asn-card .code{color:#555;font-size:.85rem;margin:0 0 .5rem}
.asn-card dl{margin:0 0 .6rem}
.asn-card dt{font-size:.85rem;color:#444}
.asn-card dd{margin:0 0 .4rem;font-weight:bold;overflow-wrap:anywhere}
.asn-links{display:flex;flex-wrap:wrap;gap:.4rem;padding:0;margin:0;list-style:none}
.asn-links a{display:inline-block;padding:.3rem .6rem;border:1px solid #2166ac;border-radius:4px;color:#1a4f8a;
text-decoration:none}
.asn-missing{color:#777}
.asn-other{font-size:.9rem}
"""


def _link(folder, name: str, ext: str, lang: str, label: str) -> str:
    target = file_name(name, ext, lang)
    if not (folder / target).is_file():
        return ""
    return f"<li><a href='{html.escape(target)}'>{html.escape(label)}</a></li>"


def write_index(dataset: ProcessedDataset, lang: str = "id"):
    t = Text(lang)
    folder = paths.reports_dataset_dir(dataset.name)
    folder.mkdir(parents=True, exist_ok=True)
    cards = []
    for r in dataset.regions:
        rid = r["id"]
        metrics_path = folder / file_name(rid, "metrics.json", lang)
        try:
            indicators = read_metrics(metrics_path).indicators if metrics_path.is_file() else {}
        except (UsageError, KeyError, ValueError):
            indicators = {}  # an older schema: the link stays, the numbers wait for a re-render
        name = html.escape(r["name"])
        if (folder / file_name(rid, "html", lang)).is_file():
            heading = f"<a href='{html.escape(file_name(rid, 'html', lang))}'>{name}</a>"
        else:
            heading = f"{name} <span class='asn-missing'>({html.escape(t('index.not_rendered'))})</span>"
        numbers = "".join(
            f"<dt>{html.escape(t(f'metrics.{i}', target=20))}</dt>"
            f"<dd>{html.escape(indicator_value(indicators[i], t)) if i in indicators else '–'}</dd>"
            for i in INDEX_COLUMNS
        )
        links = "".join(
            _link(folder, rid, ext, lang, t(f"render.index.{key}"))
            for ext, key in (("html", "html"), ("pdf", "pdf"), ("xlsx", "xlsx"), ("ipynb", "notebook"))
        )
        code = r.get("kemendagri_code", "")
        code_line = (
            f"<p class='code'>{html.escape(t('render.index.kemendagri'))} {html.escape(code)}</p>" if code else ""
        )
        cards.append(
            f"<article class='asn-card' id='region-{html.escape(rid)}'><h2>{heading}</h2>{code_line}"
            f"<dl>{numbers}</dl><ul class='asn-links'>{links}</ul></article>"
        )
    summary = ""
    if (folder / file_name("summary", "html", lang)).is_file():
        links = "".join(
            _link(folder, "summary", ext, lang, t(f"render.index.{key}"))
            for ext, key in (("html", "html"), ("pdf", "pdf"), ("ipynb", "notebook"))
        )
        summary = (
            f"<section class='asn-card'><h2>{html.escape(t('cross.title'))}</h2>"
            f"<ul class='asn-links'>{links}</ul></section>"
        )
    others = "".join(
        f"<p class='asn-other'><a href='{html.escape(file_name('index', 'html', other))}' hreflang='{other}'>"
        f"{html.escape(t('render.index.other_language'))}</a></p>"
        for other in LANGS
        if other != lang and (folder / file_name("index", "html", other)).is_file()
    )
    banner = (
        f"<div class='asn-banner'>"
        f"{html.escape(t('report.synthetic_banner', region=t.join(r['name'] for r in dataset.regions)))}</div>"
        if dataset.synthetic
        else ""
    )
    title = html.escape(t("index.title", dataset=dataset.name))
    page = (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<link rel='icon' href='data:,'><title>{title}</title><style>{INDEX_CSS}</style></head>"
        f"<body><h1>{title}</h1>{others}{banner}"
        f"<div class='asn-cards'>{''.join(cards)}</div>{summary}</body></html>\n"
    )
    path = folder / file_name("index", "html", lang)
    write_text_atomic(path, page)
    return path


def write_indexes(dataset: ProcessedDataset, lang: str = "id") -> Path:
    """Write the index in ``lang``, then refresh the index of every other language already
    rendered, so that each links to the other (the first one written could not)."""
    path = write_index(dataset, lang)
    folder = path.parent
    for other in LANGS:
        if other != lang and (folder / file_name("index", "html", other)).is_file():
            write_index(dataset, other)
    return path
