"""Raw dataset -> processed dataset: read, normalise, validate, pseudonymise, write atomically.

Raw files are opened read-only and never modified. The processed dataset is written to a
temporary folder next to its destination and swapped in only when complete, so a failed run
leaves the previous processed data untouched.

Memory: the raw text of one table at a time. Every file is read once to find every problem
that stops the run, and its text dropped; then each table is read again, checked and dropped
before the next (raw files are immutable; a file that changed in between stops the run). Of the
accepted rows, only the columns that later tables' checks need are kept for them (participants'
NIPs, programmes' ids and dates); the processed tables themselves stay in the result until they
are written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import partitions, paths
from ..errors import DataContractError, DataContractErrors, SlipError
from .contract import Contract, TableSpec, load_contract
from .dataset_spec import DatasetSpec, FileSpec, load_dataset_spec
from .parsers import ColumnParser
from .privacy import Pseudonyms, resolve_key, scrub_text
from .readers import SOURCE_FILE, SOURCE_ROW, RawTable, read_raw
from .rules import (
    Problem,
    TableResult,
    check_columns,
    check_rows,
    duplicate_problems,
    empty_column,
    programme_date_problems,
    reference_problems,
)
from .slips import Slip, find_slips

PARTICIPANT_KEY = "participant_key"


@dataclass
class IngestResult:
    """Everything a run learned: per-table results, input hashes, the dataset description."""

    spec: DatasetSpec
    tables: dict[str, TableResult]
    input_hashes: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[DataContractError] = field(default_factory=list)
    not_collected: dict[str, list[str]] = field(default_factory=dict)  # table -> columns not supplied

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return {name: r.counts for name, r in self.tables.items()}

    @property
    def clean(self) -> bool:
        return not self.problems


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def run_checks(dataset_dir: Path) -> IngestResult:
    """Read and validate every table of a raw dataset without writing anything.

    Fatal problems (a missing file or column, a mapping that matches nothing, no key for real
    data) are collected over every file of every table and raised together, so one run lists
    them all (DataContractError, or DataContractErrors for several). Row-level problems are
    returned in the result with the rows quarantined. Raw files are only ever opened for reading.
    """
    dataset_dir = Path(dataset_dir)
    spec = load_dataset_spec(dataset_dir)
    contract = load_contract()
    key = resolve_key(spec.name, spec.synthetic, spec.pseudonym_key, str(dataset_dir / "dataset.yml"))
    fatal: list[DataContractError] = []
    for name, fspecs in spec.files.items():  # all missing files before any reading
        for fspec in fspecs:
            if not (dataset_dir / fspec.path).is_file():
                fatal.append(
                    DataContractError(
                        str(dataset_dir / fspec.path),
                        "missing-file",
                        f"dataset.yml lists this file for table '{name}' but it does not exist: "
                        "fix the path under files: or add the file",
                    )
                )
    DataContractErrors.raise_if_any(fatal)
    hashes: dict[str, str] = {}
    read: dict[str, list[FileSpec]] = {}
    warnings: list[DataContractError] = []
    for name in contract.order:  # read every file first: every mapping problem in one pass
        for fspec in spec.files.get(name, ()):
            path = dataset_dir / fspec.path
            try:
                rt = read_raw(path, fspec, contract.tables[name])
            except DataContractErrors as exc:
                fatal += exc.errors
                continue
            except DataContractError as exc:
                fatal.append(exc)
                continue
            hashes[fspec.path] = rt.sha256
            read.setdefault(name, []).append(fspec)
            warnings += rt.warnings
            if rt.frame.empty:
                warnings.append(
                    DataContractError(
                        str(path),
                        "headers-only",
                        f"has headers but no data rows: table '{name}' will be empty; "
                        "export it again, or leave it out of files: if it was not collected",
                    )
                )
            del rt  # read again when its table is checked: one table's text in memory at a time
    DataContractErrors.raise_if_any(fatal)
    results: dict[str, TableResult] = {}
    accepted: dict[str, pd.DataFrame] = {}  # per table, the accepted rows' columns later checks need
    not_collected: dict[str, list[str]] = {}
    pseudonyms = Pseudonyms(key)
    needed = _needed_later(contract)
    for name, fspecs in read.items():
        table = contract.tables[name]
        raws = [(fspec, _read_again(dataset_dir, fspec, table, hashes[fspec.path])) for fspec in fspecs]
        results[name], good = _check_table(table, raws, spec, contract, pseudonyms, accepted)
        del raws
        accepted[name] = good[[c for c in needed.get(name, ()) if c in good.columns]]
        del good
        missing = [c for c in table.columns if c not in results[name].accepted.columns and not _dropped(table, c)]
        if missing:
            not_collected[name] = missing
    problems = [p for r in results.values() for p in r.problems]
    return IngestResult(spec, results, hashes, problems, warnings, not_collected)


def _read_again(dataset_dir: Path, fspec: FileSpec, table: TableSpec, sha256: str) -> RawTable:
    """Read a file for checking; it must still be what the first reading saw."""
    path = dataset_dir / fspec.path
    rt = read_raw(path, fspec, table)
    if rt.sha256 != sha256:
        raise DataContractError(
            str(path), "changed", "the file changed while ingest was reading it: raw files must not change; run again"
        )
    return rt


def _needed_later(contract: Contract) -> dict[str, tuple[str, ...]]:
    """Columns of accepted rows that the checks of other tables read: the targets of ``refs``
    and the programmes' dates (``programme_date_problems``)."""
    needed: dict[str, list[str]] = {"programs": ["program_id", "start_date", "end_date"]}
    for table in contract.tables.values():
        for target in table.refs.values():
            ttable, tcol = target.split(".")
            needed.setdefault(ttable, []).append(tcol)
    return {t: tuple(dict.fromkeys(cols)) for t, cols in needed.items()}


