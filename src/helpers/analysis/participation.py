"""Participation and its barriers: completion, attendance, the 20 JP standard, schedule
conflicts and incentives."""

from __future__ import annotations

import pandas as pd

from .. import evaluation as ev
from .findings import CI, Int, Label, Num, Pct, finding
from .region import RegionData, people, recorded, suppress_rows
from .section import (
    NOT_COLLECTED,
    REFUSED,
    Section,
    direction,
    missing_columns,
    part_not_collected,
    refuse,
    unavailable,
)

FACTORS = ("schedule_conflict", "incentive")
PREDICTORS = ("schedule_conflict", "incentive", "workload")
#: Where each barrier is recorded: per enrolment, or per programme.
SOURCE = {"schedule_conflict": "enrollments", "workload": "enrollments", "incentive": "programs"}
SESSIONS = ("sessions_attended", "sessions_total")


def jp_frame(data: RegionData, enr: pd.DataFrame) -> pd.DataFrame:
    """Every ASN on record for every year of the dataset, with the JP of completed programmes.

    An ASN who completed nothing in a year still counts in that year's denominator (0 JP):
    the 20 JP rule is owed by every civil servant, not only by those who enrolled.
    """
    period = data.dataset.manifest.get("period") or {}
    years = sorted(pd.to_datetime(enr["end_date"]).dt.year.dropna().astype(int).unique().tolist())
    if period.get("start") and period.get("end"):
        years = list(range(int(str(period["start"])[:4]), int(str(period["end"])[:4]) + 1))
    roster = pd.MultiIndex.from_product(
        [data.participants["participant_key"].unique(), years], names=["participant_key", "year"]
    ).to_frame(index=False)
    done = enr.assign(
        year=pd.to_datetime(enr["end_date"]).dt.year.astype(int),
        jp=enr["jp"].astype(float),
        completed=enr["status"] == "completed",
    )[["participant_key", "year", "jp", "completed"]]
    zero = roster.assign(jp=0.0, completed=False)
    return pd.concat([done, zero], ignore_index=True)


def _factor(data: RegionData, enr: pd.DataFrame, name: str) -> bool:
    """Whether a barrier was collected and has at least one value in this region's enrolments."""
    column = data.program_column("enrollments", name) if SOURCE[name] == "programs" else name
    return column is not None and data.has(SOURCE[name], name) and recorded(enr, column)


def participation(data: RegionData) -> Section:
    sec = Section("participation")
    enr = data.enrollments.copy()
    if people(enr) < data.min_cell:
        return unavailable(sec, data, "enrollments")
    enr["completed"] = enr["status"] == "completed"
    n = len(enr)
    # People enrol in several programmes: the interval treats a person's enrolments as a cluster.
    rate = ev.clustered_proportion(enr["completed"].to_numpy(), enr["participant_key"].to_numpy())
    sec.results["completion"] = rate
    common = {
        "n": Int(n),
        "people": Int(people(enr)),
        "rate": Pct(rate.proportion),
        "ci": CI(rate.ci_low, rate.ci_high, 1, percent=True),
    }
    # Attendance needs both session counts on the same enrolment; without them it is unknown.
    attended = enr.dropna(subset=list(SESSIONS)) if all(recorded(enr, c) for c in SESSIONS) else enr.iloc[:0]
    if len(attended):
        attendance = (attended["sessions_attended"].astype(float) / attended["sessions_total"].astype(float)).mean()
        sec.results["attendance"] = attendance
        sec.findings.append(finding("participation.lead", **common, attendance=Pct(attendance)))
    else:
        sec.findings.append(finding("participation.lead_completion", **common))
        lacking = tuple(c for c in SESSIONS if not recorded(enr, c)) or SESSIONS
        part_not_collected(sec, "attendance", "attendance", "enrollments", lacking)
    _jp(sec, data, enr)
    _by_factor(sec, data, enr)
    _model(sec, data, enr)
    _reasons(sec, data, enr)
    return sec


def _jp(sec: Section, data: RegionData, enr: pd.DataFrame) -> None:
    """Attainment of the yearly JP target; never from a JP that was not recorded."""
    if data.program_column("enrollments", "jp") is None or not recorded(data.programs, "jp"):
        part_not_collected(sec, "jp", "jp_attainment", "programs", ("jp",))
        return
    if not data.collected("participants"):
        part_not_collected(sec, "jp", "jp_attainment", "participants")
        return
    if enr.loc[enr["completed"], "jp"].isna().any():
        # A completed programme of unknown length: a person's JP total is unknown, not short.
        refuse(sec, "jp", "jp_incomplete")
        sec.findings.append(finding("participation.jp_refused", reason=Label("reason", "jp_incomplete")))
        return
    jp = ev.jp_attainment(
        jp_frame(data, enr), target=float(data.settings["participation.jp_target"]), cluster="participant_key"
    )
    sec.results["jp"] = jp
    sec.tables["jp"] = suppress_rows(jp.to_frame(), "n", data.min_cell, keep=["year"])
    sec.findings.append(
        finding(
            "participation.jp",
            share=Pct(jp.share),
            ci=CI(jp.ci_low, jp.ci_high, 1, percent=True),
            n=Int(jp.n),
            target=Int(int(jp.target)),
            people=Int(people(data.participants)),
        )
    )


