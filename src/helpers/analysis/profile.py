"""Programme and participant profile: who was trained in what."""

from __future__ import annotations

import pandas as pd

from .findings import Int, finding
from .region import RegionData, people, recorded, suppress_rows
from .section import NOT_COLLECTED, Section, missing_columns, part_not_collected

PROGRAMME_DETAILS = ("method", "delivery", "partner", "jp")
PARTICIPANT_DETAILS = ("agency", "position_type", "gender", "education")


def profile(data: RegionData) -> Section:
    sec = Section("profile")
    if not data.collected("programs") and not data.collected("participants"):
        sec.status = NOT_COLLECTED
        sec.findings.append(finding("common.not_collected"))
        return sec
    progs, roster = data.programs, data.participants
    enrolled = _programme_table(sec, data) if data.collected("programs") else None
    agencies = int(roster["agency"].nunique()) if recorded(roster, "agency") else None
    if enrolled is not None and data.collected("participants") and agencies is not None:
        sec.findings.append(
            finding(
                "profile.lead",
                programs=Int(len(progs)),
                people=Int(people(roster)),
                enrolled=Int(enrolled),
                agencies=Int(agencies),
            )
        )
    else:
        # Said piece by piece, so that nothing the dataset lacks is ever counted as zero.
        if data.collected("programs"):
            sec.findings.append(finding("profile.programs", programs=Int(len(progs))))
        else:
            part_not_collected(sec, "programs", "programme_list", "programs")
        if not data.collected("participants"):
            part_not_collected(sec, "participants", "people_on_record", "participants")
        elif agencies is not None:
            sec.findings.append(finding("profile.people_agencies", people=Int(people(roster)), agencies=Int(agencies)))
        else:
            sec.findings.append(finding("profile.people", people=Int(people(roster))))
        if enrolled is not None:
            sec.findings.append(finding("profile.enrolled", enrolled=Int(enrolled)))
        elif data.collected("programs"):
            part_not_collected(sec, "enrolled", "programme_enrolment", "enrollments")
    if data.collected("programs") and (gone := missing_columns(data, "programs", PROGRAMME_DETAILS, progs)):
        part_not_collected(sec, "programme_details", "programme_details", "programs", gone)
    if data.collected("participants"):
        if gone := missing_columns(data, "participants", PARTICIPANT_DETAILS, roster):
            part_not_collected(sec, "participant_details", "participant_details", "participants", gone)
        _composition(sec, data, roster)
    return sec


def _programme_table(sec: Section, data: RegionData) -> int | None:
    """The programme table; with enrolments, who enrolled and completed. Returns the number of
    people enrolled, or None when enrolments were not collected (the columns are then left out,
    never shown as 0)."""
    progs = data.programs
    cols = [c for c in ("title", *PROGRAMME_DETAILS) if recorded(progs, c)]
    if not data.collected("enrollments"):
        sec.tables["programmes"] = progs[cols].reset_index(drop=True)
        return None
    enr = data.enrollments
    per_prog = enr.groupby("program_id").agg(
        enrolled=("participant_key", "nunique"), completed=("status", lambda s: int((s == "completed").sum()))
    )
    # Enrolments were collected: a programme nobody enrolled in has a real zero.
    progs = progs.merge(per_prog, on="program_id", how="left").fillna({"enrolled": 0, "completed": 0})
    table = progs[[*cols, "enrolled", "completed"]].copy()
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
    return people(enr)


def _composition(sec: Section, data: RegionData, roster: pd.DataFrame) -> None:
    parts = []
    for col in ("position_type", "gender", "education"):
        if recorded(roster, col):
            counts = roster[col].fillna("?").value_counts().rename_axis("category").reset_index(name="n")
            counts.insert(0, "variable", col)
            parts.append(counts.astype({"n": "int64"}))
    if parts:
        sec.tables["participants"] = suppress_rows(
            pd.concat(parts, ignore_index=True), "n", data.min_cell, group_by="variable"
        )
