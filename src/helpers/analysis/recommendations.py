"""Recommendations that follow from a region's own evidence.

Each rule reads result objects of the sections and fires only on evidence: a confidence
interval that excludes "no effect", a share below a target, a grade below B. Thresholds live in
``settings.yml`` (``recommendations:``), wording in the catalogue (``advice.<rule>``).

A rule whose evidence is missing (not collected, too few people or programmes, refused) is
never skipped in silence: it gives a finding that the evidence for its question is
insufficient (``recommendations.no_evidence``), so "no problem found" is only said when every
enabled rule had evidence to look at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .findings import CI, Finding, Int, Label, Labels, Num, Pct, finding
from .region import RegionData
from .results import latest_ikm
from .section import NOT_COLLECTED, OK, REFUSED, TOO_FEW, Section

#: Why a rule had no evidence: a status, or a refusal reason code (``reasons.<code>``).
Gap = tuple[str, str] | None


@dataclass(frozen=True)
class Action:
    """One row of the follow-up plan (Rencana Tindak Lanjut): what to do, the evidence for it,
    who acts and by when.

    ``owner`` and ``timeline`` are a catalogue code (``roles.*``, ``timelines.*``) or the
    partner's own words from ``dataset.yml``; ``section`` is where the report shows the
    evidence. ``expands`` are the training methods the action proposes to use more, ``weakest``
    the methods it finds weakest: no plan holds both for one method (``consistent``).
    """

    rule: str
    action: Finding
    evidence: Finding
    owner: str
    timeline: str
    section: str
    unit: str = ""  # the service unit an action is about (an IKM or a service indicator)
    notes: tuple[Finding, ...] = ()  # what the action left out, and why
    expands: frozenset[str] = frozenset()
    weakest: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FollowUpPlan:
    """The recommendations of a report: the actions its evidence supports, then one finding for
    each question whose evidence is missing."""

    actions: tuple[Action, ...]
    gaps: tuple[Finding, ...]

    def consistent(self) -> bool:
        """No action proposes more of a method that another action finds weakest."""
        weak = set().union(*(a.weakest for a in self.actions)) if self.actions else set()
        return not any(a.expands & weak for a in self.actions)


def recommend(sections: dict[str, Section], data: RegionData) -> FollowUpPlan:
    """Every recommendation whose rule is enabled and whose evidence is there, followed by one
    finding for each enabled rule whose evidence is missing."""
    out: list[Action] = []
    gaps: list[Finding] = []
    for name, evidence, rule in RULES:
        if not data.settings.rule(name):
            continue  # switched off for this dataset: not a question the report asks
        gap = evidence(sections, data)
        if gap is None:
            out.extend(rule(sections, data))
            continue
        kind, code = gap
        gaps.append(
            finding(
                "recommendations.no_evidence",
                question=Label("question", name),
                why=Label("reason" if kind == REFUSED else "evidence", code),
            )
        )
    return FollowUpPlan(tuple(out), tuple(gaps))


def _status(sec: Section, part: str | None = None) -> Gap:
    """The gap of a section, or of one of its parts, or None when it was shown."""
    if part is not None and part in sec.missing:
        status = sec.missing[part]
        if status == REFUSED:
            return REFUSED, (sec.results.get("refusal_reasons") or {}).get(part, "model_not_estimable")
        return status, status
    if sec.status != OK:
        return sec.status, sec.status
    return None


def _odds_evidence(term: str):
    def evidence(sections, data) -> Gap:
        sec = sections["participation"]
        gap = _status(sec, f"odds_ratio.{term}")
        if gap is not None:
            return gap
        if term not in _participation_terms(sections).index:
            return REFUSED, sec.results.get("model_refused") or "model_not_estimable"
        return None

    return evidence


def _incentive_evidence(sections, data) -> Gap:
    gap = _odds_evidence("incentive")(sections, data)
    if gap is not None:
        return gap
    # Incentives are set per programme: with a couple of incentive programmes the model's
    # programme-clustered interval is far too narrow to act on.
    per_arm = data.programs.groupby("incentive")["program_id"].nunique()
    if len(per_arm) != 2 or per_arm.min() < data.settings.rule("incentive")["min_programs_each"]:
        return TOO_FEW, "too_few_programmes"
    return None


def _jp_evidence(sections, data) -> Gap:
    return _status(sections["participation"], "jp")


def _support_evidence(sections, data) -> Gap:
    sec = sections["behaviour"]
    gap = _status(sec, "support")
    if gap is not None:
        return gap
    support = sec.results.get("support")
    if support is None or pd.isna(support.to_frame().set_index("term").loc["supervisor_support", "coefficient"]):
        return REFUSED, "model_not_estimable"
    return None


def _gap_evidence(sections, data) -> Gap:
    sec = sections["behaviour"]
    return _status(sec, "gap") or (None if sec.results.get("gap") is not None else (TOO_FEW, TOO_FEW))


def _method_evidence(sections, data) -> Gap:
    sec = sections["learning"]
    gap = _status(sec, "by_method")
    if gap is not None:
        return gap
    by_method = sec.results.get("by_method")
    if by_method is None:
        return TOO_FEW, TOO_FEW
    if len(by_method) <= 1:
        return TOO_FEW, "one_method"
    if sec.results.get("model_refused"):
        return REFUSED, sec.results["model_refused"]
    if sec.results.get("model") is None:
        return TOO_FEW, "too_few_programmes"
    if sec.results.get("contrast_vs_weakest") is None:
        return REFUSED, "model_not_estimable"
    return None


def _service_evidence(sections, data) -> Gap:
    sec = sections["results"]
    if sec.results.get("its"):
        return None
    gap = _status(sec, "its")
    if gap is not None:
        return gap
    refused = sec.results.get("its_refused") or {}
    return (REFUSED, next(iter(refused.values()))) if refused else (NOT_COLLECTED, NOT_COLLECTED)


def _ikm_evidence(sections, data) -> Gap:
    sec = sections["results"]
    if latest_ikm(sec):
        return None
    return _status(sec, "ikm") or (TOO_FEW, TOO_FEW)


def _participation_terms(sections: dict[str, Section]) -> pd.DataFrame:
    model = sections["participation"].results.get("model")
    return model.to_frame().set_index("term") if model is not None else pd.DataFrame()


def _action(rule: str, data: RegionData, section: str, action: Finding, evidence: Finding, **extra) -> Action:
    """A row of the follow-up plan, with the owner and timeline the settings give the rule."""
    r = data.settings.rule(rule)
    return Action(rule, action, evidence, r["owner"], r["timeline"], section, **extra)


def _schedule_conflict(sections, data):
    terms, r = _participation_terms(sections), data.settings.rule("schedule_conflict")
    if r and "schedule_conflict" in terms.index:
        row = terms.loc["schedule_conflict"]
        if row["ci_high"] < r["max_ci_high"]:
            yield _action(
                "schedule_conflict",
                data,
                "participation",
                finding("advice.schedule_conflict.action"),
                finding(
                    "advice.schedule_conflict.evidence",
                    odds=Num(row["odds_ratio"]),
                    ci=CI(row["ci_low"], row["ci_high"]),
                ),
            )


def _incentive(sections, data):
    terms, r = _participation_terms(sections), data.settings.rule("incentive")
    if r and "incentive" in terms.index:
        row = terms.loc["incentive"]  # enough programmes with and without: _incentive_evidence
        if row["ci_low"] > r["min_ci_low"]:
            yield _action(
                "incentive",
                data,
                "participation",
                finding("advice.incentive.action"),
                finding("advice.incentive.evidence", odds=Num(row["odds_ratio"]), ci=CI(row["ci_low"], row["ci_high"])),
            )


def weakest_methods(sections: dict[str, Section]) -> frozenset[str]:
    """The training methods the learning evidence finds weakest: the reference of a significant
    method contrast, and the method with the lowest score gain in the per-method table (a
    description, but a reader sees it, so no action may propose more of it)."""
    out: set[str] = set()
    by_method = sections["learning"].results.get("by_method")
    if by_method is not None and "mean_diff" in by_method:
        shown = by_method.dropna(subset=["mean_diff"])
        if len(shown) >= 2:
            out.add(str(shown.sort_values("mean_diff").iloc[0]["method"]))
    contrast = sections["learning"].results.get("contrast_vs_weakest")
    if contrast is not None:
        out.add(str(contrast.reference))
    return frozenset(out)


def _jp_target(sections, data):
    jp, r = sections["participation"].results.get("jp"), data.settings.rule("jp_target")
    # The whole interval below the target: the shortfall is not sampling noise.
    if r and jp is not None and math.isfinite(jp.ci_high) and jp.ci_high < r["min_share"]:
        # Ways to widen access, but never a method the learning evidence finds weakest: the
        # plan must not expand online classes while e-learning shows the lowest gain.
        # A method the weak_method rule finds weakest (tested) is named as such; one that only
        # shows the lowest gain in the per-method table is left out without that claim.
        weak = weakest_methods(sections)
        tested = {m for action in _weak_method(sections, data) for m in action.weakest}
        options = [o for o in r["options"] if o not in weak]
        dropped = [o for o in r["options"] if o in weak]
        action = (
            finding("advice.jp_target.action_options", options=Labels("access", tuple(options)))
            if options
            else finding("advice.jp_target.action")
        )
        notes = tuple(
            finding(
                "advice.jp_target.not_expanded" if o in tested else "advice.jp_target.not_exemplified",
                method=Label("method", o),
            )
            for o in dropped
        )
        yield _action(
            "jp_target",
            data,
            "participation",
            action,
            finding("advice.jp_target.evidence", share=Pct(jp.share), target=Int(int(jp.target))),
            notes=notes,
            expands=frozenset(options),
        )


def _supervisor_support(sections, data):
    support, r = sections["behaviour"].results.get("support"), data.settings.rule("supervisor_support")
    if r and support is not None:
        row = support.to_frame().set_index("term").loc["supervisor_support"]
        if row["ci_low"] > r["min_ci_low"]:
            yield _action(
                "supervisor_support",
                data,
                "behaviour",
                finding("advice.supervisor_support.action"),
                finding(
                    "advice.supervisor_support.evidence",
                    b=Num(row["coefficient"]),
                    ci=CI(row["ci_low"], row["ci_high"]),
                ),
            )


def _self_supervisor_gap(sections, data):
    gap, r = sections["behaviour"].results.get("gap"), data.settings.rule("self_supervisor_gap")
    if r and gap is not None and gap.ci_low > 0 and gap.mean >= r["min_gap"]:
        yield _action(
            "self_supervisor_gap",
            data,
            "behaviour",
            finding("advice.self_supervisor_gap.action"),
            finding("advice.self_supervisor_gap.evidence", gap=Num(gap.mean), ci=CI(gap.ci_low, gap.ci_high)),
        )


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
            best_method = best["term"][7:-1]
            yield _action(
                "weak_method",
                data,
                "learning",
                finding(
                    "advice.weak_method.action",
                    method=Label("method", contrast.reference),
                    best=Label("method", best_method),
                ),
                finding(
                    "advice.weak_method.evidence",
                    method=Label("method", contrast.reference),
                    best=Label("method", best_method),
                    diff=Num(best["coefficient"], 1),
                    ci=CI(best["ci_low"], best["ci_high"], 1),
                    pairs=Int(pairs),
                ),
                weakest=frozenset({str(contrast.reference)}),
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
            yield _action(
                "service_improved",
                data,
                "results",
                finding("advice.service_improved.action", unit=unit),
                finding(
                    "advice.service_improved.evidence",
                    indicator=Label("indicator", indicator),
                    level=Num(its.level_change),
                    ci=CI(its.level_ci_low, its.level_ci_high),
                ),
                unit=unit,
            )


def _ikm_low(sections, data):
    r = data.settings.rule("ikm_low")
    if not r:
        return
    for row in latest_ikm(sections["results"]):
        if row["category"] in r["categories"]:
            yield _action(
                "ikm_low",
                data,
                "results",
                finding("advice.ikm_low.action", unit=row["unit"]),
                finding("advice.ikm_low.evidence", value=Num(row["ikm"]), category=Label("grade", row["category"])),
                unit=row["unit"],
            )


#: (settings name, evidence check, rule), in the order the recommendations are listed.
RULES = (
    ("schedule_conflict", _odds_evidence("schedule_conflict"), _schedule_conflict),
    ("incentive", _incentive_evidence, _incentive),
    ("jp_target", _jp_evidence, _jp_target),
    ("supervisor_support", _support_evidence, _supervisor_support),
    ("self_supervisor_gap", _gap_evidence, _self_supervisor_gap),
    ("weak_method", _method_evidence, _weak_method),
    ("service_improved", _service_evidence, _service_improved),
    ("ikm_low", _ikm_evidence, _ikm_low),
)
