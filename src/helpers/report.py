"""Compose evaluation results into the sections of a region report.

Pure: tables in, ``Section`` objects out (text, tables, and the result objects the figures
draw). Statistics come from ``helpers.evaluation``; this module only selects the region's rows,
calls them, applies disclosure control to what is shown, and words the findings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from . import evaluation as ev
from .config import load_contract
from .errors import UsageError
from .store import ProcessedDataset
from .text import Text

LIKERT_ITEMS = ("relevance", "instructor", "method", "facilities", "schedule", "overall")
TESTED = ("pre_score", "post_score")


@dataclass
class Section:
    """One report section: a title, paragraphs of findings, display tables, and result objects."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    results: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceSeries:
    """A monthly service indicator with its segmented-regression result, ready to draw."""

    unit: str
    indicator: str
    periods: list[str]
    observed: np.ndarray
    result: object
    start_index: int

    @property
    def fitted(self) -> np.ndarray:
        return np.asarray(self.result.fitted, dtype=float)

    @property
    def counterfactual(self) -> np.ndarray:
        return np.asarray(self.result.counterfactual, dtype=float)


@dataclass
class RegionData:
    """The rows of one region, from every table, plus the dataset's description."""

    dataset: ProcessedDataset
    region_id: str
    lang: str = "id"

    def __post_init__(self):
        self.dataset.region(self.region_id)  # UsageError naming the known regions
        Text(self.lang)  # UsageError naming the known languages

    @cached_property
    def text(self) -> Text:
        return Text(self.lang)

    @cached_property
    def region(self) -> dict:
        return self.dataset.region(self.region_id)

    @cached_property
    def min_cell(self) -> int:
        return int(load_contract().settings["min_cell"])

    @cached_property
    def programs(self) -> pd.DataFrame:
        p = self.dataset.tables["programs"]
        return p[p["region_id"] == self.region_id].reset_index(drop=True)

    def _by_program(self, table: str) -> pd.DataFrame:
        df = self.dataset.tables.get(table, pd.DataFrame(columns=["program_id"]))
        cols = ["program_id", "method", "delivery", "incentive", "jp", "end_date", "title"]
        return df.merge(self.programs[cols], on="program_id", how="inner", suffixes=("", "_program"))

    @cached_property
    def participants(self) -> pd.DataFrame:
        p = self.dataset.tables["participants"]
        return p[p["region_id"] == self.region_id].reset_index(drop=True)

    @cached_property
    def enrollments(self) -> pd.DataFrame:
        return self._by_program("enrollments")

    @cached_property
    def reaction(self) -> pd.DataFrame:
        return self._by_program("reaction")

    @cached_property
    def tests(self) -> pd.DataFrame:
        return self._by_program("tests")

    @cached_property
    def followup(self) -> pd.DataFrame:
        return self._by_program("followup")

    def _by_region(self, table: str) -> pd.DataFrame:
        df = self.dataset.tables.get(table)
        if df is None:
            return pd.DataFrame()
        return df[df["region_id"] == self.region_id].reset_index(drop=True)

    @cached_property
    def service(self) -> pd.DataFrame:
        return self._by_region("service")

    @cached_property
    def skm(self) -> pd.DataFrame:
        return self._by_region("skm")

    @cached_property
    def qualitative(self) -> pd.DataFrame:
        return self._by_region("qualitative")


def _suppress_rows(df: pd.DataFrame, n_col: str, min_cell: int, **kwargs) -> pd.DataFrame:
    """Blank every statistic of a row whose group has fewer than ``min_cell`` people.

    Integer columns (counts) stay integers: masking turns them to float, which would print
    counts as "38.00".
    """
    out = ev.suppress_small_cells(df, count_col=n_col, min_cell=min_cell, **kwargs).table
    for c in df.columns:
        if c in out.columns and pd.api.types.is_integer_dtype(df[c]):
            out[c] = out[c].astype("Int64")
    return out


# ------------------------------------------------------------------ sections

