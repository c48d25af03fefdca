"""The national synthetic dataset: about 4.3 million ASN in 510 regions (``asn-eval synth --scale national``).

It exists to measure the pipeline at the size of Indonesia, not to describe any real region. It holds

- the four regions of the sample (Salatiga, Plaju, DKI Jakarta, Sawahlunto) exactly as
  :func:`helpers.synth.generator.generate` draws them at scale 1, planted bad rows included: their
  files ``<table>/part-000.csv`` are the sample's ``<table>.csv`` byte for byte (same seed), so one
  region's report reads the same rows in both datasets;
- 506 invented kabupaten/kota (ids ``kab-0001`` ... and ``kota-0001`` ...; names "Kabupaten Sintetis
  0001"; no Kemendagri code), as many per province as that province has autonomous kabupaten and
  kota (the two of the sample's cities left out), drawn here by whole arrays per region and written
  block by block, ``BLOCK_REGIONS`` regions to a file (``<table>/part-001.csv`` ...).

Volumes over 2023-2025 follow the assumptions stated with the constants below (and in the
dataset's ``notes``): enrolments per ASN are overdispersed with mean about one, so most ASN stay
far below 20 JP a year; reaction forms come from most completers, pre/post tests from half of the
programmes of tested methods, follow-ups from a fifth of the programmes; each region has one to
six service units (three on average) with 36 monthly values each, and two IKM survey waves per
unit with the Krejcie & Morgan sample size of the unit's yearly users.

Each invented region carries a planted learning gain ``delta_r ~ N(LEARNING_MU, LEARNING_TAU)``
(points on 0-100, before scores are clipped); ``planted_effects`` lists, per region, the mean
observed gain that ``delta_r`` implies after clipping (:func:`expected_gain`, exact), so a
cross-region summary can be checked against ``mu`` and ``tau``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml
from scipy.integrate import simpson
from scipy.special import ndtr

from ..ingest.contract import TABLES
from .catalogue import (
    ABSENCE_REASONS,
    BARRIERS,
    COMPLETION_LOGIT,
    DEFAULT_SEED,
    FIRST_NAMES,
    INCENTIVE_LOG_OR,
    LAST_NAMES,
    LIKERT_ID,
    PROGRAM_GAIN_SD,
    REACTION_ITEMS,
    REGIONS,
    SERVICE_AR1,
    SERVICE_MONTHS,
    SKM_UNSUR,
    SKM_WAVES,
    SUPERVISOR_GAP,
    SUPPORT_SLOPE,
    TESTED_METHODS,
    WORKLOAD_LOG_OR,
)
from .generator import SKM_AGE_BLANK, SKM_EDUCATION, SKM_GENDER, SKM_OCCUPATION, _to_csv, dataset_yaml, generate
from .truths import _effect

NATIONAL_NAME = "sample-national"
#: ASN in the whole dataset (the sample's 1,020 included): about the number of Indonesia's civil servants.
ASN_TOTAL = 4_300_000
#: Invented regions per file of each table: files of a few hundred thousand rows, read one at a time.
BLOCK_REGIONS = 50
#: Seed part of this generator's random streams (``default_rng([seed, NATIONAL_STREAM, ...])``), so
#: that its draws never share a stream with the sample's.
NATIONAL_STREAM = 8807

# Planted learning gain of an invented region (points on 0-100, before clipping): N(mu, tau).
LEARNING_MU = 10.0
LEARNING_TAU = 2.0
# Test scores as the sample draws them: pre ~ N(55, 12) clipped to 5-95, individual noise sd 8
# around the gain, post clipped to 0-100; each programme adds N(0, PROGRAM_GAIN_SD).
PRE_MEAN, PRE_SD, PRE_LO, PRE_HI = 55.0, 12.0, 5.0, 95.0
TEST_NOISE_SD = 8.0

#: Autonomous kabupaten and kota per province: the 416 kabupaten and 98 kota of Kemendagri's list
#: less DKI Jakarta's one administrative regency and five administrative cities (415 and 93). The
#: last number scales the province's regions: a synthetic stand-in for Java's larger regencies and
#: the small new regencies of Papua, not a statistic.
PROVINCES = (
    ("Aceh", 18, 5, 1.0),
    ("Sumatera Utara", 25, 8, 1.0),
    ("Sumatera Barat", 12, 7, 0.9),
    ("Riau", 10, 2, 1.1),
    ("Jambi", 9, 2, 1.0),
    ("Sumatera Selatan", 13, 4, 1.0),
    ("Bengkulu", 9, 1, 0.8),
    ("Lampung", 13, 2, 1.1),
    ("Kepulauan Bangka Belitung", 6, 1, 0.8),
    ("Kepulauan Riau", 5, 2, 0.8),
    ("Jawa Barat", 18, 9, 1.6),
    ("Jawa Tengah", 29, 6, 1.4),
    ("DI Yogyakarta", 4, 1, 1.3),
    ("Jawa Timur", 29, 9, 1.4),
    ("Banten", 4, 4, 1.4),
    ("Bali", 8, 1, 1.1),
    ("Nusa Tenggara Barat", 8, 2, 1.0),
    ("Nusa Tenggara Timur", 21, 1, 0.8),
    ("Kalimantan Barat", 12, 2, 0.9),
    ("Kalimantan Tengah", 13, 1, 0.8),
    ("Kalimantan Selatan", 11, 2, 0.9),
    ("Kalimantan Timur", 7, 3, 1.0),
    ("Kalimantan Utara", 4, 1, 0.7),
    ("Sulawesi Utara", 11, 4, 0.8),
    ("Sulawesi Tengah", 12, 1, 0.8),
    ("Sulawesi Selatan", 21, 3, 1.0),
    ("Sulawesi Tenggara", 15, 2, 0.8),
    ("Gorontalo", 5, 1, 0.8),
    ("Sulawesi Barat", 6, 0, 0.8),
    ("Maluku", 9, 2, 0.7),
    ("Maluku Utara", 8, 2, 0.7),
    ("Papua", 8, 1, 0.6),
    ("Papua Barat", 7, 0, 0.6),
    ("Papua Selatan", 4, 0, 0.55),
    ("Papua Tengah", 8, 0, 0.55),
    ("Papua Pegunungan", 8, 0, 0.5),
    ("Papua Barat Daya", 5, 1, 0.6),
)
#: Kota of the sample, which stand for their own kota: (province, kota of that province they replace).
SAMPLE_KOTA = {"Jawa Tengah": 1, "Sumatera Barat": 1}  # Kota Salatiga, Kota Sawahlunto
#: Region size: lognormal spread around the province's factor (kabupaten/kota from about 2,000
#: to about 40,000 ASN at the national total).
REGION_SIZE_SIGMA = 0.55

# --- people ----------------------------------------------------------------------------------
P_FEMALE = 0.54
BIRTH_YEAR_MEAN, BIRTH_YEAR_SD, BIRTH_YEAR_MIN, BIRTH_YEAR_MAX = 1978.5, 9.5, 1966, 2001
APPOINTED_AGE_MEAN, APPOINTED_AGE_SD, APPOINTED_AGE_MIN, APPOINTED_AGE_MAX = 27.0, 3.5, 20, 35
LAST_APPOINTMENT_YEAR = 2024
# Perangkat daerah of a kabupaten/kota, with their share of its ASN (teachers and health staff
# are most of a region's civil servants).
AGENCIES = {
    "Dinas Pendidikan": 0.38,
    "Dinas Kesehatan": 0.14,
    "RSUD": 0.07,
    "Kecamatan": 0.07,
    "Sekretariat Daerah": 0.04,
    "Sekretariat DPRD": 0.01,
    "Inspektorat": 0.015,
    "Bappeda": 0.015,
    "BKPSDM": 0.015,
    "BPKAD": 0.02,
    "Bapenda": 0.015,
    "Dinas Dukcapil": 0.02,
    "DPMPTSP": 0.015,
    "Dinas Sosial": 0.015,
    "Dinas PUPR": 0.03,
    "Dinas Perhubungan": 0.02,
    "Dinas Lingkungan Hidup": 0.02,
    "Dinas Pertanian": 0.035,
    "Satpol PP": 0.02,
}
GRADE_SHARES = {
    "II/a": 0.03,
    "II/b": 0.04,
    "II/c": 0.06,
    "II/d": 0.05,
    "III/a": 0.14,
    "III/b": 0.17,
    "III/c": 0.13,
    "III/d": 0.14,
    "IV/a": 0.17,
    "IV/b": 0.05,
    "IV/c": 0.02,
}
POSITION_SHARES = {"struktural": 0.09, "fungsional": 0.56, "pelaksana": 0.35}
EDUCATION_SHARES = {"SMA": 0.13, "D3": 0.12, "S1": 0.61, "S2": 0.13, "S3": 0.01}

# --- programmes and enrolments ---------------------------------------------------------------
#: Enrolments per ASN over the three years: negative binomial with mean ``ENROL_MEAN`` times the
#: region's own level (lognormal, sd ``ENROL_REGION_SD`` on the log scale), dispersion
#: ``ENROL_NB_SIZE`` (nearly half of the ASN enrol in nothing), at most ``ENROL_MAX``. With a mean
#: programme of about 20 JP, most ASN stay below 20 JP a year (PP 11/2017 Pasal 203).
ENROL_MEAN, ENROL_NB_SIZE, ENROL_MAX, ENROL_REGION_SD = 1.0, 1.5, 8, 0.3
#: Method of a programme: share of programmes, mean class size, JP (lowest, step, number of steps).
METHODS = {
    "classroom": (0.25, 35, (16, 4, 7)),
    "competency_based": (0.18, 30, (24, 4, 10)),
    "e_learning": (0.15, 120, (8, 4, 5)),
    "seminar": (0.12, 150, (2, 2, 2)),
    "workshop": (0.12, 40, (8, 4, 3)),
    "project_based": (0.07, 25, (32, 8, 7)),
    "simulation": (0.07, 25, (16, 4, 5)),
    "internship": (0.04, 10, (40, 8, 6)),
}
METHOD_TITLE = {
    "classroom": "Pelatihan",
    "competency_based": "Pelatihan Berbasis Kompetensi",
    "e_learning": "Kelas Daring",
    "seminar": "Seminar",
    "workshop": "Lokakarya",
    "project_based": "Pelatihan Berbasis Proyek",
    "simulation": "Simulasi",
    "internship": "Magang",
}
TOPICS = {
    "perencanaan": "Perencanaan Pembangunan Daerah",
    "keuangan daerah": "Pengelolaan Keuangan Daerah",
    "akuntansi": "Akuntansi Pemerintahan",
    "pengadaan": "Pengadaan Barang dan Jasa",
    "pelayanan publik": "Pelayanan Publik Prima",
    "dukcapil": "Administrasi Kependudukan",
    "perizinan": "Perizinan Berusaha Berbasis Risiko",
    "pengaduan": "Penanganan Pengaduan Masyarakat",
    "SKM": "Survei Kepuasan Masyarakat",
    "manajerial": "Kepemimpinan Pengawas",
    "digital": "Literasi Digital ASN",
    "data": "Analisis Data untuk Kebijakan",
    "etika": "Etika dan Integritas ASN",
    "kesehatan": "Pelayanan Kesehatan Dasar",
    "pendidikan": "Pembelajaran Kurikulum Merdeka",
    "lingkungan": "Pengelolaan Lingkungan Hidup",
}
#: Delivery (luring, daring, blended) by method; e-learning is online, seminars half webinars.
DELIVERIES = ("luring", "daring", "blended")
DELIVERY_SHARES = {"e_learning": (0.0, 1.0, 0.0), "seminar": (0.5, 0.5, 0.0)}
DELIVERY_DEFAULT = (0.65, 0.15, 0.20)
P_INCENTIVE = 0.12
P_PARTNER, N_PARTNERS = 0.15, 40  # "Perguruan Tinggi Mitra Sintetis 01" ...
#: Programmes start between 8 January and 29 November of their year and last
#: ``ceil(JP / 8 * 7 / 5)`` calendar days (8 JP a working day), so every form falls in the period.
START_DAY_FIRST, START_DAY_LAST = 7, 332
CONFLICT_RATE = (0.08, 0.35)  # share of enrolments with a schedule conflict: uniform per region
CONFLICT_LOG_OR = -0.5
P_NO_SHOW = 0.3  # of the enrolments not completed

# --- surveys and tests -----------------------------------------------------------------------
RESPONSE_RATE = (0.65, 0.95)  # completers who return the reaction form: uniform per region
P_COMMENT = 0.04
COMMENTS = (
    "Materi sangat bermanfaat untuk pekerjaan sehari-hari.",
    "Waktu pelatihan terlalu singkat.",
    "Narasumber menguasai materi.",
    "Mohon ada pelatihan lanjutan.",
    "Jadwal bentrok dengan pelayanan di kantor.",
    "Koneksi internet sering terputus saat kelas daring.",
)
P_TESTED = 0.5  # programmes of a tested method that run a pre- and post-test
P_PRE_ONLY = 0.7  # dropouts of a tested programme who sat the pre-test (attrition, post blank)
P_FOLLOWUP = 0.2  # programmes that survey their completers 3 and 6 months after the end
P_FOLLOWUP_ANSWER = 0.6  # completers who answer one follow-up wave

# --- service units and IKM -------------------------------------------------------------------
#: (indicator, units that can be trained, comparison units, baseline range, noise sd as a share
#: of the baseline or absolute, level change range, slope change range). Trained units of one
#: indicator share one training month, so a region's difference-in-differences is not staggered.
SERVICES = (
    (
        "processing_days",
        ("Dinas Dukcapil", "DPMPTSP"),
        ("Mal Pelayanan Publik (unit pembanding)", "Kantor Kecamatan (unit pembanding)"),
        (4.0, 14.0),
        0.05,
        (-2.5, -0.8),
        (-0.05, 0.0),
    ),
    (
        "complaint_response_hours",
        ("Layanan Pengaduan",),
        ("Layanan Pengaduan RSUD (unit pembanding)",),
        (36.0, 96.0),
        0.04,
        (-24.0, -8.0),
        (-0.3, 0.0),
    ),
)
P_SECOND_TRAINED_UNIT = 0.4
COMPARISON_UNITS_P = (0.3, 0.5, 0.2)  # 0, 1 or 2 comparison units of processing_days
P_COMPLAINT_DESK = 0.5  # regions that track complaint response times
P_COMPLAINT_COMPARISON = 0.5
P_TRAINED = 0.85  # the indicator's units were trained at all (else every unit is a comparison unit)
#: IKM wave shift of the unit's mean score (1-4 scale) in the 2025 wave: trained units as the sample.
IKM_SHIFT_TRAINED, IKM_SHIFT_UNTRAINED = SKM_WAVES[1][1], 0.05
#: A unit's yearly users: lognormal around 3 per ASN of the region; respondents per wave are the
#: Krejcie & Morgan sample size for that population, times 0.9-1.2 (some units collect more).
USERS_PER_ASN, USERS_SD = 3.0, 0.8

QUALITATIVE_BANK = (
    ("wawancara", "relevansi", "Materi pelatihan sesuai dengan tugas di unit kami."),
    ("wawancara", "dukungan atasan", "Atasan memberi waktu untuk menerapkan hasil pelatihan."),
    ("wawancara", "jadwal", "Pelatihan sering bertabrakan dengan jam pelayanan."),
    ("diskusi kelompok", "metode", "Praktik langsung lebih mudah dipahami daripada ceramah."),
    ("diskusi kelompok", "implementasi", "Sarana di kantor belum mendukung penerapan materi."),
    ("diskusi kelompok", "pembelajaran berkelanjutan", "Peserta meminta kelas lanjutan tahun depan."),
    ("survei", "daring", "Kelas daring fleksibel tetapi sinyal di daerah kami lemah."),
    ("survei", "insentif", "Sertifikat dan angka kredit membuat pegawai mau ikut."),
    ("survei", "pelayanan", "Antrian layanan lebih tertib sejak petugas dilatih."),
    ("wawancara", "pengaduan", "Pengaduan warga kini dijawab lebih cepat."),
)
QUALITATIVE_PER_REGION = (2, 6)  # 2 to 5 excerpts

_CSV_OPTIONS = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
_S, _I, _D = pa.string(), pa.int64(), pa.date32()
SCHEMAS = {
    "programs": pa.schema(
        [
            ("program_id", _S),
            ("region_id", _S),
            ("title", _S),
            ("topic", _S),
            ("method", _S),
            ("delivery", _S),
            ("partner", _S),
            ("start_date", _D),
            ("end_date", _D),
            ("jp", _I),
            ("incentive", _S),
            ("cost_idr", _I),
        ]
    ),
    "participants": pa.schema(
        [
            ("nip", _I),
            ("name", _S),
            ("region_id", _S),
            ("agency", _S),
            ("grade", _S),
            ("position_type", _S),
            ("gender", _S),
            ("birth_year", _I),
            ("education", _S),
        ]
    ),
    "enrollments": pa.schema(
        [
            ("nip", _I),
            ("program_id", _S),
            ("status", _S),
            ("sessions_attended", _I),
            ("sessions_total", _I),
            ("schedule_conflict", _S),
            ("workload", _I),
            ("absence_reason", _S),
        ]
    ),
    "reaction": pa.schema(
        [("nip", _I), ("program_id", _S), ("submitted_at", pa.timestamp("s"))]
        + [(item, _S) for item in REACTION_ITEMS]
        + [("comment", _S)]
    ),
    "tests": pa.schema([("nip", _I), ("program_id", _S), ("test_date", _D), ("pre_score", _S), ("post_score", _S)]),
    "followup": pa.schema(
        [
            ("nip", _I),
            ("program_id", _S),
            ("months_after", _I),
            ("application_self", _I),
            ("application_supervisor", _I),
            ("supervisor_support", _I),
            ("colleague_support", _I),
            ("barrier", _S),
        ]
    ),
    "service": pa.schema(
        [
            ("region_id", _S),
            ("unit", _S),
            ("indicator", _S),
            ("period", _S),
            ("value", _S),
            ("n_cases", _I),
            ("trained_from", _S),
        ]
    ),
    "skm": pa.schema(
        [("region_id", _S), ("unit", _S), ("period", _S)]
        + [(u, _I) for u in SKM_UNSUR]
        + [("gender", _S), ("age", _I), ("education", _S), ("occupation", _S)]
    ),
    "qualitative": pa.schema([("region_id", _S), ("source", _S), ("theme", _S), ("excerpt", _S)]),
}


@dataclass(frozen=True)
class SyntheticRegion:
    """An invented kabupaten/kota and the parameters its rows are drawn with."""

    index: int  # position in the catalogue of all invented regions: names its random stream
    id: str
    name: str
    level: str
    province: str
    n_asn: int
    learning_gain: float  # planted latent gain delta_r (points, before clipping)
    conflict_rate: float
    response_rate: float
    enrol_mean: float

    def as_yaml(self) -> dict:
        return {"id": self.id, "name": self.name, "level": self.level, "province": self.province}


def region_catalogue() -> list[tuple[str, str, str, str]]:
    """Every invented region as (id, name, level, province), province by province."""
    out, n_kab, n_kota = [], 0, 0
    for province, kab, kota, _ in PROVINCES:
        for _ in range(kab):
            n_kab += 1
            out.append((f"kab-{n_kab:04d}", f"Kabupaten Sintetis {n_kab:04d}", "kabupaten", province))
        for _ in range(kota - SAMPLE_KOTA.get(province, 0)):
            n_kota += 1
            out.append((f"kota-{n_kota:04d}", f"Kota Sintetis {n_kota:04d}", "kota", province))
    return out


def synthetic_regions(
    seed: int = DEFAULT_SEED, n_regions: int | None = None, asn_total: int = ASN_TOTAL
) -> list[SyntheticRegion]:
    """The invented regions of a national dataset, with their sizes and planted parameters.

    Parameters
    ----------
    seed
        The dataset's seed.
    n_regions
        How many invented regions (default: all 506); fewer are spread evenly over the catalogue.
        Each keeps its id, planted gain and rates whatever the number.
    asn_total
        ASN in the whole dataset, the sample's four regions included; the invented regions share
        the rest in proportion to their drawn sizes.
    """
    catalogue = region_catalogue()
    n_all = len(catalogue)
    rng = np.random.default_rng([seed, NATIONAL_STREAM, 0])
    factor = {p: f for p, _, _, f in PROVINCES}
    size = np.exp(rng.normal(0, REGION_SIZE_SIGMA, n_all)) * np.array([factor[c[3]] for c in catalogue])
    gain = rng.normal(LEARNING_MU, LEARNING_TAU, n_all)
    conflict = rng.uniform(*CONFLICT_RATE, n_all)
    response = rng.uniform(*RESPONSE_RATE, n_all)
    enrol = ENROL_MEAN * np.exp(rng.normal(-(ENROL_REGION_SD**2) / 2, ENROL_REGION_SD, n_all))
    n_regions = n_all if n_regions is None else n_regions
    if not 1 <= n_regions <= n_all:
        raise ValueError(f"n_regions must be between 1 and {n_all}, got {n_regions}")
    chosen = np.unique(np.rint(np.linspace(0, n_all - 1, n_regions)).astype(int))
    people = asn_total - sample_asn()
    if people < 50 * len(chosen):
        raise ValueError(f"asn_total {asn_total} leaves fewer than 50 ASN per invented region")
    share = size[chosen] * people / size[chosen].sum()
    n_asn = np.floor(share).astype(int)
    short = people - int(n_asn.sum())
    n_asn[np.argsort(-(share - n_asn), kind="stable")[:short]] += 1  # largest remainders: exact total
    return [
        SyntheticRegion(
            int(i), *catalogue[i], int(n), float(gain[i]), float(conflict[i]), float(response[i]), float(enrol[i])
        )
        for i, n in zip(chosen, n_asn, strict=True)
    ]


def sample_asn() -> int:
    """ASN of the sample's four regions (scale 1), not counting the row planted with a broken NIP."""
    return sum(r.n_participants for r in REGIONS)


