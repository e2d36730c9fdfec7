"""A one-line-per-interaction overview of a cassette, for ``recorder cassettes show``.

Kept out of the CLI so tests (and other commands) get the same rows without a terminal.
"""
from __future__ import annotations

from dataclasses import dataclass

from recorder.cassette.model import Cassette

COLUMNS = ("#", "method", "URL", "status", "API version")


@dataclass(frozen=True, slots=True)
class SummaryRow:
    index: int
    method: str
    url: str
    status: int
    api_version: str | None

    def cells(self) -> tuple[str, str, str, str, str]:
        return (str(self.index), self.method, self.url, str(self.status), self.api_version or "-")


def summary_rows(cassette: Cassette) -> list[SummaryRow]:
    return [
        SummaryRow(index, i.request.method, i.request.uri, i.response.status, i.api_version)
        for index, i in enumerate(cassette.interactions)
    ]


def format_plain(rows: list[SummaryRow]) -> str:
    """Columns padded to the widest cell; the last column is not padded (no trailing spaces)."""
    table = [COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(line[col]) for line in table) for col in range(len(COLUMNS) - 1)]
    lines = []
    for line in table:
        padded = [cell.ljust(width) for cell, width in zip(line, widths)]
        lines.append("  ".join([*padded, line[-1]]).rstrip())
    return "\n".join(lines)
