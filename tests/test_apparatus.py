"""The reader's apparatus (reading guide, glossary, data sources, limitations) and the
reproducibility appendix (provenance): what a Sekda reader and a defending researcher rely on."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shlex
import shutil
import string
import subprocess
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

from helpers.analysis import build_region_report, load_settings
from helpers.analysis.cross_region import CrossRegion
from helpers.cli import _parser
from helpers.evaluation import ikm_category
from helpers.present import apparatus
from helpers.present.headlines import indicator_value
from helpers.present.notebook import table_html
from helpers.present.text import CATALOGUE_PATH, Text
from helpers.render import provenance
from helpers.render.provenance import collect, provenance_frame

from .conftest import REPO, SAMPLE_RAW

PARAMS = {"dataset": "sample", "region": "salatiga", "lang": "id", "output_dir": ""}
NIP_LIKE = re.compile(r"\b\d{18}\b")  # a standalone 18-digit token (a hex hash may hold digit runs)
ABSOLUTE_PATH = re.compile(r"(?:^|[\s=;(\"'])(?:/[^\s/;]+){2,}|[A-Za-z]:\\")


def _terms(frame: pd.DataFrame) -> list[str]:
    return frame.iloc[:, 0].tolist()


@pytest.fixture(scope="module")
def reports(sample_data):
    """Every sample region's report, built once."""
    return {r["id"]: build_region_report(sample_data, r["id"]) for r in sample_data.regions}


@pytest.fixture(scope="module")
def did_report(reports):
    """A region whose results section estimated a difference-in-differences (planted in the sample)."""
    found = [r for r in reports.values() if r.sections["results"].results.get("did")]
    assert found, "the sample plants a comparison unit: some region must have a difference-in-differences"
    return found[0]


# ------------------------------------------------------------------ glossary


@pytest.mark.parametrize(
    ("lang", "required"),
    [
        ("id", ["d_z", "g_av", "Hake", "AR(1)", "Kenward-Roger", "Difference-in-differences", "IK 95%", "ASN-tahun"]),
        ("en", ["d_z", "g_av", "Hake", "AR(1)", "Kenward-Roger", "Difference-in-differences", "95% CI", "ASN-year"]),
    ],
)
def test_glossary_explains_every_statistic_the_sample_report_shows_in_both_languages(did_report, lang, required):
    frame = apparatus.glossary_frame(did_report, Text(lang))
    terms = _terms(frame)
    for word in required:
        assert any(word in term for term in terms), f"{word!r} missing from the {lang} glossary: {terms}"
    assert frame.iloc[:, 1].str.len().min() > 40, "every term has a real sentence"
    assert not frame.iloc[:, 1].str.contains(r"\{|\}").any(), "no unfilled placeholder"
    assert frame.attrs["title"], "the numbered table title notebook.table shows"


def test_glossary_never_explains_newey_west_because_the_series_use_ar1_errors(reports):
    """helpers.evaluation.its and did model AR(1) errors; Newey-West is no longer used."""
    for report in reports.values():
        text = apparatus.glossary_frame(report, Text("en")).to_string()
        assert "Newey" not in text and "HAC" not in text


def test_glossary_leaves_out_what_the_report_does_not_show(did_report):
    results = did_report.sections["results"]
    learning = did_report.sections["learning"]
    trimmed = dataclasses.replace(
        did_report,
        sections={
            **did_report.sections,
            "results": dataclasses.replace(
                results, results={k: v for k, v in results.results.items() if k not in ("did", "did_refused")}
            ),
            "learning": dataclasses.replace(learning, results={}, tables={}),
        },
    )
    terms = " ".join(_terms(apparatus.glossary_frame(trimmed, Text("en"))))
    assert "Difference-in-differences" not in terms
    assert "d_z" not in terms and "g_av" not in terms and "Hake" not in terms
    assert "AR(1)" in terms, "the interrupted time series still needs it"


def test_glossary_explains_bonferroni_only_when_a_recommendation_cites_it(did_report):
    """helpers.analysis.recommendations: only the weakest-method rule uses a Bonferroni correction."""
    cited = SimpleNamespace(actions=(SimpleNamespace(rule="weak_method"),), gaps=())
    silent = SimpleNamespace(actions=(SimpleNamespace(rule="jp_target"),), gaps=())
    for plan, expected in ((cited, True), (silent, False)):
        report = dataclasses.replace(did_report, recommendations=plan)
        terms = " ".join(_terms(apparatus.glossary_frame(report, Text("id"))))
        assert ("Bonferroni" in terms) is expected


