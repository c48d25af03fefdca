"""Recommendations that follow from a region's own evidence.

Each rule reads result objects of the sections and fires only on evidence: a confidence
interval that excludes "no effect", a share below a target, a grade below B. Thresholds live in
``settings.yml`` (``recommendations:``), wording in the catalogue (``advice.<rule>``).
"""

from __future__ import annotations

import math

import pandas as pd

from .findings import CI, Finding, Int, Label, Num, Pct, finding
from .region import RegionData
from .results import latest_ikm
from .section import Section


def recommend(sections: dict[str, Section], data: RegionData) -> list[Finding]:
    """Every recommendation whose rule is enabled and whose evidence is there."""
    out: list[Finding] = []
    for rule in (
        _schedule_conflict,
        _incentive,
        _jp_target,
        _supervisor_support,
        _self_supervisor_gap,
        _weak_method,
        _service_improved,
        _ikm_low,
    ):
        out.extend(rule(sections, data))
    return out


def _participation_terms(sections: dict[str, Section]) -> pd.DataFrame:
    model = sections["participation"].results.get("model")
    return model.to_frame().set_index("term") if model is not None else pd.DataFrame()


def _schedule_conflict(sections, data):
    terms, r = _participation_terms(sections), data.settings.rule("schedule_conflict")
    if r and "schedule_conflict" in terms.index:
        row = terms.loc["schedule_conflict"]
        if row["ci_high"] < r["max_ci_high"]:
            yield finding("advice.schedule_conflict", odds=Num(row["odds_ratio"]), ci=CI(row["ci_low"], row["ci_high"]))


def _incentive(sections, data):
    terms, r = _participation_terms(sections), data.settings.rule("incentive")
    if r and "incentive" in terms.index:
        row = terms.loc["incentive"]
        # Incentives are set per programme: with a couple of incentive programmes the model's
        # programme-clustered interval is far too narrow to act on.
        per_arm = data.programs.groupby("incentive")["program_id"].nunique()
        enough = len(per_arm) == 2 and per_arm.min() >= r["min_programs_each"]
        if enough and row["ci_low"] > r["min_ci_low"]:
            yield finding("advice.incentive", odds=Num(row["odds_ratio"]), ci=CI(row["ci_low"], row["ci_high"]))


def _jp_target(sections, data):
    jp, r = sections["participation"].results.get("jp"), data.settings.rule("jp_target")
    # The whole interval below the target: the shortfall is not sampling noise.
    if r and jp is not None and math.isfinite(jp.ci_high) and jp.ci_high < r["min_share"]:
        yield finding("advice.jp_target", share=Pct(jp.share), target=Int(int(jp.target)))


def _supervisor_support(sections, data):
    support, r = sections["behaviour"].results.get("support"), data.settings.rule("supervisor_support")
    if r and support is not None:
        row = support.to_frame().set_index("term").loc["supervisor_support"]
        if row["ci_low"] > r["min_ci_low"]:
            yield finding("advice.supervisor_support", b=Num(row["coefficient"]), ci=CI(row["ci_low"], row["ci_high"]))


def _self_supervisor_gap(sections, data):
    gap, r = sections["behaviour"].results.get("gap"), data.settings.rule("self_supervisor_gap")
    if r and gap is not None and gap.ci_low > 0 and gap.mean >= r["min_gap"]:
        yield finding("advice.self_supervisor_gap", gap=Num(gap.mean), ci=CI(gap.ci_low, gap.ci_high))


def _weak_method(sections, data):
    contrast, r = sections["learning"].results.get("contrast_vs_weakest"), data.settings.rule("weak_method")
    if r and contrast is not None:
        table = contrast.to_frame()
        methods = table[table["term"].str.startswith("method[")]
        # The reference was picked after looking at the data (the weakest), so any of the
        # k(k-1)/2 pairs could have been the one compared: Bonferroni over all pairs keeps the
        # chance of a recommendation among equally good methods at the family-wise level.
        k = len(methods) + 1
        pairs = k * (k - 1) // 2
        better = methods[(methods["coefficient"] > 0) & (methods["p_value"] < r["familywise_alpha"] / pairs)]
        if len(better) >= r["min_better_methods"]:
            best = better.sort_values("coefficient").iloc[-1]
            yield finding(
                "advice.weak_method",
                method=Label("method", contrast.reference),
                best=Label("method", best["term"][7:-1]),
                diff=Num(best["coefficient"], 1),
                ci=CI(best["ci_low"], best["ci_high"], 1),
                pairs=Int(pairs),
            )


def _service_improved(sections, data):
    if not data.settings.rule("service_improved"):
        return
    directions = data.settings["results.indicator_direction"]
    for (unit, indicator), series in sections["results"].results.get("its", {}).items():
        its, better_when = series.result, directions.get(indicator)
        if better_when is None:
            continue
        improved = its.level_ci_high < 0 if better_when == "lower" else its.level_ci_low > 0
        if improved:
            yield finding(
                "advice.service_improved",
                unit=unit,
                indicator=Label("indicator", indicator),
                level=Num(its.level_change),
                ci=CI(its.level_ci_low, its.level_ci_high),
            )


def _ikm_low(sections, data):
    r = data.settings.rule("ikm_low")
    if not r:
        return
    for row in latest_ikm(sections["results"]):
        if row["category"] in r["categories"]:
            yield finding(
                "advice.ikm_low", unit=row["unit"], value=Num(row["ikm"]), category=row["category"], label=row["label"]
            )
