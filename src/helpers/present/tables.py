"""Numeric section tables into reader tables: codes by their names, headers in the report's
language, shares in percent; and, for the HTML only, p-values and years as text.

``localize`` keeps numbers numeric (the partner xlsx); ``for_display`` adds the text formats
(the HTML report). Neither computes a statistic.
"""

from __future__ import annotations

import pandas as pd

from .text import Text

P_COLUMNS = ("p_value", "level_p", "slope_p")
PERCENT_COLUMNS = ("share", "completion")
#: Columns whose values are codes with a name in the catalogue, and the catalogue group.
CODE_COLUMNS = {"method": "method", "item": "item", "indicator": "indicator", "factor": "column", "variable": "column"}
SUPPRESSED_FLAG = "suppressed"
#: Flags a row whose statistics were not collected (a rating or barrier the dataset lacks).
NOT_COLLECTED_FLAG = "not_collected"
FLAGS = (SUPPRESSED_FLAG, NOT_COLLECTED_FLAG)


def term_label(term: str, t: Text) -> str:
    """Readable model terms: ``method[project_based]`` -> the method's name; items by their label."""
    if term.startswith("method[") and term.endswith("]"):
        return t.method(term[7:-1])
    name = t.item(term)
    return t.column(term) if name == term else name


#: Columns whose values are category codes of a data column (``categories.<column>`` in text.yml).
CATEGORY_COLUMNS = ("delivery", "position_type", "gender", "education", "source", "status", "reason", "theme")
#: Columns holding a month 'YYYY-MM', shown as 'November 2025'.
PERIOD_COLUMNS = ("period", "trained_from")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _categories(out: pd.DataFrame, t: Text) -> pd.DataFrame:
    """Category values in the report's language, before the code columns get their names."""
    for col in CATEGORY_COLUMNS:
        if col in out.columns:
            out[col] = [t.category(col, v) if isinstance(v, str) else v for v in out[col]]
    if "variable" in out.columns and "category" in out.columns:  # a composition table
        out["category"] = [
            t.category(var, v) if isinstance(v, str) else v
            for var, v in zip(out["variable"], out["category"], strict=True)
        ]
    if "category" in out.columns and ("ikm" in out.columns or "nrr" in out.columns):  # IKM grades
        out["category"] = [t.grade(v) if isinstance(v, str) else None for v in out["category"]]
        out = out.drop(columns=[c for c in ("label",) if c in out.columns])
        out = out.rename(columns={"category": "label"})  # headed "Mutu pelayanan"
    for col in PERIOD_COLUMNS:
        if col in out.columns:
            out[col] = [t.period(v) if isinstance(v, str) else v for v in out[col]]
    if "unsur" in out.columns:
        out["unsur"] = [t.unsur(v) for v in out["unsur"]]
    if "rule" in out.columns and "table" in out.columns:  # the data-quality appendix
        out["rule"] = [t.rule(v) for v in out["rule"]]
        if "column" in out.columns:
            out["column"] = [t.field(tb, c) if c else c for tb, c in zip(out["table"], out["column"], strict=True)]
    if "table" in out.columns:
        out["table"] = [_capital(t.table(v)) for v in out["table"]]
    return out


def localize(df: pd.DataFrame, t: Text) -> pd.DataFrame:
    """Codes by their names, yes/no in words, shares as percentages, headers translated.

    The ``suppressed`` and ``not_collected`` flags keep their names so that displays can find them.
    """
    out = _categories(df.copy(), t)
    for col, kind in CODE_COLUMNS.items():
        if col in out.columns:
            lookup = {"method": t.method, "item": t.item, "indicator": t.indicator, "column": t.column}[kind]
            out[col] = [lookup(v) if isinstance(v, str) else v for v in out[col]]
    if "term" in out.columns:
        out["term"] = [term_label(v, t) for v in out["term"]]
    for col in out.columns:
        if pd.api.types.is_bool_dtype(out[col].dtype) and col not in FLAGS:
            out[col] = [None if pd.isna(v) else t.yesno(bool(v)) for v in out[col]]
    if "support_level" in out.columns:
        out.insert(0, "label", [f"{t.item('supervisor_support')} = {v}" for v in out["support_level"]])
        out = out.drop(columns=["support_level"])
    if any(c in out.columns for c in PERCENT_COLUMNS):
        for c in (*PERCENT_COLUMNS, "ci_low", "ci_high"):
            if c in out.columns:
                out[c] = out[c].astype(float) * 100
    return out.rename(columns={c: t.column(c) for c in out.columns if c not in FLAGS})


def for_display(df: pd.DataFrame, t: Text) -> pd.DataFrame:
    """``localize`` plus the HTML's text formats: p-values as '< 0,001', years as plain labels."""
    out = df.copy()
    for c in P_COLUMNS:
        if c in out.columns:
            out[c] = [t.p(float(v)) if pd.notna(v) else None for v in out[c]]
    if "year" in out.columns:
        out["year"] = out["year"].astype(str)
    # JP are whole hours of training in every programme seen so far: "40", not "40,00".
    if "jp" in out.columns and pd.api.types.is_numeric_dtype(out["jp"]):
        jp = out["jp"].astype(float)
        if ((jp.dropna() % 1) == 0).all():
            out["jp"] = jp.round().astype("Int64")
    return localize(out, t)
