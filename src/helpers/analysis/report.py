"""Compose evaluation results into the sections of a region report.

Pure: tables in, ``Section`` objects out (text, tables, and the result objects the figures
draw). Statistics come from ``helpers.evaluation``; this module only selects the region's rows,
calls them, applies disclosure control to what is shown, and words the findings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
import yaml

from .. import evaluation as ev
from ..ingest.config import load_contract
from ..errors import UsageError
from pathlib import Path
from ..store import ProcessedDataset
from ..present.text import Text

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

    def _table(self, name: str) -> pd.DataFrame:
        """A processed table, or an empty one with the contract's columns if the dataset has none
        (tables other than programmes and participants are optional)."""
        df = self.dataset.tables.get(name)
        if df is not None:
            return df
        cols = [("participant_key" if c == "nip" else c) for c, spec in load_contract().tables[name].columns.items()
                if not (spec.personal and spec.type != "nip")]
        return pd.DataFrame(columns=cols)

    @cached_property
    def programs(self) -> pd.DataFrame:
        p = self._table("programs")
        return p[p["region_id"] == self.region_id].reset_index(drop=True)

    def _by_program(self, table: str) -> pd.DataFrame:
        cols = ["program_id", "method", "delivery", "incentive", "jp", "end_date", "title"]
        return self._table(table).merge(self.programs[cols], on="program_id", how="inner", suffixes=("", "_program"))

    @cached_property
    def participants(self) -> pd.DataFrame:
        p = self._table("participants")
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
        df = self._table(table)
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


def _people(df: pd.DataFrame) -> int:
    """Distinct people in a frame: disclosure control counts people, not rows."""
    return int(df["participant_key"].nunique()) if "participant_key" in df.columns else len(df)


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

def _too_few(sec: Section, data: RegionData) -> Section:
    sec.paragraphs.append(data.text("common.too_few", min_cell=data.min_cell))
    return sec


def profile(data: RegionData) -> Section:
    t = data.text
    sec = Section("profile", t("profile.title"))
    enr = data.enrollments
    per_prog = enr.groupby("program_id").agg(
        enrolled=("participant_key", "nunique"),
        completed=("status", lambda s: int((s == "completed").sum())))
    progs = data.programs.merge(per_prog, on="program_id", how="left").fillna({"enrolled": 0, "completed": 0})
    cols = [c for c in ("title", "method", "delivery", "partner", "jp", "enrolled", "completed") if c in progs.columns]
    table = progs[cols].copy()
    table[["enrolled", "completed"]] = table[["enrolled", "completed"]].astype("int64")
    table = _suppress_rows(table, "enrolled", data.min_cell, value_cols=["enrolled", "completed"])
    table["method"] = table["method"].map(t.method)
    sec.tables["programmes"] = table.rename(columns=t.columns(cols))
    people = data.participants
    sec.paragraphs.append(t("profile.lead", programs=len(progs), people=_people(people), enrolled=_people(enr),
                            agencies=people["agency"].nunique()))
    parts = []
    for col in ("position_type", "gender", "education"):
        if col in people.columns:
            counts = people[col].fillna("?").value_counts().rename_axis("category").reset_index(name="n")
            counts.insert(0, "variable", t.column(col))
            parts.append(counts.astype({"n": "int64"}))
    comp = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"variable": [], "category": [], "n": []})
    comp = _suppress_rows(comp, "n", data.min_cell, group_by="variable")
    sec.tables["participants"] = comp.rename(columns=t.columns(["variable", "category", "n"]))
    return sec


def reaction(data: RegionData) -> Section:
    t = data.text
    sec = Section("reaction", t("reaction.title"))
    rx = data.reaction
    items = [c for c in LIKERT_ITEMS if c in rx.columns and rx[c].notna().any()]
    if _people(rx) < data.min_cell or not items:
        return _too_few(sec, data)
    resp = rx[items].astype("Float64").astype(float)
    frame = ev.likert_summary(resp, scale=(1, 2, 3, 4, 5)).to_frame()
    frame["people"] = [int(rx.loc[rx[i].notna(), "participant_key"].nunique()) for i in frame["item"]]
    frame = _suppress_rows(frame, "people", data.min_cell, totals_shown=False)
    sec.results["likert_frame"] = frame
    overall = frame.set_index("item").loc["overall"] if "overall" in set(frame["item"]) else None
    if overall is not None and not overall["suppressed"]:
        sec.results["overall"] = overall
        sec.paragraphs.append(t("reaction.lead", n=int(overall["n"]), mean=t.num(overall["mean"]),
                                ci=t.ci(overall["ci_low"], overall["ci_high"]), top2=t.pct(overall["top2"] / 100)))
    if len(items) >= 2:
        alpha = ev.cronbach_alpha(resp, ci=0.95)
        sec.results["alpha"] = alpha
        sec.paragraphs.append(t("reaction.alpha", alpha=t.num(alpha.alpha), ci=t.ci(alpha.ci_low, alpha.ci_high),
                                n=alpha.n, k=alpha.k))
        rel = alpha.item_table.copy()
        rel["item"] = rel["item"].map(t.item)
        sec.tables["reliability"] = _for_display(rel, t).rename(columns=t.columns(list(rel.columns)))
    show = frame[["item", "n", "mean", "ci_low", "ci_high", "median", "top2", "bottom2", "suppressed"]].copy()
    show["item"] = show["item"].map(t.item)
    sec.tables["items"] = _for_display(show, t).rename(columns=t.columns(list(show.columns)))
    if "overall" in items:
        # The reaction survey has its own "method" item; the programme's method is "method_program".
        by_method = (rx.assign(overall=rx["overall"].astype(float))
                     .rename(columns={"method": "method_item", "method_program": "method"})
                     .groupby("method").agg(n=("overall", "count"), people=("participant_key", "nunique"),
                                            mean=("overall", "mean")).reset_index())
        by_method["method"] = by_method["method"].map(t.method)
        by_method = _suppress_rows(by_method, "people", data.min_cell, value_cols=["n", "mean"])
        sec.tables["by_method"] = by_method.drop(columns=["people"]).rename(columns=t.columns(["method", "n", "mean"]))
    return sec


def learning(data: RegionData) -> Section:
    t = data.text
    sec = Section("learning", t("learning.title"))
    tests = data.tests.dropna(subset=list(TESTED))
    if _people(tests) < data.min_cell:
        return _too_few(sec, data)
    pre, post = tests["pre_score"].astype(float), tests["post_score"].astype(float)
    overall = ev.paired_effect(pre.to_numpy(), post.to_numpy())
    sec.results["overall"] = overall
    sec.results["overall_clustered"] = ev.clustered_mean((post - pre).to_numpy(), tests["program_id"].to_numpy())
    sec.paragraphs.append(t("learning.lead", n=overall.n, pre=t.num(overall.mean_pre, 1),
                            post=t.num(overall.mean_post, 1), diff=t.num(overall.mean_diff, 1),
                            dci=t.ci(overall.diff_ci_low, overall.diff_ci_high, 1),
                            dz=t.num(overall.d_z), ci=t.ci(overall.ci_low, overall.ci_high),
                            p=t.p(overall.p_value), pw=t.p(overall.wilcoxon_p), gain=t.num(overall.normalized_gain)))
    rows = []
    for method, grp in tests.groupby("method"):
        res = ev.paired_effect(grp["pre_score"].astype(float).to_numpy(), grp["post_score"].astype(float).to_numpy())
        rows.append({"method": method, "n": res.n, "people": _people(grp), "programs": grp["program_id"].nunique(),
                     "mean_pre": res.mean_pre, "mean_post": res.mean_post, "mean_diff": res.mean_diff,
                     "diff_ci_low": res.diff_ci_low, "diff_ci_high": res.diff_ci_high,
                     "d_z": res.d_z, "ci_low": res.ci_low, "ci_high": res.ci_high,
                     "g_av": res.g_av, "normalized_gain": res.normalized_gain})
    by_method = _suppress_rows(pd.DataFrame(rows), "people", data.min_cell, keep=["programs"])
    sec.results["by_method"] = by_method
    show = by_method.drop(columns=["people"])
    show["method"] = show["method"].map(t.method)
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
        # The same model with the weakest method as reference: its contrasts say whether any
        # method did better than the weakest, with programme-clustered uncertainty.
        weakest = by_method.dropna(subset=["mean_diff"]).sort_values("mean_diff")["method"]
        if len(weakest):
            sec.results["contrast_vs_weakest"] = ev.method_differences(
                scored, outcome="gain", group="method", cluster="program_id", reference=weakest.iloc[0])
    elif n_methods > 1:
        sec.paragraphs.append(t("learning.no_model", programs=n_programs, methods=n_methods))
    return sec


def _direction(low: float, high: float, null: float = 0.0) -> str:
    """'up', 'down' or 'unclear' from a confidence interval and the no-effect value."""
    if low > null:
        return "up"
    if high < null:
        return "down"
    return "unclear"


def behaviour(data: RegionData) -> Section:
    t = data.text
    sec = Section("behaviour", t("behaviour.title"))
    fu = data.followup
    if _people(fu) < data.min_cell:
        return _too_few(sec, data)
    cols = ["application_self", "application_supervisor", "supervisor_support", "colleague_support"]
    df = fu[cols + ["participant_key", "program_id", "months_after"]].copy()
    for c in cols:
        df[c] = df[c].astype("Float64").astype(float)
    rows = []
    for c in cols:
        x = df.dropna(subset=[c])
        lo, hi = ev.mean_ci(x[c].to_numpy())
        rows.append({"item": c, "n": len(x), "people": _people(x), "mean": x[c].mean(), "ci_low": lo, "ci_high": hi})
    means = _suppress_rows(pd.DataFrame(rows), "people", data.min_cell, totals_shown=False).drop(columns=["people"])
    means["item"] = means["item"].map(t.item)
    sec.tables["means"] = _for_display(means, t).rename(columns=t.columns(list(means.columns)))
    both = df.dropna(subset=["application_self", "application_supervisor"])
    if _people(both) >= data.min_cell:
        gap = ev.paired_effect(both["application_supervisor"].to_numpy(), both["application_self"].to_numpy())
        sec.results["gap"] = gap
        sec.paragraphs.append(t(f"behaviour.lead_{_direction(gap.diff_ci_low, gap.diff_ci_high)}", n=gap.n,
                                gap=t.num(abs(gap.mean_diff)), ci=t.ci(gap.diff_ci_low, gap.diff_ci_high)))
    fit_rows = df.dropna(subset=["application_self", "supervisor_support", "colleague_support"])
    if _people(fit_rows) >= data.min_cell:
        model = ev.support_association(df, outcome="application_self",
                                       predictors=["supervisor_support", "colleague_support"],
                                       cluster="participant_key")
        sec.results["support"] = model
        support_table = model.to_frame()
        support_table["term"] = support_table["term"].map(lambda term: _term_label(term, t))
        sec.tables["support"] = _for_display(support_table, t).rename(columns=t.columns(list(support_table.columns)))
        coef = model.to_frame().set_index("term").loc["supervisor_support"]
        if pd.notna(coef["coefficient"]):
            sec.paragraphs.append(t("behaviour.support", b=t.num(coef["coefficient"]),
                                    ci=t.ci(coef["ci_low"], coef["ci_high"]), n=model.n))
    rows = []
    for level, grp in fit_rows.groupby("supervisor_support"):
        lo, hi = ev.mean_ci(grp["application_self"].to_numpy())
        rows.append({"label": f"{t.item('supervisor_support')} = {int(level)}", "n": len(grp), "people": _people(grp),
                     "mean": grp["application_self"].mean(), "ci_low": lo, "ci_high": hi})
    by_support = pd.DataFrame(rows, columns=["label", "n", "people", "mean", "ci_low", "ci_high"])
    sec.results["by_support"] = _suppress_rows(by_support, "people", data.min_cell, totals_shown=False)
    return sec


def _month_index(period: str) -> int:
    """Months since year 0 of a 'YYYY-MM' period: a calendar axis on which gaps stay gaps."""
    return pd.Period(period, freq="M").ordinal


def results(data: RegionData) -> Section:
    t = data.text
    sec = Section("results", t("results.title"))
    service = data.service
    its_rows, its_results = [], {}
    for (unit, indicator), grp in service.groupby(["unit", "indicator"], sort=True):
        trained = grp["trained_from"].dropna()
        if trained.empty:
            continue
        start = str(trained.iloc[0])
        grp = grp.sort_values("period")
        periods = grp["period"].astype(str).tolist()
        # Calendar months, not row positions: a missing month must not bend the trend.
        months = np.array([_month_index(p) for p in periods])
        n_pre, n_post = int((months < _month_index(start)).sum()), int((months >= _month_index(start)).sum())
        if n_pre < 3 or n_post < 3:
            sec.paragraphs.append(t("results.its_skipped", unit=unit, indicator=t.indicator(indicator), start=start))
            continue
        res = ev.segmented_regression(grp["value"].astype(float).to_numpy(), months - months[0] + 1,
                                      start=_month_index(start) - months[0] + 1, maxlags=3)
        its_results[(unit, indicator)] = ServiceSeries(unit, indicator, periods, grp["value"].astype(float).to_numpy(),
                                                       res, n_pre)
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
        starts = grp["trained_from"].dropna().unique()
        if len(starts) == 0 or grp["trained_from"].notna().all():
            continue
        if len(starts) > 1:
            sec.paragraphs.append(t("results.did_staggered", indicator=t.indicator(indicator)))
            continue
        panel = grp.assign(treated=grp["trained_from"].notna(), post=grp["period"] >= starts[0])
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
        res = ev.ikm_score(grp[unsur_cols].astype("Float64").astype(float))
        ikm_rows.append({"unit": unit, "period": period, "n": res.n, "ikm": res.value, "category": res.category,
                         "label": res.label})
    if ikm_rows:
        # Respondents are citizens, not ASN, but a grade from three people is both disclosive
        # and meaningless: the grade is masked with the value.
        ikm = _suppress_rows(pd.DataFrame(ikm_rows), "n", data.min_cell,
                             value_cols=["n", "ikm", "category", "label"], totals_shown=False)
        sec.results["ikm"] = ikm
        sec.tables["ikm"] = _for_display(ikm, t).rename(columns=t.columns(list(ikm.columns)))
        for unit, rows in ikm[~ikm["suppressed"]].sort_values("period").groupby("unit", sort=True):
            first, last = rows.iloc[0], rows.iloc[-1]
            key = "results.ikm" if len(rows) > 1 else "results.ikm_single"
            sec.paragraphs.append(t(key, unit=unit, p0=first["period"], v0=t.num(first["ikm"]),
                                    c0=f"{first['category']} ({first['label']})", p1=last["period"],
                                    v1=t.num(last["ikm"]), c1=f"{last['category']} ({last['label']})"))
    return sec


def _jp_frame(data: RegionData, enr: pd.DataFrame) -> pd.DataFrame:
    """Every ASN on record for every year of the dataset, with the JP of completed programmes.

    An ASN who completed nothing in a year still counts in that year's denominator (0 JP):
    the 20 JP rule is owed by every civil servant, not only by those who enrolled.
    """
    period = data.dataset.manifest.get("period") or {}
    years = sorted(pd.to_datetime(enr["end_date"]).dt.year.dropna().astype(int).unique().tolist())
    if period.get("start") and period.get("end"):
        years = list(range(int(str(period["start"])[:4]), int(str(period["end"])[:4]) + 1))
    roster = pd.MultiIndex.from_product([data.participants["participant_key"].unique(), years],
                                        names=["participant_key", "year"]).to_frame(index=False)
    done = enr.assign(year=pd.to_datetime(enr["end_date"]).dt.year.astype(int), jp=enr["jp"].astype(float),
                      completed=enr["status"] == "completed")[["participant_key", "year", "jp", "completed"]]
    zero = roster.assign(jp=0.0, completed=False)
    return pd.concat([done, zero], ignore_index=True)


def participation(data: RegionData) -> Section:
    t = data.text
    sec = Section("participation", t("participation.title"))
    enr = data.enrollments.copy()
    if _people(enr) < data.min_cell:
        return _too_few(sec, data)
    enr["completed"] = enr["status"] == "completed"
    n, k = len(enr), int(enr["completed"].sum())
    rate = ev.proportion_ci(k, n)
    sec.results["completion"] = rate
    attendance = (enr["sessions_attended"].astype(float) / enr["sessions_total"].astype(float)).mean()
    sec.paragraphs.append(t("participation.lead", n=n, people=_people(enr), rate=t.pct(rate.proportion),
                            ci=t.ci(100 * rate.ci_low, 100 * rate.ci_high, 1), attendance=t.pct(attendance)))
    jp = ev.jp_attainment(_jp_frame(data, enr), target=float(load_contract().settings["jp_target"]))
    sec.results["jp"] = jp
    jp_table = jp.to_frame()
    jp_shown = _for_display(_suppress_rows(jp_table, "n", data.min_cell, keep=["year"]), t)
    sec.tables["jp"] = jp_shown.rename(columns=t.columns(list(jp_table.columns)))
    sec.paragraphs.append(t("participation.jp", share=t.pct(jp.share), ci=t.ci(100 * jp.ci_low, 100 * jp.ci_high, 1),
                            n=jp.n, target=int(jp.target), people=_people(data.participants)))
    rows = []
    for flag in ("schedule_conflict", "incentive"):
        for value, grp in enr.dropna(subset=[flag]).groupby(flag):
            r = ev.proportion_ci(int(grp["completed"].sum()), len(grp))
            rows.append({"factor": t.column(flag), "value": t.yesno(bool(value)), "n": len(grp), "people": _people(grp),
                         "completion": r.proportion, "ci_low": r.ci_low, "ci_high": r.ci_high})
    by_factor = pd.DataFrame(rows, columns=["factor", "value", "n", "people", "completion", "ci_low", "ci_high"])
    by_factor = _suppress_rows(by_factor, "people", data.min_cell, group_by="factor",
                               value_cols=["n", "completion", "ci_low", "ci_high"])
    sec.results["by_factor"] = by_factor
    shown = by_factor.drop(columns=["people"])
    sec.tables["by_factor"] = _for_display(shown, t).rename(columns=t.columns(list(shown.columns)))
    _participation_model(sec, data, enr)
    reason = enr["absence_reason"] if "absence_reason" in enr.columns else pd.Series(pd.NA, index=enr.index)
    absent = enr.assign(absence_reason=reason).loc[~enr["completed"] & reason.notna() & (reason != "")]
    reasons = (absent.groupby("absence_reason").agg(n=("participant_key", "size"), people=("participant_key", "nunique"))
               .reset_index().rename(columns={"absence_reason": "reason"}).sort_values("n", ascending=False))
    reasons = _suppress_rows(reasons.astype({"n": "int64", "people": "int64"}), "people", data.min_cell,
                             value_cols=["n"])
    sec.tables["reasons"] = reasons.drop(columns=["people"]).rename(columns=t.columns(["reason", "n"]))
    return sec


def _participation_model(sec: Section, data: RegionData, enr: pd.DataFrame) -> None:
    """Logistic regression of completion on schedule conflict, incentive and workload."""
    t = data.text
    predictors = [c for c in ("schedule_conflict", "incentive", "workload")
                  if c in enr.columns and enr[c].notna().any() and enr[c].nunique() > 1]
    if not predictors or enr["completed"].nunique() < 2:
        sec.paragraphs.append(t("participation.no_model"))
        return
    model_df = enr[["completed", "program_id"] + predictors].copy()
    for c in predictors:
        model_df[c] = model_df[c].astype(float)
    # Cluster by programme only when there are programmes enough to estimate it.
    cluster = "program_id" if model_df["program_id"].nunique() >= 2 else None
    try:
        model = ev.participation_model(model_df, outcome="completed", predictors=predictors, cluster=cluster)
    except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):
        sec.paragraphs.append(t("participation.no_model"))
        return
    sec.results["model"] = model
    mf = model.to_frame()
    mf["term"] = mf["term"].map(t.column)
    sec.tables["model"] = _for_display(mf, t).rename(columns=t.columns(list(mf.columns)))
    terms = model.to_frame().set_index("term")
    if "schedule_conflict" in terms.index:
        row = terms.loc["schedule_conflict"]
        sec.paragraphs.append(t(f"participation.conflict_{_direction(row['ci_low'], row['ci_high'], 1.0)}",
                                odds=t.num(row["odds_ratio"]), ci=t.ci(row["ci_low"], row["ci_high"])))


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

@lru_cache(maxsize=1)
def _rules() -> dict:
    """Recommendation thresholds from recommendations.yml, checked once."""
    rules = yaml.safe_load((Path(__file__).resolve().parent / "recommendations.yml").read_text(encoding="utf-8")) or {}
    known = {"schedule_conflict", "jp_target", "supervisor_support", "self_supervisor_gap", "weak_method",
             "ikm_low", "service_improved", "incentive"}
    for name, rule in rules.items():
        if name not in known or not isinstance(rule, dict) or "enabled" not in rule:
            raise AssertionError(f"recommendations.yml: rule '{name}' unknown or without 'enabled'")  # a bug
    return rules


def _indicator_direction(indicator: str) -> str | None:
    """'lower' or 'higher' is better, from contract.yml settings; None if not declared."""
    return (load_contract().settings.get("indicators") or {}).get(indicator)


def recommend(sections: dict[str, Section], data: RegionData) -> list[str]:
    """Recommendations that follow from this region's own evidence (rules in recommendations.yml).

    Every rule needs a confidence interval that excludes "no effect" (or a share below a target,
    or a grade below B); a section without enough data triggers nothing.
    """
    t, rules, out = data.text, _rules(), []

    def on(name: str) -> dict | None:
        rule = rules.get(name, {})
        return rule if rule.get("enabled", False) else None

    part = sections["participation"].results
    terms = part["model"].to_frame().set_index("term") if "model" in part else pd.DataFrame()
    if (r := on("schedule_conflict")) and "schedule_conflict" in terms.index:
        row = terms.loc["schedule_conflict"]
        if row["ci_high"] < r["max_ci_high"]:
            out.append(t.recommendation("schedule_conflict", odds=t.num(row["odds_ratio"]),
                                        ci=t.ci(row["ci_low"], row["ci_high"])))
    if (r := on("incentive")) and "incentive" in terms.index:
        row = terms.loc["incentive"]
        # Incentives are set per programme: with a couple of incentive programmes the model's
        # programme-clustered interval is far too narrow to act on.
        per_arm = data.programs.groupby("incentive")["program_id"].nunique()
        enough = len(per_arm) == 2 and per_arm.min() >= r["min_programs_each"]
        if enough and row["ci_low"] > r["min_ci_low"]:
            out.append(t.recommendation("incentive", odds=t.num(row["odds_ratio"]), ci=t.ci(row["ci_low"], row["ci_high"])))
    jp = part.get("jp")
    if (r := on("jp_target")) and jp is not None and math.isfinite(jp.share) and jp.share < r["min_share"]:
        out.append(t.recommendation("jp_target", share=t.pct(jp.share), target=int(jp.target)))
    beh = sections["behaviour"].results
    if (r := on("supervisor_support")) and "support" in beh:
        row = beh["support"].to_frame().set_index("term").loc["supervisor_support"]
        if row["ci_low"] > r["min_ci_low"]:
            out.append(t.recommendation("supervisor_support", b=t.num(row["coefficient"]),
                                        ci=t.ci(row["ci_low"], row["ci_high"])))
    gap = beh.get("gap")
    if (r := on("self_supervisor_gap")) and gap is not None and gap.diff_ci_low > 0 and gap.mean_diff >= r["min_gap"]:
        out.append(t.recommendation("self_supervisor_gap", gap=t.num(gap.mean_diff),
                                    ci=t.ci(gap.diff_ci_low, gap.diff_ci_high)))
    contrast = sections["learning"].results.get("contrast_vs_weakest")
    if (r := on("weak_method")) and contrast is not None:
        better = contrast.to_frame()
        better = better[better["term"].str.startswith("method[") & (better["ci_low"] > 0)]
        if len(better) >= r["min_better_methods"]:
            best = better.sort_values("coefficient").iloc[-1]
            out.append(t.recommendation("weak_method", method=t.method(contrast.reference),
                                        best=t.method(best["term"][7:-1]), diff=t.num(best["coefficient"], 1),
                                        ci=t.ci(best["ci_low"], best["ci_high"], 1)))
    res = sections["results"].results
    if on("service_improved"):
        for (unit, indicator), series in res.get("its", {}).items():
            its, direction = series.result, _indicator_direction(indicator)
            if direction is None:
                continue
            better = its.level_ci_high < 0 if direction == "lower" else its.level_ci_low > 0
            if better:
                out.append(t.recommendation("service_improved", unit=unit, indicator=t.indicator(indicator),
                                            level=t.num(its.level_change), ci=t.ci(its.level_ci_low, its.level_ci_high)))
    if (r := on("ikm_low")):
        for row in _latest_ikm(res):
            if row["category"] in r["categories"]:
                out.append(t.recommendation("ikm_low", unit=row["unit"], value=t.num(row["ikm"]),
                                            category=row["category"], label=row["label"]))
    return out


def _latest_ikm(results_: dict) -> list[dict]:
    """The latest unsuppressed IKM of each unit."""
    ikm = results_.get("ikm")
    if ikm is None or ikm.empty:
        return []
    shown = ikm[~ikm["suppressed"]].sort_values("period")
    return [row.to_dict() for _, row in shown.groupby("unit").tail(1).iterrows()]


def build_sections(data: RegionData) -> dict[str, Section]:
    """Every section of a region report, in report order."""
    sections = {}
    for fn in (profile, reaction, learning, behaviour, results, participation, qualitative, data_quality):
        sec = fn(data)
        sections[sec.key] = sec
    return sections


def headline_metrics(sections: dict[str, Section], data: RegionData) -> dict:
    """The numbers of the executive summary, as plain values for ``metrics.json`` and the index.

    A number whose section had fewer than ``min_cell`` people is None: it is suppressed here as
    in the section itself.
    """
    learn = sections["learning"].results.get("overall")
    clustered = sections["learning"].results.get("overall_clustered")
    overall = sections["reaction"].results.get("overall")
    part = sections["participation"].results
    gap = sections["behaviour"].results.get("gap")
    res = sections["results"].results
    rate, jp = part.get("completion"), part.get("jp")
    m = {
        "region_id": data.region_id,
        "region": data.region["name"],
        "synthetic": data.dataset.synthetic,
        "participants": _people(data.participants),
        "programs": int(len(data.programs)),
        "enrollments": int(len(data.enrollments)),
        "completion_rate": _m(rate, "proportion"),
        "completion_ci": [_m(rate, "ci_low"), _m(rate, "ci_high")],
        "reaction_overall_mean": _num(overall["mean"]) if overall is not None else None,
        "reaction_overall_ci": [_num(overall["ci_low"]), _num(overall["ci_high"])] if overall is not None else [None, None],
        "reaction_n": int(overall["n"]) if overall is not None else 0,
        "cronbach_alpha": _m(sections["reaction"].results.get("alpha"), "alpha"),
        "learning_n": int(learn.n) if learn is not None else 0,
        "learning_mean_diff": _m(learn, "mean_diff"),
        "learning_mean_diff_ci": [_m(learn, "diff_ci_low"), _m(learn, "diff_ci_high")],
        # Programme-clustered SE of the mean gain: what the cross-region pooling uses.
        "learning_mean_diff_se_clustered": _m(clustered, "se"),
        "learning_programs": int(clustered.n_clusters) if clustered is not None else 0,
        "learning_d_z": _m(learn, "d_z"),
        "learning_d_z_ci": [_m(learn, "ci_low"), _m(learn, "ci_high")],
        "normalized_gain": _m(learn, "normalized_gain"),
        "application_gap": _m(gap, "mean_diff"),
        "application_gap_ci": [_m(gap, "diff_ci_low"), _m(gap, "diff_ci_high")],
        "application_gap_n": int(gap.n) if gap is not None else 0,
        "jp_share": _m(jp, "share"),
        "jp_share_ci": [_m(jp, "ci_low"), _m(jp, "ci_high")],
        "jp_n": int(jp.n) if jp is not None else 0,
    }
    m["service"] = [{"unit": u, "indicator": i, "level_change": _num(s.result.level_change),
                     "level_ci": [_num(s.result.level_ci_low), _num(s.result.level_ci_high)]}
                    for (u, i), s in res.get("its", {}).items()]
    m["ikm"] = [{"unit": r["unit"], "period": r["period"], "value": _num(r["ikm"]), "category": r["category"]}
                for r in _latest_ikm(res)]
    return m


def summary_table(metrics: dict, data: RegionData) -> pd.DataFrame:
    """The executive summary as a two-column table (measure, value with CI and n); ■ = too few people."""
    t = data.text

    def est(value, ci, n=None, fmt=None):
        if value is None:
            return "■"
        fmt = fmt or t.num
        ci_text = f" [{fmt(ci[0])}; {fmt(ci[1])}]" if ci and ci[0] is not None else ""
        return f"{fmt(value)}{ci_text}" + (f" (n = {t.integer(n)})" if n else "")

    rows = [
        (t.column("region"), metrics["region"]),
        ("ASN / " + t.column("enrollments").lower(), f"{t.integer(metrics['participants'])} / "
                                                     f"{t.integer(metrics['enrollments'])}"),
        (t.level("reaction") + " — " + t.item("overall"),
         est(metrics["reaction_overall_mean"], metrics["reaction_overall_ci"], metrics["reaction_n"])),
        (t.level("learning") + " — d_z", est(metrics["learning_d_z"], metrics["learning_d_z_ci"], metrics["learning_n"])),
        (t.level("learning") + " — " + t.column("normalized_gain"), est(metrics["normalized_gain"], None)),
        (t.level("behaviour") + " — " + t.item("application_self") + " − " + t.item("application_supervisor"),
         est(metrics["application_gap"], metrics["application_gap_ci"], metrics["application_gap_n"])),
        (t.level("participation") + " — " + t.column("completion"),
         est(metrics["completion_rate"], metrics["completion_ci"], metrics["enrollments"], fmt=t.pct)),
        (t.level("participation") + " — " + t.column("share"),
         est(metrics["jp_share"], metrics["jp_share_ci"], metrics["jp_n"], fmt=t.pct)),
    ]
    for s in metrics["service"]:
        rows.append((t.level("results") + f" — {s['unit']}: " + t.indicator(s["indicator"]),
                     est(s["level_change"], s["level_ci"])))
    for s in metrics["ikm"]:
        rows.append((t.level("results") + f" — IKM {s['unit']} ({s['period']})", f"{t.num(s['value'])} ({s['category']})"))
    return pd.DataFrame(rows, columns=[t.column("metric"), t.column("value")])


def _num(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _m(result, name: str) -> float | None:
    return None if result is None else _num(getattr(result, name, None))


def subtitle(data: RegionData) -> str:
    m = data.dataset.manifest
    return data.text("report.subtitle", dataset=data.dataset.name, start=m["period"]["start"] or "?",
                     end=m["period"]["end"] or "?", code=data.region.get("kemendagri_code") or "–")


def learning_figure_frame(sec: Section, text: Text) -> pd.DataFrame:
    """Mean gain per method with its CI, suppressed groups dropped, labelled for the chart."""
    df = sec.results.get("by_method")
    if df is None:
        return pd.DataFrame(columns=["label", "mean_diff", "diff_ci_low", "diff_ci_high"])
    df = df[~df["suppressed"]].copy()
    df["label"] = [f"{text.method(m)} (n = {int(n)})" for m, n in zip(df["method"], df["n"])]
    return df


def participation_figure_frame(sec: Section) -> pd.DataFrame:
    """Completion by factor, in percent, suppressed rows dropped."""
    df = sec.results.get("by_factor")
    if df is None:
        return pd.DataFrame(columns=["label", "completion", "ci_low", "ci_high"])
    df = df[~df["suppressed"]].copy()
    df["label"] = df["factor"] + ": " + df["value"]
    for c in ("completion", "ci_low", "ci_high"):
        df[c] = 100 * df[c].astype(float)
    return df


def behaviour_figure_frame(sec: Section) -> pd.DataFrame:
    df = sec.results.get("by_support")
    if df is None:
        return pd.DataFrame(columns=["label", "mean", "ci_low", "ci_high"])
    return df[~df["suppressed"]]


# ------------------------------------------------------------------ cross-region

@dataclass
class CrossRegion:
    """What the cross-region summary shows: per-region headlines and the pooled learning effect."""

    text: Text
    min_cell: int
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
                     t.level("reaction"): t.num(m["reaction_overall_mean"]) if m["reaction_overall_mean"] else "■",
                     t.level("learning") + " (d_z)": (f"{t.num(m['learning_d_z'])} {t.ci(*m['learning_d_z_ci'])}"
                                                      if m["learning_d_z"] is not None else "■"),
                     t.column("share"): t.pct(m["jp_share"]),
                     "IKM": "; ".join(f"{i['unit']}: {t.num(i['value'])} ({i['category']})" for i in m["ikm"])})
    table = pd.DataFrame(rows)
    # Each region's mean gain with its programme-clustered SE: participants of one programme
    # share a cohort and a test, so sd/sqrt(n) would overstate precision and heterogeneity.
    usable = {rid: m for rid, m in metrics.items()
              if m["learning_n"] >= min_cell and m["learning_mean_diff_se_clustered"]}
    if not usable:
        raise UsageError(f"dataset '{dataset.name}': no region has {min_cell} or more pre/post test pairs to pool")
    labels = [metrics[rid]["region"] for rid in usable]
    effects = [m["learning_mean_diff"] for m in usable.values()]
    variances = [m["learning_mean_diff_se_clustered"] ** 2 for m in usable.values()]
    pooled = ev.pool_effects(effects, variances, labels=labels, method=method)
    studies = pooled.studies.copy()
    pooled_row = {"estimate": pooled.estimate, "ci_low": pooled.ci_low, "ci_high": pooled.ci_high,
                  "label": t("cross.pooled_label")}
    pooled_table = pd.DataFrame([{"k": int(pooled.k), "estimate": pooled.estimate, "ci_low": pooled.ci_low,
                                  "ci_high": pooled.ci_high, "tau2": pooled.tau2, "I² (%)": 100 * pooled.i2,
                                  "Q": pooled.q, "p (Q)": t.p(pooled.q_p)}])
    paragraphs = [t("cross.pooled", method="Paule-Mandel" if method == "pm" else "DerSimonian-Laird",
                    est=t.num(pooled.estimate),
                    ci=t.ci(pooled.ci_low, pooled.ci_high),
                    i2=t.pct(pooled.i2) if pooled.i2 is not None and math.isfinite(pooled.i2) else "–",
                    tau2=t.num(pooled.tau2), k=pooled.k)]
    return CrossRegion(t, min_cell, table, studies, pooled,
                       pooled_table.rename(columns=t.columns(list(pooled_table.columns))), pooled_row,
                       paragraphs, metrics)


def cross_subtitle(cross: CrossRegion) -> str:
    return ", ".join(m["region"] for m in cross.metrics.values())