def _dropped(table: TableSpec, column: str) -> bool:
    """Columns that never reach the processed tables by design: personal data (NIP becomes the
    pseudonym ``participant_key``)."""
    return table.columns[column].personal


def _check_table(
    table: TableSpec,
    raws: list[tuple[FileSpec, RawTable]],
    spec: DatasetSpec,
    contract: Contract,
    pseudonyms: Pseudonyms,
    accepted: dict[str, pd.DataFrame],
) -> tuple[TableResult, pd.DataFrame]:
    """Check one table (one or more files); return its result and its accepted rows before
    pseudonymisation.

    ``accepted`` holds, for the tables checked so far, the columns of their accepted rows that
    reference checks need; it lives only in memory for the length of the run. Rows are labelled
    by their position across the table's files, in order.
    """
    typed_parts, problems = [], []
    offset = 0
    for fspec, rt in raws:
        frame = rt.frame.set_axis(pd.RangeIndex(offset, offset + len(rt.frame)))
        offset += len(frame)
        parser = ColumnParser.for_file(contract, spec, fspec)
        typed, found = check_columns(table, frame, parser, fspec.path)
        typed_parts.append(typed)
        problems += found
    present = [c for c in table.columns if any(c in t.columns for t in typed_parts)]
    typed = (
        pd.concat(
            [
                t.reindex(columns=present).assign(
                    **{c: empty_column(table.columns[c], t.index) for c in present if c not in t.columns}
                )
                for t in typed_parts
            ]
        )
        if len(typed_parts) > 1
        else typed_parts[0]
    )
    del typed_parts
    files = [fspec.path for fspec, _ in raws]
    sizes = [len(rt.frame) for _, rt in raws]
    starts = np.cumsum([0, *sizes])
    file_rows = {file: rt.frame[SOURCE_ROW].to_numpy(dtype=np.int64) for file, (_, rt) in zip(files, raws, strict=True)}
    source = pd.DataFrame(
        {
            SOURCE_FILE: pd.Categorical.from_codes(np.repeat(np.arange(len(files)), sizes), categories=files),
            SOURCE_ROW: np.concatenate(list(file_rows.values())),
        },
        index=typed.index,
    )
    first = dict(zip(files, starts[:-1].tolist(), strict=True))
    index = typed.index

    def keep_mask() -> pd.Series:
        """Rows without a problem so far; a problem names its row by file and row number, and row
        numbers ascend within a file."""
        keep = np.ones(offset, dtype=bool)
        rows: dict[str, list[int]] = {}
        for p in problems:
            rows.setdefault(p.file, []).append(p.row)
        for file, numbers in rows.items():
            keep[first[file] + np.searchsorted(file_rows[file], numbers)] = False
        return pd.Series(keep, index=index)

    problems += check_rows(table, typed, spec, source)
    keep = keep_mask()
    problems += reference_problems(table, typed, accepted, source, keep)
    if "programs" in accepted:
        problems += programme_date_problems(table, typed, accepted["programs"], source, keep)
    keep = keep_mask()
    problems += duplicate_problems(table, typed, source, keep)
    keep = keep_mask().to_numpy()
    file_order = {file: i for i, file in enumerate(files)}
    problems.sort(key=lambda p: (file_order.get(p.file, 0), p.row))  # stable: rule order within a row

    good = typed[keep]
    del typed, source
    bad = [rt.frame[~keep[a:b]] for (_, rt), a, b in zip(raws, starts[:-1], starts[1:], strict=True)]
    if any(len(b) for b in bad):
        quarantined = _quarantine_frame(table, pd.concat(bad) if len(bad) > 1 else bad[0], problems, pseudonyms)
    else:
        quarantined = _empty_quarantine(table, bad[0], [f for f, _ in raws])
    protected = _protect(table, good, pseudonyms)
    blank = sum(rt.blank_rows for _, rt in raws)
    return (TableResult(table.name, offset, protected.reset_index(drop=True), quarantined, problems, blank), good)