def profile(data: RegionData) -> Section:
    t = data.text
    sec = Section("profile", t("profile.title"))
    enr = data.enrollments
    per_prog = enr.groupby("program_id").agg(
        enrolled=("participant_key", "nunique"),
        completed=("status", lambda s: int((s == "completed").sum())))
    progs = data.programs.merge(per_prog, on="program_id", how="left").fillna({"enrolled": 0, "completed": 0})
    table = progs[["title", "method", "delivery", "partner", "jp", "enrolled", "completed"]].copy()
    table[["enrolled", "completed"]] = table[["enrolled", "completed"]].astype("int64")
    table = _suppress_rows(table, "enrolled", data.min_cell, value_cols=["enrolled", "completed"])
    table["method"] = table["method"].map(t.method)
    table = table.rename(columns=t.columns(["title", "method", "delivery", "partner", "jp", "enrolled", "completed"]))
    sec.tables["programmes"] = table
    people = data.participants
    n_people = people["participant_key"].nunique()
    enrolled_people = enr["participant_key"].nunique()
    sec.paragraphs.append(t("profile.lead", programs=len(progs), people=n_people, enrolled=enrolled_people,
                            agencies=people["agency"].nunique()))
    parts = []
    for col in ("position_type", "gender", "education"):
        if col in people.columns:
            counts = people[col].fillna("?").value_counts().rename_axis("category").reset_index(name="n")
            counts.insert(0, "variable", t.column(col))
            parts.append(counts)
    comp = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["variable", "category", "n"])
    comp = _suppress_rows(comp, "n", data.min_cell, group_by="variable")
    sec.tables["participants"] = comp.rename(columns=t.columns(["variable", "category", "n"]))
    return sec


def reaction(data: RegionData) -> Section:
    t = data.text
    sec = Section("reaction", t("reaction.title"))
    items = [c for c in LIKERT_ITEMS if c in data.reaction.columns]
    resp = data.reaction[items].astype("Float64").astype(float)
    summary = ev.likert_summary(resp, scale=(1, 2, 3, 4, 5))
    sec.results["likert"] = summary
    frame = summary.to_frame()
    sec.results["likert_frame"] = _suppress_rows(frame, "n", data.min_cell)
    overall = frame.set_index("item").loc["overall"] if "overall" in set(frame["item"]) else None
    alpha = ev.cronbach_alpha(resp, ci=0.95)
    sec.results["alpha"] = alpha
    if overall is not None:
        sec.paragraphs.append(t("reaction.lead", n=int(overall["n"]), mean=t.num(overall["mean"]),
                                ci=t.ci(overall["ci_low"], overall["ci_high"]), top2=t.pct(overall["top2"] / 100)))
    sec.paragraphs.append(t("reaction.alpha", alpha=t.num(alpha.alpha), ci=t.ci(alpha.ci_low, alpha.ci_high),
                            n=alpha.n, k=alpha.k))
    show = frame[["item", "n", "mean", "ci_low", "ci_high", "median", "top2", "bottom2"]].copy()
    show["item"] = show["item"].map(t.item)
    show = _suppress_rows(show, "n", data.min_cell)
    sec.tables["items"] = _for_display(show, t).rename(columns=t.columns(list(show.columns)))
    rel = alpha.item_table.copy()
    rel["item"] = rel["item"].map(t.item)
    sec.tables["reliability"] = _for_display(rel, t).rename(columns=t.columns(list(rel.columns)))
    # The reaction survey has its own "method" item; the programme's method is "method_program".
    by_method = (data.reaction.assign(overall=data.reaction["overall"].astype(float))
                 .rename(columns={"method": "method_item", "method_program": "method"})
                 .groupby("method")["overall"].agg(["count", "mean"]).reset_index()
                 .rename(columns={"count": "n"}))
    by_method["method"] = by_method["method"].map(t.method)
    sec.tables["by_method"] = _suppress_rows(by_method, "n", data.min_cell).rename(
        columns=t.columns(["method", "n", "mean"]))
    return sec


