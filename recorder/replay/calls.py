"""Every outbound call a replay session saw, and assertions over them.

Assertions are about the code under test's behaviour ("Stripe was charged 2498 in usd", "no
EasyPost call was made"), so every failure lists the calls that *were* made: the answer to "what
did it do instead?" is usually in that list.

The semantics follow reference 000's ``httpCall`` assertions: a call is picked by filters (the
reference's ``match``), then JSON-path checks run on its request or response body (see
``recorder.replay.jsonpath`` for the operators). A check must hold on every matching call, and
at least one call must match, except for ``doesNotExist``: when no matching call was made, the
field does not exist either, so it holds (the reference: "if no matching HTTP call was observed
during the step, a doesNotExist assertion passes"). Filters include the response status
(``status=201``: the reference's ``response.statusCode eq 201``).

Listings are printed in CI logs, so a URL shows with its credential query values masked
(``?api_key=<secret>``, recorder.replay.redact); ``Call.url`` itself keeps what was sent.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath
from typing import Any, Literal, NoReturn
from urllib.parse import urlsplit

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body
from recorder.errors import BadInput
from recorder.providers import GENERIC, ProviderRegistry, build_registry
from recorder.replay.jsonpath import Operator, check, validate
from recorder.replay.matching import SECRET, MatchRules, body_data
from recorder.replay.redact import shown_uri

Source = Literal["cassette", "mock", "network"]
Part = Literal["request", "response"]
__all__ = ["Call", "CallAssertionError", "CallLog", "Operator", "Part", "Source"]

_LISTED = 20  # calls shown in a failure; a long session is summarised after that
FILTERS = ("provider", "method", "host", "path", "url", "source", "status")


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
        return self.body_data("request")

    def response_data(self) -> Any:
        return self.body_data("response")

    def body_data(self, part: Part) -> Any:
        """The body as data; a text body that is neither JSON nor a form stays text, so ``$`` can be searched."""
        headers, body = self._part(part)
        data = body_data(body.decoded, (headers.get("Content-Type") or "").lower())
        if isinstance(data, bytes):
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data
        return data

    def is_form(self, part: Part) -> bool:
        """Form bodies carry only strings, so equality compares an expected number by its spelling.
        An upload's fields (``multipart/form-data``) are strings too: Stripe's SDK sends
        ``file_link_data[expires_at]=1900000000`` in one, and ``eq 1900000000`` must hold on it."""
        content_type = (self._part(part)[0].get("Content-Type") or "").lower()
        if "json" in content_type:
            return False
        return "x-www-form-urlencoded" in content_type or content_type.startswith("multipart/form-data")

    def _part(self, part: Part) -> tuple[Headers, Body]:
        return (self.request_headers, self.request_body) if part == "request" else (self.response_headers,
                                                                                   self.response_body)

    @property
    def shown_url(self) -> str:
        """The URL as a message prints it: the provider's (and the generic) credential parameters masked."""
        return shown_uri(self.url, _printing_rules(self.provider))

    def __str__(self) -> str:
        """One line: what was asked, what came back, and which recording or mock answered."""
        answered = self.source if not self.origin else f"{self.source} {_short_origin(self.origin)}"
        return f"{self.method} {self.shown_url} -> {self.status} ({answered})"

    def __repr__(self) -> str:
        """The one line, not the fields: pytest prints a call's repr when a plain ``assert`` on it
        fails, and the fields hold the live ``Authorization`` header and body secrets."""
        return f"<Call {self}>"

    def masked(self, text: str, part: Part) -> str:
        """``text`` (a message about this call's ``part`` body) with the values of the body's
        credential fields (``client_secret``, ``password``: the provider's and the generic
        profile's) masked, wherever the message quotes them."""
        values = _secret_values(self.body_data(part), _printing_rules(self.provider).secret_fields)
        for value in sorted(values, key=len, reverse=True):
            text = text.replace(value, SECRET)
        return text


@lru_cache(maxsize=64)
def _printing_rules(provider: str | None) -> MatchRules:
    """The built-in profile's secret rules for ``provider`` (a call records only the profile's name),
    the generic profile's for a host none claims. A project's own profile is not known here: its
    names that the generic list lacks show as sent."""
    registry = _builtin_registry()
    return MatchRules.for_provider((registry.find(provider) if provider else None) or registry.find(GENERIC))


@lru_cache(maxsize=1)
def _builtin_registry() -> ProviderRegistry:
    return build_registry()


class CallAssertionError(AssertionError):
    pass


def _short_origin(origin: str) -> str:
    """``/abs/path/cassettes/stripe/checkout.yaml interaction 3`` -> ``checkout.yaml #3``: enough to find it."""
    where, _, index = origin.rpartition(" interaction ")
    if where and index.isdigit():
        return f"{PurePath(where).name} #{index}"
    return PurePath(origin).name or origin


def _path_matches(pattern: str, path: str) -> bool:
    if "*" not in pattern:
        return pattern == path
    from recorder.replay.mocks import path_pattern

    return bool(path_pattern(pattern).fullmatch(path))


