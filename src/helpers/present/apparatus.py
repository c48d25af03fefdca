"""The reader's apparatus of a report: how to read its numbers, a glossary of the statistics it
shows, its data sources and its limitations, in the report's language.

Readers are a Sekda, Bappeda or BKPSDM head and their staff, who never see the code; every
sentence is checked against the code that computes the number it explains (the module named
beside each glossary entry in ``GLOSSARY``). A term is listed only when the report can show it:
each entry carries a condition on the report (``Term.when``), e.g. difference-in-differences only
when the results section has one. Words live in ``text.yml`` under ``messages.apparatus``;
numbers in the words are formatted by ``Text`` (decimal comma in Indonesian).

Presentation only: nothing here computes a statistic; it reads result objects and settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..analysis import load_settings
from ..analysis.region import people
from ..analysis.report import RegionReport
from ..analysis.section import OK, REFUSED, TOO_FEW
from ..evaluation import GRADE_LOWER_BOUNDS
from .tables import NOT_COLLECTED_FLAG, SUPPRESSED_FLAG
from .text import Text
from .wording import uncollected_text

SUPPRESSED_MARK = "■"  # as helpers.present.notebook.SUPPRESSED
NOT_ESTIMATED_MARK = "–"  # as helpers.present.notebook.NOT_ESTIMATED
#: The data tables in contract order, with the Kirkpatrick level each measures (None: context).
SOURCES = (
    ("programs", None),
    ("participants", None),
    ("enrollments", "participation"),
    ("reaction", "reaction"),
    ("tests", "learning"),
    ("followup", "behaviour"),
    ("service", "results"),
    ("skm", "results"),
    ("qualitative", "all"),
)
LEVEL_NUMBER = {"reaction": 1, "learning": 2, "behaviour": 3, "results": 4}
#: Tables whose rows are people (ASN, or SKM respondents): their row count is a group of people
#: and is suppressed below the minimum cell size, like every other group.
PERSON_TABLES = frozenset({"participants", "enrollments", "reaction", "tests", "followup", "skm"})


@dataclass(frozen=True)
class Term:
    """One glossary entry: the catalogue entry ``apparatus.glossary.<key>`` (``term``, ``meaning``).

    ``when`` says whether the report (or the cross-region summary) shows the statistic;
    ``values`` fills the placeholders of the entry's words; ``label`` names the term by a column
    header of the report's tables instead (so the glossary uses the very words of the table).
    """

    key: str
    when: Callable[[Any], bool] = lambda _: True
    values: Callable[[Any, Text], dict[str, str]] = lambda _, __: {}
    label: Callable[[Text], str] | None = None

    def row(self, context: Any, t: Text) -> tuple[str, str]:
        values = self.values(context, t)
        term = self.label(t) if self.label else t(f"apparatus.glossary.{self.key}.term", **values)
        return term, t(f"apparatus.glossary.{self.key}.meaning", **values)


# ------------------------------------------------------------------ what a region report shows


def _shown(value: Any) -> bool:
    """Whether a section result holds something to show: an empty dict of series is nothing."""
    if value is None:
        return False
    return len(value) > 0 if isinstance(value, dict | list | tuple | pd.DataFrame) else True


def _has(section: str, *keys: str) -> Callable[[RegionReport], bool]:
    """Whether the report's ``section`` has a result under any of ``keys``."""

    def check(report: RegionReport) -> bool:
        sec = report.sections.get(section)
        return sec is not None and any(_shown(sec.results.get(k)) for k in keys)

    return check


def _any(*checks: Callable[[RegionReport], bool]) -> Callable[[RegionReport], bool]:
    return lambda report: any(check(report) for check in checks)


def _section_ok(*sections: str) -> Callable[[RegionReport], bool]:
    return lambda report: any(report.sections.get(s) is not None and report.sections[s].status == OK for s in sections)


def _attrition_shown(report: RegionReport) -> bool:
    sec = report.sections.get("learning")
    return sec is not None and ("attrition" in sec.results or sec.missing.get("attrition") == TOO_FEW)


