"""Numbered, titled tables and figures: a reader can cite "Tabel 7" or "Gambar 2".

Every table of a report has "Tabel N. <title>" above it and every figure "Gambar N. <caption>"
under it ("Table N." / "Figure N." in English), numbered 1, 2, 3 ... in each report. Section tables
take their titles from the catalogue (``table_titles.<section>.<table>`` in text.yml).
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import helpers.analysis
from helpers import paths
from helpers.analysis import build_region_report
from helpers.analysis.section import Section
from helpers.present import notebook as show
from helpers.present.text import LANGS, Text

ANALYSIS = Path(helpers.analysis.__file__).resolve().parent


# --- every table a section can show has a title -------------------------------------------------


def _section_keys(node: ast.AST) -> list[str]:
    """Keys of the ``Section("<key>")`` objects created under ``node``."""
    return sorted(
        {
            call.args[0].value
            for call in ast.walk(node)
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "Section"
            and call.args
            and isinstance(call.args[0], ast.Constant)
        }
    )


def _table_keys(node: ast.AST, where: str) -> list[str]:
    """Keys of the ``<section>.tables["<key>"] = ...`` assignments under ``node``."""
    keys = []
    for stmt in ast.walk(node):
        if not isinstance(stmt, ast.Assign | ast.AnnAssign):
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute):
                if target.value.attr != "tables":
                    continue
                key = target.slice
                assert isinstance(key, ast.Constant) and isinstance(key.value, str), (
                    f"{where}: a section table needs a literal key, so that its title can be checked"
                )
                keys.append(key.value)
    return keys


def section_table_keys() -> set[tuple[str, str]]:
    """(section key, table key) of every table assigned in ``helpers.analysis``, read from the
    source so that tables only some datasets produce (e.g. the learning model) are found too.

    A function's tables belong to the section it creates, else to its module's only section.
    """
    found = set()
    for path in sorted(ANALYSIS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_sections = _section_keys(tree)
        for func in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            for name in _table_keys(func, f"{path.name}:{func.name}"):
                owner = _section_keys(func) or module_sections
                assert len(owner) == 1, f"{path.name}:{func.name} fills tables['{name}'] of which section?"
                found.add((owner[0], name))
    return found


def test_the_source_scan_finds_the_tables_of_every_section():
    keys = section_table_keys()
    assert {("reaction", "items"), ("learning", "model"), ("results", "ikm_unsur"), ("quality", "rules")} <= keys
    assert {s for s, _ in keys} == {
        "profile",
        "reaction",
        "learning",
        "behaviour",
        "results",
        "participation",
        "qualitative",
        "quality",
    }


@pytest.mark.parametrize("lang", LANGS)
def test_every_section_table_has_a_title_in_both_languages(lang):
    t = Text(lang)
    untitled = []
    for sec, name in sorted(section_table_keys()):
        try:
            title = t(f"table_titles.{sec}.{name}")
        except KeyError:
            untitled.append(f"table_titles.{sec}.{name}")
            continue
        assert title.strip() and title != t(f"{sec}.title"), (sec, name)
    assert not untitled, f"add a {lang} title to text.yml for: {', '.join(untitled)}"


def test_every_table_the_sample_reports_show_has_a_title(sample_data):
    """The same check on the tables the sample's four regions actually build."""
    for region in sample_data.regions:
        report = build_region_report(sample_data, region["id"])
        for sec in report.sections.values():
            for name in sec.tables:
                for lang in LANGS:
                    assert Text(lang)(f"table_titles.{sec.key}.{name}"), (region["id"], sec.key, name)


# --- the notebook helpers -----------------------------------------------------------------------


@pytest.fixture
def shown(monkeypatch):
    """The HTML the notebook helpers display, in order (figures as None)."""
    out: list[str | None] = []
    monkeypatch.setattr(show, "display", lambda obj: out.append(getattr(obj, "data", None)))
    return out


def _labels(fragments, kind: str = "asn-table-title") -> list[str]:
    text = "".join(f for f in fragments if f)
    return [
        html.unescape(re.sub(r"<[^>]+>", "", m)) for m in re.findall(rf"<div class='[^']*{kind}'>(.*?)</div>", text)
    ]


def test_tables_are_numbered_with_their_title_above_them(shown):
    show.style("id")
    frame = pd.DataFrame({"a": [1.5]})
    frame.attrs["title"] = "Dari atribut"
    show.table(pd.DataFrame({"a": [1]}), title="Judul pertama")
    show.table(frame)
    assert _labels(shown) == ["Tabel 1. Judul pertama", "Tabel 2. Dari atribut"]
    assert shown[-1].index("asn-table-title") < shown[-1].index("<table class='asn-table'>")


def test_style_restarts_the_numbers_and_sets_the_language(shown):
    show.style("id")
    show.table(pd.DataFrame({"a": [1]}), title="x")
    show.table(pd.DataFrame({"a": [1]}), title="y")
    show.style("en")
    show.table(pd.DataFrame({"a": [1]}), title="z")
    assert _labels(shown)[-1] == "Table 1. z"


