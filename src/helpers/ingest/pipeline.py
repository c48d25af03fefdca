"""Raw dataset -> processed dataset: read, normalise, validate, pseudonymise, write atomically.

Raw files are opened read-only and never modified. The processed dataset is written to a
temporary folder next to its destination and swapped in only when complete, so a failed run
leaves the previous processed data untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import partitions, paths
from ..errors import DataContractError, DataContractErrors, SlipError
from .contract import Contract, TableSpec, load_contract
from .dataset_spec import DatasetSpec, FileSpec, load_dataset_spec
from .parsers import ColumnParser
from .privacy import pseudonymise, resolve_key, scrub_text
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
    read: dict[str, list[tuple[FileSpec, RawTable]]] = {}
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
            hashes[fspec.path] = sha256_file(path)
            read.setdefault(name, []).append((fspec, rt))
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
    DataContractErrors.raise_if_any(fatal)
    results: dict[str, TableResult] = {}
    accepted: dict[str, pd.DataFrame] = {}
    not_collected: dict[str, list[str]] = {}
    for name, raws in read.items():
        table = contract.tables[name]
        results[name], accepted[name] = _check_table(table, raws, spec, contract, key, accepted)
        missing = [c for c in table.columns if c not in results[name].accepted.columns and not _dropped(table, c)]
        if missing:
            not_collected[name] = missing
    problems = [p for r in results.values() for p in r.problems]
    return IngestResult(spec, results, hashes, problems, warnings, not_collected)


def _dropped(table: TableSpec, column: str) -> bool:
    """Columns that never reach the processed tables by design: personal data (NIP becomes the
    pseudonym ``participant_key``)."""
    return table.columns[column].personal


def _check_table(
    table: TableSpec,
    raws: list[tuple[FileSpec, RawTable]],
    spec: DatasetSpec,
    contract: Contract,
    key: bytes,
    accepted: dict[str, pd.DataFrame],
) -> tuple[TableResult, pd.DataFrame]:
    """Check one table (one or more files); return its result and its accepted rows before
    pseudonymisation.

    ``accepted`` holds the latter for the tables checked so far, for reference checks; it lives
    only in memory for the length of the run.
    """
    frames, typed_parts, problems = [], [], []
    offset = 0
    for fspec, rt in raws:
        frame = rt.frame.set_axis(pd.RangeIndex(offset, offset + len(rt.frame)))
        offset += len(frame)
        parser = ColumnParser.for_file(contract, spec, fspec)
        typed, found = check_columns(table, frame, parser, fspec.path)
        frames.append(frame)
        typed_parts.append(typed)
        problems += found
    raw = pd.concat(frames) if len(frames) > 1 else frames[0]
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
    source = raw[[SOURCE_FILE, SOURCE_ROW]]
    position = {(f, int(r)): i for i, f, r in zip(raw.index, raw[SOURCE_FILE], raw[SOURCE_ROW], strict=True)}

    def keep_mask() -> pd.Series:
        bad = {position[(p.file, p.row)] for p in problems}
        return pd.Series(~raw.index.isin(list(bad)), index=raw.index)

    problems += check_rows(table, typed, spec, source)
    keep = keep_mask()
    problems += reference_problems(table, typed, accepted, source, keep)
    if "programs" in accepted:
        problems += programme_date_problems(table, typed, accepted["programs"], source, keep)
    keep = keep_mask()
    problems += duplicate_problems(table, typed, source, keep)
    keep = keep_mask()
    file_order = {fspec.path: i for i, (fspec, _) in enumerate(raws)}
    problems.sort(key=lambda p: (file_order.get(p.file, 0), p.row))  # stable: rule order within a row

    good = typed[keep].copy()
    quarantined = _quarantine_frame(table, raw[~keep], problems, key)
    protected = _protect(table, good.copy(), key)
    blank = sum(rt.blank_rows for _, rt in raws)
    return (TableResult(table.name, len(raw), protected.reset_index(drop=True), quarantined, problems, blank), good)


def _protect(table: TableSpec, df: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Replace NIP by its keyed pseudonym, drop names and other personal columns, scrub text."""
    for name, col in table.columns.items():
        if name not in df.columns:
            continue
        if col.type == "nip":
            df[PARTICIPANT_KEY] = df[name].map(lambda v: pseudonymise(v, key)).astype("string")
            df = df.drop(columns=[name])
        elif col.personal:
            df = df.drop(columns=[name])
        elif col.type == "text":
            df[name] = df[name].map(lambda v: scrub_text(v) if isinstance(v, str) else v).astype("string")
    if PARTICIPANT_KEY in df.columns:
        df = df[[PARTICIPANT_KEY] + [c for c in df.columns if c != PARTICIPANT_KEY]]
    return df


def _quarantine_frame(table: TableSpec, raw_bad: pd.DataFrame, problems: list[Problem], key: bytes) -> pd.DataFrame:
    """Rejected rows with their values as read, personal data protected, and the reasons.

    The NIP becomes its pseudonym (so the row can be matched with the accepted tables), names
    and other personal columns are dropped, and every other value is scrubbed of e-mail
    addresses, phone numbers and NIP-like digit runs: a respondent may type them anywhere.
    """
    reasons: dict[tuple[str, int], list[str]] = {}
    for p in problems:
        reasons.setdefault((p.file, p.row), []).append(f"{p.column}: {p.message} [{p.rule}]")
    out = pd.DataFrame(index=raw_bad.index)
    out["reason"] = [
        "; ".join(reasons.get((f, int(r)), [])) for f, r in zip(raw_bad[SOURCE_FILE], raw_bad[SOURCE_ROW], strict=True)
    ]
    out[SOURCE_FILE] = raw_bad[SOURCE_FILE]
    out[SOURCE_ROW] = raw_bad[SOURCE_ROW].astype(int)
    for name, col in table.columns.items():
        if name not in raw_bad.columns:
            continue
        values = raw_bad[name].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
        if col.type == "nip":
            out.insert(3, PARTICIPANT_KEY, values.map(lambda v: pseudonymise(v, key) if v.strip() else ""))
        elif not col.personal:  # columns outside the contract never get here: the reader drops them
            out[name] = values.map(scrub_text)
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
