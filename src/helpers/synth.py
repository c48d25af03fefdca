"""Seeded generator of the synthetic sample dataset, in the raw contract format (DESIGN §3).

The data is invented. Effects are planted on purpose so that tests can check that the analyses
recover them; ``PLANTED`` lists them and is written into ``dataset.yml``. A handful of rows break
the contract on purpose (``BAD_ROWS``) so that every run exercises quarantine, and participants
carry names and 18-digit NIPs so that every run exercises pseudonymisation.

The output is byte-for-byte reproducible for a given seed: one ``numpy.random.Generator`` drawn
in a fixed order, fixed float formatting, ``\\n`` line endings.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

DEFAULT_SEED = 20261123

LIKERT_ID = {1: "Sangat Tidak Setuju", 2: "Tidak Setuju", 3: "Netral", 4: "Setuju", 5: "Sangat Setuju"}
REACTION_ITEMS = ("relevance", "instructor", "method", "facilities", "schedule", "overall")
SKM_UNSUR = {
    "u1": "Persyaratan",
    "u2": "Sistem, Mekanisme dan Prosedur",
    "u3": "Waktu Penyelesaian",
    "u4": "Biaya/Tarif",
    "u5": "Produk Spesifikasi Jenis Pelayanan",
    "u6": "Kompetensi Pelaksana",
    "u7": "Perilaku Pelaksana",
    "u8": "Penanganan Pengaduan, Saran dan Masukan",
    "u9": "Sarana dan Prasarana",
}


@dataclass(frozen=True)
class RegionSpec:
    id: str
    name: str
    level: str
    province: str
    code: str
    n_participants: int
    n_programs: int
    agencies: tuple[str, ...]
    learning_offset: float  # points added to every gain in this region
    conflict_rate: float  # share of enrollments with a schedule conflict
    conflict_log_or: float  # effect of a conflict on the log-odds of completing


REGIONS = (
    RegionSpec("salatiga", "Kota Salatiga", "kota", "Jawa Tengah", "33.73", 260, 9,
               ("DPMPTSP", "Dinas Lingkungan Hidup", "Bappeda", "Dinas Kesehatan", "Sekretariat Daerah"),
               2.0, 0.15, -0.5),
    RegionSpec("plaju", "Kecamatan Plaju (Kota Palembang)", "kecamatan", "Sumatera Selatan", "16.71.14", 70, 5,
               ("Sekretariat Kecamatan", "Seksi Pelayanan", "Kelurahan Plaju Ulu", "Kelurahan Bagus Kuning"),
               0.0, 0.15, -0.5),
    RegionSpec("dki-jakarta", "Provinsi DKI Jakarta", "provinsi", "DKI Jakarta", "31", 520, 12,
               ("BPKD", "Dinas Dukcapil", "Inspektorat", "BPSDM", "Dinas Pendidikan", "Bapenda"),
               1.0, 0.15, -0.5),
    RegionSpec("sawahlunto", "Kota Sawahlunto", "kota", "Sumatera Barat", "13.73", 170, 7,
               ("Sekretariat Daerah", "Dinas Pariwisata", "RSUD", "Dinas Sosial", "DPMPTSP"),
               -1.0, 0.40, -1.2),
)

# Mean learning gain (post - pre, points on 0-100) by training method, before the region offset.
GAIN_BY_METHOD = {
    "project_based": 14.0,
    "competency_based": 12.0,
    "simulation": 10.0,
    "classroom": 6.0,
    "e_learning": 5.0,
}
TESTED_METHODS = tuple(GAIN_BY_METHOD)

# Programme catalogue per region: (title, topic, method, delivery, partner, jp, incentive).
PROGRAMS = {
    "salatiga": [
        ("Pelatihan Pelayanan Perizinan Berbasis Proyek", "perizinan", "project_based", "luring", "Universitas Kristen Satya Wacana", 40, "ya"),
        ("Komunikasi Publik dan Kepuasan Masyarakat", "komunikasi", "project_based", "blended", "Universitas Kristen Satya Wacana", 24, "tidak"),
        ("Kompetensi Manajerial Pengawas", "manajerial", "competency_based", "luring", "", 32, "tidak"),
        ("Kompetensi Teknis Analis Kebijakan", "teknis", "competency_based", "luring", "", 24, "tidak"),
        ("Inovasi Kota Hijau (Green City)", "inovasi", "project_based", "blended", "Universitas Kristen Satya Wacana", 40, "ya"),
        ("Simulasi Layanan Terpadu", "pelayanan publik", "simulation", "luring", "", 16, "tidak"),
        ("Literasi Digital ASN", "digital", "e_learning", "daring", "", 12, "tidak"),
        ("Seminar Reformasi Birokrasi", "reformasi birokrasi", "seminar", "luring", "", 4, "tidak"),
        ("Lokakarya Evaluasi Program", "evaluasi", "workshop", "luring", "Universitas Kristen Satya Wacana", 8, "tidak"),
    ],
    "plaju": [
        ("Penyusunan Anggaran Keuangan Daerah Berbasis Proyek", "keuangan daerah", "project_based", "luring", "Universitas Sriwijaya", 32, "tidak"),
        ("Pelibatan Pemangku Kepentingan", "partisipasi", "classroom", "luring", "", 16, "tidak"),
        ("Pelayanan Administrasi Kecamatan", "pelayanan publik", "competency_based", "luring", "", 24, "tidak"),
        ("Seminar Pembelajaran Berkelanjutan", "pengembangan diri", "seminar", "luring", "Universitas Sriwijaya", 4, "tidak"),
        ("Lokakarya Tindak Lanjut Anggaran", "keuangan daerah", "workshop", "luring", "Universitas Sriwijaya", 8, "tidak"),
    ],
    "dki-jakarta": [
        ("Kompetensi Penganggaran Keuangan Daerah", "penganggaran", "competency_based", "daring", "", 32, "tidak"),
        ("Kompetensi Akuntansi Pemerintahan", "akuntansi", "competency_based", "daring", "", 32, "tidak"),
        ("Pelayanan Dokumen Kependudukan", "dukcapil", "competency_based", "blended", "", 24, "tidak"),
        ("Manajemen Kinerja Organisasi", "manajerial", "classroom", "luring", "", 16, "tidak"),
        ("Analisis Data untuk Kebijakan", "data", "e_learning", "daring", "Universitas Indonesia", 20, "tidak"),
        ("Pengadaan Barang dan Jasa", "pengadaan", "competency_based", "daring", "", 24, "tidak"),
        ("Simulasi Penanganan Pengaduan", "pengaduan", "simulation", "luring", "", 16, "tidak"),
        ("Kepemimpinan Pelayanan", "kepemimpinan", "project_based", "blended", "Universitas Indonesia", 40, "tidak"),
        ("Keamanan Informasi", "digital", "e_learning", "daring", "", 12, "tidak"),
        ("Etika dan Integritas", "etika", "classroom", "daring", "", 8, "tidak"),
        ("Seminar Transformasi Digital", "digital", "seminar", "daring", "", 4, "tidak"),
        ("Lokakarya Laporan Keuangan", "akuntansi", "workshop", "luring", "", 8, "tidak"),
    ],
    "sawahlunto": [
        ("Manajemen Pelayanan Publik", "pelayanan publik", "simulation", "luring", "Universitas Andalas", 24, "ya"),
        ("Etos Kerja dan Budaya Melayani", "etika", "classroom", "luring", "", 16, "tidak"),
        ("Teori dan Simulasi Penanganan Pengaduan", "pengaduan", "simulation", "luring", "Universitas Andalas", 24, "ya"),
        ("Kompetensi Manajerial Dasar", "manajerial", "competency_based", "luring", "", 24, "tidak"),
        ("Survei Kepuasan Masyarakat", "SKM", "classroom", "luring", "", 12, "tidak"),
        ("Pariwisata Warisan Tambang", "pariwisata", "project_based", "luring", "Universitas Andalas", 32, "ya"),
        ("Seminar Pelayanan Prima", "pelayanan publik", "seminar", "luring", "", 4, "tidak"),
    ],
}

# Monthly service indicators: (region, unit, indicator, baseline, pre_slope, trained_from,
# level_change, slope_change, noise_sd). trained_from "" marks an untrained comparison unit.
SERVICE_SERIES = (
    ("dki-jakarta", "Dukcapil", "processing_days", 7.5, 0.02, "2024-07", -1.5, -0.05, 0.25),
    ("dki-jakarta", "Dukcapil (unit pembanding)", "processing_days", 7.2, 0.02, "", 0.0, 0.0, 0.25),
    ("sawahlunto", "Layanan Pengaduan", "complaint_response_hours", 72.0, 0.1, "2024-04", -24.0, -0.3, 3.0),
    ("salatiga", "DPMPTSP", "processing_days", 12.0, 0.0, "2024-03", -3.0, -0.05, 0.6),
    ("salatiga", "DPMPTSP (izin lingkungan)", "processing_days", 14.0, 0.0, "", 0.0, 0.0, 0.6),
    ("plaju", "Pelayanan Kecamatan", "processing_days", 3.0, 0.0, "2024-06", -0.6, 0.0, 0.2),
)
SERVICE_MONTHS = [f"{y}-{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13)]

# IKM survey waves: (period, mean score shift). The "after" wave is planted higher.
SKM_WAVES = (("2023-11", 0.0), ("2025-11", 0.35))
SKM_UNITS = {
    "salatiga": ("DPMPTSP",),
    "plaju": ("Pelayanan Kecamatan",),
    "dki-jakarta": ("Dukcapil",),
    "sawahlunto": ("Layanan Pengaduan",),
}

FIRST_NAMES = ("Agus", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gita", "Hendra", "Indah", "Joko",
               "Kartika", "Lestari", "Made", "Nur", "Oktaviani", "Putu", "Rahmat", "Sari", "Taufik",
               "Utami", "Wahyu", "Yuli", "Zainal", "Rina", "Bambang", "Siti", "Andi", "Ratna")
LAST_NAMES = ("Santoso", "Wijaya", "Saputra", "Pratama", "Hidayat", "Nugroho", "Kusuma", "Siregar",
              "Harahap", "Simanjuntak", "Rahayu", "Lubis", "Putri", "Setiawan", "Halim", "Syahputra")
EDUCATION = ("SMA", "D3", "S1", "S1", "S1", "S2", "S2", "S3")
GRADES = ("II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b")
POSITION_TYPES = ("struktural", "fungsional", "pelaksana")
BARRIERS = ("", "", "", "beban kerja tinggi", "kurang dukungan atasan", "sarana terbatas",
            "tidak relevan dengan tugas")
ABSENCE_REASONS = ("bentrok jadwal dinas", "rapat pimpinan", "tugas lapangan", "sakit", "cuti")

QUALITATIVE = {
    "salatiga": [
        ("wawancara", "kurikulum", "Kurikulum dari universitas cocok dengan pekerjaan perizinan kami."),
        ("wawancara", "kepuasan masyarakat", "Setelah pelatihan komunikasi, keluhan pemohon izin berkurang."),
        ("survei", "inovasi", "Program kota hijau memberi ide untuk mengurangi kertas. Hubungi saya di 0812-3456-7890."),
        ("survei", "jadwal", "Jadwal pelatihan bertabrakan dengan pelayanan di loket."),
    ],
    "plaju": [
        ("diskusi kelompok", "materi", "Materi anggaran mudah dipraktikkan di kecamatan."),
        ("diskusi kelompok", "metode", "Metode proyek membuat kami menyusun RKA sendiri."),
        ("diskusi kelompok", "implementasi", "Di lapangan, data kelurahan belum lengkap untuk perencanaan."),
        ("survei", "pembelajaran berkelanjutan", "Mohon ada seminar lanjutan; kirim info ke staf.plaju@example.go.id."),
    ],
    "dki-jakarta": [
        ("survei", "daring", "Kelas daring fleksibel tetapi koneksi kadang terputus."),
        ("wawancara", "dukungan atasan", "Atasan memberi waktu untuk menerapkan aplikasi penganggaran."),
        ("wawancara", "dukungan rekan", "Rekan kerja membantu saat pertama memakai modul akuntansi."),
        ("survei", "layanan dokumen", "Antrian KTP lebih cepat sejak petugas dilatih."),
    ],
    "sawahlunto": [
        ("survei", "jadwal", "Saya tidak bisa hadir karena bentrok dengan tugas pelayanan."),
        ("wawancara", "insentif", "Insentif kehadiran membuat pegawai mau ikut pelatihan."),
        ("wawancara", "pengaduan", "Simulasi pengaduan membantu kami merespon lebih cepat."),
        ("survei", "etos kerja", "Pelatihan etos kerja bagus, NIP saya 198507122010011003 untuk sertifikat."),
    ],
}

PLANTED = [
    {"effect": "learning gain by method", "detail": "mean post - pre (points): "
     + ", ".join(f"{m} {g:+.0f}" for m, g in GAIN_BY_METHOD.items())
     + "; plus region offset: " + ", ".join(f"{r.id} {r.learning_offset:+.0f}" for r in REGIONS)
     + "; pre ~ N(55, 12), noise sd 8, scores clipped to 0-100"},
    {"effect": "Dukcapil document-service days, DKI Jakarta",
     "detail": "level change -1.5 days and slope change -0.05 days/month from 2024-07; "
     "untrained comparison unit has neither (difference-in-differences -1.5 at the switch)"},
    {"effect": "complaint response hours, Sawahlunto",
     "detail": "72 h before training, level change -24 h and slope change -0.3 h/month from 2024-04"},
    {"effect": "permit processing days, Salatiga DPMPTSP", "detail": "level change -3 days from 2024-03"},
    {"effect": "completion and schedule conflicts",
     "detail": "log-odds of completing fall by 1.2 (odds ratio 0.30) with a schedule conflict in Sawahlunto "
     "(conflict rate 40%), by 0.5 elsewhere (rate 15%); incentive programmes +0.6 log-odds"},
    {"effect": "IKM rise after training", "detail": "unsur scores shift up by 0.35 on the 1-4 scale "
     "between the 2023-11 and 2025-11 survey waves"},
    {"effect": "supervisor support and application",
     "detail": "application on the job (self) rises 0.4 points per point of supervisor support; "
     "supervisors rate application 0.3 points lower than staff do"},
    {"effect": "contract violations", "detail": "a few rows break the contract on purpose "
     "(unknown Likert label, score above 100, unknown programme, NIP of 17 digits) and must be quarantined"},
]


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
    tables: dict[str, list[dict]] = {k: [] for k in (
        "programs", "participants", "enrollments", "reaction", "tests", "followup",
        "service", "skm", "qualitative")}
    serial = 0
    for region in REGIONS:
        programs = []
        for i, (title, topic, method, delivery, partner, jp, incentive) in enumerate(PROGRAMS[region.id][: region.n_programs]):
            year = 2023 + i % 3
            start_month = 2 + int(rng.integers(0, 8))
            start = f"{year}-{start_month:02d}-{int(rng.integers(1, 20)):02d}"
            end_day = int(start[-2:]) + min(9, jp // 4)
            end = f"{year}-{start_month:02d}-{end_day:02d}"
            pid = f"{region.id[:3].upper()}-{year}-{i + 1:02d}"
            prog = {"program_id": pid, "region_id": region.id, "title": title, "topic": topic,
                    "method": method, "delivery": delivery, "partner": partner,
                    "start_date": start, "end_date": end, "jp": str(jp), "incentive": incentive,
                    "cost_idr": str(int(jp * rng.integers(150, 400)) * 1000)}
            programs.append(prog)
        tables["programs"].extend(programs)

        people = []
        for _ in range(region.n_participants):
            serial += 1
            gender = int(rng.integers(1, 3))
            birth_year = int(rng.integers(1968, 1998))
            nip = _nip(rng, birth_year, gender, serial % 1000)
            name = f"{FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]} {LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]}"
            person = {"nip": nip, "name": name, "region_id": region.id,
                      "agency": region.agencies[int(rng.integers(len(region.agencies)))],
                      "grade": GRADES[int(rng.integers(len(GRADES)))],
                      "position_type": POSITION_TYPES[int(rng.integers(3))],
                      "gender": "L" if gender == 1 else "P", "birth_year": str(birth_year),
                      "education": EDUCATION[int(rng.integers(len(EDUCATION)))]}
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
                logit = 1.9 + (region.conflict_log_or if conflict else 0.0) + (0.6 if incentive else 0.0) \
                    - 0.25 * (person["_workload"] - 3)
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
                tables["enrollments"].append({
                    "nip": person["nip"], "program_id": prog["program_id"], "status": status,
                    "sessions_attended": str(attended), "sessions_total": str(sessions_total),
                    "schedule_conflict": "ya" if conflict else "tidak",
                    "workload": str(person["_workload"]),
                    "absence_reason": ABSENCE_REASONS[0 if conflict else int(rng.integers(1, 5))]
                    if status != "completed" else ""})
                if status != "completed":
                    continue
                # Level 1: reaction (Google-Forms-like Indonesian labels)
                base = 3.9 + person["_sat"] + (0.3 if prog["method"] == "project_based" else 0.0)
                row = {"nip": person["nip"], "program_id": prog["program_id"],
                       "submitted_at": f"{prog['end_date']} {int(rng.integers(8, 17)):02d}:{int(rng.integers(0, 60)):02d}:00"}
                for item in REACTION_ITEMS:
                    shift = -0.5 if (item == "schedule" and conflict) else 0.0
                    row[item] = LIKERT_ID[_likert(rng, base + shift)]
                row["comment"] = ""
                tables["reaction"].append(row)
                # Level 2: pre/post test for tested methods
                if prog["method"] in TESTED_METHODS:
                    pre = float(np.clip(rng.normal(55, 12), 5, 95))
                    gain = GAIN_BY_METHOD[prog["method"]] + region.learning_offset
                    post = float(np.clip(pre + gain + rng.normal(0, 8), 0, 100))
                    pre_s, post_s = _fmt(pre), _fmt(post)
                    if region.id == "plaju":  # typed by hand in a Sheets id_ID locale
                        pre_s, post_s = pre_s.replace(".", ","), post_s.replace(".", ",")
                    tables["tests"].append({"nip": person["nip"], "program_id": prog["program_id"],
                                            "test_date": prog["end_date"], "pre_score": pre_s,
                                            "post_score": post_s})
                # Level 3: follow-up at 3 and 6 months
                for months in (3, 6):
                    if rng.random() < 0.25:
                        continue
                    support = person["_support"]
                    self_app = 1.8 + 0.4 * support + rng.normal(0, 0.6)
                    sup_app = self_app - 0.3 + rng.normal(0, 0.5)
                    tables["followup"].append({
                        "nip": person["nip"], "program_id": prog["program_id"], "months_after": str(months),
                        "application_self": str(int(np.clip(np.rint(self_app), 1, 5))),
                        "application_supervisor": str(int(np.clip(np.rint(sup_app), 1, 5))),
                        "supervisor_support": str(int(np.clip(np.rint(support), 1, 5))),
                        "colleague_support": str(int(np.clip(np.rint(rng.normal(3.6, 0.8)), 1, 5))),
                        "barrier": BARRIERS[int(rng.integers(len(BARRIERS)))]})

        for source, theme, excerpt in QUALITATIVE[region.id]:
            tables["qualitative"].append({"region_id": region.id, "source": source, "theme": theme,
                                          "excerpt": excerpt})

    # Level 4: monthly service series
    for region_id, unit, indicator, base, slope, trained_from, level, slope_change, sd in SERVICE_SERIES:
        for t, period in enumerate(SERVICE_MONTHS):
            after = trained_from != "" and _month_index(period) >= _month_index(trained_from)
            # Months since the last pre-training month (t - t0): the Lopez Bernal et al. (2017)
            # parametrisation, so the planted level change is the model's level-change term.
            since = _month_index(period) - _month_index(trained_from) + 1 if after else 0
            value = base + slope * t + (level + slope_change * since if after else 0.0) + rng.normal(0, sd)
            tables["service"].append({"region_id": region_id, "unit": unit, "indicator": indicator,
                                      "period": period, "value": _fmt(max(value, 0.1), 2),
                                      "n_cases": str(int(rng.integers(80, 400))),
                                      "trained_from": trained_from})

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
        "regions": [{"id": r.id, "name": r.name, "level": r.level, "province": r.province,
                     "kemendagri_code": r.code} for r in REGIONS],
        "skm_unsur": dict(SKM_UNSUR),
        "files": {t: f"{t}.csv" for t in ("programs", "participants", "enrollments", "reaction",
                                           "tests", "followup", "service", "skm", "qualitative")},
        "likert": {item: "agreement" for item in REACTION_ITEMS},
        "planted_effects": PLANTED,
    }


def write_dataset(out: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the synthetic dataset into ``out`` (created if missing); return the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    header = ("# Synthetic data generated by `asn-eval synth`; NOT real people or real regions' results.\n"
              "# Regenerate with: asn-eval synth --out data/raw/sample --seed " + str(seed) + "\n")
    text = header + yaml.safe_dump(dataset_yaml(seed), sort_keys=False, allow_unicode=True, width=100)
    path = out / "dataset.yml"
    path.write_text(text, encoding="utf-8", newline="\n")
    written.append(path)
    for name, rows in generate(seed).items():
        path = out / f"{name}.csv"
        path.write_text(_to_csv(rows), encoding="utf-8", newline="\n")
        written.append(path)
    return written