def expected_gain(delta: float) -> float:
    """Mean observed post - pre for a planted latent gain ``delta``, after clipping; exact.

    Scores as the generators draw them: pre = clip(N(55, 12), 5, 95), post = clip(pre + delta + u + e,
    0, 100) with a programme effect u ~ N(0, PROGRAM_GAIN_SD) and noise e ~ N(0, 8). For X ~ N(m, s),
    E[clip(X, 0, 100)] = m (Phi(b) - Phi(a)) + s (phi(a) - phi(b)) + 100 (1 - Phi(b)) with a = -m/s,
    b = (100 - m)/s; the expectation over pre is a Simpson integral plus pre's two point masses.
    """
    s = math.hypot(PROGRAM_GAIN_SD, TEST_NOISE_SD)

    def phi(z):
        return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    def clipped_mean(m):
        a, b = -m / s, (100 - m) / s
        return m * (ndtr(b) - ndtr(a)) + s * (phi(a) - phi(b)) + 100 * (1 - ndtr(b))

    grid = np.linspace(PRE_LO, PRE_HI, 9001)
    density = phi((grid - PRE_MEAN) / PRE_SD) / PRE_SD
    p_lo, p_hi = ndtr((PRE_LO - PRE_MEAN) / PRE_SD), 1 - ndtr((PRE_HI - PRE_MEAN) / PRE_SD)
    inner = simpson((clipped_mean(grid + delta) - grid) * density, x=grid)
    edges = p_lo * (clipped_mean(PRE_LO + delta) - PRE_LO) + p_hi * (clipped_mean(PRE_HI + delta) - PRE_HI)
    return float(inner + edges)


