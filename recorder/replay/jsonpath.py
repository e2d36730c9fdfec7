"""JSON-path checks on a call's body: the small path language, and what each operator means.

Paths: ``$`` (the whole body), ``$.a.b``, ``$.list[0]``, ``$.list[-1]``, ``$['odd key']``,
``$["odd key"]``, the wildcards ``$.list[*].x`` / ``$.object.*`` (every element or value),
slices ``$.list[0:2]`` / ``$.list[-2:]``, and ``$..email`` (every ``email`` at any depth). Filter
expressions (``[?(@.x == 1)]``) are not supported: a wildcard and ``contains`` say the same.

Operators are reference 000's ``httpCall`` ones (``eq``, ``contains``, ``exists``,
``doesNotExist``) plus ``ne`` and the comparisons ``gt``, ``gte``, ``lt``, ``lte``; ``==``,
``!=``, ``>``, ``>=``, ``<``, ``<=`` are accepted as spellings of them. When a wildcard selects
several values, an operator holds if it holds for one of them (``ne``: if none of them is equal).

Bodies come in two kinds, and equality respects what each can express:

- JSON is typed, so the check is too: ``2498`` is not ``"2498"`` and ``1`` is not ``true``. Code
  that sends ``"amount": "2498"`` to a JSON API has a bug the assertion should catch.
- A form body (``amount=2498&capture=true``) has only strings, so a non-string expected value is
  compared in its form spelling: ``2498`` matches ``"2498"`` and ``"2498.00"`` (as numbers),
  ``True`` matches ``true``/``True``, ``None`` matches the empty string. ``$.amount eq 2498``
  therefore holds on Stripe's form body and on a JSON body alike.

``contains`` (reference 000's ``$.error contains "declined"``): a string contains the text
(case-sensitive; a number or boolean is looked for by its spelling); a list contains an equal
element; a list or object also contains what any value nested in it, at any depth, contains. So
``{"type": "card_error", "message": "Your card was declined."}`` contains ``"declined"``, but
not ``"message"``: keys are not searched, ``exists`` on ``$.error.message`` says that. A number,
boolean or null contains nothing; the failure says so instead of guessing.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from recorder.errors import BadInput

Operator = Literal["eq", "ne", "contains", "exists", "doesNotExist", "gt", "gte", "lt", "lte"]
OPERATORS: tuple[Operator, ...] = ("eq", "ne", "contains", "exists", "doesNotExist", "gt", "gte", "lt", "lte")
_ORDERINGS = ("gt", "gte", "lt", "lte")
_SPELLINGS: dict[str, Operator] = {"==": "eq", "!=": "ne", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


class _Wildcard:
    """``[*]`` / ``.*``: a sentinel, so that a key literally named ``*`` (``$['*']``) stays a key."""

    def __repr__(self) -> str:
        return "[*]"


WILDCARD = _Wildcard()


@dataclass(frozen=True, slots=True)
class Descendant:
    """``..name``: every value under the key ``name``, at any depth below the node."""

    name: str


Step = str | int | slice | _Wildcard | Descendant

_TOKEN = re.compile(r"\.\.([A-Za-z_$][\w$-]*)|\.([A-Za-z_$][\w$-]*)|\.(\*)|\[(-?\d+)\]|\[(\*)\]"
                    r"|\['([^']*)'\]|\[\"([^\"]*)\"\]|\[(-?\d*):(-?\d*)\]")
_FORM_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def operator_name(operator: str) -> Operator:
    """The canonical name of ``operator``; a typo is the test's mistake, so it is bad input, not a failure."""
    if operator in OPERATORS:
        return operator  # type: ignore[return-value]
    if operator in _SPELLINGS:
        return _SPELLINGS[operator]
    raise BadInput(None, f"unknown operator {operator!r}; use one of {', '.join(OPERATORS)}")


def validate(path: str, operator: str, expected: Any) -> Operator:
    """Check the assertion itself before any call is looked at: a mistake in it must not pass silently
    (``doesNotExist`` with no matching call holds without reading the path)."""
    name = operator_name(operator)
    parse_path(path)
    if name in _ORDERINGS and _number(expected, typed=False) is None:
        raise BadInput(None, f"{name} compares numbers; {expected!r} is not one")
    return name


