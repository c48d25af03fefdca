"""The report's language everywhere: numbers, months, dates, category values and names the
reader knows, never code names (issue "A report a regional government can read", item 3)."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from helpers.analysis import build_region_report
from helpers.present import figures
from helpers.present import region as view
from helpers.present.region import settings_table, subtitle
from helpers.present.tables import for_display
from helpers.present.text import Text
from helpers.present.wording import say_all

INDONESIAN_VALUES = {"luring", "daring", "Laki-laki", "Perempuan", "Kurang Baik", "Sangat Baik", "tatap muka"}


@pytest.fixture(scope="module")
def report(sample_data):
    return build_region_report(sample_data, "salatiga")


def _all_cells(report, t: Text) -> list[str]:
    cells = []
    for sec in report.sections.values():
        for df in sec.tables.values():
            shown = for_display(df, t)
            cells += [str(c) for c in shown.columns]
            cells += [str(v) for col in shown.columns for v in shown[col] if isinstance(v, str)]
    return cells


def test_periods_and_dates_are_written_out_in_the_reports_language():
    assert Text("id").period("2025-11") == "November 2025"
    assert Text("id").period("2024-03") == "Maret 2024"
    assert Text("en").period("2024-03") == "March 2024"
    assert Text("id").date("2024-03-05") == "5 Maret 2024"
    assert Text("en").date("2024-03-05T00:00:00") == "5 March 2024"
    assert Text("id").period(None) == "–"


def test_subtitle_dates_and_result_sentences_use_month_names(report):
    assert re.search(r"1 Januari 2023 s\.d\. 31 Desember 2025", subtitle(report, Text("id")))
    text = " ".join(say_all(report.sections["results"].findings, Text("id")))
    assert "Maret 2024" in text and "November 2025" in text
    assert not re.search(r"\b20\d\d-\d\d\b", text)


def test_ikm_grade_has_one_pair_of_brackets(report):
    for lang in ("id", "en"):
        t = Text(lang)
        text = " ".join(say_all(report.sections["results"].findings, t) + view.recommendations(report, t))
        assert t.grade("C") in text or t.grade("B") in text
        assert not re.search(r"\([^()]*\([^()]*\)[^()]*\)", text), text
        assert "C, Kurang" not in text


def test_jp_is_an_integer_in_the_programme_table(report):
    shown = for_display(report.sections["profile"].tables["programmes"], Text("id"))
    jp = shown[Text("id").column("jp")].dropna()
    assert str(jp.dtype) == "Int64" and (jp > 0).all()


def test_english_report_tables_hold_no_indonesian_category_values(report):
    cells = set(_all_cells(report, Text("en")))
    assert not cells & INDONESIAN_VALUES, cells & INDONESIAN_VALUES
    assert {"Male", "Female", "in person"} <= cells
    assert not any(c.startswith("Suku") for c in cells)


def test_indonesian_report_tables_hold_no_english_category_values(report):
    cells = set(_all_cells(report, Text("id")))
    assert not cells & {"Male", "Female", "in person", "online", "Good", "Poor", "Term"}
    assert {"Laki-laki", "Perempuan", "Variabel"} <= cells


def test_data_quality_appendix_names_tables_columns_and_rules_in_words(report):
    t = Text("id")
    rules = for_display(report.sections["quality"].tables["rules"], t)
    counts = for_display(report.sections["quality"].tables["counts"], t)
    codes = {"programs", "enrollments", "post_score", "likert", "range", "reference", "participants", "tests"}
    shown = {str(v) for df in (rules, counts) for col in df.columns for v in df[col]}
    assert not shown & codes, shown & codes
    assert t.rule("range") in shown and "Nilai post-test" not in shown  # column words come from fields


def test_settings_table_has_a_plain_language_column(report):
    table = settings_table(report, Text("en"))
    assert list(table.columns) == ["Setting", "Setting key", "Value"]
    assert (table["Setting"] != table["Setting key"]).all()
    id_table = settings_table(report, Text("id"))
    assert "0,5" in set(id_table["Nilai"])  # reaction.alpha_flag_below, in the Indonesian number style


def test_figure_axes_use_the_reports_number_style_and_legible_fonts():
    frame = pd.DataFrame({"label": ["a", "b"], "est": [1200.5, 2500.0], "lo": [1000.0, 2000.0], "hi": [1500.0, 3000.0]})
    fig = figures.estimate_with_ci(frame, "label", "est", "lo", "hi", xlabel="x", text=Text("id"))
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [tick.get_text() for tick in ax.get_xticklabels() if tick.get_text()]
    assert any("." in lab and "," not in lab for lab in labels if len(lab) > 3), labels  # "1.500", not "1500"
    sizes = [tick.get_fontsize() for tick in ax.get_xticklabels() + ax.get_yticklabels()]
    assert min(sizes) >= figures.MIN_FONT
    plt.close(fig)
    assert figures.number_formatter(Text("id"))(0.5) == "0,5"
    assert figures.number_formatter(Text("en"))(1234.0) == "1,234"


def test_time_axis_shows_month_names(report):
    its = next(iter(report.sections["results"].results["its"].values()))
    t = Text("en")
    fig = figures.interrupted_series(
        its.periods, its.observed, its.fitted, its.counterfactual, its.start_index, t, "u", "i"
    )
    labels = [tick.get_text() for tick in fig.axes[0].get_xticklabels()]
    assert labels and all(re.match(r"^[A-Z][a-z]+ 20\d\d$", lab) for lab in labels), labels
    plt.close(fig)


def test_absence_reasons_and_themes_are_translated_and_unknown_ones_kept(report):
    en = Text("en")
    reasons = for_display(report.sections["participation"].tables["reasons"], en)
    assert "sakit" not in set(reasons.iloc[:, 0]) and "illness" in set(reasons.iloc[:, 0])
    themes = for_display(report.sections["qualitative"].tables["excerpts"], en)
    assert not set(themes.iloc[:, 1]) & {"kurikulum", "jadwal", "inovasi"}
    assert en.category("theme", "tema baru dari mitra") == "tema baru dari mitra"  # free text stays as written