def learning(data: RegionData) -> Section:
    t = data.text
    sec = Section("learning", t("learning.title"))
    tests = data.tests.dropna(subset=list(TESTED))
    pre, post = tests["pre_score"].astype(float), tests["post_score"].astype(float)
    overall = ev.paired_effect(pre.to_numpy(), post.to_numpy())
    sec.results["overall"] = overall
    rows = []
    for method, grp in tests.groupby("method"):
        res = ev.paired_effect(grp["pre_score"].astype(float).to_numpy(), grp["post_score"].astype(float).to_numpy())
        rows.append({"method": method, "n": res.n, "mean_pre": res.mean_pre, "mean_post": res.mean_post,
                     "mean_diff": res.mean_diff, "diff_ci_low": res.diff_ci_low, "diff_ci_high": res.diff_ci_high,
                     "d_z": res.d_z, "ci_low": res.ci_low, "ci_high": res.ci_high,
                     "g_av": res.g_av, "normalized_gain": res.normalized_gain})
    by_method = pd.DataFrame(rows)
    sec.results["by_method"] = by_method.copy()
    if len(tests):
        sec.paragraphs.append(t("learning.lead", n=overall.n, pre=t.num(overall.mean_pre, 1),
                                post=t.num(overall.mean_post, 1), diff=t.num(overall.mean_diff, 1),
                                dci=t.ci(overall.diff_ci_low, overall.diff_ci_high, 1),
                                dz=t.num(overall.d_z), ci=t.ci(overall.ci_low, overall.ci_high),
                                p=t.p(overall.p_value), pw=t.p(overall.wilcoxon_p), gain=t.num(overall.normalized_gain)))
    if len(by_method):
        show = by_method.copy()
        show["method"] = show["method"].map(t.method)
        show = _suppress_rows(show, "n", data.min_cell)
        sec.tables["by_method"] = _for_display(show, t).rename(columns=t.columns(list(show.columns)))
    scored = tests.assign(gain=post - pre)
    # Method is a programme-level attribute: the model needs several programmes per method
    # before cluster-robust errors mean anything.
    n_methods, n_programs = scored["method"].nunique(), scored["program_id"].nunique()
    if n_methods > 1 and n_programs >= max(6, 2 * n_methods):
        model = ev.method_differences(scored, outcome="gain", group="method", cluster="program_id")
        sec.results["model"] = model
        mf = model.to_frame()
        mf["term"] = mf["term"].map(lambda term: _term_label(term, t))
        sec.tables["model"] = _for_display(mf, t).rename(columns=t.columns(list(mf.columns)))
        sec.paragraphs.append(t("learning.model", clusters=model.n_clusters, reference=t.method(model.reference)))
        if model.note:
            sec.paragraphs.append(t("learning.model_note", note=model.note))
    elif n_methods > 1:
        sec.paragraphs.append(t("learning.no_model", programs=n_programs, methods=n_methods))
    return sec


def behaviour(data: RegionData) -> Section:
    t = data.text
    sec = Section("behaviour", t("behaviour.title"))
    fu = data.followup
    cols = ["application_self", "application_supervisor", "supervisor_support", "colleague_support"]
    df = fu[cols + ["participant_key", "program_id", "months_after"]].copy()
    for c in cols:
        df[c] = df[c].astype("Float64").astype(float)
    rows = []
    for c in cols:
        x = df[c].dropna()
        lo, hi = ev.mean_ci(x.to_numpy())
        rows.append({"item": c, "n": len(x), "mean": x.mean(), "ci_low": lo, "ci_high": hi})
    means = _suppress_rows(pd.DataFrame(rows), "n", data.min_cell)
    means["item"] = means["item"].map(t.item)
    sec.tables["means"] = _for_display(means, t).rename(columns=t.columns(list(means.columns)))
    both = df.dropna(subset=["application_self", "application_supervisor"])
    gap = ev.paired_effect(both["application_supervisor"].to_numpy(), both["application_self"].to_numpy())
    sec.results["gap"] = gap
    model = ev.support_association(df, outcome="application_self",
                                   predictors=["supervisor_support", "colleague_support"],
                                   cluster="participant_key")
    sec.results["support"] = model
    support_table = model.to_frame()
    support_table["term"] = support_table["term"].map(lambda term: _term_label(term, t))
    sec.tables["support"] = _for_display(support_table, t).rename(columns=t.columns(list(support_table.columns)))
    coef = model.to_frame().set_index("term").loc["supervisor_support"]
    sec.paragraphs.append(t("behaviour.lead", n=gap.n, gap=t.num(gap.mean_diff), ci=t.ci(gap.diff_ci_low, gap.diff_ci_high)))
    sec.paragraphs.append(t("behaviour.support", b=t.num(coef["coefficient"]), ci=t.ci(coef["ci_low"], coef["ci_high"]),
                            n=model.n))
    rows = []
    for level, grp in df.dropna(subset=["supervisor_support", "application_self"]).groupby("supervisor_support"):
        lo, hi = ev.mean_ci(grp["application_self"].to_numpy())
        rows.append({"label": f"{t.item('supervisor_support')} = {int(level)}", "n": len(grp),
                     "mean": grp["application_self"].mean(), "ci_low": lo, "ci_high": hi})
    sec.results["by_support"] = _suppress_rows(pd.DataFrame(rows), "n", data.min_cell)
    return sec


