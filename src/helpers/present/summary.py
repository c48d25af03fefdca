"""The cross-region summary in the report's language, from the regions' saved indicators.

Built to stay readable from the 4 regions of the sample to a national run of 500 and more:

* the forest plot is sorted by the regions' gain (highest first) and split into pages of
  ``PAGE_SIZE`` regions (:func:`forest_pages`), each with the pooled estimate as a diamond and as a
  reference line and band, all on one x-axis; the regions that are not in it are listed with
  their status (:func:`unshown_table`), never dropped in silence;
* the headline table is ordered by province, then region name, and cut into pages that keep a
  province together where it fits (:func:`region_table_pages`);
* beyond one page of regions, an overview comes first (:func:`has_overview`): how many regions
  have each status (:func:`status_table`), the distribution of their gains
  (``figures.distribution`` on :func:`distribution_values`) and the highest and lowest regions
  with their intervals (:func:`extremes_table`).

With the sample's 4 regions there is one page of each and no overview. Every function is linear
in the number of regions (one pass, dictionary look-ups and one sort).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..analysis.cross_region import GAIN_STATUSES, POOLED_INDICATOR, CrossRegion, RegionEntry, gain_by_region
from .headlines import indicator_value
from .text import Text

#: Regions per page of the forest plot and of the headline table.
PAGE_SIZE = 40
#: Up to this many regions the summary names them all (subtitle, banner) and says that its
#: HKSJ interval is used because the regions are few.
FEW_REGIONS = 10
#: Regions listed at each end of the overview's highest/lowest table.
EXTREMES = 5
_Z95 = 1.959963984540054  # the normal 97.5% quantile, as pool_effects' per-study intervals

#: Summary-table columns after the region name: (header message, indicator id).
COLUMNS = (
    ("metrics.profile.participants", "profile.participants"),
    ("metrics.participation.completion_rate", "participation.completion_rate"),
    ("metrics.reaction.overall_mean", "reaction.overall_mean"),
    ("metrics.learning.mean_gain", "learning.mean_gain"),
    ("metrics.participation.jp_share", "participation.jp_share"),
)
POOLING_NAMES = {"pm": "Paule-Mandel", "dl": "DerSimonian-Laird", "reml": "REML"}


def regions_phrase(names: Sequence[str], t: Text | None = None, provinces: int = 0) -> str:
    """The regions a page is about: their names up to ``FEW_REGIONS`` of them, else their number
    ("512 wilayah di 38 provinsi"); a banner or subtitle of 500 names would bury the page."""
    names = list(names)
    if t is None or len(names) <= FEW_REGIONS:
        return ", ".join(names)
    if provinces:
        return t("cross.regions_many_provinces", n=t.integer(len(names)), provinces=t.integer(provinces))
    return t("cross.regions_many", n=t.integer(len(names)))


def subtitle(cross: CrossRegion, t: Text | None = None) -> str:
    """The rendered regions by name; with ``t`` and more than ``FEW_REGIONS``, their number."""
    provinces = {e.province for e in cross.listed if e.province} if cross.listed else set()
    return regions_phrase([r.name for r in cross.regions], t, len(provinces))


def _listed(cross: CrossRegion) -> tuple[RegionEntry, ...]:
    return cross.listed or tuple(RegionEntry(r.region_id, r.name) for r in cross.regions)


def has_overview(cross: CrossRegion, page_size: int = PAGE_SIZE) -> bool:
    """Whether the summary opens with an overview: when its regions do not fit on one page."""
    return len(_listed(cross)) > page_size


IKM = "results.ikm"


def _header(message: str, ind: dict | None, t: Text) -> str:
    return t(message, target=t.integer(((ind or {}).get("extra") or {}).get("target_jp") or 20))


def _province_of(cross: CrossRegion) -> dict[str, str | None]:
    return {e.region_id: e.province for e in cross.listed}


def _table_order(cross: CrossRegion) -> list:
    """The rendered regions ordered by province (regions without one last), then name, then id."""
    province = _province_of(cross)
    return sorted(
        cross.regions,
        key=lambda r: (
            province.get(r.region_id) is None,
            (province.get(r.region_id) or "").casefold(),
            r.name.casefold(),
            r.region_id,
        ),
    )


def region_table(cross: CrossRegion, t: Text) -> pd.DataFrame | None:
    """One row per region: headline numbers with their CI, or the status that stands in for them.

    Rows are ordered by province, then region name (regions without a province last); the
    province is a column when the manifest gives one. The frame's ``attrs["caption"]`` names the
    numbers no region collected (``helpers.present.notebook.table`` prints it under the table).
    """
    return _region_frame(cross, t)[0]


def _region_frame(cross: CrossRegion, t: Text) -> tuple[pd.DataFrame | None, list[str | None]]:
    """:func:`region_table` and each of its rows' province (None where the manifest gives none)."""
    if not cross.regions:
        return None, []
    province = _province_of(cross)
    with_province = any(province.values())
    rows, provinces = [], []
    for r in _table_order(cross):
        row = {t.column("region"): r.name}
        provinces.append(province.get(r.region_id))
        if with_province:
            row[t.column("province")] = province.get(r.region_id) or "–"
        for message, ind_id in COLUMNS:
            ind = r.indicators.get(ind_id) or {"id": ind_id, "status": "not_collected", "estimate": None}
            row[_header(message, ind, t)] = indicator_value(ind, t)
        row["IKM"] = _ikm_cell(r, t)
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["title"] = t("table_titles.cross.regions")
    note = not_collected_note(cross, t)
    if note:
        table.attrs["caption"] = note
    return table, provinces


