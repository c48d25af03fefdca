"""``docs/contract.md`` written from ``contract.yml``, so the documented contract is the enforced one.

``python -m helpers.ingest.contract_doc > docs/contract.md`` regenerates it;
``tests/test_contract_doc.py`` fails when the two drift apart.
"""

from __future__ import annotations

import textwrap

from ..errors import UsageError
from .contract import ColumnSpec, Contract, TableSpec, load_contract

TYPE_WORDS = {
    "id": "identifier",
    "str": "text (short)",
    "text": "free text (scrubbed of NIPs, e-mails, phones)",
    "int": "whole number",
    "float": "number (decimal comma or point)",
    "date": "date (ISO, dd/mm/yyyy, exports)",
    "datetime": "date and time",
    "month": "month YYYY-MM",
    "enum": "one of a list",
    "yesno": "yes/no",
    "likert": "Likert 1-5 (number or label)",
    "likert4": "SKM score 1-4",
    "nip": "NIP (18 digits, pseudonymised)",
    "region": "region id of dataset.yml",
}


def _rule(col: ColumnSpec) -> str:
    parts = []
    if col.values:
        parts.append(", ".join(f"`{v}`" for v in col.values))
    if col.min is not None or col.max is not None:
        parts.append(f"{col.min if col.min is not None else '…'} to {col.max if col.max is not None else '…'}")
    if col.personal:
        parts.append("personal data: " + ("pseudonymised at ingest" if col.type == "nip" else "dropped at ingest"))
    if col.currency:
        parts.append('rupiah ("Rp 1.500.000,-")')
    if col.score:
        parts.append('quiz score "17 / 20" read as 85')
    return "; ".join(parts)


USAGE_NOTES = (
    "A **required** column must be in every export of its table (a missing one stops the run); "
    "an **optional** column may be missing: it is then *not collected*, and the analyses that use it "
    "say so instead of guessing. Declare it under `not_collected:` in the file's entry of "
    "`dataset.yml` (`not_collected: [incentive, jp]`) to record that on purpose; an optional column "
    "that is missing without being declared gives a warning, and a required column cannot be declared.",
    "Labels of a column that takes one of a list (and of yes/no columns) are matched ignoring case, "
    "spaces, `_` and `-`: `Laki laki`, `LAKI-LAKI` and `laki_laki` are the same label. An export "
    "label that is not listed is quarantined with the allowed values and the closest known label; "
    "recode it in `dataset.yml` under `values:` (`values: {method: {Berbasis Projek: project_based}}` "
    "in a file's entry, or at the top level for every file with that column). Region names are "
    "recoded the same way (`values: {region_id: {Kota Salatiga: salatiga}}`).",
)


def _labels_line(col: ColumnSpec) -> str:
    """Each allowed value of an enum column with the labels read as it."""
    return "; ".join(f"`{v}`" + (f" = {', '.join(col.synonyms[v])}" if col.synonyms.get(v) else "") for v in col.values)


def _yesno_line(c: Contract) -> str:
    yes = [k for k, v in c.yesno.items() if v == "yes"]
    no = [k for k, v in c.yesno.items() if v == "no"]
    return f"yes = {', '.join(yes)}; no = {', '.join(no)}"