def results(data: RegionData) -> Section:
    t = data.text
    sec = Section("results", t("results.title"))
    service = data.service
    its_rows, its_results = [], {}
    for (unit, indicator), grp in service.groupby(["unit", "indicator"], sort=True):
        trained = grp["trained_from"].dropna()
        if trained.empty:
            continue
        start = trained.iloc[0]
        grp = grp.sort_values("period")
        periods = grp["period"].tolist()
        time = np.arange(1, len(grp) + 1)
        start_t = int(time[periods.index(start)]) if start in periods else None
        if start_t is None:
            continue
        res = ev.segmented_regression(grp["value"].astype(float).to_numpy(), time, start=start_t, maxlags=3)
        its_results[(unit, indicator)] = ServiceSeries(unit, indicator, periods, grp["value"].astype(float).to_numpy(),
                                                       res, periods.index(start))
        its_rows.append({"unit": unit, "indicator": t.indicator(indicator), "trained_from": start, "n": res.n,
                         "level_change": res.level_change, "level_ci_low": res.level_ci_low,
                         "level_ci_high": res.level_ci_high, "level_p": res.level_p,
                         "slope_change": res.slope_change, "slope_ci_low": res.slope_ci_low,
                         "slope_ci_high": res.slope_ci_high})
        sec.paragraphs.append(t("results.its", unit=unit, indicator=t.indicator(indicator), start=start,
                                level=t.num(res.level_change), ci=t.ci(res.level_ci_low, res.level_ci_high),
                                slope=t.num(res.slope_change, 3)))
    sec.results["its"] = its_results
    if its_rows:
        its_table = pd.DataFrame(its_rows)
        sec.tables["its"] = _for_display(its_table, t).rename(columns=t.columns(list(its_table.columns)))
    did_rows = []
    for indicator, grp in service.groupby("indicator"):
        if grp["trained_from"].isna().all() or grp["trained_from"].notna().all():
            continue
        start = grp["trained_from"].dropna().iloc[0]
        panel = grp.assign(treated=grp["trained_from"].notna(), post=grp["period"] >= start)
        # Clustering by unit needs many units; a regional office has one or two comparison
        # units, so few-unit panels use HAC errors on the treated-minus-comparison series.
        did = ev.difference_in_differences if panel["unit"].nunique() >= 20 else ev.difference_series_did
        res = did(panel, outcome="value", unit="unit", period="period", treated="treated", post="post")
        sec.results.setdefault("did", {})[indicator] = res
        did_rows.append({"indicator": t.indicator(indicator), "estimate": res.estimate, "ci_low": res.ci_low,
                         "ci_high": res.ci_high, "p_value": res.p_value, "n_units": res.n_units, "n": res.n})
        sec.paragraphs.append(t("results.did", indicator=t.indicator(indicator), est=t.num(res.estimate),
                                ci=t.ci(res.ci_low, res.ci_high), units=res.n_units))
    if did_rows:
        did = pd.DataFrame(did_rows)
        sec.tables["did"] = _for_display(did, t).rename(columns=t.columns(list(did.columns)))
    ikm_rows = []
    unsur_cols = [f"u{i}" for i in range(1, 10)]
    for (unit, period), grp in data.skm.groupby(["unit", "period"], sort=True):
        scores = grp[unsur_cols].astype("Float64").astype(float)
        res = ev.ikm_score(scores)
        ikm_rows.append({"unit": unit, "period": period, "n": res.n, "ikm": res.value, "category": res.category,
                         "label": res.label, "min_sample_note": ""})
    if ikm_rows:
        ikm = _suppress_rows(pd.DataFrame(ikm_rows), "n", data.min_cell, value_cols=["n", "ikm"], totals_shown=False)
        sec.results["ikm"] = ikm.copy()
        ikm = ikm.drop(columns=["min_sample_note"])
        sec.tables["ikm"] = _for_display(ikm, t).rename(columns=t.columns(list(ikm.columns)))
        first, last = ikm.iloc[0], ikm.iloc[-1]
        sec.paragraphs.append(t("results.ikm", unit=last["unit"], p0=first["period"], v0=t.num(first["ikm"]),
                                c0=f"{first['category']} ({first['label']})", p1=last["period"],
                                v1=t.num(last["ikm"]), c1=f"{last['category']} ({last['label']})"))
    return sec