def _pack(groups: list[tuple[str | None, list[int]]], page_size: int) -> list[list[int]]:
    """Row numbers per page: whole groups while they fit; a group larger than a page starts a
    page and runs over as many as it needs (one pass: linear)."""
    pages, current = [], []
    for _, rows in groups:
        if current and len(current) + len(rows) > page_size:
            pages.append(current)
            current = []
        while len(rows) > page_size:
            pages.append(rows[:page_size])
            rows = rows[page_size:]
        current.extend(rows)
    if current:
        pages.append(current)
    return pages


def region_table_pages(cross: CrossRegion, t: Text, page_size: int = PAGE_SIZE) -> list[pd.DataFrame]:
    """The headline table (:func:`region_table`) cut into pages of at most ``page_size`` rows.

    A province stays on one page where it fits (a larger one starts a page and runs over the
    next ones); each page's title names its page number and the provinces (or, without
    provinces, the regions) it spans. One page keeps the table's own title. The note on numbers
    no region collected goes under the first page. No region rendered: no page.
    """
    table, provinces = _region_frame(cross, t)
    if table is None:
        return []
    groups: dict[str | None, list[int]] = {}
    for i, prov in enumerate(provinces):
        groups.setdefault(prov if prov else None, []).append(i)  # rows are already in province order
    pages = _pack(list(groups.items()), page_size)
    out = []
    names = table[t.column("region")].tolist()
    for number, rows in enumerate(pages, start=1):
        page = table.iloc[rows].reset_index(drop=True)
        page.attrs = {}
        if len(pages) > 1:
            ends = [provinces[rows[0]], provinces[rows[-1]]] if any(provinces) else [names[rows[0]], names[rows[-1]]]
            ends = [e or "–" for e in ends]
            span = ends[0] if ends[0] == ends[1] else f"{ends[0]} – {ends[1]}"
            page.attrs["title"] = t(
                "table_titles.cross.regions_page", page=t.integer(number), pages=t.integer(len(pages)), span=span
            )
        else:
            page.attrs["title"] = table.attrs["title"]
        if number == 1 and table.attrs.get("caption"):
            page.attrs["caption"] = table.attrs["caption"]
        out.append(page)
    return out


