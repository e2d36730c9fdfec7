"""Errors that cross the library/CLI boundary.

Every error a user can cause carries the file and the place in it, so the CLI can print one
line (``path:place: message``) and exit 2 without a traceback.
"""
from __future__ import annotations

from pathlib import Path


class RecorderError(Exception):
    """Base class for everything recorder raises on purpose."""


class BadInput(RecorderError):
    """The user gave us something we cannot use: a missing file, malformed YAML, an unknown name.

    ``where`` is the file (or the flag / config key); ``place`` narrows it down (``line 12``,
    ``interactions[3].request.uri``). The CLI turns this into exit code 2.
    """

    def __init__(self, where: str | Path | None, message: str, place: str | None = None) -> None:
        self.where = str(where) if where is not None else None
        self.place = place
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        prefix = ""
        if self.where:
            prefix = self.where + (f":{self.place}" if self.place else "") + ": "
        elif self.place:
            prefix = f"{self.place}: "
        return prefix + self.message


class SecretLeak(RecorderError):
    """A serialized cassette still holds something secret-shaped; nothing was written.

    The message names file, interaction, location and kind, never the value.
    """

    def __init__(self, path: str | Path, findings: list[object]) -> None:
        self.path = str(path)
        self.findings = findings
        lines = [str(f) for f in findings]
        super().__init__(
            f"{self.path}: refusing to write, {len(findings)} secret(s) left after scrubbing: "
            + "; ".join(lines)
        )
