"""The truths of the effects planted in the synthetic data, for the estimands the reports compute.

The generator (:mod:`helpers.synth.generator`) plants effects on latent scales: a conditional log-odds,
a gain before scores are clipped to 0-100, ratings before they are rounded to 1-5, a slope
change that a difference-in-differences averages over the post period. A report's estimate
targets a different quantity: a marginal share, the mean of clipped gains, a regression
coefficient on rounded ratings. This module derives, for each headline indicator the generator
plants, the value of the quantity the reported method estimates: exactly where the generator's
parametrisation is the model's (interrupted time series, logistic odds ratios), and otherwise
by a large Monte Carlo simulation of the generator's process, re-implemented here in vectorised
form from its documented rules (so it is also an independent check of the generator).

The result is written into the synthetic ``dataset.yml`` as ``planted_effects``, read by the
coverage harness (``benchmarks/coverage.py``) and documented in docs/validity.md.
"""

from __future__ import annotations

import math
import re

import numpy as np

from . import catalogue as s

#: Draws for the Monte Carlo truths; the Monte Carlo error is below 0.01 on every scale used.
MC_DRAWS = 400_000
MC_SEED = 12345
YEARS = (2023, 2024, 2025)


def _round_clip(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.rint(x), lo, hi)


def _workload(rng: np.random.Generator, n: int) -> np.ndarray:
    return _round_clip(rng.normal(3.2, 1.0, n), 1, 5)


def _completion_prob(region: s.RegionSpec, incentive: np.ndarray, conflict: np.ndarray, workload: np.ndarray):
    logit = (
        s.COMPLETION_LOGIT
        + region.conflict_log_or * conflict
        + s.INCENTIVE_LOG_OR * incentive
        + s.WORKLOAD_LOG_OR * (workload - 3)
    )
    return 1 / (1 + np.exp(-logit))


def _enrolments(region: s.RegionSpec, rng: np.random.Generator, n_people: int):
    """Simulated enrolments of ``n_people``: (person, programme index, completed) arrays."""
    programs = s.PROGRAMS[region.id][: region.n_programs]
    n_prog = len(programs)
    k = rng.integers(1, 4, n_people)
    order = np.argsort(rng.random((n_people, n_prog)), axis=1)  # a random subset per person
    person, prog = [], []
    for j in range(3):
        take = k > j
        person.append(np.nonzero(take)[0])
        prog.append(order[take, j])
    person, prog = np.concatenate(person), np.concatenate(prog)
    workload = _workload(rng, n_people)[person]
    incentive = np.array([p[6] == "ya" for p in programs], dtype=float)[prog]
    conflict = (rng.random(len(person)) < region.conflict_rate).astype(float)
    completed = rng.random(len(person)) < _completion_prob(region, incentive, conflict, workload)
    return person, prog, completed, programs


def _gain(rng: np.random.Generator, planted: np.ndarray) -> np.ndarray:
    """Observed post - pre for planted gains: pre clipped to 5-95, post to 0-100, programme
    effects and individual noise as the generator draws them."""
    pre = np.clip(rng.normal(55, 12, len(planted)), 5, 95)
    programme = rng.normal(0, s.PROGRAM_GAIN_SD, len(planted))
    post = np.clip(pre + planted + programme + rng.normal(0, 8, len(planted)), 0, 100)
    return post - pre


def _region_truths(region: s.RegionSpec, rng: np.random.Generator) -> dict[str, float]:
    n_people = MC_DRAWS // 2
    person, prog, completed, programs = _enrolments(region, rng, n_people)
    out = {"participation.completion_rate": float(completed.mean())}
    # 20 JP: every person on record, every year of the period; JP of completed programmes only.
    jp = np.array([p[5] for p in programs], dtype=float)
    year = np.array([2023 + i % 3 for i in range(len(programs))])
    reached = 0
    for y in YEARS:
        in_year = completed & (year[prog] == y)
        per_person = np.bincount(person[in_year], weights=jp[prog[in_year]], minlength=n_people)
        reached += int((per_person >= 20).sum())
    out["participation.jp_share"] = reached / (n_people * len(YEARS))
    # Learning: completed enrolments in tested methods; the mean observed gain over them.
    methods = np.array([p[2] for p in programs])[prog[completed]]
    tested = np.isin(methods, s.TESTED_METHODS)
    planted = np.array([s.GAIN_BY_METHOD[m] for m in methods[tested]]) + region.learning_offset
    out["learning.mean_gain"] = float(_gain(rng, planted).mean())
    out["participation.odds_ratio.schedule_conflict"] = math.exp(region.conflict_log_or)
    out["participation.odds_ratio.workload"] = math.exp(s.WORKLOAD_LOG_OR)
    if len({p[6] for p in programs}) == 2:
        out["participation.odds_ratio.incentive"] = math.exp(s.INCENTIVE_LOG_OR)
    return out


