"""Configuration as data: the data contract (``contract.yml``) and a dataset's ``dataset.yml``.

Both are loaded and checked once here; the rest of the package receives plain objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import DataContractError
from .paths import PACKAGE_DIR

TABLES = ("programs", "participants", "enrollments", "reaction", "tests", "followup",
          "service", "skm", "qualitative")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()
    personal: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: dict[str, ColumnSpec]
    unique: tuple[str, ...] = ()
    latest: str | None = None
    refs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Contract:
    tables: dict[str, TableSpec]
    order: tuple[str, ...]
    likert_labels: dict[str, dict[str, int]]
    yesno: dict[str, str]
    settings: dict[str, Any]


@lru_cache(maxsize=1)
def load_contract() -> Contract:
    """Load ``contract.yml`` shipped with the package."""
    raw = yaml.safe_load((PACKAGE_DIR / "contract.yml").read_text(encoding="utf-8"))
    tables = {}
    for tname, t in raw["tables"].items():
        cols = {}
        for cname, c in t["columns"].items():
            cols[cname] = ColumnSpec(
                name=cname, type=c["type"], required=c.get("required", True),
                nullable=c.get("nullable", False), min=c.get("min"), max=c.get("max"),
                values=tuple(str(v) for v in c.get("values", ())), personal=c.get("personal", False))
        tables[tname] = TableSpec(tname, cols, tuple(t.get("unique", ())), t.get("latest"),
                                  dict(t.get("refs", {})))
    labels = {k: {str(lbl).strip().lower(): int(v) for lbl, v in m.items()}
              for k, m in raw["likert_labels"].items()}
    return Contract(tables, tuple(raw["order"]), labels, dict(raw["yesno"]), dict(raw["settings"]))


@dataclass(frozen=True)
class Region:
    id: str
    name: str
    level: str = ""
    province: str = ""
    kemendagri_code: str = ""


@dataclass(frozen=True)
class FileSpec:
    """Where a table comes from and how to read it (see README: mapping raw exports)."""

    table: str
    path: str
    format: str = "auto"  # auto | csv | xlsx | google-forms | kobo
    sheet: str | int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # export header -> contract column
    likert: dict[str, str] = field(default_factory=dict)  # contract column -> label set


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    root: Path
    title: str
    synthetic: bool
    seed: int | None
    period_start: str | None
    period_end: str | None
    regions: tuple[Region, ...]
    files: dict[str, FileSpec]
    skm_unsur: dict[str, str]
    pseudonym_key: str | None
    likert: dict[str, str]
    planted_effects: tuple[dict, ...] = ()

    def region(self, region_id: str) -> Region:
        for r in self.regions:
            if r.id == region_id:
                return r
        raise KeyError(region_id)

    @property
    def region_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.regions)


def load_dataset_spec(dataset_dir: Path) -> DatasetSpec:
    """Read and check ``dataset.yml`` in ``dataset_dir``; raise DataContractError naming the fix."""
    dataset_dir = Path(dataset_dir)
    path = dataset_dir / "dataset.yml"
    if not path.is_file():
        raise DataContractError(str(path), "dataset.yml",
                                "no dataset.yml here: every dataset folder needs one (see README, 'Adding a real dataset')")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataContractError(str(path), "yaml", f"not valid YAML: {exc}") from None
    for key in ("name", "regions", "files"):
        if key not in raw:
            raise DataContractError(str(path), "dataset.yml", f"missing key '{key}'")
    regions = []
    for i, r in enumerate(raw["regions"]):
        if not isinstance(r, dict) or "id" not in r or "name" not in r:
            raise DataContractError(str(path), "dataset.yml",
                                    f"regions[{i}] needs at least 'id' and 'name'")
        regions.append(Region(str(r["id"]), str(r["name"]), str(r.get("level", "")),
                              str(r.get("province", "")), str(r.get("kemendagri_code", ""))))
    files = {}
    for table, entry in raw["files"].items():
        if table not in TABLES:
            raise DataContractError(str(path), "dataset.yml",
                                    f"files: unknown table '{table}' (known: {', '.join(TABLES)})")
        if isinstance(entry, str):
            entry = {"path": entry}
        files[table] = FileSpec(table=table, path=str(entry["path"]), format=entry.get("format", "auto"),
                                sheet=entry.get("sheet"),
                                columns={str(k): str(v) for k, v in (entry.get("columns") or {}).items()},
                                likert={str(k): str(v) for k, v in (entry.get("likert") or {}).items()})
    period = raw.get("period") or {}
    return DatasetSpec(
        name=str(raw["name"]), root=dataset_dir, title=str(raw.get("title", raw["name"])),
        synthetic=bool(raw.get("synthetic", False)), seed=raw.get("seed"),
        period_start=str(period["start"]) if period.get("start") else None,
        period_end=str(period["end"]) if period.get("end") else None,
        regions=tuple(regions), files=files,
        skm_unsur={str(k): str(v) for k, v in (raw.get("skm_unsur") or {}).items()},
        pseudonym_key=raw.get("pseudonym_key"),
        likert={str(k): str(v) for k, v in (raw.get("likert") or {}).items()},
        planted_effects=tuple(raw.get("planted_effects") or ()),
    )
