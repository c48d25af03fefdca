"""Indeks Kepuasan Masyarakat (IKM) per PermenPANRB No. 14 Tahun 2017."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import pandas as pd

from ._common import Result, round_half_up

__all__ = [
    "UNSUR",
    "IKMCategory",
    "IKMResult",
    "ikm_category",
    "ikm_score",
    "krejcie_morgan",
]

#: The nine service elements (unsur) of PermenPANRB 14/2017, in the order of
#: the regulation. Data are matched by name (or u1..u9 codes), never by position.
UNSUR: tuple[str, ...] = (
    "Persyaratan",
    "Sistem, Mekanisme dan Prosedur",
    "Waktu Penyelesaian",
    "Biaya/Tarif",
    "Produk Spesifikasi Jenis Pelayanan",
    "Kompetensi Pelaksana",
    "Perilaku Pelaksana",
    "Penanganan Pengaduan, Saran dan Masukan",
    "Sarana dan Prasarana",
)

#: Printed weight (nilai penimbang) of the regulation: 1/9 rounded to 0,111.
PRINTED_WEIGHT = Fraction(111, 1000)

# (code, label, lower, upper) on the converted 25-100 scale, bounds inclusive
# after rounding to two decimals (lampiran PermenPANRB 14/2017).
_CATEGORIES = (
    ("A", "Sangat Baik", Fraction("88.31"), Fraction("100.00")),
    ("B", "Baik", Fraction("76.61"), Fraction("88.30")),
    ("C", "Kurang Baik", Fraction("65.00"), Fraction("76.60")),
    ("D", "Tidak Baik", Fraction("25.00"), Fraction("64.99")),
)

#: Lower bound of each grade above D, for drawing the thresholds: (("A", 88.31), ("B", 76.61), ("C", 65.0)).
GRADE_LOWER_BOUNDS = tuple((code, float(low)) for code, _, low, _ in _CATEGORIES[:-1])


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


_UNSUR_KEYS = {_key(u): u for u in UNSUR}
_CODE = re.compile(r"^u([1-9])$")


@dataclass(frozen=True)
class IKMCategory:
    """Service-quality category (mutu pelayanan) of a converted IKM value."""

    code: str
    label: str


@dataclass(frozen=True, eq=False)
class IKMResult(Result):
    """Citizen-satisfaction index of one unit (and period).

    Attributes
    ----------
    value : float
        Converted IKM (25-100), rounded half-up to two decimals.
    raw_index : float
        Weighted mean of the NRR on the 1-4 scale (unrounded).
    category, label : str or None
        Mutu pelayanan, e.g. ``"A"``, ``"Sangat Baik"``; None when undefined.
    nrr : pandas.Series
        Nilai rata-rata per unsur (sum of scores / answers to that unsur).
    n_answers : pandas.Series
        Questionnaires that answered each unsur.
    n : int
        Questionnaires with at least one answer.
    k : int
        Number of unsur.
    weight : str
        ``"exact"`` (1/k) or ``"printed"`` (0.111).
    method : str
        Description of the computation.
    note : str
        Why the index is undefined, if it is.
    """

    value: float
    raw_index: float
    category: str | None
    label: str | None
    nrr: pd.Series = field(repr=False)
    n_answers: pd.Series = field(repr=False)
    n: int
    k: int
    weight: str
    method: str
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy per-unsur table: ``unsur``, ``n_answers``, ``nrr``, ``nrr_weighted``."""
        k = len(self.nrr)
        w = 1.0 / k if self.weight == "exact" else float(PRINTED_WEIGHT)
        return pd.DataFrame(
            {
                "unsur": self.nrr.index.astype(str),
                "n_answers": self.n_answers.to_numpy(),
                "nrr": self.nrr.to_numpy(),
                "nrr_weighted": self.nrr.to_numpy() * w,
            }
        )


def _canonical(column: Any) -> str:
    """Canonical unsur name, or the u-code as given; anything else is an error."""
    text = str(column).strip()
    if _CODE.match(text.lower()):
        return text.lower()
    key = _key(text)
    if key in _UNSUR_KEYS:
        return _UNSUR_KEYS[key]
    raise ValueError(f"column {column!r} is not an IKM unsur; use one of {list(UNSUR)} or u1..u9")


