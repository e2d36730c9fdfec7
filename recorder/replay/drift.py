"""The drift report: when a request has no recording, say why, instead of vcrpy's "can't overwrite
existing cassette": the recordings that come closest and how they differ, field by field
(``body.amount: recorded 2498, sent 2500``); or that the exact recording was already played; or
that a mock covers the path for another method.

The comparison mirrors the match key (recorder.replay.matching) exactly, so a report never shows a
difference matching ignores (query order, ignored fields) nor hides one it counts (a matched
header, the order of an array): both sides are first reduced to what the key is made of (query as
a multiset, ignored fields dropped), and bodies are then compared by deepdiff, strict on types as
the key is (``1`` is not ``1.0``, not ``"1"``). "The key differs but no field does" must not happen.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from recorder.cassette.model import Interaction, Request
from recorder.errors import RecorderError
from recorder.replay.matching import (SECRET, MatchKey, MatchRules, NormalisedUrl, body_data, body_kind,
                                      canonical_body, first_values)
from recorder.replay.mocks import Mock

_MAX_CANDIDATES = 3
_MAX_SHOWN = 160  # characters of one rendered value
_REORDERED = "same items in another order; arrays are compared in order"


class _Absent:
    """A side that has no value at all (as opposed to an empty string or a null)."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return self.label


MISSING = _Absent("missing")            # recorded, but the request lacks it
NOT_RECORDED = _Absent("not recorded")  # the request has it, the recording does not


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One difference, ``path`` like ``body.amount``, ``query.limit`` or ``headers.stripe-version``.

    ``recorded``/``sent`` are the values as data (``MISSING``/``NOT_RECORDED`` for an absent side).
    ``typed``: they come from JSON, where ``"11"`` and ``11`` differ, so number-like strings keep
    their quotes when shown; form and query values are all strings and show bare.
    """

    path: str
    recorded: Any
    sent: Any
    typed: bool = False
    note: str = ""

    def __str__(self) -> str:
        if self.sent is MISSING:
            return f"{self.path}: missing"
        if self.recorded is NOT_RECORDED:
            return f"{self.path}: not recorded, sent {show(self.sent, self.typed)}"
        # A string against a number (or null) only reads as a difference with its quotes on.
        retype = (isinstance(self.recorded, str) != isinstance(self.sent, str)
                  and all(isinstance(v, (str, int, float, type(None))) for v in (self.recorded, self.sent)))
        text = (f"{self.path}: recorded {show(self.recorded, self.typed, retype)}, "
                f"sent {show(self.sent, self.typed, retype)}")
        return f"{text} ({self.note})" if self.note else text


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


# -- rendering --------------------------------------------------------------------------------------
_NUMBER_LIKE = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_WORDS = frozenset({"missing", "not recorded", "null", "true", "false", "none"})


def show(value: Any, typed: bool = False, quote: bool = False) -> str:
    """A value as a person reads it: ``2498``, ``usd``, ``""``, ``[a, b]``; JSON containers as JSON."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False) if quote or not _plain(value, typed) else value
    elif isinstance(value, (dict, list, tuple)):
        text = (json.dumps(value, ensure_ascii=False, default=str) if typed else _show_container(value))
    elif value is None or isinstance(value, (bool, int, float)):
        text = json.dumps(value)
    else:
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN - 3] + "..."


def _plain(text: str, typed: bool) -> bool:
    """Whether ``text`` shows unambiguously without quotes (not empty, no edge whitespace, ...)."""
    return (bool(text) and text == text.strip() and text.isprintable() and text[0] not in "\"'[{"
            and ", " not in text and text.lower() not in _WORDS
            and not (typed and _NUMBER_LIKE.fullmatch(text)))


def _show_container(value: dict | list | tuple) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {show(item)}" for key, item in value.items()) + "}"
    return "[" + ", ".join(show(item) for item in value) + "]"


# -- the comparison -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _View:
    """A request as the match key sees it, kept as data for a person to read."""

    method: str
    scheme: str
    path: str
    query: dict[str, str | list[str]]   # a multiset: one value, or the sorted values of a repeated key
    headers: dict[str, str]             # only the matched ones, lower-case names
    body: Any                           # None: no body
    typed: bool                         # the body is JSON


def request_view(request: Request, rules: MatchRules) -> _View:
    """What the key of ``request`` is made of, under ``rules`` (encoding, ignored fields, headers)."""
    url = NormalisedUrl.parse(request.uri)
    query: dict[str, list[str]] = {}
    for key, value in rules.comparable_query(url.query):  # sorted, indices folded, secrets masked: as matched
        query.setdefault(key, []).append(value)
    content_type = request.content_type.lower()
    raw = request.body.decoded
    body = rules.comparable_body(body_data(raw, content_type, rules.encoding_hint))
    wanted = {h.lower() for h in rules.options.match_headers}
    headers = {name: value for name, value in first_values(request.headers).items() if name in wanted}
    return _View(request.method.upper(), url.scheme, url.path,
                 {key: values[0] if len(values) == 1 else values for key, values in query.items()},
                 headers, body, bool(raw) and body_kind(content_type, rules.encoding_hint, raw) == "json")


def shown_uri(uri: str, rules: MatchRules) -> str:
    """``uri`` as a report may print it: the provider's credential query parameters masked."""
    parts = urlsplit(uri)
    if not rules.secret_query or not parts.query:
        return uri
    pairs = [(k, SECRET if rules.is_secret_query(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="[]<>")))