LEARNING_ESTIMAND = (
    "mean post - pre over completed enrolments in tested programmes, after clipping scores to 0-100, "
    "over programme effects, for the region's planted latent gain {delta:.4f} (drawn from "
    "N(mu={mu}, tau={tau}); exact expectation by quadrature)"
)


def planted_learning(region: SyntheticRegion) -> dict:
    """The planted-effect entry of an invented region's learning gain (the sample's format)."""
    estimand = LEARNING_ESTIMAND.format(delta=region.learning_gain, mu=LEARNING_MU, tau=LEARNING_TAU)
    return _effect(region.id, "learning.mean_gain", expected_gain(region.learning_gain), estimand)


# --- drawing one invented region ---------------------------------------------------------------


def _labels(values, index: np.ndarray) -> pa.Array:
    """``values[index]`` as a string column (vocabularies are small; rows are many)."""
    return pa.array(list(values), _S).take(pa.array(index))


def _pick(rng: np.random.Generator, shares: dict, n: int) -> np.ndarray:
    p = np.array(list(shares.values()), dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _decimals(x: np.ndarray, nd: int) -> pa.Array:
    """Non-negative numbers written with ``nd`` decimals, as the sample writes them ("55.3")."""
    k = np.rint(np.asarray(x) * 10**nd).astype(np.int64)
    if len(k) and k.min() < 0:
        raise ValueError("_decimals writes non-negative numbers only")
    fractions = pa.array([f"{f:0{nd}d}" for f in range(10**nd)], _S)
    return pc.binary_join_element_wise(pc.cast(pa.array(k // 10**nd), _S), fractions.take(pa.array(k % 10**nd)), ".")


class NipBook:
    """Gives each new ASN a NIP no one else holds: the serial (last three digits) numbers the
    people who share a birth date, appointment month and gender, nationally, from 001.

    Counts live in a dense array over every (birth date, gender, appointment month) the data can
    hold, so a region's serials cost a few array operations, not a lookup per person. NIPs already
    in the dataset with serials of their own (the sample's) are skipped: the new people of their
    group take the free numbers around them.
    """

    BIRTH_YEARS = (1960, 2006)
    APPOINTMENT_YEARS = (1980, 2030)

    def __init__(self) -> None:
        births = (self.BIRTH_YEARS[1] - self.BIRTH_YEARS[0]) * 12 * 31
        self._months = (self.APPOINTMENT_YEARS[1] - self.APPOINTMENT_YEARS[0]) * 12
        self._count = np.zeros(births * 2 * self._months, dtype=np.uint16)
        self._taken = np.zeros(0, dtype=np.int64)  # sorted slot * 1000 + serial of reserved NIPs

    def _slot(self, by, bm, bd, ay, am, gender) -> np.ndarray:
        birth = ((by - self.BIRTH_YEARS[0]) * 12 + bm - 1) * 31 + bd - 1
        return (birth * 2 + gender - 1) * self._months + (ay - self.APPOINTMENT_YEARS[0]) * 12 + am - 1

    def reserve(self, nips: list[str]) -> None:
        """Mark NIPs already in the dataset as taken."""
        cuts = ((0, 4), (4, 6), (6, 8), (8, 12), (12, 14), (14, 15), (15, 18))
        d = np.array([[int(n[a:b]) for a, b in cuts] for n in nips], dtype=np.int64).reshape(-1, 7)
        self._taken = np.unique(np.concatenate([self._taken, self._slot(*d[:, :6].T) * 1000 + d[:, 6]]))

    def issue(self, by, bm, bd, ay, am, gender) -> np.ndarray:
        """The NIPs (as 18-digit integers) of new ASN, serials in the order given."""
        slot = self._slot(by, bm, bd, ay, am, gender)
        uniq, inverse, counts = np.unique(slot, return_inverse=True, return_counts=True)
        order = np.argsort(inverse, kind="stable")
        rank = np.empty(len(slot), dtype=np.int64)
        rank[order] = np.arange(len(slot)) - np.repeat(np.cumsum(counts) - counts, counts)
        nth = self._count[slot].astype(np.int64) + rank + 1  # the person's number among the new of the group
        self._count[uniq] += counts.astype(np.uint16)
        # The nth free serial: n plus the reserved serials at or below it (a fixed point, reached
        # in as many rounds as a group has reserved serials).
        serial, low = nth, np.searchsorted(self._taken, slot * 1000 + 1)
        while True:
            skipped = np.searchsorted(self._taken, slot * 1000 + serial, side="right") - low
            if np.array_equal(nth + skipped, serial):
                break
            serial = nth + skipped
        if len(serial) and serial.max() > 999:
            raise RuntimeError("more than 999 ASN share a birth date, appointment month and gender")
        return ((by * 100 + bm) * 100 + bd) * 10**10 + (ay * 100 + am) * 10**4 + gender * 1000 + serial


def _people(reg: SyntheticRegion, rng: np.random.Generator, nips: NipBook) -> tuple[pa.Table, dict]:
    n = reg.n_asn
    gender = np.where(rng.random(n) < P_FEMALE, 2, 1)
    by = np.clip(np.rint(rng.normal(BIRTH_YEAR_MEAN, BIRTH_YEAR_SD, n)), BIRTH_YEAR_MIN, BIRTH_YEAR_MAX).astype(int)
    bm, bd = rng.integers(1, 13, n), rng.integers(1, 29, n)
    appointed_at = np.clip(
        np.rint(rng.normal(APPOINTED_AGE_MEAN, APPOINTED_AGE_SD, n)), APPOINTED_AGE_MIN, APPOINTED_AGE_MAX
    )
    ay = np.minimum(by + appointed_at.astype(int), LAST_APPOINTMENT_YEAR)
    am = rng.integers(1, 13, n)
    nip = nips.issue(by, bm, bd, ay, am, gender)
    name = pc.binary_join_element_wise(
        _labels(FIRST_NAMES, rng.integers(len(FIRST_NAMES), size=n)),
        _labels(LAST_NAMES, rng.integers(len(LAST_NAMES), size=n)),
        " ",
    )
    table = pa.table(
        {
            "nip": nip,
            "name": name,
            "region_id": pa.repeat(reg.id, n).cast(_S),
            "agency": _labels(AGENCIES, _pick(rng, AGENCIES, n)),
            "grade": _labels(GRADE_SHARES, _pick(rng, GRADE_SHARES, n)),
            "position_type": _labels(POSITION_SHARES, _pick(rng, POSITION_SHARES, n)),
            "gender": _labels(("L", "P"), gender - 1),
            "birth_year": by,
            "education": _labels(EDUCATION_SHARES, _pick(rng, EDUCATION_SHARES, n)),
        },
        schema=SCHEMAS["participants"],
    )
    latent = {
        "nip": nip,
        "sat": rng.normal(0, 0.6, n),
        "support": np.clip(rng.normal(3.4, 0.9, n), 1, 5),
        "workload": np.clip(np.rint(rng.normal(3.2, 1.0, n)), 1, 5).astype(int),
    }
    return table, latent


def _programmes(reg: SyntheticRegion, rng: np.random.Generator, n_enrolments: int) -> dict:
    names = list(METHODS)
    share = np.array([METHODS[m][0] for m in names])
    class_size = np.array([METHODS[m][1] for m in names], dtype=float)
    n = max(len(names), round(n_enrolments / float(share @ class_size)))
    method = rng.choice(len(names), size=n, p=share / share.sum())
    lo, step, steps = (np.array([METHODS[m][2][k] for m in names]) for k in range(3))
    jp = lo[method] + step[method] * np.floor(rng.random(n) * steps[method]).astype(int)
    year = 2023 + rng.integers(0, 3, n)
    day = rng.integers(START_DAY_FIRST, START_DAY_LAST + 1, n)
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day
    order = np.lexsort((day, year))  # chronological: ids number the programmes as they start
    method, jp, year, start = method[order], jp[order], year[order], start[order]
    end = start + (np.ceil(jp / 8 * 7 / 5).astype(int) - 1)
    shares = np.array([DELIVERY_SHARES.get(m, DELIVERY_DEFAULT) for m in names]).cumsum(axis=1)
    delivery = (rng.random(n)[:, None] > shares[method]).sum(axis=1)
    topic = rng.integers(len(TOPICS), size=n)
    partner = np.where(rng.random(n) < P_PARTNER, rng.integers(1, N_PARTNERS + 1, n), 0)
    incentive = rng.random(n) < P_INCENTIVE
    tested_method = np.isin(np.array(names)[method], TESTED_METHODS)
    tested = tested_method & (rng.random(n) < P_TESTED)
    followup = (np.array(names)[method] != "seminar") & (rng.random(n) < P_FOLLOWUP)
    capacity = class_size[method] * rng.lognormal(0, 0.3, n)
    titles = [f"{METHOD_TITLE[m]} {t}" for m in names for t in TOPICS.values()]
    number = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), _S), 4, "0")
    pid = pc.binary_join_element_wise(reg.id.upper(), pc.cast(pa.array(year), _S), number, "-")
    partners = ["", *(f"Perguruan Tinggi Mitra Sintetis {k:02d}" for k in range(1, N_PARTNERS + 1))]
    table = pa.table(
        {
            "program_id": pid,
            "region_id": pa.repeat(reg.id, n).cast(_S),
            "title": _labels(titles, method * len(TOPICS) + topic),
            "topic": _labels(TOPICS, topic),
            "method": _labels(names, method),
            "delivery": _labels(DELIVERIES, delivery),
            "partner": _labels(partners, partner),
            "start_date": start,
            "end_date": end,
            "jp": jp,
            "incentive": _labels(("tidak", "ya"), incentive.astype(int)),
            "cost_idr": jp * rng.integers(150, 400, n) * 1000,
        },
        schema=SCHEMAS["programs"],
    )
    return {
        "table": table,
        "id": pid,
        "method": np.array(names)[method],
        "jp": jp,
        "start": start,
        "end": end,
        "incentive": incentive,
        "tested": tested,
        "followup": followup,
        "capacity": capacity,
        "effect": rng.normal(0, PROGRAM_GAIN_SD, n),
    }


def _region_tables(reg: SyntheticRegion, seed: int, nips: NipBook) -> dict[str, pa.Table]:
    """Every table's rows of one invented region, drawn from its own random stream."""
    rng = np.random.default_rng([seed, NATIONAL_STREAM, 1, reg.index])
    participants, person_latent = _people(reg, rng, nips)
    n = reg.n_asn
    # Enrolments: how many per person, then which programmes (in proportion to class capacity).
    p = ENROL_NB_SIZE / (ENROL_NB_SIZE + reg.enrol_mean)
    k = np.minimum(rng.negative_binomial(ENROL_NB_SIZE, p, n), ENROL_MAX)
    prog_info = _programmes(reg, rng, int(k.sum()))
    n_prog = len(prog_info["jp"])
    draw = rng.choice(n_prog, size=int(k.sum()), p=prog_info["capacity"] / prog_info["capacity"].sum())
    pair = np.unique(np.repeat(np.arange(n), k).astype(np.int64) * n_prog + draw)  # one enrolment per pair
    person, prog = pair // n_prog, pair % n_prog
    e = len(pair)
    nip = pa.array(person_latent["nip"][person])
    pid = prog_info["id"].take(pa.array(prog))
    workload = person_latent["workload"][person]
    conflict = rng.random(e) < reg.conflict_rate
    logit = (
        COMPLETION_LOGIT
        + CONFLICT_LOG_OR * conflict
        + INCENTIVE_LOG_OR * prog_info["incentive"][prog]
        + WORKLOAD_LOG_OR * (workload - 3)
    )
    completed = rng.random(e) < 1 / (1 + np.exp(-logit))
    no_show = ~completed & (rng.random(e) < P_NO_SHOW)
    dropped = ~completed & ~no_show
    total = np.maximum(2, prog_info["jp"][prog] // 4)
    attended = np.where(
        completed, total - rng.integers(0, 2, e), np.where(no_show, 0, rng.integers(1, np.maximum(2, total // 2 + 1)))
    )
    reason = np.where(completed, 0, np.where(conflict, 1, rng.integers(2, len(ABSENCE_REASONS) + 1, e)))
    enrollments = pa.table(
        {
            "nip": nip,
            "program_id": pid,
            "status": _labels(("completed", "no_show", "dropped"), np.where(completed, 0, np.where(no_show, 1, 2))),
            "sessions_attended": attended,
            "sessions_total": total,
            "schedule_conflict": _labels(("tidak", "ya"), conflict.astype(int)),
            "workload": workload,
            "absence_reason": _labels(("", *ABSENCE_REASONS), reason),
        },
        schema=SCHEMAS["enrollments"],
    )
    tables = {"programs": prog_info["table"], "participants": participants, "enrollments": enrollments}
    tables["reaction"] = _reaction(reg, rng, completed, person, prog, prog_info, person_latent, conflict, nip, pid)
    tables["tests"] = _tests(reg, rng, completed, dropped, prog, prog_info, nip, pid)
    tables["followup"] = _followup(rng, completed, person, prog, prog_info, person_latent, nip, pid)
    units = _service_units(rng)
    tables["service"] = _service(reg, rng, units)
    tables["skm"] = _skm(reg, rng, units)
    k_q = int(rng.integers(*QUALITATIVE_PER_REGION))
    q = rng.choice(len(QUALITATIVE_BANK), size=k_q, replace=False)
    tables["qualitative"] = pa.table(
        {
            "region_id": pa.repeat(reg.id, k_q).cast(_S),
            "source": _labels([b[0] for b in QUALITATIVE_BANK], q),
            "theme": _labels([b[1] for b in QUALITATIVE_BANK], q),
            "excerpt": _labels([b[2] for b in QUALITATIVE_BANK], q),
        },
        schema=SCHEMAS["qualitative"],
    )
    return tables


def _reaction(reg, rng, completed, person, prog, prog_info, latent, conflict, nip, pid) -> pa.Table:
    rows = np.flatnonzero(completed & (rng.random(len(completed)) < reg.response_rate))
    r = len(rows)
    base = 3.9 + latent["sat"][person[rows]] + 0.3 * (prog_info["method"][prog[rows]] == "project_based")
    labels = list(LIKERT_ID.values())
    items = {}
    for item in REACTION_ITEMS:
        shift = -0.5 * conflict[rows] if item == "schedule" else 0.0
        score = np.clip(np.rint(base + shift + rng.normal(0, 0.7, r)), 1, 5).astype(int)
        items[item] = _labels(labels, score - 1)
    seconds = rng.integers(0, 4, r) * 86400 + rng.integers(8, 17, r) * 3600 + rng.integers(0, 60, r) * 60
    submitted = prog_info["end"][prog[rows]].astype("datetime64[s]") + seconds
    comment = np.where(rng.random(r) < P_COMMENT, rng.integers(1, len(COMMENTS) + 1, r), 0)
    idx = pa.array(rows)
    return pa.table(
        {
            "nip": nip.take(idx),
            "program_id": pid.take(idx),
            "submitted_at": submitted,
            **items,
            "comment": _labels(("", *COMMENTS), comment),
        },
        schema=SCHEMAS["reaction"],
    )


def _tests(reg, rng, completed, dropped, prog, prog_info, nip, pid) -> pa.Table:
    tested = prog_info["tested"][prog]
    rows = np.flatnonzero(tested & (completed | (dropped & (rng.random(len(prog)) < P_PRE_ONLY))))
    r = len(rows)
    pre = np.clip(rng.normal(PRE_MEAN, PRE_SD, r), PRE_LO, PRE_HI)
    gain = reg.learning_gain + prog_info["effect"][prog[rows]] + rng.normal(0, TEST_NOISE_SD, r)
    post = np.clip(pre + gain, 0, 100)
    done = completed[rows]
    post_text = _decimals(post, 1)
    date = np.where(done, prog_info["end"][prog[rows]], prog_info["start"][prog[rows]])
    idx = pa.array(rows)
    return pa.table(
        {
            "nip": nip.take(idx),
            "program_id": pid.take(idx),
            "test_date": date,
            "pre_score": _decimals(pre, 1),
            "post_score": pc.if_else(pa.array(done), post_text, pa.scalar(None, _S)),
        },
        schema=SCHEMAS["tests"],
    )


def _rating(x: np.ndarray) -> np.ndarray:
    """A 1-5 rating from a latent score, as the sample rounds them."""
    return np.clip(np.rint(x), 1, 5).astype(int)


def _followup(rng, completed, person, prog, prog_info, latent, nip, pid) -> pa.Table:
    """Follow-ups at 3 and 6 months of completers of follow-up programmes, if the wave falls in 2025 or before."""
    end_month = prog_info["end"][prog].astype("datetime64[M]")
    parts = []
    for months in (3, 6):
        due = end_month + months <= np.datetime64("2025-12", "M")
        rows = np.flatnonzero(
            completed & prog_info["followup"][prog] & due & (rng.random(len(prog)) < P_FOLLOWUP_ANSWER)
        )
        r = len(rows)
        support = latent["support"][person[rows]]
        self_app = 1.8 + SUPPORT_SLOPE * support + rng.normal(0, 0.6, r)
        sup_app = self_app - SUPERVISOR_GAP + rng.normal(0, 0.5, r)
        idx = pa.array(rows)
        parts.append(
            pa.table(
                {
                    "nip": nip.take(idx),
                    "program_id": pid.take(idx),
                    "months_after": np.full(r, months),
                    "application_self": _rating(self_app),
                    "application_supervisor": _rating(sup_app),
                    "supervisor_support": _rating(support),
                    "colleague_support": _rating(rng.normal(3.6, 0.8, r)),
                    "barrier": _labels(BARRIERS, rng.integers(len(BARRIERS), size=r)),
                },
                schema=SCHEMAS["followup"],
            )
        )
    return pa.concat_tables(parts)


@dataclass(frozen=True)
class _Unit:
    name: str
    indicator: str
    trained_from: str  # "" for a comparison (untrained) unit
    base: float
    pre_slope: float
    level: float
    slope_change: float
    sd: float


def _service_units(rng: np.random.Generator) -> list[_Unit]:
    """A region's service units: processing time at one or two trained units and up to two
    comparison units; in half the regions also the complaint desk (with a comparison desk in half)."""
    units = []
    for indicator, trainable, comparison, base, sd, level, slope in SERVICES:
        if indicator == "complaint_response_hours":
            if rng.random() >= P_COMPLAINT_DESK:
                continue
            n_trained, n_comparison = 1, int(rng.random() < P_COMPLAINT_COMPARISON)
        else:
            n_trained = 1 + int(rng.random() < P_SECOND_TRAINED_UNIT)
            n_comparison = int(rng.choice(3, p=COMPARISON_UNITS_P))
        month = SERVICE_MONTHS[12 + int(rng.integers(0, 12))] if rng.random() < P_TRAINED else ""
        pre_slope = float(rng.normal(0, 0.002 * np.mean(base)))
        step, change = float(rng.uniform(*level)), float(rng.uniform(*slope))
        for name, trained in [(u, month) for u in trainable[:n_trained]] + [(u, "") for u in comparison[:n_comparison]]:
            b = float(rng.uniform(*base))
            units.append(_Unit(name, indicator, trained, b, pre_slope, step, change, sd * b))
    return units


def _service(reg: SyntheticRegion, rng: np.random.Generator, units: list[_Unit]) -> pa.Table:
    """36 monthly values per unit: trend, AR(1) noise and, from the training month, a level and slope change."""
    t_n, u_n = len(SERVICE_MONTHS), len(units)
    sd = np.array([u.sd for u in units])
    z = rng.normal(0, 1, (t_n, u_n)) * sd
    noise = np.empty_like(z)
    noise[0] = z[0]
    for t in range(1, t_n):  # over months, all units at once
        noise[t] = SERVICE_AR1 * noise[t - 1] + math.sqrt(1 - SERVICE_AR1**2) * z[t]
    t = np.arange(t_n)[:, None]
    start = np.array([SERVICE_MONTHS.index(u.trained_from) if u.trained_from else t_n for u in units])
    since = np.where(t >= start, t - start + 1, 0)  # months since the last pre-training month
    after = t >= start
    value = (
        np.array([u.base for u in units])
        + np.array([u.pre_slope for u in units]) * t
        + after * (np.array([u.level for u in units]) + np.array([u.slope_change for u in units]) * since)
        + noise
    )
    value = np.maximum(value, 0.1).T.ravel()  # unit by unit, months in order
    unit_idx = np.repeat(np.arange(u_n), t_n)
    return pa.table(
        {
            "region_id": pa.repeat(reg.id, u_n * t_n).cast(_S),
            "unit": _labels([u.name for u in units], unit_idx),
            "indicator": _labels([u.indicator for u in units], unit_idx),
            "period": _labels(SERVICE_MONTHS, np.tile(np.arange(t_n), u_n)),
            "value": _decimals(value, 2),
            "n_cases": rng.integers(80, 400, u_n * t_n),
            "trained_from": _labels([u.trained_from for u in units], unit_idx),
        },
        schema=SCHEMAS["service"],
    )


def krejcie_morgan(population: np.ndarray) -> np.ndarray:
    """Krejcie & Morgan (1970) sample size: round(3.841 N 0.25 / (0.0025 (N - 1) + 0.96025))."""
    n = np.asarray(population, dtype=float)
    return np.rint(3.841 * n * 0.25 / (0.0025 * (n - 1) + 0.96025)).astype(int)


def _skm(reg: SyntheticRegion, rng: np.random.Generator, units: list[_Unit]) -> pa.Table:
    """IKM respondents of every service unit in the sample's two waves; trained units improve as the sample's do."""
    users = reg.n_asn * USERS_PER_ASN * rng.lognormal(0, USERS_SD, (len(units), len(SKM_WAVES)))
    size = np.rint(krejcie_morgan(users) * rng.uniform(0.9, 1.2, users.shape)).astype(int)
    unit_idx = np.repeat(np.repeat(np.arange(len(units)), len(SKM_WAVES)), size.ravel())
    wave_idx = np.repeat(np.tile(np.arange(len(SKM_WAVES)), len(units)), size.ravel())
    r = len(unit_idx)
    unit_shift = np.where([u.trained_from != "" for u in units], IKM_SHIFT_TRAINED, IKM_SHIFT_UNTRAINED)
    shift = np.where(wave_idx == 0, 0.0, unit_shift[unit_idx])
    level = rng.normal(2.9 + shift, 0.35)
    scores = {}
    for u in SKM_UNSUR:
        x = np.clip(np.rint(level + rng.normal(0, 0.45, r)), 1, 4).astype(int)
        # Biaya/Tarif is often left blank where a service is free (as in the sample).
        scores[u] = pa.array(x, _I, mask=(rng.random(r) < 0.1) if u == "u4" else None)
    age = np.clip(np.rint(rng.normal(40, 13, r)), 17, 80).astype(int)
    return pa.table(
        {
            "region_id": pa.repeat(reg.id, r).cast(_S),
            "unit": _labels([u.name for u in units], unit_idx),
            "period": _labels([w for w, _ in SKM_WAVES], wave_idx),
            **scores,
            "gender": _labels(SKM_GENDER, _pick(rng, SKM_GENDER, r)),
            "age": pa.array(age, _I, mask=rng.random(r) < SKM_AGE_BLANK),
            "education": _labels(SKM_EDUCATION, _pick(rng, SKM_EDUCATION, r)),
            "occupation": _labels(SKM_OCCUPATION, _pick(rng, SKM_OCCUPATION, r)),
        },
        schema=SCHEMAS["skm"],
    )


# --- the dataset folder ------------------------------------------------------------------------


def _part(table: str, k: int) -> str:
    return f"{table}/part-{k:03d}.csv"


def national_yaml(seed: int, regions: list[SyntheticRegion], n_parts: int, asn_total: int) -> dict:
    """``dataset.yml`` of the national dataset: the sample's description, extended."""
    spec = dataset_yaml(seed, 1)
    n_regions = len(REGIONS) + len(regions)
    spec["name"] = NATIONAL_NAME
    people = f"{asn_total:,}".replace(",", " ")
    spec["title"] = (
        f"Data nasional sintetis / Synthetic national-scale data ({people} ASN, {n_regions} wilayah / regions)"
    )
    spec["generator"] = "asn-eval synth --scale national (helpers.synth.national)"
    spec["notes"] = _notes(regions, asn_total)
    spec["planted_distribution"] = {
        "indicator": "learning.mean_gain",
        "regions": "the invented regions (kab-*, kota-*)",
        "latent": "delta_r ~ N(mu, tau), points on 0-100 before clipping",
        "mu": LEARNING_MU,
        "tau": LEARNING_TAU,
        "truth_at_mu": round(expected_gain(LEARNING_MU), 4),
    }
    spec["regions"] = spec["regions"] + [r.as_yaml() for r in regions]
    spec["files"] = {t: [_part(t, k) for k in range(n_parts)] for t in TABLES}
    spec["planted_effects"] = spec["planted_effects"] + [planted_learning(r) for r in regions]
    order = ["name", "title", "synthetic", "seed", "generator", "notes", "planted_distribution"]
    return {k: spec[k] for k in order} | {k: v for k, v in spec.items() if k not in order}


def _notes(regions: list[SyntheticRegion], asn_total: int) -> str:
    return " ".join(
        [
            f"Synthetic, invented data at national scale: {asn_total:,} ASN in {len(REGIONS) + len(regions)} regions.",
            "The four sample regions (salatiga, plaju, dki-jakarta, sawahlunto) are the sample's rows exactly",
            "(files part-000, planted bad rows included). The other regions are invented kabupaten/kota",
            "(ids kab-NNNN / kota-NNNN, names 'Kabupaten/Kota Sintetis NNNN', no Kemendagri code), as many per",
            "province as it has autonomous ones; their names, people and results describe no real region.",
            f"Planted learning gain of each invented region: delta_r ~ N(mu={LEARNING_MU}, tau={LEARNING_TAU})",
            "points before clipping; planted_effects lists per region the mean observed gain it implies after",
            f"clipping (at mu: {expected_gain(LEARNING_MU):.4f}), so a cross-region summary should find a pooled",
            f"gain near that and a between-region SD near {LEARNING_TAU} (clipping shrinks both slightly).",
            "No method differences are planted in the invented regions. Service units trained in 2024 improve",
            f"by a level and slope change, and their IKM rises by {IKM_SHIFT_TRAINED} (unsur scale) by the 2025",
            f"wave against {IKM_SHIFT_UNTRAINED} elsewhere; these are not listed as planted effects.",
            f"Volumes over 2023-2025: enrolments per ASN negative binomial (mean {ENROL_MEAN} times a regional",
            "level; nearly half of the ASN enrol in nothing, so most stay far below 20 JP a year), reaction",
            f"forms from {RESPONSE_RATE[0]:.0%}-{RESPONSE_RATE[1]:.0%} of completers, pre/post tests in",
            f"{P_TESTED:.0%} of the programmes of tested methods, follow-ups in {P_FOLLOWUP:.0%} of programmes,",
            "two IKM waves per service unit of Krejcie & Morgan size.",
        ]
    )


def write_national(
    out: Path, seed: int = DEFAULT_SEED, n_regions: int | None = None, asn_total: int = ASN_TOTAL
) -> list[Path]:
    """Write the national synthetic dataset into ``out`` (created if missing); return the files written.

    Parameters
    ----------
    out
        The dataset folder; files ``<table>/part-NNN.csv`` of an earlier run there are replaced.
    seed
        Seed of every random stream; the same seed and sizes give the same bytes.
    n_regions
        Invented regions (default all 506; tests use a dozen).
    asn_total
        ASN in the dataset, the sample's 1,020 included (default 4.3 million).

    Part 0 of each table is the sample at scale 1; then one part per block of ``BLOCK_REGIONS``
    invented regions, written region by region so memory holds one region at a time.
    ``dataset.yml`` is written last: a run cut short leaves no dataset to ingest.
    """
    out = Path(out)
    regions = synthetic_regions(seed, n_regions, asn_total)
    n_blocks = math.ceil(len(regions) / BLOCK_REGIONS)
    blocks = np.array_split(np.arange(len(regions)), n_blocks)
    for table in TABLES:
        (out / table).mkdir(parents=True, exist_ok=True)
        for stale in (out / table).glob("part-*.csv"):
            stale.unlink()
    (out / "dataset.yml").unlink(missing_ok=True)
    written = []
    sample = generate(seed, 1)
    nips = NipBook()
    nips.reserve([p["nip"] for p in sample["participants"] if len(p["nip"]) == 18])
    for table, rows in sample.items():
        path = out / _part(table, 0)
        path.write_text(_to_csv(rows), encoding="utf-8", newline="\n")
        written.append(path)
    for k, block in enumerate(blocks, start=1):
        paths = {t: out / _part(t, k) for t in TABLES}
        writers = {t: pacsv.CSVWriter(str(paths[t]), SCHEMAS[t], write_options=_CSV_OPTIONS) for t in TABLES}
        try:
            for i in block:
                for table, rows in _region_tables(regions[i], seed, nips).items():
                    writers[table].write_table(rows)
        finally:
            for w in writers.values():
                w.close()
        written += paths.values()
    header = (
        "# Synthetic data generated by `asn-eval synth --scale national`; NOT real people or real regions' results.\n"
        f"# Regenerate with: asn-eval synth --out data/raw/{NATIONAL_NAME} --seed {seed} --scale national\n"
    )
    spec = national_yaml(seed, regions, n_blocks + 1, asn_total)
    path = out / "dataset.yml"
    path.write_text(
        header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8", newline="\n"
    )
    return [path, *written]
