"""Findings into sentences: fill a catalogue message with values formatted for the report's language."""

from __future__ import annotations

from typing import Any

from ..analysis.findings import CI, Fields, Finding, Int, Label, Labels, Num, P, Pct, Period, Uncollected
from .text import Text

#: Label kinds worded by a message of the catalogue (``<group>.<key>``), not by a lookup table.
MESSAGE_LABELS = {
    "reason": "reasons",
    "analysis": "analyses",
    "question": "questions",
    "evidence": "evidence",
    "access": "access",
}


def value_text(value: Any, t: Text) -> str:
    """One typed value as the reader sees it ("3,83", "12,5%", "[1,20; 3,40]", "< 0,001")."""
    match value:
        case Num(v, nd):
            return t.num(v, nd)
        case Int(v):
            return t.integer(v)
        case Pct(share, nd):
            return t.pct(share, nd)
        case CI(low, high, nd, percent):
            if percent:
                low, high = (None if x is None else 100 * x for x in (low, high))
            return t.ci(low, high, nd)
        case P(v):
            return t.p(v)
        case Period(v):
            return t.period(v)
        case Label(kind, key):
            return label(kind, key, t)
        case Labels(kind, keys):
            return t.join(label(kind, k, t) for k in keys)
        case Fields(table, columns):
            return fields_text(table, columns, t)
        case Uncollected(tables, columns):
            return uncollected_text(tables, columns, t)
        case _:
            return str(value)


def label(kind: str, key: str, t: Text) -> str:
    """A code by its catalogue name: methods, Likert items, indicators, column names, levels."""
    if kind in MESSAGE_LABELS:
        return t(f"{MESSAGE_LABELS[kind]}.{key}")
    lookup = {
        "method": t.method,
        "item": t.item,
        "indicator": t.indicator,
        "column": t.column,
        "level": t.level,
        "table": t.table,
        "grade": t.grade,
        "unsur": t.unsur,
    }
    return lookup[kind](key)


def fields_text(table: str, columns, t: Text) -> str:
    """A table, or some of its columns, in reader words: 'insentif program dan JP program'."""
    return t.join(t.field(table, c) for c in columns) if columns else t.table(table)


def uncollected_text(tables, columns, t: Text) -> str:
    """Everything a dataset lacks: whole tables first, then the columns of each table it has."""
    parts = [t.table(name) for name in tables]
    parts += [
        t("words.columns_of", columns=t.join(t.field(table, c) for c in cols), table=t.table(table))
        for table, cols in columns
    ]
    return "; ".join(parts)


def say(finding: Finding, t: Text) -> str:
    """The sentence of a finding in the report's language."""
    return t(finding.key, **{k: value_text(v, t) for k, v in finding.values.items()})


def say_all(findings, t: Text) -> list[str]:
    return [say(f, t) for f in findings]


def plan_word(group: str, value: str, t: Text, **values) -> str:
    """An owner or a timeline of the follow-up plan: a catalogue code (``roles.*``,
    ``timelines.*``) in the report's language, or the partner's own words as written."""
    try:
        return t(f"{group}.{value}", **values)
    except (KeyError, TypeError):  # not a code: the partner's own words
        return value