def differences(recorded: _View, sent: _View, match_headers: Iterable[str] = ()) -> tuple[FieldDiff, ...]:
    """Every field by which the two views' match keys differ, sorted by path."""
    out: list[FieldDiff] = []
    for name in ("method", "scheme", "path"):
        if getattr(recorded, name) != getattr(sent, name):
            out.append(FieldDiff(name, getattr(recorded, name), getattr(sent, name)))
    _diff_flat("query", recorded.query, sent.query, out)
    # An absent header matches an empty one, as in the key.
    names = dict.fromkeys(h.lower() for h in match_headers)
    _diff_flat("headers", {h: recorded.headers[h] for h in names if recorded.headers.get(h)},
               {h: sent.headers[h] for h in names if sent.headers.get(h)}, out)
    typed = recorded.typed or sent.typed
    if recorded.body is None or sent.body is None:
        if recorded.body is not sent.body:
            out.append(FieldDiff("body", NOT_RECORDED if recorded.body is None else recorded.body,
                                 MISSING if sent.body is None else sent.body, typed))
    else:
        _diff_data("body", recorded.body, sent.body, typed, out)
    out.sort(key=lambda d: d.path)
    return tuple(out)


def _diff_flat(prefix: str, recorded: Mapping[str, Any], sent: Mapping[str, Any], out: list[FieldDiff]) -> None:
    for key in dict.fromkeys((*recorded, *sent)):
        path = f"{prefix}.{_dotted(key)}"
        if key not in sent:
            out.append(FieldDiff(path, recorded[key], MISSING))
        elif key not in recorded:
            out.append(FieldDiff(path, NOT_RECORDED, sent[key]))
        elif recorded[key] != sent[key]:
            out.append(FieldDiff(path, recorded[key], sent[key]))


def _dotted(key: str) -> str:
    """A query key as a path: ``created[gte]`` -> ``created.gte``; ``expand[]`` stays (a repeated key)."""
    return re.sub(r"\[([^\]]+)\]", r".\1", key)


def _diff_data(path: str, recorded: Any, sent: Any, typed: bool, out: list[FieldDiff]) -> None:
    """deepdiff's tree of changes as FieldDiffs; an array whose items only moved is one difference."""
    if _canon(recorded) == _canon(sent):
        return
    from deepdiff import DeepDiff  # only a miss needs it, and it pulls in pydantic (~0.1 s per start)
    from deepdiff.helper import notpresent

    reordered: set[tuple[Any, ...]] = set()
    tree = DeepDiff(recorded, sent, ignore_order=False, verbose_level=2, view="tree").tree
    for level in (level for kind in tree for level in tree[kind]):  # differences() sorts by path
        steps = tuple(level.path(output_format="list"))
        moved = _moved_array(recorded, sent, steps)
        if moved is not None:
            if moved not in reordered:
                reordered.add(moved)
                out.append(FieldDiff(_join(path, moved), _at(recorded, moved), _at(sent, moved), typed, _REORDERED))
            continue
        out.append(FieldDiff(_join(path, steps), NOT_RECORDED if level.t1 is notpresent else level.t1,
                             MISSING if level.t2 is notpresent else level.t2, typed))


def _moved_array(recorded: Any, sent: Any, steps: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The outermost array above ``steps`` that holds the same items on both sides, in another order."""
    for cut in range(len(steps)):
        mine, theirs = _at(recorded, steps[:cut]), _at(sent, steps[:cut])
        if (isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs)
                and sorted(map(_canon, mine)) == sorted(map(_canon, theirs))):
            return steps[:cut]
    return None


def _at(data: Any, steps: tuple[Any, ...]) -> Any:
    for step in steps:
        data = data[step]
    return data


def _join(path: str, steps: tuple[Any, ...]) -> str:
    return path + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in steps)


def _canon(value: Any) -> str:
    """Equal exactly when the match key's body would be: ``1`` is not ``1.0``, not ``True``, not ``"1"``."""
    return canonical_body(value) if value is not None else "null"


_KEY_PARTS = ("method", "scheme", "host", "path", "query", "body", "headers")


def _key_differences(recorded: MatchKey, sent: MatchKey) -> tuple[FieldDiff, ...]:
    """The last word when the views agree and the keys do not: name the key's parts that differ."""
    return tuple(FieldDiff(f"{name} (as matched)", r, s)
                 for name, r, s in zip(_KEY_PARTS, recorded, sent) if r != s)


def closest(request: Request, key: MatchKey, pool: Sequence[tuple[str, int, Interaction, MatchKey]],
            rules: MatchRules) -> tuple[Candidate, ...]:
    """Rank ``pool`` (recordings for the same host, with their keys) by how few fields differ.

    Every candidate lists at least one difference: recordings with the request's own key are not
    candidates (the report says they were already played).
    """
    sent = request_view(request, rules)
    scored = []
    for source, index, interaction, recorded_key in pool:
        if recorded_key == key:
            continue
        recorded_request = interaction.request
        recorded = request_view(recorded_request, rules)
        diffs = differences(recorded, sent, rules.options.match_headers) or _key_differences(recorded_key, key)
        # Method and path outweigh any number of body fields.
        weight = (recorded.method != sent.method) * 1000 + (recorded.path != sent.path) * 100 + len(diffs)
        scored.append((weight, source, index, Candidate(source, index, recorded_request.method,
                                                         recorded_request.uri, diffs)))
    scored.sort(key=lambda item: item[:3])
    return tuple(item[3] for item in scored[:_MAX_CANDIDATES])


def near_mocks(mocks: Iterable[Mock], method: str, path: str) -> tuple[MockCandidate, ...]:
    """Mocks for the request's host and port that did not answer: same path (another method) first."""
    found = [MockCandidate(m.name, str(m.source), m.method, m.target, m.path,
                           method_differs=m.method is not None and m.method != method.upper(),
                           path_differs=not m.pattern.fullmatch(path)) for m in mocks]
    found.sort(key=lambda c: c.path_differs)
    return tuple(found[:_MAX_CANDIDATES])

