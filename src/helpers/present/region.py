"""The parts of a region report that are words about the whole report: title, subtitle,
section titles and texts, the methods note with its settings."""

from __future__ import annotations

import pandas as pd

from ..analysis.report import RegionReport
from .headlines import not_collected_sentence
from .text import Text
from .wording import plan_word, say, say_all

#: Settings of a recommendation rule that the follow-up plan shows, not the settings table.
PLAN_KEYS = ("owner", "timeline", "options")


def title(report: RegionReport, t: Text) -> str:
    return t("report.title", region=report.region["name"])


def subtitle(report: RegionReport, t: Text) -> str:
    m = report.data.dataset.manifest
    return t(
        "report.subtitle",
        dataset=report.data.dataset.name,
        start=t.date(m["period"]["start"]) if m["period"]["start"] else "?",
        end=t.date(m["period"]["end"]) if m["period"]["end"] else "?",
        code=report.region.get("kemendagri_code") or "–",
    )


def section_title(key: str, t: Text) -> str:
    return t(f"{key}.title")


def section_text(report: RegionReport, key: str, t: Text) -> list[str]:
    return say_all(report.sections[key].findings, t)


def summary_note(report: RegionReport, t: Text) -> str | None:
    """The executive summary's sentence on what this dataset did not collect (None: nothing)."""
    return not_collected_sentence(report.not_collected, t)


def recommendation(action, t: Text) -> str:
    """One action of the follow-up plan as a sentence: "<what to do>: <evidence>." and its notes."""
    sentence = t("advice.sentence", action=say(action.action, t), evidence=say(action.evidence, t))
    return " ".join([sentence, *say_all(action.notes, t)])


def recommendations(report: RegionReport, t: Text) -> list[str]:
    """The recommendations in the report's language, then one sentence per question whose
    evidence is missing. "No problem found" is said only when every rule had evidence and
    none fired."""
    plan = report.recommendations
    return [recommendation(a, t) for a in plan.actions] + say_all(plan.gaps, t) or [t("recommendations.none")]


def follow_up_table(report: RegionReport, t: Text) -> pd.DataFrame:
    """The Rencana Tindak Lanjut: one row per action with its evidence, the report section that
    shows it, who acts and by when (owner and timeline: catalogue codes or the partner's words)."""
    rows = [
        {
            t("plan.number"): i,
            t("plan.action"): say(a.action, t),
            t("plan.evidence"): " ".join([_sentence(say(a.evidence, t)), *say_all(a.notes, t)]),
            t("plan.where"): t(f"{a.section}.title"),
            t("plan.owner"): plan_word("roles", a.owner, t, unit=a.unit),
            t("plan.timeline"): plan_word("timelines", a.timeline, t),
        }
        for i, a in enumerate(report.recommendations.actions, start=1)
    ]
    return pd.DataFrame(
        rows, columns=[t(f"plan.{k}") for k in ("number", "action", "evidence", "where", "owner", "timeline")]
    )


def _sentence(clause: str) -> str:
    """A clause of a recommendation as a sentence of its own (a table cell)."""
    return clause[:1].upper() + clause[1:] + ("" if clause.endswith(".") else ".")


def evidence_gaps(report: RegionReport, t: Text) -> list[str]:
    """One sentence per question the evidence cannot answer yet."""
    return say_all(report.recommendations.gaps, t)


def settings_table(report: RegionReport, t: Text) -> pd.DataFrame:
    """The analysis settings this report used, one row each (dotted names as in settings.yml)."""
    flat = report.settings.flat()
    table = pd.DataFrame(
        {
            t("methods.meaning"): [t.setting(k) for k in flat],
            t("methods.setting"): list(flat),
            t("methods.value"): [_setting(v, t) for v in flat.values()],
        }
    )
    table.attrs["title"] = t("table_titles.methods.settings")
    return table


def _setting(value, t: Text) -> str:
    """A setting's value; numbers in the report's number style (0,5 in Indonesian)."""
    if isinstance(value, dict):  # owners and timelines are in the follow-up plan
        return ", ".join(f"{k}: {_setting(v, t)}" for k, v in value.items() if k not in PLAN_KEYS)
    if isinstance(value, list):
        return ", ".join(_setting(v, t) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return t.integer(value)
    if isinstance(value, float):
        return t.num(value, max(1, len(repr(value).split(".")[-1].rstrip("0"))))
    return str(value)
