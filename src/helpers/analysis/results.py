"""Level 4, Hasil: interrupted time series of service indicators, difference-in-differences
against untrained units, IKM per unit and survey wave, and the SKM respondents' profile."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from .. import evaluation as ev
from ..evaluation._common import round_half_up
from ..ingest.contract import load_contract
from .findings import CI, Fields, Int, Label, Num, Period, finding
from .region import RegionData, suppress_rows
from .section import NOT_COLLECTED, TOO_FEW, Section, missing_columns, part_not_collected, refuse

UNSUR_COLUMNS = [f"u{i}" for i in range(1, 10)]
#: The respondent's profile an SKM form asks (PermenPANRB 14/2017): optional columns of ``skm``.
SKM_PROFILE = ("gender", "age", "education", "occupation")
#: Age bands of the profile, (code, first age, first age of the next band): ten years each, as
#: SKM reports commonly group "Usia: ... tahun". Codes are ``categories.age_group`` in text.yml.
AGE_BANDS = (
    ("under_20", 0, 20),
    ("20_29", 20, 30),
    ("30_39", 30, 40),
    ("40_49", 40, 50),
    ("50_59", 50, 60),
    ("60_plus", 60, None),
)
#: The category of a question the respondent left blank.
NOT_RECORDED = "?"


@dataclass(frozen=True)
class ServiceSeries:
    """A monthly service indicator with its segmented-regression result, ready to draw."""

    unit: str
    indicator: str
    periods: list[str]
    observed: np.ndarray
    result: ev.ITSResult
    start_index: int

    @property
    def fitted(self) -> np.ndarray:
        return np.asarray(self.result.fitted, dtype=float)

    @property
    def counterfactual(self) -> np.ndarray:
        return np.asarray(self.result.counterfactual, dtype=float)


def month_index(period: str) -> int:
    """Months since year 0 of a 'YYYY-MM' period: a calendar axis on which gaps stay gaps."""
    return pd.Period(period, freq="M").ordinal


SERVICE_PARTS = ("its", "did")
SKM_PARTS = ("ikm", "ikm_change", "skm_respondents")


def results(data: RegionData) -> Section:
    sec = Section("results")
    sec.results["its"] = {}
    if not data.collected("service") and not data.collected("skm"):
        sec.status = NOT_COLLECTED
        sec.missing.update(dict.fromkeys(SERVICE_PARTS + SKM_PARTS, NOT_COLLECTED))
        sec.findings.append(finding("common.not_collected"))
        return sec
    if _service_ready(sec, data):
        _its(sec, data)
        _did(sec, data)
    if _skm_ready(sec, data):
        _ikm(sec, data)
    return sec


def _service_ready(sec: Section, data: RegionData) -> bool:
    """Whether the service series can be analysed; if not, one sentence says what is missing."""
    if not data.collected("service"):
        part_not_collected(sec, SERVICE_PARTS, "service_series", "service")
    elif not data.has("service", "trained_from"):
        part_not_collected(sec, SERVICE_PARTS, "service_series", "service", ("trained_from",))
    elif data.service.empty:
        sec.missing.update(dict.fromkeys(SERVICE_PARTS, NOT_COLLECTED))
        sec.findings.append(finding("common.no_rows", what=Fields("service")))
    elif data.service["trained_from"].isna().all():
        sec.missing.update(dict.fromkeys(SERVICE_PARTS, NOT_COLLECTED))
        sec.findings.append(finding("results.no_training_month"))
    else:
        return True
    return False


def _skm_ready(sec: Section, data: RegionData) -> bool:
    if not data.collected("skm"):
        part_not_collected(sec, SKM_PARTS, "ikm", "skm")
    elif data.skm.empty:
        sec.missing.update(dict.fromkeys(SKM_PARTS, NOT_COLLECTED))
        sec.findings.append(finding("common.no_rows", what=Fields("skm")))
    else:
        return True
    return False


def _its(sec: Section, data: RegionData) -> None:
    min_months = int(data.settings["results.its_min_months_each_side"])
    its_rows, its_results = [], {}
    for (unit, indicator), grp in data.service.groupby(["unit", "indicator"], sort=True):
        trained = grp["trained_from"].dropna()
        if trained.empty:
            continue  # a comparison unit: it serves the difference-in-differences below
        start = str(trained.iloc[0])
        grp = grp.sort_values("period")
        periods = grp["period"].astype(str).tolist()
        # Calendar months, not row positions: a missing month must not bend the trend.
        months = np.array([month_index(p) for p in periods])
        n_pre, n_post = int((months < month_index(start)).sum()), int((months >= month_index(start)).sum())
        if n_pre < min_months or n_post < min_months:
            sec.results.setdefault("its_refused", {})[(unit, indicator)] = "too_few_months"
            sec.findings.append(
                finding(
                    "results.its_skipped",
                    unit=unit,
                    indicator=Label("indicator", indicator),
                    start=Period(start),
                    months=Int(min_months),
                )
            )
            continue
        try:
            res = ev.segmented_regression(
                grp["value"].astype(float).to_numpy(), months - months[0] + 1, start=month_index(start) - months[0] + 1
            )
        except ev.EstimationRefused as exc:
            sec.results.setdefault("its_refused", {})[(unit, indicator)] = exc.reason
            sec.findings.append(
                finding(
                    "results.its_refused",
                    unit=unit,
                    indicator=Label("indicator", indicator),
                    reason=Label("reason", exc.reason),
                )
            )
            continue
        its_results[(unit, indicator)] = ServiceSeries(
            unit, indicator, periods, grp["value"].astype(float).to_numpy(), res, n_pre
        )
        its_rows.append(
            {
                "unit": unit,
                "indicator": indicator,
                "trained_from": start,
                "n": res.n,
                "level_change": res.level_change,
                "level_ci_low": res.level_ci_low,
                "level_ci_high": res.level_ci_high,
                "level_p": res.level_p,
                "slope_change": res.slope_change,
                "slope_ci_low": res.slope_ci_low,
                "slope_ci_high": res.slope_ci_high,
            }
        )
        sec.findings.append(
            finding(
                "results.its",
                unit=unit,
                indicator=Label("indicator", indicator),
                start=Period(start),
                level=Num(res.level_change),
                ci=CI(res.level_ci_low, res.level_ci_high),
                slope=Num(res.slope_change, 3),
                sci=CI(res.slope_ci_low, res.slope_ci_high, 3),
            )
        )
    sec.results["its"] = its_results
    if its_rows:
        sec.tables["its"] = pd.DataFrame(its_rows)


def _did(sec: Section, data: RegionData) -> None:
    min_units = int(data.settings["results.did_min_units_for_clustering"])
    did_rows = []
    for indicator, grp in data.service.groupby("indicator"):
        starts = grp["trained_from"].dropna().unique()
        if len(starts) == 0:
            continue  # nobody trained: no question to answer
        if grp["trained_from"].notna().all():
            sec.results.setdefault("did_refused", {})[indicator] = "no_comparison"
            sec.findings.append(
                finding(
                    "results.did_refused",
                    indicator=Label("indicator", indicator),
                    reason=Label("reason", "no_comparison"),
                )
            )
            continue
        if len(starts) > 1:
            sec.results.setdefault("did_refused", {})[indicator] = "staggered"
            sec.findings.append(finding("results.did_staggered", indicator=Label("indicator", indicator)))
            continue
        panel = grp.assign(treated=grp["trained_from"].notna(), post=grp["period"] >= starts[0])
        # Clustering by unit needs many units; a regional office has one or two comparison
        # units, so few-unit panels model the treated-minus-comparison series with AR(1) errors.
        did = ev.difference_in_differences if panel["unit"].nunique() >= min_units else ev.difference_series_did
        try:
            res = did(panel, outcome="value", unit="unit", period="period", treated="treated", post="post")
        except ValueError as exc:  # EstimationRefused, or a design the data cannot support
            reason = exc.reason if isinstance(exc, ev.EstimationRefused) else "model_not_estimable"
            sec.results.setdefault("did_refused", {})[indicator] = reason
            sec.findings.append(
                finding("results.did_refused", indicator=Label("indicator", indicator), reason=Label("reason", reason))
            )
            continue
        sec.results.setdefault("did", {})[indicator] = res
        did_rows.append(
            {
                "indicator": indicator,
                "estimate": res.estimate,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "p_value": res.p_value,
                "n_units": res.n_units,
                "n": res.n,
            }
        )
        sec.findings.append(
            finding(
                "results.did",
                indicator=Label("indicator", indicator),
                est=Num(res.estimate),
                ci=CI(res.ci_low, res.ci_high),
                units=Int(res.n_units),
            )
        )
    if did_rows:
        sec.tables["did"] = pd.DataFrame(did_rows)


def _ikm(sec: Section, data: RegionData) -> None:
    ikm_rows, waves = [], {}
    for (unit, period), grp in data.skm.groupby(["unit", "period"], sort=True):
        answers = grp[UNSUR_COLUMNS].astype("Float64").astype(float)
        res = ev.ikm_score(answers)
        interval = ev.ikm_interval(answers)
        waves[(unit, period)] = answers
        ikm_rows.append(
            {
                "unit": unit,
                "period": period,
                "n": res.n,
                "ikm": res.value,
                "ci_low": interval.ci_low,
                "ci_high": interval.ci_high,
                "category": res.category,
                "label": res.label,
            }
        )
    if not ikm_rows:
        return
    # Respondents are citizens, not ASN, but a grade from three people is both disclosive
    # and meaningless: the grade is masked with the value.
    ikm = suppress_rows(
        pd.DataFrame(ikm_rows),
        "n",
        data.min_cell,
        value_cols=["n", "ikm", "ci_low", "ci_high", "category", "label"],
        totals_shown=False,
    )
    sec.results["ikm"] = ikm
    sec.tables["ikm"] = ikm
    if ikm["suppressed"].all():
        sec.missing.update(dict.fromkeys(SKM_PARTS, TOO_FEW))
        sec.findings.append(finding("results.ikm_too_few", min_cell=Int(data.min_cell)))
        _skm_respondents(sec, data, ikm)  # says so if the profile was not collected either
        return
    for unit, rows in ikm[~ikm["suppressed"]].sort_values("period").groupby("unit", sort=True):
        first, last = rows.iloc[0], rows.iloc[-1]
        if len(rows) == 1:
            sec.findings.append(
                finding(
                    "results.ikm_single",
                    unit=unit,
                    p1=Period(last["period"]),
                    v1=Num(last["ikm"]),
                    ci1=CI(last["ci_low"], last["ci_high"]),
                    c1=_grade(last),
                )
            )
            continue
        change = ev.ikm_change(waves[(unit, first["period"])], waves[(unit, last["period"])])
        sec.results.setdefault("ikm_change", {})[unit] = (first["period"], last["period"], change)
        sec.findings.append(
            finding(
                "results.ikm",
                unit=unit,
                p0=Period(first["period"]),
                v0=Num(first["ikm"]),
                c0=_grade(first),
                p1=Period(last["period"]),
                v1=Num(last["ikm"]),
                c1=_grade(last),
                diff=Num(change.difference),
                ci=CI(change.ci_low, change.ci_high),
            )
        )
        if change.category_changed:
            key = "results.ikm_grade_certain" if change.category_change_certain else "results.ikm_grade_uncertain"
            sec.findings.append(finding(key, unit=unit))
    _ikm_unsur(sec, data, ikm, waves)
    _skm_respondents(sec, data, ikm)
    if not sec.results.get("ikm_change"):
        # Every unit shown has a single survey wave: there is no change to estimate.
        refuse(sec, "ikm_change", "one_wave")


def _grade(row) -> Label:
    return Label("grade", row["category"])


def unsur_names(data: RegionData) -> dict[str, str]:
    """The dataset's unsur names by column (``skm_unsur`` in dataset.yml, kept in the manifest);
    without them, the regulation's order (ingest has mapped named exports onto u1..u9)."""
    named = data.dataset.manifest.get("skm_unsur") or {}
    return {code: str(named.get(code) or ev.UNSUR[i]) for i, code in enumerate(UNSUR_COLUMNS)}


