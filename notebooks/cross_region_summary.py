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
# # Cross-region summary
#
# Compares the regions of a dataset and pools the learning gain across them (random-effects
# meta-analysis). It reads each region's saved `reports/<dataset>/<region>.metrics.json`, so it
# shows exactly the numbers of the region reports and never recomputes them: render the regions
# first (`asn-eval report --all` does both, in that order).

# %% tags=["parameters"]
# Parameters (papermill injects the values). Plain values only.
dataset = "sample"
lang = "id"

# %% [markdown]
# ## Read the regions' saved indicators
# The pooling method is the analysis setting `cross_region.pooling` (Paule-Mandel by default). The
# manifest's regions (id, name, province) tell the summary which regions to expect and how to group them.

# %%
from helpers import paths
from helpers.analysis import load_settings
from helpers.analysis.cross_region import cross_region
from helpers.present import figures, summary
from helpers.present import notebook as show
from helpers.present.text import Text
from helpers.store import load_processed

ds = load_processed(dataset)
settings = load_settings(ds.manifest.get("analysis"))
cross = cross_region(paths.reports_dataset_dir(dataset), ds.regions,
                     pooling=settings["cross_region.pooling"], min_cell=settings.min_cell, lang=lang)
t = Text(lang)
show.style(lang)

# %% [markdown]
# ## Title and synthetic-data banner
# Beyond a handful of regions, the subtitle and banner give their number instead of every name.

# %%
show.title(t("cross.title"), summary.subtitle(cross, t))
if ds.synthetic:
    show.banner(t("report.synthetic_banner", region=summary.regions_phrase([r["name"] for r in ds.regions], t)))
show.paragraphs([t("report.suppression_note", min_cell=cross.min_cell)])

# %% [markdown]
# ## Overview (only when the regions do not fit on one page)
# How many regions have each status of the learning gain, the distribution of the gains with the
# pooled estimate, and the highest and lowest regions with their intervals.

# %%
if summary.has_overview(cross):
    show.heading(t("cross.overview_title"))
    show.paragraphs(summary.overview_paragraphs(cross, t))
    show.table(summary.status_table(cross, t))
    if (parts := summary.distribution_parts(cross, t)) is not None:
        show.figure(figures.distribution(parts["values"], parts["pooled"], parts["xlabel"], parts["ylabel"],
                                         text=t, xlim=parts["xlim"]), parts["caption"])
        show.table(summary.extremes_table(cross, t))

# %% [markdown]
# ## Headline numbers per region
# Ordered by province, then region name; one table per page of regions (a province kept together).

# %%
if summary.has_overview(cross):  # its own heading, after the overview's
    show.heading(t("table_titles.cross.regions"))
for page in summary.region_table_pages(cross, t):
    show.table(page)

# %% [markdown]
# ## Learning gain pooled across regions
# Each region's mean gain with its programme-clustered standard error; the forest plot below is
# sorted by gain, one figure per page of regions, then the regions it does not show and why.

# %%
show.heading(t("learning.title"))
show.paragraphs(summary.pooled_paragraphs(cross, t))
if cross.pooled is not None:
    show.table(summary.pooled_table(cross, t))
    for page in summary.forest_pages(cross, t):
        show.figure(figures.forest(page.rows, page.pooled, xlabel=t("cross.forest_axis"), text=t, xlim=page.xlim,
                                   reference=True, row_height=page.row_height), page.caption)
    if (unshown := summary.unshown_table(cross, t)) is not None:
        show.table(unshown)

# %% [markdown]
# ## How to read the numbers, glossary and reproducibility
# Only the statistics this summary shows (`helpers.present.apparatus`); the reproducibility table
# (`helpers.render.provenance`) records input hashes, package versions, commit and commands.

# %%
from helpers.present import apparatus
from helpers.render.provenance import collect, provenance_frame

show.heading(t("apparatus.glossary.title"), anchor="glossary")
show.heading(t("apparatus.reading.title"), level=3, anchor="reading")
show.paragraphs(apparatus.reading_guide(t, cross.min_cell))
show.paragraphs([t("apparatus.glossary.summary_lead")])
show.table(apparatus.summary_glossary_frame(t, cross))
show.heading(t("apparatus.provenance.title"), anchor="provenance")
show.paragraphs([t("apparatus.provenance.lead")])
show.table(provenance_frame(collect(ds, {"dataset": dataset, "lang": lang}), t))
