"""The drift report: when a request has no recording, say why, instead of vcrpy's "can't overwrite
existing cassette": the recordings that come closest and how they differ, field by field
(``body.amount: recorded 2498, sent 2500``); or that the exact recording was already played; or
that a mock covers the path for another method. What differs is worked out in
recorder.replay.fielddiff; this module ranks the recordings and words the report.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import zip_longest
from urllib.parse import urlsplit

from recorder.cassette.model import Interaction, Request
from recorder.errors import RecorderError
from recorder.replay.fielddiff import (MISSING, NOT_RECORDED, FieldDiff, RequestView, differences,
                                       key_differences, request_view, show)
from recorder.replay.matching import MatchKey, MatchRules, NormalisedUrl, regexp_covers
from recorder.replay.mocks import Mock
from recorder.replay.redact import secret_headers, shown_uri

# FieldDiff, MISSING, NOT_RECORDED and show live in fielddiff; they are part of a report's data.
__all__ = ["MISSING", "NOT_RECORDED", "Candidate", "DriftError", "DriftReport", "FieldDiff", "MockCandidate",
           "closest", "near_mocks", "show", "shown_uri"]

_MAX_CANDIDATES = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    source: str          # cassette file
    index: int           # interaction position in it
    method: str
    uri: str
    differences: tuple[FieldDiff, ...]

    def __str__(self) -> str:
        return f"{self.source} interaction {self.index}: {self.method} {self.uri}"


@dataclass(frozen=True, slots=True)
class MockCandidate:
    """A mock whose target covers the request's host but which did not answer it."""

    name: str
    source: str
    method: str | None   # None: any method
    target: str
    path: str
    method_differs: bool
    path_differs: bool

    def explain(self, method: str, path: str) -> str:
        """One line: which mock, what it answers, and what about the request (``method path``) it is not."""
        where = f"mock {self.name} ({self.source}) answers {self.method or 'any method'} {self.target}{self.path}"
        if self.path_differs:
            return f"{where}, not the path {path}"
        return f"{where}: same path, but this request is {method.upper()}"


@dataclass(frozen=True, slots=True)
class DriftReport:
    method: str
    uri: str
    candidates: tuple[Candidate, ...]
    searched: tuple[str, ...]
    # Recordings of exactly this request, every one already played (and repeats not allowed).
    already_played: tuple[Candidate, ...] = ()
    mocks: tuple[MockCandidate, ...] = ()

    @property
    def reason(self) -> str:
        """``already-played``, ``drift`` (closest candidates differ), ``mock-mismatch`` or ``not-recorded``."""
        if self.already_played:
            return "already-played"
        if self.candidates:
            return "drift"
        return "mock-mismatch" if self.mocks else "not-recorded"

    def __str__(self) -> str:
        lines = [f"no recorded interaction matches {self.method} {self.uri}",
                 f"  searched: {', '.join(self.searched) or '(no cassettes or mocks)'}"]
        if self.already_played:
            count = len(self.already_played)
            lines.append(f"  already played: {_count(count, 'recording')} of exactly this request, "
                         f"all played already ({_count(count, 'time')}):")
            lines.extend(f"    {played}" for played in self.already_played)
            lines.append("  each recording answers once; to answer this call too, pass allow_repeats=True "
                         "(replays the last one again) or record the call again (mode=\"new\")")
        path = urlsplit(self.uri).path
        lines.extend(f"  {mock.explain(self.method, path)}" for mock in self.mocks)
        for rank, candidate in enumerate(self.candidates, 1):
            lines.append(f"  closest #{rank}: {candidate}")
            lines.extend(f"    {diff}" for diff in candidate.differences)
        if self.reason == "not-recorded":
            lines.append(f"  nothing recorded for {NormalisedUrl.parse(self.uri).host}")
        return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class DriftError(RecorderError, AssertionError):
    """Raised to the code under test on a miss; ``.report`` has the same content as data."""

    def __init__(self, report: DriftReport) -> None:
        self.report = report
        super().__init__(str(report))


def closest(request: Request, key: MatchKey, pool: Sequence[tuple[str, int, Interaction, MatchKey]],
            rules: MatchRules, secret_header_names: Iterable[str] = ()) -> tuple[Candidate, ...]:
    """Rank ``pool`` (recordings for the same host, with their keys, in recorded order), closest first.

    Every candidate lists at least one difference: recordings with the request's own key are not
    candidates (the report says they were already played). ``secret_header_names``: the provider's
    credential headers (the generic ones are always masked), whose values the report never shows.
    """
    sent = request_view(request, rules)
    credentials = secret_headers(secret_header_names)
    scored = []
    for position, (source, index, interaction, recorded_key) in enumerate(pool):
        if recorded_key == key:
            continue
        recorded_request = interaction.request
        recorded = request_view(recorded_request, rules)
        covers = regexp_covers(recorded_request.uri, key)
        if covers is not None:  # a Ruby VCR regexp judges path and query as one: not part by part
            recorded = replace(recorded, path=sent.path, query=sent.query)
        diffs = differences(recorded, sent, rules, credentials)
        if covers is False:
            diffs = (FieldDiff("uri", recorded_request.uri, shown_uri(request.uri, rules),
                               note="a Ruby VCR regexp that does not match the URL sent"), *diffs)
        diffs = diffs or key_differences(recorded_key, key, credentials)
        scored.append((_distance(recorded, sent, diffs), position,
                       Candidate(source, index, recorded_request.method, shown_uri(recorded_request.uri, rules),
                                 diffs)))
    scored.sort(key=lambda item: item[:2])
    return tuple(item[2] for item in scored[:_MAX_CANDIDATES])


def _distance(recorded: RequestView, sent: RequestView, diffs: Sequence[FieldDiff]) -> tuple[bool, int, int, float]:
    """How far a recording is from the request; ties go to the earlier recording.

    Another method outweighs another path, which outweighs any number of fields (and a path with
    one segment off, ``/v1/payment_methods/pm_2``, is nearer than another resource). Then fields:
    a changed value counts 1, a missing or unrecorded object counts its leaves, so a card creation
    lacking a whole ``card`` is farther than an attach with one id off. Last, between equals, how
    alike the differing values are: ``cus_V09dfxOdPhzhItX`` was meant to be ``cus_V09dfxOdPhzhIt``.
    """
    apart = sum(a != b for a, b in zip_longest(recorded.path.split("/"), sent.path.split("/")))
    fields = sum(d.weight() for d in diffs if d.path not in ("method", "path"))
    return recorded.method != sent.method, apart, fields, -sum(d.likeness() for d in diffs)


def near_mocks(mocks: Iterable[Mock], method: str, path: str) -> tuple[MockCandidate, ...]:
    """Mocks for the request's host and port that did not answer: same path (another method) first."""
    found = [MockCandidate(m.name, str(m.source), m.method, m.target, m.path,
                           method_differs=m.method is not None and m.method != method.upper(),
                           path_differs=not m.pattern.fullmatch(path)) for m in mocks]
    found.sort(key=lambda c: c.path_differs)
    return tuple(found[:_MAX_CANDIDATES])

