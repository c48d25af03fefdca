"""Cross-region summary from the regions' saved ``metrics.json`` files, never by recomputing them.

Each region's mean learning gain enters with its programme-clustered standard error: participants
of one programme share a cohort and a test, so sd/sqrt(n) would overstate precision and
heterogeneity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import evaluation as ev
from ..errors import UsageError
from ..paths import DEFAULT_LANG, file_name
from .metrics import SCHEMA

POOLED_INDICATOR = "learning.mean_gain"


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
    folder: Path, region_ids: list[str], pooling: str = "pm", min_cell: int = 5, lang: str = DEFAULT_LANG
) -> CrossRegion:
    """Read every region's saved metrics in the summary's language (``<region>.en.metrics.json``
    in English) and pool the learning gain. A region rendered only in the default language is
    read from that file: the numbers are the same, only its labels are in the other language,
    and the summary words its table from the catalogue, not from those labels."""
    regions, missing = [], []
    for rid in region_ids:
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
    return CrossRegion(tuple(regions), tuple(missing), pooled, pooling, min_cell)
