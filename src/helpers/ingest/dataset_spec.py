"""A dataset's ``dataset.yml``: its regions, period, files and how to read them, loaded and checked.

Everything that can be checked without opening a data file is checked here, so that a typo in
``dataset.yml`` stops the run before any file is read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import DataContractError
from .contract import TABLES, Contract, TableSpec, load_contract


@dataclass(frozen=True)
class Region:
    """A region the dataset covers (a city, regency or district); ``id`` is what the tables use."""

    id: str
    name: str
    level: str = ""
    province: str = ""
    kemendagri_code: str = ""


FORMATS = ("auto", "csv", "xlsx", "google-forms", "kobo")
FILE_KEYS = (
    "path",
    "format",
    "sheet",
    "header_row",
    "encoding",
    "decimal",
    "date_order",
    "columns",
    "likert",
    "constants",
)


@dataclass(frozen=True)
class FileSpec:
    """Where (part of) a table comes from and how to read it (docs/real-data.md).

    ``columns`` maps an export's header (matched ignoring case, line breaks and repeated spaces)
    to a contract column; ``likert`` names the label set of a Likert column; ``constants`` fills a
    contract column the export does not have (e.g. ``program_id`` for a form made per programme).
    """

    table: str
    path: str
    format: str = "auto"  # auto | csv | xlsx | google-forms | kobo
    sheet: str | int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # export header -> contract column
    likert: dict[str, str] = field(default_factory=dict)  # contract column -> label set
    constants: dict[str, str] = field(default_factory=dict)  # contract column -> value for every row
    header_row: int = 1  # spreadsheet row holding the headers (rows above it are skipped)
    encoding: str | None = None  # None: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252
    decimal: str = "auto"  # auto | comma (id_ID: "67,5", "1.234.000") | point (en_US: "1,234.5")
    date_order: str = "dmy"  # how to read "05/03/2024": dmy (id_ID, the default) or mdy (en_US)


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset as ``dataset.yml`` describes it; ``root`` is the folder holding it and its files."""

    name: str
    root: Path
    title: str
    synthetic: bool
    seed: int | None
    period_start: str | None
    period_end: str | None
    regions: tuple[Region, ...]
    files: dict[str, tuple[FileSpec, ...]]  # table -> its files, read in order and stacked
    skm_unsur: dict[str, str]
    pseudonym_key: str | None
    likert: dict[str, str]
    planted_effects: tuple[dict, ...] = ()
    analysis: dict = field(default_factory=dict)  # overrides of helpers/analysis/settings.yml

    def region(self, region_id: str) -> Region:
        """The region with id ``region_id``; KeyError if the dataset does not declare it."""
        for r in self.regions:
            if r.id == region_id:
                return r
        raise KeyError(region_id)

    @property
    def region_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.regions)


