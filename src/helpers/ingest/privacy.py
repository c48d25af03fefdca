"""Personal data protection (UU 27/2022): NIP pseudonyms, the key, and free-text scrubbing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataContractError, UsageError

# Public, documented demo key: only for synthetic datasets that declare ``pseudonym_key: demo``.
# Anyone can recompute these pseudonyms; that is fine for invented people and wrong for real ones.
DEMO_KEY = b"asn-eval-public-demo-key-not-for-real-data"
KEY_ENV = "ASN_EVAL_PSEUDONYM_KEY"
KEY_FILE_ENV = "ASN_EVAL_PSEUDONYM_KEY_FILE"
# A key is the only secret between a pseudonym and its NIP (NIPs are structured, so the set of
# plausible NIPs is small enough to try them all): a short key could be guessed.
MIN_KEY_BYTES = 16


def resolve_key(dataset_name: str, synthetic: bool, declared: str | None, where: str | None = None) -> bytes:
    """Return the HMAC key: environment variable, then key file, then (synthetic only) the demo key.

    A real dataset without a key is refused: pseudonyms made with a public key could be reversed
    by anyone holding a list of NIPs. ``where`` names the dataset.yml in messages.
    """
    where = where or f"data/raw/{dataset_name}/dataset.yml"
    if declared is not None and declared != "demo":
        raise DataContractError(
            where,
            "pseudonym-key",
            "pseudonym_key in dataset.yml may only be 'demo' (synthetic data): never write a "
            f"real key into the repository; set {KEY_ENV} or {KEY_FILE_ENV} instead",
        )
    if os.environ.get(KEY_ENV):
        return _checked(os.environ[KEY_ENV].encode("utf-8"), KEY_ENV)
    key_file = os.environ.get(KEY_FILE_ENV)
    if key_file:
        path = Path(key_file).expanduser()
        if not path.is_file():
            raise DataContractError(key_file, "pseudonym-key", f"{KEY_FILE_ENV} points to a missing file")
        if _inside_project(path):
            raise DataContractError(
                key_file,
                "pseudonym-key",
                "the key file is inside the project folder, where it could be committed: "
                "move it outside (e.g. ~/.config/asn-eval/key) and point "
                f"{KEY_FILE_ENV} there",
            )
        return _checked(path.read_bytes().strip(), key_file)
    if synthetic and declared == "demo":
        return DEMO_KEY
    raise DataContractError(
        where,
        "pseudonym-key",
        f"no pseudonymisation key for a real dataset: set {KEY_ENV}, or {KEY_FILE_ENV} to a file outside the "
        "repository (see docs/real-data.md); the public demo key is allowed only for synthetic datasets",
    )


def _checked(key: bytes, source: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise DataContractError(
            source,
            "pseudonym-key",
            f"the pseudonymisation key is {len(key)} bytes; use at least {MIN_KEY_BYTES} "
            'random characters (e.g. python -c "import secrets; print(secrets.token_hex(32))")',
        )
    return key


def _inside_project(path: Path) -> bool:
    from ..paths import project_root  # paths is tiny; imported here to keep this module standalone

    try:
        root = project_root()
    except UsageError:  # no project folder found: there is no repository the key could be committed to
        return False
    return path.resolve().is_relative_to(root)


def pseudonymise(value: str, key: bytes) -> str:
    """Return a stable pseudonym for a NIP: ``P`` + the first 16 hex digits of HMAC-SHA256.

    Only the digits count, so ``"19731026 199908 2 001"`` and ``"197310261999082001"`` agree.
    """
    return _pseudonym(hmac.new(key, digestmod=hashlib.sha256), value)


def _pseudonym(keyed: hmac.HMAC, value) -> str:
    """``pseudonymise`` with the key already loaded into ``keyed`` (which is left unchanged)."""
    text = str(value)
    digits = text if text.isascii() and text.isdigit() else re.sub(r"[^0-9]", "", text)
    mac = keyed.copy()
    mac.update(digits.encode("ascii"))
    return "P" + mac.hexdigest()[:16]


class Pseudonyms:
    """``pseudonymise`` for whole columns, remembering every NIP it has seen during one run.

    HMAC-SHA256 has no vectorised form here, so each *distinct* NIP still costs one Python call
    (about 2 µs); a NIP met again, in the same column or in a later table (enrolments, reaction,
    tests and follow-up repeat the participants' NIPs), is looked up instead of hashed again. The
    memory stays with the run: both arrays (NIP and pseudonym, Arrow strings, about 50 bytes per
    person) are dropped with this object and never written anywhere.

    Examples
    --------
    >>> p = Pseudonyms(DEMO_KEY)
    >>> p.of(pd.Series(["197310261999082001", None], dtype="string")).tolist() == [
    ...     pseudonymise("197310261999082001", DEMO_KEY), pd.NA]
    True
    """

    def __init__(self, key: bytes):
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)
        self._values = pa.array([], pa.large_string())  # NIPs as given, in the order first seen
        self._pseudonyms = pa.array([], pa.large_string())

    def one(self, value: str) -> str:
        """The pseudonym of one value (not remembered: for the few rows in quarantine)."""
        return _pseudonym(self._keyed, value)

    def of(self, values: pd.Series) -> pd.Series:
        """The pseudonym of every value (a ``string`` Series, same index); missing stays missing."""
        codes, uniques = pd.factorize(values.astype("string"))
        distinct = pa.array(uniques.array).cast(pa.large_string())
        where = pc.index_in(distinct, value_set=self._values)
        new = pc.is_null(where).to_numpy(zero_copy_only=False)
        if new.any():
            fresh = distinct.filter(pa.array(new))
            made = pa.array([_pseudonym(self._keyed, v) for v in fresh.to_pylist()], pa.large_string())
            self._values = pa.concat_arrays([self._values, fresh])
            self._pseudonyms = pa.concat_arrays([self._pseudonyms, made])
            where = pc.index_in(distinct, value_set=self._values)
        per_distinct = self._pseudonyms.take(where)
        taken = per_distinct.take(pa.array(codes, mask=codes < 0))
        return pd.Series(pd.array(taken, dtype="string"), index=values.index)


_NIP_SEPARATORS = re.compile(r"[\s.\-]")
_NIP_LABEL = re.compile(r"^NIP\.?\s*:?\s*", re.IGNORECASE)


def nip_problem(value: str) -> str | None:
    """Return why ``value`` is not a plausible NIP, or None if it is.

    NIP (18 digits): birth date YYYYMMDD, appointment YYYYMM, gender (1 male, 2 female), serial.
    Spaces, dots and hyphens between the parts and a leading "NIP." label are allowed.

    Examples
    --------
    >>> nip_problem("19731026 199908 2 001") is None
    True
    >>> nip_problem("1.97310261999082E+17")
    'NIP was stored as a number, which keeps only 15 digits: format the NIP column as text and type it again'
    """
    text = str(value).strip()
    if re.fullmatch(r"[0-9](?:[.,][0-9]+)?[eE]\+?[0-9]+", text):
        return "NIP was stored as a number, which keeps only 15 digits: format the NIP column as text and type it again"
    digits = _NIP_SEPARATORS.sub("", _NIP_LABEL.sub("", text))
    if not re.fullmatch(r"[0-9]{18}", digits):
        n = len(re.sub(r"[^0-9]", "", digits))
        other = " and other characters" if re.search(r"[^0-9]", digits) else ""
        return f"NIP must be 18 digits, found {n} digits{other}"
    try:
        born = dt.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return "NIP encodes an impossible birth date"
    if born.year < 1900:
        return "NIP encodes an impossible birth date"
    year, month = int(digits[8:12]), int(digits[12:14])
    if not 1 <= month <= 12 or year < born.year + 15:
        return "NIP encodes an impossible appointment date"
    if digits[14] not in "12":
        return "NIP gender digit must be 1 or 2"
    return None


_NIP_LIKE = re.compile(r"(?<!\d)\d(?:[ ./-]?\d){15,19}(?!\d)")
# Also the obfuscated forms people type to dodge spam filters: "budi[at]gmail.com", "budi (at) gmail dot com".
_EMAIL = re.compile(
    r"[\w.+-]+\s*(?:@|\[at\]|\(at\)|\s\bat\b\s)\s*[\w-]+"
    r"(?:\s*(?:\.|\[dot\]|\(dot\)|\s\bdot\b\s)\s*[\w-]+)+",
    re.IGNORECASE,
)
# Indonesian mobile numbers (+62 812-3456-7890, 0812 3456 7890, 6281234567890) and landlines
# with an area code ((021) 555-1234, 0751 123456). A leading 0/62 is required, so "20 JP",
# "2024" or "Rp 1.500.000" never match.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+62|62|0)[ .-]?\(?8\d{1,3}\)?(?:[ .-]?\d{3,4}){1,3}"
    r"|\(?0[2-7]\d{1,2}\)?[ .-]?\d{3,4}[ .-]?\d{0,4}"
    r"|\+62[ .-]?\(?[2-7]\d{0,2}\)?[ .-]?\d{3,4}[ .-]?\d{0,4})(?!\d)"
)


def scrub_text(text: str) -> str:
    """Replace NIP-like digit runs, e-mail addresses and Indonesian phone numbers in free text.

    Examples
    --------
    >>> scrub_text("Hubungi 0812-3456-7890 atau budi@contoh.go.id, NIP 19731026 199908 2 001; 20 JP")
    'Hubungi [telepon] atau [email], NIP [NIP]; 20 JP'
    """
    if not text:
        return text
    text = _EMAIL.sub("[email]", text)
    text = _NIP_LIKE.sub("[NIP]", text)
    return _PHONE.sub("[telepon]", text)
