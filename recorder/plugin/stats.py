"""The end-of-session summary: what the plugin did, added up across xdist workers.

Counted per test, by what its session really did: a test that recorded at least one call is
*recorded*, any other it touched is *replayed* (from cassettes, mocks, or nothing at all).
Cassettes are counted as distinct files (sets, merged across workers), never as writes: six
tests appending to one cassette wrote one cassette. Unused interactions of a cassette several
tests share are counted once, at the end, across those tests (``recorder.plugin.shared``).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recorder.plugin.shared import SharedCassettes


@dataclass
class Stats:
    played: set[str] = field(default_factory=set)   # cassettes some test loaded to replay from
    written: set[str] = field(default_factory=set)  # cassettes some test wrote
    replayed: int = 0
    recorded: int = 0
    misses: int = 0
    unused: int = 0
    shared: SharedCassettes = field(default_factory=SharedCassettes)

    def add(self, played: Iterable[Path], written: Iterable[Path], misses: int = 0, unused: int = 0) -> None:
        """One test's session, once it closed."""
        written = {str(p) for p in written}
        self.played.update(str(p) for p in played)
        self.written.update(written)
        if written:
            self.recorded += 1
        else:
            self.replayed += 1
        self.misses += misses
        self.unused += unused

    def as_dict(self) -> dict[str, Any]:
        """For an xdist worker's ``workeroutput``: plain data the controller can ``merge``."""
        return {"played": sorted(self.played), "written": sorted(self.written), "replayed": self.replayed,
                "recorded": self.recorded, "misses": self.misses, "unused": self.unused,
                "shared": self.shared.as_dict()}

    def merge(self, data: dict[str, Any]) -> None:
        self.played.update(data["played"])
        self.written.update(data["written"])
        for key in ("replayed", "recorded", "misses", "unused"):
            setattr(self, key, getattr(self, key) + data[key])
        self.shared.merge(data["shared"])

    def line(self) -> str | None:
        """``recorded 2 test(s) into 1 cassette(s), replayed 4 test(s) from 3 cassette(s); misses: 0;
        unused interactions: 0``; None when the plugin touched no test."""
        if not (self.replayed or self.recorded):
            return None
        parts = []
        if self.recorded:
            parts.append(f"recorded {self.recorded} test(s) into {len(self.written)} cassette(s)")
        if self.replayed or not self.recorded:
            parts.append(f"replayed {self.replayed} test(s) from {len(self.played)} cassette(s)")
        return ", ".join(parts) + f"; misses: {self.misses}; unused interactions: {self.unused}"
