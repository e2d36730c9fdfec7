"""Mock files: hand-written canned responses for one endpoint of one provider.

The format (``type: MOCK``, ``mockTarget``, ``mockPath`` with ``*`` wildcards, optional
``mockMethod``, ``mockResponseStatus``, ``mockResponseHeaders``, ``mockResponseBody``,
``mockResponseDelay`` in ms) is the one teams already write for declarative multi-service
tests. A mock is looked up by host first (a dict), then by its compiled path pattern.

``mockTarget`` is a host or ``host:port``. ``host:port`` answers only that port (a stand-in on
127.0.0.1:8080 beside the app's own server on another port); a bare host answers its scheme's
default port and, for convenience, any other.

A mock that loads must answer as written, so ``load_mock`` refuses (one ``BadInput`` naming the
file and the key) anything it would otherwise have to guess at or would never match:

- ``mockPath`` starts with ``/`` and has no ``?`` or ``#``: the path is matched alone, so a query
  in it would never match, and a path without ``/`` is usually a host pasted in.
- ``mockMethod`` is one of :data:`METHODS` in any case; leave it out to answer any method.
- ``mockResponseDelay`` is a finite number of milliseconds >= 0 (fractions allowed); ``true`` is
  not a delay.
- a ``mockResponseHeaders`` value is text, a number, or a list of those for a repeated header
  (``set-cookie``). Not null (an empty ``retry-after:`` would be sent as "None"; write ``''``),
  not a mapping, not a boolean: YAML reads ``true``/``yes``/``on`` as one and the text the
  author meant (``true``? ``yes``?) is lost, so it must be quoted.
"""
from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import yaml

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Response
from recorder.errors import BadInput

if TYPE_CHECKING:
    from recorder.replay.matching import NormalisedUrl

_KNOWN_KEYS = {"type", "name", "mockTarget", "mockPath", "mockMethod", "mockResponseStatus",
               "mockResponseHeaders", "mockResponseBody", "mockResponseDelay", "description"}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True, slots=True)
class Mock:
    name: str
    target: str           # host or host:port, lower-case, as written
    path: str             # as written, with * wildcards
    method: str | None    # None: any method
    status: int
    headers: tuple[tuple[str, str], ...]  # a repeated header is one pair per value
    body: Any             # parsed YAML value; None for no body
    delay_ms: float
    source: Path
    pattern: re.Pattern[str] = field(compare=False, repr=False, default=re.compile(""))
    port: int | None = None  # None: any port

    @property
    def host(self) -> str:
        """The target without its port."""
        return _split_target(self.target)[0]

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method.upper()) and bool(self.pattern.fullmatch(path))

    def describe(self) -> str:
        """``mock-twilio (mocks/x.yaml) answers POST api.twilio.com/2010-04-01/...``, for reports."""
        return f"{self.name} ({self.source}) answers {self.method or 'any method'} {self.target}{self.path}"

    def response(self) -> Response:
        headers = Headers((name, [value]) for name, value in self.headers)
        if self.body is None:
            raw = b""
        elif isinstance(self.body, str):
            raw = self.body.encode("utf-8")
        else:
            raw = json.dumps(self.body, ensure_ascii=False).encode("utf-8")
            if "content-type" not in headers:
                headers.add("Content-Type", "application/json")
        return Response(status=self.status, reason="", headers=headers, body=Body(raw))


def path_pattern(path: str) -> re.Pattern[str]:
    """``/2010-04-01/Accounts/*/Messages.json``: ``*`` stands for one or more characters of one segment."""
    return re.compile("".join("[^/]+" if part == "*" else re.escape(part) for part in re.split(r"(\*)", path)))


