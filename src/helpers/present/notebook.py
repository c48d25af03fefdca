"""Display helpers for the report notebooks: headings, paragraphs, tables and figures as HTML.

Presentation only: numbers are formatted here, never computed. Four things stay apart in a
table: a suppressed cell (below the minimum cell size) is ■, a value that was not estimated or
does not exist is –, a cell whose data were not collected says so in words, and a real zero
is 0. A table that shows more than one of them gets a legend line under it.

Tables and figures are numbered per report, so that a reader can cite "Tabel 7": "Tabel N.
<title>" above each table, "Gambar N. <caption>" under each figure ("Table N." and "Figure N."
in English). ``style`` restarts both counts; it is called once at the top of each notebook.
"""

from __future__ import annotations

import html
import math

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display

from .tables import FLAGS, NOT_COLLECTED_FLAG, SUPPRESSED_FLAG, for_display
from .text import Text
from .wording import say_all

SUPPRESSED = "■"
NOT_ESTIMATED = "–"
_text = Text("id")  # number format of the report being built; set by style(lang)
_shown = {"table": 0, "figure": 0}  # tables and figures numbered so far in this report

CSS = """
<style>
.asn-banner {border: 3px solid #b2182b; background: #fde0dd; padding: 12px 16px; margin: 8px 0 16px 0;
             font-weight: bold; color: #67001f; font-size: 1.05em;}
.asn-table {border-collapse: collapse; margin: 6px 0 14px 0; font-size: 0.9em;}
table.asn-table th {background: #f0f0f0; text-align: left !important; padding: 4px 8px; border-bottom: 1px solid #999;}
table.asn-table td {padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left !important;}
table.asn-table td.num {text-align: right !important; font-variant-numeric: tabular-nums;}
.asn-caption {color: #555; font-size: 0.85em; margin-bottom: 10px;}
.asn-table-title {font-weight: bold; margin: 14px 0 4px 0;}
.asn-label {font-weight: bold;}
.asn-rec li {margin-bottom: 6px;}
</style>
"""


def style(lang: str = "id") -> None:
    """Set the report's language (for number formats), restart the numbering of tables and
    figures, and emit the stylesheet."""
    global _text
    _text = Text(lang)
    _shown.update(table=0, figure=0)
    display(HTML(CSS))


def number(kind: str) -> str:
    """The next label of a ``table`` or ``figure`` in this report: "Tabel 3." / "Figure 2."."""
    _shown[kind] += 1
    return _text(f"numbering.{kind}", n=_shown[kind])


def table_title(title: str) -> str:
    """The numbered title line that goes above a table: "Tabel N. <title>"."""
    words = f" {html.escape(title)}" if title else ""
    return f"<div class='asn-table-title'><span class='asn-label'>{html.escape(number('table'))}</span>{words}</div>"


def figure_caption(caption: str) -> str:
    """The numbered line that goes under a figure: "Gambar N. <caption>".

    ``helpers.render.html.prepare`` makes the text of an ``asn-caption`` output that follows a
    figure its alt text. A figure without a caption still gets its number, but not that class,
    so that its alt text stays "Gambar: <section>" rather than a bare number.
    """
    label = f"<span class='asn-label'>{html.escape(number('figure'))}</span>"
    if not caption:
        return f"<div class='asn-figure-caption'>{label}</div>"
    return f"<div class='asn-caption asn-figure-caption'>{label} {html.escape(caption)}</div>"


def title(text: str, subtitle: str = "") -> None:
    sub = f"<p class='asn-caption'>{html.escape(subtitle)}</p>" if subtitle else ""
    display(HTML(f"<h1>{html.escape(text)}</h1>{sub}"))


def banner(text: str) -> None:
    """The synthetic-data warning: first thing on the first page."""
    display(HTML(f"<div class='asn-banner' id='synthetic-banner'>{html.escape(text)}</div>"))


def heading(text: str, level: int = 2, anchor: str = "") -> None:
    ident = f" id='{html.escape(anchor)}'" if anchor else ""
    display(HTML(f"<h{level}{ident}>{html.escape(text)}</h{level}>"))


def paragraphs(items: list[str]) -> None:
    display(HTML("".join(f"<p>{html.escape(p)}</p>" for p in items)))