def _ikm_cell(r, t: Text) -> str:
    shown = [i for i in r.indicators.values() if i["id"].startswith(IKM + ".") and i["status"] == "ok"]
    if shown:
        return "; ".join(
            f"{i['extra']['unit']}: {t.num(i['estimate'])} — {t.grade(i['extra']['category'])}" for i in shown
        )
    return t(f"metrics.status.{r.status(IKM)}")


def not_collected_note(cross: CrossRegion, t: Text) -> str | None:
    """The sentence naming the summary's numbers that no region collected, or None."""
    ids = [i for _, i in COLUMNS] + [IKM]
    gone = cross.not_collected_everywhere(ids)
    if not gone:
        return None
    labels = {ind_id: _header(message, None, t) for message, ind_id in COLUMNS} | {IKM: "IKM"}
    return t("cross_missing.not_collected_anywhere", indicators=t.join(labels[i] for i in gone))


def _few(p) -> bool:
    return p.k <= FEW_REGIONS


def pooled_paragraphs(cross: CrossRegion, t: Text) -> list[str]:
    out = []
    if cross.missing:
        out.append(t("cross_missing.not_rendered", regions=", ".join(cross.missing)))
    p = cross.pooled
    if p is None:
        out.append(t("cross_missing.none_pooled"))
        if cross.not_collected_everywhere(["learning.mean_gain"]):
            out.append(t("cross_missing.not_collected_anywhere", indicators=t("metrics.learning.mean_gain")))
        return out
    out.append(
        t(
            "cross.pooled" if _few(p) else "cross.pooled_many",
            method=t(
                "cross.method" if _few(p) else "cross.method_many",
                tau=POOLING_NAMES[cross.pooling_method],
                df=t.integer(p.df),
            )
            if p.df
            else POOLING_NAMES[cross.pooling_method],
            est=t.num(p.estimate),
            ci=t.ci(p.ci_low, p.ci_high),
            i2=t.pct(p.i2) if p.i2 is not None and math.isfinite(p.i2) else "–",
            tau2=t.num(p.tau2),
            k=p.k,
        )
    )
    return out


def pooled_table(cross: CrossRegion, t: Text) -> pd.DataFrame | None:
    p = cross.pooled
    if p is None:
        return None
    table = pd.DataFrame(
        [
            {
                "k": int(p.k),
                "estimate": p.estimate,
                "ci_low": p.ci_low,
                "ci_high": p.ci_high,
                "tau2": p.tau2,
                "I² (%)": 100 * p.i2,
                "Q": p.q,
                "p (Q)": t.p(p.q_p),
            }
        ]
    )
    table = table.rename(columns={c: t.column(c) for c in table.columns})
    table.attrs["title"] = t("table_titles.cross.pooled")
    return table


def forest_rows(cross: CrossRegion, t: Text) -> tuple[pd.DataFrame, dict]:
    """The forest plot's per-region rows and its pooled diamond.

    Each region is drawn with the interval its own report gives (a t interval on the
    programme-clustered degrees of freedom, from its metrics.json), not estimate ± 1,96 SE: with
    a handful of programmes per region the normal interval would look far surer than the
    region's report, and could exclude zero where the report's interval does not. Rows are in
    pooling order (the regions' order), matched to the regions by id, not by name: two regions
    of a national run may share a name.
    """
    p = cross.pooled
    studies = p.studies.copy()
    read = {r.region_id: r for r in cross.regions}
    studies["region_id"] = list(cross.poolable)
    for end in ("ci_low", "ci_high"):
        own = [(read[rid].get(POOLED_INDICATOR) or {}).get(end) for rid in studies["region_id"]]
        studies[end] = [v if v is not None else old for v, old in zip(own, studies[end], strict=True)]
    return studies, _pooled_row(cross, t)


def _pooled_row(cross: CrossRegion, t: Text) -> dict:
    p = cross.pooled
    return {"estimate": p.estimate, "ci_low": p.ci_low, "ci_high": p.ci_high, "label": t("cross.pooled_label")}


