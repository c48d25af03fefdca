"""Cell text -> typed value: numbers, dates, months, Likert answers and the other contract types.

Each parser takes a non-blank stripped string and returns the parsed value, or raises ValueError
with a message that tells the researcher what was expected (RuleError when the value parsed but
breaks a named rule, such as a range). Exports from Indonesian and English locales are both
read: ``"67,5"`` and ``"67.5"``, ``05/03/2024`` and ``5 Maret 2024``.

``ColumnParser.parse_distinct`` parses the distinct texts of a whole column at once: the forms
large tables consist of (18-digit NIPs, ISO dates and times, identifiers, free text) are checked
by vectorised Arrow and NumPy operations, which accept only what ``parse`` accepts, with the
value ``parse`` gives; every other text goes through ``parse``, one call per distinct text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .contract import RECODABLE_TYPES, ColumnSpec, Contract, label_key
from .dataset_spec import DatasetSpec, FileSpec
from .privacy import nip_problem, scrub_text


class RuleError(ValueError):
    """A value parsed but breaks a named rule (e.g. ``range``); plain ValueError means unparseable."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


_MAX_EXACT = 2**53  # larger whole numbers cannot be stored exactly; no count in this contract gets near
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2212": "-"})


def parse_number(text: str, decimal: str = "auto", rupiah: bool = False) -> float:
    """Parse a number written the Indonesian or the English way.

    Parameters
    ----------
    text : str
        The cell as read, e.g. ``"67,5"``, ``"1.234.000"``, ``"1,234.5"``, ``"1 234"``.
    decimal : {"auto", "comma", "point"}
        The file's decimal mark. ``comma`` is the id_ID locale (``"1.234,5"``); ``point`` en_US.
        ``auto`` reads the last of two different separators as the decimal mark, a repeated one
        as a thousands separator, and a lone one as the decimal mark (``"67,5"`` is 67.5).
    rupiah : bool
        An amount in rupiah: ``Rp`` and a trailing ``,-`` are allowed, and under ``auto`` a lone
        separator followed by exactly three digits groups thousands (``"1.500"`` is 1500).

    Examples
    --------
    >>> parse_number("1.234,5"), parse_number("67,5"), parse_number("1.234.000")
    (1234.5, 67.5, 1234000.0)
    >>> parse_number("Rp 1.500,-", rupiah=True)
    1500.0
    """
    s = text.translate(_SPACES).strip()
    if rupiah:
        s = re.sub(r"^(Rp\.?|IDR)\s*", "", s, flags=re.IGNORECASE)
        s = re.sub(r"[,.]-$", "", s).strip()
    sign = ""
    if s[:1] in "+-":
        sign, s = s[:1], s[1:].strip()
    if not re.fullmatch(r"[0-9., ]*[0-9][0-9., ]*", s):
        raise ValueError("not a number (use digits, with a decimal comma or point)")
    s = re.sub(r"(?<=[0-9]) (?=[0-9]{3}([^0-9]|$))", "_", s)  # "1 234 567": a space groups thousands
    if not re.fullmatch(r"[0-9.,_]+", s):
        raise ValueError("not a number (use digits, with a decimal comma or point)")
    point, comma = s.count("."), s.count(",")
    if decimal == "comma":
        dec, group = ",", "."
    elif decimal == "point":
        dec, group = ".", ","
    elif point and comma:
        dec, group = (",", ".") if s.rfind(",") > s.rfind(".") else (".", ",")
    elif point + comma == 0:
        dec, group = ".", ","
    else:
        mark = "." if point else ","
        other = "," if mark == "." else "."
        lone_group = rupiah and re.fullmatch(r"\d{1,3}[.,]\d{3}", s)
        dec, group = (other, mark) if point + comma > 1 or lone_group else (mark, other)
    m = re.fullmatch(rf"([0-9]+|[0-9]{{1,3}}(?:[{re.escape(group)}_][0-9]{{3}})+)?(?:{re.escape(dec)}([0-9]+))?", s)
    if not m or (m.group(1) is None and m.group(2) is None):
        raise ValueError(f"not a number (decimal mark '{dec}', thousands grouped by '{group}')")
    value = float(sign + re.sub(r"[^0-9]", "", m.group(1) or "0") + "." + (m.group(2) or "0"))
    if not math.isfinite(value) or abs(value) >= _MAX_EXACT:
        raise RuleError("range", "number too large")
    return value


