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


def _likert(rng: np.random.Generator, latent: float, lo: int = 1, hi: int = 5) -> int:
    return int(np.clip(np.rint(latent + rng.normal(0, 0.7)), lo, hi))


def _fmt(x: float, nd: int = 1) -> str:
    return f"{x:.{nd}f}"


def _month_index(period: str) -> int:
    y, m = period.split("-")
    return int(y) * 12 + int(m) - 1


def generate(seed: int = DEFAULT_SEED) -> dict[str, list[dict]]:
    """Return the nine raw tables as lists of row dicts (strings as a raw export holds them)."""
    rng = np.random.default_rng(seed)
    tables: dict[str, list[dict]] = {k: [] for k in TABLES}
    serial = 0
    for region in REGIONS:
        programs, effects = [], {}
        for i, (title, topic, method, delivery, partner, jp, incentive) in enumerate(
            PROGRAMS[region.id][: region.n_programs]
        ):
            year = 2023 + i % 3
            start_month = 2 + int(rng.integers(0, 8))
            start = f"{year}-{start_month:02d}-{int(rng.integers(1, 20)):02d}"
            end_day = int(start[-2:]) + min(9, jp // 4)
            end = f"{year}-{start_month:02d}-{end_day:02d}"
            pid = f"{region.id[:3].upper()}-{year}-{i + 1:02d}"
            prog = {
                "program_id": pid,
                "region_id": region.id,
                "title": title,
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
            programs.append(prog)
            effects[pid] = float(rng.normal(0, PROGRAM_GAIN_SD))
        tables["programs"].extend(programs)

        people = []
        for _ in range(region.n_participants):
            serial += 1
            gender = int(rng.integers(1, 3))
            birth_year = int(rng.integers(1968, 1998))
            nip = _nip(rng, birth_year, gender, serial % 1000)
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

        for person in people:
            n_prog = int(rng.integers(1, 4))
            chosen = rng.choice(len(programs), size=min(n_prog, len(programs)), replace=False)
            for j in sorted(int(c) for c in chosen):
                prog = programs[j]
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
    for region in REGIONS:
        for unit in SKM_UNITS[region.id]:
            for period, shift in SKM_WAVES:
                for _ in range(int(rng.integers(90, 140))):
                    person_level = rng.normal(2.9 + shift, 0.35)
                    row = {"region_id": region.id, "unit": unit, "period": period}
                    for u in SKM_UNSUR:
                        # Biaya/Tarif is often left blank where a service is free.
                        if u == "u4" and rng.random() < 0.1:
                            row[u] = ""
                        else:
                            row[u] = str(int(np.clip(np.rint(person_level + rng.normal(0, 0.45)), 1, 4)))
                    tables["skm"].append(row)

    _plant_bad_rows(tables)
    return tables


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


def dataset_yaml(seed: int) -> dict:
    """Describe the sample dataset: the contract's ``dataset.yml``."""
    return {
        "name": "sample",
        "title": "Data sampel sintetis / Synthetic sample data",
        "synthetic": True,
        "seed": seed,
        "generator": "asn-eval synth (helpers.synth)",
        "pseudonym_key": "demo",
        "period": {"start": "2023-01-01", "end": "2025-12-31"},
        "regions": [
            {"id": r.id, "name": r.name, "level": r.level, "province": r.province, "kemendagri_code": r.code}
            for r in REGIONS
        ],
        "skm_unsur": dict(SKM_UNSUR),
        "files": {t: f"{t}.csv" for t in TABLES},
        "likert": {item: "agreement" for item in REACTION_ITEMS},
        "planted_effects": planted_effects(),
        "planted_violations": PLANTED_VIOLATIONS,
    }


def write_dataset(out: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the synthetic dataset into ``out`` (created if missing); return the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    header = (
        "# Synthetic data generated by `asn-eval synth`; NOT real people or real regions' results.\n"
        "# Regenerate with: asn-eval synth --out data/raw/sample --seed " + str(seed) + "\n"
    )
    text = header + yaml.safe_dump(dataset_yaml(seed), sort_keys=False, allow_unicode=True, width=100)
    path = out / "dataset.yml"
    path.write_text(text, encoding="utf-8", newline="\n")
    written.append(path)
    for name, rows in generate(seed).items():
        path = out / f"{name}.csv"
        path.write_text(_to_csv(rows), encoding="utf-8", newline="\n")
        written.append(path)
    return written
