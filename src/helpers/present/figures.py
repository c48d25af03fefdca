"""Figures for the reports, in one style. Draws results; never computes a statistic.

Every function takes a tidy result table (from a ``helpers.analysis`` section) and a ``Text`` for
labels, and returns a matplotlib Figure. Rows that disclosure control suppressed (NaN) are left
out of the figure, never drawn as zero.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
import seaborn as sns

from ..evaluation import GRADE_LOWER_BOUNDS
from .text import Text

PALETTE_5 = ["#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac"]  # diverging, colour-blind safe
ACCENT = "#2166ac"
MUTED = "#7f7f7f"
POOLED = "#b2182b"  # the pooled estimate: diamond, line and band


#: Smallest text in a figure, in points at the saved size: a report is read on phones too.
MIN_FONT = 9


def setup_style() -> None:
    """One look for every figure: seaborn whitegrid, text no smaller than ``MIN_FONT`` points."""
    sns.set_theme(style="whitegrid", context="notebook", font_scale=1.0)
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titleweight": "bold",
            "figure.autolayout": False,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "axes.labelsize": 11,
            "axes.titlesize": 12,
        }
    )


def number_formatter(text: Text, absolute: bool = False) -> matplotlib.ticker.FuncFormatter:
    """Axis ticks in the report's number style ("1.000", "0,5" in Indonesian); the fewest
    decimals (at most two) that show the tick."""

    def fmt(value: float, _pos=None) -> str:
        value = abs(value) if absolute else value
        shown = text.num(value, 2)
        decimal = "," if text.lang == "id" else "."
        if decimal in shown:
            shown = shown.rstrip("0").rstrip(decimal)
        return "0" if shown in ("-0", "–0") else shown

    return matplotlib.ticker.FuncFormatter(fmt)


def localize_axes(ax, text: Text | None, axes: str = "x") -> None:
    """Give the numeric axes of ``ax`` the report's number style."""
    if text is None:
        return
    for name in axes:
        getattr(ax, f"{name}axis").set_major_formatter(number_formatter(text))


setup_style()