def participation(data: RegionData) -> Section:
    t = data.text
    sec = Section("participation", t("participation.title"))
    enr = data.enrollments.copy()
    enr["completed"] = enr["status"] == "completed"
    enr["year"] = pd.to_datetime(enr["end_date"]).dt.year
    n, k = len(enr), int(enr["completed"].sum())
    rate = ev.proportion_ci(k, n)
    sec.results["completion"] = rate
    attendance = (enr["sessions_attended"].astype(float) / enr["sessions_total"].astype(float)).mean()
    sec.paragraphs.append(t("participation.lead", n=n, rate=t.pct(rate.proportion),
                            ci=f"[{t.pct(rate.ci_low)}; {t.pct(rate.ci_high)}]", attendance=t.pct(attendance)))
    jp = ev.jp_attainment(enr.assign(jp=enr["jp"].astype(float)), target=float(load_contract().settings["jp_target"]))
    sec.results["jp"] = jp
    jp_table = jp.to_frame()
    jp_shown = _for_display(_suppress_rows(jp_table, "n", data.min_cell, keep=["year"]), t)
    sec.tables["jp"] = jp_shown.rename(columns=t.columns(list(jp_table.columns)))
    sec.paragraphs.append(t("participation.jp", share=t.pct(jp.share), ci=f"[{t.pct(jp.ci_low)}; {t.pct(jp.ci_high)}]",
                            n=jp.n, target=int(jp.target)))
    rows = []
    for flag in ("schedule_conflict", "incentive"):
        for value, grp in enr.groupby(flag):
            r = ev.proportion_ci(int(grp["completed"].sum()), len(grp))
            rows.append({"factor": t.column(flag), "value": t.yesno(bool(value)), "n": len(grp),
                         "completion": r.proportion, "ci_low": r.ci_low, "ci_high": r.ci_high})
    by_factor = _suppress_rows(pd.DataFrame(rows), "n", data.min_cell)
    sec.results["by_factor"] = by_factor.copy()
    sec.tables["by_factor"] = _for_display(by_factor, t).rename(columns=t.columns(list(by_factor.columns)))
    predictors = [c for c in ("schedule_conflict", "incentive", "workload") if enr[c].notna().any()
                  and enr[c].nunique() > 1]
    model_df = enr[["completed", "program_id"] + predictors].copy()
    for c in predictors:
        model_df[c] = model_df[c].astype(float)
    model = ev.participation_model(model_df, outcome="completed", predictors=predictors, cluster="program_id")
    sec.results["model"] = model
    mf = model.to_frame()
    mf["term"] = mf["term"].map(t.column)
    sec.tables["model"] = _for_display(mf, t).rename(columns=t.columns(list(mf.columns)))
    conflict = model.to_frame().set_index("term")
    if "schedule_conflict" in conflict.index:
        row = conflict.loc["schedule_conflict"]
        sec.paragraphs.append(t("participation.conflict", odds=t.num(row["odds_ratio"]),
                                ci=t.ci(row["ci_low"], row["ci_high"])))
    reasons = enr.loc[~enr["completed"], "absence_reason"].dropna()
    reasons = reasons[reasons != ""].value_counts().rename_axis("reason").reset_index(name="n").astype({"n": "int64"})
    sec.tables["reasons"] = _suppress_rows(reasons, "n", data.min_cell).rename(columns=t.columns(["reason", "n"]))
    return sec


def qualitative(data: RegionData) -> Section:
    t = data.text
    sec = Section("qualitative", t("qualitative.title"))
    q = data.qualitative
    if len(q):
        sec.tables["excerpts"] = q[["source", "theme", "excerpt"]].rename(
            columns=t.columns(["source", "theme", "excerpt"]))
    return sec


def data_quality(data: RegionData) -> Section:
    t = data.text
    sec = Section("quality", t("quality.title"))
    counts = pd.DataFrame([{"table": k, **v} for k, v in data.dataset.manifest["tables"].items()])
    sec.tables["counts"] = _for_display(counts, t).rename(columns=t.columns(list(counts.columns)))
    rules = pd.DataFrame(data.dataset.manifest.get("problems_by_rule", []),
                         columns=["table", "column", "rule", "rows"])
    sec.tables["rules"] = _for_display(rules, t).rename(columns=t.columns(list(rules.columns)))
    total_q = int(counts["quarantined"].sum()) if len(counts) else 0
    sec.paragraphs.append(t("quality.lead", read=int(counts["read"].sum()), accepted=int(counts["accepted"].sum()),
                            quarantined=total_q, min_cell=data.min_cell))
    blank = int(sum((data.dataset.manifest.get("blank_rows_skipped") or {}).values()))
    if blank:
        sec.paragraphs.append(t("quality.blank", blank=blank))
    return sec


P_COLUMNS = ("p_value", "level_p", "slope_p")
PERCENT_COLUMNS = ("share", "completion")


def _for_display(df: pd.DataFrame, t: Text) -> pd.DataFrame:
    """Table values as a reader needs them: p-values as '< 0,001', shares as percentages,
    years as plain labels. Applied only to display tables, never to results."""
    out = df.copy()
    for c in P_COLUMNS:
        if c in out.columns:
            out[c] = [t.p(float(v)) if pd.notna(v) else None for v in out[c]]
    if any(c in out.columns for c in PERCENT_COLUMNS):
        for c in (*PERCENT_COLUMNS, "ci_low", "ci_high"):
            if c in out.columns:
                out[c] = out[c].astype(float) * 100
    if "year" in out.columns:
        out["year"] = out["year"].astype(str)
    return out