def load_dataset_spec(dataset_dir: Path) -> DatasetSpec:
    """Read and check ``dataset.yml`` in ``dataset_dir``; raise DataContractError naming the fix.

    Everything that can be checked without opening a data file is checked here, so that a typo
    in ``dataset.yml`` stops the run before any file is read.
    """
    dataset_dir = Path(dataset_dir)
    path = dataset_dir / "dataset.yml"
    where = str(path)
    if not path.is_file():
        raise DataContractError(
            where, "dataset.yml", "no dataset.yml here: every dataset folder needs one (see docs/real-data.md)"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataContractError(where, "yaml", f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise DataContractError(where, "dataset.yml", "must be a mapping of keys (name, regions, files, ...)")
    for key in ("name", "regions", "files"):
        if key not in raw:
            raise DataContractError(where, "dataset.yml", f"missing key '{key}'")
    contract = load_contract()
    regions = _regions(raw["regions"], where)
    files = _files(raw["files"], where, contract)
    likert = {str(k): str(v) for k, v in (raw.get("likert") or {}).items()}
    for column, label_set in likert.items():
        _check_label_set(label_set, f"likert: {column}", where, contract)
    period = raw.get("period") or {}
    if not isinstance(period, dict):
        raise DataContractError(where, "period", "period needs 'start' and 'end' dates (YYYY-MM-DD)")
    start, end = (_iso_date(period.get(k), f"period: {k}", where) for k in ("start", "end"))
    if start and end and start > end:
        raise DataContractError(where, "period", f"period start {start} is after its end {end}")
    declared_key = raw.get("pseudonym_key")
    return DatasetSpec(
        name=str(raw["name"]),
        root=dataset_dir,
        title=str(raw.get("title", raw["name"])),
        synthetic=bool(raw.get("synthetic", False)),
        seed=raw.get("seed"),
        period_start=start,
        period_end=end,
        regions=regions,
        files=files,
        skm_unsur=_skm_unsur(raw.get("skm_unsur"), where),
        pseudonym_key=None if declared_key is None else str(declared_key),
        likert=likert,
        planted_effects=tuple(raw.get("planted_effects") or ()),
        analysis=_analysis(raw.get("analysis"), where),
    )


def _regions(raw, where: str) -> tuple[Region, ...]:
    if not isinstance(raw, list) or not raw:
        raise DataContractError(
            where, "regions", "regions is empty: list each region as {id, name, level, province, kemendagri_code}"
        )
    regions = []
    for i, r in enumerate(raw):
        if not isinstance(r, dict) or not r.get("id") or not r.get("name"):
            raise DataContractError(where, "regions", f"regions[{i}] needs at least 'id' and 'name'")
        regions.append(
            Region(
                str(r["id"]),
                str(r["name"]),
                str(r.get("level", "")),
                str(r.get("province", "")),
                str(r.get("kemendagri_code", "")),
            )
        )
    ids = [r.id for r in regions]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DataContractError(where, "regions", f"region id(s) {', '.join(dup)} declared twice")
    return tuple(regions)


def _files(raw, where: str, contract: Contract) -> dict[str, tuple[FileSpec, ...]]:
    if not isinstance(raw, dict) or not raw:
        raise DataContractError(where, "files", "files is empty: name one file per table, e.g. 'reaction: reaksi.csv'")
    files = {}
    for table, entries in raw.items():
        if table not in TABLES:
            raise DataContractError(where, "files", f"files: unknown table '{table}' (known: {', '.join(TABLES)})")
        entries = entries if isinstance(entries, list) else [entries]
        if not entries:
            raise DataContractError(where, "files", f"files: {table} lists no file")
        files[table] = tuple(_file_spec(table, e, where, contract.tables[table], contract) for e in entries)
        paths = [f.path for f in files[table]]
        if len(set(paths)) < len(paths):
            raise DataContractError(where, "files", f"files: {table} lists the same file twice")
    return files


def _file_spec(table: str, entry, where: str, tspec: TableSpec, contract: Contract) -> FileSpec:
    if isinstance(entry, str):
        entry = {"path": entry}
    if not isinstance(entry, dict) or not entry.get("path"):
        raise DataContractError(where, "files", f"files: {table} needs a 'path' (the file, relative to dataset.yml)")
    label = f"files: {table} ({entry['path']})"
    unknown = sorted(set(entry) - set(FILE_KEYS))
    if unknown:
        raise DataContractError(
            where, "files", f"{label}: unknown key(s) {', '.join(map(str, unknown))} (known: {', '.join(FILE_KEYS)})"
        )
    fmt = str(entry.get("format", "auto"))
    if fmt not in FORMATS:
        raise DataContractError(where, "format", f"{label}: unknown format '{fmt}' (use one of {', '.join(FORMATS)})")
    decimal = str(entry.get("decimal", "auto"))
    if decimal not in ("auto", "comma", "point"):
        raise DataContractError(where, "decimal", f"{label}: decimal must be auto, comma or point, not '{decimal}'")
    date_order = str(entry.get("date_order", "dmy"))
    if date_order not in ("dmy", "mdy"):
        raise DataContractError(where, "date_order", f"{label}: date_order must be dmy or mdy, not '{date_order}'")
    header_row = entry.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        raise DataContractError(where, "header_row", f"{label}: header_row must be a row number (1 or more)")
    columns = {str(k): str(v) for k, v in _mapping(entry, "columns", label, where).items()}
    for header, target in columns.items():
        if target not in tspec.columns:
            raise DataContractError(
                where,
                "mapping",
                f"{label}: columns maps '{header}' to '{target}', which is not a column of "
                f"table '{table}' (columns: {', '.join(tspec.columns)})",
            )
    likert = {str(k): str(v) for k, v in _mapping(entry, "likert", label, where).items()}
    for column, label_set in likert.items():
        col = tspec.columns.get(column)
        if col is None or col.type != "likert":
            likert_cols = [c for c, s in tspec.columns.items() if s.type == "likert"]
            raise DataContractError(
                where,
                "likert",
                f"{label}: likert names '{column}', which is not a Likert "
                f"column of '{table}' (Likert columns: {', '.join(likert_cols) or 'none'})",
            )
        _check_label_set(label_set, f"{label}: likert: {column}", where, contract)
    constants = {str(k): "" if v is None else str(v) for k, v in _mapping(entry, "constants", label, where).items()}
    for column in constants:
        if column not in tspec.columns:
            raise DataContractError(
                where, "constants", f"{label}: constants sets '{column}', which is not a column of table '{table}'"
            )
    sheet = entry.get("sheet")
    return FileSpec(
        table=table,
        path=str(entry["path"]),
        format=fmt,
        sheet=sheet if sheet is None or isinstance(sheet, int) else str(sheet),
        columns=columns,
        likert=likert,
        constants=constants,
        header_row=header_row,
        encoding=None if entry.get("encoding") is None else str(entry["encoding"]),
        decimal=decimal,
        date_order=date_order,
    )


def _mapping(entry: dict, key: str, label: str, where: str) -> dict:
    value = entry.get(key) or {}
    if not isinstance(value, dict):
        raise DataContractError(where, key, f"{label}: {key} must be a mapping ('header: column')")
    return value


def _check_label_set(label_set: str, label: str, where: str, contract: Contract) -> None:
    if label_set not in contract.likert_labels:
        raise DataContractError(
            where, "likert", f"{label}: unknown label set '{label_set}' (known: {', '.join(contract.likert_labels)})"
        )


def _iso_date(value, label: str, where: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise DataContractError(where, "period", f"{label} must be a date written YYYY-MM-DD, not {value!r}") from None


def _analysis(raw, where: str) -> dict:
    """The dataset's ``analysis:`` overrides of the analysis settings, kept as given.

    Their keys and values are checked against ``helpers.analysis.settings`` by the driver
    (``asn-eval check`` / ``ingest``), not here: ingest does not depend on the analysis stage.
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DataContractError(where, "analysis", "analysis must be a mapping of settings (see docs/architecture.md)")
    return dict(raw)


def _skm_unsur(raw, where: str) -> dict[str, str]:
    """The SKM questionnaire's u-codes and the unsur each stands for; one unsur under two codes
    would be counted twice in the IKM, so it stops the run."""
    mapping = {str(k): str(v) for k, v in (raw or {}).items()}
    seen: dict[str, str] = {}
    for code, name in mapping.items():
        key = re.sub(r"[^a-z0-9]", "", name.lower())
        if key in seen:
            raise DataContractError(
                where,
                "skm_unsur",
                f"skm_unsur: {seen[key]} and {code} both name the unsur "
                f"'{name}'; each unsur is counted once in the IKM (PermenPANRB 14/2017)",
            )
        seen[key] = code
    return mapping
