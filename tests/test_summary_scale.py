"""The cross-region summary at national scale (500+ regions): sorted, paginated, nothing dropped.

Inputs are fake but valid: one ``metrics.json`` per region (schema ``asn-eval/metrics/1``) with
a learning gain drawn around a known mean μ and between-region spread τ, and a few regions
suppressed, not estimated, not collected, estimated without a standard error, or not rendered.

Independent references for the pooling (``helpers.evaluation.pool_effects`` through
``helpers.analysis.cross_region``): the DerSimonian-Laird moment estimator written out by hand
(DerSimonian & Laird 1986), the Paule-Mandel estimator as the root of the generalised Q equation
found with SciPy's ``brentq`` (Paule & Mandel 1982), REML by its fixed-point iteration
(Viechtbauer 2005, J Educ Behav Stat 30:261; pool_effects instead minimises the restricted
likelihood), and the Hartung-Knapp-Sidik-Jonkman interval by its formula (Knapp & Hartung
2003). statsmodels' ``combine_effects`` is shown beside them but is not independent for PM and
DL: pool_effects calls it. A seeded simulation checks the known μ and τ are recovered and that the HKSJ
interval still covers μ at its nominal rate with 500 regions.
"""

from __future__ import annotations

import json
import math
import re

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

from helpers.analysis.cross_region import GAIN_STATUSES, cross_region, gain_by_region
from helpers.analysis.metrics import SCHEMA
from helpers.evaluation import pool_effects
from helpers.present import figures, summary
from helpers.present.text import Text

from .conftest import REPO

