"""Cross-region summary from the regions' saved ``metrics.json`` files, never by recomputing them.

Each region's mean learning gain enters with its programme-clustered standard error: participants
of one programme share a cohort and a test, so sd/sqrt(n) would overstate precision and
heterogeneity.

Everything here is linear in the number of regions (a national run has 500 and more): one file
read per region, one pass to pool, and the per-region frame (:func:`gain_by_region`) is built
with dictionary look-ups and one sort, never a search of the region list per region.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import evaluation as ev
from ..errors import UsageError
from ..paths import DEFAULT_LANG, file_name
from .metrics import SCHEMA

POOLED_INDICATOR = "learning.mean_gain"

#: Why a region does or does not enter the pooled learning gain, in the order the summary counts
#: them. ``pooled``: an estimate with a standard error; ``unpooled``: an estimate without one (a
#: single programme: no clustered standard error); ``too_few``, ``refused``, ``not_collected``: the
#: region's own status (suppressed, not estimated, data not collected); ``not_rendered``: no
#: metrics.json. Missing is never zero: each of these stays a status, never a 0.
GAIN_STATUSES = ("pooled", "unpooled", "too_few", "refused", "not_collected", "not_rendered")


@dataclass(frozen=True)
class RegionEntry:
    """A region as the dataset's manifest lists it: its id, display name and province (if given)."""

    region_id: str
    name: str
    province: str | None = None

    @classmethod
    def of(cls, region: str | Mapping) -> RegionEntry:
        """From a manifest region (``{"id", "name", "province", ...}``) or a bare id."""
        if isinstance(region, str):
            return cls(region, region)
        province = region.get("province")
        return cls(str(region["id"]), str(region.get("name") or region["id"]), str(province) if province else None)


@dataclass(frozen=True)
class RegionMetrics:
    """One region's saved headline indicators (a parsed metrics.json)."""

    region_id: str
    name: str
    synthetic: bool
    indicators: dict[str, dict]
    settings: dict

    def get(self, ind_id: str) -> dict | None:
        ind = self.indicators.get(ind_id)
        return ind if ind and ind.get("status") == "ok" and ind.get("estimate") is not None else None

    def status(self, ind_id: str) -> str:
        """The status of an indicator, or of a per-unit family (``results.ikm``): ``ok`` if any
        member is shown; else the family's status-only record; an id the file lacks was not
        collected (files written before the family records existed)."""
        members = [i for k, i in self.indicators.items() if k == ind_id or k.startswith(ind_id + ".")]
        if any(i.get("status") == "ok" for i in members):
            return "ok"
        if ind_id in self.indicators:
            return self.indicators[ind_id].get("status", "not_collected")
        return members[0].get("status", "not_collected") if members else "not_collected"


def read_metrics(path: Path) -> RegionMetrics:
    """Parse a region's metrics.json; refuse a file of another schema."""
    payload = json.loads(Path(path).read_text(encoding="utf-8"))
    if payload.get("schema") != SCHEMA:
        raise UsageError(
            f"{path}: metrics schema {payload.get('schema')!r}, expected {SCHEMA!r}: "
            "render the region again with this version"
        )
    return RegionMetrics(
        payload["region_id"],
        payload["region"],
        bool(payload["synthetic"]),
        {i["id"]: i for i in payload["indicators"]},
        payload.get("settings", {}),
    )


@dataclass(frozen=True)
class CrossRegion:
    """What the cross-region summary shows: each region's headlines and the pooled learning gain."""

    regions: tuple[RegionMetrics, ...]
    missing: tuple[str, ...]  # region ids with no rendered metrics
    pooled: ev.PooledEffect | None
    pooling_method: str
    min_cell: int
    #: Every region of the dataset, in the manifest's order, rendered or not.
    listed: tuple[RegionEntry, ...] = field(default=())

    @property
    def poolable(self) -> tuple[str, ...]:
        """Ids of the regions whose learning gain can be pooled (an estimate with a standard error)."""
        return tuple(r.region_id for r in self.regions if (ind := r.get(POOLED_INDICATOR)) and ind.get("se"))

    def not_collected_everywhere(self, ids) -> list[str]:
        """Those of ``ids`` that no region collected (none when no region was rendered)."""
        if not self.regions:
            return []
        return [i for i in ids if all(r.status(i) == "not_collected" for r in self.regions)]


