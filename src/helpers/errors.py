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