def contract_markdown(contract: Contract | None = None) -> str:
    """The contract as Markdown: one table per contract table, then the label sets."""
    c = contract or load_contract()
    lines = [
        "# Data contract",
        "",
        "Generated from `src/helpers/ingest/contract.yml` by `python -m helpers.ingest.contract_doc`;",
        "do not edit by hand. How to map an export's headers onto these columns: [real-data.md](real-data.md).",
        "`asn-eval contract [TABLE]` prints the same in a terminal.",
        "",
    ]
    lines += [f"{note}\n" for note in USAGE_NOTES]
    for name in c.order:
        t = c.tables[name]
        lines += [f"## `{name}`", ""]
        facts = []
        if t.unique:
            facts.append(f"one row per {', '.join(f'`{u}`' for u in t.unique)} (later duplicates are quarantined)")
        if t.latest:
            facts.append(f"among duplicate submissions the latest `{t.latest}` is kept")
        facts += [f"`{col}` must exist in `{target}`" for col, target in t.refs.items()]
        facts += [f"when `{r.if_filled}` is filled, `{r.then_filled}` must be too ({r.rule})" for r in t.requires]
        lines += [f"- {f}" for f in facts] + ([""] if facts else [])
        lines += [
            "| column | type | required | blank allowed | used by | allowed values and notes |",
            "|---|---|---|---|---|---|",
        ]
        for col in t.columns.values():
            lines.append(
                f"| `{col.name}` | {TYPE_WORDS.get(col.type, col.type)} | {'yes' if col.required else 'no'} "
                f"| {'yes' if col.nullable else 'no'} | {', '.join(col.used_by)} | {_rule(col)} |"
            )
        labelled = [col for col in t.columns.values() if col.synonyms]
        if labelled:
            lines += ["", "Labels read as each allowed value:", ""]
            lines += [f"- `{col.name}`: {_labels_line(col)}" for col in labelled]
        lines.append("")
    lines += ["## Label sets", "", "Likert labels ignore case and surrounding spaces.", ""]
    for set_name, labels in c.likert_labels.items():
        by_value: dict[int, list[str]] = {}
        for label, value in labels.items():
            by_value.setdefault(value, []).append(label)
        lines.append(f"- `{set_name}`: " + "; ".join(f"{v} = {', '.join(ls)}" for v, ls in sorted(by_value.items())))
    lines += [f"- yes/no (ignoring case, spaces, `_` and `-`): {_yesno_line(c)}", ""]
    return "\n".join(lines)


def contract_text(table: str | None = None, contract: Contract | None = None) -> str:
    """The contract as plain text for a terminal (``asn-eval contract [TABLE]``).

    Parameters
    ----------
    table : str, optional
        One contract table; all of them by default.
    contract : Contract, optional
        The contract to show; the packaged one by default.

    Returns
    -------
    str
        For each table its columns with type, required or optional, blank allowed or not, the
        report sections that use them, and their allowed values with the labels read as each;
        then how to declare columns that were not collected and how to recode labels.

    Raises
    ------
    UsageError
        ``table`` is not a contract table (the message lists the known ones).
    """
    c = contract or load_contract()
    if table is not None and table not in c.tables:
        raise UsageError(f"unknown table '{table}' (known: {', '.join(c.order)})")
    names = [table] if table else list(c.order)
    out: list[str] = []
    for name in names:
        out += _table_text(c, c.tables[name]) + [""]
    out += [textwrap.fill(_plain(note), width=100) + "\n" for note in USAGE_NOTES]
    return "\n".join(out)


def _table_text(c: Contract, t: TableSpec) -> list[str]:
    rows = [("column", "type", "required", "blank", "used by")]
    rows += [
        (
            col.name,
            TYPE_WORDS.get(col.type, col.type),
            "required" if col.required else "optional",
            "allowed" if col.nullable else "no",
            ", ".join(col.used_by) or "-",
        )
        for col in t.columns.values()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"{t.name}"]
    facts = []
    if t.unique:
        facts.append(f"one row per {', '.join(t.unique)}")
    facts += [f"{col} must exist in {target}" for col, target in t.refs.items()]
    facts += [f"when {r.if_filled} is filled, {r.then_filled} must be too" for r in t.requires]
    lines += [f"  {f}" for f in facts]
    for i, row in enumerate(rows):
        lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            continue
        col = t.columns[row[0]]
        for detail in _details(c, col):
            lines.append(textwrap.fill(detail, width=100, initial_indent=" " * 6, subsequent_indent=" " * 8))
    return lines


def _details(c: Contract, col: ColumnSpec) -> list[str]:
    """Lines shown under a column in the terminal: its allowed values and labels, and notes."""
    out = []
    if col.type == "enum":
        out += [f"{v}: {', '.join(col.synonyms.get(v, ())) or '(the value itself)'}" for v in col.values]
    elif col.type == "yesno":
        out.append(_yesno_line(c))
    elif col.type == "likert":
        out.append(f"1-5, or the labels of a label set ({', '.join(c.likert_labels)}; likert: in dataset.yml)")
    notes = _plain(_rule(col)) if col.type != "enum" else ""
    if notes:
        out.append(notes)
    return out


def _plain(markdown: str) -> str:
    return markdown.replace("`", "").replace("**", "").replace("*", "")


if __name__ == "__main__":
    print(contract_markdown(), end="")
