"""Exceptions that describe a user's mistake (as opposed to a bug in our code).

The CLI turns any of these into one line on stderr and exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """Base class: the input or the invocation is wrong; the message says how to fix it."""


@dataclass
class DataContractError(UserError):
    """A raw dataset breaks the data contract in a way that stops ingest (a fatal problem).

    Row-level problems do not raise: the row is quarantined instead (see ``helpers.ingest.rules``).
    """

    file: str
    rule: str
    message: str
    row: int | None = None
    column: str | None = None
    value: object = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.value is not None:
            where += f", value {self.value!r}"
        return f"{where}: {self.message} [rule: {self.rule}]"


class UsageError(UserError):
    """The command line asks for something that does not exist (dataset, region, language)."""


class DataContractErrors(UserError):
    """Several fatal problems found in one pass (e.g. every mapping problem of every file), so
    that a researcher fixes them all before the next run instead of one per run."""

    def __init__(self, errors: list[DataContractError]):
        super().__init__(errors)
        self.errors = list(errors)

    def __str__(self) -> str:
        if len(self.errors) == 1:
            return str(self.errors[0])
        lines = [f"{len(self.errors)} problems stop this dataset; fix them all, then run again:"]
        lines += [f"  - {e}" for e in self.errors]
        return "\n".join(lines)

    @classmethod
    def raise_if_any(cls, errors: list[DataContractError]) -> None:
        """Raise the single error itself, or all of them together; do nothing for none."""
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise cls(errors)


class SlipError(UserError):
    """Ingest would quarantine so much that a slip in dataset.yml is the likely cause; nothing
    was written and earlier processed data are as they were."""

    def __init__(self, slips: list):
        super().__init__(slips)
        self.slips = list(slips)

    def __str__(self) -> str:
        lines = [str(s) for s in self.slips]
        lines.append(
            "nothing was written; earlier processed data are unchanged. Fix the slip, or run "
            "`asn-eval ingest --accept-quarantine` to write the data with these rows in quarantine"
        )
        return "\n".join(lines)
