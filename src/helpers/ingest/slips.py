"""Slips: row problems so widespread that they point at one mistake, not at bad rows.

A region id typed wrongly in ``regions:`` or in a ``constants:`` entry, a ``period:`` copied from
the documentation, or a column mapped to the wrong header quarantines most of a table. Ingest
would then write a nearly empty table and the next report would replace a good one with an
empty one. ``find_slips`` names the likely slip in one line each; ``asn-eval ingest`` stops on
them (exit 2, earlier processed data untouched) unless ``--accept-quarantine`` is given.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from .rules import Problem, TableResult

#: A table with more than this share of its rows quarantined stops ingest.
MAX_QUARANTINED_SHARE = 0.5
#: An undeclared region id in at least this share of a table's rows (and 2 rows) is a slip.
UNKNOWN_REGION_SHARE = 0.1


@dataclass(frozen=True)
class Slip:
    """One likely slip: the tables it shows in and the line that names it and its fix."""

    tables: tuple[str, ...]
    kind: str  # unknown-region | period | quarantine | region-emptied
    message: str

    def __str__(self) -> str:
        return self.message


def find_slips(tables: dict[str, TableResult], region_ids: tuple[str, ...], period: tuple) -> list[Slip]:
    """Every likely slip in a checked dataset, one line each, the likeliest cause first.

    A slip shows in several tables at once (a region id typed wrongly in ``regions:`` rejects that
    region's rows everywhere, and then every enrolment in its programmes), so each cause is named
    once with the tables it touches, and quarantine that follows from a slip already named (the
    ``reference`` rule) is not named again.

    Parameters
    ----------
    tables : dict
        Per-table results of ``run_checks``, in the contract's checking order.
    region_ids : tuple of str
        The region ids dataset.yml declares.
    period : (str or None, str or None)
        The dataset period as dataset.yml gives it.
    """
    slips = _unknown_regions(tables, region_ids) + _period(tables, period)
    explained = {t for s in slips for t in s.tables}
    for res in tables.values():
        if res.name in explained or not _mostly_quarantined(res):
            continue
        column, rule, n = _main_rule(res.problems)
        explained.add(res.name)
        if slips and rule == "reference":
            continue  # its programmes or participants were lost to a slip named above
        n_bad = len(res.quarantined)
        slips.append(
            Slip(
                (res.name,),
                "quarantine",
                f"{res.name}: {n_bad} of {res.rows_read} rows ({n_bad / res.rows_read:.0%}) would be quarantined, "
                f"most for rule '{rule}' in column '{column}' ({n} rows): a column mapped to the wrong header, "
                "or a wrong decimal:, date_order: or likert: setting? Run `asn-eval check` to see the rows",
            )
        )
    slips += _regions_emptied(tables, region_ids, explained)
    return slips


def _mostly_quarantined(res: TableResult) -> bool:
    return bool(res.rows_read) and len(res.quarantined) > MAX_QUARANTINED_SHARE * res.rows_read


def _main_rule(problems: list[Problem]) -> tuple[str, str, int]:
    """The (column, rule, rows) that quarantines the most rows."""
    (column, rule), n = Counter((p.column, p.rule) for p in problems).most_common(1)[0]
    return column, rule, n


def _per_table(counts: dict[str, object]) -> str:
    return ", ".join(f"{t} {n}" for t, n in counts.items())


def _unknown_regions(tables: dict[str, TableResult], region_ids: tuple[str, ...]) -> list[Slip]:
    by_value: dict[str, dict[str, int]] = {}
    widespread: set[str] = set()
    for res in tables.values():
        for value, n in Counter(p.value for p in res.problems if p.rule == "region").items():
            by_value.setdefault(value, {})[res.name] = n
            if n >= 2 and n >= UNKNOWN_REGION_SHARE * res.rows_read:
                widespread.add(value)
    out = []
    for value, per_table in by_value.items():
        if value not in widespread:
            continue
        near = difflib.get_close_matches(value, region_ids, n=1, cutoff=0.6)
        hint = f" Did you mean '{near[0]}'?" if near else ""
        out.append(
            Slip(
                tuple(per_table),
                "unknown-region",
                f"region id '{value}' in {sum(per_table.values())} rows ({_per_table(per_table)}) is not declared "
                f"under regions: in dataset.yml (declared: {', '.join(region_ids)}).{hint} A typo in regions: "
                "or in a constants: entry would do this",
            )
        )
    return out


def _period(tables: dict[str, TableResult], period: tuple) -> list[Slip]:
    per_table: dict[str, str] = {}
    dates: list[str] = []
    for res in tables.values():
        outside = [p for p in res.problems if p.rule == "period"]
        rows = {(p.file, p.row) for p in outside}
        if res.rows_read and len(rows) > MAX_QUARANTINED_SHARE * res.rows_read:
            per_table[res.name] = f"{len(rows)} of {res.rows_read}"
            dates += [p.value[:10] for p in outside]
    if not per_table:
        return []
    start, end = (v or "…" for v in period)
    return [
        Slip(
            tuple(per_table),
            "period",
            f"the dataset period {start} to {end} (period: in dataset.yml) leaves out most rows "
            f"({_per_table(per_table)}), dated {min(dates)} to {max(dates)}: is the period right?",
        )
    ]


def _regions_emptied(tables: dict[str, TableResult], region_ids: tuple[str, ...], explained: set[str]) -> list[Slip]:
    """Declared regions that had rows in a table but would keep none of them."""
    programme_region = _programme_regions(tables.get("programs"))
    emptied: dict[str, dict[str, int]] = {}
    for name, res in tables.items():
        if not res.rows_read or name in explained:
            continue
        accepted = _regions_of(res.accepted, programme_region)
        rejected = _regions_of(res.quarantined, programme_region)
        if accepted is None or rejected is None:
            continue
        for region in region_ids:
            n_bad = int((rejected == region).sum())
            if n_bad and not (accepted == region).any():
                emptied.setdefault(region, {})[name] = n_bad
    return [
        Slip(
            tuple(per_table),
            "region-emptied",
            f"region '{region}' would keep none of its rows in {_per_table(per_table)} (all quarantined): "
            "run `asn-eval check` to see why",
        )
        for region, per_table in emptied.items()
    ]


def _programme_regions(programs: TableResult | None) -> dict[str, str]:
    """programme id -> region id, from accepted and quarantined programme rows alike."""
    if programs is None:
        return {}
    mapping = {}
    for frame in (programs.quarantined, programs.accepted):  # accepted last: it wins
        if {"program_id", "region_id"} <= set(frame.columns):
            mapping.update(zip(frame["program_id"].astype(str), frame["region_id"].astype(str), strict=True))
    return mapping


def _regions_of(frame: pd.DataFrame, programme_region: dict[str, str]) -> pd.Series | None:
    if "region_id" in frame.columns:
        return frame["region_id"].astype(str)
    if "program_id" in frame.columns and programme_region:
        return frame["program_id"].astype(str).map(programme_region)
    if frame.empty:
        return pd.Series([], dtype=str)
    return None
