"""The parts of a region report that are words about the whole report: title, subtitle,
section titles and texts, the methods note with its settings."""

from __future__ import annotations

import pandas as pd

from ..analysis.report import RegionReport
from .headlines import not_collected_sentence
from .text import Text
from .wording import say, say_all


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


def recommendations(report: RegionReport, t: Text) -> list[str]:
    """The recommendations in the report's language, then one sentence per question whose
    evidence is missing. "No problem found" is said only when every rule had evidence and
    none fired."""
    return [say(f, t) for f in report.recommendations] or [t("recommendations.none")]


def settings_table(report: RegionReport, t: Text) -> pd.DataFrame:
    """The analysis settings this report used, one row each (dotted names as in settings.yml)."""
    flat = report.settings.flat()
    return pd.DataFrame(
        {
            t("methods.meaning"): [t.setting(k) for k in flat],
            t("methods.setting"): list(flat),
            t("methods.value"): [_setting(v, t) for v in flat.values()],
        }
    )


def _setting(value, t: Text) -> str:
    """A setting's value; numbers in the report's number style (0,5 in Indonesian)."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_setting(v, t)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_setting(v, t) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return t.integer(value)
    if isinstance(value, float):
        return t.num(value, max(1, len(repr(value).split(".")[-1].rstrip("0"))))
    return str(value)
