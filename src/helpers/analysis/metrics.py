"""A region's headline indicators: one record per number, the source of ``metrics.json``,
the executive summary, the index page and the cross-region summary.

Schema ``asn-eval/metrics/1`` (docs/metrics.md): each indicator has a stable dotted ``id``,
``estimate``, ``ci_low``, ``ci_high``, ``se``, ``n``, ``clusters``, ``method``, ``status`` (``ok``,
``too_few``, ``not_collected``, ``refused``) and ``notes``. A number that is not ``ok`` has no
estimate: missing is never zero.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .region import RegionData, people
from .results import latest_ikm
from .section import NOT_COLLECTED, OK, TOO_FEW, Section

SCHEMA = "asn-eval/metrics/1"
STATUSES = ("ok", "too_few", "not_collected", "refused")


@dataclass(frozen=True)
class Indicator:
    """One headline number with its uncertainty and provenance, language-free."""

    id: str
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    se: float | None = None
    n: int | None = None
    clusters: int | None = None
    method: str = ""
    status: str = OK
    notes: tuple[str, ...] = ()
    scale: str = "value"  # value | share | count | odds_ratio | index: how a reader sees the number
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown indicator status {self.status!r}")
        if self.status != OK and self.estimate is not None:
            raise ValueError(f"{self.id}: a {self.status} indicator has no estimate")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["notes"] = list(self.notes)
        return d


def slug(text: str) -> str:
    """A stable id part from a unit's name: 'Layanan Pengaduan' -> 'layanan-pengaduan'."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "unit"