def test_glossary_term_uses_the_table_header_the_reader_sees(did_report):
    for lang in ("id", "en"):
        t = Text(lang)
        terms = _terms(apparatus.glossary_frame(did_report, t))
        for column in ("top2", "level_change", "slope_change", "unsur"):
            assert t.column(column) in terms


def test_glossary_grade_bands_agree_with_the_ikm_classification(did_report):
    """Reference: helpers.evaluation.ikm_category (PermenPANRB 14/2017 bands)."""
    frame = apparatus.glossary_frame(did_report, Text("en"))
    meaning = frame[frame.iloc[:, 0].str.startswith("Service grade")].iloc[0, 1]
    bands = re.findall(r"([ABCD]) \([^)]*\) (\d+\.\d\d)–(\d+\.\d\d)", meaning)
    assert [b[0] for b in bands] == ["A", "B", "C", "D"]
    for code, low, high in bands:
        assert ikm_category(float(low)).code == code and ikm_category(float(high)).code == code
        if code != "D":
            assert ikm_category(round(float(low) - 0.01, 2)).code != code


def test_glossary_numbers_follow_the_report_settings_and_language(did_report):
    settings = load_settings({"participation": {"jp_minutes": 40}})
    report = dataclasses.replace(did_report, data=dataclasses.replace(did_report.data, settings=settings))
    frame = apparatus.glossary_frame(report, Text("id"))
    jp = frame[frame.iloc[:, 0] == "JP (jam pelajaran)"].iloc[0, 1]
    assert "40 menit" in jp
    p = frame[frame.iloc[:, 0] == "p (nilai p)"].iloc[0, 1]
    assert "0,05" in p


# ------------------------------------------------------------------ reading guide


def test_reading_guide_example_is_the_format_of_the_headline_numbers():
    """Reference: helpers.present.headlines.indicator_value, which writes every headline number."""
    for lang in ("id", "en"):
        t = Text(lang)
        shown = indicator_value(
            {"id": "x", "status": "ok", "estimate": 3.96, "ci_low": 3.88, "ci_high": 4.04, "n": 451, "scale": "value"},
            t,
        )
        guide = apparatus.reading_guide(t, min_cell=5)
        assert f"«{shown}»" in guide[0]
        assert any("■" in p and " 5 " in p for p in guide)
        assert any(p.startswith("–") for p in guide)
        assert any(f"«{t('metrics.status.not_collected')}»" in p for p in guide)
    assert "1.234,5" in " ".join(apparatus.reading_guide(Text("id")))
    assert "1,234.5" in " ".join(apparatus.reading_guide(Text("en")))


# ------------------------------------------------------------------ data sources


def test_data_sources_count_the_region_rows_of_every_table(sample_data, did_report):
    """Reference: the processed tables filtered to the region by hand."""
    rid = did_report.region_id
    frame = apparatus.data_sources_frame(did_report, Text("en"))
    rows = dict(zip(frame.iloc[:, 0], frame.iloc[:, 3], strict=True))
    programs = sample_data.tables["programs"]
    region_programs = set(programs.loc[programs["region_id"] == rid, "program_id"])
    tests = sample_data.tables["tests"]
    assert rows["Pre- and post-tests"] == int(tests["program_id"].isin(region_programs).sum())
    skm = sample_data.tables["skm"]
    assert rows["The community satisfaction survey (SKM)"] == int((skm["region_id"] == rid).sum())
    assert len(frame) == 9 and not frame["not_collected"].any()


def test_data_sources_say_not_collected_never_zero(sample_data, did_report):
    without = dataclasses.replace(
        sample_data, tables={k: v for k, v in sample_data.tables.items() if k not in ("skm", "followup")}
    )
    report = build_region_report(without, did_report.region_id)
    t = Text("id")
    frame = apparatus.data_sources_frame(report, t)
    flagged = frame.set_index(frame.columns[0])
    assert flagged.loc["Survei kepuasan masyarakat (SKM)", "not_collected"]
    assert pd.isna(flagged.loc["Survei kepuasan masyarakat (SKM)", frame.columns[3]])
    html = table_html(frame)
    assert html.count(t("metrics.status.not_collected")) >= 2
    limits = apparatus.limitations(report, t)
    assert any(t.table("skm") in p and "tidak dikumpulkan" in p for p in limits)


# ------------------------------------------------------------------ limitations


