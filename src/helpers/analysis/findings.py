"""Findings: what a section says, as a message key and typed values, without any wording.

The analysis layer decides *what* to say (which message, which numbers); the presentation layer
(``helpers.present``) decides *how*, in the report's language and number style. A value is
wrapped in the type that says how to show it, so no analysis module formats a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Num:
    """A real number shown with ``nd`` decimals."""

    value: float | None
    nd: int = 2


@dataclass(frozen=True)
class Int:
    """A count."""

    value: int | None


@dataclass(frozen=True)
class Pct:
    """A share (0-1) shown as a percentage."""

    share: float | None
    nd: int = 1


@dataclass(frozen=True)
class CI:
    """A confidence interval; ``percent`` shows a share interval in percentage points."""

    low: float | None
    high: float | None
    nd: int = 2
    percent: bool = False


@dataclass(frozen=True)
class P:
    """A p-value ("< 0,001" below one in a thousand)."""

    value: float | None


@dataclass(frozen=True)
class Period:
    """A month 'YYYY-MM' (a survey wave, a training month), shown as 'November 2025'."""

    value: str


@dataclass(frozen=True)
class Label:
    """A code shown by its name in the catalogue: ``Label("method", "e_learning")``."""

    kind: str  # method | item | indicator | column | level | reason | analysis | table | grade | unsur
    key: str


@dataclass(frozen=True)
class Labels:
    """Several codes of one kind, shown by their names and joined ("a, b dan c")."""

    kind: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Fields:
    """Data a dataset did not supply: a whole table (no ``columns``) or some columns of it,
    worded from the catalogue (``tables``, ``fields``), never by their code names."""

    table: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Uncollected:
    """Everything a dataset did not supply: whole tables, and columns of the tables it did
    supply as ``(table, (column, ...))`` pairs."""

    tables: tuple[str, ...] = ()
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Finding:
    """One sentence of a report: a catalogue key and the values it is filled with."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


def finding(key: str, **values: Any) -> Finding:
    return Finding(key, values)