def test_section_tables_take_their_titles_from_the_catalogue(shown):
    t = Text("id")
    sec = Section("reaction")
    sec.tables["items"] = pd.DataFrame({"item": ["overall"], "n": [12], "mean": [4.1]})
    sec.tables["by_method"] = pd.DataFrame({"method": ["seminar"], "n": [12], "mean": [4.0]})
    show.style("id")
    show.section(sec, t)
    assert _labels(shown) == [
        f"Tabel 1. {t('table_titles.reaction.items')}",
        f"Tabel 2. {t('table_titles.reaction.by_method')}",
    ]


def test_headlines_are_a_numbered_table_too(shown):
    show.style("en")
    show.headlines([("reaction.overall_mean", "Mean", "4.1")], ("Measure", "Value"))
    show.table(pd.DataFrame({"a": [1]}), title="Next")
    assert _labels(shown) == ["Table 1. Headline indicators", "Table 2. Next"]


def test_figures_are_numbered_under_the_figure_and_apart_from_tables(shown):
    show.style("id")
    show.table(pd.DataFrame({"a": [1]}), title="Tabel saja")
    show.figure(plt.figure(), "Sebaran jawaban")
    show.figure(plt.figure())
    assert shown[-4] is None and shown[-2] is None  # the image comes first, its number under it
    assert _labels(shown, "asn-figure-caption") == ["Gambar 1. Sebaran jawaban", "Gambar 2."]
    # The captioned line is what helpers.render.html.prepare reads as the alt text; the bare number
    # is not a caption, so that figure keeps the "Gambar: <section>" alt text.
    assert "asn-caption" in shown[-3] and "asn-caption" not in shown[-1]


# --- end to end: the rendered pages -------------------------------------------------------------


def _page(region: str | None, lang: str) -> str:
    """A rendered page of the session's project root: the one an earlier test rendered (same
    notebook, same data), else rendered here."""
    from helpers.render import runner as render

    path = paths.reports_dataset_dir("sample") / paths.file_name(region or "summary", "html", lang)
    if not path.is_file():
        outcome = render.render_region("sample", region, lang) if region else render.render_summary("sample", lang)
        assert outcome.ok, outcome.error
        path = outcome.html
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pages(ingested, use_root):
    # The regions and languages test_render_e2e and test_render_browser render: the summary
    # test there expects Plaju to be the only Indonesian region rendered.
    return {"plaju": ("id", _page("plaju", "id")), "sawahlunto": ("en", _page("sawahlunto", "en"))}


_TITLE = re.compile(r'<div class="asn-table-title"><span class="asn-label">([^<]*)</span>([^<]*)</div>')
_CAPTION = re.compile(
    r'<div class="(?:asn-caption )?asn-figure-caption"><span class="asn-label">([^<]*)</span>([^<]*)</div>'
)


def _numbers(labels: list[str], word: str) -> list[int]:
    for label in labels:
        assert re.fullmatch(rf"{word} \d+\.", label), label
    return [int(label.split()[1].rstrip(".")) for label in labels]


@pytest.mark.e2e
@pytest.mark.parametrize("region", ["plaju", "sawahlunto"])
def test_rendered_tables_and_figures_are_numbered_one_by_one(pages, region):
    lang, page = pages[region]
    t = Text(lang)
    word = {"table": t("numbering.table", n=0).split()[0], "figure": t("numbering.figure", n=0).split()[0]}
    tables = _numbers([m[0] for m in _TITLE.findall(page)], word["table"])
    figures = _numbers([m[0] for m in _CAPTION.findall(page)], word["figure"])
    assert tables == list(range(1, len(tables) + 1)) and len(tables) >= 10
    assert figures == list(range(1, len(figures) + 1)) and len(figures) >= 3


@pytest.mark.e2e
@pytest.mark.parametrize("region", ["plaju", "sawahlunto"])
def test_every_rendered_table_has_its_title_right_above_it(pages, region, sample_data):
    lang, page = pages[region]
    chunks = re.split(r'<table class="asn-table"', page)
    assert len(chunks) > 10
    for i, before in enumerate(chunks[:-1]):
        since_last_table = before.split("</table>")[-1]
        titles = _TITLE.findall(since_last_table)
        assert len(titles) == 1, f"table {i + 1} has {len(titles)} title(s) right above it"
        # Nothing but the sideways-scroll wrapper between the title and its table.
        after_title = since_last_table[since_last_table.rindex("asn-table-title") :]
        assert "<p>" not in after_title and "<h" not in after_title, f"table {i + 1}"
    # Section tables and the executive summary carry their catalogue titles, in order.
    t = Text(lang)
    report = build_region_report(sample_data, region)
    expected = [t("table_titles.headlines")] + [
        t(f"table_titles.{key}.{name}") for key, sec in report.sections.items() for name in sec.tables
    ]
    shown = [html.unescape(words).strip() for _, words in _TITLE.findall(page)]
    assert [s for s in shown if s in expected] == expected


@pytest.mark.e2e
@pytest.mark.parametrize("region", ["plaju", "sawahlunto"])
def test_each_figures_caption_stays_its_alt_text(pages, region):
    _, page = pages[region]
    images = [re.search(r'alt="([^"]*)"', img).group(1) for img in re.findall(r"<img\b[^>]*>", page)]
    captions = [html.unescape(words).strip() for _, words in _CAPTION.findall(page)]
    assert len(images) == len(captions)
    for alt, caption in zip(images, captions, strict=True):
        assert caption and html.unescape(alt) == caption, (alt, caption)  # the caption, without "Gambar N."