@dataclass(frozen=True)
class ForestPage:
    """One page of the forest plot: what ``figures.forest`` draws and the caption under it.

    ``rows`` has ``region_id``, ``label``, ``effect``, ``ci_low``, ``ci_high`` and ``rank``
    (1 = highest gain), in rank order; ``pooled`` is the diamond and reference band of every page;
    ``xlim`` is the x-axis and ``row_height`` the row spacing (inches) all pages share.
    """

    number: int
    pages: int
    rows: pd.DataFrame
    pooled: dict
    xlim: tuple[float, float]
    caption: str
    row_height: float = 0.5


def _pooled_gains(cross: CrossRegion) -> pd.DataFrame:
    """The pooled regions in rank order, each with the interval its own report gives (or, if its
    metrics.json has none, the normal interval the pooling used) and a label that is unique."""
    gains = gain_by_region(cross)
    rows = gains[gains["status"] == "pooled"].reset_index(drop=True)
    rows["ci_low"] = rows["ci_low"].fillna(rows["estimate"] - _Z95 * rows["se"])
    rows["ci_high"] = rows["ci_high"].fillna(rows["estimate"] + _Z95 * rows["se"])
    twice = {name for name, n in Counter(gains["name"]).items() if n > 1}
    rows["label"] = [
        f"{name} ({prov or rid})" if name in twice else name
        for name, prov, rid in zip(rows["name"], rows["province"], rows["region_id"], strict=True)
    ]
    return rows


def forest_xlim(rows: pd.DataFrame, pooled: dict) -> tuple[float, float]:
    """One x-axis for every page: all intervals, the pooled interval and zero, with a margin."""
    lo = min(float(rows["ci_low"].min()) if len(rows) else 0.0, pooled["ci_low"], 0.0)
    hi = max(float(rows["ci_high"].max()) if len(rows) else 0.0, pooled["ci_high"], 0.0)
    pad = 0.04 * (hi - lo) if hi > lo else 1.0
    return (lo - pad, hi + pad)


def forest_pages(cross: CrossRegion, t: Text, page_size: int = PAGE_SIZE) -> list[ForestPage]:
    """The forest plot in pages of at most ``page_size`` regions, sorted by gain (highest first,
    ties by name), each page with the pooled diamond and reference band, all on one x-axis.

    Empty when the gain was not pooled. ``ceil(k / page_size)`` pages for ``k`` pooled regions;
    every pooled region appears on exactly one page. The caption numbers the page and the ranks
    it holds, and says the order.
    """
    if cross.pooled is None:
        return []
    rows = _pooled_gains(cross).rename(columns={"estimate": "effect"})
    pooled = _pooled_row(cross, t)
    xlim = forest_xlim(rows, pooled)
    k = len(rows)
    count = max(1, math.ceil(k / page_size))
    row_height = 0.5 if k <= 12 else 0.3  # one spacing for every page, the short last one too
    out = []
    for number in range(1, count + 1):
        page = rows.iloc[(number - 1) * page_size : number * page_size].reset_index(drop=True)
        page = page[["region_id", "label", "effect", "ci_low", "ci_high", "rank"]]
        caption = t("cross.forest_caption")
        if count > 1:
            caption = t(
                "cross.forest_caption_page",
                caption=caption,
                page=t.integer(number),
                pages=t.integer(count),
                first=t.integer(page["rank"].iloc[0]),
                last=t.integer(page["rank"].iloc[-1]),
                k=t.integer(k),
            )
        caption = f"{caption}. {t('cross.forest_order')}"
        out.append(ForestPage(number, count, page, pooled, xlim, caption, row_height))
    return out


def _names(frame: pd.DataFrame) -> str:
    return ", ".join(sorted(frame["name"], key=str.casefold))