def _url_matches(pattern: str, call: Call) -> bool:
    """Reference 000's ``url: api.stripe.com/v1/charges``: host, then optionally the path; scheme optional.

    A bare host matches every call to it (``url: api.easypost.com``); a path matches as ``path=`` does
    (exactly, ``*`` for one segment). A query in the pattern is ignored.
    """
    wanted = urlsplit(pattern if "://" in pattern else "//" + pattern)
    actual = urlsplit(call.url)
    if wanted.scheme and wanted.scheme.lower() != actual.scheme.lower():
        return False
    if (wanted.hostname or "") != call.host or (wanted.port is not None and wanted.port != actual.port):
        return False
    return wanted.path in ("", "/") or _path_matches(wanted.path, call.path)


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
              path: str | None = None, url: str | None = None, source: Source | None = None,
              status: int | None = None, **unknown: Any) -> list[Call]:
        """Calls matching every given filter; ``path`` may use ``*`` for one segment, ``url`` is
        ``host[/path]`` as reference 000 writes it (``api.stripe.com/v1/charges``), ``status`` is the
        response status code. An unknown filter is refused (a typo must not match everything)."""
        filters = {"provider": provider, "method": method, "host": host, "path": path, "url": url,
                   "source": source, "status": status, **unknown}
        return [call for _, call in self._numbered(filters)]

    def _numbered(self, filters: dict[str, Any]) -> list[tuple[int, Call]]:
        """The calls matching ``filters`` with their place in the log, the number a failure listing shows."""
        _check_filters(filters)
        provider, method, host, path, url, source, status = (filters.get(name) for name in FILTERS)
        return [(i, c) for i, c in enumerate(self._calls)
                if (provider is None or c.provider == provider)
                and (method is None or c.method == method.upper())
                and (host is None or c.host == host.lower())
                and (path is None or _path_matches(path, c.path))
                and (url is None or _url_matches(url, c))
                and (source is None or c.source == source)
                and (status is None or c.status == status)]

    def assert_called(self, *, times: int | None = None, at_least: int | None = None, at_most: int | None = None,
                      **filters: Any) -> list[Call]:
        """The matching calls, if their number is as expected (no count given: at least one)."""
        _check_counts(times, at_least, at_most)
        found = [call for _, call in self._numbered(filters)]
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
            self._fail(f"{problem} matching {_describe(filters)}, got {len(found)}")
        return found

    def assert_not_called(self, **filters: Any) -> None:
        found = self._numbered(filters)
        if found:
            self._fail(f"expected no call matching {_describe(filters)}, got {len(found)}")

    def assert_body(self, json_path: str, operator: Operator | str = "eq", value: Any = None, *,
                    part: Part = "request", **filters: Any) -> None:
        """Check ``json_path`` in the ``part`` body of every matching call.

        At least one call must match, except for ``doesNotExist``, which holds when none does
        (reference 000: no shipping call observed means no tracking code either).
        """
        if part not in ("request", "response"):
            raise BadInput(None, f"part is 'request' or 'response', not {part!r}")
        name = validate(json_path, operator, value)
        found = self._numbered(filters)
        if not found:
            if name == "doesNotExist":
                return
            self._fail(f"expected at least 1 call matching {_describe(filters)}, got 0 "
                       f"(so {json_path} {_claim(name, value)} cannot hold)")
        failures = [(i, call, reason) for i, call in found
                    if (reason := check(call.body_data(part), json_path, name, value,
                                        typed=not call.is_form(part))) is not None]
        if failures:
            self._fail(f"{json_path} {_claim(name, value)} does not hold in the {part} body of "
                       f"{len(failures)} of {len(found)} call(s) matching {_describe(filters)}:\n"
                       + "\n".join(f"  call {i} ({call.method} {call.shown_url} -> {call.status}): "
                                   f"{call.masked(reason, part)}" for i, call, reason in failures))

    def _fail(self, message: str) -> NoReturn:
        raise CallAssertionError(f"{message}\n{self._listing()}")

    def _listing(self) -> str:
        if not self._calls:
            return "calls made: none"
        shown = [f"  {i}. {c}" for i, c in enumerate(self._calls[:_LISTED])]
        if len(self._calls) > _LISTED:
            shown.append(f"  ... and {len(self._calls) - _LISTED} more")
        return "calls made:\n" + "\n".join(shown)


def _check_counts(times: int | None, at_least: int | None, at_most: int | None) -> None:
    """A count no number of calls can satisfy is a mistake in the test, not a finding about the code."""
    for name, count in (("times", times), ("at_least", at_least), ("at_most", at_most)):
        if count is not None and count < 0:
            raise BadInput(None, f"{name}={count}: a number of calls is not negative")
    if at_least is not None and at_most is not None and at_least > at_most:
        raise BadInput(None, f"at_least={at_least} and at_most={at_most}: no number of calls satisfies both")
    if times is not None and ((at_least is not None and times < at_least) or (at_most is not None and times > at_most)):
        raise BadInput(None, f"times={times} contradicts at_least={at_least}, at_most={at_most}")


def _check_filters(filters: dict[str, Any]) -> None:
    """A filter that does not exist (``stauts=``, reference 000's ``statusCode=``) or a status that is
    not a number would make the question mean something else: a mistake in the test, said plainly."""
    unknown = [name for name in filters if name not in FILTERS]
    if unknown:
        raise BadInput(None, f"unknown call filter(s) {', '.join(unknown)}; the filters are {', '.join(FILTERS)}")
    status = filters.get("status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise BadInput(None, f"status={status!r}: a response status is a number, such as 201")


def _secret_values(data: Any, fields: frozenset[str]) -> set[str]:
    """The values (as text, 4 characters or more: shorter ones mean nothing and would mask
    everything) of credential fields anywhere in ``data``."""
    found: set[str] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(key, str) and key.lower() in fields and isinstance(value, (str, int, float)):
                    if len(text := str(value)) >= 4:
                        found.add(text)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _claim(operator: Operator, value: Any) -> str:
    return operator if operator in ("exists", "doesNotExist") else f"{operator} {value!r}"


def _describe(filters: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in filters.items() if v is not None) or "anything"
