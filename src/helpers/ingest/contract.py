"""The data contract (``contract.yml``, shipped next to this module) as plain objects.

The contract names every table, its columns and their types, and the rules across columns
and tables. It is loaded and checked once here; the rest of the package receives the objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

CONTRACT_FILE = Path(__file__).resolve().parent / "contract.yml"


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a contract table: its type and what a valid value looks like.

    Attributes
    ----------
    name : str
        Column name in the contract (and in the processed tables).
    type : str
        One of the column types listed at the top of ``contract.yml``.
    required : bool
        The column must be present in the file (a missing column stops the run).
    nullable : bool
        A blank cell is allowed.
    min, max : float or None
        Inclusive range for numbers.
    values : tuple of str
        Allowed values of an ``enum`` column.
    personal : bool
        Personal data: pseudonymised (NIP) or dropped (name, e-mail, phone).
    currency : bool
        Rupiah amount: ``"Rp 1.500.000,-"`` is accepted and a lone ``"1.500"`` is fifteen hundred.
    score : bool
        0-100 test score: a Google Forms quiz ``"17 / 20"`` is read as 85 (per cent).
    """

    name: str
    type: str
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()
    personal: bool = False
    currency: bool = False
    score: bool = False


@dataclass(frozen=True)
class RowRule:
    """A rule across two columns of one row: when ``if_filled`` has a value, ``then_filled`` must too."""

    if_filled: str
    then_filled: str
    rule: str
    message: str


@dataclass(frozen=True)
class TableSpec:
    """One contract table: its columns and the rules that span rows or tables.

    Attributes
    ----------
    unique : tuple of str
        Columns that identify a row; later duplicates are quarantined.
    latest : str or None
        For survey tables: among duplicates, the row with the latest value here is kept.
    refs : dict
        Column -> ``table.column`` that must exist among the accepted rows of that table.
    requires : tuple of RowRule
        Rules across two columns of one row.
    """

    name: str
    columns: dict[str, ColumnSpec]
    unique: tuple[str, ...] = ()
    latest: str | None = None
    refs: dict[str, str] = field(default_factory=dict)
    requires: tuple[RowRule, ...] = ()


@dataclass(frozen=True)
class Contract:
    """The whole contract: tables in the order they are checked, and the label sets."""

    tables: dict[str, TableSpec]
    order: tuple[str, ...]
    likert_labels: dict[str, dict[str, int]]
    yesno: dict[str, str]


@lru_cache(maxsize=1)
def load_contract() -> Contract:
    """Load ``contract.yml`` shipped with the package (cached: it does not change during a run)."""
    raw = yaml.safe_load(CONTRACT_FILE.read_text(encoding="utf-8"))
    tables = {}
    for tname, t in raw["tables"].items():
        cols = {}
        for cname, c in t["columns"].items():
            cols[cname] = ColumnSpec(
                name=cname,
                type=c["type"],
                required=c.get("required", True),
                nullable=c.get("nullable", False),
                min=c.get("min"),
                max=c.get("max"),
                values=tuple(str(v) for v in c.get("values", ())),
                personal=c.get("personal", False),
                currency=c.get("currency", False),
                score=c.get("score", False),
            )
        requires = tuple(RowRule(r["if"], r["then"], r["rule"], r["message"]) for r in t.get("requires", ()))
        tables[tname] = TableSpec(
            tname, cols, tuple(t.get("unique", ())), t.get("latest"), dict(t.get("refs", {})), requires
        )
    order = tuple(raw["order"])
    if sorted(order) != sorted(tables):
        # A packaging mistake, not a user's: every table must be checked, and only known ones.
        raise AssertionError(
            f"contract.yml: 'order' ({', '.join(order)}) must list each table once ({', '.join(tables)})"
        )
    labels = {k: {str(lbl).strip().lower(): int(v) for lbl, v in m.items()} for k, m in raw["likert_labels"].items()}
    return Contract(tables, order, labels, dict(raw["yesno"]))


# The table names in checking order. Read from contract.yml so the list is written down once.
TABLES: tuple[str, ...] = load_contract().order
