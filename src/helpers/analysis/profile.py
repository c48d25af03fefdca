"""Programme and participant profile: who was trained in what."""

from __future__ import annotations

import pandas as pd

from .findings import Int, finding
from .region import RegionData, people, suppress_rows
from .section import Section


def profile(data: RegionData) -> Section:
    sec = Section("profile")
    enr = data.enrollments
    per_prog = enr.groupby("program_id").agg(
        enrolled=("participant_key", "nunique"), completed=("status", lambda s: int((s == "completed").sum()))
    )
    progs = data.programs.merge(per_prog, on="program_id", how="left").fillna({"enrolled": 0, "completed": 0})
    cols = [c for c in ("title", "method", "delivery", "partner", "jp", "enrolled", "completed") if c in progs.columns]
    table = progs[cols].copy()
    table[["enrolled", "completed"]] = table[["enrolled", "completed"]].astype("int64")
    # A programme's completers and non-completers are groups of people too: 5 enrolled with 3
    # completed shows two groups of 2 and 3. The row is masked when its smallest non-empty group
    # is below the minimum cell size (zero is published, as everywhere).
    groups = pd.concat([table["enrolled"], table["completed"], table["enrolled"] - table["completed"]], axis=1)
    table["smallest_group"] = groups.where(groups > 0).min(axis=1).fillna(0).astype("int64")
    masked = suppress_rows(
        table, "smallest_group", data.min_cell, value_cols=["enrolled", "completed"], totals_shown=False
    )
    sec.tables["programmes"] = masked.drop(columns=["smallest_group"])
    roster = data.participants
    sec.findings.append(
        finding(
            "profile.lead",
            programs=Int(len(progs)),
            people=Int(people(roster)),
            enrolled=Int(people(enr)),
            agencies=Int(roster["agency"].nunique()),
        )
    )
    parts = []
    for col in ("position_type", "gender", "education"):
        if col in roster.columns:
            counts = roster[col].fillna("?").value_counts().rename_axis("category").reset_index(name="n")
            counts.insert(0, "variable", col)
            parts.append(counts.astype({"n": "int64"}))
    comp = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"variable": [], "category": [], "n": []})
    sec.tables["participants"] = suppress_rows(comp, "n", data.min_cell, group_by="variable")
    return sec
