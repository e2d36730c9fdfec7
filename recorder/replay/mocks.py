"""Mock files: hand-written canned responses for one endpoint of one provider.

The format (``type: MOCK``, ``mockTarget``, ``mockPath`` with ``*`` wildcards, optional
``mockMethod``, ``mockResponseStatus``, ``mockResponseHeaders``, ``mockResponseBody``,
``mockResponseDelay`` in ms) is the one teams already write for declarative multi-service
tests. A mock is looked up by host first (a dict), then by its compiled path pattern.

``mockTarget`` is a host or ``host:port``. ``host:port`` answers only that port (a stand-in on
127.0.0.1:8080 beside the app's own server on another port); a bare host answers its scheme's
default port and, for convenience, any other.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Response
from recorder.errors import BadInput

if TYPE_CHECKING:
    from recorder.replay.matching import NormalisedUrl

_KNOWN_KEYS = {"type", "name", "mockTarget", "mockPath", "mockMethod", "mockResponseStatus",
               "mockResponseHeaders", "mockResponseBody", "mockResponseDelay", "description"}


@dataclass(frozen=True, slots=True)
class Mock:
    name: str
    target: str           # host or host:port, lower-case, as written
    path: str             # as written, with * wildcards
    method: str | None    # None: any method
    status: int
    headers: tuple[tuple[str, str], ...]
    body: Any             # parsed YAML value; None for no body
    delay_ms: int
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


def load_mock(path: Path) -> Mock:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(path, "no such mock file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}" if mark else None
        raise BadInput(path, f"not valid YAML ({getattr(exc, 'problem', exc)})", place=place) from None
    if not isinstance(data, dict):
        raise BadInput(path, "a mock file is a mapping of mock* keys")
    if data.get("type") != "MOCK":
        raise BadInput(path, f"type must be MOCK, not {data.get('type')!r}", place="type")
    for key in ("name", "mockTarget", "mockPath"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise BadInput(path, "required, a non-empty string", place=key)
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise BadInput(path, "unknown key", place=unknown[0])
    status = data.get("mockResponseStatus", 200)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise BadInput(path, f"an HTTP status code, not {status!r}", place="mockResponseStatus")
    delay = data.get("mockResponseDelay", 0)
    if not isinstance(delay, int) or delay < 0:
        raise BadInput(path, f"milliseconds as a whole number >= 0, not {delay!r}", place="mockResponseDelay")
    headers = data.get("mockResponseHeaders") or {}
    if not isinstance(headers, dict):
        raise BadInput(path, "a mapping of header name to value", place="mockResponseHeaders")
    method = data.get("mockMethod")
    if method is not None and not isinstance(method, str):
        raise BadInput(path, "an HTTP method name", place="mockMethod")
    target = data["mockTarget"].strip().lower()
    try:
        _, port = _split_target(target)
    except ValueError:
        raise BadInput(path, f"a host or host:port (api.stripe.com, 127.0.0.1:8080), not {data['mockTarget']!r}",
                       place="mockTarget") from None
    mock_path = data["mockPath"] if data["mockPath"].startswith("/") else "/" + data["mockPath"]
    return Mock(
        name=data["name"], target=target, path=mock_path,
        method=method.upper() if method else None, status=status,
        headers=tuple((str(k), str(v)) for k, v in headers.items()), body=data.get("mockResponseBody"),
        delay_ms=delay, source=path, pattern=path_pattern(mock_path), port=port)


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
    named = mock_names(folder).get(reference, ())
    if len(named) == 1:
        return named[0]
    if named:
        raise BadInput(reference, f"ambiguous mock name: {', '.join(str(p) for p in named)} all say "
                                  f"name: {reference}; give the file instead")
    raise BadInput(reference, f"no mock file by that path, file name or name: in {folder}")


_NAME_INDEX: dict[Path, tuple[tuple[tuple[str, int], ...], dict[str, tuple[Path, ...]]]] = {}


def mock_names(folder: Path) -> dict[str, tuple[Path, ...]]:
    """``name:`` -> the mock files under ``folder`` that carry it.

    Read once per folder and kept while no file there is added, removed or changed (a listing and
    a stat per file, not a YAML parse per file, on each ``recorder.replay``). Files that are not
    mocks, or do not parse, are left out: referenced by path, they fail with their own error.
    """
    files = sorted(p for pattern in ("*.yaml", "*.yml") for p in folder.rglob(pattern) if p.is_file())
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    cached = _NAME_INDEX.get(folder)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    index: dict[str, list[Path]] = {}
    for path in files:
        if not is_mock_file(path):
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            index.setdefault(data["name"], []).append(path)
    names = {name: tuple(paths) for name, paths in index.items()}
    _NAME_INDEX[folder] = (stamp, names)
    return names


def is_mock_file(path: Path) -> bool:
    """Cheap sniff: mock files say ``type: MOCK`` near the top."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:2048]
    except OSError:
        return False
    return bool(re.search(r"^type:\s*['\"]?MOCK['\"]?\s*$", head, re.M))