def bullets(items: list[str], css_class: str = "asn-rec") -> None:
    display(HTML(f"<ul class='{css_class}'>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"))


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _cell(v, suppressed: bool, not_collected: bool = False) -> tuple[str, bool, str | None]:
    """The cell's text, whether it is numeric, and which marker it shows (or None)."""
    if suppressed:
        return SUPPRESSED, True, "suppressed"
    if _missing(v):
        if not_collected:
            return html.escape(_text("metrics.status.not_collected")), True, "not_collected"
        return NOT_ESTIMATED, True, "not_estimated"
    if isinstance(v, bool):
        return str(v), False, None
    if isinstance(v, int):
        return _text.integer(v), True, "zero" if v == 0 else None
    if isinstance(v, float):
        marker = "zero" if v == 0 else None
        return _text.num(v, 0 if v.is_integer() and abs(v) >= 100 else 2), True, marker
    return html.escape(str(v)), False, None


def legend(markers: set[str], t: Text) -> str:
    """One line that tells the markers of a table apart, when it shows more than one of them."""
    order = ("suppressed", "not_estimated", "not_collected", "zero")
    if len(markers & set(order)) < 2:
        return ""
    return t("legend.intro") + "; ".join(t(f"legend.{m}") for m in order if m in markers) + "."


def table_html(df: pd.DataFrame, caption: str = "") -> str:
    """Render a DataFrame; rows flagged ``suppressed`` show ■ for statistics, rows flagged
    ``not_collected`` say so in their empty cells; a legend line follows when needed."""

    def flags(name: str) -> list[bool]:
        return df[name].fillna(False).astype(bool).tolist() if name in df.columns else [False] * len(df)

    masked, absent = flags(SUPPRESSED_FLAG), flags(NOT_COLLECTED_FLAG)
    cols = [c for c in df.columns if c not in (*FLAGS, "suppression")]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body, used = [], set()
    for i, (_, row) in enumerate(df[cols].iterrows()):
        cells = []
        for j, c in enumerate(cols):
            v = row[c]
            v = v.item() if hasattr(v, "item") else v
            # Keep the first (label) column visible even in a suppressed row.
            text, numeric, marker = _cell(v, masked[i] and j > 0 and not isinstance(v, str), absent[i] and j > 0)
            used.add(marker)
            cells.append(f"<td class='num'>{text}</td>" if numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<div class='asn-caption'>{html.escape(caption)}</div>" if caption else ""
    key = legend(used, _text)
    cap += f"<div class='asn-caption asn-legend'>{html.escape(key)}</div>" if key else ""
    return f"<table class='asn-table'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{cap}"


def table(df: pd.DataFrame, caption: str = "", title: str = "") -> None:
    """Show a table under its numbered title ("Tabel N. <title>").

    Without a ``title`` the frame's own ``attrs["title"]`` is used, without a ``caption`` its
    ``attrs["caption"]`` (if any); the caption goes under the table.
    """
    head = table_title(title or df.attrs.get("title", ""))
    display(HTML(head + table_html(df, caption or df.attrs.get("caption", ""))))


def section(sec, t: Text, level: int = 2) -> None:
    """Heading, findings and every table of a ``helpers.analysis`` Section, in the report's language.

    Each table is titled from the catalogue: ``table_titles.<section key>.<table key>``.
    """
    heading(t(f"{sec.key}.title"), level, anchor=sec.key)
    paragraphs(say_all(sec.findings, t))
    for name, df in sec.tables.items():
        table(for_display(df, t), title=t(f"table_titles.{sec.key}.{name}"))


def headlines(rows: list[tuple[str, str, str]], header: tuple[str, str], title: str = "") -> None:
    """The executive summary: a numbered title ("Indikator utama" unless ``title`` is given), one
    row per headline indicator, tagged with its metrics.json id, then its notes
    (``helpers.present.headlines.SummaryRows.notes``: what was not collected)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        f"<tr data-indicator='{html.escape(ind_id)}'><td>{html.escape(label)}</td>"
        f"<td class='num'>{html.escape(value)}</td></tr>"
        for ind_id, label, value in rows
    )
    display(
        HTML(
            table_title(title or _text("table_titles.headlines"))
            + f"<table class='asn-table' id='headlines'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    )
    notes = getattr(rows, "notes", ())
    if notes:
        display(HTML("".join(f"<p class='asn-summary-note'>{html.escape(n)}</p>" for n in notes)))


def figure(fig: plt.Figure, caption: str = "") -> None:
    """Show a figure inline (embedded PNG in the HTML export) and free its memory; under it,
    "Gambar N. <caption>" (the output right after the image, which the HTML export reads)."""
    display(fig)
    plt.close(fig)
    display(HTML(figure_caption(caption)))
