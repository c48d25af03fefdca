"""Read a processed dataset (parquet tables + manifest) back for analysis.

The only reader of ``data/processed/``; it never writes. Ingest is the only writer. Tables lie
one parquet file per region (``helpers.partitions``) and are read when first used, so a
region's report reads only that region's rows (``load_processed(name, region=...)``) and a
national dataset is never loaded whole unless asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import partitions, paths
from .errors import UsageError
from .ingest.contract import TABLES


class LazyTables(Mapping):
    """Processed tables by name, each read from disk on first access and then kept.

    ``regions`` None reads every region's rows; otherwise only those regions' files.
    """

    def __init__(self, folder: Path, regions: tuple[str, ...] | None = None):
        self.folder = Path(folder)
        self.regions = regions
        self._names = [t for t in TABLES if partitions.is_table(self.folder / t)]
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._read:
            self._read[name] = partitions.read_table(self.folder / name, self.regions)
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def files(self, name: str) -> list[Path]:
        """The files a read of table ``name`` opens, schema first (for fingerprints)."""
        table_dir = self.folder / name
        regions = partitions.regions_of(table_dir) if self.regions is None else self.regions
        return [table_dir / partitions.SCHEMA_FILE] + [
            f for r in regions for f in partitions.region_files(table_dir, r)
        ]


class LazyQuarantine(Mapping):
    """Quarantined rows by table, read from ``quarantine/<table>.csv`` on first access."""

    def __init__(self, folder: Path):
        self._files = {p.stem: p for p in sorted((Path(folder) / "quarantine").glob("*.csv"))}
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._read:
            self._read[name] = pd.read_csv(self._files[name], dtype=str, keep_default_na=False)
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


@dataclass(frozen=True)
class ProcessedDataset:
    name: str
    manifest: dict
    tables: Mapping[str, pd.DataFrame]
    quarantine: Mapping[str, pd.DataFrame]

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic"))

    def columns_not_collected(self, table: str) -> tuple[str, ...]:
        """Columns of ``table`` the raw export did not have (manifest ``columns_not_collected``;
        an older manifest without that key: none). The processed table lacks them."""
        return tuple((self.manifest.get("columns_not_collected") or {}).get(table) or ())

    @property
    def regions(self) -> list[dict]:
        return list(self.manifest["regions"])

    def region(self, region_id: str) -> dict:
        for r in self.regions:
            if r["id"] == region_id:
                return r
        known = ", ".join(r["id"] for r in self.regions)
        raise UsageError(f"dataset '{self.name}' has no region '{region_id}' (regions: {known})")


def load_processed(dataset: str, root: Path | None = None, region: str | None = None) -> ProcessedDataset:
    """Load ``data/processed/<dataset>``; raise UsageError if it has not been ingested yet.

    With ``region``, the tables hold only that region's rows (what its report reads: see
    ``helpers.partitions``); the manifest is always the whole dataset's.
    """
    folder = Path(root) if root else paths.processed_dataset_dir(dataset)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise UsageError(
            f"no processed dataset '{dataset}' at {folder}: run `asn-eval ingest data/raw/{dataset}` first"
        )
    if any(folder.glob("*.parquet")):
        raise UsageError(
            f"the processed dataset at {folder} has the layout of an older version (one file per table): "
            f"run `asn-eval ingest data/raw/{dataset}` again"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    ds = ProcessedDataset(dataset, manifest, LazyTables(folder), LazyQuarantine(folder))
    if region is not None:
        ds.region(region)  # UsageError naming the known regions
        ds = ProcessedDataset(dataset, manifest, LazyTables(folder, (region,)), ds.quarantine)
    return ds


def list_processed() -> list[str]:
    """Names of the datasets that have been ingested."""
    root = paths.processed_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "manifest.json").is_file())
