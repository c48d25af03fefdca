"""``docs/contract.md`` written from ``contract.yml``, so the documented contract is the enforced one.

``python -m helpers.ingest.contract_doc > docs/contract.md`` regenerates it;
``tests/test_contract_doc.py`` fails when the two drift apart.
"""

from __future__ import annotations

from .contract import ColumnSpec, Contract, load_contract

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


def contract_markdown(contract: Contract | None = None) -> str:
    """The contract as Markdown: one table per contract table, then the label sets."""
    c = contract or load_contract()
    lines = [
        "# Data contract",
        "",
        "Generated from `src/helpers/ingest/contract.yml` by `python -m helpers.ingest.contract_doc`;",
        "do not edit by hand. How to map an export's headers onto these columns: [real-data.md](real-data.md).",
        "",
    ]
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
        lines += ["| column | type | required | blank allowed | allowed values and notes |", "|---|---|---|---|---|"]
        for col in t.columns.values():
            lines.append(
                f"| `{col.name}` | {TYPE_WORDS.get(col.type, col.type)} | {'yes' if col.required else 'no'} "
                f"| {'yes' if col.nullable else 'no'} | {_rule(col)} |"
            )
        lines.append("")
    lines += ["## Label sets", "", "Matching ignores case and surrounding spaces.", ""]
    for set_name, labels in c.likert_labels.items():
        by_value: dict[int, list[str]] = {}
        for label, value in labels.items():
            by_value.setdefault(value, []).append(label)
        lines.append(f"- `{set_name}`: " + "; ".join(f"{v} = {', '.join(ls)}" for v, ls in sorted(by_value.items())))
    yes = [k for k, v in c.yesno.items() if v == "yes"]
    no = [k for k, v in c.yesno.items() if v == "no"]
    lines += [f"- yes/no: yes = {', '.join(yes)}; no = {', '.join(no)}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(contract_markdown(), end="")
