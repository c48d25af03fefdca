"""Draw the synthetic sample dataset from the catalogue, in the raw contract format.

The output is byte-for-byte reproducible for a given seed: one ``numpy.random.Generator`` drawn
in a fixed order, fixed float formatting, ``\\n`` line endings.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import yaml

from ..ingest.contract import TABLES
from .catalogue import (
    ABSENCE_REASONS,
    BARRIERS,
    COMPLETION_LOGIT,
    DEFAULT_SEED,
    EDUCATION,
    FIRST_NAMES,
    GAIN_BY_METHOD,
    GRADES,
    INCENTIVE_LOG_OR,
    LAST_NAMES,
    LIKERT_ID,
    PLANTED_VIOLATIONS,
    POSITION_TYPES,
    PROGRAM_GAIN_SD,
    PROGRAMS,
    QUALITATIVE,
    REACTION_ITEMS,
    REGIONS,
    SERVICE_AR1,
    SERVICE_MONTHS,
    SERVICE_SERIES,
    SKM_UNITS,
    SKM_UNSUR,
    SKM_WAVES,
    SUPERVISOR_GAP,
    SUPPORT_SLOPE,
    TESTED_METHODS,
    WORKLOAD_LOG_OR,
)
from .truths import planted_effects


def _nip(rng: np.random.Generator, birth_year: int, gender: int, serial: int) -> str:
    """Build an 18-digit NIP: birth date (8), appointment year-month (6), gender (1), serial (3)."""
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    appointed = birth_year + int(rng.integers(22, 31))
    app_month = int(rng.integers(1, 13))
    return f"{birth_year}{month:02d}{day:02d}{appointed}{app_month:02d}{gender}{serial:03d}"


def _free_serial(nip: str, taken: set[str]) -> str:
    """Return ``nip``, or the same NIP with the next free serial, and mark it taken.

    The serial numbers people who share a birth date, appointment month and gender, so no two
    ASN hold one NIP; in a large dataset two draws can meet, and the later one gets the next
    number. The sample has no such meeting: its NIPs are the ones drawn.
    """
    while nip in taken:
        nip = f"{nip[:15]}{(int(nip[15:]) + 1) % 1000:03d}"
    taken.add(nip)
    return nip


def _likert(rng: np.random.Generator, latent: float, lo: int = 1, hi: int = 5) -> int:
    return int(np.clip(np.rint(latent + rng.normal(0, 0.7)), lo, hi))


def _fmt(x: float, nd: int = 1) -> str:
    return f"{x:.{nd}f}"


def _month_index(period: str) -> int:
    y, m = period.split("-")
    return int(y) * 12 + int(m) - 1


def generate(seed: int = DEFAULT_SEED, scale: int = 1) -> dict[str, list[dict]]:
    """Return the nine raw tables as lists of row dicts (strings as a raw export holds them).

    Parameters
    ----------
    seed
        Seed of the one random generator; the same seed and scale give the same rows.
    scale
        How many times the sample's civil servants each of the same four regions has
        (``1``: the bundled sample, drawn exactly as before scaling existed). A region with
        ``scale`` times the ASN runs each catalogue programme as ``scale`` cohorts (*angkatan*,
        ids ``SAL-2023-01-A1`` ...), so a class keeps the sample's size, each cohort has its own
        dates, cost and programme effect, and people fill the cohorts of a programme in turn.
        Enrolments, reaction forms, tests and follow-ups follow the people; IKM respondents per
        unit and wave are ``scale`` times as many (the units serve a larger population). The
        service units and their monthly series stay the same units with one row per month: the
        evaluation follows the units the training targeted and their comparison units, a number
        set by its design, not by head count. Interviews (qualitative) stay as they are. Every
        planted truth (:mod:`helpers.synth.truths`) holds at any scale: people choose among
        the same programmes with the same probabilities, and cohort effects have the same law.
    """
    if scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    rng = np.random.default_rng(seed)
    tables: dict[str, list[dict]] = {k: [] for k in TABLES}
    serial = 0
    nips: set[str] = set()
    for region in REGIONS:
        programs, effects = [], {}  # programs[i]: the cohorts of catalogue programme i
        for i, (title, topic, method, delivery, partner, jp, incentive) in enumerate(
            PROGRAMS[region.id][: region.n_programs]
        ):
            year = 2023 + i % 3
            cohorts = []
            for c in range(scale):
                start_month = 2 + int(rng.integers(0, 8))
                start = f"{year}-{start_month:02d}-{int(rng.integers(1, 20)):02d}"
                end_day = int(start[-2:]) + min(9, jp // 4)
                end = f"{year}-{start_month:02d}-{end_day:02d}"
                pid = f"{region.id[:3].upper()}-{year}-{i + 1:02d}" + (f"-A{c + 1}" if scale > 1 else "")
                prog = {
                    "program_id": pid,
                    "region_id": region.id,
                    "title": title + (f" (Angkatan {c + 1})" if scale > 1 else ""),
                    "topic": topic,
                    "method": method,
                    "delivery": delivery,
                    "partner": partner,
                    "start_date": start,
                    "end_date": end,
                    "jp": str(jp),
                    "incentive": incentive,
                    "cost_idr": str(int(jp * rng.integers(150, 400)) * 1000),
                }
                cohorts.append(prog)
                effects[pid] = float(rng.normal(0, PROGRAM_GAIN_SD))
            programs.append(cohorts)
        tables["programs"].extend(prog for cohorts in programs for prog in cohorts)

        people = []
        for _ in range(region.n_participants * scale):
            serial += 1
            gender = int(rng.integers(1, 3))
            birth_year = int(rng.integers(1968, 1998))
            nip = _free_serial(_nip(rng, birth_year, gender, serial % 1000), nips)
            name = (
                f"{FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]} {LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]}"
            )
            person = {
                "nip": nip,
                "name": name,
                "region_id": region.id,
                "agency": region.agencies[int(rng.integers(len(region.agencies)))],
                "grade": GRADES[int(rng.integers(len(GRADES)))],
                "position_type": POSITION_TYPES[int(rng.integers(3))],
                "gender": "L" if gender == 1 else "P",
                "birth_year": str(birth_year),
                "education": EDUCATION[int(rng.integers(len(EDUCATION)))],
            }
            people.append(person)
            # latent traits: general satisfaction, supervisor support at work
            person["_sat"] = rng.normal(0, 0.6)
            person["_support"] = float(np.clip(rng.normal(3.4, 0.9), 1, 5))
            person["_workload"] = int(np.clip(np.rint(rng.normal(3.2, 1.0)), 1, 5))
        tables["participants"].extend({k: v for k, v in p.items() if not k.startswith("_")} for p in people)

        for k, person in enumerate(people):
            n_prog = int(rng.integers(1, 4))
            chosen = rng.choice(len(programs), size=min(n_prog, len(programs)), replace=False)
            for j in sorted(int(c) for c in chosen):
                prog = programs[j][k % scale]  # people fill a programme's cohorts in turn
                conflict = rng.random() < region.conflict_rate
                incentive = prog["incentive"] == "ya"
                logit = (
                    COMPLETION_LOGIT
                    + (region.conflict_log_or if conflict else 0.0)
                    + (INCENTIVE_LOG_OR if incentive else 0.0)
                    + WORKLOAD_LOG_OR * (person["_workload"] - 3)
                )
                completed = rng.random() < 1 / (1 + np.exp(-logit))
                no_show = (not completed) and rng.random() < 0.3
                sessions_total = max(2, int(prog["jp"]) // 4)
                if completed:
                    attended = sessions_total - int(rng.integers(0, 2))
                    status = "completed"
                elif no_show:
                    attended, status = 0, "no_show"
                else:
                    attended, status = int(rng.integers(1, max(2, sessions_total // 2 + 1))), "dropped"
                tables["enrollments"].append(
                    {
                        "nip": person["nip"],
                        "program_id": prog["program_id"],
                        "status": status,
                        "sessions_attended": str(attended),
                        "sessions_total": str(sessions_total),
                        "schedule_conflict": "ya" if conflict else "tidak",
                        "workload": str(person["_workload"]),
                        "absence_reason": ABSENCE_REASONS[0 if conflict else int(rng.integers(1, 5))]
                        if status != "completed"
                        else "",
                    }
                )
                if status != "completed":
                    continue
                # Level 1: reaction (Google-Forms-like Indonesian labels)
                base = 3.9 + person["_sat"] + (0.3 if prog["method"] == "project_based" else 0.0)
                row = {
                    "nip": person["nip"],
                    "program_id": prog["program_id"],
                    "submitted_at": f"{prog['end_date']} {int(rng.integers(8, 17)):02d}:"
                    f"{int(rng.integers(0, 60)):02d}:00",
                }
                for item in REACTION_ITEMS:
                    shift = -0.5 if (item == "schedule" and conflict) else 0.0
                    row[item] = LIKERT_ID[_likert(rng, base + shift)]
                row["comment"] = ""
                tables["reaction"].append(row)
                # Level 2: pre/post test for tested methods
                if prog["method"] in TESTED_METHODS:
                    pre = float(np.clip(rng.normal(55, 12), 5, 95))
                    gain = GAIN_BY_METHOD[prog["method"]] + region.learning_offset + effects[prog["program_id"]]
                    post = float(np.clip(pre + gain + rng.normal(0, 8), 0, 100))
                    pre_s, post_s = _fmt(pre), _fmt(post)
                    if region.id == "plaju":  # typed by hand in a Sheets id_ID locale
                        pre_s, post_s = pre_s.replace(".", ","), post_s.replace(".", ",")
                    tables["tests"].append(
                        {
                            "nip": person["nip"],
                            "program_id": prog["program_id"],
                            "test_date": prog["end_date"],
                            "pre_score": pre_s,
                            "post_score": post_s,
                        }
                    )
                # Level 3: follow-up at 3 and 6 months
                for months in (3, 6):
                    if rng.random() < 0.25:
                        continue
                    support = person["_support"]
                    self_app = 1.8 + SUPPORT_SLOPE * support + rng.normal(0, 0.6)
                    sup_app = self_app - SUPERVISOR_GAP + rng.normal(0, 0.5)
                    tables["followup"].append(
                        {
                            "nip": person["nip"],
                            "program_id": prog["program_id"],
                            "months_after": str(months),
                            "application_self": str(int(np.clip(np.rint(self_app), 1, 5))),
                            "application_supervisor": str(int(np.clip(np.rint(sup_app), 1, 5))),
                            "supervisor_support": str(int(np.clip(np.rint(support), 1, 5))),
                            "colleague_support": str(int(np.clip(np.rint(rng.normal(3.6, 0.8)), 1, 5))),
                            "barrier": BARRIERS[int(rng.integers(len(BARRIERS)))],
                        }
                    )

        for source, theme, excerpt in QUALITATIVE[region.id]:
            tables["qualitative"].append({"region_id": region.id, "source": source, "theme": theme, "excerpt": excerpt})

    # Level 4: monthly service series
    for region_id, unit, indicator, base, slope, trained_from, level, slope_change, sd in SERVICE_SERIES:
        noise = 0.0
        for t, period in enumerate(SERVICE_MONTHS):
            # AR(1) noise with marginal sd ``sd``: e_t = phi e_(t-1) + sqrt(1 - phi^2) sd z_t.
            innovation = rng.normal(0, sd)
            noise = innovation if t == 0 else SERVICE_AR1 * noise + (1 - SERVICE_AR1**2) ** 0.5 * innovation
            after = trained_from != "" and _month_index(period) >= _month_index(trained_from)
            # Months since the last pre-training month (t - t0): the Lopez Bernal et al. (2017)
            # parametrisation, so the planted level change is the model's level-change term.
            since = _month_index(period) - _month_index(trained_from) + 1 if after else 0
            value = base + slope * t + (level + slope_change * since if after else 0.0) + noise
            tables["service"].append(
                {
                    "region_id": region_id,
                    "unit": unit,
                    "indicator": indicator,
                    "period": period,
                    "value": _fmt(max(value, 0.1), 2),
                    "n_cases": str(int(rng.integers(80, 400))),
                    "trained_from": trained_from,
                }
            )

    # IKM survey respondents, unsur scores 1-4
    # Their profile (gender, age, education, occupation) comes from a generator of its own, so
    # that adding it left every other number of the sample as it was.
    profile_rng = np.random.default_rng([seed, SKM_PROFILE_STREAM])
    for region in REGIONS:
        for unit in SKM_UNITS[region.id]:
            for period, shift in SKM_WAVES:
                for _ in range(int(rng.integers(90, 140)) * scale):
                    person_level = rng.normal(2.9 + shift, 0.35)
                    row = {"region_id": region.id, "unit": unit, "period": period}
                    for u in SKM_UNSUR:
                        # Biaya/Tarif is often left blank where a service is free.
                        if u == "u4" and rng.random() < 0.1:
                            row[u] = ""
                        else:
                            row[u] = str(int(np.clip(np.rint(person_level + rng.normal(0, 0.45)), 1, 4)))
                    row.update(_skm_respondent(profile_rng))
                    tables["skm"].append(row)

    _plant_bad_rows(tables)
    return tables


#: Seed part of the SKM respondents' profile generator (``default_rng([seed, SKM_PROFILE_STREAM])``).
SKM_PROFILE_STREAM = 7177
#: The profile answers of an SKM form as an export writes them (PermenPANRB 14/2017: jenis kelamin,
#: usia in years, pendidikan, pekerjaan), with their shares among the sample's respondents. Rare
#: answers (S3, D1, TNI ...) give the report small cells to suppress.
SKM_GENDER = {"Laki-laki": 0.47, "Perempuan": 0.51, "": 0.02}
SKM_EDUCATION = {
    "SD": 0.07,
    "SMP": 0.11,
    "SMA": 0.36,
    "D1": 0.01,
    "D2": 0.01,
    "D3": 0.09,
    "D4": 0.03,
    "S1": 0.25,
    "S2": 0.05,
    "S3": 0.01,
    "": 0.01,
}
SKM_OCCUPATION = {
    "PNS": 0.12,
    "TNI": 0.02,
    "POLRI": 0.02,
    "Swasta": 0.29,
    "Wiraswasta": 0.25,
    "Pelajar/Mahasiswa": 0.10,
    "Lainnya": 0.19,
    "": 0.01,
}
SKM_AGE_BLANK = 0.03


def _skm_respondent(rng: np.random.Generator) -> dict[str, str]:
    """One SKM respondent's profile answers (blank where the respondent skipped the question)."""

    def pick(shares: dict[str, float]) -> str:
        labels = list(shares)
        return labels[int(rng.choice(len(labels), p=np.array(list(shares.values())) / sum(shares.values())))]

    age = int(np.clip(np.rint(rng.normal(40, 13)), 17, 80))
    return {
        "gender": pick(SKM_GENDER),
        "age": "" if rng.random() < SKM_AGE_BLANK else str(age),
        "education": pick(SKM_EDUCATION),
        "occupation": pick(SKM_OCCUPATION),
    }


