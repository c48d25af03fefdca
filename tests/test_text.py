"""Report wording: both languages present, the same placeholders, numbers in the reader's format."""

from __future__ import annotations

import string

import pytest
import yaml

from helpers.errors import UsageError
from helpers.present.text import CATALOGUE_PATH, Text


def _messages(node, prefix=""):
    assert isinstance(node, dict), f"{prefix}: a message needs both 'id' and 'en', found {node!r}"
    if set(node) == {"id", "en"}:
        yield prefix, node
        return
    for key, child in node.items():
        yield from _messages(child, f"{prefix}.{key}" if prefix else key)


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_message_has_both_languages_with_the_same_placeholders():
    catalogue = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    # Every section (messages, levels, columns, ...) is made of {id, en} pairs: check them all.
    found = list(_messages(catalogue))
    assert len(found) > 40
    for key, entry in found:
        assert _fields(entry["id"]) == _fields(entry["en"]), key


def test_indonesian_numbers_use_decimal_comma_and_thousands_dot():
    """Reference: Indonesian convention (PUEBI): decimal comma, thousands dot; English the reverse."""
    t = Text("id")
    assert t.num(1234.5) == "1.234,50"
    assert t.pct(0.837) == "83,7%"
    assert t.p(0.0004) == "< 0,001"
    assert Text("en").num(1234.5) == "1,234.50"


def test_missing_values_print_as_a_dash():
    t = Text("en")
    assert t.num(float("nan")) == "–" and t.pct(None) == "–"


def test_unknown_language_is_a_usage_error():
    with pytest.raises(UsageError, match="id, en"):
        Text("fr")
