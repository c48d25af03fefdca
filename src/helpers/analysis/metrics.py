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
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .findings import Uncollected
from .participation import PREDICTORS
from .region import RegionData, people
from .results import latest_ikm
from .section import NOT_COLLECTED, OK, REFUSED, TOO_FEW, Section

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


class Headlines(tuple):
    """A region's indicators in report order (a tuple of ``Indicator``), carrying what its
    dataset did not collect (``not_collected``, a findings ``Uncollected``) for the executive
    summary's note."""

    not_collected: Uncollected

    def __new__(cls, indicators=(), not_collected: Uncollected | None = None):
        obj = super().__new__(cls, indicators)
        obj.not_collected = not_collected or Uncollected()
        return obj


def slug(text: str) -> str:
    """A stable id part from a unit's name: 'Layanan Pengaduan' -> 'layanan-pengaduan'."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "unit"


def _num(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _missing(
    ind_id: str, section: Section, method: str = "", scale: str = "value", part: str | None = None
) -> Indicator:
    """The record of a number that cannot be shown, with the status that says why.

    The sub-analysis's own status (``section.missing[part]``) comes first: a column that was not
    collected is ``not_collected`` even when the rest of its section is shown. Otherwise the
    section's status; a section that is shown but lacks this number had too few people.
    """
    if part is not None and part in section.missing:
        status = section.missing[part]
        reason = (section.results.get("refusal_reasons") or {}).get(part)
        notes = (reason,) if status == REFUSED and reason else ()
        return Indicator(ind_id, method=method, status=status, notes=notes, scale=scale)
    status = section.status if section.status in (TOO_FEW, NOT_COLLECTED) else TOO_FEW
    return Indicator(ind_id, method=method, status=status, scale=scale)


def _count(ind_id: str, data: RegionData, table: str, value: int) -> Indicator:
    """A count of a table's rows: a real number, zero included, only if the table was collected."""
    if not data.collected(table):
        return Indicator(ind_id, method="count", status=NOT_COLLECTED, scale="count")
    return Indicator(ind_id, float(value), method="count", scale="count")


def _checked(ind: Indicator) -> Indicator:
    """An ``ok`` record whose method gave no finite estimate is a refusal, never a blank ``ok``."""
    if ind.status == OK and ind.estimate is None:
        return replace(ind, status=REFUSED, ci_low=None, ci_high=None, se=None, notes=("model_not_estimable",))
    return ind


def headline_indicators(sections: dict[str, Section], data: RegionData) -> list[Indicator]:
    """Every headline number of a region, in report order."""
    out = [
        _count("profile.participants", data, "participants", people(data.participants)),
        _count("profile.programs", data, "programs", len(data.programs)),
        _count("profile.enrollments", data, "enrollments", len(data.enrollments)),
    ]
    out += _reaction(sections["reaction"])
    out += _learning(sections["learning"])
    out += _behaviour(sections["behaviour"])
    out += _participation(sections["participation"])
    out += _results(sections["results"])
    return [_checked(ind) for ind in out]


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
        else _missing("reaction.cronbach_alpha", sec, "cronbach_alpha_feldt", part="alpha")
    )
    return [mean, rel]


FEW_CLUSTERS = 10  # below this a clustered interval carries the note "few_clusters"


def _cluster_notes(clusters: int | None) -> tuple[str, ...]:
    if clusters is None:
        return ()
    if clusters < 2:
        return ("one_cluster",)
    return ("few_clusters",) if clusters < FEW_CLUSTERS else ()


def _attrition(sec: Section) -> Indicator:
    share = sec.results.get("attrition")
    if share is None:
        return _missing("learning.attrition_rate", sec, "share_of_people_wilson", "share", part="attrition")
    return Indicator(
        "learning.attrition_rate",
        _num(share.proportion),
        _num(share.ci_low),
        _num(share.ci_high),
        n=int(share.n),
        method="share_of_people_wilson",
        scale="share",
        extra={"denominator": "people_with_pre_test"},
    )


def _learning(sec: Section) -> list[Indicator]:
    learn, clustered = sec.results.get("overall"), sec.results.get("overall_clustered")
    if learn is None:
        ids = ("learning.mean_gain", "learning.d_z", "learning.normalized_gain")
        return [_missing(i, sec, part="overall") for i in ids] + [_attrition(sec)]
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
        _attrition(sec),
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
        else _missing("behaviour.application_gap", sec, "cluster_robust_mean_cr2_bell_mccaffrey", part="gap")
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
        out.append(_missing("behaviour.supervisor_support", sec, "ols_cluster_robust_participant", part="support"))
    return out


def _participation(sec: Section) -> list[Indicator]:
    rate, jp, model = sec.results.get("completion"), sec.results.get("jp"), sec.results.get("model")
    share_method = "clustered_proportion_wilson_design_effect"
    if rate is None:
        return [
            _missing("participation.completion_rate", sec, share_method, "share"),
            _missing("participation.jp_share", sec, share_method, "share"),
        ] + [
            _missing(f"participation.odds_ratio.{p}", sec, "logistic_cr2_bell_mccaffrey", "odds_ratio")
            for p in PREDICTORS
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
        )
        if jp is not None
        else _missing("participation.jp_share", sec, share_method, "share", part="jp"),
    ]
    method = "logistic_cr2_bell_mccaffrey"
    terms = model.to_frame().set_index("term") if model is not None else None
    for p in PREDICTORS:
        ind_id = f"participation.odds_ratio.{p}"
        if terms is not None and p in terms.index:
            row = terms.loc[p]
            out.append(
                Indicator(
                    ind_id,
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
        elif f"odds_ratio.{p}" in sec.missing:
            out.append(_missing(ind_id, sec, method, "odds_ratio", part=f"odds_ratio.{p}"))
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
    # A family of per-unit numbers with no member at all still gets one record that says why
    # (not collected, too few respondents, a single survey wave), so a reader of metrics.json
    # can tell "no data" from "nothing measured".
    for family, (part, method, scale) in FAMILIES.items():
        if part in sec.missing and not any(i.id.startswith(family + ".") for i in out):
            out.append(_missing(family, sec, method, scale, part=part))
    return out


#: Per-unit indicator families -> (section part, method, scale) of their status-only record.
FAMILIES = {
    "results.its.level_change": ("its", "segmented_gls_ar1_reml_kenward_roger_t", "value"),
    "results.its.slope_change": ("its", "segmented_gls_ar1_reml_kenward_roger_t", "value"),
    "results.did": ("did", "difference_in_differences", "value"),
    "results.ikm_change": ("ikm_change", "ikm_difference_delta_method_welch_t", "value"),
    "results.ikm": ("ikm", "ikm_permenpanrb_14_2017", "index"),
}