def _method_model_clustered(report: RegionReport) -> bool:
    model = report.sections["participation"].results.get("model") if "participation" in report.sections else None
    return model is not None and bool(model.n_clusters)


def _did_on_series(report: RegionReport) -> bool:
    """A difference-in-differences on the treated-minus-comparison series: an AR(1) model
    (``helpers.evaluation.did.difference_series_did``; the many-unit variant has no rho)."""
    sec = report.sections.get("results")
    did = (sec.results.get("did") if sec is not None else None) or {}
    return any(math.isfinite(res.rho) for res in did.values())  # NaN for the unit-clustered OLS


def _bonferroni(report: RegionReport) -> bool:
    """Whether the report recommends reviewing the weakest method: that recommendation cites a
    Bonferroni correction over all pairs of methods (``helpers.analysis.recommendations``)."""
    plan = report.recommendations
    actions = getattr(plan, "actions", plan)  # the follow-up plan, or a sequence of findings
    return any(
        getattr(a, "rule", None) == "weak_method" or str(getattr(a, "key", "")).startswith("advice.weak_method")
        for a in actions
    )


def _setting(report: RegionReport, dotted: str) -> Any:
    return report.settings[dotted]


def _number(value: float, t: Text) -> str:
    """A setting's number as written: 0,5 not 0,50; 20 not 20,00."""
    value = float(value)
    return t.integer(int(value)) if value.is_integer() else t.num(value, len(f"{value:g}".split(".")[-1]))


def _grade_bands(t: Text) -> str:
    """'A (Sangat Baik) 88,31–100,00; B (Baik) 76,61–88,30; ...' from the grade bounds the IKM
    uses (``helpers.evaluation.ikm``, PermenPANRB 14/2017); each band ends 0,01 below the next."""
    lowers = [*GRADE_LOWER_BOUNDS, ("D", 25.0)]
    bands, upper = [], 100.0
    for code, low in lowers:
        bands.append(f"{t.grade(code)} {t.num(low)}–{t.num(upper)}")
        upper = round(low - 0.01, 2)
    return "; ".join(bands)


_ITS = _has("results", "its")
_LEARNING = _has("learning", "overall")