class _MockLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping.

    Plain PyYAML keeps the last silently, so a mock with two ``mockPath`` lines would load and
    answer only one of them. (YAML itself says keys are unique.) ``<<`` merges may still override.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = (key_node.tag, key_node.value)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"{key_node.value} given twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _read_mock_yaml(path: Path) -> Any:
    """The parsed YAML of a mock file, or the ``BadInput`` that says why it cannot be read."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_MockLoader)  # a SafeLoader
    except FileNotFoundError:
        raise BadInput(path, "no such mock file") from None
    except OSError as exc:
        raise BadInput(path, f"cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise BadInput(path, "not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}" if mark else None
        raise BadInput(path, f"not valid YAML ({getattr(exc, 'problem', exc)})", place=place) from None


def _require_mock_keys(path: Path, data: Any) -> None:
    """The shape every mock needs before its keys mean anything, including the ``name`` it is found by."""
    if not isinstance(data, dict):
        raise BadInput(path, "a mock file is a mapping of mock* keys")
    if data.get("type") != "MOCK":
        raise BadInput(path, f"type must be MOCK, not {data.get('type')!r}", place="type")
    for key in ("name", "mockTarget", "mockPath"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise BadInput(path, "required, a non-empty string", place=key)


def load_mock(path: Path) -> Mock:
    """The mock in ``path``, or the one ``BadInput`` (file:key) that says what cannot be answered as written."""
    data = _read_mock_yaml(path)
    _require_mock_keys(path, data)
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise BadInput(path, "unknown key", place=unknown[0])
    status = data.get("mockResponseStatus", 200)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise BadInput(path, f"an HTTP status code, not {status!r}", place="mockResponseStatus")
    delay = data.get("mockResponseDelay", 0)
    if not _is_number(delay) or not math.isfinite(delay) or delay < 0:
        raise BadInput(path, f"milliseconds, a number >= 0, not {delay!r}", place="mockResponseDelay")
    headers = data.get("mockResponseHeaders") or {}
    if not isinstance(headers, dict):
        raise BadInput(path, "a mapping of header name to value", place="mockResponseHeaders")
    method = data.get("mockMethod")
    if method is not None and (not isinstance(method, str) or method.upper() not in METHODS):
        raise BadInput(path, f"an HTTP method ({', '.join(METHODS)}; leave mockMethod out to answer any), "
                             f"not {method!r}", place="mockMethod")
    target = data["mockTarget"].strip().lower()
    try:
        _, port = _split_target(target)
    except ValueError:
        raise BadInput(path, f"a host or host:port (api.stripe.com, 127.0.0.1:8080), not {data['mockTarget']!r}",
                       place="mockTarget") from None
    mock_path = data["mockPath"]
    if not mock_path.startswith("/"):
        raise BadInput(path, f"a path starting with / (the host goes in mockTarget), not {mock_path!r}",
                       place="mockPath")
    if "?" in mock_path or "#" in mock_path:
        raise BadInput(path, f"a path without ? or #: a query is not part of a mock path (a mock answers its "
                             f"path whatever the query), not {mock_path!r}", place="mockPath")
    return Mock(
        name=data["name"], target=target, path=mock_path,
        method=method.upper() if method else None, status=status,
        headers=_header_pairs(path, headers), body=data.get("mockResponseBody"),
        delay_ms=delay, source=path, pattern=path_pattern(mock_path), port=port)


def _is_number(value: object) -> bool:
    """An int or float; ``bool`` is an int to Python but ``true`` is no count of anything."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _header_pairs(path: Path, headers: dict[Any, Any]) -> tuple[tuple[str, str], ...]:
    """``(name, value)`` per value, as sent; what would be sent as a guess is refused (module docstring)."""
    pairs: list[tuple[str, str]] = []
    for name, value in headers.items():
        place = f"mockResponseHeaders.{name}"
        if not isinstance(name, str) or not name:
            raise BadInput(path, f"a header name must be text, not {name!r}", place=place)
        values = value if isinstance(value, list) else [value]
        if not values:
            raise BadInput(path, "a header value must be text or a number, not an empty list", place=place)
        for index, one in enumerate(values):
            if isinstance(one, str) or _is_number(one):
                pairs.append((name, str(one)))
                continue
            where = f"{place}[{index}]" if isinstance(value, list) else place
            raise BadInput(path, f"a header value must be text or a number, not {_kind(one)}", place=where)
    return tuple(pairs)


