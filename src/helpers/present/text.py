"""Report wording in Bahasa Indonesia (default) and English, loaded from ``text.yml``."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import yaml

from ..errors import UsageError

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
CATALOGUE_PATH = Path(__file__).resolve().parent / "text.yml"
LANGS = ("id", "en")

try:  # pandas' missing-value marker, without importing pandas for this module alone
    from pandas import NA as _NA
except ImportError:  # pragma: no cover
    _NA = object()


@lru_cache(maxsize=1)
def _catalogue() -> dict:
    return yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))


class Text:
    """Look up report text by key; ``Text('en')('reaction.title')``.

    Column names, Likert items, methods and indicators have their own small dictionaries so
    tables can be relabelled in one call.
    """

    def __init__(self, lang: str = "id"):
        if lang not in LANGS:
            raise UsageError(f"unknown language '{lang}' (choose one of: {', '.join(LANGS)})")
        self.lang = lang
        self._cat = _catalogue()

    def __call__(self, key: str, **values) -> str:
        node = self._cat["messages"]
        for part in key.split("."):
            node = node[part]
        return str(node[self.lang]).format(**values)

    # Numbers: Indonesian uses a decimal comma and a thousands dot ("1.234,5"); a reader of an
    # Indonesian report would take "3.83" for three thousand eight hundred and thirty.
    def num(self, x, nd: int = 2) -> str:
        """Format a number for this language; '–' for a missing or infinite value."""
        if x is None or x is _NA or (isinstance(x, float) and not math.isfinite(x)):
            return "–"
        text = f"{float(x):,.{nd}f}"
        if self.lang == "id":
            text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return text

    def integer(self, x) -> str:
        return "–" if x is None or x is _NA else self.num(int(x), 0)

    def pct(self, share, nd: int = 1) -> str:
        """A share (0-1) as a percentage."""
        if share is None or share is _NA or (isinstance(share, float) and not math.isfinite(share)):
            return "–"
        return self.num(100 * float(share), nd) + "%"

    def ci(self, low, high, nd: int = 2) -> str:
        return f"[{self.num(low, nd)}; {self.num(high, nd)}]"

    def p(self, value) -> str:
        if value is None or not math.isfinite(value):
            return "–"
        return f"< {self.num(0.001, 3)}" if value < 0.001 else self.num(value, 3)

    def _lookup(self, group: str, key) -> str:
        entry = self._cat[group].get(str(key))
        return str(entry[self.lang]) if entry else str(key)

    def column(self, name: str) -> str:
        return self._lookup("columns", name)

    def columns(self, names: list[str]) -> dict[str, str]:
        return {n: self.column(n) for n in names}

    def item(self, name: str) -> str:
        return self._lookup("items", name)

    def method(self, name: str) -> str:
        return self._lookup("methods", name)

    def indicator(self, name: str) -> str:
        return self._lookup("indicators", name)

    def yesno(self, value: bool) -> str:
        return self._lookup("yesno", "yes" if value else "no")

    def level(self, name: str) -> str:
        return self._lookup("levels", name)

    def table(self, name: str) -> str:
        """A data table in reader words ("pendaftaran dan penyelesaian pelatihan"), never its code."""
        return self._lookup("tables", name)

    def field(self, table: str, column: str) -> str:
        """A column of a data table in reader words; falls back to the column's table header."""
        entry = (self._cat.get("fields") or {}).get(table, {}).get(column)
        return str(entry[self.lang]) if entry else self.column(column)

    def category(self, column: str, value) -> str:
        """A category value of a data column ("L" -> "Laki-laki"); a value the catalogue does not
        list (free text, an agency's own wording) stays as written."""
        entry = (self._cat.get("categories") or {}).get(column, {}).get(str(value))
        return str(entry[self.lang]) if entry else str(value)

    def grade(self, code) -> str:
        """An IKM grade (mutu pelayanan) with its name: "C (Kurang Baik)" / "C (Poor)"."""
        return (
            "–"
            if code is None or code is _NA or (isinstance(code, float) and math.isnan(code))
            else (self._lookup("grades", code))
        )

    def unsur(self, name: str) -> str:
        """An SKM element (unsur) by its regulation name, translated where the catalogue has it."""
        return self._lookup("unsur", name)

    def rule(self, code: str) -> str:
        """A data rule of ingest (``range``, ``nip``, ...) in reader words."""
        return self._lookup("rules", code)

    def setting(self, dotted: str) -> str:
        """What an analysis setting (``results.its_min_months_each_side``) controls, in words."""
        return self._lookup("settings", dotted)

    def month(self, number: int) -> str:
        return self._lookup("months", int(number))

    def period(self, value) -> str:
        """A month 'YYYY-MM' as 'November 2025'; anything else unchanged ('–' when missing)."""
        if value is None or value is _NA or (isinstance(value, float) and math.isnan(value)):
            return "–"
        text = str(value)
        match = _PERIOD.match(text)
        return f"{self.month(int(match[2]))} {match[1]}" if match else text

    def date(self, value) -> str:
        """A date as '5 Maret 2024' / '5 March 2024' (a date, datetime or ISO text)."""
        if value is None or value is _NA or (isinstance(value, float) and math.isnan(value)):
            return "–"
        match = _DATE.match(str(value))
        if not match:
            return str(value)
        return f"{int(match[3])} {self.month(int(match[2]))} {match[1]}"

    def join(self, items) -> str:
        """'a, b dan c' / 'a, b and c'."""
        items = [str(i) for i in items]
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self('words.and')} {items[-1]}"