#: The region report's glossary, in reading order. Each entry's condition names the result that
#: shows the statistic; its words were checked against the module named in the comment.
GLOSSARY: tuple[Term, ...] = (
    Term("kirkpatrick"),
    Term("ci"),
    Term("n"),
    Term(
        "p",
        _any(_LEARNING, _has("learning", "model"), _has("participation", "model"), _ITS, _has("results", "did")),
        lambda _, t: {"alpha": t.num(0.05)},
    ),
    Term("likert", _section_ok("reaction", "behaviour")),  # reaction items, follow-up ratings: 1-5
    Term("top2", _has("reaction", "likert_frame"), label=lambda t: t.column("top2")),  # evaluation.likert
    Term(  # evaluation.reliability: Feldt interval
        "cronbach_alpha",
        _has("reaction", "alpha"),
        lambda r, t: {"threshold": _number(_setting(r, "reaction.alpha_flag_below"), t)},
    ),
    Term("paired_t", _LEARNING),  # evaluation.learning.paired_effect
    Term("wilcoxon", _LEARNING),
    Term("d_z", _LEARNING),  # noncentral-t interval on participants: unclustered
    Term("g_av", lambda r: "by_method" in r.sections["learning"].tables),  # per-method table only
    Term("hake", _LEARNING, lambda _, t: {"half": t.num(0.5, 1)}),  # (post - pre) / (100 - pre)
    Term("attrition", _attrition_shown),  # analysis.learning.attrition_finding: Wilson on people
    Term(  # evaluation.clustered / cluster_robust: CR2, Bell-McCaffrey df
        "cluster",
        _any(
            _has("learning", "overall_clustered", "model"),
            _section_ok("behaviour"),
            _method_model_clustered,
        ),
    ),
    Term("ols", _any(_has("behaviour", "support"), _has("learning", "model"))),  # behaviour, methods
    Term("wilson", _any(_has("participation", "completion", "jp"), _has("learning", "attrition"))),  # clustered
    Term("logistic", _has("participation", "model")),  # evaluation.participation
    Term("odds_ratio", _has("participation", "model")),
    Term("its", _ITS),  # evaluation.its.segmented_regression
    Term("level_change", _ITS, label=lambda t: t.column("level_change")),
    Term("slope_change", _ITS, label=lambda t: t.column("slope_change")),
    Term("counterfactual", _ITS),  # the dashed line of figures.interrupted_series
    Term("ar1", _any(_ITS, _did_on_series)),  # evaluation.timeseries: AR(1) errors, REML, GLS
    Term("kenward_roger", _any(_ITS, _did_on_series)),
    Term("did", _has("results", "did", "did_refused")),  # evaluation.did; refusals name it too
    Term("ikm", _has("results", "ikm")),  # evaluation.ikm: mean NRR x 25
    Term("unsur", _has("results", "ikm_unsur"), label=lambda t: t.column("unsur")),
    Term("nrr", _has("results", "ikm_unsur")),
    Term("grades", _has("results", "ikm"), lambda _, t: {"bands": _grade_bands(t)}),
    Term(
        "jp",
        lambda r: r.data.has("programs", "jp"),
        lambda r, t: {"minutes": _number(_setting(r, "participation.jp_minutes"), t)},
    ),
    Term(
        "jp_standard",
        lambda r: _has("participation", "jp")(r) or "jp" in r.sections["participation"].missing,
        lambda r, t: {"target": _number(_setting(r, "participation.jp_target"), t)},
    ),
    Term(  # analysis.participation.jp_frame: everyone on record x every year of the period
        "asn_year",
        _has("participation", "jp"),
        lambda _, t: {"people": t.integer(200), "years": t.integer(3), "n": t.integer(600)},
    ),
    Term("bonferroni", _bonferroni),
    Term("quarantine", lambda r: "quality" in r.sections),
)


def _frame(rows: list[tuple[str, str]], t: Text) -> pd.DataFrame:
    """The glossary table; its ``attrs["title"]`` is the numbered title ``notebook.table`` shows."""
    out = pd.DataFrame(rows, columns=[t("apparatus.glossary.columns.term"), t("apparatus.glossary.columns.meaning")])
    out.attrs["title"] = t("apparatus.glossary.table_title")
    return out


def glossary_frame(report: RegionReport, t: Text) -> pd.DataFrame:
    """Every statistic the region report shows, each with one plain sentence.

    Parameters
    ----------
    report : RegionReport
        The report the glossary belongs to: a term appears only when the report shows it.
    t : Text
        The report's language.

    Returns
    -------
    pandas.DataFrame
        Two columns, term and meaning, headed in the report's language; one row per term, in
        ``GLOSSARY`` order.
    """
    return _frame([term.row(report, t) for term in GLOSSARY if term.when(report)], t)


def reading_guide(t: Text, min_cell: int | None = None) -> list[str]:
    """Short paragraphs on how to read the report's numbers and markers.

    Parameters
    ----------
    t : Text
        The report's language (its number format: decimal comma in Indonesian).
    min_cell : int, optional
        The minimum cell size of the report (``report.settings.min_cell``); without it the
        paragraph on ■ refers to the analysis settings.

    Examples
    --------
    >>> reading_guide(Text("en"), 5)[0][:30]
    '«3.96 [3.88; 4.04] (n = 451)» '
    """
    est, low, high, n = 3.96, 3.88, 4.04, 451  # the shape of every headline value
    example = f"{t.num(est)} {t.ci(low, high)} (n = {t.integer(n)})"
    suppressed = (
        t("apparatus.reading.suppressed", mark=SUPPRESSED_MARK, min_cell=t.integer(min_cell))
        if min_cell is not None
        else t("apparatus.reading.suppressed_generic", mark=SUPPRESSED_MARK)
    )
    return [
        t(
            "apparatus.reading.example",
            example=example,
            est=t.num(est),
            low=t.num(low),
            high=t.num(high),
            n=t.integer(n),
        ),
        suppressed,
        t("apparatus.reading.not_estimated", mark=NOT_ESTIMATED_MARK, refused=t("metrics.status.refused")),
        t("apparatus.reading.not_collected", word=t("metrics.status.not_collected")),
        t("apparatus.reading.numbers", example=t.num(1234.5, 1)),
    ]