def likert_diverging(frame: pd.DataFrame, text: Text, title: str = "") -> plt.Figure:
    """Diverging stacked bars, neutral centred (Heiberger & Robbins 2014).

    ``frame`` has one row per item with ``item`` and ``pct_1`` .. ``pct_5`` (shares 0-1 or 0-100).
    """
    df = frame.dropna(subset=[f"pct_{k}" for k in range(1, 6)]).set_index("item")
    pct = df[[f"pct_{k}" for k in range(1, 6)]].astype(float)
    if pct.to_numpy().max() <= 1.0:
        pct = pct * 100
    labels = [text.item(i) for i in pct.index]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(pct) + 2.0))
    y = np.arange(len(pct))
    left = -(pct["pct_1"] + pct["pct_2"] + pct["pct_3"] / 2).to_numpy()
    names = [text(f"figures.likert_{k}") for k in range(1, 6)]
    for k in range(1, 6):
        width = pct[f"pct_{k}"].to_numpy()
        ax.barh(y, width, left=left, color=PALETTE_5[k - 1], edgecolor="white", label=names[k - 1])
        left = left + width
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("%")
    lim = max(100, float(np.abs(ax.get_xlim()).max()))
    ax.set_xlim(-lim, lim)
    ax.xaxis.set_major_formatter(number_formatter(text, absolute=True))
    ax.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False, fontsize=MIN_FONT)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def estimate_with_ci(
    frame: pd.DataFrame,
    label_col: str,
    est_col: str,
    lo_col: str,
    hi_col: str,
    xlabel: str,
    title: str = "",
    ref: float | None = 0.0,
    text: Text | None = None,
) -> plt.Figure:
    """Dot-and-whisker chart of estimates with their confidence intervals, one row per group;
    with ``text``, the axis in the report's number style."""
    df = frame.dropna(subset=[est_col, lo_col, hi_col]).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * max(len(df), 1) + 1.4))
    y = np.arange(len(df))
    est = df[est_col].astype(float).to_numpy()
    err = np.vstack([est - df[lo_col].astype(float).to_numpy(), df[hi_col].astype(float).to_numpy() - est])
    ax.errorbar(est, y, xerr=err, fmt="o", color=ACCENT, ecolor=ACCENT, capsize=4)
    if ref is not None:
        ax.axvline(ref, color=MUTED, lw=0.8, ls="--")
    ax.set_yticks(y, df[label_col].astype(str))
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    localize_axes(ax, text)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def interrupted_series(
    periods: list[str],
    observed: np.ndarray,
    fitted: np.ndarray,
    counterfactual: np.ndarray,
    start_index: int,
    text: Text,
    unit: str,
    indicator: str,
    title: str = "",
) -> plt.Figure:
    """Observed monthly values, the segmented fit, and the counterfactual pre-trend after training."""
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    x = np.arange(len(periods))
    ax.scatter(x, observed, s=14, color=MUTED, label=text("figures.observed"))
    ax.plot(x, fitted, color=ACCENT, lw=2, label=text("figures.fitted"))
    post = x >= start_index
    ax.plot(
        x[post], np.asarray(counterfactual)[post], color=ACCENT, lw=1.5, ls="--", label=text("figures.counterfactual")
    )
    ax.axvline(start_index - 0.5, color="#b2182b", lw=1, ls=":")
    ax.text(
        start_index - 0.3,
        ax.get_ylim()[1],
        text.period(periods[start_index]),
        va="top",
        fontsize=MIN_FONT,
        color="#b2182b",
    )
    step = max(1, len(periods) // 8)
    ax.set_xticks(x[::step], [text.period(periods[i]) for i in range(0, len(periods), step)], rotation=45, ha="right")
    ax.set_ylabel(indicator)
    localize_axes(ax, text, "y")
    ax.set_title(title or unit)
    ax.legend(frameon=False, fontsize=MIN_FONT)
    fig.tight_layout()
    return fig


def ikm_bars(frame: pd.DataFrame, text: Text, title: str = "") -> plt.Figure:
    """IKM per unit and period, with the PermenPANRB 14/2017 category thresholds drawn."""
    df = frame.dropna(subset=["ikm"]).copy()
    df["label_x"] = [f"{u}\n{text.period(p)}" for u, p in zip(df["unit"], df["period"], strict=True)]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    bars = ax.bar(df["label_x"], df["ikm"], color=ACCENT)
    for bar, cat in zip(bars, df["category"], strict=False):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.5, cat, ha="center", va="bottom")
    for cat, threshold in GRADE_LOWER_BOUNDS:
        ax.axhline(threshold, color=MUTED, lw=0.8, ls="--")
        ax.text(
            len(df) - 0.5,
            threshold,
            f" {cat} ≥ {text.num(threshold)}",
            va="bottom",
            ha="right",
            fontsize=MIN_FONT,
            color=MUTED,
        )
    ax.set_ylim(25, 100)
    localize_axes(ax, text, "y")
    ax.set_ylabel("IKM (25–100)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def forest(
    studies: pd.DataFrame,
    pooled: dict,
    xlabel: str,
    title: str = "",
    text: Text | None = None,
    xlim: tuple[float, float] | None = None,
    reference: bool = False,
    row_height: float | None = None,
) -> plt.Figure:
    """Forest plot: each region's effect with CI and the pooled random-effects estimate.

    ``studies`` has ``label``, ``effect``, ``ci_low``, ``ci_high``, drawn top to bottom in the
    given order; ``pooled`` has ``estimate``, ``ci_low``, ``ci_high``, ``label`` (the diamond in
    the last row). ``xlim`` fixes the x-axis, so that the pages of one long forest plot share
    it; ``reference`` draws the pooled estimate as a line and its interval as a band behind
    every row, so that a page read alone still shows where the pooled estimate lies. Rows are
    ``row_height`` inches apart: by default 0.5, narrower (0.3) beyond a dozen regions, so that a
    page of 40 stays one screen tall; the pages of one plot pass the same value.
    """
    df = studies.reset_index(drop=True)
    row = row_height or (0.5 if len(df) <= 12 else 0.3)
    dense = row < 0.5
    fig, ax = plt.subplots(figsize=(7.5, row * (len(df) + 1) + 1.4))
    y = np.arange(len(df))
    if reference:
        ax.axvspan(pooled["ci_low"], pooled["ci_high"], color=POOLED, alpha=0.12, lw=0, zorder=0)
        ax.axvline(pooled["estimate"], color=POOLED, lw=1, zorder=1)
    est = df["effect"].astype(float).to_numpy()
    err = np.vstack([est - df["ci_low"].astype(float).to_numpy(), df["ci_high"].astype(float).to_numpy() - est])
    ax.errorbar(est, y, xerr=err, fmt="s", color=ACCENT, capsize=2 if dense else 3, ms=4 if dense else 6)
    yp = len(df)
    ax.fill(
        [pooled["ci_low"], pooled["estimate"], pooled["ci_high"], pooled["estimate"]],
        [yp, yp - 0.3, yp, yp + 0.3],
        color=POOLED,
    )
    ax.set_yticks(list(y) + [yp], list(df["label"].astype(str)) + [pooled["label"]])
    ax.set_ylim(yp + 0.7, -0.7)  # top row first; the same margins on every page
    ax.axvline(0, color=MUTED, lw=0.8, ls="--")
    if xlim is not None:
        ax.set_xlim(*xlim)
    ax.set_xlabel(xlabel)
    localize_axes(ax, text)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def distribution(
    values,
    pooled: dict,
    xlabel: str,
    ylabel: str,
    text: Text | None = None,
    xlim: tuple[float, float] | None = None,
    title: str = "",
) -> plt.Figure:
    """Histogram of the regions' estimates with the pooled estimate (line) and its interval (band).

    ``xlim`` is the forest plot's axis, so that the overview and the forest pages read alike.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    ax.axvspan(pooled["ci_low"], pooled["ci_high"], color=POOLED, alpha=0.15, lw=0, zorder=0)
    bins = np.histogram_bin_edges(values, bins="auto") if values.size > 1 else 10
    ax.hist(values, bins=bins, color=ACCENT, edgecolor="white", zorder=2)
    ax.axvline(pooled["estimate"], color=POOLED, lw=1.5, zorder=3, label=pooled.get("label"))
    ax.axvline(0, color=MUTED, lw=0.8, ls="--")
    if xlim is not None:
        ax.set_xlim(*xlim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    localize_axes(ax, text, "xy")
    if pooled.get("label"):
        ax.legend(frameon=False, fontsize=MIN_FONT, loc="upper left")
    ax.set_title(title)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ frames the figures draw


def learning_frame(results: dict, text: Text) -> pd.DataFrame:
    """Mean gain per method with its CI, suppressed groups dropped, labelled for the chart."""
    df = results.get("by_method")
    if df is None:
        return pd.DataFrame(columns=["label", "mean_diff", "diff_ci_low", "diff_ci_high"])
    df = df[~df["suppressed"]].copy()
    df["label"] = [f"{text.method(m)} (n = {text.integer(n)})" for m, n in zip(df["method"], df["n"], strict=True)]
    return df


def participation_frame(results: dict, text: Text) -> pd.DataFrame:
    """Completion by factor, in percent, suppressed and not-collected rows dropped."""
    df = results.get("by_factor")
    if df is None:
        return pd.DataFrame(columns=["label", "completion", "ci_low", "ci_high"])
    shown = ~df["suppressed"].astype(bool)
    if "not_collected" in df.columns:
        shown &= ~df["not_collected"].astype(bool)
    df = df[shown].copy()
    df["label"] = [f"{text.column(f)}: {text.yesno(bool(v))}" for f, v in zip(df["factor"], df["value"], strict=True)]
    for c in ("completion", "ci_low", "ci_high"):
        df[c] = 100 * df[c].astype(float)
    return df


def behaviour_frame(results: dict, text: Text) -> pd.DataFrame:
    """Application by level of supervisor support, suppressed levels dropped."""
    df = results.get("by_support")
    if df is None:
        return pd.DataFrame(columns=["label", "mean", "ci_low", "ci_high"])
    df = df[~df["suppressed"]].copy()
    df["label"] = [f"{text.item('supervisor_support')} = {int(v)}" for v in df["support_level"]]
    return df
