"""How a processed table lies on disk: one parquet file per region, so a report reads only its rows.

Layout of ``data/processed/<dataset>/<table>/``::

    _schema.parquet              no rows: the table's columns and types (pandas dtypes included)
    region=<id>/part-0.parquet   the rows of one region, in the order ingest accepted them

Which region a row belongs to is the region a report reads it for
(``helpers.analysis.region.RegionData``): its own ``region_id`` (programs, participants,
service, skm, qualitative) or, for the person-level tables keyed by programme (enrollments,
reaction, tests, followup), the region of its programme. A row with neither (a table keyed
by programme in a dataset without a programs table) goes to ``region=%none``, which no region
reads, as before: ids are percent-encoded in folder names (``%`` itself becomes ``%25``), so no
region id, ``_`` or ``%none`` included, names that folder, and any id is a safe name.

A table of a dataset that was collected but has no accepted rows is a folder with only its
``_schema.parquet``: empty, not missing. Parquet column statistics (min/max per row group)
are written by pyarrow as usual. Ingest (``helpers.ingest.pipeline``) is the only writer and
``helpers.store`` the only reader.

The files of a region are a pure function of that region's rows (pyarrow writes the same
bytes for the same table), so their SHA-256 is the data fingerprint of the region's
report (``helpers.render.build``): a row changed in one region re-renders only that region.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path
from urllib.parse import quote, unquote

import pandas as pd

SCHEMA_FILE = "_schema.parquet"
PART_FILE = "part-0.parquet"
PREFIX = "region="
NO_REGION_DIR = f"{PREFIX}%none"  # rows of no region: not a percent-encoding of any id


def partition_dir(table_dir: Path, region_id: str) -> Path:
    return Path(table_dir) / f"{PREFIX}{quote_id(region_id)}"


def quote_id(region_id: str) -> str:
    """A region id as a folder name: percent-encoded, so ``/``, ``..`` and ``%`` are safe."""
    return quote(region_id, safe="")


def row_regions(name: str, df: pd.DataFrame, program_regions: pd.Series | None) -> pd.Series:
    """The region each row of table ``name`` belongs to (see the module docstring).

    ``program_regions``: ``region_id`` indexed by ``program_id``, from the accepted programs.
    Missing (``<NA>``) for a row of no region.
    """
    if "region_id" in df.columns:  # programs, participants, service, skm, qualitative
        return df["region_id"].astype("string")
    if "program_id" in df.columns and program_regions is not None:
        return pd.Series(df["program_id"].map(program_regions), index=df.index, dtype="string")
    return pd.Series(pd.NA, index=df.index, dtype="string")


def program_regions(programs: pd.DataFrame | None) -> pd.Series | None:
    """``region_id`` by ``program_id`` of the accepted programs (None without a programs table)."""
    if programs is None or not {"program_id", "region_id"} <= set(programs.columns):
        return None
    return programs.drop_duplicates("program_id").set_index("program_id")["region_id"]


def write_table(folder: Path, name: str, df: pd.DataFrame, programs: pd.Series | None) -> Path:
    """Write table ``name`` into ``folder/name/``, one file per region; return the table folder.

    ``programs``: :func:`program_regions` of the accepted programs. The folder must not exist yet
    (ingest writes into a fresh temporary folder and swaps it in whole).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table_dir = Path(folder) / name
    table_dir.mkdir(parents=True)
    df = df.reset_index(drop=True)
    arrow = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(arrow.slice(0, 0), table_dir / SCHEMA_FILE)
    if not len(df):
        return table_dir
    regions = row_regions(name, df, programs)
    codes, uniques = pd.factorize(regions, sort=True)  # code -1: no region
    order = codes.argsort(kind="stable")  # rows of each region together, in their own order
    bounds = pd.Series(codes[order]).diff().fillna(1).to_numpy().nonzero()[0].tolist() + [len(order)]
    for start, stop in pairwise(bounds):
        code = codes[order[start]]
        part = table_dir / NO_REGION_DIR if code < 0 else partition_dir(table_dir, str(uniques[code]))
        part.mkdir()
        pq.write_table(arrow.take(pa.array(order[start:stop])), part / PART_FILE)
    return table_dir


def is_table(path: Path) -> bool:
    """Whether ``path`` is a processed table folder of this layout."""
    return (Path(path) / SCHEMA_FILE).is_file()


def regions_of(table_dir: Path) -> list[str]:
    """The region ids that have rows in a table, sorted by folder name."""
    folders = sorted(p for p in Path(table_dir).glob(f"{PREFIX}*") if p.is_dir() and p.name != NO_REGION_DIR)
    return [unquote(p.name[len(PREFIX) :]) for p in folders]


def region_files(table_dir: Path, region_id: str) -> list[Path]:
    """The parquet files of one region of a table (none when the region has no rows)."""
    return sorted(partition_dir(table_dir, region_id).glob("*.parquet"))


def read_table(table_dir: Path, regions: Iterable[str] | None = None) -> pd.DataFrame:
    """A processed table, whole (``regions`` None) or only the rows of the given regions.

    Files are read in region-folder order; the result always has the table's full schema, also
    when no region has rows.
    """
    table_dir = Path(table_dir)
    if regions is None:
        files = sorted(table_dir.glob(f"{PREFIX}*/*.parquet"))
    else:
        files = [f for r in dict.fromkeys(regions) for f in region_files(table_dir, r)]
    schema = pd.read_parquet(table_dir / SCHEMA_FILE)
    if not files:
        return schema
    parts = [pd.read_parquet(f) for f in files]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