def _kind(value: object) -> str:
    """What YAML made of a value, in the words of the file: ``null``, ``a mapping``, ``a date``..."""
    if value is None:
        return "null (write '' for an empty value)"
    if isinstance(value, bool):
        return "a boolean (YAML reads true/yes/on as one: quote the text to send)"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a date (quote it)"
    kinds = {dict: "a mapping", list: "a list", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def _split_target(target: str) -> tuple[str, int | None]:
    """``127.0.0.1:8080`` -> ``("127.0.0.1", 8080)``; ValueError for a URL, a path or a bad port."""
    if not target or "/" in target or "@" in target or any(c.isspace() for c in target):
        raise ValueError(target)
    parts = urlsplit("//" + target)
    port = parts.port  # raises ValueError itself for a port that is not 0-65535
    if not parts.hostname or port == 0:
        raise ValueError(target)
    return parts.hostname, port


class MockTable:
    """The session's mocks by host: a dict lookup, then each of that host's few path patterns.

    A mock for ``host:port`` is tried before a bare-host one, so the narrower target wins.
    """

    def __init__(self, mocks: Iterable[Mock] = ()) -> None:
        self._by_host: dict[str, list[Mock]] = {}
        for mock in mocks:
            self._by_host.setdefault(mock.host, []).append(mock)
        for listed in self._by_host.values():
            listed.sort(key=lambda m: m.port is None)  # stable: file order kept within each kind

    def __bool__(self) -> bool:
        return bool(self._by_host)

    def __iter__(self) -> Iterator[Mock]:
        return (mock for listed in self._by_host.values() for mock in listed)

    def for_url(self, url: NormalisedUrl) -> Iterator[Mock]:
        """The mocks whose target covers the URL's host and port, whatever their method and path."""
        return (m for m in self._by_host.get(url.hostname, ()) if m.port is None or m.port == url.port)

    def covers(self, url: NormalisedUrl) -> bool:
        return next(self.for_url(url), None) is not None

    def find(self, url: NormalisedUrl, method: str, path: str) -> Mock | None:
        return next((m for m in self.for_url(url) if m.matches(method, path)), None)


def find_mock_files(reference: str, folder: Path) -> Path:
    """A mock given by path, or by file stem or YAML ``name`` inside the mocks folder.

    Reference 000 refers to mocks by ``name`` (``mock-twilio``); several files may share one (all
    four Stripe mocks say ``mock-stripe``), and then the file must be named: guessing would serve
    a decline where the test meant a success.
    """
    candidate = Path(reference)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    for suffix in (".yaml", ".yml"):
        in_folder = folder / f"{reference}{suffix}"
        if in_folder.is_file():
            return in_folder
    index = _index(folder)
    named = index.names.get(reference, ())
    if len(named) == 1:
        return named[0]
    if named:
        raise BadInput(reference, f"ambiguous mock name: {', '.join(str(p) for p in named)} all say "
                                  f"name: {reference}; give the file instead")
    unreadable = () if candidate.suffix in (".yaml", ".yml") else index.unreadable  # a path is no name
    if len(unreadable) == 1:  # most likely the very file meant: its own error, then why it is shown
        [broken] = unreadable
        raise BadInput(broken.where, f"{broken.message}; no readable mock file in {folder} says "
                                     f"name: {reference}, so this may be the one", place=broken.place)
    if unreadable:
        raise BadInput(reference, f"no readable mock file in {folder} says name: {reference}, and "
                                  f"{len(unreadable)} there could not be read: "
                                  + "; ".join(e.one_line() for e in unreadable))
    raise BadInput(reference, f"no mock file by that path, file name or name: in {folder}")


class _FolderIndex(NamedTuple):
    names: dict[str, tuple[Path, ...]]
    unreadable: tuple[BadInput, ...]  # mock-looking files whose name: could not be read, and why


_NAME_INDEX: dict[Path, tuple[tuple[tuple[str, int], ...], _FolderIndex]] = {}


def mock_names(folder: Path) -> dict[str, tuple[Path, ...]]:
    """``name:`` -> the mock files under ``folder`` that carry it."""
    return _index(folder).names


def _index(folder: Path) -> _FolderIndex:
    """The folder's mocks by ``name:``, and the mock files whose name could not be read.

    Read once per folder and kept while no file there is added, removed or changed (a listing and
    a stat per file, not a YAML parse per file, on each ``recorder.replay``). Files that do not
    look like mocks are left out; one that does but cannot be read is kept with its error, so a
    name not found can say which file may have held it instead of claiming there is none.
    """
    files = sorted(p for pattern in ("*.yaml", "*.yml") for p in folder.rglob(pattern) if p.is_file())
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    cached = _NAME_INDEX.get(folder)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    names: dict[str, list[Path]] = {}
    unreadable: list[BadInput] = []
    for path in files:
        if not _looks_like_mock(path):
            continue
        try:
            data = _read_mock_yaml(path)
            name = data.get("name") if isinstance(data, dict) else None
            if not isinstance(name, str) or not name:
                _require_mock_keys(path, data)  # raises, saying why there is no name
        except BadInput as exc:
            unreadable.append(exc)
            continue
        names.setdefault(name, []).append(path)  # any other fault is load_mock's to report
    index = _FolderIndex({name: tuple(paths) for name, paths in names.items()}, tuple(unreadable))
    _NAME_INDEX[folder] = (stamp, index)
    return index


def is_mock_file(path: Path) -> bool:
    """Cheap sniff: mock files say ``type: MOCK`` near the top."""
    return bool(re.search(r"^type:\s*['\"]?MOCK['\"]?\s*$", _head(path), re.M))


_MOCK_LIKE = re.compile(r"^(?:type\s*:\s*['\"]?mock\b|mock(?:Target|Path|Method|Response\w*)\s*:)", re.M | re.I)


def _looks_like_mock(path: Path) -> bool:
    """Looser than :func:`is_mock_file`: a mock with its ``type`` mistyped is still a mock to report."""
    return bool(_MOCK_LIKE.search(_head(path)))


def _head(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:2048]
    except OSError:
        return ""