def _by_factor(sec: Section, data: RegionData, enr: pd.DataFrame) -> None:
    """Completion with and without each barrier; a barrier not collected keeps a flagged row."""
    rows, absent = [], []
    for flag in FACTORS:
        if not _factor(data, enr, flag):
            absent.append(flag)
            part_not_collected(sec, f"by_factor.{flag}", flag, SOURCE[flag], (flag,))
            continue
        for value, grp in enr.dropna(subset=[flag]).groupby(flag):
            r = ev.clustered_proportion(grp["completed"].to_numpy(), grp["participant_key"].to_numpy())
            rows.append(
                {
                    "factor": flag,
                    "value": bool(value),
                    "n": len(grp),
                    "people": people(grp),
                    "completion": r.proportion,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                }
            )
    by_factor = pd.DataFrame(rows, columns=["factor", "value", "n", "people", "completion", "ci_low", "ci_high"])
    by_factor = suppress_rows(
        by_factor, "people", data.min_cell, group_by="factor", value_cols=["n", "completion", "ci_low", "ci_high"]
    )
    if absent:
        flagged = pd.DataFrame({"factor": absent, "suppressed": False, "not_collected": True})
        by_factor = pd.concat([by_factor.assign(not_collected=False), flagged], ignore_index=True)
        by_factor["value"] = by_factor["value"].astype("boolean")
        by_factor["n"] = by_factor["n"].astype("Int64")
    sec.results["by_factor"] = by_factor
    sec.tables["by_factor"] = by_factor.drop(columns=["people"])


def _model(sec: Section, data: RegionData, enr: pd.DataFrame) -> None:
    """Logistic regression of completion on schedule conflict, incentive and workload."""
    predictors = []
    for c in PREDICTORS:
        if not _factor(data, enr, c):
            sec.missing[f"odds_ratio.{c}"] = NOT_COLLECTED
            if c not in FACTORS:  # the barriers above already said so
                part_not_collected(sec, f"odds_ratio.{c}", c, SOURCE[c], (c,))
        elif enr[c].nunique() < 2:
            refuse(sec, f"odds_ratio.{c}", "constant_predictor")
        else:
            predictors.append(c)
    if not predictors or enr["completed"].nunique() < 2:
        for c in predictors:
            refuse(sec, f"odds_ratio.{c}", "constant_outcome")
        if any(sec.missing.get(f"odds_ratio.{c}") == REFUSED for c in PREDICTORS):
            sec.findings.append(finding("participation.no_model"))
        return
    sec.results["model_terms"] = tuple(predictors)
    model_df = enr[["completed", "program_id", *predictors]].copy()
    for c in predictors:
        model_df[c] = model_df[c].astype(float)
    # Cluster by programme only when there are programmes enough to estimate it.
    enough = model_df["program_id"].nunique() >= int(data.settings["participation.min_programs_for_clustering"])
    try:
        model = ev.participation_model(
            model_df, outcome="completed", predictors=predictors, cluster="program_id" if enough else None
        )
    except ev.EstimationRefused as exc:
        sec.results["model_refused"] = exc.reason
        for c in predictors:
            refuse(sec, f"odds_ratio.{c}", exc.reason)
        sec.findings.append(finding("participation.model_refused", reason=Label("reason", exc.reason)))
        return
    sec.results["model"] = model
    sec.tables["model"] = model.to_frame()
    terms = model.to_frame().set_index("term")
    if "schedule_conflict" in terms.index:
        row = terms.loc["schedule_conflict"]
        sec.findings.append(
            finding(
                f"participation.conflict_{direction(row['ci_low'], row['ci_high'], 1.0)}",
                odds=Num(row["odds_ratio"]),
                ci=CI(row["ci_low"], row["ci_high"]),
            )
        )


def _reasons(sec: Section, data: RegionData, enr: pd.DataFrame) -> None:
    if missing_columns(data, "enrollments", ("absence_reason",), enr):
        part_not_collected(sec, "reasons", "absence_reasons", "enrollments", ("absence_reason",))
        return
    reason = enr["absence_reason"]
    absent = enr.loc[~enr["completed"] & reason.notna() & (reason != "")]
    reasons = (
        absent.groupby("absence_reason")
        .agg(n=("participant_key", "size"), people=("participant_key", "nunique"))
        .reset_index()
        .rename(columns={"absence_reason": "reason"})
        .sort_values("n", ascending=False)
    )
    reasons = suppress_rows(
        reasons.astype({"n": "int64", "people": "int64"}), "people", data.min_cell, value_cols=["n"]
    )
    sec.tables["reasons"] = reasons.drop(columns=["people"])
