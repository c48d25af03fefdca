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
            self.settings = load_settings(self.dataset.manifest.get("analysis"))

    @cached_property
    def region(self) -> dict:
        return self.dataset.region(self.region_id)

    @property
    def min_cell(self) -> int:
        return self.settings.min_cell

    def collected(self, table: str) -> bool:
        """Whether the dataset supplied this table at all (an empty table is still collected)."""
        return table in self.dataset.tables

    def _table(self, name: str) -> pd.DataFrame:
        """A processed table, or an empty one with the contract's columns if it was not collected."""
        df = self.dataset.tables.get(name)
        if df is not None:
            return df
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
        return self._table(table).merge(
            self.programs[PROGRAM_COLUMNS], on="program_id", how="inner", suffixes=("", "_program")
        )

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
