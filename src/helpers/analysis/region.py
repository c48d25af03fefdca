"""One region's rows from every processed table, and the disclosure-control helpers that count people.

Language-free: nothing here words or formats anything. The sections (``helpers.analysis.levels``)
read a ``RegionData``; the presentation layer never sees the raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from .. import evaluation as ev
from ..ingest.contract import load_contract
from ..store import ProcessedDataset
from .settings import AnalysisSettings, load_settings

#: Programme attributes joined onto the person-level tables; only those the dataset has are joined.
PROGRAM_COLUMNS = ["program_id", "method", "delivery", "incentive", "jp", "end_date", "title"]


@dataclass
class RegionData:
    """The rows of one region, from every table, plus the dataset's description and settings."""

    dataset: ProcessedDataset
    region_id: str
    settings: AnalysisSettings | None = None

    def __post_init__(self):
        self.dataset.region(self.region_id)  # UsageError naming the known regions
        if self.settings is None:
            self.settings = load_settings(
                self.dataset.manifest.get("analysis"), region=self.dataset.region(self.region_id).get("analysis")
            )

    @cached_property
    def region(self) -> dict:
        return self.dataset.region(self.region_id)

    @property
    def min_cell(self) -> int:
        return self.settings.min_cell

    def collected(self, table: str) -> bool:
        """Whether the dataset supplied this table at all (an empty table is still collected)."""
        return table in self.dataset.tables

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether the dataset supplied this table and, if given, this column of it.

        A column is not collected when the export lacked it: ingest then leaves it out of the
        processed table and lists it under ``columns_not_collected`` in the manifest. Either
        sign is enough, so an older manifest without that key still works.
        """
        if not self.collected(table):
            return False
        if column is None:
            return True
        return column in self.dataset.tables[table].columns and column not in self.dataset.columns_not_collected(table)

    def not_collected(self) -> dict:
        """What this dataset did not supply, language-free: ``{"tables": [...], "columns": {table: [...]}}``.

        Tables and columns in contract order; personal columns (NIP, name) are never listed:
        they are left out of the processed data by design, not missing.
        """
        contract = load_contract()
        tables = [t for t in contract.order if not self.collected(t)]
        columns = {}
        for t in contract.order:
            if t in tables:
                continue
            missing = [c for c, spec in contract.tables[t].columns.items() if not spec.personal and not self.has(t, c)]
            if missing:
                columns[t] = missing
        return {"tables": tables, "columns": columns}

    def _table(self, name: str) -> pd.DataFrame:
        """A processed table without its not-collected columns, or an empty one with the
        contract's columns if the table was not collected."""
        df = self.dataset.tables.get(name)
        if df is not None:
            gone = set(self.dataset.columns_not_collected(name)) & set(df.columns)
            return df.drop(columns=sorted(gone)) if gone else df
        cols = [
            ("participant_key" if c == "nip" else c)
            for c, spec in load_contract().tables[name].columns.items()
            if not (spec.personal and spec.type != "nip")
        ]
        return pd.DataFrame(columns=cols)

    def _by_region(self, table: str) -> pd.DataFrame:
        df = self._table(table)
        return df[df["region_id"] == self.region_id].reset_index(drop=True)

    def _by_program(self, table: str) -> pd.DataFrame:
        joined = [c for c in PROGRAM_COLUMNS if c in self.programs.columns]
        return self._table(table).merge(self.programs[joined], on="program_id", how="inner", suffixes=("", "_program"))

    def program_column(self, table: str, column: str) -> str | None:
        """The name under which a programme attribute appears in a person-level table, or None
        when the dataset did not collect it. ``reaction`` has its own ``method`` item, so the
        programme's method is ``method_program`` there."""
        if not self.has("programs", column) or column not in PROGRAM_COLUMNS:
            return None
        return f"{column}_program" if self.has(table, column) else column

    @cached_property
    def programs(self) -> pd.DataFrame:
        return self._by_region("programs")

    @cached_property
    def participants(self) -> pd.DataFrame:
        return self._by_region("participants")

    @cached_property
    def enrollments(self) -> pd.DataFrame:
        return self._by_program("enrollments")

    @cached_property
    def reaction(self) -> pd.DataFrame:
        return self._by_program("reaction")

    @cached_property
    def tests(self) -> pd.DataFrame:
        return self._by_program("tests")

    @cached_property
    def followup(self) -> pd.DataFrame:
        return self._by_program("followup")

    @cached_property
    def service(self) -> pd.DataFrame:
        return self._by_region("service")

    @cached_property
    def skm(self) -> pd.DataFrame:
        return self._by_region("skm")

    @cached_property
    def qualitative(self) -> pd.DataFrame:
        return self._by_region("qualitative")


def recorded(df: pd.DataFrame, column: str) -> bool:
    """Whether a frame has the column with at least one value: an absent or all-blank column
    holds no data, and is never summed or filled into a zero."""
    return column in df.columns and bool(df[column].notna().any())


def people(df: pd.DataFrame) -> int:
    """Distinct people in a frame: disclosure control counts people, not rows."""
    return int(df["participant_key"].nunique()) if "participant_key" in df.columns else len(df)


def suppress_rows(df: pd.DataFrame, n_col: str, min_cell: int, **kwargs) -> pd.DataFrame:
    """Blank every statistic of a row whose group has fewer than ``min_cell`` people.

    Integer columns (counts) stay integers: masking turns them to float, which would print
    counts as "38.00".
    """
    # Only the ``suppressed`` flag is published: the analyst-only ``suppression`` column says which
    # masked cells are the small ones, which would undo complementary suppression.
    out = ev.suppress_small_cells(df, count_col=n_col, min_cell=min_cell, **kwargs).table.drop(
        columns=["suppression"], errors="ignore"
    )
    for c in df.columns:
        if c in out.columns and pd.api.types.is_integer_dtype(df[c]):
            out[c] = out[c].astype("Int64")
    return out