def _term_label(term: str, t: Text) -> str:
    """Readable model terms: ``method[project_based]`` -> the method's name; items by their label."""
    if term.startswith("method[") and term.endswith("]"):
        return t.method(term[7:-1])
    label = t.item(term)
    return t.column(term) if label == term else label




# ------------------------------------------------------------------ synthesis

# Service indicators where a lower value is better (time to serve, time to respond).
LOWER_IS_BETTER = ("processing_days", "complaint_response_hours")


def _rules() -> dict:
    import yaml

    from .paths import PACKAGE_DIR
    return yaml.safe_load((PACKAGE_DIR / "recommendations.yml").read_text(encoding="utf-8"))


def recommend(sections: dict[str, Section], data: RegionData) -> list[str]:
    """Recommendations that follow from this region's own evidence (rules in recommendations.yml)."""
    t, rules, out = data.text, _rules(), []

    def on(name: str) -> dict | None:
        rule = rules.get(name, {})
        return rule if rule.get("enabled", False) else None

    part = sections["participation"]
    model = part.results["model"].to_frame().set_index("term")
    if (r := on("schedule_conflict")) and "schedule_conflict" in model.index:
        row = model.loc["schedule_conflict"]
        if row["ci_high"] < r["max_ci_high"]:
            out.append(t.recommendation("schedule_conflict", odds=t.num(row["odds_ratio"]),
                                     ci=t.ci(row["ci_low"], row["ci_high"])))
    jp = part.results["jp"]
    if (r := on("jp_target")) and math.isfinite(jp.share) and jp.share < r["min_share"]:
        out.append(t.recommendation("jp_target", share=t.pct(jp.share), target=int(jp.target)))
    if (r := on("incentive")):
        f = part.results["by_factor"]
        inc = f[f["factor"] == t.column("incentive")].set_index("value")["completion"]
        yes, no = inc.get(t.yesno(True)), inc.get(t.yesno(False))
        if yes is not None and no is not None and pd.notna(yes) and pd.notna(no) and yes - no >= r["min_difference"]:
            out.append(t.recommendation("incentive", with_incentive=t.pct(yes), without=t.pct(no)))
    beh = sections["behaviour"]
    sup = beh.results["support"].to_frame().set_index("term")
    if (r := on("supervisor_support")) and "supervisor_support" in sup.index:
        row = sup.loc["supervisor_support"]
        if row["ci_low"] > r["min_ci_low"]:
            out.append(t.recommendation("supervisor_support", b=t.num(row["coefficient"]), ci=t.ci(row["ci_low"], row["ci_high"])))
    gap = beh.results["gap"]
    if (r := on("self_supervisor_gap")) and gap.n >= data.min_cell and gap.diff_ci_low > 0 and gap.mean_diff >= r["min_gap"]:
        out.append(t.recommendation("self_supervisor_gap", gap=t.num(gap.mean_diff), ci=t.ci(gap.diff_ci_low, gap.diff_ci_high)))
    by_method = sections["learning"].results.get("by_method")
    if (r := on("weak_method")) and by_method is not None:
        bm = by_method[by_method["n"] >= data.min_cell].sort_values("d_z")
        if len(bm) >= r["min_methods"] and bm.iloc[0]["ci_high"] < bm.iloc[-1]["ci_low"]:
            w = bm.iloc[0]
            out.append(t.recommendation("weak_method", method=t.method(w["method"]), dz=t.num(w["d_z"]),
                                     ci=t.ci(w["ci_low"], w["ci_high"])))
    res = sections["results"]
    if on("service_improved"):
        for (unit, indicator), series in res.results.get("its", {}).items():
            its = series.result
            better = its.level_ci_high < 0 if indicator in LOWER_IS_BETTER else its.level_ci_low > 0
            if better:
                out.append(t.recommendation("service_improved", unit=unit, indicator=t.indicator(indicator),
                                         level=t.num(its.level_change), ci=t.ci(its.level_ci_low, its.level_ci_high)))
    if (r := on("ikm_low")) and "ikm" in res.results:
        latest = res.results["ikm"].sort_values("period").groupby("unit").tail(1)
        for _, row in latest.iterrows():
            if row["category"] in r["categories"]:
                out.append(t.recommendation("ikm_low", unit=row["unit"], value=t.num(row["ikm"]),
                                         category=row["category"], label=row["label"]))
    return out


def build_sections(data: RegionData) -> dict[str, Section]:
    """Every section of a region report, in report order."""
    sections = {}
    for fn in (profile, reaction, learning, behaviour, results, participation, qualitative, data_quality):
        sec = fn(data)
        sections[sec.key] = sec
    return sections


