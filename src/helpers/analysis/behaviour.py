"""Level 3, Perilaku: application on the job, self- against supervisor-rated, and support."""

from __future__ import annotations

import pandas as pd

from .. import evaluation as ev
from .findings import CI, Int, Num, finding
from .region import RegionData, people, recorded, suppress_rows
from .section import TOO_FEW, Section, direction, missing_columns, part_not_collected, unavailable

RATINGS = ("application_self", "application_supervisor", "supervisor_support", "colleague_support")
SUPPORT = ("supervisor_support", "colleague_support")


def behaviour(data: RegionData) -> Section:
    sec = Section("behaviour")
    fu = data.followup
    if people(fu) < data.min_cell:
        return unavailable(sec, data, "followup")
    cols = [c for c in RATINGS if recorded(fu, c)]  # an all-blank rating is no data either
    df = fu[cols + ["participant_key", "program_id", "months_after"]].copy()
    for c in cols:
        df[c] = df[c].astype("Float64").astype(float)
    sec.tables["means"] = _means(df, data)
    _gap(sec, data, df)
    _support(sec, data, df)
    return sec


def _means(df: pd.DataFrame, data: RegionData) -> pd.DataFrame:
    """Mean of every rating; a rating the dataset did not collect keeps its row, flagged."""
    rows = []
    for c in RATINGS:
        if c not in df.columns:
            continue
        x = df.dropna(subset=[c])
        # Each person answers at several follow-up waves and for several programmes.
        m = ev.clustered_mean(x[c].to_numpy(), x["participant_key"].to_numpy())
        lo, hi = m.ci_low, m.ci_high
        rows.append({"item": c, "n": len(x), "people": people(x), "mean": x[c].mean(), "ci_low": lo, "ci_high": hi})
    means = pd.DataFrame(rows, columns=["item", "n", "people", "mean", "ci_low", "ci_high"]).astype({"n": "int64"})
    means = suppress_rows(means, "people", data.min_cell, totals_shown=False).drop(columns=["people"])
    gone = missing_columns(data, "followup", RATINGS, df)
    if gone:
        absent = pd.DataFrame({"item": list(gone), "suppressed": False, "not_collected": True})
        means = pd.concat([means.assign(not_collected=False), absent], ignore_index=True)
        means["n"] = means["n"].astype("Int64")
    return means


def _gap(sec: Section, data: RegionData, df: pd.DataFrame) -> None:
    needed = ("application_self", "application_supervisor")
    if gone := missing_columns(data, "followup", needed, df):
        part_not_collected(sec, "gap", "application_gap", "followup", gone)
        return
    both = df.dropna(subset=list(needed))
    if people(both) < data.min_cell:
        sec.missing["gap"] = TOO_FEW
        sec.findings.append(finding("behaviour.gap_too_few", min_cell=Int(data.min_cell)))
        return
    # Self minus supervisor rating, clustered by participant (repeated waves and programmes).
    gap = ev.clustered_mean(
        (both["application_self"] - both["application_supervisor"]).to_numpy(), both["participant_key"].to_numpy()
    )
    sec.results["gap"] = gap
    sec.findings.append(
        finding(
            f"behaviour.lead_{direction(gap.ci_low, gap.ci_high)}",
            n=Int(gap.n),
            gap=Num(abs(gap.mean)),
            ci=CI(gap.ci_low, gap.ci_high),
        )
    )


def _support(sec: Section, data: RegionData, df: pd.DataFrame) -> None:
    """Self-rated application on supervisor (and colleague) support, clustered by participant.

    Without supervisor support there is nothing to estimate; without colleague support the
    model has supervisor support alone, and the report says the colleague part is missing.
    """
    if gone := missing_columns(data, "followup", ("application_self", "supervisor_support"), df):
        part_not_collected(sec, ("support", "by_support"), "support", "followup", gone)
        return
    predictors = [c for c in SUPPORT if c in df.columns]
    if "colleague_support" not in predictors:
        part_not_collected(sec, "colleague_support", "colleague_support", "followup", ("colleague_support",))
    fit_rows = df.dropna(subset=["application_self", *predictors])
    if people(fit_rows) < data.min_cell:
        sec.missing["support"] = sec.missing["by_support"] = TOO_FEW
        sec.findings.append(finding("behaviour.support_too_few", min_cell=Int(data.min_cell)))
        return
    model = ev.support_association(df, outcome="application_self", predictors=predictors, cluster="participant_key")
    sec.results["support"] = model
    sec.tables["support"] = model.to_frame()
    coef = model.to_frame().set_index("term").loc["supervisor_support"]
    if pd.notna(coef["coefficient"]):
        sec.findings.append(
            finding(
                "behaviour.support",
                b=Num(coef["coefficient"]),
                ci=CI(coef["ci_low"], coef["ci_high"]),
                n=Int(model.n),
            )
        )
    rows = []
    for level, grp in fit_rows.groupby("supervisor_support"):
        m = ev.clustered_mean(grp["application_self"].to_numpy(), grp["participant_key"].to_numpy())
        lo, hi = m.ci_low, m.ci_high
        rows.append(
            {
                "support_level": int(level),
                "n": len(grp),
                "people": people(grp),
                "mean": grp["application_self"].mean(),
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    by_support = pd.DataFrame(rows, columns=["support_level", "n", "people", "mean", "ci_low", "ci_high"])
    sec.results["by_support"] = suppress_rows(by_support, "people", data.min_cell, totals_shown=False)
