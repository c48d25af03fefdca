"""Level 3, Perilaku: application on the job, self- against supervisor-rated, and support."""

from __future__ import annotations

import pandas as pd

from .. import evaluation as ev
from .findings import CI, Int, Num, finding
from .region import RegionData, people, suppress_rows
from .section import Section, direction, unavailable

RATINGS = ("application_self", "application_supervisor", "supervisor_support", "colleague_support")


def behaviour(data: RegionData) -> Section:
    sec = Section("behaviour")
    fu = data.followup
    if people(fu) < data.min_cell:
        return unavailable(sec, data, "followup")
    cols = list(RATINGS)
    df = fu[cols + ["participant_key", "program_id", "months_after"]].copy()
    for c in cols:
        df[c] = df[c].astype("Float64").astype(float)
    rows = []
    for c in cols:
        x = df.dropna(subset=[c])
        # Each person answers at several follow-up waves and for several programmes.
        m = ev.clustered_mean(x[c].to_numpy(), x["participant_key"].to_numpy())
        lo, hi = m.ci_low, m.ci_high
        rows.append({"item": c, "n": len(x), "people": people(x), "mean": x[c].mean(), "ci_low": lo, "ci_high": hi})
    means = suppress_rows(pd.DataFrame(rows), "people", data.min_cell, totals_shown=False)
    sec.tables["means"] = means.drop(columns=["people"])
    both = df.dropna(subset=["application_self", "application_supervisor"])
    if people(both) >= data.min_cell:
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
    fit_rows = df.dropna(subset=["application_self", "supervisor_support", "colleague_support"])
    if people(fit_rows) >= data.min_cell:
        model = ev.support_association(
            df,
            outcome="application_self",
            predictors=["supervisor_support", "colleague_support"],
            cluster="participant_key",
        )
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
    return sec
