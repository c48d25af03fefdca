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

from . import paths
from .config import Contract, DatasetSpec, FileSpec, TableSpec, load_contract, load_dataset_spec
from .errors import DataContractError
from .privacy import pseudonymise, resolve_key, scrub_text
from .readers import read_table
from .validate import (SOURCE_FILE, SOURCE_ROW, ColumnParser, Problem, TableResult, check_columns,
                       check_rows, duplicate_problems, programme_date_problems, reference_problems)

PARTICIPANT_KEY = "participant_key"


@dataclass
class IngestResult:
    """Everything a run learned: per-table results, input hashes, the dataset description."""

    spec: DatasetSpec
    tables: dict[str, TableResult]
    input_hashes: dict[str, str]
    problems: list[Problem] = field(default_factory=list)

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

    Raises DataContractError for fatal problems (missing file or column, no key for real data);
    row-level problems are returned in the result with the rows quarantined.
    """
    dataset_dir = Path(dataset_dir)
    spec = load_dataset_spec(dataset_dir)
    contract = load_contract()
    key = resolve_key(spec.name, spec.synthetic, spec.pseudonym_key)
    results: dict[str, TableResult] = {}
    hashes: dict[str, str] = {}
    accepted: dict[str, pd.DataFrame] = {}
    for name in contract.order:
        fspec = spec.files.get(name)
        if fspec is None:
            continue
        path = dataset_dir / fspec.path
        if not path.is_file():
            raise DataContractError(str(path), "missing-file",
                                    f"dataset.yml lists this file for table '{name}' but it does not exist")
        hashes[fspec.path] = sha256_file(path)
        raw = read_table(path, fspec, contract.tables[name])
        results[name], accepted[name] = _check_table(contract.tables[name], raw, fspec, spec,
                                                     contract, key, accepted)
    problems = [p for r in results.values() for p in r.problems]
    return IngestResult(spec, results, hashes, problems)


def _check_table(table: TableSpec, raw: pd.DataFrame, fspec: FileSpec, spec: DatasetSpec,
                 contract: Contract, key: bytes, accepted: dict[str, pd.DataFrame]
                 ) -> tuple[TableResult, pd.DataFrame]:
    """Check one table; return its result and its accepted rows before pseudonymisation.

    ``accepted`` holds the latter for the tables checked so far, for reference checks; it lives
    only in memory for the length of the run.
    """
    file_label = fspec.path
    likert_sets = {**spec.likert, **fspec.likert}
    parser = ColumnParser(contract, spec, likert_sets)
    typed, problems = check_columns(table, raw, parser, file_label)
    rows = raw[SOURCE_ROW]
    problems += check_rows(table, typed, spec, file_label, rows)
    bad_rows = {p.row for p in problems}
    keep = ~rows.isin(bad_rows)
    problems += reference_problems(table, typed, accepted, file_label, rows, keep)
    if "programs" in accepted:
        problems += programme_date_problems(table, typed, accepted["programs"], file_label, rows, keep)
    keep = ~rows.isin({p.row for p in problems})
    problems += duplicate_problems(table, typed, file_label, rows, keep)
    keep = ~rows.isin({p.row for p in problems})

    good = typed[keep].copy()
    quarantined = _quarantine_frame(table, raw[~keep], problems, key)
    protected = _protect(table, good.copy(), key)
    return TableResult(table.name, len(raw), protected.reset_index(drop=True), quarantined, problems), good


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


def _quarantine_frame(table: TableSpec, raw_bad: pd.DataFrame, problems: list[Problem],
                      key: bytes) -> pd.DataFrame:
    """Rejected rows with their values as read, personal fields pseudonymised or dropped."""
    reasons: dict[int, list[str]] = {}
    for p in problems:
        reasons.setdefault(p.row, []).append(f"{p.column}: {p.message} [{p.rule}]")
    out = raw_bad.copy()
    for name, col in table.columns.items():
        if name in out.columns and col.type == "nip":
            out[PARTICIPANT_KEY] = out[name].map(lambda v: pseudonymise(v, key) if v else "")
            out = out.drop(columns=[name])
        elif name in out.columns and col.personal:
            out = out.drop(columns=[name])
        elif name in out.columns and col.type == "text":
            out[name] = out[name].map(lambda v: scrub_text(v) if isinstance(v, str) else v)
    # Columns outside the contract may hold anything (e-mail, phone): never copy them.
    keep = [c for c in out.columns if c in table.columns or c in (PARTICIPANT_KEY, SOURCE_FILE, SOURCE_ROW)]
    out = out[keep]
    out.insert(0, "reason", out[SOURCE_ROW].map(lambda r: "; ".join(reasons.get(int(r), []))))
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
        "planted_effects": list(spec.planted_effects),
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
        for name, tres in result.tables.items():
            tres.accepted.to_parquet(tmp / f"{name}.parquet", index=False)
            if len(tres.quarantined):
                tres.quarantined.to_csv(tmp / "quarantine" / f"{name}.csv", index=False, lineterminator="\n")
        (tmp / "manifest.json").write_text(json.dumps(manifest(result), indent=2, ensure_ascii=False,
                                                      default=str) + "\n", encoding="utf-8")
        _swap_in(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _swap_in(tmp: Path, dest: Path) -> None:
    """Replace ``dest`` by ``tmp``: two renames on one filesystem, the old copy removed last."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.replace(dest, old)
    os.replace(tmp, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def ingest(dataset_dir: Path, out_dir: Path | None = None) -> IngestResult:
    """Check a raw dataset and write its processed form; return the result for reporting."""
    result = run_checks(dataset_dir)
    write_processed(result, out_dir)
    return result