def headline_metrics(sections: dict[str, Section], data: RegionData) -> dict:
    """The numbers of the executive summary, as plain values for ``metrics.json`` and the index."""
    learn = sections["learning"].results["overall"]
    reac = sections["reaction"].results["likert_frame"].set_index("item")
    part = sections["participation"].results
    beh = sections["behaviour"].results
    res = sections["results"].results
    m = {
        "region_id": data.region_id,
        "region": data.region["name"],
        "synthetic": data.dataset.synthetic,
        "participants": int(data.participants["participant_key"].nunique()),
        "programs": int(len(data.programs)),
        "enrollments": int(len(data.enrollments)),
        "completion_rate": _m(part["completion"], "proportion"),
        "completion_ci": [_m(part["completion"], "ci_low"), _m(part["completion"], "ci_high")],
        "reaction_overall_mean": _num(reac.loc["overall", "mean"]) if "overall" in reac.index else None,
        "reaction_overall_ci": [_num(reac.loc["overall", "ci_low"]), _num(reac.loc["overall", "ci_high"])]
        if "overall" in reac.index else None,
        "reaction_n": int(reac.loc["overall", "n"]) if "overall" in reac.index else 0,
        "cronbach_alpha": _m(sections["reaction"].results["alpha"], "alpha"),
        "learning_n": int(learn.n),
        "learning_mean_diff": _num(learn.mean_diff),
        "learning_mean_diff_se": _num(learn.sd_diff / math.sqrt(learn.n)) if learn.n > 1 else None,
        "learning_mean_diff_ci": [_num(learn.diff_ci_low), _num(learn.diff_ci_high)],
        "learning_d_z": _num(learn.d_z),
        "learning_d_z_ci": [_num(learn.ci_low), _num(learn.ci_high)],
        "normalized_gain": _num(learn.normalized_gain),
        "application_gap": _num(beh["gap"].mean_diff),
        "jp_share": _num(part["jp"].share),
        "jp_share_ci": [_num(part["jp"].ci_low), _num(part["jp"].ci_high)],
        "jp_n": int(part["jp"].n),
    }
    its = res.get("its", {})
    m["service"] = [{"unit": u, "indicator": i, "level_change": _num(s.result.level_change),
                     "level_ci": [_num(s.result.level_ci_low), _num(s.result.level_ci_high)]}
                    for (u, i), s in its.items()]
    if "ikm" in res:
        latest = res["ikm"].sort_values("period").groupby("unit").tail(1)
        m["ikm"] = [{"unit": r["unit"], "period": r["period"], "value": _num(r["ikm"]), "category": r["category"]}
                    for _, r in latest.iterrows()]
    return m


def summary_table(metrics: dict, data: RegionData) -> pd.DataFrame:
    """The executive summary as a two-column table (measure, value with CI and n)."""
    t = data.text
    rows = [
        (t.column("region"), metrics["region"]),
        ("ASN / " + t.column("enrolled").lower(), f"{metrics['participants']} / {metrics['enrollments']}"),
        (t.level("reaction") + " — " + t.item("overall"),
         f"{t.num(metrics['reaction_overall_mean'])} {t.ci(*metrics['reaction_overall_ci'])} (n = {metrics['reaction_n']})"
         if metrics["reaction_overall_mean"] is not None else "–"),
        (t.level("learning") + " — d_z",
         f"{t.num(metrics['learning_d_z'])} {t.ci(*metrics['learning_d_z_ci'])} (n = {metrics['learning_n']})"),
        (t.level("learning") + " — " + t.column("normalized_gain"), t.num(metrics["normalized_gain"])),
        (t.level("behaviour") + " — " + t.item("application_self") + " − " + t.item("application_supervisor"),
         t.num(metrics["application_gap"])),
        (t.level("participation") + " — " + t.column("completion"),
         f"{t.pct(metrics['completion_rate'])} [{t.pct(metrics['completion_ci'][0])}; {t.pct(metrics['completion_ci'][1])}]"),
        (t.level("participation") + " — " + t.column("share"),
         f"{t.pct(metrics['jp_share'])} [{t.pct(metrics['jp_share_ci'][0])}; {t.pct(metrics['jp_share_ci'][1])}] (n = {metrics['jp_n']})"),
    ]
    for s in metrics["service"]:
        rows.append((t.level("results") + f" — {s['unit']}: " + t.indicator(s["indicator"]),
                     f"{t.num(s['level_change'])} {t.ci(*s['level_ci'])}"))
    for s in metrics.get("ikm", []):
        rows.append((t.level("results") + f" — IKM {s['unit']} ({s['period']})", f"{t.num(s['value'])} ({s['category']})"))
    return pd.DataFrame(rows, columns=[t.column("metric"), t.column("value")])


