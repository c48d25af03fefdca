"""Write a region's artefacts from its one report model: ``metrics.json`` and the partner xlsx.

Called by the region notebook, in the same run that displays the report, so the HTML, the
xlsx and ``metrics.json`` show the same numbers (docs/architecture.md, "Compute once").
Every file is written beside its target and renamed into place: no half-written output.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..analysis.metrics import SCHEMA
from ..analysis.report import RegionReport
from ..present.headlines import indicator_label
from ..present.tables import P_COLUMNS, PERCENT_COLUMNS, localize
from ..present.text import Text

#: Stable key of the headline sheet; its name is ``sheet_names(report, lang)[HEADLINE_SHEET]``.
HEADLINE_SHEET = "headlines"


def write_text_atomic(path: Path, text: str) -> None:
    """Write beside the target and rename: a reader never sees a half-written file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def metrics_payload(report: RegionReport, lang: str) -> dict:
    """The region's ``metrics.json`` (schema asn-eval/metrics/1, docs/metrics.md)."""
    t = Text(lang)
    return {
        "schema": SCHEMA,
        "dataset": report.data.dataset.name,
        "region_id": report.region_id,
        "region": report.region["name"],
        "kemendagri_code": report.region.get("kemendagri_code") or None,
        "synthetic": report.synthetic,
        "lang": lang,
        "settings": report.settings.flat(),
        "indicators": [{**ind.as_dict(), "label": indicator_label(ind, t)} for ind in report.indicators],
    }


def write_metrics(report: RegionReport, path: Path, lang: str) -> Path:
    write_text_atomic(path, json.dumps(metrics_payload(report, lang), indent=2, ensure_ascii=False) + "\n")
    return path


def headline_frame(report: RegionReport, lang: str) -> pd.DataFrame:
    """Every headline indicator as numbers (the headline sheet of the xlsx). Column names are
    the metrics.json keys, so a script finds them in either language."""
    t = Text(lang)
    rows = [
        {
            "id": ind.id,
            "label": indicator_label(ind, t),
            "estimate": ind.estimate,
            "ci_low": ind.ci_low,
            "ci_high": ind.ci_high,
            "se": ind.se,
            "n": ind.n,
            "clusters": ind.clusters,
            "method": ind.method,
            "status": ind.status,
            "scale": ind.scale,
        }
        for ind in report.indicators
    ]
    return pd.DataFrame(rows)


def _sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name: at most 31 characters, none of []:*?/\\."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name).strip("' ")[:31] or "sheet"
    title, k = base, 2
    while title.lower() in used:
        suffix = f" ({k})"
        title, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(title.lower())
    return title


def sheet_names(report: RegionReport, lang: str) -> dict[str, str]:
    """Stable sheet key (``metadata``, ``headlines``, ``<section>-<table>``) -> the sheet's
    name in the report's language (``workbook.sheets.*`` in text.yml). The metadata sheet lists
    both, so a script can find a sheet whatever the language."""
    t = Text(lang)
    used: set[str] = set()
    names = {key: _sheet_title(t(f"workbook.sheets.{key}"), used) for key in ("metadata", "headlines")}
    for sec in report.sections.values():
        for name in sec.tables:
            key = f"{sec.key}-{name}"
            try:
                label = t(f"workbook.sheets.{sec.key}.{name}")
            except KeyError:
                label = f"{t(f'{sec.key}.title')} — {name}"
            names[key] = _sheet_title(label, used)
    return names


def metadata_frame(report: RegionReport, lang: str, names: dict[str, str], today: date | None = None) -> pd.DataFrame:
    """The first sheet: what the workbook is, where its numbers come from, how to read them."""
    t = Text(lang)
    m = report.data.dataset.manifest
    period = m.get("period") or {}
    rows = [
        ("workbook.meta.dataset", report.data.dataset.name),
        ("workbook.meta.region", f"{report.region['name']} ({report.region.get('kemendagri_code') or '–'})"),
        ("workbook.meta.period", f"{t.date(period.get('start'))} – {t.date(period.get('end'))}"),
        ("workbook.meta.synthetic", t.yesno(report.synthetic)),
    ]
    if report.synthetic:
        rows.append(("workbook.meta.warning", t("report.synthetic_banner", region=report.region["name"])))
    rows += [
        ("workbook.meta.rendered", t.date((today or date.today()).isoformat())),
        ("workbook.meta.language", lang),
        ("workbook.meta.min_cell", t.integer(report.settings.min_cell)),
        ("workbook.meta.units", t("workbook.units")),
        ("workbook.meta.suppressed", t("workbook.markers.suppressed")),
        ("workbook.meta.not_estimated", t("workbook.markers.not_estimated")),
        ("workbook.meta.not_collected", t("workbook.markers.not_collected", word=t("metrics.status.not_collected"))),
        ("workbook.meta.blank", t("workbook.markers.blank")),
    ]
    out = [{"field": t(key), "value": value, "sheet_key": ""} for key, value in rows]
    out += [{"field": t("workbook.meta.sheet"), "value": title, "sheet_key": key} for key, title in names.items()]
    frame = pd.DataFrame(out)
    return frame.rename(
        columns={"field": t("workbook.columns.field"), "value": t("workbook.columns.value"), "sheet_key": "sheet_key"}
    )


