# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Region report
#
# One region's evaluation report, in Kirkpatrick's four levels plus participation. Run by
# `asn-eval report` through papermill (one run per region), or open it in JupyterLab and run all
# cells to explore one region.
#
# **How it is built.** The second code cell computes the whole report once
# (`helpers.analysis.build_region_report`): every section's numbers, the headline indicators and
# the recommendations. The cells after it only display that one object, and the last cell writes
# the same object to `metrics.json` and the xlsx, so the three artefacts cannot disagree.
# To change a number, change `src/helpers/analysis/` (or a setting in `dataset.yml` under
# `analysis:`); to change wording, `src/helpers/present/text.yml`. See `docs/architecture.md`.

# %% tags=["parameters"]
# Parameters (papermill injects the values for each region). Plain values only.
dataset = "sample"
region = "salatiga"
lang = "id"
output_dir = ""  # where metrics.json and the xlsx go; empty: write nothing (interactive use)

# %% [markdown]
# ## Compute the report once
# `report` holds every section (findings, numeric tables, result objects), the headline
# indicators and the recommendations; `t` is the message catalogue in the report's language.

# %%
from helpers.analysis import build_region_report
from helpers.present import apparatus, figures, headlines, region as view
from helpers.present import notebook as show
from helpers.present.text import Text
from helpers.store import load_processed

report = build_region_report(load_processed(dataset, region=region), region)
t = Text(lang)
sections = report.sections
show.style(lang)

# %% [markdown]
# ## Title, synthetic-data banner and reading notes
# The banner comes first whenever the dataset is marked `synthetic: true`.

# %%
show.title(view.title(report, t), view.subtitle(report, t))
if report.synthetic:
    show.banner(t("report.synthetic_banner", region=report.region["name"]))
show.paragraphs([t("report.kirkpatrick"), t("report.suppression_note", min_cell=report.settings.min_cell)])
show.heading(t("apparatus.reading.title"), level=3, anchor="reading")
show.paragraphs(apparatus.reading_guide(t, report.settings.min_cell))

# %% [markdown]
# ## Executive summary
# The headline indicators, each with its 95% CI and n; the same values as `metrics.json`.
# Which indicators appear: `helpers.present.headlines.SUMMARY`.

# %%
show.heading(t("summary.title"), anchor="summary")
show.headlines(headlines.summary_rows(report.indicators, t), (t.column("metric"), t.column("value")))

# %% [markdown]
# ## Programme and participant profile

# %%
show.section(sections["profile"], t)

# %% [markdown]
# ## Level 1 — Reaksi
# Likert items as diverging bars (neutral centred), item means with CIs, Cronbach's alpha.

# %%
show.section(sections["reaction"], t)
if "likert_frame" in sections["reaction"].results:
    show.figure(figures.likert_diverging(sections["reaction"].results["likert_frame"], t), t("reaction.figure"))

# %% [markdown]
# ## Level 2 — Pembelajaran
# Pre/post tests: paired t and Wilcoxon, effect sizes, gain per method, and the method model
# when there are programmes enough (settings `learning.*`).

# %%
show.section(sections["learning"], t)
gains = figures.learning_frame(sections["learning"].results, t)
if len(gains):
    show.figure(
        figures.estimate_with_ci(
            gains, "label", "mean_diff", "diff_ci_low", "diff_ci_high", xlabel="post − pre", text=t
        ),
        t("learning.figure"),
    )

# %% [markdown]
# ## Level 3 — Perilaku
# Application on the job, self- against supervisor-rated, and its association with support.

# %%
show.section(sections["behaviour"], t)
by_support = figures.behaviour_frame(sections["behaviour"].results, t)
if len(by_support):
    show.figure(
        figures.estimate_with_ci(
            by_support, "label", "mean", "ci_low", "ci_high", xlabel=t.item("application_self"), ref=None, text=t
        ),
        t("behaviour.figure"),
    )

# %% [markdown]
# ## Level 4 — Hasil
# Interrupted time series per service indicator (settings `results.*`), difference-in-differences
# against untrained units, and IKM per unit and survey wave.

# %%
show.section(sections["results"], t)
for (unit, indicator), its in sections["results"].results["its"].items():
    show.figure(
        figures.interrupted_series(
            its.periods, its.observed, its.fitted, its.counterfactual, its.start_index, t, unit, t.indicator(indicator)
        ),
        f"{t('results.figure_its')} — {unit}: {t.indicator(indicator)}",
    )
if "ikm" in sections["results"].results:
    show.figure(figures.ikm_bars(sections["results"].results["ikm"], t), t("results.figure_ikm"))

# %% [markdown]
# ## Participation and barriers
# Completion, attendance, the 20 JP standard, schedule conflicts and incentives.

# %%
show.section(sections["participation"], t)
completion = figures.participation_frame(sections["participation"].results, t)
if len(completion):
    show.figure(
        figures.estimate_with_ci(
            completion, "label", "completion", "ci_low", "ci_high", xlabel=t.column("completion"), ref=None, text=t
        ),
        t("participation.figure"),
    )

# %% [markdown]
# ## Qualitative findings

# %%
show.section(sections["qualitative"], t)

# %% [markdown]
# ## Recommendations: the follow-up plan (Rencana Tindak Lanjut)
# Rules in `helpers.analysis.recommendations`, thresholds, owners and timelines in the settings
# (`recommendations.*`; a region overrides them in `dataset.yml`). One row per action with its
# evidence, then the questions the evidence cannot answer yet.

# %%
show.heading(t("recommendations.title"), anchor="recommendations")
plan = view.follow_up_table(report, t)
if len(plan):
    show.paragraphs([t("plan.lead")])
    show.table(plan, title=t("plan.title"))
else:
    show.paragraphs([t("recommendations.none")] if not report.recommendations.gaps else [])
if report.recommendations.gaps:
    show.heading(t("plan.gaps"), level=3)
    show.bullets(view.evidence_gaps(report, t))

# %% [markdown]
# ## Appendices: data quality, methods note and glossary, settings, data sources, reproducibility
# The glossary lists only the statistics this report shows (`helpers.present.apparatus`); the
# reproducibility table (`helpers.render.provenance`) records the input hashes, package versions,
# commit and the commands that rebuild this report.

# %%
show.section(sections["quality"], t)
show.heading(t("methods.title"), anchor="methods")
show.paragraphs([t("methods.lead")])
show.table(view.settings_table(report, t))
show.heading(t("apparatus.glossary.title"), anchor="glossary")
show.paragraphs([t("apparatus.glossary.lead")])
show.table(apparatus.glossary_frame(report, t))
show.heading(t("apparatus.limitations.title"), anchor="limitations")
show.bullets(apparatus.limitations(report, t))
show.heading(t("apparatus.sources.title"), anchor="sources")
show.paragraphs([t("apparatus.sources.lead")])
show.table(apparatus.data_sources_frame(report, t))

# %%
from helpers.render.provenance import collect, provenance_frame

provenance = collect(report.data.dataset, {"dataset": dataset, "region": region, "lang": lang})
show.heading(t("apparatus.provenance.title"), anchor="provenance")
show.paragraphs([t("apparatus.provenance.lead")])
show.table(provenance_frame(provenance, t))

# %% [markdown]
# ## Write metrics.json and the xlsx
# From the same `report` object displayed above. Skipped when `output_dir` is empty.

# %%
if output_dir:
    from helpers.render.export import write_region_artefacts

    write_region_artefacts(report, output_dir, lang)
