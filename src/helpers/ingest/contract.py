"""The data contract (``contract.yml``, shipped next to this module) as plain objects.

The contract names every table, its columns and their types, and the rules across columns
and tables. It is loaded and checked once here; the rest of the package receives the objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

CONTRACT_FILE = Path(__file__).resolve().parent / "contract.yml"
#: Column types whose answers are labels that ``values:`` in dataset.yml may recode.
RECODABLE_TYPES = ("enum", "yesno", "region")

# Spaces, "_" and "-" between letters or digits; a leading "-" stays (a sign: "-1" is not "1").
_LABEL_JOINS = re.compile(r"(?<=[^\W_])[\s_-]+(?=[^\W_])")


def label_key(text: object) -> str:
    """Fold a label for matching: case, spaces, and ``_`` or ``-`` inside it do not count.

    >>> label_key("Laki laki") == label_key("LAKI-LAKI") == label_key(" laki_laki ")
    True
    >>> label_key("E-Learning"), label_key("-1")
    ('elearning', '-1')
    """
    return _LABEL_JOINS.sub("", " ".join(str(text).lower().split()))


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
    synonyms : dict
        ``enum`` only: allowed value -> the labels exports write for it, as ``contract.yml`` lists them.
    used_by : tuple of str
        Report sections that use the column (empty: no analysis does).
    label_values : dict
        Folded label (``label_key``) -> allowed value, the values themselves included.
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
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    used_by: tuple[str, ...] = ()
    label_values: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


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
    """The whole contract: tables in the order they are checked, and the label sets.

    ``yesno`` maps answers of yes/no columns, as written in ``contract.yml``, to ``"yes"`` or
    ``"no"``; ``yesno_values`` is the same keyed by ``label_key``. ``sections`` are the report
    sections a column's ``used_by`` may name.
    """

    tables: dict[str, TableSpec]
    order: tuple[str, ...]
    likert_labels: dict[str, dict[str, int]]
    yesno: dict[str, str]
    sections: tuple[str, ...] = ()
    yesno_values: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


@lru_cache(maxsize=1)
def load_contract() -> Contract:
    """Load ``contract.yml`` shipped with the package (cached: it does not change during a run)."""
    raw = yaml.safe_load(CONTRACT_FILE.read_text(encoding="utf-8"))
    sections = tuple(raw.get("sections", ()))
    tables = {}
    for tname, t in raw["tables"].items():
        cols = {name: _column(f"{tname}.{name}", name, c, sections) for name, c in t["columns"].items()}
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
    yesno = {str(k): str(v) for k, v in raw["yesno"].items()}
    yesno_values = _fold_labels("yesno", {v: tuple(k for k, w in yesno.items() if w == v) for v in ("yes", "no")})
    return Contract(tables, order, labels, yesno, sections, yesno_values)


def _column(where: str, name: str, c: dict, sections: tuple[str, ...]) -> ColumnSpec:
    """One column of ``contract.yml``; a packaging mistake in it raises AssertionError."""
    values = tuple(str(v) for v in c.get("values", ()))
    synonyms = {str(v): tuple(str(lbl) for lbl in labels) for v, labels in (c.get("synonyms") or {}).items()}
    if synonyms and c["type"] != "enum":
        raise AssertionError(f"contract.yml: {where} has synonyms but is not an enum column")
    unknown = sorted(set(synonyms) - set(values))
    if unknown:
        raise AssertionError(f"contract.yml: {where} lists synonyms of {', '.join(unknown)}, not among its values")
    used_by = tuple(str(s) for s in c.get("used_by", ()))
    if set(used_by) - set(sections):
        raise AssertionError(
            f"contract.yml: {where} used_by names unknown sections {sorted(set(used_by) - set(sections))}"
        )
    label_values = _fold_labels(where, {v: (v, *synonyms.get(v, ())) for v in values}) if values else {}
    return ColumnSpec(
        name=name,
        type=c["type"],
        required=c.get("required", True),
        nullable=c.get("nullable", False),
        min=c.get("min"),
        max=c.get("max"),
        values=values,
        personal=c.get("personal", False),
        currency=c.get("currency", False),
        score=c.get("score", False),
        synonyms=synonyms,
        used_by=used_by,
        label_values=label_values,
    )


def _fold_labels(where: str, labels_by_value: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Folded label -> value; a label meaning two values is a packaging mistake (AssertionError)."""
    out: dict[str, str] = {}
    for value, labels in labels_by_value.items():
        for label in labels:
            key = label_key(label)
            if out.get(key, value) != value:
                raise AssertionError(f"contract.yml: {where}: label '{label}' means both {out[key]} and {value}")
            out[key] = value
    return out


# The table names in checking order. Read from contract.yml so the list is written down once.
TABLES: tuple[str, ...] = load_contract().order
