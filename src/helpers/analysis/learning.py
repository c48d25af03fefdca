"""Level 2, Pembelajaran: pre/post tests, effect sizes, and differences between methods."""

from __future__ import annotations

import pandas as pd

from .. import evaluation as ev
from .findings import CI, Int, Label, Num, P, Pct, finding
from .region import RegionData, people, recorded, suppress_rows
from .section import NOT_COLLECTED, TOO_FEW, Section, missing_columns, part_not_collected, unavailable

TESTED = ("pre_score", "post_score")


def learning(data: RegionData) -> Section:
    sec = Section("learning")
    if not data.collected("tests"):
        return unavailable(sec, data, "tests")
    if missing_columns(data, "tests", ("post_score",)):
        # Pre-tests alone: neither a gain nor attrition can be told.
        sec.status = NOT_COLLECTED
        part_not_collected(sec, ("overall", "attrition"), "paired_tests", "tests", ("post_score",))
        return sec
    # A pre-test without a post-test is a dropout: kept for the attrition rate, left out of
    # every paired statistic, table and figure below.
    tests = data.tests.dropna(subset=list(TESTED))
    attrition = attrition_finding(sec, data)
    if people(tests) < data.min_cell:
        unavailable(sec, data, "tests")
        sec.findings.append(attrition)
        return sec
    pre, post = tests["pre_score"].astype(float), tests["post_score"].astype(float)
    overall = ev.paired_effect(pre.to_numpy(), post.to_numpy())
    # The headline gain is clustered by programme: people trained together share an
    # instructor, a cohort and a test, so sd/sqrt(n) would overstate the precision.
    clustered = ev.clustered_mean((post - pre).to_numpy(), tests["program_id"].to_numpy())
    sec.results["overall"] = overall
    sec.results["overall_clustered"] = clustered
    sec.findings.append(
        finding(
            "learning.lead",
            n=Int(overall.n),
            programs=Int(clustered.n_clusters),
            pre=Num(overall.mean_pre, 1),
            post=Num(overall.mean_post, 1),
            diff=Num(clustered.mean, 1),
            dci=CI(clustered.ci_low, clustered.ci_high, 1),
            dz=Num(overall.d_z),
            ci=CI(overall.ci_low, overall.ci_high),
            p=P(overall.p_value),
            pw=P(overall.wilcoxon_p),
            gain=Num(overall.normalized_gain),
        )
    )
    if clustered.n_clusters < 2:
        sec.findings.append(finding("notes.one_programme"))
    sec.findings.append(attrition)
    if not data.has("programs", "method") or not recorded(tests, "method"):
        part_not_collected(sec, ("by_method", "model", "contrast_vs_weakest"), "by_method", "programs", ("method",))
        return sec
    rows = []
    for method, grp in tests.groupby("method"):
        gain = (grp["post_score"].astype(float) - grp["pre_score"].astype(float)).to_numpy()
        res = ev.paired_effect(grp["pre_score"].astype(float).to_numpy(), grp["post_score"].astype(float).to_numpy())
        mean = ev.clustered_mean(gain, grp["program_id"].to_numpy())  # NaN interval for one programme
        rows.append(
            {
                "method": method,
                "n": res.n,
                "people": people(grp),
                "programs": grp["program_id"].nunique(),
                "mean_pre": res.mean_pre,
                "mean_post": res.mean_post,
                "mean_diff": res.mean_diff,
                "diff_ci_low": mean.ci_low,
                "diff_ci_high": mean.ci_high,
                "d_z": res.d_z,
                "g_av": res.g_av,
                "normalized_gain": res.normalized_gain,
            }
        )
    by_method = suppress_rows(pd.DataFrame(rows), "people", data.min_cell, keep=["programs"])
    sec.results["by_method"] = by_method
    sec.tables["by_method"] = by_method.drop(columns=["people"])
    _method_model(sec, data, tests.assign(gain=post - pre), by_method)
    return sec


def attrition_finding(sec: Section, data: RegionData):
    """The share of people with a pre-test and no post-test (DESIGN.md: dropouts are attrition).

    A person counts as a dropout when any of their pre-tests lacks its post-test. Both the
    dropouts and the people who stayed are groups of people: when either is non-empty and
    below the minimum cell size, neither count nor share is shown (the share times the number
    pre-tested would give the count back). No dropout at all is a real zero and is said so.
    """
    t = data.tests
    pretested = t[t["pre_score"].notna()]
    n = people(pretested)
    dropped = int(pretested.loc[pretested["post_score"].isna(), "participant_key"].nunique())
    small = [g for g in (dropped, n - dropped) if 0 < g < data.min_cell]
    if n < data.min_cell or small:
        sec.missing["attrition"] = TOO_FEW
        return finding("learning.attrition_too_few", min_cell=Int(data.min_cell))
    share = ev.proportion_ci(dropped, n)
    sec.results["attrition"] = share
    if dropped == 0:
        return finding("learning.attrition_none", n=Int(n))
    return finding(
        "learning.attrition",
        dropped=Int(dropped),
        n=Int(n),
        rate=Pct(share.proportion),
        ci=CI(share.ci_low, share.ci_high, 1, percent=True),
    )


def _method_model(sec: Section, data: RegionData, scored: pd.DataFrame, by_method: pd.DataFrame) -> None:
    """OLS of the gain on method, clustered by programme, when there are programmes enough.

    Method is a programme-level attribute: the model needs several programmes per method
    before cluster-robust errors mean anything (settings ``learning.*``).
    """
    n_methods, n_programs = scored["method"].nunique(), scored["program_id"].nunique()
    needed = max(
        data.settings["learning.min_programs_for_model"], data.settings["learning.min_programs_per_method"] * n_methods
    )
    if n_methods <= 1:
        return
    if n_programs < needed:
        sec.findings.append(finding("learning.no_model", programs=Int(n_programs), methods=Int(n_methods)))
        return
    try:
        model = ev.method_differences(scored, outcome="gain", group="method", cluster="program_id")
    except ev.EstimationRefused as exc:
        sec.results["model_refused"] = exc.reason
        sec.findings.append(finding("learning.model_refused", reason=Label("reason", exc.reason)))
        return
    sec.results["model"] = model
    sec.tables["model"] = model.to_frame()
    sec.findings.append(
        finding("learning.model", clusters=Int(model.n_clusters), reference=Label("method", model.reference))
    )
    for method, reason in sorted(model.refused.items()):
        sec.findings.append(
            finding("learning.method_refused", method=Label("method", method), reason=Label("reason", reason))
        )
    # The same model with the weakest estimable method as reference: its contrasts say whether
    # any method did better than the weakest, with programme-clustered uncertainty.
    weakest = by_method.dropna(subset=["mean_diff"]).sort_values("mean_diff")["method"]
    weakest = [m for m in weakest if m not in model.refused]
    if weakest:
        try:
            sec.results["contrast_vs_weakest"] = ev.method_differences(
                scored, outcome="gain", group="method", cluster="program_id", reference=weakest[0]
            )
        except ev.EstimationRefused:
            pass  # no contrast to act on: the recommendation rule sees none