def ikm_by_unsur(answers: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Per unsur of one survey wave: answers, NRR (1-4), weighted NRR (NRR x 1/k), and the
    unsur's own score on the 25-100 scale (NRR x 25, rounded to 2 dp) with its grade.

    The weighted NRRs add up to the wave's IKM on the 1-4 scale (PermenPANRB 14/2017), so
    ``25 x sum(nrr_weighted)`` is the IKM before rounding.
    """
    res = ev.ikm_score(answers)
    table = res.to_frame()
    # Exact arithmetic as in ikm_score: NRR x 25 = 25 x sum / answers, rounded half-up.
    scaled = [
        float(round_half_up(Fraction(round(v * n), int(n)) * 25, 2)) if n else np.nan
        for v, n in zip(table["nrr"], table["n_answers"], strict=True)
    ]
    return pd.DataFrame(
        {
            "code": table["unsur"].to_numpy(),
            "unsur": [names.get(c, c) for c in table["unsur"]],
            "n_answers": table["n_answers"].astype("int64").to_numpy(),
            "nrr": table["nrr"].to_numpy(),
            "nrr_weighted": table["nrr_weighted"].to_numpy(),
            "nrr_scaled": scaled,
            "category": [ev.ikm_category(v).code if pd.notna(v) else None for v in scaled],
        }
    )


def _ikm_unsur(sec: Section, data: RegionData, ikm: pd.DataFrame, waves: dict) -> None:
    """The regulation's per-unsur table for each unit's latest shown wave, and one sentence
    naming its weakest and strongest unsur."""
    names, parts = unsur_names(data), []
    for unit, rows in ikm[~ikm["suppressed"]].sort_values("period").groupby("unit", sort=True):
        period = rows.iloc[-1]["period"]
        table = ikm_by_unsur(waves[(unit, period)], names)
        sec.results.setdefault("ikm_unsur", {})[unit] = (period, table)
        parts.append(table.assign(unit=unit, period=period))
        ranked = table.dropna(subset=["nrr"]).sort_values(["nrr", "code"])
        if len(ranked) >= 2:
            low, high = ranked.iloc[0], ranked.iloc[-1]
            sec.findings.append(
                finding(
                    "results.ikm_unsur",
                    unit=unit,
                    period=Period(period),
                    low=Label("unsur", low["unsur"]),
                    low_value=Num(low["nrr"]),
                    low_grade=Label("grade", low["category"]),
                    high=Label("unsur", high["unsur"]),
                    high_value=Num(high["nrr"]),
                    high_grade=Label("grade", high["category"]),
                )
            )
    if parts:
        frame = pd.concat(parts, ignore_index=True)
        cols = ["unit", "period", "unsur", "n_answers", "nrr", "nrr_weighted", "nrr_scaled", "category"]
        # A citizen's answers are not published for fewer than min_cell answers to one unsur.
        sec.tables["ikm_unsur"] = suppress_rows(
            frame[cols],
            "n_answers",
            data.min_cell,
            value_cols=["n_answers", "nrr", "nrr_weighted", "nrr_scaled", "category"],
            totals_shown=False,
        )


def age_band(ages) -> np.ndarray:
    """The AGE_BANDS code of each age in years ("20_29"); a blank age is NOT_RECORDED.

    >>> age_band([19, 20, 29.0, 60, None]).tolist()
    ['under_20', '20_29', '20_29', '60_plus', '?']
    """
    years = pd.to_numeric(pd.Series(ages, dtype=object), errors="coerce").astype(float).to_numpy()
    inside = [(years >= lo) & (years < (np.inf if hi is None else hi)) for _, lo, hi in AGE_BANDS]
    return np.select(inside, [code for code, _, _ in AGE_BANDS], default=NOT_RECORDED)


def respondent_profile(rows: pd.DataFrame, columns) -> pd.DataFrame:
    """Respondents per answer of each profile question: ``variable``, ``category``, ``n`` and
    ``percent`` of all ``rows`` (so each question's percentages add up to 100).

    Every answer the contract allows is listed, a zero included, as an SKM report lists the
    answers of its form; a blank answer counts as NOT_RECORDED, shown only when there is one.
    Age is grouped in AGE_BANDS (variable ``age_group``).
    """
    spec = load_contract().tables["skm"].columns
    total = len(rows)
    parts = []
    for col in columns:
        if col == "age":
            variable, answers, listed = "age_group", pd.Series(age_band(rows[col])), [c for c, _, _ in AGE_BANDS]
        else:
            variable, answers, listed = col, rows[col].astype(object).fillna(NOT_RECORDED), list(spec[col].values)
        counts = answers.value_counts()
        others = sorted(set(counts.index) - set(listed) - {NOT_RECORDED})  # a recode outside the list
        categories = listed + others + ([NOT_RECORDED] if NOT_RECORDED in counts.index else [])
        n = [int(counts.get(c, 0)) for c in categories]
        parts.append(
            pd.DataFrame(
                {
                    "variable": variable,
                    "category": categories,
                    "n": pd.Series(n, dtype="int64"),
                    "percent": [100 * k / total if total else np.nan for k in n],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _skm_respondents(sec: Section, data: RegionData, ikm: pd.DataFrame) -> None:
    """The respondents' profile of each unit's latest shown survey wave (the wave of the
    per-unsur table): respondents and percentage per answer of each profile question.

    Each unit, wave and question is a block whose total, the wave's n, the IKM table publishes:
    a cell below the minimum size is suppressed with the next smallest of its block, so that it
    cannot be recomputed from that total. A profile no column of which was collected is absent,
    and ``sec.missing`` says so.
    """
    gone = missing_columns(data, "skm", SKM_PROFILE, data.skm)
    asked = [c for c in SKM_PROFILE if c not in gone]
    if not asked:
        part_not_collected(sec, "skm_respondents", "skm_respondents", "skm", gone)
        return
    latest = ikm[~ikm["suppressed"]].sort_values("period").groupby("unit", sort=True).tail(1).sort_values("unit")
    if latest.empty:
        return  # no wave is shown: sec.missing already says too few
    if gone:
        part_not_collected(sec, "skm_respondent_details", "skm_respondent_details", "skm", gone)
    parts = []
    for unit, period in zip(latest["unit"], latest["period"], strict=True):
        rows = data.skm[(data.skm["unit"] == unit) & (data.skm["period"] == period)]
        parts.append(respondent_profile(rows, asked).assign(unit=unit, period=period))
    frame = pd.concat(parts, ignore_index=True)[["unit", "period", "variable", "category", "n", "percent"]]
    sec.tables["skm_respondents"] = suppress_rows(
        frame, "n", data.min_cell, group_by=["unit", "period", "variable"], value_cols=["n", "percent"]
    )


def latest_ikm(section: Section) -> list[dict]:
    """The latest unsuppressed IKM of each unit."""
    ikm = section.results.get("ikm")
    if ikm is None or ikm.empty:
        return []
    shown = ikm[~ikm["suppressed"]].sort_values("period")
    return [row.to_dict() for _, row in shown.groupby("unit").tail(1).iterrows()]
