"""The cross-region summary in the report's language, from the regions' saved indicators."""

from __future__ import annotations

import math

import pandas as pd

from ..analysis.cross_region import POOLED_INDICATOR, CrossRegion
from .headlines import indicator_value
from .text import Text

#: Summary-table columns after the region name: (header message, indicator id).
COLUMNS = (
    ("metrics.profile.participants", "profile.participants"),
    ("metrics.participation.completion_rate", "participation.completion_rate"),
    ("metrics.reaction.overall_mean", "reaction.overall_mean"),
    ("metrics.learning.mean_gain", "learning.mean_gain"),
    ("metrics.participation.jp_share", "participation.jp_share"),
)
POOLING_NAMES = {"pm": "Paule-Mandel", "dl": "DerSimonian-Laird", "reml": "REML"}


def subtitle(cross: CrossRegion) -> str:
    return ", ".join(r.name for r in cross.regions)


IKM = "results.ikm"


def _header(message: str, ind: dict | None, t: Text) -> str:
    return t(message, target=t.integer(((ind or {}).get("extra") or {}).get("target_jp") or 20))


def region_table(cross: CrossRegion, t: Text) -> pd.DataFrame | None:
    """One row per region: headline numbers with their CI, or the status that stands in for them.

    The frame's ``attrs["caption"]`` names the numbers no region collected
    (``helpers.present.notebook.table`` prints it under the table).
    """
    if not cross.regions:
        return None
    rows = []
    for r in cross.regions:
        row = {t.column("region"): r.name}
        for message, ind_id in COLUMNS:
            ind = r.indicators.get(ind_id) or {"id": ind_id, "status": "not_collected", "estimate": None}
            row[_header(message, ind, t)] = indicator_value(ind, t)
        row["IKM"] = _ikm_cell(r, t)
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["title"] = t("table_titles.cross.regions")
    note = not_collected_note(cross, t)
    if note:
        table.attrs["caption"] = note
    return table


def _ikm_cell(r, t: Text) -> str:
    shown = [i for i in r.indicators.values() if i["id"].startswith(IKM + ".") and i["status"] == "ok"]
    if shown:
        return "; ".join(
            f"{i['extra']['unit']}: {t.num(i['estimate'])} — {t.grade(i['extra']['category'])}" for i in shown
        )
    return t(f"metrics.status.{r.status(IKM)}")


def not_collected_note(cross: CrossRegion, t: Text) -> str | None:
    """The sentence naming the summary's numbers that no region collected, or None."""
    ids = [i for _, i in COLUMNS] + [IKM]
    gone = cross.not_collected_everywhere(ids)
    if not gone:
        return None
    labels = {ind_id: _header(message, None, t) for message, ind_id in COLUMNS} | {IKM: "IKM"}
    return t("cross_missing.not_collected_anywhere", indicators=t.join(labels[i] for i in gone))


def pooled_paragraphs(cross: CrossRegion, t: Text) -> list[str]:
    out = []
    if cross.missing:
        out.append(t("cross_missing.not_rendered", regions=", ".join(cross.missing)))
    p = cross.pooled
    if p is None:
        out.append(t("cross_missing.none_pooled"))
        if cross.not_collected_everywhere(["learning.mean_gain"]):
            out.append(t("cross_missing.not_collected_anywhere", indicators=t("metrics.learning.mean_gain")))
        return out
    out.append(
        t(
            "cross.pooled",
            method=t("cross.method", tau=POOLING_NAMES[cross.pooling_method], df=t.integer(p.df))
            if p.df
            else POOLING_NAMES[cross.pooling_method],
            est=t.num(p.estimate),
            ci=t.ci(p.ci_low, p.ci_high),
            i2=t.pct(p.i2) if p.i2 is not None and math.isfinite(p.i2) else "–",
            tau2=t.num(p.tau2),
            k=p.k,
        )
    )
    return out


def pooled_table(cross: CrossRegion, t: Text) -> pd.DataFrame | None:
    p = cross.pooled
    if p is None:
        return None
    table = pd.DataFrame(
        [
            {
                "k": int(p.k),
                "estimate": p.estimate,
                "ci_low": p.ci_low,
                "ci_high": p.ci_high,
                "tau2": p.tau2,
                "I² (%)": 100 * p.i2,
                "Q": p.q,
                "p (Q)": t.p(p.q_p),
            }
        ]
    )
    table = table.rename(columns={c: t.column(c) for c in table.columns})
    table.attrs["title"] = t("table_titles.cross.pooled")
    return table


def forest_rows(cross: CrossRegion, t: Text) -> tuple[pd.DataFrame, dict]:
    """The forest plot's per-region rows and its pooled diamond.

    Each region is drawn with the interval its own report gives (a t interval on the
    programme-clustered degrees of freedom, from its metrics.json), not estimate ± 1,96 SE: with
    a handful of programmes per region the normal interval would look far surer than the
    region's report, and could exclude zero where the report's interval does not.
    """
    p = cross.pooled
    studies = p.studies.copy()
    reported = {r.name: r.get(POOLED_INDICATOR) for r in cross.regions}
    for end in ("ci_low", "ci_high"):
        own = [(reported.get(name) or {}).get(end) for name in studies["label"]]
        studies[end] = [v if v is not None else old for v, old in zip(own, studies[end], strict=True)]
    return studies, {
        "estimate": p.estimate,
        "ci_low": p.ci_low,
        "ci_high": p.ci_high,
        "label": t("cross.pooled_label"),
    }
