"""Level 1, Reaksi: Likert items, their means and top-2 box, and the scale's reliability."""

from __future__ import annotations

from .. import evaluation as ev
from .findings import CI, Int, Num, Pct, finding
from .region import RegionData, people, recorded, suppress_rows
from .section import NOT_COLLECTED, Section, missing_columns, part_not_collected, unavailable

LIKERT_ITEMS = ("relevance", "instructor", "method", "facilities", "schedule", "overall")


def reaction(data: RegionData) -> Section:
    sec = Section("reaction")
    rx = data.reaction
    items = [c for c in LIKERT_ITEMS if c in rx.columns and rx[c].notna().any()]
    if people(rx) < data.min_cell or not items:
        return unavailable(sec, data, "reaction")
    if gone := missing_columns(data, "reaction", LIKERT_ITEMS, rx):
        part_not_collected(sec, "items", "reaction_items", "reaction", gone)
        if len(items) < 2:  # one item: no scale whose reliability could be measured
            sec.missing["alpha"] = NOT_COLLECTED
    resp = rx[items].astype("Float64").astype(float)
    frame = ev.likert_summary(resp, scale=(1, 2, 3, 4, 5)).to_frame()
    frame["people"] = [int(rx.loc[rx[i].notna(), "participant_key"].nunique()) for i in frame["item"]]
    frame = suppress_rows(frame, "people", data.min_cell, totals_shown=False)
    sec.results["likert_frame"] = frame
    overall = frame.set_index("item").loc["overall"] if "overall" in set(frame["item"]) else None
    if overall is not None and not overall["suppressed"]:
        sec.results["overall"] = overall
        sec.findings.append(
            finding(
                "reaction.lead",
                n=Int(int(overall["n"])),
                mean=Num(overall["mean"]),
                ci=CI(overall["ci_low"], overall["ci_high"]),
                top2=Pct(overall["top2"] / 100),
            )
        )
    if len(items) >= 2:
        alpha = ev.cronbach_alpha(resp, ci=0.95)
        sec.results["alpha"] = alpha
        sec.findings.append(
            finding(
                "reaction.alpha",
                alpha=Num(alpha.alpha),
                ci=CI(alpha.ci_low, alpha.ci_high),
                n=Int(alpha.n),
                k=Int(alpha.k),
            )
        )
        threshold = float(data.settings["reaction.alpha_flag_below"])
        if not alpha.alpha >= threshold:  # also flags NaN: no alpha to trust
            sec.findings.append(finding("reaction.alpha_low", alpha=Num(alpha.alpha), threshold=Num(threshold)))
        sec.tables["reliability"] = alpha.item_table.copy()
    sec.tables["items"] = frame[
        ["item", "n", "mean", "ci_low", "ci_high", "median", "top2", "bottom2", "suppressed"]
    ].copy()
    # The reaction survey has its own "method" item; the programme's method is "method_program".
    method = data.program_column("reaction", "method")
    if "overall" in items and (method is None or not recorded(rx, method)):
        part_not_collected(sec, "by_method", "by_method", "programs", ("method",))
    elif "overall" in items:
        by_method = (
            rx.assign(overall=rx["overall"].astype(float))
            .drop(columns=["method"] if method != "method" and "method" in rx.columns else [])
            .rename(columns={method: "method"})
            .groupby("method")
            .agg(n=("overall", "count"), people=("participant_key", "nunique"), mean=("overall", "mean"))
            .reset_index()
        )
        by_method = suppress_rows(by_method, "people", data.min_cell, value_cols=["n", "mean"])
        sec.tables["by_method"] = by_method.drop(columns=["people"])
    return sec
