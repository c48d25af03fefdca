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
# The pooling method is the analysis setting `cross_region.pooling` (Paule-Mandel by default).

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
cross = cross_region(paths.reports_dataset_dir(dataset), [r["id"] for r in ds.regions],
                     pooling=settings["cross_region.pooling"], min_cell=settings.min_cell, lang=lang)
t = Text(lang)
show.style(lang)

# %% [markdown]
# ## Title and synthetic-data banner

# %%
show.title(t("cross.title"), summary.subtitle(cross))
if ds.synthetic:
    show.banner(t("report.synthetic_banner", region=", ".join(r["name"] for r in ds.regions)))
show.paragraphs([t("report.suppression_note", min_cell=cross.min_cell)])

# %% [markdown]
# ## Headline numbers per region

# %%
if cross.regions:
    show.table(summary.region_table(cross, t))

# %% [markdown]
# ## Learning gain pooled across regions
# Each region's mean gain with its programme-clustered standard error; forest plot below.

# %%
show.heading(t("learning.title"))
show.paragraphs(summary.pooled_paragraphs(cross, t))
if cross.pooled is not None:
    show.table(summary.pooled_table(cross, t))
    studies, pooled_row = summary.forest_rows(cross, t)
    show.figure(figures.forest(studies, pooled_row, xlabel=t("cross.forest_axis"), text=t), t("cross.forest_caption"))

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
