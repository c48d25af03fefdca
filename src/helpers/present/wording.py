"""Findings into sentences: fill a catalogue message with values formatted for the report's language."""

from __future__ import annotations

from typing import Any

from ..analysis.findings import CI, Finding, Int, Label, Num, P, Pct
from .text import Text


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
        case Label(kind, key):
            return label(kind, key, t)
        case _:
            return str(value)


def label(kind: str, key: str, t: Text) -> str:
    """A code by its catalogue name: methods, Likert items, indicators, column names, levels."""
    if kind == "reason":
        return t(f"reasons.{key}")
    lookup = {"method": t.method, "item": t.item, "indicator": t.indicator, "column": t.column, "level": t.level}
    return lookup[kind](key)


def say(finding: Finding, t: Text) -> str:
    """The sentence of a finding in the report's language."""
    return t(finding.key, **{k: value_text(v, t) for k, v in finding.values.items()})


def say_all(findings, t: Text) -> list[str]:
    return [say(f, t) for f in findings]