def _empty_quarantine(table: TableSpec, raw_bad: pd.DataFrame, fspecs: list[FileSpec]) -> pd.DataFrame:
    """A quarantine without rows, with the columns and dtypes it has always had: ``reason`` as
    float64, a column that every file sets under ``constants:`` as ``str``, the rest as object."""
    constant = set.intersection(*(set(f.constants) for f in fspecs))
    out = pd.DataFrame({"reason": pd.Series([], dtype="float64"), SOURCE_FILE: pd.Series([], dtype="str")})
    out[SOURCE_ROW] = pd.Series([], dtype="int64")
    for name, col in table.columns.items():
        if name in raw_bad.columns and (col.type == "nip" or not col.personal):
            column = PARTICIPANT_KEY if col.type == "nip" else name
            values = pd.Series([], dtype="str" if name in constant else object)
            if col.type == "nip":
                out.insert(3, column, values)
            else:
                out[column] = values
    return out


def _protect(table: TableSpec, df: pd.DataFrame, pseudonyms: Pseudonyms) -> pd.DataFrame:
    """Replace NIP by its keyed pseudonym, drop names and other personal columns, scrub text.

    Per distinct value, not per row: one HMAC per NIP not seen before in this run, one scrub
    per distinct text.
    """
    for name, col in table.columns.items():
        if name not in df.columns:
            continue
        if col.type == "nip":
            df = df.assign(**{PARTICIPANT_KEY: pseudonyms.of(df[name])}).drop(columns=[name])
        elif col.personal:
            df = df.drop(columns=[name])
        elif col.type == "text":
            df = df.assign(**{name: _map_distinct(df[name], scrub_text).astype("string")})
    if PARTICIPANT_KEY in df.columns:
        df = df[[PARTICIPANT_KEY] + [c for c in df.columns if c != PARTICIPANT_KEY]]
    return df


def _map_distinct(values: pd.Series, func) -> pd.Series:
    """``func`` applied to each non-missing value (once per distinct value); missing stays missing."""
    codes, uniques = pd.factorize(values)
    mapped = pd.array([func(v) for v in uniques] + [None], dtype=values.dtype)
    return pd.Series(mapped.take(codes), index=values.index)


