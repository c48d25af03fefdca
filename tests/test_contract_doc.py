"""docs/contract.md is generated from contract.yml: the documented contract is the enforced one."""

from __future__ import annotations

from helpers.ingest.contract import load_contract
from helpers.ingest.contract_doc import contract_markdown

from .conftest import REPO


def test_docs_contract_md_matches_contract_yml():
    stored = (REPO / "docs" / "contract.md").read_text(encoding="utf-8")
    assert stored == contract_markdown(), "run: python -m helpers.ingest.contract_doc > docs/contract.md"


def test_every_table_and_column_is_documented():
    doc = contract_markdown()
    contract = load_contract()
    for name, table in contract.tables.items():
        assert f"## `{name}`" in doc
        for col in table.columns:
            assert f"| `{col}` |" in doc, (name, col)