def test_limitations_lead_with_synthetic_data_and_always_warn_against_causal_reading(did_report):
    for lang, synthetic, causal in (("id", "sintetis", "sebab-akibat"), ("en", "synthetic", "cause and effect")):
        limits = apparatus.limitations(did_report, Text(lang))
        assert synthetic in limits[0] and did_report.region["name"] in limits[0]
        assert any(causal in p for p in limits)
        assert any("d_z" in p for p in limits), "d_z ignores clustering: said as a limitation"
        assert any("parallel" in p or "sejajar" in p for p in limits), "DiD's parallel trends"


def test_limitations_of_real_data_do_not_call_it_synthetic(sample_data, did_report):
    real = dataclasses.replace(sample_data, manifest={**sample_data.manifest, "synthetic": False})
    report = build_region_report(real, did_report.region_id)
    assert not any("synthetic" in p for p in apparatus.limitations(report, Text("en")))


# ------------------------------------------------------------------ cross-region summary


def test_summary_glossary_names_the_pooling_statistics_in_both_languages():
    for lang in ("id", "en"):
        terms = " ".join(_terms(apparatus.summary_glossary_frame(Text(lang))))
        for word in ("τ²", "I²", "Hartung-Knapp-Sidik-Jonkman", "Paule-Mandel", "IK 95%" if lang == "id" else "95% CI"):
            assert word in terms, (lang, word)


def test_summary_glossary_follows_the_summary_it_belongs_to():
    unpooled = CrossRegion(regions=(), missing=(), pooled=None, pooling_method="dl", min_cell=5)
    terms = " ".join(_terms(apparatus.summary_glossary_frame(Text("en"), unpooled)))
    assert "τ²" not in terms and "Hartung" not in terms and "DerSimonian" not in terms
    pooled = dataclasses.replace(unpooled, pooled=SimpleNamespace(df=None))  # pooled, z interval
    terms = " ".join(_terms(apparatus.summary_glossary_frame(Text("en"), pooled)))
    assert "DerSimonian-Laird" in terms and "Paule-Mandel" not in terms


# ------------------------------------------------------------------ catalogue


def _leaves(node, prefix):
    assert isinstance(node, dict), f"{prefix}: expected id/en, found {node!r}"
    if "id" in node or "en" in node:
        yield prefix, node
        return
    for key, child in node.items():
        yield from _leaves(child, f"{prefix}.{key}")


def test_every_apparatus_message_has_indonesian_and_english_with_the_same_placeholders():
    catalogue = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    leaves = list(_leaves(catalogue["messages"]["apparatus"], "apparatus"))
    assert len(leaves) > 100
    for key, entry in leaves:
        assert set(entry) == {"id", "en"}, key
        assert all(isinstance(v, str) and v.strip() for v in entry.values()), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in ("id", "en")]
        assert fields[0] == fields[1], key


def test_every_glossary_entry_and_data_table_has_its_words():
    catalogue = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))["messages"]["apparatus"]
    for term in apparatus.GLOSSARY + apparatus.SUMMARY_GLOSSARY:
        entry = catalogue["glossary"][term.key]
        assert "meaning" in entry and (term.label is not None or "term" in entry), term.key
    assert {table for table, _ in apparatus.SOURCES} == set(catalogue["sources"]["measures"])


# ------------------------------------------------------------------ provenance


def test_manifest_hash_is_the_sha256_of_the_processed_manifest_file(sample_data, use_root):
    prov = collect(sample_data, PARAMS, root=use_root)
    manifest = use_root / "data" / "processed" / "sample" / "manifest.json"
    assert prov.manifest_sha256 == hashlib.sha256(manifest.read_bytes()).hexdigest()


def test_manifest_hash_is_unknown_when_the_file_is_not_the_one_the_report_read(sample_data, tmp_path):
    folder = tmp_path / "data" / "processed" / "sample"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({**sample_data.manifest, "dataset": "other"}), encoding="utf-8")
    assert collect(sample_data, PARAMS, root=tmp_path).manifest_sha256 is None


def test_input_hashes_are_the_raw_files_sha256_by_relative_name(sample_data, use_root):
    prov = collect(sample_data, PARAMS, root=use_root)
    assert prov.inputs_kind == "raw" and len(prov.inputs) == 9
    for name, digest in prov.inputs:
        assert not os.path.isabs(name)
        assert digest == hashlib.sha256((SAMPLE_RAW / name).read_bytes()).hexdigest()


def test_git_commit_is_head_of_the_checkout(sample_data):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    if head.returncode != 0:
        pytest.skip("the project is not a git checkout")
    prov = collect(sample_data, PARAMS, root=REPO)
    assert prov.git_commit == head.stdout.strip()
    assert isinstance(prov.git_dirty, bool)


