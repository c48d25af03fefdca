"""The sections around the four levels: qualitative excerpts and the data-quality appendix."""

from __future__ import annotations

import pandas as pd

from .findings import Int, finding
from .region import RegionData
from .section import Section


def qualitative(data: RegionData) -> Section:
    sec = Section("qualitative")
    q = data.qualitative
    if len(q):
        sec.tables["excerpts"] = q[["source", "theme", "excerpt"]].reset_index(drop=True)
    elif not data.collected("qualitative"):
        sec.status = "not_collected"
        sec.findings.append(finding("common.not_collected"))
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
    return sec