def ikm_category(value: float) -> IKMCategory:
    """Classify a converted IKM value (25-100) into mutu pelayanan A-D.

    The value is first rounded half-up to two decimals, as the regulation's
    interval table has two-decimal bounds with no gaps between them only at
    that precision (88.305 -> 88.31 -> A; 88.3049 -> 88.30 -> B).

    Raises
    ------
    ValueError
        If the rounded value lies outside 25.00-100.00.

    Examples
    --------
    >>> ikm_category(88.31)
    IKMCategory(code='A', label='Sangat Baik')
    >>> ikm_category(88.30).code
    'B'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError("IKM value is missing")
    rounded = round_half_up(value if isinstance(value, Fraction) else Fraction(str(value)), 2)
    for code, label, low, high in _CATEGORIES:
        if low <= rounded <= high:
            return IKMCategory(code, label)
    raise ValueError(f"IKM value {float(rounded):.2f} is outside the 25.00-100.00 scale")


def ikm_score(
    responses: pd.DataFrame,
    weight: Literal["exact", "printed"] = "exact",
) -> IKMResult:
    """Compute the IKM of a set of SKM questionnaires (PermenPANRB 14/2017).

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per questionnaire; one column per unsur, named by unsur name
        (see :data:`UNSUR`, matched ignoring case and punctuation) or by the
        codes ``u1``..``u9``. Every column is treated as an unsur. Scores are
        1-4 (4 best); a blank (NaN) is a missing answer.
    weight : {"exact", "printed"}, default "exact"
        ``"exact"`` uses 1/k; ``"printed"`` uses the regulation's rounded
        0.111 (only for the nine-unsur questionnaire).

    Returns
    -------
    IKMResult

    Raises
    ------
    ValueError
        For a column that is not an unsur, a score outside 1-4 or not a
        whole number (the message names the column and the value), or
        ``weight="printed"`` with other than nine unsur.

    Notes
    -----
    Per the lampiran of PermenPANRB 14/2017:

    - NRR per unsur = sum of its scores / number of questionnaires that
      answered that unsur (a blank is missing, never 0);
    - IKM = sum(NRR x weight), weight = 1/k (printed as 0,111 for k = 9);
    - converted IKM = IKM x 25, rounded to two decimals *before*
      classifying: 88.31-100.00 A Sangat Baik; 76.61-88.30 B Baik;
      65.00-76.60 C Kurang Baik; 25.00-64.99 D Tidak Baik.

    Arithmetic is done with exact fractions so a value such as 88.305 is
    rounded as on paper, not as its binary approximation. An unsur that no
    one answered makes the index undefined: value NaN, category None and a
    ``note`` (no exception, so a report can still show the other units).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({f"u{i}": [4, 3, 4, 4] for i in range(1, 10)})
    >>> r = ikm_score(df)
    >>> r.value, r.category, r.label
    (93.75, 'A', 'Sangat Baik')
    """
    if weight not in ("exact", "printed"):
        raise ValueError(f"weight must be 'exact' or 'printed', got {weight!r}")
    if responses.shape[1] == 0:
        raise ValueError("responses has no unsur columns")
    names = [_canonical(c) for c in responses.columns]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"one unsur under two column names: {twice} (columns: {list(responses.columns)})")
    coded = [_CODE.match(n) is not None for n in names]
    if any(coded) and not all(coded):
        # u-codes are numbered differently by different exports (dataset.yml skm_unsur says which
        # is which), so a code and a name may be the same unsur counted twice.
        raise ValueError("columns mix u-codes and unsur names; map the codes to names first (dataset.yml skm_unsur)")
    k = len(names)
    if weight == "printed" and k != 9:
        raise ValueError(f"the printed weight 0.111 applies to nine unsur, not {k}")
    w = Fraction(1, k) if weight == "exact" else PRINTED_WEIGHT

    sums: dict[str, int] = {}
    counts: dict[str, int] = {}
    for column, name in zip(responses.columns, names, strict=True):
        raw = responses[column]
        values = pd.to_numeric(raw, errors="coerce")
        unparsed = raw[values.isna() & raw.notna()]
        if len(unparsed):
            raise ValueError(f"unsur {column!r}: score {unparsed.iloc[0]!r} is not a number 1-4")
        answered = values.dropna()
        bad = answered[~answered.isin([1, 2, 3, 4])]
        if len(bad):
            raise ValueError(f"unsur {column!r}: score {bad.iloc[0]!r} is outside 1-4")
        sums[name] = int(answered.sum())
        counts[name] = int(len(answered))

    n = int(responses.notna().any(axis=1).sum())
    n_answers = pd.Series(counts, name="n_answers", dtype="int64")
    nrr = pd.Series({u: (sums[u] / counts[u] if counts[u] else math.nan) for u in names}, name="nrr", dtype=float)
    method = (
        f"PermenPANRB 14/2017: NRR = sum / answers per unsur; IKM = sum(NRR x "
        f"{'1/' + str(k) if weight == 'exact' else '0.111'}) x 25, rounded half-up to 2 dp before classifying"
    )
    unanswered = [u for u in names if counts[u] == 0]
    if unanswered:
        return IKMResult(
            math.nan,
            math.nan,
            None,
            None,
            nrr,
            n_answers,
            n,
            k,
            weight,
            method,
            note=f"no answers for unsur {unanswered}: IKM undefined",
        )

    raw_index = sum(Fraction(sums[u], counts[u]) * w for u in names)
    converted = round_half_up(raw_index * 25, 2)
    category = ikm_category(converted)
    return IKMResult(
        value=float(converted),
        raw_index=float(raw_index),
        category=category.code,
        label=category.label,
        nrr=nrr,
        n_answers=n_answers,
        n=n,
        k=k,
        weight=weight,
        method=method,
    )


def krejcie_morgan(population: int) -> int:
    """Minimum sample size for a finite population (Krejcie & Morgan, 1970).

    ``s = X^2 N P(1-P) / (d^2 (N-1) + X^2 P(1-P))`` with X^2 = 3.841
    (chi-square, 1 df, 95%), P = 0.5 and d = 0.05, i.e.
    ``3.841*N*0.25 / (0.0025*(N-1) + 0.96025)``, rounded half-up. This
    reproduces the published table (Educational and Psychological
    Measurement 30:607-610), e.g. N=100 -> 80, N=1000 -> 278.

    Examples
    --------
    >>> krejcie_morgan(100), krejcie_morgan(1_000_000)
    (80, 384)
    """
    if isinstance(population, bool) or not float(population).is_integer() or population < 1:
        raise ValueError(f"population must be a positive whole number, got {population!r}")
    n_pop = Fraction(int(population))
    chi2, p, d = Fraction("3.841"), Fraction(1, 2), Fraction("0.05")
    s = chi2 * n_pop * p * (1 - p) / (d**2 * (n_pop - 1) + chi2 * p * (1 - p))
    return int(round_half_up(s, 0))
