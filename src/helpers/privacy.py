"""Personal data protection (UU 27/2022): NIP pseudonyms, the key, and free-text scrubbing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from pathlib import Path

from .errors import DataContractError

# Public, documented demo key: only for synthetic datasets that declare ``pseudonym_key: demo``.
# Anyone can recompute these pseudonyms; that is fine for invented people and wrong for real ones.
DEMO_KEY = b"asn-eval-public-demo-key-not-for-real-data"
KEY_ENV = "ASN_EVAL_PSEUDONYM_KEY"
KEY_FILE_ENV = "ASN_EVAL_PSEUDONYM_KEY_FILE"


def resolve_key(dataset_name: str, synthetic: bool, declared: str | None) -> bytes:
    """Return the HMAC key: environment variable, then key file, then (synthetic only) the demo key.

    A real dataset without a key is refused: pseudonyms made with a public key could be reversed
    by anyone holding a list of NIPs.
    """
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode("utf-8")
    key_file = os.environ.get(KEY_FILE_ENV)
    if key_file:
        path = Path(key_file)
        if not path.is_file():
            raise DataContractError(key_file, "pseudonym-key", f"{KEY_FILE_ENV} points to a missing file")
        return path.read_bytes().strip()
    if synthetic and declared == "demo":
        return DEMO_KEY
    raise DataContractError(
        f"data/raw/{dataset_name}/dataset.yml", "pseudonym-key",
        f"no pseudonymisation key: set {KEY_ENV} or {KEY_FILE_ENV} (a file outside the repository); "
        "the public demo key is allowed only for synthetic datasets")


def pseudonymise(value: str, key: bytes) -> str:
    """Return a stable pseudonym for a NIP: ``P`` + the first 16 hex digits of HMAC-SHA256."""
    digits = re.sub(r"\D", "", str(value))
    return "P" + hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()[:16]


def nip_problem(value: str) -> str | None:
    """Return why ``value`` is not a plausible NIP, or None if it is.

    NIP (18 digits): birth date YYYYMMDD, appointment YYYYMM, gender (1 male, 2 female), serial.
    """
    digits = str(value).strip().replace(" ", "")
    if not re.fullmatch(r"\d{18}", digits):
        return f"NIP must be 18 digits, found {len(re.sub(chr(92) + 'D', '', digits))} digits"
    try:
        born = dt.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return "NIP encodes an impossible birth date"
    year, month = int(digits[8:12]), int(digits[12:14])
    if not 1 <= month <= 12 or year < born.year + 15:
        return "NIP encodes an impossible appointment date"
    if digits[14] not in "12":
        return "NIP gender digit must be 1 or 2"
    return None


_NIP_LIKE = re.compile(r"(?<!\d)\d(?:[ .-]?\d){15,19}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+62|62|0)[ .-]?8\d{1,3}(?:[ .-]?\d{2,4}){2,3}(?!\d)")


def scrub_text(text: str) -> str:
    """Replace NIP-like digit runs, e-mail addresses and Indonesian phone numbers in free text."""
    if not text:
        return text
    text = _EMAIL.sub("[email]", text)
    text = _NIP_LIKE.sub("[NIP]", text)
    return _PHONE.sub("[telepon]", text)