def _plant_bad_rows(tables: dict[str, list[dict]]) -> None:
    """Break the contract in a few documented places so quarantine is exercised on every run."""
    tables["reaction"][3]["overall"] = "Sangat Bagus"  # not a label of the declared scale
    tables["tests"][5]["post_score"] = "105"  # above the 0-100 range
    bad_enrol = dict(tables["enrollments"][0])
    bad_enrol["program_id"] = "SAL-2099-99"  # no such programme
    tables["enrollments"].append(bad_enrol)
    bad_person = dict(tables["participants"][1])
    bad_person["nip"] = bad_person["nip"][:-1]  # 17 digits
    bad_person["name"] = "Contoh Salah Ketik"
    tables["participants"].append(bad_person)


def _to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


#: What a partner adds to a region in dataset.yml: its own partner office on the cover, and
#: its own owner of a follow-up action (a provincial BPSDM trains DKI's civil servants).
SAMPLE_REGION_EXTRAS = {
    "salatiga": {"partner": "BKPSDM Kota Salatiga (contoh)"},
    "plaju": {"partner": "BKPSDM Kota Palembang (contoh)"},
    "dki-jakarta": {
        "partner": "BPSDM Provinsi DKI Jakarta (contoh)",
        "analysis": {"recommendations": {"jp_target": {"owner": "BPSDM Provinsi DKI Jakarta"}}},
    },
    "sawahlunto": {"partner": "BKPSDM Kota Sawahlunto (contoh)"},
}


