"""Write a region's artefacts from its one report model: ``metrics.json`` and the partner xlsx.

Called by the region notebook, in the same run that displays the report, so the HTML, the
xlsx and ``metrics.json`` show the same numbers (docs/architecture.md, "Compute once").
Every file is written beside its target and renamed into place: no half-written output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from ..analysis.metrics import SCHEMA
from ..analysis.report import RegionReport
from ..present.headlines import indicator_label
from ..present.tables import localize
from ..present.text import Text

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
    """Every headline indicator as numbers (the first sheet of the xlsx)."""
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
        }
        for ind in report.indicators
    ]
    return pd.DataFrame(rows)


def write_tables_xlsx(report: RegionReport, path: Path, lang: str) -> Path:
    """The headline indicators and every table of a report, one sheet each, with numbers as numbers.

    Suppressed cells are empty and flagged in the ``suppressed`` column, as in the report.
    """
    t = Text(lang)
    tmp = path.with_name(path.name + ".tmp")
    used: set[str] = {HEADLINE_SHEET}
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        headline_frame(report, lang).to_excel(writer, sheet_name=HEADLINE_SHEET, index=False)
        for sec in report.sections.values():
            for name, table in sec.tables.items():
                sheet = f"{sec.key}-{name}"[:31]
                while sheet in used:
                    sheet = sheet[:29] + f"{len(used):02d}"
                used.add(sheet)
                localize(table, t).to_excel(writer, sheet_name=sheet, index=False)
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