def data_sources_frame(report: RegionReport, t: Text) -> pd.DataFrame:
    """One row per data table: its reader name, the Kirkpatrick level it measures, what it holds,
    and the rows this region's report rests on (after the data checks).

    A table the dataset did not supply is flagged ``not_collected`` (the display shows
    «tidak dikumpulkan», never 0); a table of people with fewer rows than the minimum cell size
    is flagged ``suppressed`` (■), as every other small group of people is. A collected table
    without rows for the region shows a real 0.
    """
    cols = {k: t(f"apparatus.sources.columns.{k}") for k in ("data", "level", "measures", "rows")}
    rows = []
    for table, level in SOURCES:
        collected = report.data.collected(table)
        frame = getattr(report.data, table) if collected else None
        n = len(frame) if frame is not None else None
        small = table in PERSON_TABLES and frame is not None and 0 < people(frame) < report.settings.min_cell
        rows.append(
            {
                cols["data"]: _capital(t.table(table)),
                cols["level"]: _level(level, t),
                cols["measures"]: t(f"apparatus.sources.measures.{table}"),
                cols["rows"]: None if not collected or small else int(n),
                SUPPRESSED_FLAG: bool(small),
                NOT_COLLECTED_FLAG: not collected,
            }
        )
    out = pd.DataFrame(rows)
    out[cols["rows"]] = out[cols["rows"]].astype("Int64")
    out.attrs["title"] = t("apparatus.sources.table_title")
    return out


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _level(level: str | None, t: Text) -> str:
    if level is None:
        return t("apparatus.sources.context")
    if level == "all":
        return t("apparatus.sources.all_levels")
    if level in LEVEL_NUMBER:
        return t("apparatus.sources.level", n=LEVEL_NUMBER[level], name=t.level(level))
    return t.level(level)


def _few_clusters(report: RegionReport) -> bool:
    """Whether any number carries a few-clusters caveat or was refused, or a model was skipped."""
    for ind in report.indicators:
        if ind.status == REFUSED or {"few_clusters", "one_cluster"} & set(ind.notes):
            return True
    if any(REFUSED in sec.missing.values() for sec in report.sections.values()):
        return True
    return any(f.key == "learning.no_model" for f in report.sections["learning"].findings)


def _any_suppressed(report: RegionReport) -> bool:
    """Whether any section hid a group (a flagged table row, or a part with too few people)."""
    for sec in report.sections.values():
        if sec.status == TOO_FEW or TOO_FEW in sec.missing.values():
            return True
        for table in sec.tables.values():
            if SUPPRESSED_FLAG in table.columns and table[SUPPRESSED_FLAG].fillna(False).astype(bool).any():
                return True
    return False