#: Excel number formats: shares in percent, means with two decimals, counts as whole numbers.
PERCENT, DECIMAL, INTEGER, PVALUE = "0.0%", "0.00", "#,##0", "0.000"


def _xlsx_table(table: pd.DataFrame, t: Text) -> tuple[pd.DataFrame, list[str]]:
    """A section table for the workbook: ``localize``d (numbers stay numbers), shares back to
    0-1 so that Excel's percent format shows them; and each column's number format."""
    out = localize(table, t)
    formats = []
    shares = any(c in table.columns for c in PERCENT_COLUMNS)
    for raw, col in zip(_raw_columns(table), out.columns, strict=True):
        series = out[col]
        if raw in PERCENT_COLUMNS or (shares and raw in ("ci_low", "ci_high")):
            out[col] = series.astype(float) / 100
            formats.append(PERCENT)
        elif raw in P_COLUMNS:
            formats.append(PVALUE)
        elif raw == "year":
            formats.append("0")
        elif pd.api.types.is_integer_dtype(series) or raw in ("n", "n_answers", "rows", "read", "accepted"):
            formats.append(INTEGER)
        elif pd.api.types.is_float_dtype(series):
            formats.append(DECIMAL)
        else:
            formats.append("")
    return out, formats


def _raw_columns(table: pd.DataFrame) -> list[str]:
    """The contract names of the columns ``localize`` keeps, in its order (the IKM grade's
    ``category`` is shown under ``label``, the support level under ``label``)."""
    cols = list(table.columns)
    if "category" in cols and ("ikm" in cols or "nrr" in cols) and "label" in cols:
        cols.remove("label")
    if "support_level" in cols:
        cols.remove("support_level")
        cols.insert(0, "label")
    return cols


def _headline_formats(frame: pd.DataFrame) -> list[str]:
    return [
        INTEGER if c in ("n", "clusters") else DECIMAL if c in ("estimate", "ci_low", "ci_high", "se") else ""
        for c in frame
    ]


def _finish_sheet(ws, formats: list[str], row_formats: list[str] | None = None) -> None:
    """Bold frozen header with filters, number formats, and column widths that fit."""
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    if ws.max_row >= 1 and ws.max_column >= 1:
        ws.auto_filter.ref = ws.dimensions
    for j, column in enumerate(ws.iter_cols(min_row=1, max_row=ws.max_row), start=0):
        fmt = formats[j] if j < len(formats) else ""
        width = 8
        for i, cell in enumerate(column):
            if i > 0 and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                row_fmt = row_formats[i - 1] if row_formats and fmt == DECIMAL else ""
                cell.number_format = row_fmt or fmt or cell.number_format
            width = max(width, min(60, len(str(cell.value)) + 2 if cell.value is not None else 0))
        ws.column_dimensions[get_column_letter(j + 1)].width = width


def write_tables_xlsx(report: RegionReport, path: Path, lang: str) -> Path:
    """The partner workbook: a metadata sheet, the headline indicators and every table of the
    report, one sheet each, named in the report's language; numbers stored as numbers with
    number formats.

    Suppressed cells are empty and flagged in the ``suppressed`` column, as in the report.
    """
    t = Text(lang)
    names = sheet_names(report, lang)
    tmp = path.with_name(path.name + ".tmp")
    formats: dict[str, tuple[list[str], list[str] | None]] = {}
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        meta = metadata_frame(report, lang, names)
        meta.to_excel(writer, sheet_name=names["metadata"], index=False)
        formats[names["metadata"]] = ([], None)
        heads = headline_frame(report, lang)
        heads.to_excel(writer, sheet_name=names["headlines"], index=False)
        scale_format = {"share": PERCENT, "count": INTEGER}
        formats[names["headlines"]] = (_headline_formats(heads), [scale_format.get(s, DECIMAL) for s in heads["scale"]])
        for sec in report.sections.values():
            for name, table in sec.tables.items():
                sheet = names[f"{sec.key}-{name}"]
                shown, fmts = _xlsx_table(table, t)
                shown.to_excel(writer, sheet_name=sheet, index=False)
                formats[sheet] = (fmts, None)
        for sheet, (fmts, rows) in formats.items():
            _finish_sheet(writer.book[sheet], fmts, rows)
    os.replace(tmp, path)
    return path


def write_region_artefacts(report: RegionReport, output_dir: str | Path, lang: str) -> list[Path]:
    """``<region>.metrics.json`` and ``<region>.xlsx`` in ``output_dir`` (the render's staging folder)."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_metrics(report, folder / f"{report.region_id}.metrics.json", lang),
        write_tables_xlsx(report, folder / f"{report.region_id}.xlsx", lang),
    ]