def _behaviour_truths(rng: np.random.Generator) -> dict[str, float]:
    """Application on the job from rounded 1-5 ratings (the generator's follow-up rules)."""
    n = MC_DRAWS
    support = np.clip(rng.normal(3.4, 0.9, n), 1, 5)
    self_latent = 1.8 + s.SUPPORT_SLOPE * support + rng.normal(0, 0.6, n)
    sup_latent = self_latent - s.SUPERVISOR_GAP + rng.normal(0, 0.5, n)
    self_r, sup_r = _round_clip(self_latent, 1, 5), _round_clip(sup_latent, 1, 5)
    support_r, colleague_r = _round_clip(support, 1, 5), _round_clip(rng.normal(3.6, 0.8, n), 1, 5)
    x = np.column_stack([np.ones(n), support_r, colleague_r])
    coef = np.linalg.lstsq(x, self_r, rcond=None)[0]
    return {"behaviour.application_gap": float((self_r - sup_r).mean()), "behaviour.supervisor_support": float(coef[1])}


def _ikm_mean(rng: np.random.Generator, shift: float) -> float:
    """Expected IKM (25-100) of a wave: 25 x the expected unsur score (all unsur alike)."""
    level = rng.normal(2.9 + shift, 0.35, MC_DRAWS)
    return float(25 * _round_clip(level + rng.normal(0, 0.45, MC_DRAWS), 1, 4).mean())


def _service(region_id: str) -> list[dict]:
    """Interrupted time series and difference-in-differences truths of one region's series."""
    out = []
    months = s.SERVICE_MONTHS
    series = [x for x in s.SERVICE_SERIES if x[0] == region_id]
    for _, unit, indicator, _, _, trained_from, level, slope_change, _ in series:
        if not trained_from:
            continue
        key = f"{_slug(unit)}.{indicator}"
        out.append(
            _effect(
                region_id,
                f"results.its.level_change.{key}",
                level,
                f"step in {indicator} at {trained_from}, relative to the pre-training trend",
            )
        )
        out.append(
            _effect(
                region_id,
                f"results.its.slope_change.{key}",
                slope_change,
                f"change of the monthly trend of {indicator} from {trained_from}",
            )
        )
        comparison = [x for x in series if x[2] == indicator and not x[5]]
        if comparison:
            since = [
                _month_index(m) - _month_index(trained_from) + 1
                for m in months
                if _month_index(m) >= _month_index(trained_from)
            ]
            truth = level + slope_change * float(np.mean(since))
            out.append(
                _effect(
                    region_id,
                    f"results.did.{indicator}",
                    truth,
                    f"mean difference trained - comparison unit after {trained_from} minus before: "
                    f"the level change plus the slope change times the mean months since training "
                    f"({np.mean(since):.1f})",
                )
            )
    return out


def _slug(text: str) -> str:
    """The unit part of a metrics id, as ``helpers.analysis.metrics.slug`` writes it."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "unit"


def _month_index(period: str) -> int:
    y, m = period.split("-")
    return int(y) * 12 + int(m) - 1


def _effect(region: str | None, indicator: str, truth: float, estimand: str) -> dict:
    d = {"indicator": indicator, "truth": round(float(truth), 4), "estimand": estimand}
    return {"region": region, **d} if region else d


ESTIMANDS = {
    "participation.completion_rate": "share of enrolments completed (marginal over conflicts, incentives and "
    "workload; Monte Carlo of the generator)",
    "participation.jp_share": "share of ASN-years (every ASN on record x 2023-2025) with at least 20 JP of "
    "completed programmes (Monte Carlo)",
    "learning.mean_gain": "mean post - pre over completed enrolments in tested programmes, after clipping "
    "scores to 0-100, over programme effects (Monte Carlo)",
    "participation.odds_ratio.schedule_conflict": "odds ratio of completing with a schedule conflict, "
    "given incentive and workload (exact: the model is the "
    "generator's)",
    "participation.odds_ratio.workload": "odds ratio of completing per point of workload, given the other "
    "factors (exact)",
    "participation.odds_ratio.incentive": "odds ratio of completing in an incentive programme, given the other "
    "factors (exact)",
    "behaviour.application_gap": "mean self- minus supervisor-rated application, both rounded to 1-5 (Monte Carlo)",
    "behaviour.supervisor_support": "population OLS slope of rounded self-rated application on rounded "
    "supervisor support, given colleague support (Monte Carlo)",
    "results.ikm_change": "IKM of the 2025-11 wave minus the 2023-11 wave (25-100), unsur scores rounded "
    "to 1-4 (Monte Carlo)",
}


def planted_effects() -> list[dict]:
    """Every planted headline effect as ``{region, indicator, truth, estimand}``, deterministic."""
    rng = np.random.default_rng(MC_SEED)
    out = []
    behaviour = _behaviour_truths(rng)
    ikm_change = _ikm_mean(rng, s.SKM_WAVES[1][1]) - _ikm_mean(rng, s.SKM_WAVES[0][1])
    for region in s.REGIONS:
        truths = {**_region_truths(region, rng), **behaviour}
        for ind, truth in truths.items():
            out.append(_effect(region.id, ind, truth, ESTIMANDS[ind]))
        for unit in s.SKM_UNITS[region.id]:
            out.append(
                _effect(region.id, f"results.ikm_change.{_slug(unit)}", ikm_change, ESTIMANDS["results.ikm_change"])
            )
        out += _service(region.id)
    return out
