"""Record modes, with vcrpy's meanings, decided once per cassette when a session starts."""
from __future__ import annotations

import enum


class RecordMode(str, enum.Enum):
    ONCE = "once"  # record a cassette that does not exist yet; an existing one only replays
    NEW = "new"    # replay what is recorded, record what is not
    ALL = "all"    # re-record everything; the old cassette is replaced
    NONE = "none"  # replay only; nothing is ever recorded

    def replays(self) -> bool:
        return self is not RecordMode.ALL

    def records(self, cassette_exists: bool) -> bool:
        if self is RecordMode.ONCE:
            return not cassette_exists
        return self in (RecordMode.NEW, RecordMode.ALL)

    @classmethod
    def parse(cls, value: str, where: str = "--mode") -> RecordMode:
        from recorder.errors import BadInput

        try:
            return cls(value)
        except ValueError:
            raise BadInput(where, f"unknown record mode {value!r} (once, new, all, none)") from None