def test_the_code_commit_is_known_even_when_the_data_root_is_not_a_checkout(sample_data, use_root):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    if head.returncode != 0:
        pytest.skip("the project is not a git checkout")
    assert collect(sample_data, PARAMS).git_commit == head.stdout.strip()  # ASN_EVAL_ROOT: a temporary root


def test_git_commit_is_unknown_in_a_folder_without_a_repository(sample_data, use_root, tmp_path, monkeypatch):
    if (
        shutil.which("git")
        and subprocess.run(["git", "-C", str(use_root), "rev-parse"], capture_output=True).returncode == 0
    ):
        pytest.skip("the temporary folder lies inside a git repository")
    monkeypatch.setattr(provenance, "CODE_DIR", tmp_path)  # as if installed from a wheel, not a checkout
    prov = collect(sample_data, PARAMS)  # the session's ASN_EVAL_ROOT: a temporary project root
    assert prov.git_commit is None and prov.git_dirty is None
    values = provenance_frame(prov, Text("id")).iloc[:, 1].tolist()
    assert values.count("tidak diketahui") == 2


def test_a_hanging_or_missing_git_never_stops_the_render(sample_data, tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text(f"#!/bin/sh\n{shutil.which('sleep')} 30\n")  # git, then a helper, hang
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    monkeypatch.setattr(provenance, "GIT_TIMEOUT", 0.2)
    started = datetime.now()
    assert collect(sample_data, PARAMS, root=REPO).git_commit is None
    assert (datetime.now() - started).total_seconds() < 10
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert collect(sample_data, PARAMS, root=REPO).git_commit is None


@pytest.mark.parametrize(("region", "lang"), [("salatiga", "id"), ("plaju", "en"), (None, "en")])
def test_reproduce_commands_parse_with_the_real_command_line(sample_data, region, lang):
    params = {"dataset": "sample", "lang": lang, **({"region": region} if region else {})}
    ingest, report = collect(sample_data, params).commands
    args = _parser().parse_args(shlex.split(ingest)[1:])
    assert (args.command, args.dataset) == ("ingest", "sample")
    args = _parser().parse_args(shlex.split(report)[1:])
    assert (args.command, args.dataset, args.lang) == ("report", "sample", lang)
    assert args.region == ([region] if region else None) and args.all is (region is None)
    assert shlex.split(report)[0] == shlex.split(ingest)[0] == "asn-eval"


def test_render_time_is_timezone_aware_iso_8601_and_worded_per_language(sample_data):
    wib = timezone(timedelta(hours=7))
    prov = collect(sample_data, PARAMS, now=datetime(2024, 3, 5, 10, 22, 13, tzinfo=wib))
    assert prov.rendered_at == "2024-03-05T10:22:13+07:00"
    assert datetime.fromisoformat(collect(sample_data, PARAMS).rendered_at).tzinfo is not None
    assert "5 Maret 2024, pukul 10.22.13 UTC+07:00" in provenance_frame(prov, Text("id")).iloc[:, 1].tolist()
    assert "5 March 2024, 10:22:13 UTC+07:00" in provenance_frame(prov, Text("en")).iloc[:, 1].tolist()


def test_provenance_holds_no_absolute_path_and_no_nip(sample_data, use_root):
    params = {
        **PARAMS,
        "output_dir": str(use_root / "reports" / "sample" / ".salatiga.tmp-x"),
        "source": str(use_root / "data" / "raw" / "sample"),
        "note": "199001012015031001",
    }
    prov = collect(sample_data, params, root=use_root)
    assert "output_dir" not in prov.as_dict()["parameters"]
    for lang in ("id", "en"):
        frame = provenance_frame(prov, Text(lang))
        for cell in frame.to_numpy().ravel():
            text = str(cell)
            assert not NIP_LIKE.search(text), text
            assert not ABSOLUTE_PATH.search(text), text
            assert str(use_root) not in text and str(REPO) not in text, text
    assert json.loads(json.dumps(prov.as_dict())) == prov.as_dict()


def test_provenance_lists_the_software_the_numbers_depend_on(sample_data):
    versions = collect(sample_data, PARAMS).as_dict()["versions"]
    for name in ("python", "asn-eval", "pandas", "numpy", "scipy", "statsmodels", "papermill", "weasyprint"):
        assert name in versions
    assert versions["pandas"] == pd.__version__
