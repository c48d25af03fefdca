"""What the synthetic sample is made of: regions, programmes, planted effects, names and texts.

Data only; :mod:`helpers.synth.generator` draws the rows from it.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    RegionSpec(
        "salatiga",
        "Kota Salatiga",
        "kota",
        "Jawa Tengah",
        "33.73",
        260,
        9,
        ("DPMPTSP", "Dinas Lingkungan Hidup", "Bappeda", "Dinas Kesehatan", "Sekretariat Daerah"),
        2.0,
        0.15,
        -0.5,
    ),
    RegionSpec(
        "plaju",
        "Kecamatan Plaju (Kota Palembang)",
        "kecamatan",
        "Sumatera Selatan",
        "16.71.14",
        70,
        5,
        ("Sekretariat Kecamatan", "Seksi Pelayanan", "Kelurahan Plaju Ulu", "Kelurahan Bagus Kuning"),
        0.0,
        0.15,
        -0.5,
    ),
    RegionSpec(
        "dki-jakarta",
        "Provinsi DKI Jakarta",
        "provinsi",
        "DKI Jakarta",
        "31",
        520,
        12,
        ("BPKD", "Dinas Dukcapil", "Inspektorat", "BPSDM", "Dinas Pendidikan", "Bapenda"),
        1.0,
        0.15,
        -0.5,
    ),
    RegionSpec(
        "sawahlunto",
        "Kota Sawahlunto",
        "kota",
        "Sumatera Barat",
        "13.73",
        170,
        7,
        ("Sekretariat Daerah", "Dinas Pariwisata", "RSUD", "Dinas Sosial", "DPMPTSP"),
        -1.0,
        0.40,
        -1.2,
    ),
)

# Completion of an enrolment, log-odds: baseline, incentive programmes, per point of workload
# above 3 (plus the region's schedule-conflict effect, RegionSpec.conflict_log_or).
COMPLETION_LOGIT = 1.9
INCENTIVE_LOG_OR = 0.6
WORKLOAD_LOG_OR = -0.25
# Follow-up: self-rated application rises this much per point of supervisor support;
# supervisors rate application this much lower than staff do.
SUPPORT_SLOPE = 0.4
SUPERVISOR_GAP = 0.3
# Monthly service indicators are autocorrelated: AR(1) noise with this coefficient.
SERVICE_AR1 = 0.4
# Each programme's gain departs from its method's by a programme effect ~ N(0, sd): people
# trained together share an instructor, a cohort and a test.
PROGRAM_GAIN_SD = 2.0

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
        (
            "Pelatihan Pelayanan Perizinan Berbasis Proyek",
            "perizinan",
            "project_based",
            "luring",
            "Universitas Kristen Satya Wacana",
            40,
            "ya",
        ),
        (
            "Komunikasi Publik dan Kepuasan Masyarakat",
            "komunikasi",
            "project_based",
            "blended",
            "Universitas Kristen Satya Wacana",
            24,
            "tidak",
        ),
        ("Kompetensi Manajerial Pengawas", "manajerial", "competency_based", "luring", "", 32, "tidak"),
        ("Kompetensi Teknis Analis Kebijakan", "teknis", "competency_based", "luring", "", 24, "tidak"),
        (
            "Inovasi Kota Hijau (Green City)",
            "inovasi",
            "project_based",
            "blended",
            "Universitas Kristen Satya Wacana",
            40,
            "ya",
        ),
        ("Simulasi Layanan Terpadu", "pelayanan publik", "simulation", "luring", "", 16, "tidak"),
        ("Literasi Digital ASN", "digital", "e_learning", "daring", "", 12, "tidak"),
        ("Seminar Reformasi Birokrasi", "reformasi birokrasi", "seminar", "luring", "", 4, "tidak"),
        (
            "Lokakarya Evaluasi Program",
            "evaluasi",
            "workshop",
            "luring",
            "Universitas Kristen Satya Wacana",
            8,
            "tidak",
        ),
    ],
    "plaju": [
        (
            "Penyusunan Anggaran Keuangan Daerah Berbasis Proyek",
            "keuangan daerah",
            "project_based",
            "luring",
            "Universitas Sriwijaya",
            32,
            "tidak",
        ),
        ("Pelibatan Pemangku Kepentingan", "partisipasi", "classroom", "luring", "", 16, "tidak"),
        ("Pelayanan Administrasi Kecamatan", "pelayanan publik", "competency_based", "luring", "", 24, "tidak"),
        (
            "Seminar Pembelajaran Berkelanjutan",
            "pengembangan diri",
            "seminar",
            "luring",
            "Universitas Sriwijaya",
            4,
            "tidak",
        ),
        (
            "Lokakarya Tindak Lanjut Anggaran",
            "keuangan daerah",
            "workshop",
            "luring",
            "Universitas Sriwijaya",
            8,
            "tidak",
        ),
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
        (
            "Teori dan Simulasi Penanganan Pengaduan",
            "pengaduan",
            "simulation",
            "luring",
            "Universitas Andalas",
            24,
            "ya",
        ),
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

FIRST_NAMES = (
    "Agus",
    "Budi",
    "Citra",
    "Dewi",
    "Eko",
    "Fitri",
    "Gita",
    "Hendra",
    "Indah",
    "Joko",
    "Kartika",
    "Lestari",
    "Made",
    "Nur",
    "Oktaviani",
    "Putu",
    "Rahmat",
    "Sari",
    "Taufik",
    "Utami",
    "Wahyu",
    "Yuli",
    "Zainal",
    "Rina",
    "Bambang",
    "Siti",
    "Andi",
    "Ratna",
)
LAST_NAMES = (
    "Santoso",
    "Wijaya",
    "Saputra",
    "Pratama",
    "Hidayat",
    "Nugroho",
    "Kusuma",
    "Siregar",
    "Harahap",
    "Simanjuntak",
    "Rahayu",
    "Lubis",
    "Putri",
    "Setiawan",
    "Halim",
    "Syahputra",
)
EDUCATION = ("SMA", "D3", "S1", "S1", "S1", "S2", "S2", "S3")
GRADES = ("II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b")
POSITION_TYPES = ("struktural", "fungsional", "pelaksana")
BARRIERS = ("", "", "", "beban kerja tinggi", "kurang dukungan atasan", "sarana terbatas", "tidak relevan dengan tugas")
ABSENCE_REASONS = ("bentrok jadwal dinas", "rapat pimpinan", "tugas lapangan", "sakit", "cuti")

QUALITATIVE = {
    "salatiga": [
        ("wawancara", "kurikulum", "Kurikulum dari universitas cocok dengan pekerjaan perizinan kami."),
        ("wawancara", "kepuasan masyarakat", "Setelah pelatihan komunikasi, keluhan pemohon izin berkurang."),
        (
            "survei",
            "inovasi",
            "Program kota hijau memberi ide untuk mengurangi kertas. Hubungi saya di 0812-3456-7890.",
        ),
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

# The contract violations planted on purpose (helpers.synth.generator._plant_bad_rows); the
# planted effects themselves, with the truths of the estimands the reports compute, are derived
# in helpers.synth.truths and written into dataset.yml.
PLANTED_VIOLATIONS = (
    "a few rows break the contract on purpose (unknown Likert label, score above 100, unknown "
    "programme, NIP of 17 digits) and must be quarantined"
)