def parse_path(path: str) -> tuple[Step, ...]:
    return tuple(step for step, _ in _tokens(path))


@lru_cache(maxsize=512)
def _tokens(path: str) -> tuple[tuple[Step, str], ...]:
    """Each step with the text that spelled it, so messages can quote the path up to a step."""
    if not path.startswith("$"):
        raise BadInput(path, "a JSON path starts with $")
    tokens: list[tuple[Step, str]] = []
    position = 1
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None:
            raise BadInput(path, f"cannot read the JSON path at character {position + 1}")
        descendant, name, dot_star, index, star, quoted, dquoted, start, stop = match.groups()
        step: Step
        if descendant is not None:
            step = Descendant(descendant)
        elif dot_star is not None or star is not None:
            step = WILDCARD
        elif index is not None:
            step = int(index)
        elif start is not None:
            step = slice(int(start) if start else None, int(stop) if stop else None)
        else:
            step = next(s for s in (name, quoted, dquoted) if s is not None)
        tokens.append((step, match.group(0)))
        position = match.end()
    return tuple(tokens)


def _children(node: Any, step: Step) -> list[Any]:
    if step is WILDCARD:
        return list(node.values()) if isinstance(node, dict) else list(node) if isinstance(node, list) else []
    if isinstance(step, Descendant):
        return _descendants(node, step.name)
    if isinstance(step, slice):
        return node[step] if isinstance(node, list) else []
    if isinstance(step, int):
        return [node[step]] if isinstance(node, list) and -len(node) <= step < len(node) else []
    return [node[step]] if isinstance(node, dict) and step in node else []


def _descendants(node: Any, name: str) -> list[Any]:
    found: list[Any] = []
    stack = [node]
    while stack:  # depth first, in document order
        current = stack.pop()
        if isinstance(current, dict):
            if name in current:
                found.append(current[name])
            stack.extend(reversed(list(current.values())))
        elif isinstance(current, list):
            stack.extend(reversed(current))
    return found


def select(data: Any, path: str) -> list[Any]:
    """Every value at ``path`` (wildcards fan out); an empty list when nothing is there."""
    current = [data]
    for step in parse_path(path):
        current = [child for node in current for child in _children(node, step)]
    return current


def explain_missing(data: Any, path: str) -> str:
    """Where ``path`` stops finding anything, and what is there instead: the quickest fix for a typo."""
    if data is None:
        return "the body is empty"
    if isinstance(data, (bytes, bytearray)):
        return f"the body is not JSON or a form ({len(data)} bytes)"
    current, walked = [data], "$"
    for step, text in _tokens(path):
        following = [child for node in current for child in _children(node, step)]
        if not following:
            return f"{walked} {_why_nothing(current[0], step)}"
        current, walked = following, walked + text
    return f"nothing at {path}"


