"""Every outbound call a replay session saw, and assertions over them.

Assertions are about the code under test's behaviour ("Stripe was charged 2498 in usd", "no
EasyPost call was made"), so a failure prints the calls that *were* made.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body
from recorder.replay.jsonpath import select
from recorder.replay.matching import body_data

Source = Literal["cassette", "mock", "network"]
Operator = Literal["eq", "ne", "contains", "exists", "doesNotExist", "gt", "lt"]


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    url: str
    request_headers: Headers
    request_body: Body
    status: int
    response_headers: Headers
    response_body: Body
    provider: str | None
    source: Source
    origin: str | None = None  # which recording answered: "file interaction N", or the mock file

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def request_data(self) -> Any:
        """JSON or (nested) form body as data: assertions read both the same way."""
        content_type = (self.request_headers.get("Content-Type") or "").lower()
        return body_data(self.request_body.decoded, content_type)

    def response_data(self) -> Any:
        content_type = (self.response_headers.get("Content-Type") or "").lower()
        return body_data(self.response_body.decoded, content_type)

    def __str__(self) -> str:
        return f"{self.method} {self.url} -> {self.status} ({self.source}{', ' + self.provider if self.provider else ''})"


class CallAssertionError(AssertionError):
    pass


def _path_matches(pattern: str, path: str) -> bool:
    if "*" not in pattern:
        return pattern == path
    from recorder.replay.mocks import path_pattern

    return bool(path_pattern(pattern).fullmatch(path))


class CallLog:
    def __init__(self) -> None:
        self._calls: list[Call] = []

    def add(self, call: Call) -> None:
        self._calls.append(call)

    def __iter__(self) -> Iterator[Call]:
        return iter(self._calls)

    def __len__(self) -> int:
        return len(self._calls)

    def calls(self, *, provider: str | None = None, method: str | None = None, host: str | None = None,
              path: str | None = None, source: Source | None = None) -> list[Call]:
        """Calls matching every given filter; ``path`` may use ``*`` for one segment."""
        return [c for c in self._calls
                if (provider is None or c.provider == provider)
                and (method is None or c.method == method.upper())
                and (host is None or c.host == host.lower())
                and (path is None or _path_matches(path, c.path))
                and (source is None or c.source == source)]

    def assert_called(self, *, times: int | None = None, at_least: int | None = None, at_most: int | None = None,
                      **filters: Any) -> list[Call]:
        found = self.calls(**filters)
        problem = None
        if times is not None and len(found) != times:
            problem = f"expected {times} call(s)"
        elif at_least is not None and len(found) < at_least:
            problem = f"expected at least {at_least} call(s)"
        elif at_most is not None and len(found) > at_most:
            problem = f"expected at most {at_most} call(s)"
        elif times is None and at_least is None and at_most is None and not found:
            problem = "expected at least 1 call"
        if problem:
            raise CallAssertionError(f"{problem} matching {_describe(filters)}, got {len(found)}\n{self._listing()}")
        return found

    def assert_not_called(self, **filters: Any) -> None:
        found = self.calls(**filters)
        if found:
            raise CallAssertionError(f"expected no call matching {_describe(filters)}, got {len(found)}\n"
                                     f"{self._listing()}")

    def assert_body(self, json_path: str, operator: Operator = "eq", value: Any = None, *,
                    part: Literal["request", "response"] = "request", **filters: Any) -> None:
        """Check ``json_path`` in the body of every matching call (at least one must match)."""
        found = self.assert_called(**filters)
        for call in found:
            data = call.request_data() if part == "request" else call.response_data()
            values = select(data, json_path)
            if not _holds(operator, values, value):
                raise CallAssertionError(
                    f"{part} body of {call}: {json_path} {operator} {value!r} does not hold "
                    f"(found {values[0]!r})" if values else
                    f"{part} body of {call}: {json_path} {operator} {value!r} does not hold (no such field)")

    def _listing(self) -> str:
        if not self._calls:
            return "calls made: none"
        return "calls made:\n" + "\n".join(f"  {i}. {c}" for i, c in enumerate(self._calls))


def _holds(operator: Operator, values: list[Any], expected: Any) -> bool:
    if operator == "exists":
        return bool(values)
    if operator == "doesNotExist":
        return not values
    if not values:
        return False
    actual = values[0]
    if operator == "eq":
        return actual == expected or (isinstance(actual, str) and actual == str(expected))
    if operator == "ne":
        return not (actual == expected or (isinstance(actual, str) and actual == str(expected)))
    if operator == "contains":
        return str(expected) in actual if isinstance(actual, str) else expected in actual
    if operator in ("gt", "lt"):
        number = float(actual)
        return number > float(expected) if operator == "gt" else number < float(expected)
    raise ValueError(f"unknown operator {operator!r}")


def _describe(filters: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in filters.items() if v is not None) or "anything"