def cross_region(
    folder: Path,
    region_ids: Sequence[str | Mapping],
    pooling: str = "pm",
    min_cell: int = 5,
    lang: str = DEFAULT_LANG,
) -> CrossRegion:
    """Read every region's saved metrics in the summary's language (``<region>.en.metrics.json``
    in English) and pool the learning gain. A region rendered only in the default language is
    read from that file: the numbers are the same, only its labels are in the other language,
    and the summary words its table from the catalogue, not from those labels.

    ``region_ids`` are the dataset's region ids, or its manifest regions (``ds.regions``): then
    the summary also knows each region's province and the name of a region not yet rendered.
    """
    listed = tuple(RegionEntry.of(r) for r in region_ids)
    regions, missing = [], []
    for rid in (e.region_id for e in listed):
        for name in dict.fromkeys((file_name(rid, "metrics.json", lang), file_name(rid, "metrics.json"))):
            if (Path(folder) / name).is_file():
                regions.append(read_metrics(Path(folder) / name))
                break
        else:
            missing.append(rid)
    usable = [(r, r.get(POOLED_INDICATOR)) for r in regions]
    usable = [(r, ind) for r, ind in usable if ind is not None and ind.get("se")]
    pooled = None
    if len(usable) >= 2:
        pooled = ev.pool_effects(
            [ind["estimate"] for _, ind in usable],
            [ind["se"] ** 2 for _, ind in usable],
            labels=[r.name for r, _ in usable],
            method=pooling,
        )
    return CrossRegion(tuple(regions), tuple(missing), pooled, pooling, min_cell, listed)


def _finite(value) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


def gain_by_region(cross: CrossRegion) -> pd.DataFrame:
    """One row per region of the dataset: its learning gain, the status that stands in for a
    missing one, and its place in the pooling.

    Columns: ``region_id``, ``name``, ``province`` (None when the manifest gives none),
    ``status`` (one of :data:`GAIN_STATUSES`), ``estimate``, ``ci_low``, ``ci_high`` (the interval
    the region's own report gives: a t interval on its programme-clustered degrees of freedom),
    ``se``, ``weight`` (the random-effects weight as a share; NaN when not pooled) and ``rank``
    (1 = highest pooled gain; NaN when not pooled).

    Order: pooled regions by estimate, highest first (ties by name, then id), then the others
    by status in :data:`GAIN_STATUSES` order and name. Regions the manifest does not list but
    whose metrics were read (a caller that passed bare ids) are included all the same.
    """
    entries = {e.region_id: e for e in cross.listed}
    read = {r.region_id: r for r in cross.regions}
    order = list(entries) + [rid for rid in read if rid not in entries]
    weights = {}
    if cross.pooled is not None:
        # pool_effects keeps the order of the poolable regions: row i of ``studies`` is poolable[i].
        weights = dict(zip(cross.poolable, cross.pooled.studies["weight"].astype(float), strict=True))
    rows = []
    for rid in order:
        entry, region = entries.get(rid), read.get(rid)
        name = region.name if region is not None else entry.name
        row = {"region_id": rid, "name": name, "province": entry.province if entry else None}
        ind = region.indicators.get(POOLED_INDICATOR) if region is not None else None
        if region is None:
            status = "not_rendered"
        elif ind is None or ind.get("status", "not_collected") != "ok" or ind.get("estimate") is None:
            status = (ind or {}).get("status", "not_collected")
            status = status if status in GAIN_STATUSES else "refused"
        else:
            status = "pooled" if rid in weights else "unpooled"
        shown = ind if status in ("pooled", "unpooled") else {}
        for key in ("estimate", "ci_low", "ci_high", "se"):
            row[key] = _finite(shown.get(key))
        row["status"] = status
        row["weight"] = weights.get(rid, math.nan)
        rows.append(row)
    columns = ["region_id", "name", "province", "status", "estimate", "ci_low", "ci_high", "se", "weight"]
    frame = pd.DataFrame(rows, columns=columns)
    frame[["estimate", "ci_low", "ci_high", "se", "weight"]] = frame[
        ["estimate", "ci_low", "ci_high", "se", "weight"]
    ].astype(float)
    pooled = frame["status"] == "pooled"
    frame["_group"] = frame["status"].map({s: i for i, s in enumerate(GAIN_STATUSES)})
    frame["_key"] = -frame["estimate"].where(pooled, 0.0)
    frame["_name"] = frame["name"].str.casefold()
    frame = frame.sort_values(["_group", "_key", "_name", "region_id"], kind="mergesort").reset_index(drop=True)
    frame["rank"] = float("nan")
    frame.loc[frame["status"] == "pooled", "rank"] = range(1, int((frame["status"] == "pooled").sum()) + 1)
    return frame.drop(columns=["_group", "_key", "_name"])