def _why_nothing(node: Any, step: Step) -> str:
    if isinstance(node, dict) and isinstance(step, str):
        keys = list(node)
        shown = ", ".join(keys[:12]) + (f", ... ({len(keys)} keys)" if len(keys) > 12 else "")
        return f"has no {step!r} (keys: {shown})" if keys else f"is an empty object, no {step!r}"
    if isinstance(node, list) and isinstance(step, int):
        return f"has {len(node)} element(s), no [{step}]"
    if step is WILDCARD and isinstance(node, (dict, list)):
        return "is empty"
    if isinstance(step, Descendant):
        return f"has no {step.name!r} at any depth"
    if isinstance(step, slice) and isinstance(node, list):
        return f"has {len(node)} element(s), none in [{step.start or ''}:{step.stop or ''}]"
    wanted = "a list" if isinstance(step, (int, slice)) else "an object"
    return f"is {kind(node)} ({show(node)}), not {wanted}"


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def show(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# -- what the operators mean ------------------------------------------------------------------------
def check(data: Any, path: str, operator: Operator, expected: Any, *, typed: bool) -> str | None:
    """None when ``path operator expected`` holds on ``data``, else why not, in a few words.

    ``typed`` is False for form bodies, whose values are all strings (see the module docstring).
    """
    values = select(data, path)
    if operator == "exists":
        return None if values else f"no such field: {explain_missing(data, path)}"
    if operator == "doesNotExist":
        return None if not values else f"found {_show_all(values)}"
    if not values:
        return f"no such field: {explain_missing(data, path)}"
    if operator in ("eq", "ne"):
        equal = any(_equal(value, expected, typed) for value in values)
        if equal == (operator == "eq"):
            return None
        return f"found {_show_all(values)}" + ("" if equal else _type_hint(values, expected, typed))
    if operator == "contains":
        if any(_contains(value, expected, typed) for value in values):
            return None
        if all(isinstance(value, (bool, int, float)) or value is None for value in values):
            return (f"found {_show_all(values)}, {kind(values[0])}: contains looks inside strings, lists "
                    f"and objects; eq compares a number, boolean or null")
        return f"found {_show_all(values)}"
    return _compare(values, operator, expected, typed)


def _equal(actual: Any, expected: Any, typed: bool) -> bool:
    if not typed and isinstance(actual, str) and not isinstance(expected, str):
        return _form_spelling_equal(actual, expected)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(_equal(actual[k], expected[k], typed) for k in actual)
    if isinstance(actual, list) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(_equal(a, e, typed) for a, e in zip(actual, expected))
    return bool(actual == expected)


def _form_spelling_equal(text: str, expected: Any) -> bool:
    if isinstance(expected, bool):
        return text.lower() == ("true" if expected else "false")
    if expected is None:
        return text == ""
    if isinstance(expected, (int, float, Decimal)):
        return _number(text, typed=False) == _number(expected, typed=True)
    return False


def _number(value: Any, *, typed: bool) -> Decimal | None:
    """A number, or (only where values cannot be typed) a string spelling one; never a boolean."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
        return number if number.is_finite() else None
    if isinstance(value, str) and not typed and _FORM_NUMBER.fullmatch(value):
        return Decimal(value)
    return None


def _contains(actual: Any, expected: Any, typed: bool) -> bool:
    if isinstance(actual, str):
        text = _spelling(expected)
        return text is not None and text in actual
    children: Iterable[Any] = (actual.values() if isinstance(actual, dict)
                               else actual if isinstance(actual, list) else ())
    return any(_equal(child, expected, typed) or _contains(child, expected, typed) for child in children)


def _spelling(value: Any) -> str | None:
    """How a scalar reads inside text: ``declined``, ``2498``, ``true``. Lists and objects have none."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (int, float, Decimal)) else None


def _compare(values: list[Any], operator: Operator, expected: Any, typed: bool) -> str | None:
    bound = _number(expected, typed=False)
    assert bound is not None, "validate() refuses a bound that is not a number"
    numbers = [n for n in (_number(value, typed=typed) for value in values) if n is not None]
    tests = {"gt": bound.__lt__, "gte": bound.__le__, "lt": bound.__gt__, "lte": bound.__ge__}
    if any(tests[operator](n) for n in numbers):
        return None
    if not numbers:
        spelled = any(isinstance(v, str) and _FORM_NUMBER.fullmatch(v) for v in values)
        typed_note = " (JSON values are typed)" if typed and spelled else ""
        return f"found {_show_all(values)}, not a number{typed_note}"
    return f"found {_show_all(values)}"


def _type_hint(values: list[Any], expected: Any, typed: bool) -> str:
    """Name the JSON type when it differs from the expected one: the mismatch a repr can hide (``True`` vs 1)."""
    if not typed or len(values) != 1 or kind(values[0]) == kind(expected):
        return ""
    loose = _equal(values[0], expected, typed=False) or _equal(expected, values[0], typed=False)
    return f", {kind(values[0])}, not {kind(expected)}" + (" (JSON values are typed)" if loose else "")


def _show_all(values: list[Any]) -> str:
    shown = ", ".join(show(value) for value in values[:5])
    return shown + (f" and {len(values) - 5} more" if len(values) > 5 else "")
