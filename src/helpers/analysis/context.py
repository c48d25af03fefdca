"""The sections around the four levels: qualitative excerpts and the data-quality appendix."""

from __future__ import annotations

import pandas as pd

from .findings import Fields, Int, Uncollected, finding
from .region import RegionData
from .section import NOT_COLLECTED, Section, missing_columns, part_not_collected


def qualitative(data: RegionData) -> Section:
    sec = Section("qualitative")
    if not data.has("qualitative", "excerpt"):
        sec.status = NOT_COLLECTED
        sec.findings.append(finding("common.not_collected"))
        return sec
    q = data.qualitative
    if gone := missing_columns(data, "qualitative", ("source", "theme")):
        part_not_collected(sec, "excerpt_details", "excerpt_details", "qualitative", gone)
    if len(q):
        cols = [c for c in ("source", "theme", "excerpt") if c in q.columns]
        sec.tables["excerpts"] = q[cols].reset_index(drop=True)
    else:
        # Collected, but nothing for this region: a real zero, said as such.
        sec.findings.append(finding("common.no_rows", what=Fields("qualitative")))
    return sec


def data_quality(data: RegionData) -> Section:
    sec = Section("quality")
    manifest = data.dataset.manifest
    counts = pd.DataFrame([{"table": k, **v} for k, v in manifest["tables"].items()])
    sec.tables["counts"] = counts
    sec.tables["rules"] = pd.DataFrame(
        manifest.get("problems_by_rule", []), columns=["table", "column", "rule", "rows"]
    )
    quarantined = int(counts["quarantined"].sum()) if len(counts) else 0
    sec.findings.append(
        finding(
            "quality.lead",
            read=Int(int(counts["read"].sum()) if len(counts) else 0),
            accepted=Int(int(counts["accepted"].sum()) if len(counts) else 0),
            quarantined=Int(quarantined),
            min_cell=Int(data.min_cell),
        )
    )
    blank = int(sum((manifest.get("blank_rows_skipped") or {}).values()))
    if blank:
        sec.findings.append(finding("quality.blank", blank=Int(blank)))
    missing = uncollected(data)
    if missing.tables or missing.columns:
        sec.findings.append(finding("common.dataset_not_collected", what=missing))
    return sec


def uncollected(data: RegionData) -> Uncollected:
    """What the dataset did not supply, as a finding value."""
    missing = data.not_collected()
    return Uncollected(tuple(missing["tables"]), tuple((t, tuple(cols)) for t, cols in missing["columns"].items()))