def _quarantine_frame(
    table: TableSpec, raw_bad: pd.DataFrame, problems: list[Problem], pseudonyms: Pseudonyms
) -> pd.DataFrame:
    """Rejected rows with their values as read, personal data protected, and the reasons.

    The NIP becomes its pseudonym (so the row can be matched with the accepted tables), names
    and other personal columns are dropped, and every other value is scrubbed of e-mail
    addresses, phone numbers and NIP-like digit runs: a respondent may type them anywhere.
    """
    reasons: dict[tuple[str, int], list[str]] = {}
    for p in problems:
        reasons.setdefault((p.file, p.row), []).append(f"{p.column}: {p.message} [{p.rule}]")
    files, rows = raw_bad[SOURCE_FILE].astype("str"), raw_bad[SOURCE_ROW].astype(int)
    out = pd.DataFrame(index=raw_bad.index)
    out["reason"] = pd.array(
        ["; ".join(reasons.get((f, int(r)), [])) for f, r in zip(files, rows, strict=True)], dtype="str"
    )
    out[SOURCE_FILE] = files
    out[SOURCE_ROW] = rows
    for name, col in table.columns.items():
        if name not in raw_bad.columns:
            continue
        values = raw_bad[name].astype("str")  # cells as read (the reader fills no cell with a missing value)
        if col.type == "nip":
            out.insert(3, PARTICIPANT_KEY, _map_distinct(values, lambda v: pseudonyms.one(v) if v.strip() else ""))
        elif not col.personal:  # columns outside the contract never get here: the reader drops them
            out[name] = _map_distinct(values, scrub_text)
    return out.reset_index(drop=True)


def manifest(result: IngestResult) -> dict:
    """The manifest written beside the processed tables: provenance and row accounting."""
    spec = result.spec
    return {
        "dataset": spec.name,
        "title": spec.title,
        "synthetic": spec.synthetic,
        "seed": spec.seed,
        "period": {"start": spec.period_start, "end": spec.period_end},
        "regions": [r.__dict__ for r in spec.regions],
        "skm_unsur": spec.skm_unsur,
        "inputs": result.input_hashes,
        "tables": result.counts,
        "problems_by_rule": _problem_counts(result.problems),
        "blank_rows_skipped": {name: r.blank_rows for name, r in result.tables.items() if r.blank_rows},
        "tables_not_collected": [t for t in load_contract().order if t not in result.tables],
        "columns_not_collected": result.not_collected,
        "planted_effects": list(spec.planted_effects),
        "analysis": spec.analysis,
        "authoring_unit": spec.authoring_unit or None,
        "partner": spec.partner or None,
    }


def _problem_counts(problems: list[Problem]) -> list[dict]:
    counts: dict[tuple[str, str, str], int] = {}
    for p in problems:
        k = (p.table, p.column, p.rule)
        counts[k] = counts.get(k, 0) + 1
    return [{"table": t, "column": c, "rule": r, "rows": n} for (t, c, r), n in sorted(counts.items())]


def write_processed(result: IngestResult, out_dir: Path | None = None) -> Path:
    """Write parquet tables, quarantine CSVs and manifest.json; swap the folder in atomically."""
    dest = Path(out_dir) if out_dir else paths.processed_dataset_dir(result.spec.name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        (tmp / "quarantine").mkdir()
        programs = result.tables.get("programs")
        program_regions = partitions.program_regions(programs.accepted if programs is not None else None)
        for name, tres in result.tables.items():
            partitions.write_table(tmp, name, tres.accepted, program_regions)
            if len(tres.quarantined):
                tres.quarantined.to_csv(tmp / "quarantine" / f"{name}.csv", index=False, lineterminator="\n")
        (tmp / "manifest.json").write_text(
            json.dumps(manifest(result), indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
        _swap_in(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _swap_in(tmp: Path, dest: Path) -> None:
    """Replace ``dest`` by ``tmp``: two renames on one filesystem, the old copy removed last.

    If the second rename fails the old copy is put back, so ``dest`` is never left missing.
    """
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(dest, old)
    try:
        os.replace(tmp, dest)
    except BaseException:
        if old is not None:
            os.replace(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def slips(result: IngestResult) -> list[Slip]:
    """The likely slips behind this run's quarantine (see ``helpers.ingest.slips``)."""
    spec = result.spec
    return find_slips(result.tables, spec.region_ids, (spec.period_start, spec.period_end))


def ingest(dataset_dir: Path, out_dir: Path | None = None, accept_quarantine: bool = False) -> IngestResult:
    """Check a raw dataset and write its processed form; return the result for reporting.

    Raises SlipError, writing nothing, when the quarantine points at a slip in dataset.yml (an
    undeclared region id in many rows, a period that leaves out most rows, more than half of a
    table or every row of a region quarantined), unless ``accept_quarantine`` is true.
    """
    result = run_checks(dataset_dir)
    found = slips(result)
    if found and not accept_quarantine:
        raise SlipError(found)
    write_processed(result, out_dir)
    return result
