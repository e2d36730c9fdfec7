"""How two requests differ, field by field, as the match key sees them: the body of a drift report.

The comparison mirrors the match key (recorder.replay.matching) exactly, so a report never shows a
difference matching ignores (query order, ignored fields) nor hides one it counts (a matched
header, the order of an array): both sides are first reduced to what the key is made of (query as
a multiset, ignored fields dropped), and bodies are then compared by deepdiff, strict on types as
the key is (``1`` is not ``1.0``, not ``"1"``), field by field however little two bodies share.
"The key differs but no field does" must not happen. Credentials are compared as sent but shown
masked (recorder.replay.redact).
"""
from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from recorder.cassette.model import Request
from recorder.replay.matching import (SECRET, MatchKey, MatchRules, NormalisedUrl, body_data, body_kind,
                                      canonical_body, first_values)
from recorder.replay.redact import is_secret_header, masked_header, secret_query

__all__ = ["MISSING", "NOT_RECORDED", "FieldDiff", "RequestView", "differences", "key_differences",
           "request_view", "show"]

_MAX_SHOWN = 160  # characters of one rendered value
_REORDERED = "same items in another order; arrays are compared in order"
_HIDDEN = "the values differ; a credential's value is never shown"


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

    def weight(self) -> int:
        """How much of a request this difference covers, for ranking: a changed value (or an array
        only reordered, a masked credential) is 1; a missing or unrecorded object, its leaves."""
        return 1 if self.note else max(_leaves(self.recorded), _leaves(self.sent))

    def likeness(self) -> float:
        """0..1, how much the two values share: a typo'd id is nearer than another id. Absent sides
        and objects share nothing here (their fields are differences of their own)."""
        values = (self.recorded, self.sent)
        if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
            return 0.0
        mine, theirs = (str(v)[:_MAX_SHOWN] for v in values)
        return SequenceMatcher(None, mine, theirs, autojunk=False).ratio()


def _leaves(value: Any) -> int:
    if isinstance(value, _Absent):
        return 0
    if isinstance(value, dict):
        return sum(map(_leaves, value.values())) or 1
    if isinstance(value, (list, tuple)):
        return sum(map(_leaves, value)) or 1
    return 1


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
class RequestView:
    """A request as the match key sees it, kept as data for a person to read."""

    method: str
    scheme: str
    path: str
    query: dict[str, str | list[str]]   # a multiset: one value, or the sorted values of a repeated key
    headers: dict[str, str]             # only the matched ones, lower-case names
    body: Any                           # None: no body
    typed: bool                         # the body is JSON


def request_view(request: Request, rules: MatchRules) -> RequestView:
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
    return RequestView(request.method.upper(), url.scheme, url.path,
                       {key: values[0] if len(values) == 1 else values for key, values in query.items()},
                       headers, body, bool(raw) and body_kind(content_type, rules.encoding_hint, raw) == "json")


def differences(recorded: RequestView, sent: RequestView, rules: MatchRules = MatchRules(),
                credentials: frozenset[str] = frozenset()) -> tuple[FieldDiff, ...]:
    """Every field by which the two views' match keys differ, sorted by path.

    Query parameters and headers that carry credentials (``credentials``: lower-case header names)
    are compared as sent but shown masked: the report is printed, the live value must not be.
    """
    out: list[FieldDiff] = []
    for name in ("method", "scheme", "path"):
        if getattr(recorded, name) != getattr(sent, name):
            out.append(FieldDiff(name, getattr(recorded, name), getattr(sent, name)))
    _diff_flat("query", recorded.query, sent.query, out,
               lambda key, value: _masked_all(value) if secret_query(key, rules) else value)
    # An absent header matches an empty one, as in the key.
    names = dict.fromkeys(h.lower() for h in rules.options.match_headers)
    _diff_flat("headers", {h: recorded.headers[h] for h in names if recorded.headers.get(h)},
               {h: sent.headers[h] for h in names if sent.headers.get(h)}, out,
               lambda name, value: masked_header(value) if is_secret_header(name, credentials) else value)
    typed = recorded.typed or sent.typed
    if recorded.body is None or sent.body is None:
        if recorded.body is not sent.body:
            out.append(FieldDiff("body", NOT_RECORDED if recorded.body is None else recorded.body,
                                 MISSING if sent.body is None else sent.body, typed))
    else:
        _diff_data("body", recorded.body, sent.body, typed, out)
    out.sort(key=lambda d: d.path)
    return tuple(out)


def _diff_flat(prefix: str, recorded: Mapping[str, Any], sent: Mapping[str, Any], out: list[FieldDiff],
               shown: Callable[[str, Any], Any]) -> None:
    """Compare the raw values; report them as ``shown(key, value)`` gives them (masked or as is)."""
    for key in dict.fromkeys((*recorded, *sent)):
        if key in recorded and key in sent and recorded[key] == sent[key]:
            continue
        mine = shown(key, recorded[key]) if key in recorded else NOT_RECORDED
        theirs = shown(key, sent[key]) if key in sent else MISSING
        # Two credentials masked alike still differed: say so, or the line reads as no difference.
        out.append(FieldDiff(f"{prefix}.{_dotted(key)}", mine, theirs, note=_HIDDEN if mine == theirs else ""))


def _masked_all(value: str | list[str]) -> str | list[str]:
    return [SECRET] * len(value) if isinstance(value, list) else SECRET


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
    tree = DeepDiff(recorded, sent, ignore_order=False, verbose_level=2, view="tree", **_field_by_field()).tree
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


@lru_cache(maxsize=1)
def _field_by_field() -> dict[str, Any]:
    """deepdiff >= 8 reports two objects sharing under a third of their keys as one change of the whole
    (``body: recorded {...}, sent {...}``) unless ``threshold_to_diff_deeper`` is 0; the report promises
    fields with paths, and ranking counts them. deepdiff 7 always goes deeper and lacks the option."""
    from deepdiff import DeepDiff

    accepted = inspect.signature(DeepDiff.__init__).parameters
    return {"threshold_to_diff_deeper": 0} if "threshold_to_diff_deeper" in accepted else {}


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


def key_differences(recorded: MatchKey, sent: MatchKey, credentials: frozenset[str]) -> tuple[FieldDiff, ...]:
    """The last word when the views agree and the keys do not: name the key's parts that differ
    (a matched credential header's value masked, as everywhere in a report)."""
    def shown(name: str, part: Any) -> Any:
        if name != "headers":
            return part
        return tuple((h, masked_header(v) if is_secret_header(h, credentials) else v) for h, v in part)

    return tuple(FieldDiff(f"{name} (as matched)", shown(name, r), shown(name, s))
                 for name, r, s in zip(_KEY_PARTS, recorded, sent) if r != s)