_DATE_FORMATS = {
    "dmy": ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"),
    "mdy": ("%m/%d/%Y", "%m-%d-%Y"),
}
_ISO_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")
_TIME_FORMATS = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S", "T%H:%M", " %I:%M:%S %p", " %I:%M %p")
_GMT_SUFFIX = re.compile(r"\s*(GMT|UTC)\s*[+-]\d{1,2}(:?\d{2})?$", re.IGNORECASE)
_OFFSET = re.compile(r"(\d{2}:\d{2}(:\d{2})?)(\.\d+)?\s*([+-]\d{2}:?\d{2}|Z)?$")
_MONTHS = {
    "jan": 1,
    "januari": 1,
    "january": 1,
    "feb": 2,
    "februari": 2,
    "pebruari": 2,
    "february": 2,
    "mar": 3,
    "maret": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "mei": 5,
    "may": 5,
    "jun": 6,
    "juni": 6,
    "june": 6,
    "jul": 7,
    "juli": 7,
    "july": 7,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "agustus": 8,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "okt": 10,
    "oktober": 10,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "nop": 11,
    "nopember": 11,
    "november": 11,
    "des": 12,
    "desember": 12,
    "dec": 12,
    "december": 12,
}
_WORD_DATE = re.compile(r"(\d{1,2})[ -]([A-Za-z]+)\.?[ -](\d{4})")


def parse_datetime(text: str, date_order: str = "dmy") -> dt.datetime:
    """Parse dates as survey tools export them; local clock time is kept, the offset dropped.

    Accepts ISO dates and times, ``dd/mm/yyyy`` (Indonesian Sheets locale; ``mm/dd/yyyy`` with
    ``date_order="mdy"``), Google Forms' ``2024/03/05 10:22:13 AM GMT+7``, Kobo's
    ``2024-03-05T10:22:13.123+07:00`` and month names (``5 Maret 2024``, ``5-Mar-2024``).

    Examples
    --------
    >>> parse_datetime("2024/03/05 10:22:13 PM GMT+7")
    datetime.datetime(2024, 3, 5, 22, 22, 13)
    >>> parse_datetime("05/03/2024").date()
    datetime.date(2024, 3, 5)
    """
    s = " ".join(text.split())
    s = _GMT_SUFFIX.sub("", s)
    s = _OFFSET.sub(r"\1", s)
    word = _WORD_DATE.fullmatch(s)
    if word and word.group(2).lower() in _MONTHS:
        s = f"{word.group(3)}-{_MONTHS[word.group(2).lower()]:02d}-{int(word.group(1)):02d}"
    for date_fmt in _ISO_FORMATS + _DATE_FORMATS.get(date_order, _DATE_FORMATS["dmy"]):
        for time_fmt in _TIME_FORMATS:
            try:
                return dt.datetime.strptime(s, date_fmt + time_fmt)
            except ValueError:
                continue
    example = "DD/MM/YYYY" if date_order == "dmy" else "MM/DD/YYYY"
    raise ValueError(f"not a date (expected YYYY-MM-DD or {example})")


def parse_month(text: str, date_order: str = "dmy") -> str:
    """Parse a month as ``YYYY-MM`` (also ``MM/YYYY``, ``Maret 2024`` or a full date)."""
    s = " ".join(text.split())
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})", s)
    m2 = re.fullmatch(r"(\d{1,2})[-/.](\d{4})", s)
    m3 = re.fullmatch(r"([A-Za-z]+)\.?[ -](\d{4})", s)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    elif m2:
        year, month = int(m2.group(2)), int(m2.group(1))
    elif m3 and m3.group(1).lower() in _MONTHS:
        year, month = int(m3.group(2)), _MONTHS[m3.group(1).lower()]
    else:
        try:
            d = parse_datetime(s, date_order)
        except ValueError:
            raise ValueError("not a month (expected YYYY-MM)") from None
        year, month = d.year, d.month
    if not 1 <= month <= 12:
        raise ValueError("not a month (expected YYYY-MM)")
    return f"{year:04d}-{month:02d}"


_QUIZ_SCORE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*/\s*(\d+(?:[.,]\d+)?)\s*$")

