"""The report page: an executed notebook as one self-contained HTML document, and its PDF.

The page uses the nbconvert template ``templates/asn_report`` (the ``basic`` cells in our own
shell): no script, font or style from outside the file, only ``report.css``; ``lang`` and
``<title>`` from the report; every table in a container that scrolls sideways on a phone; each
figure's caption as its ``alt`` text. The same document carries the print stylesheet: A4
pages numbered "x / y", a running header with the report title, the synthetic-data notice on
every page when the dataset is synthetic, a cover page and a table of contents with page numbers.
The PDF is rendered from exactly this HTML by WeasyPrint (``write_pdf``).
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
import re
import threading
from dataclasses import dataclass, field
from functools import partial
from importlib import metadata
from pathlib import Path

from ..present.text import Text
from ..store import ProcessedDataset

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "asn_report"
CSS_PATH = TEMPLATES / TEMPLATE_NAME / "report.css"

# Cover lines from dataset.yml (copied into the manifest by ingest): who wrote the report and for
# which partner; a region's own ``partner`` replaces the dataset's on that region's cover.
COVER_MANIFEST_KEYS = ("authoring_unit", "partner")

# A phone decides on load (and on rotation) whether a table overflows, and only then shows the hint;
# the edge shadows work without it. WeasyPrint ignores scripts.
_OVERFLOW_SCRIPT = (
    "<script>(function(){function mark(){var s=document.querySelectorAll('.asn-scroll');"
    "for(var i=0;i<s.length;i++){s[i].parentNode.toggleAttribute('data-overflow',"
    "s[i].scrollWidth>s[i].clientWidth+1);}}"
    "window.addEventListener('load',mark);window.addEventListener('resize',mark);})();</script>"
)
_H2 = re.compile(r"<h2(\s+id=['\"]([^'\"]*)['\"])?\s*>(.*?)</h2>", re.S)
_TAG = re.compile(r"<[^>]+>")
_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_LABEL = re.compile(r"<span class=['\"]asn-label['\"]>.*?</span>", re.S)  # "Gambar 2." before a caption


@dataclass(frozen=True)
class PageInfo:
    """What the shell of a report page needs besides the notebook: language, title, cover."""

    lang: str
    title: str  # <title>, the running header and the cover's heading
    subject: str  # the region (or the regions of a summary): the cover's second line
    synthetic: bool
    cover: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (label, value) rows
    notice: str = ""  # the synthetic-data banner's words, repeated on the cover


def _version() -> str:
    try:
        return metadata.version("asn-eval")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "?"


def _cover_rows(
    dataset: ProcessedDataset, t: Text, subject_label: str, subject: str, region: dict | None = None
) -> tuple[tuple[str, str], ...]:
    period = dataset.manifest.get("period") or {}
    start, end = period.get("start"), period.get("end")
    rows = [
        (subject_label, subject),
        (t("render.cover.dataset"), dataset.name),
        (
            t("render.cover.period"),
            t("render.cover.period_value", start=t.date(start) if start else "?", end=t.date(end) if end else "?"),
        ),
    ]
    own = {**dataset.manifest, **{k: v for k, v in (region or {}).items() if k in COVER_MANIFEST_KEYS and v}}
    rows += [(t(f"render.cover.{k}"), str(own[k])) for k in COVER_MANIFEST_KEYS if own.get(k)]
    rows += [
        (t("render.cover.rendered"), t.date(_dt.date.today().isoformat())),
        (t("render.cover.version"), _version()),
    ]
    return tuple(rows)


def region_page(dataset: ProcessedDataset, region_id: str, lang: str) -> PageInfo:
    """The page of a region report: "Laporan Evaluasi Pelatihan ASN — <region>"."""
    t = Text(lang)
    region = dataset.region(region_id)
    name = region["name"]
    return PageInfo(
        lang,
        t("report.title", region=name),
        name,
        dataset.synthetic,
        _cover_rows(dataset, t, t("render.cover.region"), name, region),
        t("report.synthetic_banner", region=name) if dataset.synthetic else "",
    )


def summary_page(dataset: ProcessedDataset, lang: str) -> PageInfo:
    """The page of the cross-region summary: "Ringkasan Lintas Wilayah — <dataset>"."""
    from ..present.summary import FEW_REGIONS, regions_phrase

    t = Text(lang)
    regions = dataset.regions
    provinces = len({r["province"] for r in regions if r.get("province")})
    # A national summary says "510 wilayah di 38 provinsi" on its cover and banner, not 510 names.
    names = (
        t.join(r["name"] for r in regions)
        if len(regions) <= FEW_REGIONS
        else regions_phrase([r["name"] for r in regions], t, provinces)
    )
    return PageInfo(
        lang,
        f"{t('cross.title')} — {dataset.name}",
        names,
        dataset.synthetic,
        _cover_rows(dataset, t, t("render.cover.regions"), names),
        t("report.synthetic_banner", region=names) if dataset.synthetic else "",
    )


def css_string(text: str) -> str:
    """A CSS string literal (for ``content:``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_css(info: PageInfo) -> str:
    """``report.css`` plus this report's @page rules: A4, running header, "x / y", synthetic notice."""
    t = Text(info.lang)
    notice = (
        f"@bottom-left {{content: {css_string(t('render.synthetic_notice'))}; color: #b2182b; font-weight: bold;"
        " font-size: 8pt;}"
        if info.synthetic
        else ""
    )
    return CSS_PATH.read_text(encoding="utf-8") + (
        "@page {size: A4; margin: 20mm 16mm 20mm 16mm;"
        f" @top-center {{content: {css_string(info.title)}; font-size: 8pt; color: #555;}}"
        ' @bottom-right {content: counter(page) " / " counter(pages); font-size: 8pt;}'
        f" {notice}}}\n"
    )


def _plain(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment)).strip()