def dataset_yaml(seed: int, scale: int = 1) -> dict:
    """Describe the sample dataset: the contract's ``dataset.yml``.

    A scaled dataset (``scale`` > 1, see :func:`generate`) is named ``sample-x<scale>``, so that
    ingesting it never overwrites the sample's processed data.
    """
    return {
        "name": _name(scale),
        "title": "Data sampel sintetis / Synthetic sample data" + (f" (x{scale})" if scale > 1 else ""),
        "synthetic": True,
        "seed": seed,
        "generator": "asn-eval synth (helpers.synth)",
        "pseudonym_key": "demo",
        "period": {"start": "2023-01-01", "end": "2025-12-31"},
        # Cover lines and follow-up owners, as a partner would write them (sample wording).
        "authoring_unit": "Tim Evaluasi Pelatihan ASN (contoh untuk data sintetis)",
        "partner": "BKPSDM (contoh)",
        "regions": [
            {
                "id": r.id,
                "name": r.name,
                "level": r.level,
                "province": r.province,
                "kemendagri_code": r.code,
                **SAMPLE_REGION_EXTRAS.get(r.id, {}),
            }
            for r in REGIONS
        ],
        "skm_unsur": dict(SKM_UNSUR),
        "files": {t: f"{t}.csv" for t in TABLES},
        "likert": {item: "agreement" for item in REACTION_ITEMS},
        "planted_effects": planted_effects(),
        "planted_violations": PLANTED_VIOLATIONS,
    }


def _name(scale: int) -> str:
    return "sample" if scale == 1 else f"sample-x{scale}"


def write_dataset(out: Path, seed: int = DEFAULT_SEED, scale: int = 1) -> list[Path]:
    """Write the synthetic dataset into ``out`` (created if missing); return the files written.

    ``scale`` multiplies the civil servants of each region (:func:`generate`); 1 is the sample.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    header = (
        "# Synthetic data generated by `asn-eval synth`; NOT real people or real regions' results.\n"
        f"# Regenerate with: asn-eval synth --out data/raw/{_name(scale)} --seed {seed}"
        + (f" --scale {scale}" if scale > 1 else "")
        + "\n"
    )
    text = header + yaml.safe_dump(dataset_yaml(seed, scale), sort_keys=False, allow_unicode=True, width=100)
    path = out / "dataset.yml"
    path.write_text(text, encoding="utf-8", newline="\n")
    written.append(path)
    for name, rows in generate(seed, scale).items():
        path = out / f"{name}.csv"
        path.write_text(_to_csv(rows), encoding="utf-8", newline="\n")
        written.append(path)
    return written
