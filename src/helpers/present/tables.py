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


def localize(df: pd.DataFrame, t: Text) -> pd.DataFrame:
    """Codes by their names, yes/no in words, shares as percentages, headers translated.

    The ``suppressed`` and ``not_collected`` flags keep their names so that displays can find them.
    """
    out = df.copy()
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
    return localize(out, t)