def unshown_table(cross: CrossRegion, t: Text) -> pd.DataFrame | None:
    """The regions the forest plot does not show, by status, with their number and names:
    suppressed, not estimated, not collected, estimated but not pooled, not rendered.

    None when every region is in the forest plot, or when there is no forest plot.
    """
    if cross.pooled is None:
        return None
    gains = gain_by_region(cross)
    rest = gains[gains["status"] != "pooled"]
    if rest.empty:
        return None
    rows = [
        {
            t.column("status"): t(f"cross.status.{status}"),
            t("cross.regions_count"): len(group),
            t.column("region"): _names(group),
        }
        for status, group in rest.groupby("status", sort=False)
    ]
    table = pd.DataFrame(rows)
    table.attrs["title"] = t("table_titles.cross.not_in_forest")
    return table


def status_table(cross: CrossRegion, t: Text) -> pd.DataFrame:
    """How many regions have each status of the learning gain (:data:`GAIN_STATUSES`), and in all.

    A count of 0 is a real zero: no region has that status.
    """
    counts = gain_by_region(cross)["status"].value_counts()
    rows = [
        {t.column("status"): t(f"cross.status.{s}"), t("cross.regions_count"): int(counts.get(s, 0))}
        for s in GAIN_STATUSES
    ]
    rows.append({t.column("status"): t("cross.status.total"), t("cross.regions_count"): int(counts.sum())})
    table = pd.DataFrame(rows)
    table.attrs["title"] = t("table_titles.cross.status")
    return table


def overview_paragraphs(cross: CrossRegion, t: Text, page_size: int = PAGE_SIZE) -> list[str]:
    """The overview's lead: how many regions, how many pooled, and the order of what follows."""
    gains = gain_by_region(cross)
    pooled = int((gains["status"] == "pooled").sum())
    return [t("cross.overview_lead", n=t.integer(len(gains)), k=t.integer(pooled), page_size=t.integer(page_size))]


def distribution_values(cross: CrossRegion) -> list[float]:
    """The pooled regions' gains, for the overview's histogram."""
    gains = gain_by_region(cross)
    return gains.loc[gains["status"] == "pooled", "estimate"].tolist()


def distribution_parts(cross: CrossRegion, t: Text) -> dict | None:
    """What ``figures.distribution`` draws for the overview and its caption; None without pooling.

    Keys: ``values``, ``pooled``, ``xlim`` (the forest plot's axis), ``xlabel``, ``ylabel``, ``caption``.
    """
    if cross.pooled is None:
        return None
    rows = _pooled_gains(cross)
    pooled = _pooled_row(cross, t)
    return {
        "values": rows["estimate"].tolist(),
        "pooled": pooled,
        "xlim": forest_xlim(rows, pooled),
        "xlabel": t("cross.forest_axis"),
        "ylabel": t("cross.regions_count"),
        "caption": t("cross.distribution_caption", k=t.integer(len(rows))),
    }


def extremes_table(cross: CrossRegion, t: Text, n: int = EXTREMES) -> pd.DataFrame | None:
    """The ``n`` pooled regions with the highest gain and the ``n`` with the lowest, with their
    rank, province and 95% CI (each region's own interval); a region is listed once even when
    fewer than ``2n`` regions were pooled. None without pooling."""
    if cross.pooled is None:
        return None
    rows = _pooled_gains(cross)
    top = rows.head(n)
    bottom = rows.iloc[max(len(top), len(rows) - n) :]
    with_province = rows["province"].notna().any()
    out = []
    for group, part in (("highest", top), ("lowest", bottom)):
        for r in part.itertuples(index=False):
            row = {t("cross.group"): t(f"cross.{group}"), t("cross.rank"): int(r.rank), t.column("region"): r.name}
            if with_province:
                row[t.column("province")] = r.province or "–"
            row[t.column("estimate")] = float(r.estimate)
            row[t.column("ci_low")] = float(r.ci_low)
            row[t.column("ci_high")] = float(r.ci_high)
            out.append(row)
    table = pd.DataFrame(out)
    table.attrs["title"] = t("table_titles.cross.extremes", n=t.integer(n))
    return table
