"""The drift report: when a request has no recording, say which recordings come closest and how
they differ, field by field, instead of vcrpy's "can't overwrite existing cassette".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from recorder.cassette.forms import decode_form
from recorder.cassette.model import Interaction, Request
from recorder.errors import RecorderError
from recorder.replay.matching import NormalisedUrl, body_data

_MAX_CANDIDATES = 3


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One difference, ``path`` like ``body.amount`` or ``query.limit``."""

    path: str
    recorded: Any
    sent: Any

    def __str__(self) -> str:
        if self.sent is _MISSING_SENT:
            return f"{self.path}: recorded {self.recorded!r}, missing from the request"
        if self.recorded is _MISSING_RECORDED:
            return f"{self.path}: not recorded, sent {self.sent!r}"
        return f"{self.path}: recorded {self.recorded!r}, sent {self.sent!r}"


class _Missing:
    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return self.label


_MISSING_SENT = _Missing("missing")
_MISSING_RECORDED = _Missing("missing")


@dataclass(frozen=True, slots=True)
class Candidate:
    source: str          # cassette file
    index: int           # interaction position in it
    method: str
    uri: str
    differences: tuple[FieldDiff, ...]


@dataclass(frozen=True, slots=True)
class DriftReport:
    method: str
    uri: str
    candidates: tuple[Candidate, ...]
    searched: tuple[str, ...]

    def __str__(self) -> str:
        lines = [f"no recorded interaction matches {self.method} {self.uri}",
                 f"  searched: {', '.join(self.searched) or '(no cassettes or mocks)'}"]
        if not self.candidates:
            lines.append("  nothing recorded for this host and path")
        for rank, candidate in enumerate(self.candidates, 1):
            lines.append(f"  closest #{rank}: {candidate.source} interaction {candidate.index}: "
                         f"{candidate.method} {candidate.uri}")
            lines.extend(f"    {diff}" for diff in candidate.differences)
        return "\n".join(lines)


class DriftError(RecorderError, AssertionError):
    """Raised to the code under test on a miss; ``.report`` has the same content as data."""

    def __init__(self, report: DriftReport) -> None:
        self.report = report
        super().__init__(str(report))


def request_view(method: str, uri: str, body: bytes, content_type: str, hint: str = "auto") -> dict[str, Any]:
    """What a person compares: method, path, query as a dict, body as data."""
    parts = urlsplit(uri)
    query = decode_form(parts.query) if parts.query else {}
    data = body_data(body, content_type.lower(), hint)
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    return {"method": method.upper(), "path": NormalisedUrl.parse(uri).path, "query": query, "body": data}


def differences(recorded: dict[str, Any], sent: dict[str, Any]) -> tuple[FieldDiff, ...]:
    from deepdiff import DeepDiff  # only a miss needs it, and it pulls in pydantic (~0.1 s per start)

    diff = DeepDiff(recorded, sent, ignore_order=False, verbose_level=2)
    out: list[FieldDiff] = []
    for change, entries in diff.items():
        for path, detail in entries.items():
            dotted = _dotted(path)
            if change == "values_changed" or change == "type_changes":
                out.append(FieldDiff(dotted, detail["old_value"], detail["new_value"]))
            elif change in ("dictionary_item_removed", "iterable_item_removed"):
                out.append(FieldDiff(dotted, detail, _MISSING_SENT))
            elif change in ("dictionary_item_added", "iterable_item_added"):
                out.append(FieldDiff(dotted, _MISSING_RECORDED, detail))
    out.sort(key=lambda d: d.path)
    return tuple(out)


def _dotted(path: str) -> str:
    """deepdiff's ``root['body']['amount']`` -> ``body.amount``; list indexes stay ``[0]``."""
    out = path.removeprefix("root")
    out = out.replace("']['", ".").replace("['", ".").replace("']", "")
    return out.lstrip(".")


def closest(request: Request, pool: Sequence[tuple[str, int, Interaction]], hint: str = "auto") -> tuple[Candidate, ...]:
    """Rank ``pool`` (already narrowed to the same host) by how few fields differ."""
    sent = request_view(request.method, request.uri, request.body.decoded, request.content_type, hint)
    scored = []
    for source, index, interaction in pool:
        recorded_request = interaction.request
        recorded = request_view(recorded_request.method, recorded_request.uri, recorded_request.body.decoded,
                                recorded_request.content_type, hint)
        diffs = differences(recorded, sent)
        # Method and path outweigh any number of body fields.
        weight = (recorded["method"] != sent["method"]) * 1000 + (recorded["path"] != sent["path"]) * 100 + len(diffs)
        scored.append((weight, source, index, Candidate(source, index, recorded_request.method,
                                                         recorded_request.uri, diffs)))
    scored.sort(key=lambda item: item[:3])
    return tuple(item[3] for item in scored[:_MAX_CANDIDATES])