def prepare(nb, t: Text) -> list[tuple[str, str]]:
    """Give every second-level heading an anchor and every figure its alt text, in memory.

    Returns the (anchor, heading text) pairs for the table of contents. A figure's alt text is its
    caption (the output that ``present.notebook.figure`` shows right after it), else "Figure:
    <section>".
    """
    toc: list[tuple[str, str]] = []
    section = ""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        for i, out in enumerate(outputs):
            data = out.get("data", {})
            if "text/html" in data:
                source = data["text/html"]
                source = "".join(source) if isinstance(source, list) else source

                def anchor(m: re.Match) -> str:
                    nonlocal section
                    ident = m.group(2) or f"section-{len(toc) + 1}"
                    section = _plain(m.group(3))
                    toc.append((ident, section))
                    return f"<h2 id='{html.escape(ident)}'>{m.group(3)}</h2>"

                data["text/html"] = _H2.sub(anchor, source)
            if "image/png" in data:
                nxt = outputs[i + 1].get("data", {}).get("text/html", "") if i + 1 < len(outputs) else ""
                nxt = "".join(nxt) if isinstance(nxt, list) else nxt
                caption = _plain(_LABEL.sub("", nxt)) if "asn-caption" in nxt else ""
                alt = caption or t("render.figure_alt", section=section or t("report.title", region="")).strip()
                out.setdefault("metadata", {}).setdefault("image/png", {})["alt"] = alt
    return toc


def scroll_tables(fragment: str, t: Text) -> str:
    """Wrap every table of an HTML output in a sideways-scrolling container with its hint."""
    hint = (
        f"<div class='asn-scroll-hint' aria-hidden='true'>{html.escape(t('render.scroll_hint'))}</div>"
        f"<div class='asn-scroll' role='region' tabindex='0' aria-label='{html.escape(t('render.table_label'))}'>"
    )
    return _TABLE.sub(lambda m: f"<div class='asn-scroll-wrap'>{hint}{m.group(0)}</div></div>", fragment)


def _cover(info: PageInfo) -> str:
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in info.cover)
    subject = "" if info.subject in info.title else f"<p class='asn-cover-region'>{html.escape(info.subject)}</p>"
    notice = f"<div class='asn-banner'>{html.escape(info.notice)}</div>" if info.notice else ""
    return (
        f"<section class='asn-cover' aria-hidden='true'><h1>{html.escape(info.title)}</h1>"
        f"{subject}<dl>{rows}</dl>{notice}</section>"
    )


def _contents(toc: list[tuple[str, str]], t: Text) -> str:
    if not toc:
        return ""
    items = "".join(f"<li><a href='#{html.escape(a)}'>{html.escape(text)}</a></li>" for a, text in toc)
    return f"<nav class='asn-toc'><h2>{html.escape(t('render.contents'))}</h2><ol>{items}</ol></nav>"


def _insert_contents(nb, contents: str) -> None:
    """Show the contents right before the first section: after the title, the synthetic-data
    banner and the reading notes, which stay the first thing a reader sees."""
    if not contents:
        return
    for cell in nb.cells:
        outputs = cell.get("outputs", []) if cell.cell_type == "code" else []
        for i, out in enumerate(outputs):
            source = out.get("data", {}).get("text/html", "")
            if "<h2" in ("".join(source) if isinstance(source, list) else source):
                from nbformat.v4 import new_output

                outputs.insert(i, new_output("display_data", data={"text/html": contents}))
                return


def report_html(notebook_path: Path, info: PageInfo) -> str:
    """Export an executed notebook to the self-contained report page, without code or markdown.

    The notebook's markdown cells are notes for the researcher who adapts it (in English); every
    word the reader sees is an output of a cell, from the message catalogue.
    """
    import nbformat  # here, not at the top: the PDF worker imports this module and needs neither
    from nbconvert import HTMLExporter

    t = Text(info.lang)
    nb = nbformat.read(notebook_path, as_version=4)
    toc = prepare(nb, t)
    _insert_contents(nb, _contents(toc, t))
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        filters={"asn_scroll_tables": partial(scroll_tables, t=t)},
    )
    resources = {
        "asn": {
            "lang": info.lang,
            "title": info.title,
            "css": page_css(info),
            "cover": _cover(info),
            "script": _OVERFLOW_SCRIPT,
            "scroll_hint": t("render.scroll_hint"),
            "figure_label": t("render.figure_label"),
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


_PDF_LOCK = threading.Lock()  # WeasyPrint (Pango, fontconfig) is not documented as thread-safe


def write_pdf(page: str, path: Path) -> Path:
    """Render the report page to ``path`` with WeasyPrint (print media: @page rules, cover, contents)."""
    import weasyprint

    # Unsupported screen-only CSS (scroll shadows, grid) is ignored on paper; do not warn per region.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    with _PDF_LOCK:
        weasyprint.HTML(string=page, base_url=str(path.parent)).write_pdf(path)
    return path
