"""Read a processed dataset (parquet tables + manifest) back for analysis.

The only reader of ``data/processed/``; it never writes. Ingest is the only writer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import paths
from .errors import UsageError
from .ingest.contract import TABLES


@dataclass(frozen=True)
class ProcessedDataset:
    name: str
    manifest: dict
    tables: dict[str, pd.DataFrame]
    quarantine: dict[str, pd.DataFrame]

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


def load_processed(dataset: str, root: Path | None = None) -> ProcessedDataset:
    """Load ``data/processed/<dataset>``; raise UsageError if it has not been ingested yet."""
    folder = Path(root) if root else paths.processed_dataset_dir(dataset)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise UsageError(
            f"no processed dataset '{dataset}' at {folder}: run `asn-eval ingest data/raw/{dataset}` first"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    tables = {t: pd.read_parquet(folder / f"{t}.parquet") for t in TABLES if (folder / f"{t}.parquet").is_file()}
    quarantine = {
        p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted((folder / "quarantine").glob("*.csv"))
    }
    return ProcessedDataset(dataset, manifest, tables, quarantine)


def list_processed() -> list[str]:
    """Names of the datasets that have been ingested."""
    root = paths.processed_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "manifest.json").is_file())
