"""Headline indicators as a reader sees them: label, value with its CI and n, or what stands
in for a missing number (■ too few people, "not collected", "not estimated")."""

from __future__ import annotations

from ..analysis.metrics import FAMILIES, Indicator
from .text import Text
from .wording import uncollected_text

#: Indicator ids whose label message takes parameters, by id prefix.
_PARAMETRISED = (
    "participation.odds_ratio",
    "results.its.level_change",
    "results.its.slope_change",
    "results.did",
    "results.ikm_change",
    "results.ikm",
)
#: Executive-summary rows, by id or id prefix, in order.
SUMMARY = (
    "profile.participants",
    "profile.enrollments",
    "reaction.overall_mean",
    "learning.mean_gain",
    "learning.d_z",
    "learning.normalized_gain",
    "learning.attrition_rate",
    "behaviour.application_gap",
    "participation.completion_rate",
    "participation.jp_share",
    "results.its.level_change",
    "results.did",
    "results.ikm_change",
    "results.ikm",
)


def _as_dict(ind: Indicator | dict) -> dict:
    return ind.as_dict() if isinstance(ind, Indicator) else ind


def indicator_label(ind: Indicator | dict, t: Text) -> str:
    """The indicator's name in the report's language (the ``label`` of metrics.json)."""
    d = _as_dict(ind)
    extra = d.get("extra") or {}
    if d["id"] in FAMILIES:  # the status-only record of a per-unit family with no member
        return t(f"metrics_family.{d['id']}")
    for base in _PARAMETRISED:
        if d["id"].startswith(base + "."):
            term = d["id"][len(base) + 1 :]
            return t(
                f"metrics.{base}",
                term=t.column(term),
                unit=extra.get("unit", ""),
                indicator=t.indicator(extra.get("indicator", "")),
                period=t.period(extra.get("period", "")),
            )
    if d["id"] == "participation.jp_share":
        return t("metrics.participation.jp_share", target=t.integer(extra.get("target_jp") or 20))
    return t(f"metrics.{d['id']}")


def _fmt(value, scale: str, t: Text, nd: int = 2) -> str:
    if scale == "share":
        return t.pct(value)
    if scale == "count":
        return t.integer(value)
    return t.num(value, nd)


def indicator_value(ind: Indicator | dict, t: Text) -> str:
    """'3,83 [3,70; 3,96] (n = 412)'; or the status word when there is no estimate."""
    d = _as_dict(ind)
    if d["status"] == "refused" and d.get("notes"):
        return t("metrics.status.refused_because", reason="; ".join(note_text(n, d, t) for n in d["notes"]))
    if d["status"] != "ok" or d["estimate"] is None:
        return t(f"metrics.status.{d['status'] if d['status'] != 'ok' else 'too_few'}")
    scale = d.get("scale", "value")
    text = _fmt(d["estimate"], scale, t)
    if d.get("ci_low") is not None and d.get("ci_high") is not None:
        text += f" [{_fmt(d['ci_low'], scale, t)}; {_fmt(d['ci_high'], scale, t)}]"
    if scale == "index" and (d.get("extra") or {}).get("category"):
        text += f" — {t.grade(d['extra']['category'])}"
    if d.get("n") and scale != "count":
        text += f" (n = {t.integer(d['n'])})"
    notes = [note_text(n, d, t) for n in d.get("notes") or ()]
    return text + "".join(f"; {n}" for n in notes)


def note_text(code: str, ind: dict, t: Text) -> str:
    """A caveat code of an indicator in the report's language."""
    if code in ("few_clusters", "unclustered", "one_programme"):
        return t(f"notes.{code}", clusters=t.integer(ind.get("clusters")))
    if code == "one_cluster":
        return t("reasons.one_cluster")
    return t(f"reasons.{code}")


class SummaryRows(list):
    """The executive summary's ``(id, label, value)`` rows, and the sentences that go under them."""

    def __init__(self, rows=(), notes=()):
        super().__init__(rows)
        self.notes = list(notes)


def summary_rows(indicators, t: Text) -> SummaryRows:
    """``(id, label, value)`` for the executive summary, in ``SUMMARY`` order; ``.notes`` holds
    the sentence listing what the dataset did not collect (when ``indicators`` carries it, as a
    ``RegionReport``'s do)."""
    rows = []
    for key in SUMMARY:
        for ind in indicators:
            d = _as_dict(ind)
            if d["id"] == key or d["id"].startswith(key + "."):
                rows.append((d["id"], indicator_label(d, t), indicator_value(d, t)))
    missing = getattr(indicators, "not_collected", None)
    return SummaryRows(rows, [s for s in (not_collected_sentence(missing, t),) if s])


def not_collected_sentence(missing, t: Text) -> str | None:
    """One sentence naming every table and column the dataset did not collect, or None."""
    if missing is None or not (missing.tables or missing.columns):
        return None
    return t("summary.not_collected", what=uncollected_text(missing.tables, missing.columns, t))