MU, TAU = 10.0, 1.5
PAGE = summary.PAGE_SIZE
PROVINCES = [f"Provinsi {chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(38)]


def _status_of(i: int) -> str:
    """A fixed mix of statuses, so that every kind of missing gain occurs at scale."""
    for every, status in (
        (25, "too_few"),
        (40, "not_collected"),
        (60, "refused"),
        (70, "not_rendered"),
        (90, "unpooled"),
    ):
        if i % every == every - 1:
            return status
    return "pooled"


def _ind(ind_id, estimate=None, ci=(None, None), se=None, n=None, status="ok", scale="value", clusters=None):
    return {
        "id": ind_id,
        "estimate": estimate if status == "ok" else None,
        "ci_low": ci[0] if status == "ok" else None,
        "ci_high": ci[1] if status == "ok" else None,
        "se": se if status == "ok" else None,
        "n": n,
        "clusters": clusters,
        "method": "fake",
        "status": status,
        "notes": [],
        "scale": scale,
        "extra": {},
        "label": ind_id,
    }


def fake_regions(n: int) -> list[dict]:
    """``n`` manifest regions in 38 provinces; a few names repeat, as kecamatan names do."""
    return [
        {"id": f"r{i:04d}", "name": f"Kabupaten Contoh {i % max(n - 3, 1):03d}", "province": PROVINCES[i % 38]}
        for i in range(n)
    ]


def write_fake_regions(folder, regions, seed: int = 7, mu: float = MU, tau: float = TAU, mixed: bool = True):
    """Write a metrics.json for each of ``regions`` (manifest regions, or a number of them) into
    ``folder``; return the regions and the pooled regions' effects and variances, in region order."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    regions = fake_regions(regions) if isinstance(regions, int) else regions
    effects, variances = [], []
    for i, entry in enumerate(regions):
        rid = entry["id"]
        status = _status_of(i) if mixed else "pooled"
        if status == "not_rendered":
            continue
        se = float(rng.uniform(0.8, 2.5))
        gain = float(mu + rng.normal(0, tau) + rng.normal(0, se))
        clusters = int(rng.integers(4, 12))
        half = float(stats.t.ppf(0.975, clusters - 1)) * se
        if status == "pooled":
            effects.append(gain)
            variances.append(se**2)
        learning = _ind(
            "learning.mean_gain",
            gain,
            (gain - half, gain + half) if status == "pooled" else (None, None),
            se if status == "pooled" else None,
            n=200,
            status="ok" if status in ("pooled", "unpooled") else status,
            clusters=clusters,
        )
        indicators = [
            _ind("profile.participants", 100.0 + i, scale="count"),
            _ind("participation.completion_rate", 0.8, (0.75, 0.85), n=300, scale="share"),
            _ind("reaction.overall_mean", 3.9, (3.8, 4.0), n=250),
            learning,
            _ind("participation.jp_share", 0.3, (0.27, 0.33), n=400, scale="share"),
        ]
        payload = {
            "schema": SCHEMA,
            "dataset": "scale",
            "region_id": rid,
            "region": entry["name"],
            "synthetic": True,
            "lang": "id",
            "indicators": indicators,
            "settings": {},
        }
        (folder / f"{rid}.metrics.json").write_text(json.dumps(payload), encoding="utf-8")
    return regions, np.array(effects), np.array(variances)


@pytest.fixture(scope="module")
def national_folder(tmp_path_factory):
    """545 regions, statuses of every kind: 503 pooled, 13 pages of at most 40."""
    folder = tmp_path_factory.mktemp("national")
    return folder, *write_fake_regions(folder, 545)


@pytest.fixture(scope="module")
def national(national_folder):
    folder, regions, y, v = national_folder
    return cross_region(folder, regions), regions, y, v


# ------------------------------------------------------------------ forest plot pages


def test_forest_pages_hold_every_pooled_region_once_sorted_by_gain(national):
    cross, _, y, _ = national
    pages = summary.forest_pages(cross, Text("id"))
    k = cross.pooled.k
    assert k == len(y) and len(pages) == math.ceil(k / PAGE) and len(pages) > 1
    assert all(len(p.rows) == PAGE for p in pages[:-1]) and 0 < len(pages[-1].rows) <= PAGE
    shown = pd.concat([p.rows for p in pages], ignore_index=True)
    assert sorted(shown["region_id"]) == sorted(cross.poolable)  # each pooled region exactly once
    assert shown["region_id"].is_unique
    assert shown["effect"].is_monotonic_decreasing
    assert shown["rank"].tolist() == list(range(1, k + 1))
    assert shown["label"].is_unique  # repeated names get their province


def _xspan(patch) -> tuple[float, float]:
    xs = np.asarray(patch.get_xy() if not isinstance(patch, Rectangle) else patch.get_bbox().get_points())[:, 0]
    return float(xs.min()), float(xs.max())


def test_every_forest_page_shows_the_pooled_estimate_on_one_axis(national):
    cross, *_ = national
    t = Text("en")
    pages = summary.forest_pages(cross, t)
    p = cross.pooled
    for page in pages:
        assert (page.pooled["estimate"], page.pooled["ci_low"], page.pooled["ci_high"]) == (
            p.estimate,
            p.ci_low,
            p.ci_high,
        )
        assert page.xlim == pages[0].xlim
        assert page.xlim[0] <= page.rows["ci_low"].min() and page.rows["ci_high"].max() <= page.xlim[1]
        assert page.xlim[0] <= p.ci_low and p.ci_high <= page.xlim[1]
    assert pages[0].caption.startswith(t("cross.forest_caption"))
    assert f"page 2 of {len(pages)}" in pages[1].caption and "ranks 41–80" in pages[1].caption
    for page in (pages[0], pages[-1]):  # draw two: the reference line and band are on the figure
        fig = figures.forest(page.rows, page.pooled, "x", text=t, xlim=page.xlim, reference=True)
        ax = fig.axes[0]
        assert ax.get_xlim() == pytest.approx(page.xlim)
        assert any(np.allclose(line.get_xdata(), p.estimate) for line in ax.lines)
        band = [
            patch for patch in ax.patches if patch.get_alpha() and _xspan(patch) == pytest.approx((p.ci_low, p.ci_high))
        ]
        assert len(band) == 1  # the reference band, beside the diamond
        assert len(ax.get_yticklabels()) == len(page.rows) + 1  # the regions and the pooled diamond
        plt.close(fig)


def test_four_regions_make_one_forest_page(tmp_path):
    regions, *_ = write_fake_regions(tmp_path, 4, mixed=False)
    cross = cross_region(tmp_path, regions)
    (page,) = summary.forest_pages(cross, Text("id"))
    assert len(page.rows) == 4 and page.caption.startswith(Text("id")("cross.forest_caption") + ".")
    assert not summary.has_overview(cross) and summary.unshown_table(cross, Text("id")) is None


# ------------------------------------------------------------------ nothing dropped, missing is not zero


def test_regions_without_a_pooled_gain_are_listed_by_status(national):
    cross, regions, *_ = national
    t = Text("id")
    gains = gain_by_region(cross)
    assert sorted(gains["region_id"]) == sorted(r["id"] for r in regions)
    expected = {s: [r["id"] for i, r in enumerate(regions) if _status_of(i) == s] for s in GAIN_STATUSES}
    for status, ids in expected.items():
        assert sorted(gains.loc[gains["status"] == status, "region_id"]) == sorted(ids), status
        assert len(ids) > 0, status  # the fixture has every kind
    missing = gains[gains["status"] != "pooled"]
    assert missing.loc[missing["status"] != "unpooled", "estimate"].isna().all()  # never a 0
    unshown = summary.unshown_table(cross, t)
    by_status = dict(zip(unshown[t.column("status")], unshown[t("cross.regions_count")], strict=True))
    for status in GAIN_STATUSES[1:]:
        assert by_status[t(f"cross.status.{status}")] == len(expected[status])
    names = ", ".join(unshown[t.column("region")])
    assert all(name in names for name in missing["name"])
    counts = summary.status_table(cross, t)
    column = counts[t("cross.regions_count")].tolist()
    assert column[:-1] == [len(expected[s]) for s in GAIN_STATUSES] and column[-1] == len(regions)


def test_a_status_nobody_has_counts_zero_and_is_not_listed(tmp_path):
    regions, *_ = write_fake_regions(tmp_path, 60, mixed=False)
    cross = cross_region(tmp_path, regions)
    t = Text("en")
    counts = summary.status_table(cross, t).set_index(t.column("status"))[t("cross.regions_count")]
    assert counts[t("cross.status.pooled")] == 60 and counts[t("cross.status.too_few")] == 0
    assert summary.unshown_table(cross, t) is None


# ------------------------------------------------------------------ the headline table and the overview


def test_region_table_pages_are_ordered_by_province_and_keep_a_province_together(national):
    cross, *_ = national
    t = Text("id")
    pages = summary.region_table_pages(cross, t)
    rows = pd.concat(pages, ignore_index=True)
    assert len(pages) > 1 and all(len(p) <= PAGE for p in pages)
    assert sorted(rows[t.column("region")]) == sorted(r.name for r in cross.regions)  # each rendered region once
    keys = list(zip(rows[t.column("province")], rows[t.column("region")].str.casefold(), strict=True))
    assert keys == sorted(keys)
    for prov in PROVINCES:  # every province has at most 14 regions: one page each
        assert sum(prov in set(p[t.column("province")]) for p in pages) == 1
    titles = [p.attrs["title"] for p in pages]
    assert all(re.search(rf"halaman {i} dari {len(pages)} \(", title) for i, title in enumerate(titles, 1))


def test_a_province_larger_than_a_page_runs_over_consecutive_pages(tmp_path):
    regions, *_ = write_fake_regions(tmp_path, 30, mixed=False)
    for r in regions:
        r["province"] = "Besar" if int(r["id"][1:]) < 25 else "Kecil"
    t = Text("en")
    pages = summary.region_table_pages(cross_region(tmp_path, regions), t, page_size=10)
    assert [len(p) for p in pages] == [10, 10, 10]
    assert [set(p[t.column("province")]) for p in pages] == [{"Besar"}, {"Besar"}, {"Besar", "Kecil"}]
    assert "page 1 of 3 (Besar)" in pages[0].attrs["title"] and "page 3 of 3 (Besar – Kecil)" in pages[2].attrs["title"]


def test_overview_shows_the_highest_and_lowest_regions_with_their_intervals(national):
    cross, *_ = national
    t = Text("en")
    assert summary.has_overview(cross)
    table = summary.extremes_table(cross, t)
    ranks = table[t("cross.rank")].tolist()
    k = cross.pooled.k
    assert ranks == [1, 2, 3, 4, 5, k - 4, k - 3, k - 2, k - 1, k]
    gains = gain_by_region(cross).set_index("name")
    est = table[t.column("estimate")]
    assert (table[t.column("ci_low")] <= est).all() and (est <= table[t.column("ci_high")]).all()
    assert est.iloc[0] == gains["estimate"].max()
    parts = summary.distribution_parts(cross, t)
    assert len(parts["values"]) == k and parts["xlim"] == summary.forest_pages(cross, t)[0].xlim
    fig = figures.distribution(
        parts["values"], parts["pooled"], parts["xlabel"], parts["ylabel"], text=t, xlim=parts["xlim"]
    )
    assert sum(bar.get_height() for bar in fig.axes[0].patches[1:]) == k  # the band, then the bars
    plt.close(fig)


def test_many_regions_are_counted_not_named_and_not_called_few(national):
    cross, *_ = national
    t = Text("en")
    assert summary.subtitle(cross, t) == t("cross.regions_many_provinces", n=f"{len(cross.regions):,}", provinces="38")
    assert summary.subtitle(cross) == ", ".join(r.name for r in cross.regions)  # without a language: as before
    (text,) = summary.pooled_paragraphs(cross, t)[-1:]
    assert "few regions" not in text and f"t on {cross.pooled.k - 1:,} degrees of freedom" in text


# ------------------------------------------------------------------ the statistics at 500 regions


def _dl(y, v):
    w = 1 / v
    q = np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2)
    return max(0.0, (q - (len(y) - 1)) / (np.sum(w) - np.sum(w**2) / np.sum(w)))


def _pm(y, v):
    def excess(tau2):
        w = 1 / (v + tau2)
        return np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2) - (len(y) - 1)

    return 0.0 if excess(0.0) <= 0 else optimize.brentq(excess, 0.0, 100 * np.var(y), xtol=1e-14)


def _reml(y, v):
    tau2 = _dl(y, v)
    for _ in range(10_000):
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        new = max(0.0, np.sum(w**2 * ((y - mu) ** 2 - v)) / np.sum(w**2) + 1 / np.sum(w))
        if abs(new - tau2) < 1e-13:
            return new
        tau2 = new
    raise AssertionError("REML fixed point did not converge")


REFERENCE = {"dl": _dl, "pm": _pm, "reml": _reml}


@pytest.mark.parametrize("method", ["pm", "dl", "reml"])
def test_pooling_500_regions_matches_independent_reference(national_folder, method):
    folder, regions, y, v = national_folder
    cross = cross_region(folder, regions, pooling=method)
    p = cross.pooled
    k = len(y)
    assert p.k == k >= 500
    tau2 = REFERENCE[method](y, v)
    assert p.tau2 == pytest.approx(tau2, rel=1e-6, abs=1e-9)
    w_fe = 1 / v
    q = np.sum(w_fe * (y - np.sum(w_fe * y) / np.sum(w_fe)) ** 2)
    assert p.q == pytest.approx(q, rel=1e-10)
    assert p.i2 == pytest.approx((q - (k - 1)) / q, rel=1e-10)
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    assert p.estimate == pytest.approx(mu, rel=1e-7)
    # HKSJ (modified: q floored at 1), t on k - 1 = 499+ degrees of freedom.
    scale = max(1.0, np.sum(w * (y - mu) ** 2) / (k - 1))
    half = stats.t.ppf(0.975, k - 1) * math.sqrt(scale / np.sum(w))
    assert p.df == k - 1
    assert (p.ci_low, p.ci_high) == (pytest.approx(mu - half, rel=1e-6), pytest.approx(mu + half, rel=1e-6))
    if method != "reml":  # the library pool_effects calls for PM and DL: agrees on the same inputs
        res = combine_effects(y, v, method_re=method)
        assert p.tau2 == pytest.approx(res.tau2, rel=1e-6) and p.estimate == pytest.approx(res.mean_effect_re)


def test_known_mean_and_spread_are_recovered_from_500_regions(national):
    cross, *_, v = national
    p = cross.pooled
    assert abs(p.estimate - MU) < 4 * p.se
    assert abs(p.tau2 - TAU**2) < 1.2  # the estimator's sd is about 0.3 at this k and these se
    w = 1 / v
    typical = (len(v) - 1) * np.sum(w) / (np.sum(w) ** 2 - np.sum(w**2))  # Higgins & Thompson 2002
    assert p.i2 == pytest.approx(TAU**2 / (TAU**2 + typical), abs=0.1)


def test_hksj_interval_covers_at_the_nominal_rate_with_500_regions():
    """400 seeded meta-analyses of 500 regions (μ = 10, τ = 1,5), Paule-Mandel + HKSJ, the summary's default."""
    covered = 0
    for seed in range(400):
        rng = np.random.default_rng(seed)
        se = rng.uniform(0.8, 2.5, 500)
        y = MU + rng.normal(0, TAU, 500) + rng.normal(0, se)
        r = pool_effects(y, se**2, method="pm")
        covered += r.ci_low <= MU <= r.ci_high
    assert 0.92 <= covered / 400 <= 0.975


# ------------------------------------------------------------------ the notebook, end to end


@pytest.fixture
def summary_root(tmp_path, monkeypatch, sample_data):
    """A project root of its own (the notebooks linked in) and a way to add a dataset to it: the
    sample's processed manifest with other regions, and fake metrics for them."""
    (tmp_path / "notebooks").symlink_to(REPO / "notebooks")
    monkeypatch.setenv("ASN_EVAL_ROOT", str(tmp_path))

    def make(name: str, regions: list[dict], **fake):
        folder = tmp_path / "data" / "processed" / name
        folder.mkdir(parents=True)
        manifest = {**sample_data.manifest, "dataset": name, "regions": regions}
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        return write_fake_regions(tmp_path / "reports" / name, regions, **fake)

    return tmp_path, make


def _run(root, name):
    import papermill as pm

    out = root / f"{name}.ipynb"
    pm.execute_notebook(
        str(REPO / "notebooks" / "cross_region_summary.ipynb"),
        str(out),
        parameters={"dataset": name, "lang": "id"},
        progress_bar=False,
        log_output=False,
        cwd=str(root),
    )
    nb = nbformat.read(out, as_version=4)
    return "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


_SHOWN = re.compile(
    r"<h(\d)[^>]*>([^<]*)</h\d>|class='asn-table-title'><span class='asn-label'>([^<]*)</span>([^<]*)</div>"
    r"|class='(?:asn-caption )?asn-figure-caption'><span class='asn-label'>([^<]*)</span>([^<]*)</div>"
)


def _structure(page: str) -> list[tuple[str, str]]:
    out = []
    for m in _SHOWN.finditer(page):
        if m[1]:
            out.append((f"h{m[1]}", m[2]))
        elif m[3]:
            out.append((m[3], m[4].strip()))
        else:
            out.append((m[5], m[6].strip()))
    return out


@pytest.mark.e2e
def test_summary_notebook_with_four_regions_keeps_its_structure(summary_root, sample_data):
    """As before pagination: title, one headline table, the pooled section with its table and one
    forest plot, then the glossary; no overview."""
    root, make = summary_root
    make("four", sample_data.regions, mixed=False)
    t = Text("id")
    shown = _structure(_run(root, "four"))
    head = shown[: shown.index(("h2", t("apparatus.glossary.title")))]
    assert head == [
        ("h1", t("cross.title")),
        ("Tabel 1.", t("table_titles.cross.regions")),
        ("h2", t("learning.title")),
        ("Tabel 2.", t("table_titles.cross.pooled")),
        ("Gambar 1.", f"{t('cross.forest_caption')}. {t('cross.forest_order')}"),
    ]


@pytest.mark.e2e
def test_summary_notebook_with_many_regions_opens_with_an_overview_and_pages(summary_root):
    root, make = summary_root
    regions, y, _ = make("many", fake_regions(130))
    t = Text("id")
    shown = _structure(_run(root, "many"))
    labels = [label for label, _ in shown if not label.startswith("h")]
    forest = math.ceil(len(y) / PAGE)
    assert [x for x in labels if x.startswith("Gambar")] == [f"Gambar {i}." for i in range(1, forest + 2)]
    tables = [x for x in labels if x.startswith("Tabel")]
    assert tables == [f"Tabel {i}." for i in range(1, len(tables) + 1)]
    words = [w for _, w in shown]
    assert words[:3] == [t("cross.title"), t("cross.overview_title"), t("table_titles.cross.status")]
    assert words[3] == t("cross.distribution_caption", k=str(len(y)))
    assert words[4:6] == [t("table_titles.cross.extremes", n="5"), t("table_titles.cross.regions")]
    cross = cross_region(root / "reports" / "many", regions)
    expected = [page.attrs["title"] for page in summary.region_table_pages(cross, t)]
    assert len(expected) >= 4 and [w for w in words if w in expected] == expected
    assert [w for w in words if w.startswith(t("cross.forest_caption"))] == [
        p.caption for p in summary.forest_pages(cross, t)
    ]
    assert words[words.index(t("learning.title")) + 1] == t("table_titles.cross.pooled")
    assert t("table_titles.cross.not_in_forest") in words


def test_the_summary_cover_and_notice_count_many_regions_instead_of_naming_them():
    from helpers.render.html import summary_page
    from helpers.store import ProcessedDataset

    regions = [
        {"id": f"kab-{i:04d}", "name": f"Kabupaten Sintetis {i:04d}", "province": f"P{i % 38}"} for i in range(510)
    ]
    page = summary_page(ProcessedDataset("x", {"regions": regions, "synthetic": True}, {}, {}), "id")
    assert page.subject == "510 wilayah di 38 provinsi"
    assert "Kabupaten Sintetis 0001" not in page.notice and "510 wilayah" in page.notice
    few = summary_page(ProcessedDataset("x", {"regions": regions[:4], "synthetic": True}, {}, {}), "en")
    assert (
        few.subject
        == "Kabupaten Sintetis 0000, Kabupaten Sintetis 0001, Kabupaten Sintetis 0002 and Kabupaten Sintetis 0003"
    )
