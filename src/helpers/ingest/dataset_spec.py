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

from ..errors import DataContractError, DataContractErrors
from .contract import RECODABLE_TYPES, TABLES, ColumnSpec, Contract, TableSpec, label_key, load_contract


@dataclass(frozen=True)
class Region:
    """A region the dataset covers (a city, regency or district); ``id`` is what the tables use."""

    id: str
    name: str
    level: str = ""
    province: str = ""
    kemendagri_code: str = ""
    partner: str = ""  # the region's partner office, shown on its report's cover (else the dataset's)
    analysis: dict = field(default_factory=dict)  # this region's overrides of the analysis settings


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
    "values",
    "not_collected",
)


@dataclass(frozen=True)
class FileSpec:
    """Where (part of) a table comes from and how to read it (docs/real-data.md).

    ``columns`` maps an export's header (matched ignoring case, line breaks and repeated spaces;
    ``"Nilai#2"`` is the second column headed "Nilai") to a contract column; ``likert`` names the
    label set of a Likert column; ``constants`` fills a contract column the export does not have
    (e.g. ``program_id`` for a form made per programme); ``values`` recodes an export's labels to
    contract values (the dataset-wide ``values:`` of dataset.yml merged in, this file's winning);
    ``not_collected`` lists contract columns the export does not have, on purpose.
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
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {export label: contract value}
    not_collected: tuple[str, ...] = ()  # contract columns the export does not have, declared


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
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # dataset-wide recodes, as written
    authoring_unit: str = ""  # who wrote the reports (cover)
    partner: str = ""  # the government partner (cover), unless a region names its own

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
    in ``dataset.yml`` stops the run before any file is read. A file that is not YAML, or lacks
    ``name``, ``regions`` or ``files``, stops at once; the problems of the file entries, the
    ``values:`` recodes, the label sets and the period are collected and raised together
    (DataContractErrors when there are several), so that one run lists them all.
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
    errors: list[DataContractError] = []
    check = _Checker(where, contract, tuple(r.id for r in regions), errors)
    shared = check.dataset_values(raw.get("values"))
    files = check.files(raw["files"], shared)
    likert = {str(k): str(v) for k, v in (raw.get("likert") or {}).items()}
    for column, label_set in likert.items():
        check.label_set(label_set, f"likert: {column}")
    start, end = _period(raw.get("period"), where, errors)
    DataContractErrors.raise_if_any(errors)
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
        values={str(column): dict(labels) for column, labels in (raw.get("values") or {}).items()},
        authoring_unit=_text(raw.get("authoring_unit"), "authoring_unit", where),
        partner=_text(raw.get("partner"), "partner", where),
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
                _text(r.get("partner"), f"regions[{i}].partner", where),
                _analysis(r.get("analysis"), f"{where}: regions[{i}]"),
            )
        )
    ids = [r.id for r in regions]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DataContractError(where, "regions", f"region id(s) {', '.join(dup)} declared twice")
    return tuple(regions)


def _period(period, where: str, errors: list[DataContractError]) -> tuple[str | None, str | None]:
    period = period or {}
    if not isinstance(period, dict):
        errors.append(DataContractError(where, "period", "period needs 'start' and 'end' dates (YYYY-MM-DD)"))
        return None, None
    try:
        start, end = (_iso_date(period.get(k), f"period: {k}", where) for k in ("start", "end"))
    except DataContractError as exc:
        errors.append(exc)
        return None, None
    if start and end and start > end:
        errors.append(DataContractError(where, "period", f"period start {start} is after its end {end}"))
    return start, end


@dataclass
class _Checker:
    """Checks the parts of dataset.yml that name contract tables and columns, collecting every
    problem in ``errors`` instead of stopping at the first."""

    where: str
    contract: Contract
    region_ids: tuple[str, ...]
    errors: list[DataContractError]

    def fail(self, rule: str, message: str) -> None:
        self.errors.append(DataContractError(self.where, rule, message))

    # ------------------------------------------------------------ files

    def files(self, raw, shared: dict[str, dict[str, dict[str, str]]]) -> dict[str, tuple[FileSpec, ...]]:
        """``files:``; ``shared`` holds the dataset-wide ``values:`` recodes by table and column."""
        if not isinstance(raw, dict) or not raw:
            raise DataContractError(
                self.where, "files", "files is empty: name one file per table, e.g. 'reaction: reaksi.csv'"
            )
        files = {}
        for table, entries in raw.items():
            if table not in TABLES:
                self.fail("files", f"files: unknown table '{table}' (known: {', '.join(TABLES)})")
                continue
            entries = entries if isinstance(entries, list) else [entries]
            if not entries:
                self.fail("files", f"files: {table} lists no file")
                continue
            specs = [self.file_spec(table, e, shared.get(table, {})) for e in entries]
            files[table] = tuple(f for f in specs if f is not None)
            paths = [f.path for f in files[table]]
            if len(set(paths)) < len(paths):
                self.fail("files", f"files: {table} lists the same file twice")
        return files

    def file_spec(self, table: str, entry, shared: dict[str, dict[str, str]]) -> FileSpec | None:
        """One entry of ``files:``, or None when it has problems (collected in ``errors``)."""
        if isinstance(entry, str):
            entry = {"path": entry}
        if not isinstance(entry, dict) or not entry.get("path"):
            self.fail("files", f"files: {table} needs a 'path' (the file, relative to dataset.yml)")
            return None
        tspec = self.contract.tables[table]
        before = len(self.errors)
        sheet = entry.get("sheet")
        label = f"files: {table} ({entry['path']}" + ("" if sheet is None else f", sheet '{sheet}'") + ")"
        unknown = sorted(map(str, set(entry) - set(FILE_KEYS)))
        if unknown:
            self.fail("files", f"{label}: unknown key(s) {', '.join(unknown)} (known: {', '.join(FILE_KEYS)})")
        fmt = str(entry.get("format", "auto"))
        if fmt not in FORMATS:
            self.fail("format", f"{label}: unknown format '{fmt}' (use one of {', '.join(FORMATS)})")
        decimal = str(entry.get("decimal", "auto"))
        if decimal not in ("auto", "comma", "point"):
            self.fail("decimal", f"{label}: decimal must be auto, comma or point, not '{decimal}'")
        date_order = str(entry.get("date_order", "dmy"))
        if date_order not in ("dmy", "mdy"):
            self.fail("date_order", f"{label}: date_order must be dmy or mdy, not '{date_order}'")
        header_row = entry.get("header_row", 1)
        if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
            self.fail("header_row", f"{label}: header_row must be a row number (1 or more)")
        columns = self.columns(self.mapping(entry, "columns", label), label, tspec)
        likert = self.likert(self.mapping(entry, "likert", label), label, tspec)
        constants = {str(k): "" if v is None else str(v) for k, v in self.mapping(entry, "constants", label).items()}
        for column in constants:
            if column not in tspec.columns:
                self.fail("constants", f"{label}: constants sets '{column}', which is not a column of table '{table}'")
        values = self.file_values(self.mapping(entry, "values", label), label, tspec)
        not_collected = self.not_collected(entry.get("not_collected"), label, tspec, columns, constants)
        if len(self.errors) > before:
            return None
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
            values=_merge_values(shared, values),
            not_collected=not_collected,
        )

    def mapping(self, entry: dict, key: str, label: str) -> dict:
        value = entry.get(key) or {}
        if not isinstance(value, dict):
            example = {
                "columns": "'export header: contract column'",
                "likert": "'column: label set'",
                "constants": "'column: value'",
                "values": "'column: {export label: contract value}'",
            }[key]
            self.fail(key, f"{label}: {key} must be a mapping ({example})")
            return {}
        return value

    def columns(self, raw: dict, label: str, tspec: TableSpec) -> dict[str, str]:
        columns = {str(k): str(v) for k, v in raw.items()}
        for header, target in columns.items():
            if target not in tspec.columns:
                self.fail(
                    "mapping",
                    f"{label}: columns maps '{header}' to '{target}', which is not a column of "
                    f"table '{tspec.name}' (columns: {', '.join(tspec.columns)})",
                )
        return columns

    def likert(self, raw: dict, label: str, tspec: TableSpec) -> dict[str, str]:
        likert = {str(k): str(v) for k, v in raw.items()}
        for column, label_set in likert.items():
            col = tspec.columns.get(column)
            if col is None or col.type != "likert":
                likert_cols = [c for c, s in tspec.columns.items() if s.type == "likert"]
                self.fail(
                    "likert",
                    f"{label}: likert names '{column}', which is not a Likert "
                    f"column of '{tspec.name}' (Likert columns: {', '.join(likert_cols) or 'none'})",
                )
            else:
                self.label_set(label_set, f"{label}: likert: {column}")
        return likert

    def label_set(self, label_set: str, label: str) -> None:
        if label_set not in self.contract.likert_labels:
            known = ", ".join(self.contract.likert_labels)
            self.fail("likert", f"{label}: unknown label set '{label_set}' (known: {known})")

    def not_collected(
        self, raw, label: str, tspec: TableSpec, columns: dict[str, str], constants: dict[str, str]
    ) -> tuple[str, ...]:
        """``not_collected:``: optional contract columns the export does not have."""
        if raw is None:
            return ()
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            self.fail("not_collected", f"{label}: not_collected must be a list of columns, e.g. [incentive, jp]")
            return ()
        out = []
        for column in map(str, raw):
            col = tspec.columns.get(column)
            if col is None:
                self.fail(
                    "not_collected",
                    f"{label}: not_collected names '{column}', which is not a column of table "
                    f"'{tspec.name}' (columns: {', '.join(tspec.columns)})",
                )
            elif col.required:
                self.fail(
                    "not_collected",
                    f"{label}: not_collected names '{column}', but every analysis of table '{tspec.name}' "
                    f"needs it (a required column): map the export's header to it under columns:, or set "
                    "it under constants:",
                )
            elif column in columns.values() or column in constants:
                how = "maps a header to it under columns:" if column in columns.values() else "sets it under constants:"
                self.fail(
                    "not_collected",
                    f"{label}: not_collected names '{column}', but the entry also {how}; keep one of the two",
                )
            else:
                out.append(column)
        return tuple(dict.fromkeys(out))

    # ------------------------------------------------------------ values: recodes

    def file_values(self, raw: dict, label: str, tspec: TableSpec) -> dict[str, dict[str, str]]:
        """A file entry's ``values:``: ``column -> {export label: contract value}``."""
        out = {}
        for column, labels in raw.items():
            column = str(column)
            col = tspec.columns.get(column)
            if col is None:
                takes = [c for c, s in tspec.columns.items() if s.type in RECODABLE_TYPES]
                self.fail(
                    "values",
                    f"{label}: values recodes '{column}', which is not a column of table '{tspec.name}' "
                    f"(columns that take labels: {', '.join(takes) or 'none'})",
                )
            elif col.type not in RECODABLE_TYPES:
                self.fail("values", f"{label}: values: {column}: {_not_recodable(col)}")
            else:
                out[column] = self.recode(labels, f"{label}: values: {column}", col)
        return out

    def dataset_values(self, raw) -> dict[str, dict[str, dict[str, str]]]:
        """The dataset-wide ``values:``, by table and column: it applies to every file of every
        table with that column (where the column takes labels)."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.fail("values", "values must be a mapping ('column: {export label: contract value}')")
            return {}
        out: dict[str, dict[str, dict[str, str]]] = {}
        for column, labels in raw.items():
            column = str(column)
            cols = {t: spec.columns[column] for t, spec in self.contract.tables.items() if column in spec.columns}
            takes = {t: c for t, c in cols.items() if c.type in RECODABLE_TYPES}
            if not cols:
                self.fail("values", f"values recodes '{column}', which is not a column of any table")
            elif not takes:
                self.fail("values", f"values: {column}: {_not_recodable(next(iter(cols.values())))}")
            checked: dict[tuple, dict[str, str]] = {}  # one check per kind of column, not per table
            for table, col in takes.items():
                kind = (col.type, col.values)
                if kind not in checked:
                    where = f"values: {column}" + (
                        f" (table {table})" if len({(c.type, c.values) for c in takes.values()}) > 1 else ""
                    )
                    checked[kind] = self.recode(labels, where, col)
                out.setdefault(table, {})[column] = checked[kind]
        return out

    def recode(self, raw, label: str, col: ColumnSpec) -> dict[str, str]:
        """``{export label: contract value}`` of one column, targets checked and made canonical."""
        if not isinstance(raw, dict) or not raw:
            self.fail("values", f"{label}: give a mapping of the export's labels to contract values, e.g. {{Pria: L}}")
            return {}
        out: dict[str, str] = {}
        seen: dict[str, str] = {}
        for export_label, target in raw.items():
            if export_label is None or isinstance(export_label, bool) or not label_key(export_label):
                self.fail(
                    "values",
                    f"{label}: the label {export_label!r} is not a label as written in the export "
                    "(YAML reads yes, no, on, off and an empty key as something else): put it in quotes",
                )
                continue
            value = self.target(col, target)
            if value is None:
                self.fail(
                    "values",
                    f"{label}: '{export_label}' is recoded to {target!r}, which is not one of "
                    f"{_allowed(col, self.region_ids)}",
                )
                continue
            key = label_key(export_label)
            if seen.get(key, value) != value:
                self.fail(
                    "values",
                    f"{label}: '{export_label}' is listed twice (ignoring case, spaces, '_' and '-'), "
                    f"once as {seen[key]} and once as {value}",
                )
                continue
            seen[key] = value
            out[str(export_label)] = value
        return out

    def target(self, col: ColumnSpec, target) -> str | None:
        """The contract value a recode target names, or None if it names none."""
        if col.type == "yesno":
            if isinstance(target, bool):  # YAML reads an unquoted yes / no as a boolean
                return "yes" if target else "no"
            return {"yes": "yes", "no": "no"}.get(str(target).strip().lower())
        if col.type == "region":
            return str(target) if str(target) in self.region_ids else None
        canonical = {label_key(v): v for v in col.values}
        return canonical.get(label_key(target)) if target is not None else None


def _merge_values(shared: dict[str, dict[str, str]], own: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Dataset-wide recodes with a file's own on top: for the same label (folded), the file's wins."""
    merged = {}
    for column in dict.fromkeys([*shared, *own]):
        mine = own.get(column, {})
        keys = {label_key(k) for k in mine}
        merged[column] = {**{k: v for k, v in shared.get(column, {}).items() if label_key(k) not in keys}, **mine}
    return merged


def _not_recodable(col: ColumnSpec) -> str:
    hint = "; a Likert column takes a label set under likert:" if col.type == "likert" else ""
    return (
        f"a column of type {col.type}, whose values are not labels: values: recodes only columns "
        f"that take labels (one of a list, yes/no, region){hint}"
    )


def _allowed(col: ColumnSpec, region_ids: tuple[str, ...]) -> str:
    if col.type == "yesno":
        return "yes, no"
    if col.type == "region":
        return f"the region ids dataset.yml declares ({', '.join(region_ids)})"
    return ", ".join(col.values)


def _iso_date(value, label: str, where: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise DataContractError(where, "period", f"{label} must be a date written YYYY-MM-DD, not {value!r}") from None


def _text(raw, key: str, where: str) -> str:
    """An optional line of text for the cover (a name, not a number or a list)."""
    if raw is None:
        return ""
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise DataContractError(where, key, f"{key} must be a line of text, not {raw!r}")
    return str(raw).strip()


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