def _num(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _m(result, name: str) -> float | None:
    return _num(getattr(result, name, None))


def subtitle(data: RegionData) -> str:
    m = data.dataset.manifest
    return data.text("report.subtitle", dataset=data.dataset.name, start=m["period"]["start"] or "?",
                     end=m["period"]["end"] or "?", code=data.region.get("kemendagri_code") or "–")


def learning_figure_frame(sec: Section, text: Text) -> pd.DataFrame:
    """Mean gain per method with its CI, suppressed groups dropped, labelled for the chart."""
    df = sec.results.get("by_method", pd.DataFrame(columns=["method", "n", "mean_diff", "diff_ci_low", "diff_ci_high"]))
    df = df.copy()
    df["label"] = [f"{text.method(m)} (n = {n})" for m, n in zip(df["method"], df["n"])]
    return df


def participation_figure_frame(sec: Section) -> pd.DataFrame:
    df = sec.results["by_factor"].copy()
    df["label"] = df["factor"] + ": " + df["value"]
    return df


# ------------------------------------------------------------------ cross-region

@dataclass
class CrossRegion:
    """What the cross-region summary shows: per-region headlines and the pooled learning effect."""

    text: Text
    min_cell: int
    regions: list[str]
    table: pd.DataFrame
    studies: pd.DataFrame
    pooled: object
    pooled_table: pd.DataFrame
    pooled_row: dict
    paragraphs: list[str]
    metrics: dict[str, dict]


def cross_region(dataset: ProcessedDataset, lang: str = "id", method: str = "pm") -> CrossRegion:
    """Build every region's sections and pool the learning effect (mean gain) across regions."""
    t = Text(lang)
    metrics = {}
    for r in dataset.regions:
        data = RegionData(dataset, r["id"], lang)
        metrics[r["id"]] = headline_metrics(build_sections(data), data)
    min_cell = int(load_contract().settings["min_cell"])
    rows = []
    for rid, m in metrics.items():
        rows.append({t.column("region"): m["region"], "ASN": m["participants"],
                     t.column("completion"): t.pct(m["completion_rate"]),
                     t.level("reaction"): t.num(m["reaction_overall_mean"]),
                     t.level("learning") + " (d_z)": f"{t.num(m['learning_d_z'])} {t.ci(*m['learning_d_z_ci'])}",
                     t.column("share"): t.pct(m["jp_share"]),
                     "IKM": "; ".join(f"{t.num(i['value'])} ({i['category']})" for i in m.get("ikm", []))})
    table = pd.DataFrame(rows)
    usable = {rid: m for rid, m in metrics.items()
              if m["learning_n"] >= min_cell and m["learning_mean_diff_se"]}
    if not usable:
        raise UsageError(f"dataset '{dataset.name}': no region has {min_cell} or more pre/post test pairs to pool")
    labels = [metrics[rid]["region"] for rid in usable]
    effects = [m["learning_mean_diff"] for m in usable.values()]
    variances = [m["learning_mean_diff_se"] ** 2 for m in usable.values()]
    pooled = ev.pool_effects(effects, variances, labels=labels, method=method)
    studies = pooled.studies.copy()
    pooled_row = {"estimate": pooled.estimate, "ci_low": pooled.ci_low, "ci_high": pooled.ci_high,
                  "label": "Gabungan (efek acak)" if lang == "id" else "Pooled (random effects)"}
    pooled_table = pd.DataFrame([{"k": int(pooled.k), "estimate": pooled.estimate, "ci_low": pooled.ci_low,
                                  "ci_high": pooled.ci_high, "tau2": pooled.tau2, "I² (%)": 100 * pooled.i2,
                                  "Q": pooled.q, "p (Q)": t.p(pooled.q_p)}])
    paragraphs = [t("cross.pooled", method="Paule-Mandel" if method == "pm" else "DerSimonian-Laird",
                    est=t.num(pooled.estimate),
                    ci=t.ci(pooled.ci_low, pooled.ci_high),
                    i2=t.pct(pooled.i2) if pooled.i2 is not None and math.isfinite(pooled.i2) else "–",
                    tau2=t.num(pooled.tau2), k=pooled.k)]
    return CrossRegion(t, min_cell, list(metrics), table, studies, pooled,
                       pooled_table.rename(columns=t.columns(list(pooled_table.columns))), pooled_row,
                       paragraphs, metrics)


def cross_subtitle(cross: CrossRegion) -> str:
    return ", ".join(m["region"] for m in cross.metrics.values())
