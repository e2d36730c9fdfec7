"""Marker cassettes several tests share: their unused interactions are judged across those tests.

Each test's replay session sees only its own calls, so on a cassette that ``test_a`` and
``test_b`` both name, each session finds the other's interaction unplayed. An interaction of such a
cassette is unused only if no test of the run played it, and that can be told only once all of
them ran: at the end of the run, in the xdist controller after every worker reported.

Which cassettes are shared is known at collection, from the markers, before ``-k``/``-m``
deselect anything: a cassette is judged only when every collected test naming it ran and passed
(a test that failed or was skipped may not have made its calls); otherwise its unused interactions
are not reported at all, and the summary says so. Default per-test cassettes are never shared.

Workers hand the controller plain data (``as_dict``/``merge``), over the same ``workeroutput``
channel as the summary counts.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recorder.replay.session import Unused

Unplayed = tuple[int, str, str]  # (index in the cassette, method, uri): plain data for execnet


@dataclass(frozen=True, slots=True)
class Verdict:
    """One shared cassette at the end of the run."""

    cassette: str
    users: tuple[str, ...]         # node ids of every collected test naming it
    missing: tuple[str, ...]       # those that did not run to a pass: nothing is judged then
    unused: tuple[Unused, ...]     # played by none of the users
    strict: bool                   # some user ran strict

    @property
    def judged(self) -> bool:
        return not self.missing

    def message(self) -> str:
        if not self.judged:
            return (f"{self.cassette}: unused interactions not judged: shared by {len(self.users)} tests, "
                    f"of which {', '.join(self.missing)} did not run or did not pass")
        return (f"{self.cassette}, shared by {', '.join(self.users)}: {len(self.unused)} recorded "
                "interaction(s) never played by any of them:\n" + "\n".join(f"  {u}" for u in self.unused))


@dataclass
class SharedCassettes:
    users: dict[str, set[str]] = field(default_factory=dict)  # cassette -> node ids naming it (2 or more)
    # cassette -> node id of a test that passed -> what its session left unplayed in that cassette
    unplayed: dict[str, dict[str, list[Unplayed]]] = field(default_factory=lambda: defaultdict(dict))
    strict: set[str] = field(default_factory=set)             # cassettes some user ran strict

    def find(self, named: Iterable[tuple[str, Iterable[Path]]]) -> None:
        """From (node id, cassettes its marker names) of every collected test: the cassettes named
        by more than one test."""
        by_cassette: dict[str, set[str]] = defaultdict(set)
        for nodeid, cassettes in named:
            for path in cassettes:
                by_cassette[str(path)].add(nodeid)
        self.users = {path: ids for path, ids in by_cassette.items() if len(ids) > 1}

    def of(self, cassettes: Iterable[Path]) -> tuple[Path, ...]:
        """Those of a test's cassettes that other tests name too."""
        return tuple(p for p in cassettes if str(p) in self.users)

    def note(self, nodeid: str, cassettes: Iterable[Path], unused: Iterable[Unused], strict: bool) -> None:
        """A passed test's session closed: what it left unplayed in each shared cassette it loaded."""
        unused = list(unused)
        for path in map(str, cassettes):
            self.unplayed[path][nodeid] = [(u.index, u.method, u.uri) for u in unused if u.source == path]
            if strict:
                self.strict.add(path)

    def as_dict(self) -> dict[str, Any]:
        return {"users": {c: sorted(ids) for c, ids in self.users.items()},
                "unplayed": {c: dict(tests) for c, tests in self.unplayed.items()}, "strict": sorted(self.strict)}

    def merge(self, data: dict[str, Any]) -> None:
        for cassette, ids in data["users"].items():
            self.users.setdefault(cassette, set()).update(ids)
        for cassette, tests in data["unplayed"].items():
            self.unplayed[cassette].update({nodeid: [tuple(u) for u in left] for nodeid, left in tests.items()})
        self.strict.update(data["strict"])

    def verdicts(self) -> list[Verdict]:
        """Every shared cassette some test played: unused if no user played it, once all users passed."""
        verdicts = []
        for cassette, ids in sorted(self.users.items()):
            ran = self.unplayed.get(cassette, {})
            if not ran:
                continue  # none of its tests ran here (deselected, another run's business)
            missing = tuple(sorted(ids - ran.keys()))
            left = set.intersection(*(set(map(tuple, unplayed)) for unplayed in ran.values()))
            unused = tuple(Unused(cassette, *u) for u in sorted(left)) if not missing else ()
            verdicts.append(Verdict(cassette, tuple(sorted(ids)), missing, unused, cassette in self.strict))
        return verdicts