def limitations(report: RegionReport, t: Text) -> list[str]:
    """The honest limits of the region report, one paragraph each, those that apply first-hand.

    Always: the design is observational (no random assignment, so associations are not proof
    of cause) and the report makes many comparisons. Synthetic data come first. The others
    appear where the report shows what they qualify: the pre/post design and its unclustered
    d_z, the assumptions of the interrupted time series and of difference-in-differences,
    self-reported ratings, few programmes or units, suppressed groups, data not collected,
    attrition and the IKM's respondents.
    """
    out = []
    if report.synthetic:
        out.append(t("apparatus.limitations.synthetic", region=report.region["name"]))
    out.append(t("apparatus.limitations.observational"))
    learning = report.sections["learning"].results
    if "overall" in learning:
        out.append(t("apparatus.limitations.pre_post"))
        out.append(t("apparatus.limitations.unclustered"))
    attrition = learning.get("attrition")
    if attrition is not None and attrition.successes > 0:
        out.append(t("apparatus.limitations.attrition"))
    if "likert_frame" in report.sections["reaction"].results:
        out.append(t("apparatus.limitations.reaction_unclustered"))
    if _section_ok("reaction", "behaviour")(report):
        out.append(t("apparatus.limitations.self_report"))
    if _ITS(report):
        out.append(t("apparatus.limitations.its"))
    if _has("results", "did")(report):
        out.append(t("apparatus.limitations.did"))
    if _has("results", "ikm")(report):
        out.append(t("apparatus.limitations.ikm"))
    if _few_clusters(report):
        out.append(t("apparatus.limitations.few_clusters", refused=t("metrics.status.refused")))
    if _any_suppressed(report):
        out.append(t("apparatus.limitations.suppressed", min_cell=t.integer(report.settings.min_cell)))
    missing = report.not_collected
    if missing.tables or missing.columns:
        out.append(
            t(
                "apparatus.limitations.not_collected",
                what=uncollected_text(missing.tables, missing.columns, t),
                word=t("metrics.status.not_collected"),
            )
        )
    out.append(t("apparatus.limitations.many_comparisons"))
    return out


# ------------------------------------------------------------------ the cross-region summary


def _pooled(cross) -> bool:
    return cross is None or cross.pooled is not None


def _pooling(cross) -> str:
    """The τ² method of the summary: the summary's own, else the package default setting."""
    return cross.pooling_method if cross is not None else str(load_settings()["cross_region.pooling"])


def _summary_setting(cross, dotted: str) -> Any:
    """A region setting the summary's numbers used (the first region's saved settings), else
    the package default."""
    for region in getattr(cross, "regions", ()) or ():
        if dotted in (region.settings or {}):
            return region.settings[dotted]
    return load_settings()[dotted]


#: The cross-region summary's glossary (notebooks/cross_region_summary.py): the regions'
#: headline table (helpers.present.summary.COLUMNS) and the pooled learning gain
#: (helpers.analysis.cross_region: random effects, HKSJ interval, τ² by the pooling setting).
SUMMARY_GLOSSARY: tuple[Term, ...] = (
    Term("ci"),
    Term("n"),
    Term("likert"),  # reaction.overall_mean
    Term("cluster"),  # each region's mean gain: CR2 by programme
    Term("wilson"),  # completion rate and JP share
    Term("jp", values=lambda c, t: {"minutes": _number(_summary_setting(c, "participation.jp_minutes"), t)}),
    Term("jp_standard", values=lambda c, t: {"target": _number(_summary_setting(c, "participation.jp_target"), t)}),
    Term("asn_year", values=lambda _, t: {"people": t.integer(200), "years": t.integer(3), "n": t.integer(600)}),
    Term("ikm"),
    Term("grades", values=lambda _, t: {"bands": _grade_bands(t)}),
    Term("meta", _pooled),
    Term("tau2", _pooled),
    Term("pm", lambda c: _pooled(c) and _pooling(c) == "pm"),
    Term("dl", lambda c: _pooled(c) and _pooling(c) == "dl"),
    Term("reml", lambda c: _pooled(c) and _pooling(c) == "reml"),
    Term("i2", _pooled),
    Term("q", _pooled),
    Term("p", _pooled, lambda _, t: {"alpha": t.num(0.05)}),
    Term("hksj", lambda c: c is None or (c.pooled is not None and c.pooled.df is not None)),
    Term("forest", _pooled),
)


def summary_glossary_frame(t: Text, cross=None) -> pd.DataFrame:
    """The statistics of the cross-region summary, each with one plain sentence.

    Parameters
    ----------
    t : Text
        The summary's language.
    cross : helpers.analysis.cross_region.CrossRegion, optional
        The summary the glossary belongs to: without a pooled gain the meta-analysis terms are
        left out, and only its τ² method is named. Without it, every pooling term is listed,
        with the package's default τ² method.

    Returns
    -------
    pandas.DataFrame
        Two columns, term and meaning, as :func:`glossary_frame`.
    """
    return _frame([term.row(cross, t) for term in SUMMARY_GLOSSARY if term.when(cross)], t)