# The pandas dtype of a parsed column, by contract type (text-like types: "string").
_DTYPES = {
    "int": "Int64",
    "float": "Float64",
    "likert": "Int64",
    "likert4": "Int64",
    "yesno": "boolean",
    "date": "object",  # datetime.date
    "datetime": "object",  # datetime.datetime
}


def column_dtype(col: ColumnSpec) -> str:
    """The dtype of a parsed column: nullable numbers, ``boolean``, Python dates, else ``string``."""
    return _DTYPES.get(col.type, "string")


# An ISO date, optionally with a time, exactly as parse_datetime's first formats read it
# ("%Y-%m-%d", then " %H:%M:%S", " %H:%M", "T%H:%M:%S", "T%H:%M"), all fields zero-padded.
_ISO_DATETIME = (
    r"^(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:(?P<sep>[ T])(?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?)?$"
)


def _ints(texts: pa.Array) -> np.ndarray:
    """Strings of ASCII digits (or empty: 0) as int64."""
    return pc.cast(pc.if_else(pc.equal(texts, ""), "0", texts), pa.int64()).to_numpy(zero_copy_only=False)


def _valid_days(y: np.ndarray, mo: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which (year, month, day) are real calendar dates (years 1-9999), and those dates."""
    ok = (y >= 1) & (y <= 9999) & (mo >= 1) & (mo <= 12) & (d >= 1)
    month = np.where(ok, (y - 1970) * 12 + mo - 1, 0).astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    length = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= d <= length
    return ok, first + np.where(ok, d - 1, 0).astype("timedelta64[D]")


def iso_datetimes(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Which texts are ISO dates or date-times that ``parse_datetime`` reads, and their values.

    Returns a mask and ``datetime64[s]`` values (NaT where the mask is false). Texts not accepted
    here may still be dates in another form: ``parse_datetime`` decides those.

    >>> ok, values = iso_datetimes(pa.array(["2024-03-05 10:22:13", "2024-02-30", "05/03/2024"]))
    >>> ok.tolist(), str(values[0])
    ([True, False, False], '2024-03-05T10:22:13')
    """
    parts = pc.extract_regex(texts, _ISO_DATETIME)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    if not matched.any():
        return matched, np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[s]")
    y, mo, d, h, mi, sec = (_ints(parts.field(f)) for f in ("y", "mo", "d", "h", "mi", "s"))
    ok, days = _valid_days(y, mo, d)
    ok &= matched & (h <= 23) & (mi <= 59) & (sec <= 59)  # strptime takes seconds 60-61, datetime not
    seconds = (h * 3600 + mi * 60 + sec).astype("timedelta64[s]")
    values = np.where(ok, days.astype("datetime64[s]") + seconds, np.datetime64("NaT"))
    return ok, values


_PLAIN_NIP = r"^[0-9]{18}$"


def plain_nips(texts: pa.Array) -> np.ndarray:
    """Which texts are 18 digits that ``nip_problem`` finds nothing wrong with.

    NIPs written otherwise (with spaces, a "NIP." label, ...) are left to ``nip_problem``.

    >>> plain_nips(pa.array(["197310261999082001", "197302301999082001", "19731026 199908 2 001"])).tolist()
    [True, False, False]
    """
    plain = pc.match_substring_regex(texts, _PLAIN_NIP).to_numpy(zero_copy_only=False)
    if not plain.any():
        return plain
    rows = np.flatnonzero(plain)
    digits = texts.take(pa.array(rows))

    def part(start: int, stop: int) -> np.ndarray:
        return _ints(pc.utf8_slice_codeunits(digits, start, stop))

    born_year = part(0, 4)
    born_ok, _ = _valid_days(born_year, part(4, 6), part(6, 8))
    appointed_year, appointed_month = part(8, 12), part(12, 14)
    ok = born_ok & (born_year >= 1900)
    ok &= (appointed_month >= 1) & (appointed_month <= 12) & (appointed_year >= born_year + 15)
    ok &= np.isin(part(14, 15), (1, 2))
    plain[rows] = ok
    return plain


def _shown(text: str, limit: int = 60) -> str:
    """A cell quoted in a reason: scrubbed of personal data (reasons reach the quarantine files)
    and cut to ``limit`` characters."""
    shown = scrub_text(text)
    return repr(shown if len(shown) <= limit else shown[: limit - 3] + "...")


def _fold(text: str) -> str:
    """Fold a label for matching: case, repeated spaces, and ``_``/``-`` as written by Kobo."""
    return " ".join(text.lower().replace("_", " ").split())


class ColumnParser:
    """Parse one column of strings into typed values, collecting a message per bad cell.

    ``decimal`` and ``date_order`` are the reading conventions of the file being parsed;
    ``values`` recodes its labels (``column -> {export label: contract value}``, from
    ``values:`` in dataset.yml), which is tried before the contract's own labels and synonyms.
    ``ColumnParser.for_file`` builds the parser of one file entry of dataset.yml.
    """

    def __init__(
        self,
        contract: Contract,
        spec: DatasetSpec,
        likert_sets: dict[str, str],
        decimal: str = "auto",
        date_order: str = "dmy",
        values: dict[str, dict[str, str]] | None = None,
    ):
        self.contract = contract
        self.regions = set(spec.region_ids)
        self.region_names = {label_key(r.name): r.id for r in getattr(spec, "regions", ())}
        self.likert_sets = likert_sets
        self.decimal = decimal
        self.date_order = date_order
        self.recodes = {
            column: {label_key(k): v for k, v in labels.items()} for column, labels in (values or {}).items()
        }
        self.recode_labels = values or {}

    @classmethod
    def for_file(cls, contract: Contract, spec: DatasetSpec, fspec: FileSpec) -> ColumnParser:
        """The parser of one file of ``spec``: its label sets (the dataset's, the file's winning),
        its decimal mark and date order, and its ``values:`` recodes."""
        return cls(
            contract, spec, {**spec.likert, **fspec.likert}, fspec.decimal, fspec.date_order, values=fspec.values
        )

    def parse_distinct(
        self, col: ColumnSpec, texts: pa.Array
    ) -> tuple[pd.api.extensions.ExtensionArray | np.ndarray, dict[int, ValueError]]:
        """Parse the distinct non-blank stripped ``texts`` of one column.

        Returns the values, one per text, in the column's dtype (``column_dtype``; missing where
        the text is not valid), and the error ``parse`` raised for each text that is not valid,
        by position. Identifiers and free text are taken as they are; plain 18-digit NIPs and ISO
        dates are checked vectorised (``plain_nips``, ``iso_datetimes``); any other text costs
        one ``parse`` call.
        """
        t = col.type
        dtype = column_dtype(col)
        if t in ("id", "str", "text"):
            return pd.array(texts, dtype=dtype), {}
        fast = np.zeros(len(texts), dtype=bool)
        if t == "nip":
            fast = plain_nips(texts)
        elif t in ("date", "datetime"):
            fast, stamps = iso_datetimes(texts)
        slow = np.flatnonzero(~fast)
        errors: dict[int, ValueError] = {}
        parsed = []
        for i, text in zip(slow.tolist(), texts.take(pa.array(slow, type=pa.int64())).to_pylist(), strict=True):
            try:
                parsed.append(self.parse(col, text))
            except ValueError as exc:
                errors[i] = exc
                parsed.append(None)
        if t == "nip":  # a valid NIP's value is its digits: the text itself when it is plain
            values = pc.replace_with_mask(texts, pa.array(~fast), pa.array(parsed, type=texts.type))
            return pd.array(values, dtype=dtype), errors
        if dtype == "object":
            values = np.empty(len(texts), dtype=object)
            if fast.any():
                unit = "datetime64[us]" if t == "datetime" else "datetime64[D]"
                values[fast] = stamps[fast].astype(unit).astype(object)  # datetime.datetime / datetime.date
            for i, v in zip(slow.tolist(), parsed, strict=True):
                values[i] = v
            return values, errors
        return pd.array(parsed, dtype=dtype), errors

    def parse(self, col: ColumnSpec, text: str):
        t = col.type
        if t in ("id", "str", "text"):
            return text
        if t in RECODABLE_TYPES:
            recoded = self.recodes.get(col.name, {}).get(label_key(text))
            if recoded is not None:  # targets were checked against the contract by dataset_spec
                return recoded == "yes" if t == "yesno" else recoded
        if t == "region":
            if text not in self.regions:
                raise RuleError("region", self._unknown_region(text))
            return text
        if t in ("int", "float"):
            x = self._number(col, text)
            if t == "int" and not float(x).is_integer():
                raise ValueError("must be a whole number")
            self._range(col, x)
            return int(x) if t == "int" else x
        if t == "date":
            return parse_datetime(text, self.date_order).date()
        if t == "datetime":
            return parse_datetime(text, self.date_order)
        if t == "month":
            return parse_month(text, self.date_order)
        if t == "enum":
            hit = col.label_values.get(label_key(text))
            if hit is None:
                raise ValueError(self._unknown_label(col, text, f"is not one of: {', '.join(col.values)}"))
            return hit
        if t == "yesno":
            v = self.contract.yesno_values.get(label_key(text))
            if v is None:
                raise ValueError(self._unknown_label(col, text, "is not a yes/no answer (ya/tidak, yes/no)"))
            return v == "yes"
        if t == "likert":
            return self._likert(col, text)
        if t == "likert4":
            x = parse_number(text, self.decimal)
            if x not in (1, 2, 3, 4):
                raise RuleError("range", "SKM answers are scored 1-4 (PermenPANRB 14/2017)")
            return int(x)
        if t == "nip":
            problem = nip_problem(text)
            if problem:
                raise ValueError(problem)
            return re.sub(r"\D", "", text)
        raise AssertionError(f"unknown column type {t!r} in contract.yml")  # a bug, not user input

    def _unknown_label(self, col: ColumnSpec, text: str, what: str) -> str:
        """Why a label was not understood: what is allowed, the closest known label, the fix."""
        known: dict[str, tuple[str, str]] = {}  # folded label -> (label as written, value)
        if col.type == "yesno":
            known.update({label_key(k): (k, v) for k, v in self.contract.yesno.items()})
        else:
            for value, labels in col.synonyms.items():
                known.update({label_key(lbl): (lbl, value) for lbl in labels})
            known.update({label_key(v): (v, v) for v in col.values})
        known.update({label_key(k): (k, v) for k, v in self.recode_labels.get(col.name, {}).items()})
        near = difflib.get_close_matches(label_key(text), list(known), n=1, cutoff=0.6)
        hint = ""
        if near:
            label, value = known[near[0]]
            hint = f" (closest known label: '{label}' = {value})"
        return f"{_shown(text)} {what}{hint}; recode it under values: in dataset.yml"

    def _unknown_region(self, text: str) -> str:
        declared = f"unknown region id (dataset.yml declares: {', '.join(sorted(self.regions))})"
        region = self.region_names.get(label_key(text))
        if region is None:
            return declared
        return (
            f"{declared}; it is the name of region '{region}': recode it under values: in dataset.yml, "
            f"e.g. values: {{region_id: {{'{text}': {region}}}}}"
        )

    def _number(self, col: ColumnSpec, text: str) -> float:
        if col.score:
            quiz = _QUIZ_SCORE.match(text)
            if quiz:  # Google Forms quiz: "points / total" -> per cent
                points, total = (parse_number(g, "auto") for g in quiz.groups())
                if total <= 0:
                    raise ValueError("quiz score with a total of 0 points")
                return round(100 * points / total, 2)
        return parse_number(text, self.decimal, rupiah=col.currency)

    def _range(self, col: ColumnSpec, x: float) -> None:
        if (col.min is not None and x < col.min) or (col.max is not None and x > col.max):
            raise RuleError(
                "range",
                f"out of range {col.min:g}-{col.max:g}" if col.max is not None else f"must be at least {col.min:g}",
            )

    def _likert(self, col: ColumnSpec, text: str) -> int:
        label_set = self.likert_sets.get(col.name, "agreement")
        labels = self.contract.likert_labels[label_set]
        key = _fold(text)
        if key in labels:
            return labels[key]
        # Google Forms linear scales export the number itself, sometimes "5 - Sangat Setuju".
        m = re.match(r"^([1-5])(\s*[-.:)]\s*(.*))?$", key)
        if m and (m.group(3) is None or labels.get(m.group(3).strip()) in (None, int(m.group(1)))):
            return int(m.group(1))
        if re.fullmatch(r"[+-]?\d+([.,]\d+)?", key):
            raise RuleError("range", "out of range: Likert answers are 1-5")
        canonical = {}
        for label, value in labels.items():
            canonical.setdefault(value, label)
        shown = ", ".join(f"{label}={value}" for value, label in sorted(canonical.items()))
        raise RuleError("likert", f"not a label of the '{label_set}' scale ({shown}, or 1-5)")