def _num(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _missing(ind_id: str, section: Section, method: str = "", scale: str = "value") -> Indicator:
    status = section.status if section.status in (TOO_FEW, NOT_COLLECTED) else TOO_FEW
    return Indicator(ind_id, method=method, status=status, scale=scale)


def headline_indicators(sections: dict[str, Section], data: RegionData) -> list[Indicator]:
    """Every headline number of a region, in report order."""
    out = [
        Indicator("profile.participants", float(people(data.participants)), method="count", scale="count"),
        Indicator("profile.programs", float(len(data.programs)), method="count", scale="count"),
        Indicator("profile.enrollments", float(len(data.enrollments)), method="count", scale="count")
        if data.collected("enrollments")
        else Indicator("profile.enrollments", status=NOT_COLLECTED, scale="count"),
    ]
    out += _reaction(sections["reaction"])
    out += _learning(sections["learning"])
    out += _behaviour(sections["behaviour"])
    out += _participation(sections["participation"])
    out += _results(sections["results"])
    return out


def _reaction(sec: Section) -> list[Indicator]:
    overall, alpha = sec.results.get("overall"), sec.results.get("alpha")
    mean = (
        Indicator(
            "reaction.overall_mean",
            _num(overall["mean"]),
            _num(overall["ci_low"]),
            _num(overall["ci_high"]),
            n=int(overall["n"]),
            method="mean_t",
        )
        if overall is not None
        else _missing("reaction.overall_mean", sec, "mean_t")
    )
    rel = (
        Indicator(
            "reaction.cronbach_alpha",
            _num(alpha.alpha),
            _num(alpha.ci_low),
            _num(alpha.ci_high),
            n=int(alpha.n),
            method="cronbach_alpha_feldt",
        )
        if alpha is not None
        else _missing("reaction.cronbach_alpha", sec, "cronbach_alpha_feldt")
    )
    return [mean, rel]


FEW_CLUSTERS = 10  # below this a clustered interval carries the note "few_clusters"


def _cluster_notes(clusters: int | None) -> tuple[str, ...]:
    if clusters is None:
        return ()
    if clusters < 2:
        return ("one_cluster",)
    return ("few_clusters",) if clusters < FEW_CLUSTERS else ()


def _learning(sec: Section) -> list[Indicator]:
    learn, clustered = sec.results.get("overall"), sec.results.get("overall_clustered")
    if learn is None:
        return [_missing(i, sec) for i in ("learning.mean_gain", "learning.d_z", "learning.normalized_gain")]
    return [
        # One interval for the headline gain, clustered by programme, wherever it is shown.
        Indicator(
            "learning.mean_gain",
            _num(clustered.mean),
            _num(clustered.ci_low),
            _num(clustered.ci_high),
            se=_num(clustered.se),
            n=int(clustered.n),
            clusters=int(clustered.n_clusters),
            method="cluster_robust_mean_cr2_bell_mccaffrey",
            notes=_cluster_notes(int(clustered.n_clusters)),
        ),
        Indicator(
            "learning.d_z",
            _num(learn.d_z),
            _num(learn.ci_low),
            _num(learn.ci_high),
            n=int(learn.n),
            method="cohen_dz_noncentral_t",
            notes=("unclustered",),
        ),
        Indicator("learning.normalized_gain", _num(learn.normalized_gain), n=int(learn.n), method="hake_gain"),
    ]


def _behaviour(sec: Section) -> list[Indicator]:
    gap, support = sec.results.get("gap"), sec.results.get("support")
    out = [
        Indicator(
            "behaviour.application_gap",
            _num(gap.mean),
            _num(gap.ci_low),
            _num(gap.ci_high),
            se=_num(gap.se),
            n=int(gap.n),
            clusters=int(gap.n_clusters),
            method="cluster_robust_mean_cr2_bell_mccaffrey",
        )
        if gap is not None
        else _missing("behaviour.application_gap", sec, "cluster_robust_mean_cr2_bell_mccaffrey")
    ]
    if support is not None:
        row = support.to_frame().set_index("term").loc["supervisor_support"]
        out.append(
            Indicator(
                "behaviour.supervisor_support",
                _num(row["coefficient"]),
                _num(row["ci_low"]),
                _num(row["ci_high"]),
                se=_num(row.get("se")),
                n=int(support.n),
                clusters=int(support.n_clusters),
                method="ols_cluster_robust_participant",
            )
        )
    else:
        out.append(_missing("behaviour.supervisor_support", sec, "ols_cluster_robust_participant"))
    return out


def _participation(sec: Section) -> list[Indicator]:
    rate, jp, model = sec.results.get("completion"), sec.results.get("jp"), sec.results.get("model")
    share_method = "clustered_proportion_wilson_design_effect"
    if rate is None:
        return [
            _missing("participation.completion_rate", sec, share_method, "share"),
            _missing("participation.jp_share", sec, share_method, "share"),
        ]
    out = [
        Indicator(
            "participation.completion_rate",
            _num(rate.proportion),
            _num(rate.ci_low),
            _num(rate.ci_high),
            n=int(rate.n),
            clusters=int(rate.n_clusters),
            method=share_method,
            scale="share",
            extra={"clustered_by": "participant"},
        ),
        Indicator(
            "participation.jp_share",
            _num(jp.share),
            _num(jp.ci_low),
            _num(jp.ci_high),
            n=int(jp.n),
            clusters=jp.n_clusters,
            method=share_method,
            scale="share",
            extra={"target_jp": _num(jp.target), "denominator": jp.denominator, "clustered_by": "participant"},
        ),
    ]
    method = "logistic_cr2_bell_mccaffrey"
    if model is not None:
        for _, row in model.to_frame().iterrows():
            if row["term"] == "Intercept":
                continue
            out.append(
                Indicator(
                    f"participation.odds_ratio.{row['term']}",
                    _num(row["odds_ratio"]),
                    _num(row["ci_low"]),
                    _num(row["ci_high"]),
                    n=int(model.n),
                    clusters=model.n_clusters,
                    method=method,
                    scale="odds_ratio",
                    notes=_cluster_notes(model.n_clusters),
                )
            )
    elif sec.results.get("model_refused"):
        for term in sec.results.get("model_terms", ("schedule_conflict",)):
            out.append(
                Indicator(
                    f"participation.odds_ratio.{term}",
                    method=method,
                    status="refused",
                    notes=(str(sec.results["model_refused"]),),
                    scale="odds_ratio",
                )
            )
    return out


def _results(sec: Section) -> list[Indicator]:
    out = []
    for (unit, indicator), series in sec.results.get("its", {}).items():
        res, key = series.result, f"{slug(unit)}.{indicator}"
        common = {
            "n": int(res.n),
            "method": "segmented_gls_ar1_reml_kenward_roger_t",
            "extra": {"unit": unit, "indicator": indicator},
        }
        out.append(
            Indicator(
                f"results.its.level_change.{key}",
                _num(res.level_change),
                _num(res.level_ci_low),
                _num(res.level_ci_high),
                se=_num(getattr(res, "level_se", None)),
                **common,
            )
        )
        out.append(
            Indicator(
                f"results.its.slope_change.{key}",
                _num(res.slope_change),
                _num(res.slope_ci_low),
                _num(res.slope_ci_high),
                se=_num(getattr(res, "slope_se", None)),
                **common,
            )
        )
    for (unit, indicator), reason in sec.results.get("its_refused", {}).items():
        for term in ("level_change", "slope_change"):
            out.append(
                Indicator(
                    f"results.its.{term}.{slug(unit)}.{indicator}",
                    method="segmented_gls_ar1_reml_kenward_roger_t",
                    status="refused",
                    notes=(reason,),
                    extra={"unit": unit, "indicator": indicator},
                )
            )
    for indicator, reason in sec.results.get("did_refused", {}).items():
        out.append(
            Indicator(
                f"results.did.{indicator}",
                method="difference_in_differences",
                status="refused",
                notes=(reason,),
                extra={"indicator": indicator},
            )
        )
    for indicator, res in sec.results.get("did", {}).items():
        out.append(
            Indicator(
                f"results.did.{indicator}",
                _num(res.estimate),
                _num(res.ci_low),
                _num(res.ci_high),
                se=_num(getattr(res, "se", None)),
                n=int(res.n),
                clusters=int(res.n_units),
                method=str(getattr(res, "method", "difference_in_differences")),
                extra={"indicator": indicator},
            )
        )
    for unit, (p0, p1, change) in sec.results.get("ikm_change", {}).items():
        out.append(
            Indicator(
                f"results.ikm_change.{slug(unit)}",
                _num(change.difference),
                _num(change.ci_low),
                _num(change.ci_high),
                se=_num(change.se),
                n=int(change.n_before + change.n_after),
                method="ikm_difference_delta_method_welch_t",
                extra={
                    "unit": unit,
                    "from": p0,
                    "to": p1,
                    "category_changed": bool(change.category_changed),
                    "category_change_certain": bool(change.category_change_certain),
                },
            )
        )
    for row in latest_ikm(sec):
        out.append(
            Indicator(
                f"results.ikm.{slug(row['unit'])}",
                _num(row["ikm"]),
                _num(row.get("ci_low")),
                _num(row.get("ci_high")),
                n=int(row["n"]),
                method="ikm_permenpanrb_14_2017",
                scale="index",
                extra={
                    "unit": row["unit"],
                    "period": row["period"],
                    "category": row["category"],
                    "grade": row["label"],
                },
            )
        )
    return out
